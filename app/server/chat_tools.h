#pragma once
// Tools and reasoning on /v1/chat/completions: `tools` / `tool_choice` validated into what the
// template renders and what constrains the output (tool_choice "required" or a named function
// sets SamplingRequest::structured_output, as vLLM does), and the model's text turned back into
// an OpenAI message (content, reasoning_content, tool_calls) whole or as stream deltas. Parsing
// itself is engine/chat/tool_parser.h and reasoning_parser.h. No HTTP, no engine calls; one
// ChatOutputStream per streamed choice, used from one thread.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/chat/prompt.h"
#include "engine/chat/reasoning_parser.h"
#include "engine/chat/tool_parser.h"
#include "engine/core/engine.h"
#include "engine/core/sampling_params.h"
#include "engine/util/json.h"

namespace pagoda::server {

// What a request asked of tools, after validation.
struct ToolRequest {
  enum class Choice { none, automatic, required, named };
  Choice choice = Choice::none;  // "auto" when tools are given and tool_choice is not
  std::string named;             // Choice::named: the function
  Json tools = Json::array();    // the request's tools, validated
  bool skip_special_given = false;  // the request set skip_special_tokens itself
  bool active() const { return choice != Choice::none && !tools.empty(); }
};

// Reads `tools` and `tool_choice` (400s name the field); fills the template's tools (not for
// tool_choice "none", as vLLM by default) and, for "required" / a named function, the JSON schema
// the output must follow.
ToolRequest parse_tool_request(const Json& body, SamplingRequest& sampling,
                               ChatTemplateInputs& chat);

// The schemas of the forced choices (exposed for tests): a named function's parameters, and for
// "required" an array (at least one item) of {"name": one of the tools, "parameters": its schema}.
Json named_tool_schema(const Json& tools, const std::string& name);
Json required_tools_schema(const Json& tools);

// Server-wide choices: the --tool-call-parser and --reasoning-parser names ("" = from the template).
struct ChatOutputOverrides {
  std::string tool_call_parser;
  std::string reasoning_parser;
};

// How one request's output is read.
struct ChatOutputConfig {
  ToolParseOptions tools;  // format none: no tool parsing
  ToolRequest::Choice choice = ToolRequest::Choice::none;
  ReasoningFormat reasoning = ReasoningFormat::none;
  bool starts_in_reasoning = false;  // the prompt left <think> open
};

// Decides the parsers for a rendered prompt; throws ApiError 400 (param "tools") when tools are
// asked for and the template cannot render them.
ChatOutputConfig chat_output_config(const ToolRequest& request, const ChatPrompt& prompt,
                                    const ChatOutputOverrides& overrides);
// Request parameters a format needs: Mistral's [TOOL_CALLS] is a special token, so it must not be
// skipped when decoding (vLLM does the same), unless the request said otherwise.
void adjust_params_for_tools(const ChatOutputConfig& config, const ToolRequest& request,
                             SamplingParams& params);

// The message of a finished choice: {"role","content","tool_calls"[, "reasoning_content"]}, and
// whether finish_reason becomes "tool_calls".
struct ChatMessage {
  Json message;
  bool tool_calls_finish = false;
};
ChatMessage chat_message(const ChatOutputConfig& config, const std::string& text,
                         FinishReason finish);

// Streaming: each piece of text becomes zero or more delta objects ({"content"},
// {"reasoning_content"}, {"tool_calls":[...]}), in order.
class ChatOutputStream {
 public:
  explicit ChatOutputStream(const ChatOutputConfig& config);
  std::vector<Json> feed(const std::string& text, bool at_end);
  // finish_reason "tool_calls" instead of the engine's (which is `finish`)?
  bool tool_calls_finish(FinishReason finish) const;

 private:
  std::vector<Json> content_deltas(const std::string& content, bool at_end);
  ChatOutputConfig config_;
  std::optional<ReasoningStreamParser> reasoning_;
  std::optional<ToolCallStreamParser> tools_;
};

}  // namespace pagoda::server
