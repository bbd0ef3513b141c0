#pragma once
// A Jinja2 template interpreter (lexer -> syntax tree -> tree-walking evaluator), written for
// chat templates: Python value semantics, Jinja2's filters, tests and whitespace rules, and the
// immutable sandbox of transformers (lists and dicts cannot be mutated; namespace() can).
//
//   auto t = jinja::Template::parse(source, {.trim_blocks = true, .lstrip_blocks = true});
//   std::string text = t.render(context_json);
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "engine/jinja/value.h"
#include "engine/util/error.h"
#include "engine/util/json.h"

namespace pagoda::jinja {

struct Ast;

struct Options {
  bool trim_blocks = false;
  bool lstrip_blocks = false;
  // Names the template in errors: "<name> line 12: unknown filter 'foo'".
  std::string name = "template";
  // Guards against hostile or runaway templates.
  int max_nesting = 64;                 // syntax nesting and macro-call depth
  size_t max_output_bytes = 16u << 20;  // also bounds any single string or list
  size_t max_steps = 5'000'000;         // statements run plus loop iterations
};

// raise_exception(msg) in a template throws this; its message is exactly msg.
class RaisedError : public Error {
 public:
  using Error::Error;
};

class Template {
 public:
  // Throws pagoda::Error naming the template line on a syntax error.
  static Template parse(std::string_view source, const Options& options = {});

  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;
  ~Template();

  // context: a JSON object whose members become variables. globals: extra variables, e.g.
  // functions (Value::callable) such as raise_exception. Thread-safe: render is const.
  // Throws pagoda::Error ("<name> line N: ...") or RaisedError.
  std::string render(const OrderedJson& context,
                     const std::map<std::string, Value>& globals = {}) const;

  const Options& options() const { return options_; }

 private:
  Template() = default;
  Options options_;
  std::unique_ptr<Ast> ast_;
};

}  // namespace pagoda::jinja
