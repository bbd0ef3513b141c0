#pragma once
// A model's output → OpenAI tool calls, per model family, whole or streamed. The families:
// hermes (Hermes, Qwen2.5, Qwen3: <tool_call>{"name":..,"arguments":{..}}</tool_call>, several),
// llama3_json (Llama 3.x: {"name":..,"parameters":{..}} objects, optionally after
// <|python_tag|>, separated by ';'), mistral ([TOOL_CALLS][{..},..] and the newer
// [TOOL_CALLS]name[ARGS]{..} form). A call that does not parse, or names a function the request
// did not offer, leaves the whole output as plain content. Plain values and classes without
// shared state: use one ToolCallStreamParser per choice, from one thread at a time.
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace pagoda {

enum class ToolCallFormat {
  none,         // no parsing: the output is content
  hermes,       // <tool_call>{...}</tool_call>
  llama3_json,  // {"name":..,"parameters":..}, <|python_tag|>
  mistral,      // [TOOL_CALLS]
  // Internal formats of tool_choice "required" / a named function (the output is constrained):
  json_array,   // [{"name":..,"parameters":{..}}, ...]
  json_arguments,  // the output is the arguments object of one named function
};

// vLLM's --tool-call-parser names: "hermes", "llama3_json" (also "llama"), "mistral", "none".
std::optional<ToolCallFormat> tool_call_format_from_name(std::string_view name);
const char* tool_call_format_name(ToolCallFormat format);
// The format a chat template's source asks the model for, from the markers it mentions.
ToolCallFormat detect_tool_call_format(std::string_view template_source);

struct ToolCall {
  std::string id;         // "call_..." (mistral: 9 alphanumerics, as its templates require)
  std::string name;
  std::string arguments;  // JSON text of an object
};

struct ParsedToolOutput {
  std::string content;  // text outside the calls (all of it when there are none)
  std::vector<ToolCall> calls;
};

// What the parsers need to know of a request.
struct ToolParseOptions {
  ToolCallFormat format = ToolCallFormat::none;
  std::set<std::string> names;  // the functions offered; empty: any name is accepted
  std::string forced_name;      // json_arguments: the function whose arguments the output is
};

// The whole output at once (non-streaming responses).
ParsedToolOutput parse_tool_calls(const ToolParseOptions& options, std::string_view text);

// A fresh id for a tool call of this format.
std::string new_tool_call_id(ToolCallFormat format);

// One piece of a streamed tool call: the first for a call carries id and name (arguments ""),
// the later ones argument text to append.
struct ToolCallDelta {
  int index = 0;
  bool first = false;
  std::string id, name;
  std::string arguments;
};

struct ToolStreamDelta {
  std::string content;
  std::vector<ToolCallDelta> calls;
  bool empty() const { return content.empty() && calls.empty(); }
};

// Streaming: text in as the model writes it, content and call pieces out. Text that may be the
// start of a call marker is held back until it is clear what it is. The pieces of a call
// concatenate to what parse_tool_calls returns for the whole text.
class ToolCallStreamParser {
 public:
  explicit ToolCallStreamParser(ToolParseOptions options);
  ToolStreamDelta feed(std::string_view text);
  ToolStreamDelta finish();  // the output ended: flushes what was held back
  bool called() const { return !sent_.empty(); }

 private:
  ToolStreamDelta step(bool at_end);
  struct Sent {
    std::string id;
    size_t args_sent = 0;
  };
  ToolParseOptions options_;
  std::string text_;
  size_t content_sent_ = 0;
  std::vector<Sent> sent_;
  bool plain_ = false;   // the output proved not to be calls: everything is content
  bool broken_ = false;  // a call already streamed turned out malformed: nothing more
};

}  // namespace pagoda
