#pragma once
// Python and Jinja2 semantics of values: operators, attribute and item access (with the
// methods of str, dict and list that templates call), slicing, iteration, and the built-in
// filters, tests and global functions. Errors are pagoda::Error without a line; the evaluator
// adds the template line.
#include <string>
#include <string_view>

#include "engine/jinja/value.h"

namespace pagoda::jinja {

struct Limits {
  size_t max_items;  // longest string (bytes) or list a single operation may build
  // Bytes and items all operations together may still build in this render; with the step
  // limit it bounds the time a hostile template can take (e.g. a loop concatenating big strings).
  size_t* work_left = nullptr;
};

// Takes n from the work budget; throws when it runs out.
void charge(const Limits& limits, size_t n);

Value binary_op(std::string_view op, const Value& a, const Value& b, const Limits& limits);
Value unary_op(std::string_view op, const Value& a);
// Throws the reason an undefined value cannot be used (e.g. "'x' is undefined").
[[noreturn]] void fail_undefined(const Value& v);

// obj.name: a dict key, a namespace attribute or a bound method; undefined when absent.
Value get_attribute(const Value& obj, const std::string& name);
// obj[key]: list/str index (negative from the end), dict key; undefined when absent.
Value get_item(const Value& obj, const Value& key);
// obj[start:stop:step] on a list or a str (by code point); null bounds are missing.
Value slice(const Value& obj, const Value* start, const Value* stop, const Value* step);
// What a for loop sees: list items, dict keys, str characters; undefined iterates as empty.
ValueList iterate(const Value& v);
// len(v): code points of a str, items of a list or dict.
int64_t length(const Value& v);

bool has_filter(std::string_view name);
bool has_test(std::string_view name);
Value apply_filter(const std::string& name, const Value& input, const CallArgs& args,
                   const Limits& limits);
bool apply_test(const std::string& name, const Value& input, const CallArgs& args);

// range(), namespace(), dict(): the globals every template sees.
void add_builtin_globals(Dict& globals, const Limits& limits);

}  // namespace pagoda::jinja
