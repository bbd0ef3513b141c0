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
  auto calls = msg.find("tool_calls");
  if (*role == "assistant" && calls != msg.end() && !calls->is_null()) {
    if (!calls->is_array()) throw InvalidArgument("'tool_calls' must be a list");
    for (auto& call : *calls) {
      if (!call.is_object() || !call.contains("function") || !call["function"].is_object() ||
          !call["function"].contains("name") || !call["function"]["name"].is_string())
        throw InvalidArgument("each tool call needs a 'function' with a 'name'");
      auto args = call["function"].find("arguments");
      if (args == call["function"].end() || !args->is_string()) continue;
      OrderedJson parsed = OrderedJson::parse(args->get<std::string>(), nullptr, false);
      if (parsed.is_object()) *args = std::move(parsed);
    }
    if (msg["content"].is_null()) msg["content"] = "";
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
  p.tool_format = detect_tool_call_format(chat_template.source());
  p.reasoning_format = detect_reasoning_format(chat_template.source());
  p.opens_reasoning = prompt_opens_reasoning(p.text);
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
  // Llama 3.1+ ends a turn that calls a tool with <|eom_id|> ("end of message": the tool's
  // answer comes next); a model whose generation_config lacks it must still stop there.
  if (p.tool_format == ToolCallFormat::llama3_json)
    if (auto eom = tokenizer.token_to_id("<|eom_id|>")) p.stop_token_ids.push_back(*eom);
}

std::vector<int32_t> encode_text_prompt(const Tokenizer& tokenizer, std::string_view text) {
  return tokenizer.encode(text, true);
}

}  // namespace pagoda
