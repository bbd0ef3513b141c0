#include "engine/jinja/parser.h"

#include <charconv>
#include <cstdlib>
#include <initializer_list>

#include "engine/jinja/token_cursor.h"
#include "engine/util/error.h"

namespace pagoda::jinja {
namespace {

class Parser : TokenCursor {
 public:
  Parser(const std::vector<Token>& tokens, const std::string& name, int max_depth)
      : TokenCursor(tokens, name), max_depth_(max_depth) {}

  Body run() {
    std::string end;
    Body body = parse_body({}, &end);
    return body;
  }

 private:
  // Guards recursion: nesting deeper than max_depth is a clear error, not a stack overflow.
  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > p.max_depth_) p.fail("template nested too deeply");
    }
    ~DepthGuard() { --p.depth_; }
  };

  ExprPtr make(Expr::Kind kind, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = line;
    return e;
  }

  // ---- statements ----

  Body parse_body(std::initializer_list<std::string_view> ends, std::string* found_end) {
    DepthGuard guard(*this);
    Body body;
    while (true) {
      const Token& t = peek();
      if (t.type == T::kEnd) {
        if (ends.size() == 0) return body;
        fail("unexpected end of template: expected '" + std::string(*ends.begin()) + "'");
      }
      if (t.type == T::kText) {
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::kText;
        s->line = t.line;
        s->text = next().text;
        body.push_back(std::move(s));
      } else if (t.type == T::kPrintBegin) {
        next();
        auto s = std::make_unique<Stmt>();
        s->kind = Stmt::Kind::kOutput;
        s->line = t.line;
        s->expr = parse_expression();
        if (peek().type != T::kPrintEnd) fail("expected '}}', got " + describe(peek()));
        next();
        body.push_back(std::move(s));
      } else if (t.type == T::kBlockBegin) {
        const Token& keyword = peek(1);
        if (keyword.type == T::kName) {
          for (std::string_view end : ends) {
            if (keyword.text == end) {
              next();
              next();
              *found_end = keyword.text;
              return body;
            }
          }
        }
        next();
        body.push_back(parse_statement());
      } else {
        fail("unexpected " + describe(t));
      }
    }
  }

  StmtPtr parse_statement() {
    int line = peek().line;
    if (peek().type != T::kName) fail("expected a tag name, got " + describe(peek()));
    std::string keyword = next().text;
    auto s = std::make_unique<Stmt>();
    s->line = line;
    std::string end;
    if (keyword == "if") {
      s->kind = Stmt::Kind::kIf;
      ExprPtr cond = parse_expression();
      while (true) {
        expect_block_end();
        Body body = parse_body({"elif", "else", "endif"}, &end);
        s->branches.emplace_back(std::move(cond), std::move(body));
        if (end == "elif") {
          cond = parse_expression();
          continue;
        }
        if (end == "else") {
          expect_block_end();
          s->else_body = parse_body({"endif"}, &end);
        }
        break;
      }
    } else if (keyword == "for") {
      s->kind = Stmt::Kind::kFor;
      parse_targets(s->targets);
      if (!accept_name("in")) fail("expected 'in' in for loop, got " + describe(peek()));
      s->expr = parse_tuple_or_expression(/*with_condition=*/false);
      if (accept_name("if")) s->cond = parse_expression();
      if (is_name("recursive")) fail("recursive for loops are not supported");
      expect_block_end();
      ++loop_depth_;
      s->body = parse_body({"endfor", "else"}, &end);
      --loop_depth_;
      if (end == "else") {
        expect_block_end();
        s->else_body = parse_body({"endfor"}, &end);
      }
    } else if (keyword == "set") {
      s->targets.push_back(expect_name());
      if (accept_op(".")) {
        s->attribute = expect_name();
      } else {
        while (accept_op(",")) s->targets.push_back(expect_name());
      }
      if (accept_op("=")) {
        s->kind = Stmt::Kind::kSet;
        s->expr = parse_tuple_or_expression(true);
        expect_block_end();
        return s;
      }
      if (s->targets.size() != 1 || !s->attribute.empty()) fail("expected '=' in set");
      s->kind = Stmt::Kind::kSetBlock;
      if (is_op("|")) s->expr = parse_filter_chain(nullptr);
      expect_block_end();
      s->body = parse_body({"endset"}, &end);
    } else if (keyword == "macro") {
      s->kind = Stmt::Kind::kMacro;
      s->text = expect_name();
      parse_params(s->params);
      expect_block_end();
      int saved_loops = loop_depth_;
      loop_depth_ = 0;
      s->body = parse_body({"endmacro"}, &end);
      loop_depth_ = saved_loops;
    } else if (keyword == "call") {
      s->kind = Stmt::Kind::kCallBlock;
      if (is_op("(")) parse_params(s->params);
      s->expr = parse_expression();
      if (s->expr->kind != Expr::Kind::kCall) fail_at(line, "expected a macro call in call block");
      expect_block_end();
      s->body = parse_body({"endcall"}, &end);
    } else if (keyword == "filter") {
      s->kind = Stmt::Kind::kFilterBlock;
      s->expr = parse_filter_chain(nullptr, /*leading_pipe=*/false);
      expect_block_end();
      s->body = parse_body({"endfilter"}, &end);
    } else if (keyword == "generation") {
      s->kind = Stmt::Kind::kGeneration;
      expect_block_end();
      s->body = parse_body({"endgeneration"}, &end);
    } else if (keyword == "break" || keyword == "continue") {
      if (loop_depth_ == 0) fail_at(line, "'" + keyword + "' outside of a loop");
      s->kind = keyword == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue;
      expect_block_end();
      return s;
    } else {
      fail_at(line, "unknown tag '" + keyword + "'");
    }
    expect_block_end();  // of the end tag
    return s;
  }

  void parse_targets(std::vector<std::string>& targets) {
    bool paren = accept_op("(");
    targets.push_back(expect_name());
    while (accept_op(",")) {
      if (peek().type != T::kName) break;
      targets.push_back(expect_name());
    }
    if (paren) expect_op(")");
  }

  void parse_params(std::vector<MacroParam>& params) {
    expect_op("(");
    while (!is_op(")")) {
      MacroParam p;
      p.name = expect_name();
      if (accept_op("=")) p.default_value = parse_expression();
      params.push_back(std::move(p));
      if (!accept_op(",")) break;
    }
    expect_op(")");
  }

  // ---- expressions ----

  ExprPtr parse_tuple_or_expression(bool with_condition) {
    int line = peek().line;
    ExprPtr first = with_condition ? parse_expression() : parse_or();
    if (!is_op(",")) return first;
    auto tuple = make(Expr::Kind::kTuple, line);
    tuple->args.push_back(std::move(first));
    while (accept_op(",")) {
      if (peek().type == T::kBlockEnd || peek().type == T::kPrintEnd || is_name("if")) break;
      tuple->args.push_back(with_condition ? parse_expression() : parse_or());
    }
    return tuple;
  }

  ExprPtr parse_expression() {
    DepthGuard guard(*this);
    int line = peek().line;
    ExprPtr expr = parse_or();
    while (accept_name("if")) {
      auto cond = make(Expr::Kind::kCondition, line);
      cond->args.push_back(std::move(expr));
      cond->args.push_back(parse_or());
      cond->args.push_back(accept_name("else") ? parse_expression() : nullptr);
      expr = std::move(cond);
    }
    return expr;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      int line = next().line;
      auto e = make(Expr::Kind::kOr, line);
      e->args.push_back(std::move(left));
      e->args.push_back(parse_and());
      left = std::move(e);
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      int line = next().line;
      auto e = make(Expr::Kind::kAnd, line);
      e->args.push_back(std::move(left));
      e->args.push_back(parse_not());
      left = std::move(e);
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(*this);
      int line = next().line;
      auto e = make(Expr::Kind::kUnary, line);
      e->name = "not";
      e->args.push_back(parse_not());
      return e;
    }
    return parse_compare();
  }

  ExprPtr binary(std::string op, int line, ExprPtr left, ExprPtr right) {
    auto e = make(Expr::Kind::kBinary, line);
    e->name = std::move(op);
    e->args.push_back(std::move(left));
    e->args.push_back(std::move(right));
    return e;
  }

  ExprPtr parse_compare() {
    int line = peek().line;
    ExprPtr first = parse_math1();
    ExprPtr chain;
    while (true) {
      std::string op;
      if (peek().type == T::kOperator &&
          (peek().text == "==" || peek().text == "!=" || peek().text == "<" ||
           peek().text == "<=" || peek().text == ">" || peek().text == ">=")) {
        op = next().text;
      } else if (accept_name("in")) {
        op = "in";
      } else if (is_name("not") && is_name("in", 1)) {
        next();
        next();
        op = "not in";
      } else {
        break;
      }
      if (!chain) {
        chain = make(Expr::Kind::kCompare, line);
        chain->args.push_back(std::move(first));
      }
      chain->ops.push_back(std::move(op));
      chain->args.push_back(parse_math1());
    }
    return chain ? std::move(chain) : std::move(first);
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      int line = peek().line;
      std::string op = next().text;
      left = binary(op, line, std::move(left), parse_concat());
    }
    return left;
  }

  ExprPtr parse_concat() {
    ExprPtr left = parse_math2();
    while (is_op("~")) {
      int line = next().line;
      left = binary("~", line, std::move(left), parse_math2());
    }
    return left;
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      int line = peek().line;
      std::string op = next().text;
      left = binary(op, line, std::move(left), parse_pow());
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (is_op("**")) {
      int line = next().line;
      left = binary("**", line, std::move(left), parse_unary(true));
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    int line = peek().line;
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      auto e = make(Expr::Kind::kUnary, line);
      e->name = next().text;
      e->args.push_back(parse_unary(false));
      node = std::move(e);
    } else {
      node = parse_postfix(parse_primary());
    }
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr literal(Value v, int line) {
    auto e = make(Expr::Kind::kLiteral, line);
    e->literal = std::move(v);
    return e;
  }

  ExprPtr parse_primary() {
    DepthGuard guard(*this);
    const Token& t = peek();
    int line = t.line;
    switch (t.type) {
      case T::kName: {
        std::string n = next().text;
        if (n == "true" || n == "True") return literal(Value(true), line);
        if (n == "false" || n == "False") return literal(Value(false), line);
        if (n == "none" || n == "None") return literal(Value::none(), line);
        auto e = make(Expr::Kind::kName, line);
        e->name = std::move(n);
        return e;
      }
      case T::kString: {
        std::string s = next().text;
        while (peek().type == T::kString) s += next().text;  // adjacent literals concatenate
        return literal(Value(std::move(s)), line);
      }
      case T::kInt: {
        std::string text = next().text;
        int64_t v = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc()) return literal(Value(std::strtod(text.c_str(), nullptr)), line);
        return literal(Value(v), line);
      }
      case T::kFloat:
        return literal(Value(std::strtod(next().text.c_str(), nullptr)), line);
      case T::kOperator:
        if (t.text == "(") {
          next();
          if (accept_op(")")) return make(Expr::Kind::kTuple, line);
          ExprPtr first = parse_expression();
          if (accept_op(")")) return first;
          auto tuple = make(Expr::Kind::kTuple, line);
          tuple->args.push_back(std::move(first));
          while (accept_op(",")) {
            if (is_op(")")) break;
            tuple->args.push_back(parse_expression());
          }
          expect_op(")");
          return tuple;
        }
        if (t.text == "[") {
          next();
          auto list = make(Expr::Kind::kList, line);
          while (!is_op("]")) {
            list->args.push_back(parse_expression());
            if (!accept_op(",")) break;
          }
          expect_op("]");
          return list;
        }
        if (t.text == "{") {
          next();
          auto dict = make(Expr::Kind::kDict, line);
          while (!is_op("}")) {
            dict->args.push_back(parse_expression());
            expect_op(":");
            dict->args.push_back(parse_expression());
            if (!accept_op(",")) break;
          }
          expect_op("}");
          return dict;
        }
        break;
      default:
        break;
    }
    fail("unexpected " + describe(t));
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      int line = peek().line;
      if (accept_op(".")) {
        if (peek().type == T::kInt) {
          auto e = make(Expr::Kind::kGetItem, line);
          e->args.push_back(std::move(node));
          e->args.push_back(parse_primary());
          node = std::move(e);
        } else {
          auto e = make(Expr::Kind::kGetAttr, line);
          e->name = expect_name();
          e->args.push_back(std::move(node));
          node = std::move(e);
        }
      } else if (accept_op("[")) {
        node = parse_subscript(std::move(node), line);
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr node, int line) {
    ExprPtr bounds[3];
    int colons = 0;
    if (!is_op(":")) bounds[0] = parse_expression();
    while (colons < 2 && accept_op(":")) {
      ++colons;
      if (!is_op(":") && !is_op("]")) bounds[colons] = parse_expression();
    }
    expect_op("]");
    if (colons == 0) {
      auto e = make(Expr::Kind::kGetItem, line);
      e->args.push_back(std::move(node));
      e->args.push_back(std::move(bounds[0]));
      return e;
    }
    auto e = make(Expr::Kind::kSlice, line);
    e->args.push_back(std::move(node));
    for (auto& b : bounds) e->args.push_back(std::move(b));
    return e;
  }

  void parse_call_args(Expr& call) {
    expect_op("(");
    while (!is_op(")")) {
      if (is_op("*") || is_op("**")) fail("*args and **kwargs in calls are not supported");
      if (peek().type == T::kName && is_op("=", 1)) {
        std::string key = next().text;
        next();
        call.kwargs.emplace_back(std::move(key), parse_expression());
      } else {
        if (!call.kwargs.empty()) fail("positional argument after keyword argument");
        call.args.push_back(parse_expression());
      }
      if (!accept_op(",")) break;
    }
    expect_op(")");
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto e = make(Expr::Kind::kCall, peek().line);
    e->args.push_back(std::move(callee));
    parse_call_args(*e);
    return e;
  }

  // "| name(args) | name ..." applied to input (null inside {% filter %} / {% set x | f %}).
  ExprPtr parse_filter_chain(ExprPtr input, bool leading_pipe = true) {
    bool first = true;
    while ((first && !leading_pipe) || accept_op("|")) {
      first = false;
      auto e = make(Expr::Kind::kFilter, peek().line);
      e->name = expect_name();
      e->args.push_back(std::move(input));
      if (is_op("(")) parse_call_args(*e);
      input = std::move(e);
    }
    return input;
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op("|")) {
        node = parse_filter_chain(std::move(node));
      } else if (is_name("is")) {
        int line = next().line;
        auto e = make(Expr::Kind::kTest, line);
        e->negated = accept_name("not");
        e->name = expect_name();
        e->args.push_back(std::move(node));
        if (is_op("(")) {
          parse_call_args(*e);
        } else {
          const Token& t = peek();
          bool arg_follows =
              t.type == T::kString || t.type == T::kInt || t.type == T::kFloat ||
              (t.type == T::kName && t.text != "else" && t.text != "or" && t.text != "and") ||
              (t.type == T::kOperator && (t.text == "[" || t.text == "{"));
          if (arg_follows) e->args.push_back(parse_postfix(parse_primary()));
        }
        node = std::move(e);
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  int max_depth_;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Body parse(const std::vector<Token>& tokens, const std::string& name, int max_depth) {
  return Parser(tokens, name, max_depth).run();
}

}  // namespace pagoda::jinja
