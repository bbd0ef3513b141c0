#pragma once
// The one front end from what a request says to the ids the engine runs: chat messages through
// the model's own template, or a plain text prompt, then the tokenizer. The server, pagoda-cli
// and the GUI's EngineService all build their prompts here, so one request gives one prompt
// whichever way it came in. Free functions over immutable objects: callable from any thread.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/chat/chat_template.h"
#include "engine/chat/reasoning_parser.h"
#include "engine/chat/tool_parser.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/util/json.h"

namespace pagoda {

// A rendered chat prompt and what the template says about the conversation format.
struct ChatPrompt {
  std::string text;          // the template's output
  std::vector<int32_t> ids;  // text tokenized; the template already wrote BOS and the like
  // Stop strings / ids the format needs beyond the model's EOS ids; the caller adds them to the
  // request's SamplingParams (SamplingParams::add_stops): Llama 3.1's <|eom_id|> for templates
  // of the llama3_json tool format.
  std::vector<std::string> stop;
  std::vector<int32_t> stop_token_ids;
  bool supports_system = true;  // the template renders a system message (ChatTemplate probes)
  bool supports_tools = false;  // the template renders the tools it is given
  // How the template asks the model to write tool calls and reasoning (from its markers).
  ToolCallFormat tool_format = ToolCallFormat::none;
  ReasoningFormat reasoning_format = ReasoningFormat::none;
  bool opens_reasoning = false;  // the rendered prompt ends inside <think>
};

// One OpenAI-style message, normalized: every field is kept (name, tool_calls, tool_call_id,
// ...); content given as parts [{"type":"text","text":...}] becomes one string joined by
// newlines, as vLLM does for text-only models; absent content becomes null. An assistant
// message's tool_calls[].function.arguments given as a JSON string (as OpenAI clients send them)
// becomes the object, as vLLM passes it to templates (which write it with tojson), and its null
// content becomes "". Throws InvalidArgument saying what is wrong.
OrderedJson normalize_message(const OrderedJson& message);
// normalize_message over a non-empty list.
OrderedJson normalize_messages(const OrderedJson& messages);

// Renders the template (no tokenizer): pagoda-cli render-template.
ChatPrompt render_chat_prompt(const ChatTemplate& chat_template, const ChatTemplateInputs& inputs);
// Tokenizes a rendered chat prompt into p.ids (no BOS added: the template wrote it). Split from
// build_chat_prompt so the server can check the text's length before tokenizing.
void tokenize_chat_prompt(const Tokenizer& tokenizer, ChatPrompt& p);
// Renders and tokenizes: the prompt of a chat request.
ChatPrompt build_chat_prompt(const ChatTemplate& chat_template, const Tokenizer& tokenizer,
                             const ChatTemplateInputs& inputs);
// The prompt of a completion request: text with the tokenizer's BOS/EOS rules applied.
std::vector<int32_t> encode_text_prompt(const Tokenizer& tokenizer, std::string_view text);

}  // namespace pagoda
