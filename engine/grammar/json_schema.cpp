#include "engine/grammar/json_schema.h"

#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "engine/grammar/regex.h"
#include "engine/util/error.h"

namespace pagoda::grammar {

namespace {

[[noreturn]] void unsupported(const std::string& keyword, const std::string& why = "") {
  throw InvalidArgument("JSON schema keyword '" + keyword + "' is not supported" +
                        (why.empty() ? "" : ": " + why));
}

// Keywords whose meaning a regular grammar cannot enforce (or that are not implemented).
const char* const kRefused[] = {
    "patternProperties", "propertyNames", "dependentRequired", "dependentSchemas",
    "dependencies",      "unevaluatedProperties", "unevaluatedItems", "if", "then", "else",
    "not",               "contains", "minContains", "maxContains", "multipleOf",
    "$dynamicRef",       "$recursiveRef"};

constexpr int64_t kIntLimit = 9'999'999'999'999'999;  // kMaxIntegerDigits nines

class SchemaCompiler {
 public:
  SchemaCompiler(NfaBuilder& b, const OrderedJson& root) : b_(b), root_(root) {}

  Frag value(const OrderedJson& s, int depth) {
    if (s.is_boolean()) {
      if (!s.get<bool>()) throw InvalidArgument("JSON schema 'false' matches nothing");
      return any_value(depth);
    }
    if (!s.is_object()) throw InvalidArgument("a JSON schema must be an object or a boolean");
    for (const char* k : kRefused)
      if (s.contains(k)) unsupported(k);
    if (s.contains("uniqueItems") && s["uniqueItems"] == true) unsupported("uniqueItems");
    if (s.contains("$ref")) return ref(s, depth);
    if (s.contains("allOf")) {
      const OrderedJson& all = s["allOf"];
      if (!all.is_array() || all.size() != 1) unsupported("allOf", "only a single schema");
      return value(merge(s, "allOf", all[0]), depth);
    }
    for (const char* k : {"anyOf", "oneOf"})
      if (s.contains(k)) {
        const OrderedJson& alts = s[k];
        if (!alts.is_array() || alts.empty()) throw InvalidArgument(std::string("'") + k +
                                                                    "' must be a non-empty list");
        std::vector<Frag> parts;
        for (const OrderedJson& a : alts) parts.push_back(value(merge(s, k, a), depth));
        return b_.alt(parts);
      }
    if (s.contains("const")) return b_.literal(s["const"].dump());
    if (s.contains("enum")) {
      const OrderedJson& e = s["enum"];
      if (!e.is_array() || e.empty()) throw InvalidArgument("'enum' must be a non-empty list");
      std::vector<Frag> parts;
      for (const OrderedJson& v : e) parts.push_back(b_.literal(v.dump()));
      return b_.alt(parts);
    }
    auto t = s.find("type");
    if (t == s.end()) {
      if (s.contains("properties") || s.contains("required") ||
          s.contains("additionalProperties"))
        return typed(s, "object", depth);
      if (s.contains("items") || s.contains("prefixItems")) return typed(s, "array", depth);
      if (s.contains("minLength") || s.contains("maxLength") || s.contains("pattern"))
        return typed(s, "string", depth);
      return any_value(depth);
    }
    if (t->is_string()) return typed(s, t->get<std::string>(), depth);
    if (t->is_array() && !t->empty()) {
      std::vector<Frag> parts;
      for (const OrderedJson& name : *t) {
        if (!name.is_string()) throw InvalidArgument("'type' must hold type names");
        parts.push_back(typed(s, name.get<std::string>(), depth));
      }
      return b_.alt(parts);
    }
    throw InvalidArgument("'type' must be a type name or a list of them");
  }

  Frag any_object(int depth) {
    return object_of({}, {}, OrderedJson(true), true, depth);
  }

 private:
  // The parent's keywords without `drop`, overlaid with sub's: an alternative or $ref target
  // keeps the constraints written beside it.
  static OrderedJson merge(const OrderedJson& parent, const char* drop, const OrderedJson& sub) {
    OrderedJson out = OrderedJson::object();
    for (auto& [k, v] : parent.items())
      if (k != drop && k != "$defs" && k != "definitions") out[k] = v;
    if (sub.is_boolean()) {
      if (!sub.get<bool>()) throw InvalidArgument("JSON schema 'false' matches nothing");
      return out;
    }
    if (!sub.is_object()) throw InvalidArgument("a JSON schema must be an object or a boolean");
    for (auto& [k, v] : sub.items()) out[k] = v;
    return out;
  }

  Frag ref(const OrderedJson& s, int depth) {
    const OrderedJson& r = s["$ref"];
    if (!r.is_string()) throw InvalidArgument("'$ref' must be a string");
    const std::string path = r.get<std::string>();
    if (path.empty() || path[0] != '#')
      unsupported("$ref", "only references inside the schema (#/$defs/...) are supported");
    const OrderedJson* target = nullptr;
    try {
      target = &root_.at(OrderedJson::json_pointer(path.substr(1)));
    } catch (const OrderedJson::exception&) {
      throw InvalidArgument("'$ref' " + path + " does not resolve inside the schema");
    }
    int& active = ref_depth_[path];
    if (active >= kMaxRefDepth) {
      ref_truncated_ = true;
      return b_.nothing();  // this branch would recurse deeper than the bound
    }
    ++active;
    Frag f = value(merge(s, "$ref", *target), depth);
    --ref_depth_[path];
    return f;
  }

 public:
  bool ref_truncated() const { return ref_truncated_; }

 private:
  Frag typed(const OrderedJson& s, const std::string& type, int depth) {
    if (type == "object") return object(s, depth);
    if (type == "array") return array(s, depth);
    if (type == "string") return string(s);
    if (type == "integer") return integer(s);
    if (type == "number") return number(s);
    if (type == "boolean") return b_.alt({b_.literal("true"), b_.literal("false")});
    if (type == "null") return b_.literal("null");
    throw InvalidArgument("unknown JSON schema type '" + type + "'");
  }

  Frag ws() {
    return b_.repeat([&] { return b_.code_point_set({{'\t', '\n'}, {' ', ' '}}); }, 0,
                     kMaxWhitespace);
  }
  Frag punct(const char* p) { return b_.seq(b_.seq(ws(), b_.literal(p)), ws()); }

  Frag any_value(int depth) {
    std::vector<Frag> parts = {string_of(0, -1), number_of(), b_.literal("true"),
                               b_.literal("false"), b_.literal("null")};
    if (depth > 0) {
      parts.push_back(any_object(depth - 1));
      parts.push_back(array_of({}, OrderedJson(true), 0, -1, depth - 1));
    }
    return b_.alt(parts);
  }

  // One JSON string character (a code point, or an escape) as the decoded string counts them.
  Frag string_char() {
    std::vector<Frag> parts;
    parts.push_back(b_.code_point_set({{0x20, 0x21}, {0x23, 0x5B}, {0x5D, 0x10FFFF}}));
    Frag esc = b_.literal("\\");
    std::vector<Frag> kinds;
    for (char c : std::string("\"\\/bfnrt")) kinds.push_back(b_.literal(std::string(1, c)));
    // \uXXXX without surrogates: the decoded string stays valid Unicode.
    auto hex = [&] { return b_.code_point_set({{'0', '9'}, {'A', 'F'}, {'a', 'f'}}); };
    auto seqs = [&](std::vector<Frag> fs) {
      Frag f = b_.empty();
      for (Frag x : fs) f = b_.seq(f, x);
      return f;
    };
    kinds.push_back(seqs({b_.literal("u"), b_.code_point_set({{'0', '9'}, {'A', 'C'}, {'a', 'c'}}),
                          hex(), hex(), hex()}));
    kinds.push_back(seqs({b_.literal("u"), b_.code_point_set({{'D', 'D'}, {'d', 'd'}}),
                          b_.code_point_set({{'0', '7'}}), hex(), hex()}));
    kinds.push_back(seqs({b_.literal("u"), b_.code_point_set({{'E', 'F'}, {'e', 'f'}}), hex(),
                          hex(), hex()}));
    parts.push_back(b_.seq(esc, b_.alt(kinds)));
    return b_.alt(parts);
  }

  Frag string_of(int min, int max) {
    Frag body = b_.repeat([&] { return string_char(); }, min, max);
    return b_.seq(b_.seq(b_.literal("\""), body), b_.literal("\""));
  }

  static int count(const OrderedJson& s, const char* key, int fallback) {
    auto it = s.find(key);
    if (it == s.end() || it->is_null()) return fallback;
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 100000)
      throw InvalidArgument(std::string("'") + key + "' must be a non-negative integer");
    return static_cast<int>(it->get<int64_t>());
  }

  Frag string(const OrderedJson& s) {
    const int min = count(s, "minLength", 0), max = count(s, "maxLength", -1);
    if (max >= 0 && max < min) throw InvalidArgument("'maxLength' is below 'minLength'");
    if (max > 4096) unsupported("maxLength", "at most 4096");
    if (auto p = s.find("pattern"); p != s.end()) {
      if (!p->is_string()) throw InvalidArgument("'pattern' must be a string");
      if (s.contains("minLength") || s.contains("maxLength"))
        unsupported("pattern", "together with minLength/maxLength");
      Frag body = build_regex(b_, parse_regex(p->get<std::string>()), CharEncoding::JsonString);
      return b_.seq(b_.seq(b_.literal("\""), body), b_.literal("\""));
    }
    if (auto f = s.find("format"); f != s.end() && f->is_string() && !s.contains("minLength") &&
                                   !s.contains("maxLength")) {
      static const std::map<std::string, std::string> kFormats = {
          {"date", R"([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))"},
          {"time", R"(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2}))"},
          {"date-time",
           R"([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2}))"},
          {"uuid", R"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"}};
      if (auto it = kFormats.find(f->get<std::string>()); it != kFormats.end()) {
        Frag body = build_regex(b_, parse_regex(it->second), CharEncoding::JsonString);
        return b_.seq(b_.seq(b_.literal("\""), body), b_.literal("\""));
      }
    }
    return string_of(min, max);
  }

  Frag digits(int min, int max) {
    return b_.repeat([&] { return b_.byte_range('0', '9'); }, min, max);
  }

  Frag number_of() {
    Frag f = b_.seq(b_.optional(b_.literal("-")), unbounded_integer_digits());
    f = b_.seq(f, b_.optional(b_.seq(b_.literal("."), digits(1, kMaxFractionDigits))));
    Frag exp = b_.seq(b_.code_point_set({{'E', 'E'}, {'e', 'e'}}),
                      b_.optional(b_.code_point_set({{'+', '+'}, {'-', '-'}})));
    return b_.seq(f, b_.optional(b_.seq(exp, digits(1, 3))));
  }

  Frag unbounded_integer_digits() {
    return b_.alt({b_.literal("0"), b_.seq(b_.byte_range('1', '9'),
                                           digits(0, kMaxIntegerDigits - 1))});
  }

  // Decimal strings of equal length in [lo, hi].
  Frag digit_range(const std::string& lo, const std::string& hi) {
    const size_t n = lo.size();
    if (lo.find_first_not_of('0') == std::string::npos &&
        hi.find_first_not_of('9') == std::string::npos)
      return digits(static_cast<int>(n), static_cast<int>(n));
    if (n == 1) return b_.byte_range(lo[0], hi[0]);
    if (lo[0] == hi[0])
      return b_.seq(b_.literal(lo.substr(0, 1)), digit_range(lo.substr(1), hi.substr(1)));
    std::vector<Frag> parts;
    parts.push_back(b_.seq(b_.literal(lo.substr(0, 1)),
                           digit_range(lo.substr(1), std::string(n - 1, '9'))));
    if (hi[0] - lo[0] >= 2)
      parts.push_back(b_.seq(b_.byte_range(lo[0] + 1, hi[0] - 1),
                             digits(static_cast<int>(n - 1), static_cast<int>(n - 1))));
    parts.push_back(b_.seq(b_.literal(hi.substr(0, 1)),
                           digit_range(std::string(n - 1, '0'), hi.substr(1))));
    return b_.alt(parts);
  }

  // Non-negative integers in [lo, hi], without leading zeros.
  Frag natural_range(int64_t lo, int64_t hi) {
    std::vector<Frag> parts;
    int64_t low = 0, high = 9;
    for (int len = 1; len <= kMaxIntegerDigits; ++len) {
      const int64_t a = std::max(lo, low), z = std::min(hi, high);
      if (a <= z) {
        const std::string za = std::to_string(a), zz = std::to_string(z);
        parts.push_back(digit_range(za, zz));
      }
      if (high >= kIntLimit) break;
      low = high + 1;
      high = high * 10 + 9;
    }
    if (parts.empty()) return b_.nothing();
    return b_.alt(parts);
  }

  Frag integer_range(int64_t lo, int64_t hi) {
    std::vector<Frag> parts;
    if (lo < 0) {
      const int64_t a = hi < 0 ? -hi : 1;
      if (a <= -lo) parts.push_back(b_.seq(b_.literal("-"), natural_range(a, -lo)));
    }
    if (hi >= 0) parts.push_back(natural_range(std::max<int64_t>(lo, 0), hi));
    if (parts.empty()) throw InvalidArgument("the schema's 'minimum'/'maximum' leave no integer");
    return b_.alt(parts);
  }

  // The integer bounds a schema sets, clamped to the digits the grammar writes.
  struct Bounds {
    int64_t lo = -kIntLimit, hi = kIntLimit;
    bool given = false;
  };
  static Bounds bounds(const OrderedJson& s) {
    Bounds r;
    auto num = [&](const char* key) -> std::optional<double> {
      auto it = s.find(key);
      if (it == s.end() || it->is_null()) return std::nullopt;
      if (!it->is_number()) throw InvalidArgument(std::string("'") + key + "' must be a number");
      r.given = true;
      return it->get<double>();
    };
    auto clamp = [](double v) {
      return static_cast<int64_t>(std::max<double>(-kIntLimit, std::min<double>(kIntLimit, v)));
    };
    if (auto v = num("minimum")) r.lo = std::max(r.lo, clamp(std::ceil(*v)));
    if (auto v = num("exclusiveMinimum")) r.lo = std::max(r.lo, clamp(std::floor(*v) + 1));
    if (auto v = num("maximum")) r.hi = std::min(r.hi, clamp(std::floor(*v)));
    if (auto v = num("exclusiveMaximum")) r.hi = std::min(r.hi, clamp(std::ceil(*v) - 1));
    return r;
  }

  Frag integer(const OrderedJson& s) {
    const Bounds r = bounds(s);
    if (!r.given) return b_.seq(b_.optional(b_.literal("-")), unbounded_integer_digits());
    if (r.lo > r.hi) throw InvalidArgument("the schema's 'minimum'/'maximum' leave no integer");
    return integer_range(r.lo, r.hi);
  }

  // Bounded numbers: the integers in range, plus k.ddd for non-negative k with [k, k+1) inside
  // the range (a subset of the valid numbers, always valid).
  Frag number(const OrderedJson& s) {
    const Bounds r = bounds(s);
    if (!r.given) return number_of();
    if (r.lo > r.hi) throw InvalidArgument("the schema's 'minimum'/'maximum' leave no integer");
    std::vector<Frag> parts = {integer_range(r.lo, r.hi)};
    const int64_t k_lo = std::max<int64_t>(r.lo, 0), k_hi = r.hi - 1;
    if (k_lo <= k_hi)
      parts.push_back(b_.seq(natural_range(k_lo, k_hi),
                             b_.seq(b_.literal("."), digits(1, kMaxFractionDigits))));
    return b_.alt(parts);
  }

  Frag object(const OrderedJson& s, int depth) {
    std::vector<std::pair<std::string, OrderedJson>> props;
    std::set<std::string> required;
    if (auto r = s.find("required"); r != s.end()) {
      if (!r->is_array()) throw InvalidArgument("'required' must be a list of names");
      for (const OrderedJson& n : *r) {
        if (!n.is_string()) throw InvalidArgument("'required' must be a list of names");
        required.insert(n.get<std::string>());
      }
    }
    std::set<std::string> seen;
    if (auto p = s.find("properties"); p != s.end()) {
      if (!p->is_object()) throw InvalidArgument("'properties' must be an object");
      for (auto& [k, v] : p->items()) {
        props.emplace_back(k, v);
        seen.insert(k);
      }
    }
    for (const auto& name : required)
      if (!seen.count(name)) props.emplace_back(name, OrderedJson(true));
    OrderedJson extra = OrderedJson(false);
    if (auto a = s.find("additionalProperties"); a != s.end()) {
      extra = *a;
    } else if (props.empty()) {
      extra = OrderedJson(true);  // {"type": "object"}: any object
    }
    if (extra.is_object() && extra.empty()) extra = OrderedJson(true);
    const int min_props = count(s, "minProperties", 0), max_props = count(s, "maxProperties", -1);
    if (min_props > static_cast<int>(required.size()))
      unsupported("minProperties", "above the number of required properties");
    int extra_limit = -1;  // extra members at most (-1: unbounded)
    if (max_props >= 0) {
      if (max_props < static_cast<int>(props.size()))
        unsupported("maxProperties", "below the number of declared properties");
      extra_limit = max_props - static_cast<int>(props.size());  // as if all declared appear
      if (extra_limit == 0) extra = OrderedJson(false);
    }
    std::vector<bool> is_required;
    for (const auto& [name, v] : props) is_required.push_back(required.count(name) > 0);
    return object_of(props, is_required, extra, props.empty(), depth, extra_limit);
  }

  // Names of extra properties: ASCII words that differ from every declared name, so that a
  // duplicate key can never override a declared property.
  Frag extra_key(const std::vector<std::pair<std::string, OrderedJson>>& props) {
    auto word_byte = [](unsigned char c) {
      return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
             c == '_' || c == '-';
    };
    constexpr int kMaxExtraKey = 24;
    struct Node {
      std::map<unsigned char, int> next;
      bool name = false;
      int32_t state = -1;
    };
    std::vector<Node> trie(1);
    for (const auto& [name, v] : props) {
      bool word = !name.empty() && name.size() < kMaxExtraKey;
      for (unsigned char c : name) word = word && word_byte(c);
      if (!word) continue;
      int at = 0;
      for (unsigned char c : name) {
        auto it = trie[at].next.find(c);
        if (it == trie[at].next.end()) {
          trie[at].next[c] = static_cast<int>(trie.size());
          at = static_cast<int>(trie.size());
          trie.emplace_back();
        } else {
          at = it->second;
        }
      }
      trie[at].name = true;
    }
    Frag open = b_.literal("\"");
    const int32_t close = b_.add_state();
    Frag closing = b_.literal("\"");
    b_.link(close, closing.start);
    // Once the key leaves the trie it is new: any word bytes, bounded in length.
    Frag free_tail = b_.repeat([&] { return word_class(); }, 0, kMaxExtraKey);
    b_.link(free_tail.end, close);
    for (auto& n : trie) n.state = b_.add_state();
    b_.link(open.end, trie[0].state);
    for (size_t i = 0; i < trie.size(); ++i) {
      const Node& n = trie[i];
      if (i != 0 && !n.name) b_.link(n.state, close);
      for (int c = 0; c < 256; ++c) {
        if (!word_byte(static_cast<unsigned char>(c))) continue;
        auto it = n.next.find(static_cast<unsigned char>(c));
        Frag step = b_.byte_range(static_cast<uint8_t>(c), static_cast<uint8_t>(c));
        b_.link(n.state, step.start);
        b_.link(step.end, it != n.next.end() ? trie[it->second].state : free_tail.start);
      }
    }
    return {open.start, closing.end};
  }
  Frag word_class() {
    return b_.code_point_set({{'-', '-'}, {'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}});
  }

  // "{" members "}" where declared properties come in order (required ones always), then any
  // number of extra ones when `extra` is not false. Frontiers: `none` = nothing written yet,
  // `some` = at least one member written (the next one needs a comma).
  Frag object_of(const std::vector<std::pair<std::string, OrderedJson>>& props,
                 const std::vector<bool>& required, const OrderedJson& extra, bool any_keys,
                 int depth, int extra_limit = -1) {
    Frag open = b_.seq(b_.literal("{"), ws());
    int32_t none = open.end, some = -1;
    auto enter = [&](int32_t none_from, int32_t some_from) {
      const int32_t s = b_.add_state();
      if (none_from >= 0) b_.link(none_from, s);
      if (some_from >= 0) {
        Frag sep = punct(",");
        b_.link(some_from, sep.start);
        b_.link(sep.end, s);
      }
      return s;
    };
    auto join = [&](int32_t a, int32_t c) {
      if (a < 0) return c;
      if (c < 0) return a;
      const int32_t s = b_.add_state();
      b_.link(a, s);
      b_.link(c, s);
      return s;
    };
    for (size_t i = 0; i < props.size(); ++i) {
      const int32_t s = enter(none, some);
      Frag member = b_.seq(b_.literal(OrderedJson(props[i].first).dump()), punct(":"));
      member = b_.seq(member, value(props[i].second, depth));
      b_.link(s, member.start);
      if (required[i]) {
        none = -1;
        some = member.end;
      } else {
        some = join(some, member.end);
      }
    }
    if (extra != OrderedJson(false)) {
      const int32_t s = enter(none, some);
      auto member = [&] {
        Frag key = any_keys ? string_of(0, -1) : extra_key(props);
        return b_.seq(b_.seq(key, punct(":")), value(extra, depth));
      };
      Frag first = member();
      b_.link(s, first.start);
      if (extra_limit < 0) {  // one copy, looped: any-JSON values nest without blowing up
        Frag again = punct(",");
        b_.link(first.end, again.start);
        b_.link(again.end, first.start);
        some = join(some, first.end);
      } else {
        Frag more = b_.repeat([&] { return b_.seq(punct(","), member()); }, 0, extra_limit - 1);
        b_.link(first.end, more.start);
        some = join(some, more.end);
      }
    }
    Frag close = b_.seq(ws(), b_.literal("}"));
    if (none >= 0) b_.link(none, close.start);
    if (some >= 0) b_.link(some, close.start);
    return {open.start, close.end};
  }

  Frag array(const OrderedJson& s, int depth) {
    std::vector<OrderedJson> prefix;
    if (auto p = s.find("prefixItems"); p != s.end()) {
      if (!p->is_array()) throw InvalidArgument("'prefixItems' must be a list of schemas");
      prefix.assign(p->begin(), p->end());
    }
    OrderedJson items = s.value("items", OrderedJson(true));
    if (items.is_array()) {  // draft-04 tuple form
      prefix.assign(items.begin(), items.end());
      items = s.value("additionalItems", OrderedJson(true));
    }
    int min = count(s, "minItems", 0), max = count(s, "maxItems", -1);
    if (max >= 0 && max < min) throw InvalidArgument("'maxItems' is below 'minItems'");
    if (items == OrderedJson(false)) {
      const int k = static_cast<int>(prefix.size());
      if (min > k) throw InvalidArgument("'minItems' needs more items than 'prefixItems' allows");
      max = max < 0 ? k : std::min(max, k);
    }
    if (max > 1024 || min > 1024) unsupported("maxItems", "at most 1024");
    return array_of(prefix, items, min, max, depth);
  }

  Frag array_of(const std::vector<OrderedJson>& prefix, const OrderedJson& items, int min,
                int max, int depth) {
    const int k = static_cast<int>(prefix.size());
    auto element = [&](int i) {
      Frag e = value(i < k ? prefix[i] : items, depth);
      return i == 0 ? e : b_.seq(punct(","), e);
    };
    Frag body = b_.empty();
    for (int i = 0; i < min; ++i) body = b_.seq(body, element(i));
    // Optional elements from the end inwards: e_min (e_min+1 (...)?)?
    const int explicit_end = max >= 0 ? max : std::max(min, k);
    Frag rest = b_.empty();
    if (max < 0) {
      const int j = std::max(min, k);
      rest = j == 0 ? b_.optional(b_.seq(element(0), b_.star(element(1))))
                    : b_.star(element(j));
    }
    for (int i = explicit_end - 1; i >= min; --i) rest = b_.optional(b_.seq(element(i), rest));
    body = b_.seq(body, rest);
    Frag open = b_.seq(b_.literal("["), ws());
    return b_.seq(b_.seq(open, body), b_.seq(ws(), b_.literal("]")));
  }

  NfaBuilder& b_;
  const OrderedJson& root_;
  std::map<std::string, int> ref_depth_;
  bool ref_truncated_ = false;
};

}  // namespace

Frag build_json_schema(NfaBuilder& b, const OrderedJson& schema, bool* recursion_cut) {
  SchemaCompiler c(b, schema);
  Frag f = c.value(schema, kAnyJsonDepth);
  if (recursion_cut) *recursion_cut = c.ref_truncated();
  return f;
}

Frag build_any_json_object(NfaBuilder& b) {
  SchemaCompiler c(b, OrderedJson::object());
  return c.any_object(kAnyJsonDepth);
}

}  // namespace pagoda::grammar
