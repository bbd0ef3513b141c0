#include "engine/chat/reasoning_parser.h"

#include "engine/chat/marker_match.h"

namespace pagoda {
namespace {

constexpr std::string_view kOpen = "<think>";
constexpr std::string_view kClose = "</think>";

bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }


}  // namespace

std::optional<ReasoningFormat> reasoning_format_from_name(std::string_view name) {
  if (name == "deepseek_r1" || name == "qwen3") return ReasoningFormat::think;
  if (name == "none") return ReasoningFormat::none;
  return std::nullopt;
}

ReasoningFormat detect_reasoning_format(std::string_view source) {
  const bool mentions = source.find(kOpen) != std::string_view::npos ||
                        source.find(kClose) != std::string_view::npos;
  return mentions ? ReasoningFormat::think : ReasoningFormat::none;
}

bool prompt_opens_reasoning(std::string_view prompt) {
  while (!prompt.empty() && is_ws(prompt.back())) prompt.remove_suffix(1);
  return prompt.size() >= kOpen.size() && prompt.substr(prompt.size() - kOpen.size()) == kOpen;
}

ReasoningDelta ReasoningStreamParser::feed(std::string_view text) {
  pending_ += text;
  return step(false);
}

ReasoningDelta ReasoningStreamParser::finish() { return step(true); }

ReasoningDelta ReasoningStreamParser::step(bool at_end) {
  ReasoningDelta d;
  for (;;) {
    if (at_section_start_) {
      size_t ws = 0;
      while (ws < pending_.size() && is_ws(pending_[ws])) ++ws;
      pending_.erase(0, ws);
      if (pending_.empty()) break;
      at_section_start_ = false;
    }
    const std::string_view tag = in_reasoning_ ? kClose : kOpen;
    size_t at = pending_.find(tag);
    size_t usable = at != std::string::npos ? at
                    : at_end               ? pending_.size()
                                           : pending_.size() - partial_marker_length(pending_, tag);
    std::string piece = pending_.substr(0, usable);
    if (in_reasoning_) {
      saw_reasoning_ = true;
      // Whitespace before </think> is not part of the reasoning: held until text follows it.
      size_t keep = piece.size();
      while (keep > 0 && is_ws(piece[keep - 1])) --keep;
      if (keep > 0) {
        d.reasoning += held_ws_;
        held_ws_.clear();
        d.reasoning.append(piece, 0, keep);
      }
      held_ws_.append(piece, keep, std::string::npos);
    } else {
      d.content += piece;
    }
    if (at == std::string::npos) {
      pending_.erase(0, usable);
      break;
    }
    pending_.erase(0, at + tag.size());
    if (in_reasoning_) held_ws_.clear();
    in_reasoning_ = !in_reasoning_;
    saw_reasoning_ = saw_reasoning_ || in_reasoning_;
    at_section_start_ = true;
  }
  if (at_end) held_ws_.clear();
  return d;
}

ReasoningSplit split_reasoning(std::string_view text, bool starts_in_reasoning) {
  ReasoningStreamParser p(starts_in_reasoning);
  ReasoningDelta a = p.feed(text);
  ReasoningDelta b = p.finish();
  ReasoningSplit s;
  s.reasoning = a.reasoning + b.reasoning;
  s.content = a.content + b.content;
  s.reasoning_open = p.in_reasoning();
  s.has_reasoning = p.saw_reasoning();
  return s;
}

ReasoningSplit split_reasoning_guess(std::string_view text) {
  const bool opened_by_prompt =
      text.find(kOpen) == std::string_view::npos && text.find(kClose) != std::string_view::npos;
  return split_reasoning(text, opened_by_prompt);
}

}  // namespace pagoda
