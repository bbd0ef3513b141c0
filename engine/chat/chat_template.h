#pragma once
// Renders a model's own chat template (Jinja, with transformers' semantics: trim_blocks,
// lstrip_blocks, raise_exception, tojson) from tokenizer_config.json, chat_template.jinja or
// chat_template.json. Falls back to ChatML when the model has none.
#include <filesystem>
#include <memory>
#include <string>

#include "engine/util/json.h"

namespace pagoda {

namespace jinja {
class Template;
}

struct ChatTemplateInputs {
  OrderedJson messages = OrderedJson::array();  // [{"role":..., "content":...}, ...]
  OrderedJson tools;                             // null or a list
  bool add_generation_prompt = true;
  OrderedJson extra = OrderedJson::object();  // e.g. {"enable_thinking": false}
};

class ChatTemplate {
 public:
  // Reads the template next to a model: chat_template.jinja, chat_template.json, or the
  // chat_template of tokenizer_config.json (a string, or a list of named templates: "default").
  // The special tokens (bos_token, eos_token, ...) of tokenizer_config.json become variables.
  static ChatTemplate from_dir(const std::filesystem::path& dir);
  // special_tokens: {"bos_token": "...", "eos_token": "...", ...}
  static ChatTemplate from_source(const std::string& source,
                                  const OrderedJson& special_tokens = OrderedJson::object());
  static ChatTemplate chatml_default();

  ChatTemplate(ChatTemplate&&) noexcept;
  ChatTemplate& operator=(ChatTemplate&&) noexcept;
  ~ChatTemplate();

  // Throws pagoda::Error (template raised, or a runtime error naming the template line).
  std::string render(const ChatTemplateInputs& inputs) const;
  // True when the model had no template and ChatML is used instead.
  bool is_fallback() const { return fallback_; }
  // What the template does with a system message and with tools, found once by rendering a
  // probe conversation (a template that raises or drops the probe does not support it).
  bool supports_system() const { return supports_system_; }
  bool supports_tools() const { return supports_tools_; }
  const std::string& source() const { return source_; }

 private:
  ChatTemplate() = default;
  std::string source_;
  OrderedJson special_tokens_ = OrderedJson::object();
  std::shared_ptr<const jinja::Template> compiled_;
  bool fallback_ = false;
  bool supports_system_ = true;
  bool supports_tools_ = false;
  void probe_capabilities();
};

}  // namespace pagoda
