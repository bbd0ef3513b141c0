#pragma once
// A reply split into its reasoning (<think>...</think>, as Qwen3, QwQ and DeepSeek-R1 write it)
// and its answer, whole or streamed: the server's reasoning_content and the GUI's folded
// thinking use this one split. Plain values; one ReasoningStreamParser per reply, one thread at
// a time.
#include <optional>
#include <string>
#include <string_view>

namespace pagoda {

enum class ReasoningFormat { none, think };  // think: <think>...</think>

// vLLM's --reasoning-parser names: "deepseek_r1", "qwen3" (both <think>), "none".
std::optional<ReasoningFormat> reasoning_format_from_name(std::string_view name);
// think when the chat template mentions <think> or </think>, else none.
ReasoningFormat detect_reasoning_format(std::string_view template_source);
// True when the rendered prompt leaves a <think> open (DeepSeek-R1 style templates, Qwen3's
// thinking variants): the reply starts inside the reasoning and only closes it.
bool prompt_opens_reasoning(std::string_view prompt_text);

struct ReasoningDelta {
  std::string reasoning;
  std::string content;
};

// Streaming split. Whitespace right after <think> and </think> and right before </think> is
// dropped; tags split across deltas are held back until they are complete.
class ReasoningStreamParser {
 public:
  explicit ReasoningStreamParser(bool starts_in_reasoning = false)
      : in_reasoning_(starts_in_reasoning), at_section_start_(starts_in_reasoning) {}
  ReasoningDelta feed(std::string_view text);
  ReasoningDelta finish();  // flushes what was held back
  bool in_reasoning() const { return in_reasoning_; }
  bool saw_reasoning() const { return saw_reasoning_; }

 private:
  ReasoningDelta step(bool at_end);
  std::string pending_;  // not yet classified
  bool in_reasoning_;
  bool at_section_start_;  // leading whitespace of the section is dropped
  bool saw_reasoning_ = false;
  std::string held_ws_;  // reasoning's trailing whitespace: dropped if </think> follows
};

struct ReasoningSplit {
  std::string reasoning;
  std::string content;
  bool reasoning_open = false;  // the reply ended inside <think> (still streaming, or cut off)
  bool has_reasoning = false;
};

// The whole reply: the concatenation of what ReasoningStreamParser gives for it.
ReasoningSplit split_reasoning(std::string_view text, bool starts_in_reasoning = false);
// For a reply whose prompt is unknown (the GUI's history): a reply with "</think>" but no
// "<think>" is taken to start inside the reasoning, as when the template opened it.
ReasoningSplit split_reasoning_guess(std::string_view text);

}  // namespace pagoda
