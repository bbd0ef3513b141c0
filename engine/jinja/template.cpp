#include "engine/jinja/template.h"

#include <unordered_map>

#include "engine/jinja/ast.h"
#include "engine/jinja/builtins.h"
#include "engine/jinja/lexer.h"
#include "engine/jinja/parser.h"

namespace pagoda::jinja {

struct Ast {
  Body body;
};

namespace {

// An error that already names its template line; outer nodes pass it on unchanged.
class LocatedError : public Error {
 public:
  using Error::Error;
};

// Variables of one block of code. Loop iterations and macro calls get their own scope, as
// in Jinja2 ({% set %} inside a loop does not leak out of it).
struct Scope {
  std::unordered_map<std::string, Value> vars;
  Scope* parent = nullptr;

  const Value* lookup(const std::string& name) const {
    for (const Scope* s = this; s; s = s->parent) {
      auto it = s->vars.find(name);
      if (it != s->vars.end()) return &it->second;
    }
    return nullptr;
  }
};

enum class Flow { kNormal, kBreak, kContinue };

class Renderer {
 public:
  Renderer(const Options& options, const Ast& ast) : options_(options), ast_(ast) {
    limits_.max_items = options.max_output_bytes;
    work_left_ = options.max_output_bytes * 32;
    limits_.work_left = &work_left_;
  }

  ~Renderer() {
    for (const Value& ns : namespaces_) ns.mutable_namespace().clear();
  }

  std::string run(const OrderedJson& context, const std::map<std::string, Value>& globals) {
    Dict builtins;
    add_builtin_globals(builtins, limits_);
    for (const auto& [k, v] : builtins.entries()) root_.vars[k] = v;
    // Namespaces are the only mutable values, so only they can form reference cycles
    // ({% set ns.self = ns %}); they are emptied when the render ends so that nothing leaks.
    Value make_namespace = root_.vars["namespace"];
    root_.vars["namespace"] =
        Value::callable("namespace", [this, make_namespace](const CallArgs& a) {
          Value ns = make_namespace.call(a);
          namespaces_.push_back(ns);
          return ns;
        });
    for (const auto& [k, v] : globals) root_.vars[k] = v;
    if (!context.is_null() && !context.is_object())
      throw Error(options_.name + ": the render context must be a JSON object");
    if (context.is_object())
      for (const auto& [k, v] : context.items()) root_.vars[k] = Value::from_json(v);
    exec_body(ast_.body, root_);
    return std::move(out_);
  }

 private:
  std::string where(int line) const {
    return options_.name + " line " + std::to_string(line) + ": ";
  }

  // Runs f, turning an error without a line into one that names `line`.
  template <typename F>
  auto located(int line, F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const LocatedError&) {
      throw;
    } catch (const RaisedError&) {
      throw;
    } catch (const std::exception& e) {
      throw LocatedError(where(line) + e.what());
    }
  }

  void step() {
    if (++steps_ > options_.max_steps)
      throw Error("template ran too long (more than " + std::to_string(options_.max_steps) +
                  " steps)");
  }

  void emit(const std::string& s) {
    out_ += s;
    if (out_.size() > options_.max_output_bytes)
      throw Error("template output exceeds " + std::to_string(options_.max_output_bytes) +
                  " bytes");
  }

  // Renders body into a string of its own (set blocks, macros, filter and call blocks).
  std::string capture(const Body& body, Scope& scope) {
    std::string saved = std::move(out_);
    out_.clear();
    try {
      exec_body(body, scope);
    } catch (...) {
      out_ = std::move(saved);
      throw;
    }
    std::string captured = std::move(out_);
    out_ = std::move(saved);
    return captured;
  }

  Flow exec_body(const Body& body, Scope& scope) {
    for (const auto& stmt : body) {
      Flow flow = located(stmt->line, [&] { return exec(*stmt, scope); });
      if (flow != Flow::kNormal) return flow;
    }
    return Flow::kNormal;
  }

  static void assign_targets(const std::vector<std::string>& targets, const Value& value,
                             Scope& scope) {
    if (targets.size() == 1) {
      scope.vars[targets[0]] = value;
      return;
    }
    ValueList items = iterate(value);
    if (items.size() != targets.size())
      throw Error("cannot unpack " + std::to_string(items.size()) + " values into " +
                  std::to_string(targets.size()) + " names");
    for (size_t i = 0; i < targets.size(); ++i) scope.vars[targets[i]] = items[i];
  }

  Flow exec(const Stmt& s, Scope& scope) {
    step();
    switch (s.kind) {
      case Stmt::Kind::kText:
        emit(s.text);
        return Flow::kNormal;
      case Stmt::Kind::kOutput: {
        Value v = eval(*s.expr, scope);
        emit(v.str());
        return Flow::kNormal;
      }
      case Stmt::Kind::kIf:
        for (const auto& [cond, body] : s.branches)
          if (eval(*cond, scope).truthy()) return exec_body(body, scope);
        return exec_body(s.else_body, scope);
      case Stmt::Kind::kFor:
        return exec_for(s, scope);
      case Stmt::Kind::kSet: {
        Value v = eval(*s.expr, scope);
        if (!s.attribute.empty()) {
          const Value* ns = scope.lookup(s.targets[0]);
          if (!ns || !ns->is_namespace())
            throw Error("can only set attributes of a namespace, and '" + s.targets[0] +
                        "' is not one");
          ns->mutable_namespace().set(s.attribute, std::move(v));
        } else {
          assign_targets(s.targets, v, scope);
        }
        return Flow::kNormal;
      }
      case Stmt::Kind::kSetBlock: {
        Value v(capture(s.body, scope));
        if (s.expr) v = eval_filter_chain(*s.expr, v, scope);
        scope.vars[s.targets[0]] = std::move(v);
        return Flow::kNormal;
      }
      case Stmt::Kind::kMacro:
        scope.vars[s.text] = make_macro(s, scope);
        return Flow::kNormal;
      case Stmt::Kind::kCallBlock: {
        const Expr& call = *s.expr;
        Value callee = eval(*call.args[0], scope);
        CallArgs args = eval_args(call, scope);
        args.keyword.emplace_back("caller", make_caller(s, scope));
        emit(call_value(callee, args).str());
        return Flow::kNormal;
      }
      case Stmt::Kind::kFilterBlock: {
        Value v(capture(s.body, scope));
        emit(eval_filter_chain(*s.expr, v, scope).str());
        return Flow::kNormal;
      }
      case Stmt::Kind::kGeneration:
        return exec_body(s.body, scope);
      case Stmt::Kind::kBreak:
        return Flow::kBreak;
      case Stmt::Kind::kContinue:
        return Flow::kContinue;
    }
    return Flow::kNormal;
  }

  Flow exec_for(const Stmt& s, Scope& scope) {
    ValueList all = iterate(eval(*s.expr, scope));
    ValueList items;
    if (s.cond) {
      // The loop filter sees each candidate bound to the loop targets.
      for (const Value& v : all) {
        Scope probe;
        probe.parent = &scope;
        assign_targets(s.targets, v, probe);
        if (eval(*s.cond, probe).truthy()) items.push_back(v);
      }
    } else {
      items = std::move(all);
    }
    if (items.empty()) return exec_body(s.else_body, scope);
    int64_t n = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < n; ++i) {
      step();
      Scope iteration;
      iteration.parent = &scope;
      assign_targets(s.targets, items[static_cast<size_t>(i)], iteration);
      Dict loop;
      loop.set("index", Value(i + 1));
      loop.set("index0", Value(i));
      loop.set("revindex", Value(n - i));
      loop.set("revindex0", Value(n - i - 1));
      loop.set("first", Value(i == 0));
      loop.set("last", Value(i == n - 1));
      loop.set("length", Value(n));
      loop.set("depth", Value(int64_t{1}));
      loop.set("depth0", Value(int64_t{0}));
      loop.set("previtem", i > 0 ? items[static_cast<size_t>(i - 1)]
                                 : Value::undefined("there is no previous item"));
      loop.set("nextitem", i + 1 < n ? items[static_cast<size_t>(i + 1)]
                                     : Value::undefined("there is no next item"));
      loop.set("cycle", Value::callable("cycle", [i](const CallArgs& a) {
                 if (a.positional.empty()) throw Error("no items for cycling given");
                 return a.positional[static_cast<size_t>(i) % a.positional.size()];
               }));
      iteration.vars["loop"] = Value::dict(std::move(loop));
      Flow flow = exec_body(s.body, iteration);
      if (flow == Flow::kBreak) break;
    }
    return Flow::kNormal;
  }

  // Macros see their arguments and the template's top-level variables.
  Value make_macro(const Stmt& s, Scope&) {
    const Stmt* macro = &s;
    return Value::callable(s.text, [this, macro](const CallArgs& args) {
      return Value(invoke(*macro, macro->params, macro->body, root_, args, true));
    });
  }

  // The body of a {% call %} block, as `caller`: it sees the variables at the call site.
  Value make_caller(const Stmt& s, Scope& scope) {
    const Stmt* block = &s;
    Scope* site = &scope;
    return Value::callable("caller", [this, block, site](const CallArgs& args) {
      return Value(invoke(*block, block->params, block->body, *site, args, false));
    });
  }

  std::string invoke(const Stmt& def, const std::vector<MacroParam>& params, const Body& body,
                     Scope& parent, const CallArgs& args, bool is_macro) {
    if (++depth_ > options_.max_nesting) {
      --depth_;
      throw Error("macro calls nested too deeply (limit " + std::to_string(options_.max_nesting) +
                  ")");
    }
    struct Release {
      int& d;
      ~Release() { --d; }
    } release{depth_};
    Scope local;
    local.parent = &parent;
    if (args.positional.size() > params.size())
      throw Error("macro '" + def.text + "' takes not more than " + std::to_string(params.size()) +
                  " argument(s)");
    for (size_t i = 0; i < params.size(); ++i) {
      const Value* v = i < args.positional.size() ? &args.positional[i] : nullptr;
      for (const auto& [k, kv] : args.keyword)
        if (k == params[i].name) v = &kv;
      if (v)
        local.vars[params[i].name] = *v;
      else if (params[i].default_value)
        local.vars[params[i].name] = eval(*params[i].default_value, local);
      else
        local.vars[params[i].name] = Value::undefined("'" + params[i].name + "' is undefined");
    }
    for (const auto& [k, kv] : args.keyword) {
      bool known = k == "caller" && is_macro;
      for (const auto& p : params) known = known || p.name == k;
      if (!known) throw Error("macro '" + def.text + "' takes no keyword argument '" + k + "'");
      if (k == "caller") local.vars["caller"] = kv;
    }
    return capture(body, local);
  }

  Value call_value(const Value& callee, const CallArgs& args) {
    if (callee.is_undefined()) fail_undefined(callee);
    if (!callee.is_callable()) throw Error("'" + callee.type_name() + "' object is not callable");
    return callee.call(args);
  }

  CallArgs eval_args(const Expr& e, Scope& scope) {
    CallArgs args;
    for (size_t i = 1; i < e.args.size(); ++i) args.positional.push_back(eval(*e.args[i], scope));
    for (const auto& [k, v] : e.kwargs) args.keyword.emplace_back(k, eval(*v, scope));
    return args;
  }

  // A filter chain whose innermost input is null ({% filter %}, {% set x | f %}) applied to v.
  Value eval_filter_chain(const Expr& e, const Value& v, Scope& scope) {
    Value input = e.args[0] ? eval_filter_chain(*e.args[0], v, scope) : v;
    CallArgs args = eval_args(e, scope);
    return located(e.line, [&] { return apply_filter(e.name, input, args, limits_); });
  }

  Value eval(const Expr& e, Scope& scope) {
    return located(e.line, [&] { return eval_node(e, scope); });
  }

  Value eval_node(const Expr& e, Scope& scope) {
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        return e.literal;
      case Expr::Kind::kName: {
        const Value* v = scope.lookup(e.name);
        return v ? *v : Value::undefined("'" + e.name + "' is undefined");
      }
      case Expr::Kind::kList:
      case Expr::Kind::kTuple: {
        ValueList items;
        for (const auto& a : e.args) items.push_back(eval(*a, scope));
        return Value::list(std::move(items), e.kind == Expr::Kind::kTuple);
      }
      case Expr::Kind::kDict: {
        Dict d;
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          Value key = eval(*e.args[i], scope);
          d.set(key.is_string() ? key.as_string() : key.str(), eval(*e.args[i + 1], scope));
        }
        return Value::dict(std::move(d));
      }
      case Expr::Kind::kGetAttr:
        return get_attribute(eval(*e.args[0], scope), e.name);
      case Expr::Kind::kGetItem: {
        Value obj = eval(*e.args[0], scope);
        return get_item(obj, eval(*e.args[1], scope));
      }
      case Expr::Kind::kSlice: {
        Value obj = eval(*e.args[0], scope);
        Value bounds[3];
        for (int i = 0; i < 3; ++i)
          if (e.args[i + 1]) bounds[i] = eval(*e.args[i + 1], scope);
        return slice(obj, e.args[1] ? &bounds[0] : nullptr, e.args[2] ? &bounds[1] : nullptr,
                     e.args[3] ? &bounds[2] : nullptr);
      }
      case Expr::Kind::kCall: {
        Value callee = eval(*e.args[0], scope);
        CallArgs args = eval_args(e, scope);
        Value result = call_value(callee, args);
        if (result.is_string())
          charge(limits_, result.as_string().size());
        else if (result.is_list())
          charge(limits_, result.as_list().size());
        return result;
      }
      case Expr::Kind::kFilter: {
        Value input = eval(*e.args[0], scope);
        CallArgs args = eval_args(e, scope);
        Value result = apply_filter(e.name, input, args, limits_);
        if (result.is_string())
          charge(limits_, result.as_string().size());
        else if (result.is_list())
          charge(limits_, result.as_list().size());
        return result;
      }
      case Expr::Kind::kTest: {
        Value input = eval(*e.args[0], scope);
        CallArgs args = eval_args(e, scope);
        return Value(apply_test(e.name, input, args) != e.negated);
      }
      case Expr::Kind::kUnary:
        return unary_op(e.name, eval(*e.args[0], scope));
      case Expr::Kind::kBinary: {
        Value a = eval(*e.args[0], scope);
        Value b = eval(*e.args[1], scope);
        return binary_op(e.name, a, b, limits_);
      }
      case Expr::Kind::kCompare: {
        Value left = eval(*e.args[0], scope);
        for (size_t i = 0; i < e.ops.size(); ++i) {
          Value right = eval(*e.args[i + 1], scope);
          if (!binary_op(e.ops[i], left, right, limits_).truthy()) return Value(false);
          left = std::move(right);
        }
        return Value(true);
      }
      case Expr::Kind::kAnd: {
        Value a = eval(*e.args[0], scope);
        return a.truthy() ? eval(*e.args[1], scope) : a;
      }
      case Expr::Kind::kOr: {
        Value a = eval(*e.args[0], scope);
        return a.truthy() ? a : eval(*e.args[1], scope);
      }
      case Expr::Kind::kCondition:
        if (eval(*e.args[1], scope).truthy()) return eval(*e.args[0], scope);
        if (e.args[2]) return eval(*e.args[2], scope);
        return Value::undefined(
            "the inline if-expression evaluated to false and no else section was defined");
    }
    throw Error("unknown expression");
  }

  const Options& options_;
  const Ast& ast_;
  Limits limits_{};
  size_t work_left_ = 0;
  std::vector<Value> namespaces_;
  Scope root_;
  std::string out_;
  size_t steps_ = 0;
  int depth_ = 0;
};

// Jinja2 rejects unknown filters and tests when the template is compiled, not when it runs.
void check_names(const Expr* e, const std::string& name) {
  if (!e) return;
  if (e->kind == Expr::Kind::kFilter && !has_filter(e->name))
    throw Error(name + " line " + std::to_string(e->line) + ": unknown filter '" + e->name + "'");
  if (e->kind == Expr::Kind::kTest && !has_test(e->name))
    throw Error(name + " line " + std::to_string(e->line) + ": unknown test '" + e->name + "'");
  for (const auto& a : e->args) check_names(a.get(), name);
  for (const auto& [k, v] : e->kwargs) check_names(v.get(), name);
}

void check_names(const Body& body, const std::string& name) {
  for (const auto& s : body) {
    check_names(s->expr.get(), name);
    check_names(s->cond.get(), name);
    for (const auto& [cond, branch] : s->branches) {
      check_names(cond.get(), name);
      check_names(branch, name);
    }
    for (const auto& p : s->params) check_names(p.default_value.get(), name);
    check_names(s->body, name);
    check_names(s->else_body, name);
  }
}

}  // namespace

Template Template::parse(std::string_view source, const Options& options) {
  Template t;
  t.options_ = options;
  std::vector<Token> tokens =
      tokenize(source, LexerOptions{options.trim_blocks, options.lstrip_blocks}, options.name);
  t.ast_ = std::make_unique<Ast>();
  t.ast_->body = jinja::parse(tokens, options.name, options.max_nesting);
  check_names(t.ast_->body, options.name);
  return t;
}

Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

std::string Template::render(const OrderedJson& context,
                             const std::map<std::string, Value>& globals) const {
  Renderer renderer(options_, *ast_);
  try {
    return renderer.run(context, globals);
  } catch (const LocatedError& e) {
    throw Error(e.what());
  }
}

}  // namespace pagoda::jinja
