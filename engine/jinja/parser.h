#pragma once
// Builds the syntax tree of a template from its tokens (Jinja2's grammar and precedence).
#include <string>
#include <vector>

#include "engine/jinja/ast.h"
#include "engine/jinja/lexer.h"

namespace pagoda::jinja {

// Throws pagoda::Error "<name> line N: ..." on a syntax error. max_depth bounds nesting (of
// expressions and blocks) so that hostile templates cannot exhaust the stack.
Body parse(const std::vector<Token>& tokens, const std::string& name, int max_depth);

}  // namespace pagoda::jinja
