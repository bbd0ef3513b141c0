#include "engine/grammar/regex.h"

#include <algorithm>

#include "engine/util/error.h"
#include "engine/util/utf8.h"

namespace pagoda::grammar {

namespace {

using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;
constexpr uint32_t kMaxCodePoint = 0x10FFFF;

Ranges normalize(Ranges r) {
  std::sort(r.begin(), r.end());
  Ranges out;
  for (auto [lo, hi] : r) {
    if (!out.empty() && lo <= out.back().second + 1)
      out.back().second = std::max(out.back().second, hi);
    else
      out.emplace_back(lo, hi);
  }
  return out;
}

Ranges complement(const Ranges& r) {
  Ranges out;
  uint32_t next = 0;
  for (auto [lo, hi] : normalize(r)) {
    if (lo > next) out.emplace_back(next, lo - 1);
    next = hi + 1;
  }
  if (next <= kMaxCodePoint) out.emplace_back(next, kMaxCodePoint);
  return out;
}

const Ranges kDigit = {{'0', '9'}};
const Ranges kWord = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
const Ranges kSpace = {{'\t', '\r'}, {' ', ' '}};

class Parser {
 public:
  explicit Parser(std::string_view p) {
    for (size_t i = 0; i < p.size();) {  // decode to code points; bad UTF-8 is an error
      const unsigned char c = p[i];
      const int n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
      if (n == 0 || i + n > p.size() || !utf8::is_valid(p.substr(i, n)))
        throw InvalidArgument("regex: the pattern is not valid UTF-8");
      uint32_t cp = n == 1 ? c : c & (0x7F >> n);
      for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(p[i + k]) & 0x3F);
      cps_.push_back(cp);
      i += n;
    }
  }

  RegexNode parse() {
    if (at('^')) ++pos_;
    RegexNode n = alternation();
    if (pos_ < cps_.size()) fail("unbalanced ')'");
    return n;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw InvalidArgument("regex: " + what + " at position " + std::to_string(pos_));
  }
  bool at(uint32_t c) const { return pos_ < cps_.size() && cps_[pos_] == c; }
  bool done() const { return pos_ >= cps_.size(); }
  uint32_t take() {
    if (done()) fail("unexpected end of pattern");
    return cps_[pos_++];
  }

  RegexNode alternation() {
    RegexNode alt;
    alt.kind = RegexNode::Kind::Alternate;
    alt.children.push_back(concatenation());
    while (at('|')) {
      ++pos_;
      alt.children.push_back(concatenation());
    }
    if (alt.children.size() == 1) return std::move(alt.children[0]);
    return alt;
  }

  RegexNode concatenation() {
    RegexNode cat;
    while (!done() && !at('|') && !at(')')) {
      if (at('$') && pos_ + 1 == cps_.size()) {  // the implicit end anchor
        ++pos_;
        break;
      }
      RegexNode atom_node = atom();
      cat.children.push_back(quantified(std::move(atom_node)));
    }
    return cat;
  }

  int number() {
    int v = 0, digits = 0;
    while (!done() && cps_[pos_] >= '0' && cps_[pos_] <= '9') {
      v = v * 10 + static_cast<int>(cps_[pos_++] - '0');
      if (++digits > 4) fail("repetition count too large");
    }
    return digits ? v : -1;
  }

  RegexNode quantified(RegexNode a) {
    for (;;) {
      int min = 0, max = -1;
      if (at('*')) {
        ++pos_;
      } else if (at('+')) {
        ++pos_;
        min = 1;
      } else if (at('?')) {
        ++pos_;
        max = 1;
      } else if (at('{')) {
        const size_t save = pos_++;
        min = number();
        if (min < 0) {
          pos_ = save;  // a literal '{'
          return a;
        }
        max = min;
        if (at(',')) {
          ++pos_;
          max = number();
        }
        if (!at('}')) fail("malformed {m,n}");
        ++pos_;
        if (max >= 0 && max < min) fail("{m,n} with n < m");
      } else {
        return a;
      }
      if (at('?') || at('+')) ++pos_;  // lazy / possessive: same language
      RegexNode r;
      r.kind = RegexNode::Kind::Repeat;
      r.min = min;
      r.max = max;
      r.children.push_back(std::move(a));
      a = std::move(r);
    }
  }

  static RegexNode set(Ranges r) {
    RegexNode n;
    n.kind = RegexNode::Kind::Set;
    n.ranges = normalize(std::move(r));
    return n;
  }

  uint32_t hex(int digits) {
    uint32_t v = 0;
    for (int i = 0; i < digits; ++i) {
      const uint32_t c = take();
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                             : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) fail("bad hex escape");
      v = v * 16 + static_cast<uint32_t>(d);
    }
    return v;
  }

  // After a backslash: a class (\d ...) into `out`, or a single code point (returned).
  // Returns -1 when a class was produced.
  int64_t escape(Ranges& out) {
    const uint32_t c = take();
    switch (c) {
      case 'd': out = kDigit; return -1;
      case 'D': out = complement(kDigit); return -1;
      case 'w': out = kWord; return -1;
      case 'W': out = complement(kWord); return -1;
      case 's': out = kSpace; return -1;
      case 'S': out = complement(kSpace); return -1;
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'f': return '\f';
      case 'v': return '\v';
      case '0': return 0;
      case 'x': return hex(2);
      case 'u': return hex(4);
      case 'b': case 'B': case 'A': case 'z': case 'Z':
        fail("anchors and word boundaries inside the pattern are not supported");
      default:
        if ((c >= '1' && c <= '9') || c == 'k') fail("backreferences are not supported");
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
          fail(std::string("unknown escape \\") + static_cast<char>(c));
        return c;  // an escaped punctuation character stands for itself
    }
  }

  RegexNode char_class() {
    bool negate = false;
    if (at('^')) {
      negate = true;
      ++pos_;
    }
    Ranges r;
    bool first = true;
    while (first || !at(']')) {
      first = false;
      int64_t lo;
      uint32_t c = take();
      if (c == '[' && at(':')) fail("POSIX classes are not supported");
      if (c == '\\') {
        Ranges cls;
        lo = escape(cls);
        if (lo < 0) {
          r.insert(r.end(), cls.begin(), cls.end());
          continue;
        }
      } else {
        lo = c;
      }
      int64_t hi = lo;
      if (at('-') && pos_ + 1 < cps_.size() && cps_[pos_ + 1] != ']') {
        ++pos_;
        const uint32_t d = take();
        if (d == '\\') {
          Ranges cls;
          hi = escape(cls);
          if (hi < 0) fail("a class cannot end a range");
        } else {
          hi = d;
        }
        if (hi < lo) fail("range out of order");
      }
      r.emplace_back(static_cast<uint32_t>(lo), static_cast<uint32_t>(hi));
    }
    ++pos_;  // ']'
    return set(negate ? complement(r) : r);
  }

  RegexNode atom() {
    const uint32_t c = take();
    switch (c) {
      case '(': {
        if (at('?')) {
          ++pos_;
          if (at(':')) {
            ++pos_;
          } else if (at('<') && pos_ + 1 < cps_.size() && cps_[pos_ + 1] != '=' &&
                     cps_[pos_ + 1] != '!') {
            while (!done() && !at('>')) ++pos_;  // a named group: the name is dropped
            take();
          } else if (at('P') && pos_ + 1 < cps_.size() && cps_[pos_ + 1] == '<') {
            while (!done() && !at('>')) ++pos_;
            take();
          } else {
            fail("lookaround and inline flags are not supported");
          }
        }
        RegexNode inner = alternation();
        if (!at(')')) fail("missing ')'");
        ++pos_;
        return inner;
      }
      case '[':
        return char_class();
      case '.':
        return set(complement({{'\n', '\n'}}));
      case '\\': {
        Ranges cls;
        const int64_t cp = escape(cls);
        return cp < 0 ? set(cls) : set({{static_cast<uint32_t>(cp), static_cast<uint32_t>(cp)}});
      }
      case '*': case '+': case '?':
        fail("nothing to repeat");
      case '^':
        fail("'^' inside the pattern is not supported");
      case '$':
        fail("'$' inside the pattern is not supported");
      default:
        return set({{c, c}});
    }
  }

  std::vector<uint32_t> cps_;
  size_t pos_ = 0;
};

// Code points that a JSON string writes escaped, and their escapes.
std::string json_escape(uint32_t cp) {
  switch (cp) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\t': return "\\t";
    case '\r': return "\\r";
    case '\b': return "\\b";
    case '\f': return "\\f";
    default: {
      static const char* hex = "0123456789abcdef";
      return std::string("\\u00") + hex[cp >> 4] + hex[cp & 15];
    }
  }
}

Frag build_set(NfaBuilder& b, const Ranges& ranges, CharEncoding enc) {
  if (enc == CharEncoding::Raw) return b.code_point_set(ranges);
  Ranges plain;
  std::vector<Frag> parts;
  for (auto [lo, hi] : ranges) {
    for (uint32_t c = lo; c <= std::min<uint32_t>(hi, 0x5C); ++c)
      if (c < 0x20 || c == '"' || c == '\\') parts.push_back(b.literal(json_escape(c)));
    // The rest, minus controls, '"' and '\\'.
    for (auto [a, z] : Ranges{{0x20, 0x21}, {0x23, 0x5B}, {0x5D, kMaxCodePoint}}) {
      const uint32_t l = std::max(lo, a), h = std::min(hi, z);
      if (l <= h) plain.emplace_back(l, h);
    }
  }
  if (!plain.empty()) parts.push_back(b.code_point_set(plain));
  if (parts.empty()) return b.nothing();
  return b.alt(parts);
}

}  // namespace

RegexNode parse_regex(std::string_view pattern) {
  return Parser(pattern).parse();
}

Frag build_regex(NfaBuilder& b, const RegexNode& n, CharEncoding enc) {
  switch (n.kind) {
    case RegexNode::Kind::Set:
      return build_set(b, n.ranges, enc);
    case RegexNode::Kind::Concat: {
      Frag f = b.empty();
      for (const auto& c : n.children) f = b.seq(f, build_regex(b, c, enc));
      return f;
    }
    case RegexNode::Kind::Alternate: {
      std::vector<Frag> parts;
      for (const auto& c : n.children) parts.push_back(build_regex(b, c, enc));
      return b.alt(parts);
    }
    case RegexNode::Kind::Repeat:
      return b.repeat([&] { return build_regex(b, n.children[0], enc); }, n.min, n.max);
  }
  return b.nothing();
}

}  // namespace pagoda::grammar
