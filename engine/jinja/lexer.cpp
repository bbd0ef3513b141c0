#include "engine/jinja/lexer.h"

#include <cstdint>

#include "engine/jinja/token_cursor.h"
#include "engine/util/error.h"
#include "engine/util/utf8.h"

namespace pagoda::jinja {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c);
}

// Jinja2 reads templates with universal newlines and drops one trailing newline
// (keep_trailing_newline=False).
std::string normalize_newlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

class Lexer {
 public:
  Lexer(std::string_view source, const LexerOptions& options, const std::string& name)
      : src_(normalize_newlines(source)), options_(options), name_(name) {}

  std::vector<Token> run() {
    bool line_starting = true;
    while (pos_ < src_.size()) {
      size_t tag = find_tag(pos_);
      std::string text = src_.substr(pos_, tag - pos_);
      if (tag == src_.size()) {
        emit_text(std::move(text));
        advance_to(tag);
        break;
      }
      char kind = src_[tag + 1];
      char sign = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      if (sign == '-') {
        size_t end = text.find_last_not_of(" \t\n\r\f\v");
        text.resize(end == std::string::npos ? 0 : end + 1);
      } else if (sign != '+' && options_.lstrip_blocks && kind != '{') {
        size_t line_begin = text.rfind('\n');
        line_begin = line_begin == std::string::npos ? 0 : line_begin + 1;
        bool only_space = line_begin < text.size();
        for (size_t i = line_begin; i < text.size(); ++i)
          only_space = only_space && is_space(text[i]);
        if ((line_begin > 0 || line_starting) && only_space) text.resize(line_begin);
      }
      emit_text(std::move(text));
      advance_to(tag);
      size_t body = tag + 2 + ((sign == '-' || sign == '+') ? 1 : 0);
      if (kind == '#') {
        size_t close = src_.find("#}", body);
        if (close == std::string::npos) fail("unexpected end of template: missing end of comment");
        bool strip = close > body && src_[close - 1] == '-';
        bool keep = close > body && src_[close - 1] == '+';
        advance_to(close + 2);
        line_starting = finish_tag(strip, keep, true);
      } else if (kind == '%' && try_raw(body, line_starting)) {
        // raw block emitted
      } else {
        lex_tag(kind == '{', body);
        line_starting = last_tag_consumed_newline_;
      }
    }
    tokens_.push_back({Token::Type::kEnd, "", line_});
    return std::move(tokens_);
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw Error(name_ + " line " + std::to_string(line_) + ": " + message);
  }

  size_t find_tag(size_t from) const {
    for (size_t i = from; i + 1 < src_.size(); ++i) {
      if (src_[i] == '{' && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#'))
        return i;
    }
    return src_.size();
  }

  void advance_to(size_t to) {
    for (size_t i = pos_; i < to && i < src_.size(); ++i)
      if (src_[i] == '\n') ++line_;
    pos_ = to;
  }

  void emit_text(std::string text) {
    if (!text.empty()) tokens_.push_back({Token::Type::kText, std::move(text), line_});
  }

  // After a tag's closing delimiter: "-" strips following whitespace, trim_blocks drops one newline
  // after block and comment tags unless "+" says otherwise. Returns whether a newline was consumed.
  bool finish_tag(bool strip, bool keep, bool is_block) {
    size_t p = pos_;
    if (strip) {
      while (p < src_.size() && is_space(src_[p])) ++p;
    } else if (is_block && !keep && options_.trim_blocks && p < src_.size() && src_[p] == '\n') {
      ++p;
    }
    bool newline = p > pos_ && src_[p - 1] == '\n';
    advance_to(p);
    return newline;
  }

  size_t skip_space(size_t p) const {
    while (p < src_.size() && is_space(src_[p])) ++p;
    return p;
  }

  bool word_at(size_t p, std::string_view word) const {
    return src_.compare(p, word.size(), word) == 0 &&
           (p + word.size() >= src_.size() || !is_name_char(src_[p + word.size()]));
  }

  // {% raw %}...{% endraw %}: the content is literal text.
  bool try_raw(size_t body, bool& line_starting) {
    size_t p = skip_space(body);
    if (!word_at(p, "raw")) return false;
    p = skip_space(p + 3);
    bool strip_after_begin = false;
    if (src_.compare(p, 3, "-%}") == 0) {
      strip_after_begin = true;
      p += 3;
    } else if (src_.compare(p, 2, "%}") == 0) {
      p += 2;
    } else {
      return false;
    }
    advance_to(p);
    if (strip_after_begin) advance_to(skip_space(pos_));
    size_t search = pos_;
    while (true) {
      size_t open = src_.find("{%", search);
      if (open == std::string::npos) fail("unexpected end of template: missing {% endraw %}");
      size_t q = open + 2;
      char sign = q < src_.size() ? src_[q] : '\0';
      if (sign == '-' || sign == '+') ++q;
      q = skip_space(q);
      if (!word_at(q, "endraw")) {
        search = open + 2;
        continue;
      }
      q = skip_space(q + 6);
      bool strip = false, keep = false;
      if (src_.compare(q, 3, "-%}") == 0) {
        strip = true;
        q += 3;
      } else if (src_.compare(q, 3, "+%}") == 0) {
        keep = true;
        q += 3;
      } else if (src_.compare(q, 2, "%}") == 0) {
        q += 2;
      } else {
        fail("expected '%}' after 'endraw'");
      }
      std::string text = src_.substr(pos_, open - pos_);
      if (sign == '-') {
        size_t end = text.find_last_not_of(" \t\n\r\f\v");
        text.resize(end == std::string::npos ? 0 : end + 1);
      }
      emit_text(std::move(text));
      advance_to(q);
      line_starting = finish_tag(strip, keep, true);
      return true;
    }
  }

  void lex_tag(bool is_print, size_t body) {
    tokens_.push_back({is_print ? Token::Type::kPrintBegin : Token::Type::kBlockBegin, "", line_});
    advance_to(body);
    int depth = 0;  // brackets: "}}" inside {{ {'a': {'b': 1}} }} closes a dict, not the tag
    while (true) {
      advance_to(skip_space(pos_));
      if (pos_ >= src_.size())
        fail(std::string("unexpected end of template: missing '") + (is_print ? "}}" : "%}") + "'");
      std::string_view close = is_print ? "}}" : "%}";
      bool strip = false, keep = false;
      size_t p = pos_;
      if (depth <= 0 && (src_[p] == '-' || src_[p] == '+') && src_.compare(p + 1, 2, close) == 0) {
        strip = src_[p] == '-';
        keep = src_[p] == '+';
        ++p;
      }
      if (depth <= 0 && src_.compare(p, 2, close) == 0) {
        tokens_.push_back({is_print ? Token::Type::kPrintEnd : Token::Type::kBlockEnd, "", line_});
        advance_to(p + 2);
        last_tag_consumed_newline_ = finish_tag(strip, keep, !is_print);
        return;
      }
      lex_expression_token(depth);
    }
  }

  void lex_expression_token(int& depth) {
    char c = src_[pos_];
    size_t start = pos_;
    if (is_name_start(c)) {
      size_t p = pos_;
      while (p < src_.size() && is_name_char(src_[p])) ++p;
      tokens_.push_back({Token::Type::kName, src_.substr(start, p - start), line_});
      advance_to(p);
      return;
    }
    if (is_digit(c)) {
      size_t p = pos_;
      auto digits = [&] {
        while (p < src_.size() && (is_digit(src_[p]) || src_[p] == '_')) ++p;
      };
      digits();
      bool is_float = false;
      // "a.0.1" is attribute access, never a float (Jinja's lookbehind)
      bool after_dot = start > 0 && src_[start - 1] == '.';
      if (!after_dot && p + 1 < src_.size() && src_[p] == '.' && is_digit(src_[p + 1])) {
        is_float = true;
        ++p;
        digits();
      }
      if (!after_dot && p < src_.size() && (src_[p] == 'e' || src_[p] == 'E')) {
        size_t q = p + 1;
        if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
        if (q < src_.size() && is_digit(src_[q])) {
          is_float = true;
          p = q;
          digits();
        }
      }
      std::string text;
      for (size_t i = start; i < p; ++i)
        if (src_[i] != '_') text += src_[i];
      tokens_.push_back({is_float ? Token::Type::kFloat : Token::Type::kInt, text, line_});
      advance_to(p);
      return;
    }
    if (c == '\'' || c == '"') {
      lex_string(c);
      return;
    }
    static const char* kTwoChar[] = {"//", "**", "==", "!=", "<=", ">="};
    for (const char* op : kTwoChar) {
      if (src_.compare(pos_, 2, op) == 0) {
        tokens_.push_back({Token::Type::kOperator, op, line_});
        advance_to(pos_ + 2);
        return;
      }
    }
    static const std::string_view kOneChar = "+-*/%~<>=()[]{},.:|";
    if (kOneChar.find(c) == std::string_view::npos) {
      fail(std::string("unexpected character '") + c + "' in tag");
    }
    if (c == '(' || c == '[' || c == '{') ++depth;
    if (c == ')' || c == ']' || c == '}') --depth;
    tokens_.push_back({Token::Type::kOperator, std::string(1, c), line_});
    advance_to(pos_ + 1);
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Python string-literal escapes (\n, \t, \xHH, \uHHHH, ...); unknown escapes stay as written.
  void lex_string(char quote) {
    int line = line_;
    size_t p = pos_ + 1;
    std::string value;
    while (true) {
      if (p >= src_.size()) fail("unexpected end of template: unterminated string");
      char c = src_[p];
      if (c == quote) break;
      if (c != '\\') {
        value += c;
        ++p;
        continue;
      }
      if (p + 1 >= src_.size()) fail("unexpected end of template: unterminated string");
      char e = src_[p + 1];
      p += 2;
      switch (e) {
        case 'n':
          value += '\n';
          break;
        case 't':
          value += '\t';
          break;
        case 'r':
          value += '\r';
          break;
        case 'b':
          value += '\b';
          break;
        case 'f':
          value += '\f';
          break;
        case 'v':
          value += '\v';
          break;
        case 'a':
          value += '\a';
          break;
        case '\\':
          value += '\\';
          break;
        case '\'':
          value += '\'';
          break;
        case '"':
          value += '"';
          break;
        case '\n':
          break;  // line continuation
        case 'x':
        case 'u':
        case 'U': {
          int width = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t cp = 0;
          for (int i = 0; i < width; ++i) {
            int h = p < src_.size() ? hex_value(src_[p]) : -1;
            if (h < 0) fail(std::string("invalid \\") + e + " escape in string");
            cp = cp * 16 + static_cast<uint32_t>(h);
            ++p;
          }
          if (cp > 0x10FFFF) fail("invalid code point in string escape");
          utf8::append(value, static_cast<char32_t>(cp));
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t cp = static_cast<uint32_t>(e - '0');
            for (int i = 0; i < 2 && p < src_.size() && src_[p] >= '0' && src_[p] <= '7'; ++i, ++p)
              cp = cp * 8 + static_cast<uint32_t>(src_[p] - '0');
            utf8::append(value, static_cast<char32_t>(cp));
          } else {
            value += '\\';
            value += e;
          }
      }
    }
    tokens_.push_back({Token::Type::kString, std::move(value), line});
    advance_to(p + 1);
  }

  std::string src_;
  const LexerOptions& options_;
  const std::string& name_;
  size_t pos_ = 0;
  int line_ = 1;
  bool last_tag_consumed_newline_ = false;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source, const LexerOptions& options,
                            const std::string& name) {
  return Lexer(source, options, name).run();
}

std::string describe(const Token& t) {
  switch (t.type) {
    case Token::Type::kText:
      return "text";
    case Token::Type::kPrintBegin:
      return "'{{'";
    case Token::Type::kPrintEnd:
      return "'}}'";
    case Token::Type::kBlockBegin:
      return "'{%'";
    case Token::Type::kBlockEnd:
      return "'%}'";
    case Token::Type::kName:
      return "'" + t.text + "'";
    case Token::Type::kString:
      return "string";
    case Token::Type::kInt:
    case Token::Type::kFloat:
      return "number " + t.text;
    case Token::Type::kOperator:
      return "'" + t.text + "'";
    case Token::Type::kEnd:
      return "end of template";
  }
  return "token";
}

}  // namespace pagoda::jinja
