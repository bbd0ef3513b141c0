// The built-in filters of Jinja2, as transformers' chat templates use them: one table of
// filters by name (aliases share an entry).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

#include "engine/jinja/builtins_internal.h"
#include "engine/util/error.h"

namespace pagoda::jinja {

using namespace detail;

// ---- filters ----

static std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

static ValueList sorted(ValueList items, bool reverse, bool case_sensitive,
                        const std::string& attribute) {
  auto key = [&](const Value& v) {
    return fold_case(attribute.empty() ? v : attribute_path(v, attribute), case_sensitive);
  };
  std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
    return reverse ? Value::less(key(b), key(a)) : Value::less(key(a), key(b));
  });
  return items;
}

namespace {

std::string attribute_arg(const CallArgs& a, size_t i) {
  const Value* v = a.get(i, "attribute");
  return (v && !v->is_none()) ? need_string(v, "attribute") : std::string();
}

Value default_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  bool boolean = arg_bool(a, 1, "boolean", false);
  bool use_default = in.is_undefined() || (boolean && !in.truthy());
  if (!use_default) return in;
  const Value* d = a.get(0, "default_value");
  return d ? *d : Value(std::string());
}

Value length_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  return Value(length(in));
}

Value tojson_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  if (in.is_undefined()) throw Error("Object of type Undefined is not JSON serializable");
  return json_filter(in, a);
}

Value safe_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  return in;
}

Value string_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  return Value(in.str());
}

Value items_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  if (in.is_undefined()) return Value::list();
  if (!in.is_dict()) throw Error("items filter needs a mapping, not " + in.type_name());
  return dict_items(in);
}

Value list_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  return Value::list(iterate(in));
}

Value first_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  ValueList items = iterate(in);
  if (items.empty()) return Value::undefined("No " + name + " item, sequence was empty.");
  return name == "first" ? items.front() : items.back();
}

Value reverse_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  if (in.is_string()) {
    auto cps = code_points(in.as_string());
    std::string out;
    for (auto it = cps.rbegin(); it != cps.rend(); ++it) out += *it;
    return Value(std::move(out));
  }
  ValueList items = iterate(in);
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

Value join_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  std::string sep = a.get(0, "d") ? a.get(0, "d")->str() : "";
  std::string attribute = attribute_arg(a, 1);
  std::string out;
  bool first = true;
  for (const Value& v : iterate(in)) {
    if (!first) out += sep;
    first = false;
    out += (attribute.empty() ? v : attribute_path(v, attribute)).str();
    if (out.size() > limits.max_items) throw Error("string result too long");
  }
  return Value(std::move(out));
}

Value map_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  ValueList out;
  std::string attribute =
      kwarg(a, "attribute") ? need_string(kwarg(a, "attribute"), "attribute") : "";
  if (!attribute.empty()) {
    const Value* fallback = kwarg(a, "default");
    for (const Value& v : iterate(in)) {
      Value x = attribute_path(v, attribute);
      out.push_back(x.is_undefined() && fallback ? *fallback : x);
    }
    return Value::list(std::move(out));
  }
  if (a.positional.empty()) throw Error("map needs a filter name or attribute=");
  std::string filter = need_string(&a.positional[0], "filter name");
  if (!has_filter(filter)) throw Error("unknown filter '" + filter + "'");
  CallArgs rest;
  rest.positional.assign(a.positional.begin() + 1, a.positional.end());
  rest.keyword = a.keyword;
  for (const Value& v : iterate(in)) out.push_back(apply_filter(filter, v, rest, limits));
  return Value::list(std::move(out));
}

Value select_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  return Value::list(filter_items(in, a, false, true));
}

Value reject_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  return Value::list(filter_items(in, a, false, false));
}

Value selectattr_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  return Value::list(filter_items(in, a, true, true));
}

Value rejectattr_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  return Value::list(filter_items(in, a, true, false));
}

Value attr_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  return get_attribute(in, need_string(a.get(0, "name"), "attribute name"));
}

Value unique_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  bool case_sensitive = arg_bool(a, 0, "case_sensitive", false);
  std::string attribute = attribute_arg(a, 1);
  ValueList out, seen;
  for (const Value& v : iterate(in)) {
    Value key = fold_case(attribute.empty() ? v : attribute_path(v, attribute), case_sensitive);
    if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return s.equals(key); })) {
      seen.push_back(key);
      out.push_back(v);
    }
  }
  return Value::list(std::move(out));
}

Value sort_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  return Value::list(sorted(iterate(in), arg_bool(a, 0, "reverse", false),
                            arg_bool(a, 1, "case_sensitive", false), attribute_arg(a, 2)));
}

Value dictsort_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  if (!in.is_dict()) throw Error("dictsort needs a mapping, not " + in.type_name());
  bool case_sensitive = arg_bool(a, 0, "case_sensitive", false);
  const Value* by = a.get(1, "by");
  bool by_value = by && by->is_string() && by->as_string() == "value";
  bool reverse = arg_bool(a, 2, "reverse", false);
  ValueList items = dict_items(in).as_list();
  std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
    const Value& kx = x.as_list()[by_value ? 1 : 0];
    const Value& ky = y.as_list()[by_value ? 1 : 0];
    return reverse ? Value::less(fold_case(ky, case_sensitive), fold_case(kx, case_sensitive))
                   : Value::less(fold_case(kx, case_sensitive), fold_case(ky, case_sensitive));
  });
  return Value::list(std::move(items));
}

Value max_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  bool case_sensitive = arg_bool(a, 0, "case_sensitive", false);
  std::string attribute = attribute_arg(a, 1);
  ValueList items = iterate(in);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  const Value* best = &items[0];
  for (const Value& v : items) {
    Value kv = fold_case(attribute.empty() ? v : attribute_path(v, attribute), case_sensitive);
    Value kb =
        fold_case(attribute.empty() ? *best : attribute_path(*best, attribute), case_sensitive);
    if (name == "max" ? Value::less(kb, kv) : Value::less(kv, kb)) best = &v;
  }
  return *best;
}

Value sum_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  std::string attribute = attribute_arg(a, 0);
  const Value* start = a.get(1, "start");
  Value total = start ? *start : Value(int64_t{0});
  for (const Value& v : iterate(in))
    total = binary_op("+", total, attribute.empty() ? v : attribute_path(v, attribute), limits);
  return total;
}

Value batch_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  int64_t size = need_int(a.get(0, "linecount"), "linecount");
  if (size <= 0) throw Error("batch size must be positive");
  const Value* fill = a.get(1, "fill_with");
  ValueList out, current;
  for (const Value& v : iterate(in)) {
    current.push_back(v);
    if (static_cast<int64_t>(current.size()) == size) {
      out.push_back(Value::list(std::move(current)));
      current.clear();
    }
  }
  if (!current.empty()) {
    if (fill && !fill->is_none())
      while (static_cast<int64_t>(current.size()) < size) current.push_back(*fill);
    out.push_back(Value::list(std::move(current)));
  }
  return Value::list(std::move(out));
}

Value abs_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  if (!in.is_number()) throw Error("bad operand type for abs(): '" + in.type_name() + "'");
  if (in.is_float()) return Value(std::fabs(in.as_float()));
  if (in.as_int() == INT64_MIN) throw Error("integer overflow");
  return Value(in.as_int() < 0 ? -in.as_int() : in.as_int());
}

Value round_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  if (!in.is_number()) throw Error("round filter needs a number, not " + in.type_name());
  int64_t precision = a.get(0, "precision") ? need_int(a.get(0, "precision"), "precision") : 0;
  std::string method = a.get(1, "method") ? need_string(a.get(1, "method"), "method") : "common";
  if (method == "common") return Value(python_round(in.as_float(), precision));
  double scale = std::pow(10.0, static_cast<double>(std::clamp<int64_t>(precision, -300, 300)));
  double x = in.as_float() * scale;
  if (method == "ceil")
    x = std::ceil(x);
  else if (method == "floor")
    x = std::floor(x);
  else
    throw Error("method must be common, ceil or floor");
  return Value(x / scale);
}

Value int_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  const Value* fallback = a.get(0, "default");
  Value def = fallback ? *fallback : Value(int64_t{0});
  if (in.is_bool() || in.is_int()) return Value(in.as_int());
  if (in.is_float()) {
    double f = in.as_float();
    if (!std::isfinite(f) || std::fabs(f) > 9.2e18) return def;
    return Value(static_cast<int64_t>(f));
  }
  if (in.is_string()) {
    std::string s = py_strip(in.as_string(), nullptr, true, true);
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && end == s.c_str() + s.size() && errno == 0)
      return Value(static_cast<int64_t>(v));
    double f = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size() && std::isfinite(f) && std::fabs(f) < 9.2e18)
      return Value(static_cast<int64_t>(f));
  }
  return def;
}

Value float_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  const Value* fallback = a.get(0, "default");
  Value def = fallback ? *fallback : Value(0.0);
  if (in.is_number()) return Value(in.as_float());
  if (in.is_string()) {
    std::string s = py_strip(in.as_string(), nullptr, true, true);
    char* end = nullptr;
    double f = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) return Value(f);
  }
  return def;
}

Value trim_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  const std::string s = in.str();
  return Value(py_strip(s, a.get(0, "chars"), true, true));
}

Value lower_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  const std::string s = in.str();
  return Value(to_lower(s));
}

Value upper_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  const std::string s = in.str();
  return Value(to_upper(s));
}

Value title_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  const std::string s = in.str();
  return Value(jinja_title(s));
}

Value capitalize_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  const std::string s = in.str();
  return Value(capitalize(s));
}

Value escape_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  const std::string s = in.str();
  return Value(html_escape(s));
}

Value striptags_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  const std::string s = in.str();
  return Value(s);  // chat templates do not use HTML
}

Value wordcount_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  const std::string s = in.str();
  return Value(static_cast<int64_t>(py_split(s, nullptr, -1, false).size()));
}

Value replace_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  const std::string s = in.str();
  const Value* count = a.get(2, "count");
  return Value(py_replace(
      s, need_string(a.get(0, "old"), "old"), a.get(1, "new") ? a.get(1, "new")->str() : "",
      count && !count->is_none() ? need_int(count, "count") : -1, limits.max_items));
}

Value format_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  const std::string s = in.str();
  return Value(percent_format(s, a.positional));
}

Value center_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  const std::string s = in.str();
  int64_t width = a.get(0, "width") ? need_int(a.get(0, "width"), "width") : 80;
  int64_t n = code_point_count(s);
  if (width <= n) return Value(s);
  if (width > static_cast<int64_t>(limits.max_items)) throw Error("width too large");
  int64_t total = width - n, left = total / 2 + (total & width & 1);
  return Value(std::string(static_cast<size_t>(left), ' ') + s +
               std::string(static_cast<size_t>(total - left), ' '));
}

Value indent_filter([[maybe_unused]] const std::string& name, [[maybe_unused]] const Value& in,
    [[maybe_unused]] const CallArgs& a, [[maybe_unused]] const Limits& limits) {
  const std::string s = in.str();
  const Value* width_v = a.get(0, "width");
  std::string pad = width_v && width_v->is_string()
                        ? width_v->as_string()
                        : std::string(static_cast<size_t>(std::clamp<int64_t>(
                                          width_v ? need_int(width_v, "width") : 4, 0, 1024)),
                                      ' ');
  bool first = arg_bool(a, 1, "first", false);
  bool blank = arg_bool(a, 2, "blank", false);
  std::string out;
  size_t start = 0;
  bool first_line = true;
  while (true) {
    size_t nl = s.find('\n', start);
    std::string line = s.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    bool indent_it = first_line ? first : (blank || !line.empty());
    if (indent_it) out += pad;
    out += line;
    if (out.size() > limits.max_items) throw Error("string result too long");
    if (nl == std::string::npos) break;
    out += '\n';
    start = nl + 1;
    first_line = false;
  }
  return Value(std::move(out));
}

using FilterFn = Value (*)(const std::string& name, const Value& in, const CallArgs& a,
                           const Limits& limits);

// Every filter, by name (aliases share a function).
const std::unordered_map<std::string_view, FilterFn>& filters() {
  static const std::unordered_map<std::string_view, FilterFn> table = {
      {"default", default_filter},
      {"d", default_filter},
      {"length", length_filter},
      {"count", length_filter},
      {"tojson", tojson_filter},
      {"safe", safe_filter},
      {"string", string_filter},
      {"items", items_filter},
      {"list", list_filter},
      {"first", first_filter},
      {"last", first_filter},
      {"reverse", reverse_filter},
      {"join", join_filter},
      {"map", map_filter},
      {"select", select_filter},
      {"reject", reject_filter},
      {"selectattr", selectattr_filter},
      {"rejectattr", rejectattr_filter},
      {"attr", attr_filter},
      {"unique", unique_filter},
      {"sort", sort_filter},
      {"dictsort", dictsort_filter},
      {"max", max_filter},
      {"min", max_filter},
      {"sum", sum_filter},
      {"batch", batch_filter},
      {"abs", abs_filter},
      {"round", round_filter},
      {"int", int_filter},
      {"float", float_filter},
      {"trim", trim_filter},
      {"lower", lower_filter},
      {"upper", upper_filter},
      {"title", title_filter},
      {"capitalize", capitalize_filter},
      {"e", escape_filter},
      {"escape", escape_filter},
      {"forceescape", escape_filter},
      {"striptags", striptags_filter},
      {"wordcount", wordcount_filter},
      {"replace", replace_filter},
      {"format", format_filter},
      {"center", center_filter},
      {"indent", indent_filter},
  };
  return table;
}

}  // namespace

bool has_filter(std::string_view name) { return filters().count(name) != 0; }

Value apply_filter(const std::string& name, const Value& in, const CallArgs& a,
                   const Limits& limits) {
  auto it = filters().find(name);
  if (it == filters().end()) throw Error("unknown filter '" + name + "'");
  return it->second(name, in, a, limits);
}

}  // namespace pagoda::jinja
