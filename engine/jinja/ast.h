#pragma once
// The syntax tree of a parsed template: expressions and statements, each with its source line.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/jinja/value.h"

namespace pagoda::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    kLiteral,  // literal
    kName,     // name
    kList,     // args: items
    kTuple,    // args: items
    kDict,     // args: key0, value0, key1, value1, ...
    kGetAttr,  // args[0].name
    kGetItem,  // args[0][args[1]]
    kSlice,    // args[0][args[1]:args[2]:args[3]] (each bound may be null)
    kCall,     // args[0](args[1..], kwargs)
    kFilter,   // args[0] | name(args[1..], kwargs); args[0] is null inside {% filter %}
    kTest,     // args[0] is [not] name(args[1..], kwargs)
    kUnary,    // name in {"-", "+", "not"}, args[0]
    kBinary,   // args[0] name args[1]: arithmetic, "~"
    kCompare,  // args[0] ops[0] args[1] ops[1] args[2] ...: Python's chained comparison
    kAnd,
    kOr,
    kCondition,  // args[0] if args[1] else args[2] (args[2] may be null)
  };
  Kind kind;
  int line = 0;
  std::string name;
  Value literal;
  bool negated = false;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  std::vector<std::string> ops;  // kCompare: "==", "<", "in", "not in", ...
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct MacroParam {
  std::string name;
  ExprPtr default_value;  // may be null
};

struct Stmt {
  enum class Kind {
    kText,         // text
    kOutput,       // {{ expr }}
    kIf,           // branches (cond, body) ...; else_body
    kFor,          // for targets in expr [if cond]: body; else_body
    kSet,          // set targets = expr, or set targets[0].attribute = expr
    kSetBlock,     // set targets[0] [| filter]: body
    kMacro,        // macro name(params): body
    kCallBlock,    // call(params) expr: body
    kFilterBlock,  // filter expr: body (expr is a filter chain with a null innermost input)
    kGeneration,   // generation: body (transformers' assistant mask marker; renders its body)
    kBreak,
    kContinue,
  };
  Kind kind;
  int line = 0;
  std::string text;  // kText: the text; kMacro: the name
  std::vector<std::string> targets;
  std::string attribute;  // kSet: "ns.attr" targets
  ExprPtr expr;
  ExprPtr cond;
  std::vector<std::pair<ExprPtr, Body>> branches;
  Body body;
  Body else_body;
  std::vector<MacroParam> params;
};

}  // namespace pagoda::jinja
