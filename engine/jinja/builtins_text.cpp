// str and dict methods and the text helpers of the Jinja builtins, with Python's semantics
// (strings indexed by code point, split/strip/replace/format as CPython does them).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>

#include "engine/jinja/builtins_internal.h"
#include "engine/util/error.h"
#include "engine/util/utf8.h"

namespace pagoda::jinja::detail {

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


// str.splitlines(): \n, \r and \r\n end lines; no empty last line.
ValueList split_lines(const std::string& t) {
  ValueList out;
  size_t start = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '\n' || t[i] == '\r') {
      out.emplace_back(t.substr(start, i - start));
      if (t[i] == '\r' && i + 1 < t.size() && t[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < t.size()) out.emplace_back(t.substr(start));
  return out;
}

// str.isdigit() / isalpha() / isalnum() / isspace() / islower() / isupper() on ASCII.
bool is_char_class(const std::string& name, const std::string& t) {
  if (t.empty()) return false;
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
    if (!ok) return false;
  }
  if (name == "islower" || name == "isupper") return any_cased;
  return true;
}

Value string_method(const Value& s, const std::string& name) {
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
      return Value::list(split_lines(self.as_string()));
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
      return Value(is_char_class(name, self.as_string()));
    });
  }
  return no_attribute(s, name);
}

}  // namespace pagoda::jinja::detail
