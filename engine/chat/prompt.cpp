#include "engine/chat/prompt.h"

#include "engine/util/error.h"

namespace pagoda {

OrderedJson normalize_message(const OrderedJson& m) {
  if (!m.is_object()) throw InvalidArgument("each message must be an object");
  auto role = m.find("role");
  if (role == m.end() || !role->is_string())
    throw InvalidArgument("each message needs a 'role' string");
  OrderedJson msg = m;
  auto content = m.find("content");
  if (content == m.end() || content->is_null()) {
    msg["content"] = nullptr;
  } else if (content->is_array()) {
    std::string text;
    bool first = true;
    for (const auto& part : *content) {
      if (!part.is_object() || !part.contains("type") || part["type"] != "text" ||
          !part.contains("text") || !part["text"].is_string())
        throw InvalidArgument("content parts must be {\"type\":\"text\",\"text\":...}");
      if (!first) text += "\n";
      text += part["text"].get<std::string>();
      first = false;
    }
    msg["content"] = text;
  } else if (!content->is_string()) {
    throw InvalidArgument("message 'content' must be a string or a list of text parts");
  }
  return msg;
}

OrderedJson normalize_messages(const OrderedJson& messages) {
  if (!messages.is_array() || messages.empty())
    throw InvalidArgument("'messages' must be a non-empty list");
  OrderedJson out = OrderedJson::array();
  for (const auto& m : messages) out.push_back(normalize_message(m));
  return out;
}

ChatPrompt render_chat_prompt(const ChatTemplate& chat_template,
                              const ChatTemplateInputs& inputs) {
  ChatPrompt p;
  p.text = chat_template.render(inputs);
  p.supports_system = chat_template.supports_system();
  p.supports_tools = chat_template.supports_tools();
  return p;
}

ChatPrompt build_chat_prompt(const ChatTemplate& chat_template, const Tokenizer& tokenizer,
                             const ChatTemplateInputs& inputs) {
  ChatPrompt p = render_chat_prompt(chat_template, inputs);
  tokenize_chat_prompt(tokenizer, p);
  return p;
}

void tokenize_chat_prompt(const Tokenizer& tokenizer, ChatPrompt& p) {
  // The template wrote the special tokens as text; adding BOS again would double it.
  p.ids = tokenizer.encode(p.text, false);
}

std::vector<int32_t> encode_text_prompt(const Tokenizer& tokenizer, std::string_view text) {
  return tokenizer.encode(text, true);
}

}  // namespace pagoda
