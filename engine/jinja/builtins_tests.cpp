// The built-in tests of Jinja2 (`x is defined`, `x is divisibleby 3`, ...): one table of tests
// by name (aliases share an entry).
#include <unordered_map>

#include "engine/jinja/builtins_internal.h"
#include "engine/util/error.h"

namespace pagoda::jinja {

using namespace detail;

// ---- tests ----

namespace {

// The test's argument: the first positional one, else the first keyword one.
const Value& test_arg(const std::string& name, const CallArgs& args, size_t i) {
  const Value* a = i < args.positional.size() ? &args.positional[i] : nullptr;
  if (!a && !args.keyword.empty()) a = &args.keyword[0].second;
  if (!a) throw Error("test '" + name + "' needs an argument");
  return *a;
}

bool defined_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return !v.is_undefined();
}

bool undefined_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.is_undefined();
}

bool none_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.is_none();
}

bool boolean_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.is_bool();
}

bool false_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.is_bool() && !v.as_bool();
}

bool true_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.is_bool() && v.as_bool();
}

bool integer_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.is_int();
}

bool float_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.is_float();
}

bool number_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.is_number();
}

bool string_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.is_string();
}

bool mapping_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.is_dict();
}

bool sequence_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.is_string() || v.is_list() || v.is_dict();
}

bool iterable_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
}

bool callable_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.is_callable();
}

bool lower_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.is_string() && to_lower(v.as_string()) == v.as_string();
}

bool upper_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.is_string() && to_upper(v.as_string()) == v.as_string();
}

bool escaped_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return false;
}

bool filter_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.is_string() && has_filter(v.as_string());
}

bool test_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.is_string() && has_test(v.as_string());
}

bool odd_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  if (v.is_undefined()) fail_undefined(v);
  if (!v.is_number() || v.is_float()) throw Error("test '" + name + "' needs an integer");
  int64_t r = v.as_int() % 2;
  return (r != 0) == (name == "odd");
}

bool divisibleby_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  const Value& d = test_arg(name, args, 0);
  if (!v.is_number() || !d.is_number()) throw Error("divisibleby needs numbers");
  if (d.as_float() == 0) throw Error("integer division or modulo by zero");
  return arithmetic("%", v, d).as_float() == 0;
}

bool in_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return contains(test_arg(name, args, 0), v);
}

bool eq_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return v.equals(test_arg(name, args, 0));
}

bool ne_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  return !v.equals(test_arg(name, args, 0));
}

bool sameas_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  const Value& o = test_arg(name, args, 0);
  if (v.is_none() || o.is_none() || v.is_bool() || o.is_bool())
    return v.kind() == o.kind() && v.equals(o);
  return v.kind() == o.kind() && v.equals(o);
}

bool lt_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  const Limits limits{kMethodLimit};
  return binary_op("<", v, test_arg(name, args, 0), limits).truthy();
}

bool le_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  const Limits limits{kMethodLimit};
  return binary_op("<=", v, test_arg(name, args, 0), limits).truthy();
}

bool gt_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  const Limits limits{kMethodLimit};
  return binary_op(">", v, test_arg(name, args, 0), limits).truthy();
}

bool ge_test([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& v,
                [[maybe_unused]] const CallArgs& args) {
  const Limits limits{kMethodLimit};
  return binary_op(">=", v, test_arg(name, args, 0), limits).truthy();
}

using TestFn = bool (*)(const std::string& name, const Value& v, const CallArgs& args);

// Every test, by name (aliases share a function).
const std::unordered_map<std::string_view, TestFn>& tests() {
  static const std::unordered_map<std::string_view, TestFn> table = {
      {"defined", defined_test},
      {"undefined", undefined_test},
      {"none", none_test},
      {"boolean", boolean_test},
      {"false", false_test},
      {"true", true_test},
      {"integer", integer_test},
      {"float", float_test},
      {"number", number_test},
      {"string", string_test},
      {"mapping", mapping_test},
      {"sequence", sequence_test},
      {"iterable", iterable_test},
      {"callable", callable_test},
      {"lower", lower_test},
      {"upper", upper_test},
      {"escaped", escaped_test},
      {"filter", filter_test},
      {"test", test_test},
      {"odd", odd_test},
      {"even", odd_test},
      {"divisibleby", divisibleby_test},
      {"in", in_test},
      {"eq", eq_test},
      {"equalto", eq_test},
      {"==", eq_test},
      {"ne", ne_test},
      {"!=", ne_test},
      {"sameas", sameas_test},
      {"lt", lt_test},
      {"lessthan", lt_test},
      {"<", lt_test},
      {"le", le_test},
      {"<=", le_test},
      {"gt", gt_test},
      {"greaterthan", gt_test},
      {">", gt_test},
      {"ge", ge_test},
      {">=", ge_test},
  };
  return table;
}

}  // namespace

bool has_test(std::string_view name) { return tests().count(name) != 0; }

bool apply_test(const std::string& name, const Value& v, const CallArgs& args) {
  auto it = tests().find(name);
  if (it == tests().end()) throw Error("unknown test '" + name + "'");
  return it->second(name, v, args);
}

}  // namespace pagoda::jinja
