#include "jinja/builtins.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>

#include "util/error.h"
#include "util/utf8.h"

namespace pagoda::jinja {
namespace {

// ---- UTF-8: Python indexes strings by code point ----

// Byte offset of each code point, plus the total size at the end.
std::vector<size_t> code_point_offsets(const std::string& s) {
  std::vector<size_t> offsets;
  offsets.reserve(s.size() + 1);
  for (size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) offsets.push_back(i);
  offsets.push_back(s.size());
  return offsets;
}

std::vector<std::string> code_points(const std::string& s) {
  auto off = code_point_offsets(s);
  std::vector<std::string> out;
  out.reserve(off.size() - 1);
  for (size_t i = 0; i + 1 < off.size(); ++i) out.push_back(s.substr(off[i], off[i + 1] - off[i]));
  return out;
}

int64_t code_point_count(const std::string& s) {
  int64_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

int64_t byte_to_code_point_index(const std::string& s, size_t byte) {
  return code_point_count(s.substr(0, byte));
}

bool is_py_space(const std::string& cp) {
  return cp == " " || cp == "\t" || cp == "\n" || cp == "\r" || cp == "\f" || cp == "\v" ||
         cp == "\x1c" || cp == "\x1d" || cp == "\x1e" || cp == "\x1f" || cp == "\xc2\x85" ||
         cp == "\xc2\xa0" || cp == "\xe3\x80\x80";
}

// Simple case mapping (no special casing like German sharp s) for Latin, Greek and Cyrillic.
char32_t lower_cp(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c < 0x80) return c;
  if ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3AB && c != 0x3A2) ||
      (c >= 0x410 && c <= 0x42F))
    return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  if (((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) && c % 2 == 0) return c + 1;
  if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && c % 2 == 1) return c + 1;
  if (c == 0x178) return 0xFF;
  return c;
}

char32_t upper_cp(char32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c < 0x80) return c;
  if ((c >= 0xE0 && c <= 0xFE && c != 0xF7) || (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) ||
      (c >= 0x430 && c <= 0x44F))
    return c - 32;
  if (c == 0x3C2) return 0x3A3;  // final sigma
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  if (((c >= 0x101 && c <= 0x138) || (c >= 0x14B && c <= 0x178)) && c % 2 == 1 && c != 0x131 &&
      c != 0x138)
    return c - 1;
  if (((c >= 0x13A && c <= 0x149) || (c >= 0x17A && c <= 0x17F)) && c % 2 == 0 && c != 0x149 &&
      c != 0x17F)
    return c - 1;
  if (c == 0xFF) return 0x178;
  return c;
}

bool is_cased(char32_t c) {
  return lower_cp(c) != c || upper_cp(c) != c;
}

// Maps each code point of s; malformed bytes pass through unchanged.
template <typename F>
std::string map_code_points(const std::string& s, F&& f) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    size_t len = b < 0x80           ? 1
                 : (b >> 5) == 0x6  ? 2
                 : (b >> 4) == 0xE  ? 3
                 : (b >> 3) == 0x1E ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) {
      out += s[i++];
      continue;
    }
    char32_t cp = len == 1 ? b : (b & (0x7F >> len));
    bool ok = true;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cb = static_cast<unsigned char>(s[i + k]);
      ok = ok && (cb & 0xC0) == 0x80;
      cp = (cp << 6) | (cb & 0x3F);
    }
    if (!ok) {
      out += s[i++];
      continue;
    }
    utf8::append(out, f(cp));
    i += len;
  }
  return out;
}

std::string to_lower(const std::string& s) {
  return map_code_points(s, lower_cp);
}
std::string to_upper(const std::string& s) {
  return map_code_points(s, upper_cp);
}

// str.title(): a cased character after an uncased one starts a word.
std::string py_title(const std::string& s) {
  bool prev_cased = false;
  return map_code_points(s, [&](char32_t c) {
    char32_t r = prev_cased ? lower_cp(c) : upper_cp(c);
    prev_cased = is_cased(c);
    return r;
  });
}

// Jinja's title filter: words start after whitespace, '-', and opening brackets.
std::string jinja_title(const std::string& s) {
  bool word_start = true;
  return map_code_points(s, [&](char32_t c) {
    bool sep = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
               c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
    if (sep) {
      word_start = true;
      return c;
    }
    char32_t r = word_start ? upper_cp(c) : lower_cp(c);
    word_start = false;
    return r;
  });
}

std::string capitalize(const std::string& s) {
  bool first = true;
  return map_code_points(s, [&](char32_t c) {
    char32_t r = first ? upper_cp(c) : lower_cp(c);
    first = false;
    return r;
  });
}

// str.strip(chars): chars is a set of code points; none means whitespace.
std::string py_strip(const std::string& s, const Value* chars, bool left, bool right) {
  auto cps = code_points(s);
  std::vector<std::string> set;
  bool whitespace = !chars || chars->is_none() || chars->is_undefined();
  if (!whitespace) {
    if (!chars->is_string()) throw Error("strip arg must be None or str");
    set = code_points(chars->as_string());
  }
  auto strip_it = [&](const std::string& cp) {
    return whitespace ? is_py_space(cp) : std::find(set.begin(), set.end(), cp) != set.end();
  };
  size_t b = 0, e = cps.size();
  if (left)
    while (b < e && strip_it(cps[b])) ++b;
  if (right)
    while (e > b && strip_it(cps[e - 1])) --e;
  std::string out;
  for (size_t i = b; i < e; ++i) out += cps[i];
  return out;
}

const std::string& need_string(const Value* v, const char* what) {
  if (!v || !v->is_string())
    throw Error(std::string(what) + " must be str, not " + (v ? v->type_name() : "nothing"));
  return v->as_string();
}

int64_t need_int(const Value* v, const char* what) {
  if (!v || !(v->is_int() || v->is_bool()))
    throw Error(std::string(what) + " must be an integer, not " + (v ? v->type_name() : "nothing"));
  return v->as_int();
}

ValueList py_split(const std::string& s, const Value* sep_v, int64_t maxsplit, bool from_right) {
  ValueList out;
  bool whitespace = !sep_v || sep_v->is_none();
  if (whitespace) {
    auto cps = code_points(s);
    std::vector<std::string> words;
    // Split on runs of whitespace; with maxsplit the rest is kept whole (Python).
    if (!from_right) {
      size_t i = 0;
      while (i < cps.size()) {
        while (i < cps.size() && is_py_space(cps[i])) ++i;
        if (i >= cps.size()) break;
        if (maxsplit >= 0 && static_cast<int64_t>(words.size()) == maxsplit) {
          size_t e = cps.size();
          while (e > i && is_py_space(cps[e - 1])) --e;
          std::string rest;
          for (size_t k = i; k < e; ++k) rest += cps[k];
          words.push_back(rest);
          break;
        }
        std::string w;
        while (i < cps.size() && !is_py_space(cps[i])) w += cps[i++];
        words.push_back(w);
      }
    } else {
      size_t i = cps.size();
      while (i > 0) {
        while (i > 0 && is_py_space(cps[i - 1])) --i;
        if (i == 0) break;
        if (maxsplit >= 0 && static_cast<int64_t>(words.size()) == maxsplit) {
          size_t b = 0;
          while (b < i && is_py_space(cps[b])) ++b;
          std::string rest;
          for (size_t k = b; k < i; ++k) rest += cps[k];
          words.push_back(rest);
          break;
        }
        size_t e = i;
        while (i > 0 && !is_py_space(cps[i - 1])) --i;
        std::string w;
        for (size_t k = i; k < e; ++k) w += cps[k];
        words.push_back(w);
      }
      std::reverse(words.begin(), words.end());
    }
    for (auto& w : words) out.emplace_back(std::move(w));
    return out;
  }
  const std::string& sep = need_string(sep_v, "separator");
  if (sep.empty()) throw Error("empty separator");
  std::vector<std::string> parts;
  if (!from_right) {
    size_t start = 0;
    while (true) {
      size_t hit = (maxsplit >= 0 && static_cast<int64_t>(parts.size()) >= maxsplit)
                       ? std::string::npos
                       : s.find(sep, start);
      if (hit == std::string::npos) {
        parts.push_back(s.substr(start));
        break;
      }
      parts.push_back(s.substr(start, hit - start));
      start = hit + sep.size();
    }
  } else {
    size_t end = s.size();
    while (true) {
      size_t hit = std::string::npos;
      if (!(maxsplit >= 0 && static_cast<int64_t>(parts.size()) >= maxsplit) && end >= sep.size())
        hit = s.rfind(sep, end - sep.size());
      if (hit == std::string::npos) {
        parts.push_back(s.substr(0, end));
        break;
      }
      parts.push_back(s.substr(hit + sep.size(), end - hit - sep.size()));
      end = hit;
    }
    std::reverse(parts.begin(), parts.end());
  }
  for (auto& p : parts) out.emplace_back(std::move(p));
  return out;
}

std::string py_replace(const std::string& s, const std::string& old, const std::string& rep,
                       int64_t count, size_t max_items) {
  std::string out;
  int64_t done = 0;
  if (old.empty()) {
    auto cps = code_points(s);
    for (size_t i = 0; i <= cps.size(); ++i) {
      if (count < 0 || done < count) {
        out += rep;
        ++done;
      }
      if (i < cps.size()) out += cps[i];
      if (out.size() > max_items) throw Error("string result too long");
    }
    return out;
  }
  size_t start = 0;
  while (true) {
    size_t hit = (count >= 0 && done >= count) ? std::string::npos : s.find(old, start);
    if (hit == std::string::npos) break;
    out.append(s, start, hit - start);
    out += rep;
    if (out.size() > max_items) throw Error("string result too long");
    start = hit + old.size();
    ++done;
  }
  out.append(s, start, std::string::npos);
  return out;
}

int64_t py_count(const std::string& s, const std::string& sub) {
  if (sub.empty()) return code_point_count(s) + 1;
  int64_t n = 0;
  for (size_t p = s.find(sub); p != std::string::npos; p = s.find(sub, p + sub.size())) ++n;
  return n;
}

// printf-style formatting (str % args and the format filter): %s %r %d %i %f %x %%.
std::string percent_format(const std::string& fmt, const ValueList& args) {
  std::string out;
  size_t next_arg = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    size_t j = i + 1;
    std::string spec = "%";
    while (j < fmt.size() &&
           std::string_view("-+ #0123456789.").find(fmt[j]) != std::string_view::npos)
      spec += fmt[j++];
    if (j >= fmt.size()) throw Error("incomplete format");
    char conv = fmt[j];
    i = j;
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (next_arg >= args.size()) throw Error("not enough arguments for format string");
    const Value& a = args[next_arg++];
    char buf[512];
    switch (conv) {
      case 's':
        out += a.str();
        break;
      case 'r':
        out += a.repr();
        break;
      case 'd':
      case 'i':
        if (!a.is_number()) throw Error("%d format: a number is required, not " + a.type_name());
        std::snprintf(buf, sizeof buf, (spec + "lld").c_str(),
                      static_cast<long long>(a.is_float() ? std::trunc(a.as_float()) : a.as_int()));
        out += buf;
        break;
      case 'x':
      case 'X':
      case 'o':
        if (!a.is_number() || a.is_float()) throw Error("%x format: an integer is required");
        std::snprintf(buf, sizeof buf, (spec + "ll" + conv).c_str(),
                      static_cast<long long>(a.as_int()));
        out += buf;
        break;
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G':
        if (!a.is_number()) throw Error("must be real number, not " + a.type_name());
        std::snprintf(buf, sizeof buf, (spec + conv).c_str(), a.as_float());
        out += buf;
        break;
      default:
        throw Error(std::string("unsupported format character '") + conv + "'");
    }
  }
  if (next_arg < args.size()) throw Error("not all arguments converted during string formatting");
  return out;
}

// str.format: "{}", "{0}", "{name}" (format specs are not supported).
std::string brace_format(const std::string& fmt, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '{' && i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (c == '{') {
      size_t close = fmt.find('}', i);
      if (close == std::string::npos) throw Error("Single '{' encountered in format string");
      std::string field = fmt.substr(i + 1, close - i - 1);
      if (field.find(':') != std::string::npos || field.find('!') != std::string::npos)
        throw Error("format specs in str.format are not supported");
      const Value* v = nullptr;
      if (field.empty()) {
        v = auto_index < args.positional.size() ? &args.positional[auto_index] : nullptr;
        ++auto_index;
      } else if (std::all_of(field.begin(), field.end(),
                             [](char d) { return d >= '0' && d <= '9'; })) {
        size_t idx = std::stoul(field);
        v = idx < args.positional.size() ? &args.positional[idx] : nullptr;
      } else {
        for (const auto& [k, kv] : args.keyword)
          if (k == field) v = &kv;
      }
      if (!v) throw Error("format: missing argument '" + field + "'");
      out += v->str();
      i = close;
    } else if (c == '}') {
      throw Error("Single '}' encountered in format string");
    } else {
      out += c;
    }
  }
  return out;
}

std::string object_desc(const Value& v) {
  if (v.is_none()) return "'None'";
  return "'" + v.type_name() + " object'";
}

Value no_attribute(const Value& obj, const std::string& name) {
  return Value::undefined(object_desc(obj) + " has no attribute '" + name + "'");
}

// Bound methods: Value::callable closing over the receiver.
Value method(const Value& self, const std::string& name,
             std::function<Value(const Value& self, const CallArgs&)> body) {
  return Value::callable(
      name, [self, body = std::move(body)](const CallArgs& a) { return body(self, a); });
}

constexpr size_t kMethodLimit = 64u << 20;

Value string_method(const Value& s, const std::string& name) {
  const std::string& str = s.as_string();
  (void)str;
  if (name == "startswith" || name == "endswith") {
    bool start = name == "startswith";
    return method(s, name, [start](const Value& self, const CallArgs& a) {
      const Value* arg = a.get(0, "prefix");
      if (!arg) throw Error("startswith/endswith takes a prefix");
      ValueList options = arg->is_tuple() || arg->is_list() ? arg->as_list() : ValueList{*arg};
      const std::string& text = self.as_string();
      for (const Value& o : options) {
        const std::string& p = need_string(&o, "prefix");
        if (p.size() > text.size()) continue;
        if (start ? text.compare(0, p.size(), p) == 0
                  : text.compare(text.size() - p.size(), p.size(), p) == 0)
          return Value(true);
      }
      return Value(false);
    });
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    bool left = name != "rstrip", right = name != "lstrip";
    return method(s, name, [left, right](const Value& self, const CallArgs& a) {
      return Value(py_strip(self.as_string(), a.get(0, "chars"), left, right));
    });
  }
  if (name == "split" || name == "rsplit") {
    bool from_right = name == "rsplit";
    return method(s, name, [from_right](const Value& self, const CallArgs& a) {
      const Value* maxsplit = a.get(1, "maxsplit");
      return Value::list(py_split(self.as_string(), a.get(0, "sep"),
                                  maxsplit ? need_int(maxsplit, "maxsplit") : -1, from_right));
    });
  }
  if (name == "splitlines") {
    return method(s, name, [](const Value& self, const CallArgs&) {
      ValueList out;
      const std::string& t = self.as_string();
      size_t start = 0;
      for (size_t i = 0; i < t.size(); ++i) {
        if (t[i] == '\n' || t[i] == '\r') {
          out.emplace_back(t.substr(start, i - start));
          if (t[i] == '\r' && i + 1 < t.size() && t[i + 1] == '\n') ++i;
          start = i + 1;
        }
      }
      if (start < t.size()) out.emplace_back(t.substr(start));
      return Value::list(std::move(out));
    });
  }
  if (name == "lower")
    return method(s, name,
                  [](const Value& v, const CallArgs&) { return Value(to_lower(v.as_string())); });
  if (name == "upper")
    return method(s, name,
                  [](const Value& v, const CallArgs&) { return Value(to_upper(v.as_string())); });
  if (name == "title")
    return method(s, name,
                  [](const Value& v, const CallArgs&) { return Value(py_title(v.as_string())); });
  if (name == "capitalize")
    return method(s, name,
                  [](const Value& v, const CallArgs&) { return Value(capitalize(v.as_string())); });
  if (name == "replace") {
    return method(s, name, [](const Value& self, const CallArgs& a) {
      const Value* count = a.get(2, "count");
      return Value(py_replace(self.as_string(), need_string(a.get(0, "old"), "old"),
                              need_string(a.get(1, "new"), "new"),
                              count ? need_int(count, "count") : -1, kMethodLimit));
    });
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex") {
    bool right = name[0] == 'r';
    bool raise = name.find("index") != std::string::npos;
    return method(s, name, [right, raise](const Value& self, const CallArgs& a) {
      const std::string& t = self.as_string();
      const std::string& sub = need_string(a.get(0, "sub"), "sub");
      size_t hit = right ? t.rfind(sub) : t.find(sub);
      if (hit == std::string::npos) {
        if (raise) throw Error("substring not found");
        return Value(int64_t{-1});
      }
      return Value(byte_to_code_point_index(t, hit));
    });
  }
  if (name == "count") {
    return method(s, name, [](const Value& self, const CallArgs& a) {
      return Value(py_count(self.as_string(), need_string(a.get(0, "sub"), "sub")));
    });
  }
  if (name == "join") {
    return method(s, name, [](const Value& self, const CallArgs& a) {
      const Value* items = a.get(0, "iterable");
      if (!items) throw Error("join() takes exactly one argument");
      std::string out;
      bool first = true;
      for (const Value& v : iterate(*items)) {
        if (!v.is_string())
          throw Error("sequence item: expected str instance, " + v.type_name() + " found");
        if (!first) out += self.as_string();
        first = false;
        out += v.as_string();
      }
      return Value(std::move(out));
    });
  }
  if (name == "format") {
    return method(s, name, [](const Value& self, const CallArgs& a) {
      return Value(brace_format(self.as_string(), a));
    });
  }
  if (name == "isdigit" || name == "isalpha" || name == "isalnum" || name == "isspace" ||
      name == "islower" || name == "isupper") {
    return method(s, name, [name](const Value& self, const CallArgs&) {
      const std::string& t = self.as_string();
      if (t.empty()) return Value(false);
      bool any_cased = false;
      for (char c : t) {
        bool digit = c >= '0' && c <= '9';
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        bool ok = true;
        if (name == "isdigit")
          ok = digit;
        else if (name == "isalpha")
          ok = alpha;
        else if (name == "isalnum")
          ok = digit || alpha;
        else if (name == "isspace")
          ok = c == ' ' || (c >= '\t' && c <= '\r');
        else if (name == "islower")
          ok = !(c >= 'A' && c <= 'Z');
        else
          ok = !(c >= 'a' && c <= 'z');
        any_cased = any_cased || alpha;
        if (!ok) return Value(false);
      }
      if (name == "islower" || name == "isupper") return Value(any_cased);
      return Value(true);
    });
  }
  return no_attribute(s, name);
}

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

}  // namespace

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

// ---- tests ----

static const char* kTests[] = {"defined", "undefined",   "none",     "boolean",  "false",
                               "true",    "integer",     "float",    "number",   "string",
                               "mapping", "sequence",    "iterable", "callable", "odd",
                               "even",    "divisibleby", "in",       "eq",       "equalto",
                               "==",      "ne",          "!=",       "lt",       "lessthan",
                               "<",       "le",          "<=",       "gt",       "greaterthan",
                               ">",       "ge",          ">=",       "sameas",   "lower",
                               "upper",   "escaped",     "filter",   "test"};

bool has_test(std::string_view name) {
  return std::find(std::begin(kTests), std::end(kTests), name) != std::end(kTests);
}

bool apply_test(const std::string& name, const Value& v, const CallArgs& args) {
  auto arg = [&](size_t i) -> const Value& {
    const Value* a = i < args.positional.size() ? &args.positional[i] : nullptr;
    if (!a && !args.keyword.empty()) a = &args.keyword[0].second;
    if (!a) throw Error("test '" + name + "' needs an argument");
    return *a;
  };
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "boolean") return v.is_bool();
  if (name == "false") return v.is_bool() && !v.as_bool();
  if (name == "true") return v.is_bool() && v.as_bool();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "number") return v.is_number();
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.is_dict();
  if (name == "sequence") return v.is_string() || v.is_list() || v.is_dict();
  if (name == "iterable") return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
  if (name == "callable") return v.is_callable();
  if (name == "lower") return v.is_string() && to_lower(v.as_string()) == v.as_string();
  if (name == "upper") return v.is_string() && to_upper(v.as_string()) == v.as_string();
  if (name == "escaped") return false;
  if (name == "filter") return v.is_string() && has_filter(v.as_string());
  if (name == "test") return v.is_string() && has_test(v.as_string());
  if (name == "odd" || name == "even") {
    if (v.is_undefined()) fail_undefined(v);
    if (!v.is_number() || v.is_float()) throw Error("test '" + name + "' needs an integer");
    int64_t r = v.as_int() % 2;
    return (r != 0) == (name == "odd");
  }
  if (name == "divisibleby") {
    const Value& d = arg(0);
    if (!v.is_number() || !d.is_number()) throw Error("divisibleby needs numbers");
    if (d.as_float() == 0) throw Error("integer division or modulo by zero");
    return arithmetic("%", v, d).as_float() == 0;
  }
  if (name == "in") return contains(arg(0), v);
  if (name == "eq" || name == "equalto" || name == "==") return v.equals(arg(0));
  if (name == "ne" || name == "!=") return !v.equals(arg(0));
  if (name == "sameas") {
    const Value& o = arg(0);
    if (v.is_none() || o.is_none() || v.is_bool() || o.is_bool())
      return v.kind() == o.kind() && v.equals(o);
    return v.kind() == o.kind() && v.equals(o);
  }
  Limits limits{kMethodLimit};
  if (name == "lt" || name == "lessthan" || name == "<")
    return binary_op("<", v, arg(0), limits).truthy();
  if (name == "le" || name == "<=") return binary_op("<=", v, arg(0), limits).truthy();
  if (name == "gt" || name == "greaterthan" || name == ">")
    return binary_op(">", v, arg(0), limits).truthy();
  if (name == "ge" || name == ">=") return binary_op(">=", v, arg(0), limits).truthy();
  throw Error("unknown test '" + name + "'");
}

// ---- filters ----

static const char* kFilters[] = {
    "abs",         "attr",     "batch",  "capitalize", "center",     "count",      "d",
    "default",     "dictsort", "e",      "escape",     "first",      "float",      "format",
    "indent",      "int",      "items",  "join",       "last",       "length",     "list",
    "lower",       "map",      "max",    "min",        "reject",     "rejectattr", "replace",
    "reverse",     "round",    "safe",   "select",     "selectattr", "sort",       "string",
    "sum",         "title",    "tojson", "trim",       "unique",     "upper",      "wordcount",
    "forceescape", "striptags"};

bool has_filter(std::string_view name) {
  return std::find(std::begin(kFilters), std::end(kFilters), name) != std::end(kFilters);
}

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

Value apply_filter(const std::string& name, const Value& in, const CallArgs& a,
                   const Limits& limits) {
  auto attribute_arg = [&](size_t i) {
    const Value* v = a.get(i, "attribute");
    return (v && !v->is_none()) ? need_string(v, "attribute") : std::string();
  };
  if (name == "default" || name == "d") {
    bool boolean = arg_bool(a, 1, "boolean", false);
    bool use_default = in.is_undefined() || (boolean && !in.truthy());
    if (!use_default) return in;
    const Value* d = a.get(0, "default_value");
    return d ? *d : Value(std::string());
  }
  if (name == "length" || name == "count") return Value(length(in));
  if (name == "tojson") {
    if (in.is_undefined()) throw Error("Object of type Undefined is not JSON serializable");
    return json_filter(in, a);
  }
  if (name == "safe") return in;
  if (name == "string") return Value(in.str());
  if (name == "items") {
    if (in.is_undefined()) return Value::list();
    if (!in.is_dict()) throw Error("items filter needs a mapping, not " + in.type_name());
    return dict_items(in);
  }
  if (name == "list") return Value::list(iterate(in));
  if (name == "first" || name == "last") {
    ValueList items = iterate(in);
    if (items.empty()) return Value::undefined("No " + name + " item, sequence was empty.");
    return name == "first" ? items.front() : items.back();
  }
  if (name == "reverse") {
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
  if (name == "join") {
    std::string sep = a.get(0, "d") ? a.get(0, "d")->str() : "";
    std::string attribute = attribute_arg(1);
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
  if (name == "map") {
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
  if (name == "select") return Value::list(filter_items(in, a, false, true));
  if (name == "reject") return Value::list(filter_items(in, a, false, false));
  if (name == "selectattr") return Value::list(filter_items(in, a, true, true));
  if (name == "rejectattr") return Value::list(filter_items(in, a, true, false));
  if (name == "attr") return get_attribute(in, need_string(a.get(0, "name"), "attribute name"));
  if (name == "unique") {
    bool case_sensitive = arg_bool(a, 0, "case_sensitive", false);
    std::string attribute = attribute_arg(1);
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
  if (name == "sort") {
    return Value::list(sorted(iterate(in), arg_bool(a, 0, "reverse", false),
                              arg_bool(a, 1, "case_sensitive", false), attribute_arg(2)));
  }
  if (name == "dictsort") {
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
  if (name == "max" || name == "min") {
    bool case_sensitive = arg_bool(a, 0, "case_sensitive", false);
    std::string attribute = attribute_arg(1);
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
  if (name == "sum") {
    std::string attribute = attribute_arg(0);
    const Value* start = a.get(1, "start");
    Value total = start ? *start : Value(int64_t{0});
    for (const Value& v : iterate(in))
      total = binary_op("+", total, attribute.empty() ? v : attribute_path(v, attribute), limits);
    return total;
  }
  if (name == "batch") {
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
  if (name == "abs") {
    if (!in.is_number()) throw Error("bad operand type for abs(): '" + in.type_name() + "'");
    if (in.is_float()) return Value(std::fabs(in.as_float()));
    if (in.as_int() == INT64_MIN) throw Error("integer overflow");
    return Value(in.as_int() < 0 ? -in.as_int() : in.as_int());
  }
  if (name == "round") {
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
  if (name == "int") {
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
  if (name == "float") {
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
  // The remaining filters work on text.
  std::string s = in.str();
  if (name == "trim") return Value(py_strip(s, a.get(0, "chars"), true, true));
  if (name == "lower") return Value(to_lower(s));
  if (name == "upper") return Value(to_upper(s));
  if (name == "title") return Value(jinja_title(s));
  if (name == "capitalize") return Value(capitalize(s));
  if (name == "e" || name == "escape" || name == "forceescape") return Value(html_escape(s));
  if (name == "striptags") return Value(s);  // chat templates do not use HTML
  if (name == "wordcount")
    return Value(static_cast<int64_t>(py_split(s, nullptr, -1, false).size()));
  if (name == "replace") {
    const Value* count = a.get(2, "count");
    return Value(py_replace(
        s, need_string(a.get(0, "old"), "old"), a.get(1, "new") ? a.get(1, "new")->str() : "",
        count && !count->is_none() ? need_int(count, "count") : -1, limits.max_items));
  }
  if (name == "format") return Value(percent_format(s, a.positional));
  if (name == "center") {
    int64_t width = a.get(0, "width") ? need_int(a.get(0, "width"), "width") : 80;
    int64_t n = code_point_count(s);
    if (width <= n) return Value(s);
    if (width > static_cast<int64_t>(limits.max_items)) throw Error("width too large");
    int64_t total = width - n, left = total / 2 + (total & width & 1);
    return Value(std::string(static_cast<size_t>(left), ' ') + s +
                 std::string(static_cast<size_t>(total - left), ' '));
  }
  if (name == "indent") {
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
  throw Error("unknown filter '" + name + "'");
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
