#pragma once
// The values a template computes with, modelled on the Python objects Jinja2 sees: none, bool,
// int, float, str, list (and tuple), dict (insertion-ordered), callables, namespace() and
// Undefined. Lists and dicts are shared by reference, as in Python.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/util/json.h"

namespace pagoda::jinja {

class Value;
using ValueList = std::vector<Value>;

// Python dicts keep insertion order; templates iterate message dicts in file order.
class Dict {
 public:
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  void set(std::string key, Value value);
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  size_t size() const { return entries_.size(); }
  void clear() { entries_.clear(); }
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, Value>> entries_;
};

// Arguments of a call: positional, then keyword (in call order).
struct CallArgs {
  ValueList positional;
  std::vector<std::pair<std::string, Value>> keyword;
  // Positional i, else keyword `name`, else nullptr.
  const Value* get(size_t i, std::string_view name) const;
};

using Function = std::function<Value(const CallArgs& args)>;

class Value {
 public:
  enum class Kind {
    kUndefined,
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kList,
    kDict,
    kCallable,
    kNamespace
  };

  Value() = default;  // undefined
  static Value undefined(std::string hint = {});
  static Value none();
  Value(bool b);
  Value(int64_t i);
  Value(int i) : Value(static_cast<int64_t>(i)) {}
  Value(double f);
  Value(std::string s);
  Value(const char* s) : Value(std::string(s)) {}
  static Value list(ValueList items = {}, bool is_tuple = false);
  static Value dict(Dict d = {});
  static Value callable(std::string name, Function f);
  static Value namespace_(Dict d = {});
  static Value from_json(const OrderedJson& j);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_number() const {
    return kind_ == Kind::kInt || kind_ == Kind::kFloat || kind_ == Kind::kBool;
  }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_tuple() const { return kind_ == Kind::kList && is_tuple_; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_callable() const { return kind_ == Kind::kCallable; }
  bool is_namespace() const { return kind_ == Kind::kNamespace; }

  bool as_bool() const { return b_; }
  int64_t as_int() const { return kind_ == Kind::kBool ? (b_ ? 1 : 0) : i_; }
  double as_float() const { return kind_ == Kind::kFloat ? f_ : static_cast<double>(as_int()); }
  const std::string& as_string() const { return *s_; }
  const ValueList& as_list() const { return *list_; }
  const Dict& as_dict() const { return *dict_; }  // dict or namespace
  Dict& mutable_namespace() const { return *dict_; }
  const std::string& callable_name() const { return *s_; }
  Value call(const CallArgs& args) const { return (*fn_)(args); }
  // Why it is undefined ("'x' is undefined", "'dict object' has no attribute 'y'").
  const std::string& undefined_hint() const;
  // An unsafe attribute (list.append in the immutable sandbox): using it raises this.
  bool is_unsafe() const { return unsafe_; }
  static Value unsafe(std::string message);

  // Python semantics.
  bool truthy() const;
  std::string str() const;        // str(x): what {{ x }} prints
  std::string repr() const;       // repr(x): how x appears inside a printed list or dict
  std::string type_name() const;  // "str", "int", "list", "dict", ... for error messages
  // json.dumps(x, ensure_ascii=False, indent, separators, sort_keys); throws on undefined.
  std::string to_json(int indent, bool pretty, const std::string& item_sep,
                      const std::string& key_sep, bool sort_keys) const;

  bool equals(const Value& other) const;
  // Python ordering (<); throws pagoda::Error for unorderable types.
  static bool less(const Value& a, const Value& b);

 private:
  // `open` holds the containers being printed, so that a namespace holding itself prints as
  // {...} (as Python does) instead of recursing forever.
  std::string repr_impl(std::vector<const void*>& open) const;

  Kind kind_ = Kind::kUndefined;
  bool b_ = false;
  bool is_tuple_ = false;
  bool unsafe_ = false;
  int64_t i_ = 0;
  double f_ = 0;
  std::shared_ptr<const std::string> s_;  // string, callable name or undefined hint
  std::shared_ptr<const ValueList> list_;
  std::shared_ptr<Dict> dict_;
  std::shared_ptr<const Function> fn_;
};

// Python's repr of a float ("1.0", "0.1", "1e-05", "1e+20", "inf", "nan").
std::string python_float_repr(double f);

}  // namespace pagoda::jinja
