#pragma once
// Helpers shared by the Jinja builtins' files (builtins.cpp: operators and access;
// builtins_text.cpp: str and dict methods with Python's semantics; builtins_filters.cpp: the
// filter and test tables). Internal to engine/jinja; pure functions, any thread.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/jinja/builtins.h"
#include "engine/jinja/value.h"

namespace pagoda::jinja::detail {

std::vector<size_t> code_point_offsets(const std::string& s);
std::vector<std::string> code_points(const std::string& s);
int64_t code_point_count(const std::string& s);
int64_t byte_to_code_point_index(const std::string& s, size_t byte);
bool is_py_space(const std::string& cp);
char32_t lower_cp(char32_t c);
char32_t upper_cp(char32_t c);
bool is_cased(char32_t c);
std::string to_lower(const std::string& s);
std::string to_upper(const std::string& s);
std::string py_title(const std::string& s);
std::string jinja_title(const std::string& s);
std::string capitalize(const std::string& s);
std::string py_strip(const std::string& s, const Value* chars, bool left, bool right);
const std::string& need_string(const Value* v, const char* what);
int64_t need_int(const Value* v, const char* what);
ValueList py_split(const std::string& s, const Value* sep_v, int64_t maxsplit, bool from_right);
std::string py_replace(const std::string& s, const std::string& old, const std::string& rep,
                       int64_t count, size_t max_items);
int64_t py_count(const std::string& s, const std::string& sub);
std::string percent_format(const std::string& fmt, const ValueList& args);
std::string brace_format(const std::string& fmt, const CallArgs& args);
std::string object_desc(const Value& v);
Value no_attribute(const Value& obj, const std::string& name);
Value method(const Value& self, const std::string& name,
             std::function<Value(const Value& self, const CallArgs&)> body);
inline constexpr size_t kMethodLimit = 64u << 20;
ValueList split_lines(const std::string& t);
bool is_char_class(const std::string& name, const std::string& t);
Value string_method(const Value& s, const std::string& name);
bool is_mutating(const Value& obj, const std::string& name);
Value dict_items(const Value& d);
Value dict_method(const Value& d, const std::string& name);
Value arithmetic(std::string_view op, const Value& a, const Value& b);
Value repeat(const Value& seq, int64_t n, const Limits& limits);
bool contains(const Value& container, const Value& item);
Value fold_case(const Value& v, bool case_sensitive);
Value attribute_path(const Value& item, const std::string& path);
const Value* kwarg(const CallArgs& a, std::string_view name);
bool arg_bool(const CallArgs& a, size_t i, std::string_view name, bool fallback);
ValueList filter_items(const Value& input, const CallArgs& args, bool by_attribute, bool keep);
Value json_filter(const Value& input, const CallArgs& a);
double python_round(double x, int64_t precision);

}  // namespace pagoda::jinja::detail
