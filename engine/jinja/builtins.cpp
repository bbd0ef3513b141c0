#include "engine/jinja/builtins.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <unordered_map>

#include "engine/jinja/builtins_internal.h"
#include "engine/util/error.h"
#include "engine/util/utf8.h"

namespace pagoda::jinja {
namespace detail {

// ---- dict methods ----

bool is_mutating(const Value& obj, const std::string& name) {
  static const char* kList[] = {"append", "extend",  "insert", "pop",
                                "remove", "reverse", "sort",   "clear"};
  static const char* kDict[] = {"pop", "popitem", "setdefault", "update", "clear"};
  if (obj.is_list()) return std::find(std::begin(kList), std::end(kList), name) != std::end(kList);
  if (obj.is_dict()) return std::find(std::begin(kDict), std::end(kDict), name) != std::end(kDict);
  return false;
}

Value dict_items(const Value& d) {
  ValueList items;
  for (const auto& [k, v] : d.as_dict().entries())
    items.push_back(Value::list({Value(k), v}, true));
  return Value::list(std::move(items));
}

Value dict_method(const Value& d, const std::string& name) {
  if (name == "items")
    return method(d, name, [](const Value& self, const CallArgs&) { return dict_items(self); });
  if (name == "keys") {
    return method(d, name, [](const Value& self, const CallArgs&) {
      ValueList keys;
      for (const auto& e : self.as_dict().entries()) keys.emplace_back(e.first);
      return Value::list(std::move(keys));
    });
  }
  if (name == "values") {
    return method(d, name, [](const Value& self, const CallArgs&) {
      ValueList values;
      for (const auto& e : self.as_dict().entries()) values.push_back(e.second);
      return Value::list(std::move(values));
    });
  }
  if (name == "get") {
    return method(d, name, [](const Value& self, const CallArgs& a) {
      const Value* key = a.get(0, "key");
      if (!key) throw Error("get expected at least 1 argument");
      const Value* fallback = a.get(1, "default");
      const Value* hit = self.as_dict().find(key->is_string() ? key->as_string() : key->str());
      if (hit) return *hit;
      return fallback ? *fallback : Value::none();
    });
  }
  return Value();
}

// ---- numbers ----

Value arithmetic(std::string_view op, const Value& a, const Value& b) {
  if (!a.is_float() && !b.is_float()) {
    int64_t x = a.as_int(), y = b.as_int(), r = 0;
    bool overflow = false;
    if (op == "+")
      overflow = __builtin_add_overflow(x, y, &r);
    else if (op == "-")
      overflow = __builtin_sub_overflow(x, y, &r);
    else if (op == "*")
      overflow = __builtin_mul_overflow(x, y, &r);
    if (overflow) throw Error("integer overflow");
    if (op == "+" || op == "-" || op == "*") return Value(r);
    if (op == "/") {
      if (y == 0) throw Error("division by zero");
      return Value(static_cast<double>(x) / static_cast<double>(y));
    }
    if (op == "//" || op == "%") {
      if (y == 0)
        throw Error(op == "%" ? "integer modulo by zero" : "integer division or modulo by zero");
      if (x == INT64_MIN && y == -1) throw Error("integer overflow");
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        --q;
        m += y;
      }
      return Value(op == "//" ? q : m);
    }
    if (op == "**") {
      if (y < 0) return Value(std::pow(static_cast<double>(x), static_cast<double>(y)));
      int64_t result = 1;
      for (int64_t i = 0; i < y; ++i) {
        if (__builtin_mul_overflow(result, x, &result)) throw Error("integer overflow");
        if (result == 0 || result == 1) break;
        if (result == -1) {
          result = ((y - i - 1) % 2 == 0) ? -1 : 1;
          break;
        }
      }
      return Value(result);
    }
  }
  double x = a.as_float(), y = b.as_float();
  if (op == "+") return Value(x + y);
  if (op == "-") return Value(x - y);
  if (op == "*") return Value(x * y);
  if (op == "/") {
    if (y == 0) throw Error("float division by zero");
    return Value(x / y);
  }
  if (op == "//" || op == "%") {
    if (y == 0) throw Error("float modulo");
    double m = std::fmod(x, y);
    if (m != 0 && ((m < 0) != (y < 0))) m += y;
    if (op == "%") return Value(m);
    return Value(std::floor((x - m) / y + 0.5));
  }
  if (op == "**") return Value(std::pow(x, y));
  throw Error("unknown operator " + std::string(op));
}

Value repeat(const Value& seq, int64_t n, const Limits& limits) {
  size_t max_items = limits.max_items;
  if (n <= 0) return seq.is_string() ? Value(std::string()) : Value::list({}, seq.is_tuple());
  size_t unit = seq.is_string() ? seq.as_string().size() : seq.as_list().size();
  if (unit != 0 && static_cast<uint64_t>(n) > max_items / unit) throw Error("result too long");
  charge(limits, unit * static_cast<size_t>(n));
  if (seq.is_string()) {
    std::string out;
    for (int64_t i = 0; i < n; ++i) out += seq.as_string();
    return Value(std::move(out));
  }
  ValueList out;
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), seq.as_list().begin(), seq.as_list().end());
  return Value::list(std::move(out), seq.is_tuple());
}

[[noreturn]] void unsupported(std::string_view op, const Value& a, const Value& b) {
  throw Error("unsupported operand type(s) for " + std::string(op) + ": '" + a.type_name() +
              "' and '" + b.type_name() + "'");
}

bool contains(const Value& container, const Value& item) {
  if (container.is_undefined()) return false;
  if (container.is_string()) {
    if (!item.is_string())
      throw Error("'in <string>' requires string as left operand, not " + item.type_name());
    return container.as_string().find(item.as_string()) != std::string::npos;
  }
  if (container.is_list()) {
    for (const Value& v : container.as_list())
      if (v.equals(item)) return true;
    return false;
  }
  if (container.is_dict()) {
    if (!item.is_string()) return false;
    return container.as_dict().contains(item.as_string());
  }
  throw Error("argument of type '" + container.type_name() + "' is not iterable");
}

// Python's sort key helpers for the sort/dictsort/unique filters.
Value fold_case(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value(to_lower(v.as_string()));
  return v;
}

Value attribute_path(const Value& item, const std::string& path) {
  Value v = item;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool numeric = !part.empty() && std::all_of(part.begin(), part.end(),
                                                [](char c) { return c >= '0' && c <= '9'; });
    if (v.is_undefined()) return v;
    v = numeric ? get_item(v, Value(static_cast<int64_t>(std::stoll(part))))
                : get_item(v, Value(part));
    if (dot == std::string::npos) return v;
    start = dot + 1;
  }
}

const Value* kwarg(const CallArgs& a, std::string_view name) {
  for (const auto& [k, v] : a.keyword)
    if (k == name) return &v;
  return nullptr;
}

bool arg_bool(const CallArgs& a, size_t i, std::string_view name, bool fallback) {
  const Value* v = a.get(i, name);
  return v ? v->truthy() : fallback;
}

// select/reject/selectattr/rejectattr: args are (test name, test args...) after the input.
ValueList filter_items(const Value& input, const CallArgs& args, bool by_attribute, bool keep) {
  size_t first = 0;
  std::string attribute;
  if (by_attribute) {
    attribute = need_string(args.get(0, "attribute"), "attribute");
    first = 1;
  }
  std::string test;
  CallArgs test_args;
  if (args.positional.size() > first) {
    test = need_string(&args.positional[first], "test name");
    test_args.positional.assign(args.positional.begin() + static_cast<long>(first) + 1,
                                args.positional.end());
  }
  ValueList out;
  for (const Value& item : iterate(input)) {
    Value subject = by_attribute ? attribute_path(item, attribute) : item;
    bool ok = test.empty() ? subject.truthy() : apply_test(test, subject, test_args);
    if (ok == keep) out.push_back(item);
  }
  return out;
}

Value json_filter(const Value& input, const CallArgs& a) {
  const Value* indent_v = a.get(0, "indent");
  int indent = 0;
  bool pretty = false;
  if (indent_v && !indent_v->is_none()) {
    indent = static_cast<int>(std::clamp<int64_t>(need_int(indent_v, "indent"), 0, 64));
    pretty = true;
  }
  std::string item_sep = pretty ? "," : ", ", key_sep = ": ";
  if (const Value* seps = kwarg(a, "separators"); seps && !seps->is_none()) {
    if (!seps->is_list() || seps->as_list().size() != 2) throw Error("separators must be a pair");
    item_sep = need_string(&seps->as_list()[0], "separator");
    key_sep = need_string(&seps->as_list()[1], "separator");
  }
  const Value* sort = kwarg(a, "sort_keys");
  return Value(input.to_json(indent, pretty, item_sep, key_sep, sort && sort->truthy()));
}

// Python's round(x, n): correctly rounded from the exact binary value, ties to even.
double python_round(double x, int64_t precision) {
  if (!std::isfinite(x)) return x;
  if (precision >= 0 && precision <= 300) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(precision), x);
    return std::strtod(buf, nullptr);
  }
  double scale = std::pow(10.0, static_cast<double>(-std::clamp<int64_t>(precision, -300, 0)));
  return std::nearbyint(x / scale) * scale;
}

}  // namespace detail

using namespace detail;

void charge(const Limits& limits, size_t n) {
  if (!limits.work_left) return;
  if (*limits.work_left < n) throw Error("template ran too long (it built too much text)");
  *limits.work_left -= n;
}

[[noreturn]] void fail_undefined(const Value& v) {
  if (v.is_unsafe()) throw Error(v.undefined_hint());
  throw Error(v.undefined_hint());
}

Value unary_op(std::string_view op, const Value& a) {
  if (op == "not") return Value(!a.truthy());
  if (a.is_undefined()) fail_undefined(a);
  if (!a.is_number())
    throw Error("bad operand type for unary " + std::string(op) + ": '" + a.type_name() + "'");
  if (op == "+") return a.is_bool() ? Value(a.as_int()) : a;
  if (a.is_float()) return Value(-a.as_float());
  if (a.as_int() == INT64_MIN) throw Error("integer overflow");
  return Value(-a.as_int());
}

Value binary_op(std::string_view op, const Value& a, const Value& b, const Limits& limits) {
  if (op == "~") {
    std::string out = a.str() + b.str();
    if (out.size() > limits.max_items) throw Error("string result too long");
    charge(limits, out.size());
    return Value(std::move(out));
  }
  if (op == "==") return Value(a.equals(b));
  if (op == "!=") return Value(!a.equals(b));
  if (op == "in" || op == "not in") {
    if (b.is_undefined() && !b.undefined_hint().empty() && b.is_unsafe()) fail_undefined(b);
    return Value(contains(b, a) == (op == "in"));
  }
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  if (op == "<") return Value(Value::less(a, b));
  if (op == ">") return Value(Value::less(b, a));
  if (op == "<=") return Value(!Value::less(b, a));
  if (op == ">=") return Value(!Value::less(a, b));
  if (a.is_number() && b.is_number()) return arithmetic(op, a, b);
  if (op == "+") {
    if (a.is_string() && b.is_string()) {
      if (a.as_string().size() + b.as_string().size() > limits.max_items)
        throw Error("string result too long");
      charge(limits, a.as_string().size() + b.as_string().size());
      return Value(a.as_string() + b.as_string());
    }
    if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
      if (a.as_list().size() + b.as_list().size() > limits.max_items)
        throw Error("list result too long");
      charge(limits, a.as_list().size() + b.as_list().size());
      ValueList out = a.as_list();
      out.insert(out.end(), b.as_list().begin(), b.as_list().end());
      return Value::list(std::move(out), a.is_tuple());
    }
    if (a.is_string() || a.is_list())
      throw Error("can only concatenate " + a.type_name() + " (not \"" + b.type_name() + "\") to " +
                  a.type_name());
    unsupported(op, a, b);
  }
  if (op == "*") {
    if ((a.is_string() || a.is_list()) && (b.is_int() || b.is_bool()))
      return repeat(a, b.as_int(), limits);
    if ((b.is_string() || b.is_list()) && (a.is_int() || a.is_bool()))
      return repeat(b, a.as_int(), limits);
    unsupported(op, a, b);
  }
  if (op == "%" && a.is_string()) {
    ValueList args = b.is_tuple() ? b.as_list() : ValueList{b};
    return Value(percent_format(a.as_string(), args));
  }
  unsupported(op, a, b);
}

Value get_attribute(const Value& obj, const std::string& name) {
  switch (obj.kind()) {
    case Value::Kind::kUndefined:
      fail_undefined(obj);
    case Value::Kind::kString:
      return string_method(obj, name);
    case Value::Kind::kDict: {
      if (is_mutating(obj, name))
        return Value::unsafe("access to attribute '" + name + "' of 'dict' object is unsafe.");
      Value m = dict_method(obj, name);
      if (!m.is_undefined()) return m;
      if (const Value* v = obj.as_dict().find(name)) return *v;
      return no_attribute(obj, name);
    }
    case Value::Kind::kNamespace:
      if (const Value* v = obj.as_dict().find(name)) return *v;
      return no_attribute(obj, name);
    case Value::Kind::kList:
      if (is_mutating(obj, name))
        return Value::unsafe("access to attribute '" + name + "' of '" + obj.type_name() +
                             "' object is unsafe.");
      if (name == "count" || name == "index") {
        bool count = name == "count";
        return method(obj, name, [count](const Value& self, const CallArgs& a) {
          const Value* x = a.get(0, "value");
          if (!x) throw Error("missing argument");
          int64_t n = 0, i = 0;
          for (const Value& v : self.as_list()) {
            if (v.equals(*x)) {
              if (!count) return Value(i);
              ++n;
            }
            ++i;
          }
          if (!count) throw Error(x->repr() + " is not in list");
          return Value(n);
        });
      }
      return no_attribute(obj, name);
    default:
      return no_attribute(obj, name);
  }
}

Value get_item(const Value& obj, const Value& key) {
  if (obj.is_undefined()) fail_undefined(obj);
  if (obj.is_dict() || obj.is_namespace()) {
    std::string k = key.is_string() ? key.as_string() : key.str();
    if (const Value* v = obj.as_dict().find(k)) return *v;
    if (key.is_string() && obj.is_dict()) {
      Value m = dict_method(obj, k);
      if (!m.is_undefined()) return m;
    }
    return Value::undefined(object_desc(obj) + " has no attribute '" + k + "'");
  }
  if (obj.is_list() || obj.is_string()) {
    if (key.is_int() || key.is_bool()) {
      int64_t i = key.as_int();
      if (obj.is_list()) {
        int64_t n = static_cast<int64_t>(obj.as_list().size());
        if (i < 0) i += n;
        if (i < 0 || i >= n)
          return Value::undefined(object_desc(obj) + " has no element " +
                                  std::to_string(key.as_int()));
        return obj.as_list()[static_cast<size_t>(i)];
      }
      auto off = code_point_offsets(obj.as_string());
      int64_t n = static_cast<int64_t>(off.size()) - 1;
      if (i < 0) i += n;
      if (i < 0 || i >= n)
        return Value::undefined(object_desc(obj) + " has no element " +
                                std::to_string(key.as_int()));
      size_t b = off[static_cast<size_t>(i)], e = off[static_cast<size_t>(i) + 1];
      return Value(obj.as_string().substr(b, e - b));
    }
    if (key.is_string()) return get_attribute(obj, key.as_string());
    return Value::undefined(object_desc(obj) + " has no element " + key.repr());
  }
  if (key.is_string()) return get_attribute(obj, key.as_string());
  return Value::undefined(object_desc(obj) + " has no element " + key.repr());
}

Value slice(const Value& obj, const Value* start_v, const Value* stop_v, const Value* step_v) {
  if (obj.is_undefined()) fail_undefined(obj);
  if (!obj.is_list() && !obj.is_string())
    throw Error("'" + obj.type_name() + "' object is not subscriptable");
  auto bound = [](const Value* v, const char* what) -> std::optional<int64_t> {
    if (!v || v->is_none() || v->is_undefined()) return std::nullopt;
    return need_int(v, what);
  };
  int64_t step = bound(step_v, "slice step").value_or(1);
  if (step == 0) throw Error("slice step cannot be zero");
  std::vector<std::string> cps;
  int64_t n = 0;
  if (obj.is_string()) {
    cps = code_points(obj.as_string());
    n = static_cast<int64_t>(cps.size());
  } else {
    n = static_cast<int64_t>(obj.as_list().size());
  }
  // Python's slice.indices()
  auto clamp = [&](std::optional<int64_t> v, int64_t fallback) {
    if (!v) return fallback;
    int64_t x = *v;
    if (x < 0) x += n;
    if (step > 0) return std::clamp<int64_t>(x, 0, n);
    return std::clamp<int64_t>(x, -1, n - 1);
  };
  int64_t start = clamp(bound(start_v, "slice start"), step > 0 ? 0 : n - 1);
  int64_t stop = clamp(bound(stop_v, "slice stop"), step > 0 ? n : -1);
  std::string out_s;
  ValueList out_l;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (obj.is_string())
      out_s += cps[static_cast<size_t>(i)];
    else
      out_l.push_back(obj.as_list()[static_cast<size_t>(i)]);
  }
  if (obj.is_string()) return Value(std::move(out_s));
  return Value::list(std::move(out_l), obj.is_tuple());
}

ValueList iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      if (v.is_unsafe()) fail_undefined(v);
      return {};
    case Value::Kind::kList:
      return v.as_list();
    case Value::Kind::kDict: {
      ValueList keys;
      for (const auto& e : v.as_dict().entries()) keys.emplace_back(e.first);
      return keys;
    }
    case Value::Kind::kString: {
      ValueList out;
      for (auto& cp : code_points(v.as_string())) out.emplace_back(std::move(cp));
      return out;
    }
    default:
      throw Error("'" + v.type_name() + "' object is not iterable");
  }
}

int64_t length(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return 0;
    case Value::Kind::kString:
      return code_point_count(v.as_string());
    case Value::Kind::kList:
      return static_cast<int64_t>(v.as_list().size());
    case Value::Kind::kDict:
      return static_cast<int64_t>(v.as_dict().size());
    default:
      throw Error("object of type '" + v.type_name() + "' has no len()");
  }
}

void add_builtin_globals(Dict& globals, const Limits& limits) {
  size_t max_items = limits.max_items;
  globals.set("range", Value::callable("range", [max_items](const CallArgs& a) {
                int64_t start = 0, stop = 0, step = 1;
                if (a.positional.size() == 1) {
                  stop = need_int(&a.positional[0], "range stop");
                } else if (a.positional.size() >= 2) {
                  start = need_int(&a.positional[0], "range start");
                  stop = need_int(&a.positional[1], "range stop");
                  if (a.positional.size() >= 3) step = need_int(&a.positional[2], "range step");
                } else {
                  throw Error("range expected at least 1 argument");
                }
                if (step == 0) throw Error("range() arg 3 must not be zero");
                ValueList out;
                for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
                  if (out.size() >= max_items) throw Error("range too large");
                  out.emplace_back(i);
                }
                return Value::list(std::move(out));
              }));
  globals.set("namespace", Value::callable("namespace", [](const CallArgs& a) {
                Dict d;
                for (const Value& p : a.positional) {
                  if (!p.is_dict())
                    throw Error("namespace() positional argument must be a mapping");
                  for (const auto& [k, v] : p.as_dict().entries()) d.set(k, v);
                }
                for (const auto& [k, v] : a.keyword) d.set(k, v);
                return Value::namespace_(std::move(d));
              }));
  globals.set("dict", Value::callable("dict", [](const CallArgs& a) {
                Dict d;
                for (const Value& p : a.positional) {
                  if (!p.is_dict()) throw Error("dict() positional argument must be a mapping");
                  for (const auto& [k, v] : p.as_dict().entries()) d.set(k, v);
                }
                for (const auto& [k, v] : a.keyword) d.set(k, v);
                return Value::dict(std::move(d));
              }));
}

}  // namespace pagoda::jinja
