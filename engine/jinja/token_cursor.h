#pragma once
// A cursor over a template's tokens with the checks a recursive-descent parser makes at every
// step (peek, accept, expect) and its errors ("<name> line N: expected ..., got ...").
// The parser (parser.cpp) builds on it. One per parse; not shared between threads.
#include <string>
#include <string_view>
#include <vector>

#include "engine/jinja/lexer.h"
#include "engine/util/error.h"

namespace pagoda::jinja {

// What a token is called in an error message: "'}}'", "number 3", "end of template".
std::string describe(const Token& t);

class TokenCursor {
 protected:
  using T = Token::Type;

  // tokens ends with a kEnd token; both outlive the cursor.
  TokenCursor(const std::vector<Token>& tokens, const std::string& name)
      : tokens_(tokens), name_(name) {}

  const Token& peek(size_t ahead = 0) const {
    size_t i = pos_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  const Token& next() {
    const Token& t = peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return t;
  }
  [[noreturn]] void fail(const std::string& message) const { fail_at(peek().line, message); }
  [[noreturn]] void fail_at(int line, const std::string& message) const {
    throw Error(name_ + " line " + std::to_string(line) + ": " + message);
  }
  bool is_op(std::string_view op, size_t ahead = 0) const {
    return peek(ahead).type == T::kOperator && peek(ahead).text == op;
  }
  bool is_name(std::string_view name, size_t ahead = 0) const {
    return peek(ahead).type == T::kName && peek(ahead).text == name;
  }
  bool accept_op(std::string_view op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool accept_name(std::string_view name) {
    if (!is_name(name)) return false;
    next();
    return true;
  }
  void expect_op(std::string_view op) {
    if (!accept_op(op)) fail("expected '" + std::string(op) + "', got " + describe(peek()));
  }
  std::string expect_name() {
    if (peek().type != T::kName) fail("expected a name, got " + describe(peek()));
    return next().text;
  }
  void expect_block_end() {
    if (peek().type != T::kBlockEnd) fail("expected '%}', got " + describe(peek()));
    next();
  }

 private:
  const std::vector<Token>& tokens_;
  const std::string& name_;
  size_t pos_ = 0;
};

}  // namespace pagoda::jinja
