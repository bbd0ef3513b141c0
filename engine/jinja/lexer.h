#pragma once
// Splits a template into text and tag tokens, applying Jinja2's whitespace rules (trim_blocks,
// lstrip_blocks, {%- -%}, {%+ +%}), comments and {% raw %} blocks.
#include <string>
#include <string_view>
#include <vector>

namespace pagoda::jinja {

struct Token {
  enum class Type {
    kText,        // literal output
    kPrintBegin,  // {{
    kPrintEnd,    // }}
    kBlockBegin,  // {%
    kBlockEnd,    // %}
    kName,
    kString,  // text holds the decoded value
    kInt,
    kFloat,
    kOperator,  // text holds the operator: + - * / // % ** ~ == != < <= > >= = ( ) [ ] { } , . : |
    kEnd,
  };
  Type type;
  std::string text;
  int line;
};

struct LexerOptions {
  bool trim_blocks = false;
  bool lstrip_blocks = false;
};

// Throws pagoda::Error "<name> line N: ..." on an unterminated tag, string or comment.
std::vector<Token> tokenize(std::string_view source, const LexerOptions& options,
                            const std::string& name);

}  // namespace pagoda::jinja
