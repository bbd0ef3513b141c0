#include "engine/core/sequence_output.h"

#include <algorithm>

namespace pagoda {

SequenceOutput::SequenceOutput(const Tokenizer& tokenizer, const SamplingParams& params,
                               std::vector<int32_t> eos_ids, int max_tokens, int max_model_len)
    : detok_(tokenizer, params.skip_special_tokens),
      params_(params),
      eos_ids_(std::move(eos_ids)),
      max_tokens_(max_tokens),
      max_model_len_(max_model_len) {
  for (const auto& s : params_.stop) longest_stop_ = std::max(longest_stop_, s.size());
}

bool SequenceOutput::is_eos(int32_t id) const {
  return std::find(eos_ids_.begin(), eos_ids_.end(), id) != eos_ids_.end();
}

bool SequenceOutput::is_stop_token(int32_t id) const {
  const auto& ids = params_.stop_token_ids;
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::vector<int32_t> SequenceOutput::banned_ids(int num_output_tokens) const {
  if (num_output_tokens >= params_.min_tokens) return {};
  std::vector<int32_t> banned = params_.stop_token_ids;
  if (!params_.ignore_eos) banned.insert(banned.end(), eos_ids_.begin(), eos_ids_.end());
  return banned;
}

std::string SequenceOutput::push(int32_t token, int num_output_tokens, int num_tokens) {
  if (finished()) return {};
  // Before min_tokens the sampler banned these ids, so any of them here may end the sequence.
  const bool eos = !params_.ignore_eos && is_eos(token);
  std::string text;
  if (eos || is_stop_token(token)) {
    // An EOS id is never text; another stop id is text unless it is a special token.
    if (!eos) text = detok_.push(token);
    finish_ = FinishReason::Stop;
    if (!eos || is_stop_token(token)) stop_reason_ = std::to_string(token);
    text += detok_.flush();
    return release(text, num_output_tokens, true);
  }
  text = detok_.push(token);
  const bool length = num_output_tokens >= max_tokens_ || num_tokens >= max_model_len_;
  if (length) text += detok_.flush();
  std::string out = release(text, num_output_tokens, length);
  if (length && !finished()) finish_ = FinishReason::Length;
  return out;
}

std::string SequenceOutput::finish_stop() {
  if (finished()) return {};
  std::string out = held_ + detok_.flush();
  held_.clear();
  finish_ = FinishReason::Stop;
  return out;
}

std::string SequenceOutput::release(const std::string& text, int num_output_tokens, bool final) {
  held_ += text;
  if (!params_.stop.empty() && num_output_tokens >= params_.min_tokens &&
      finish_ != FinishReason::Stop) {
    size_t best = std::string::npos;
    const std::string* match = nullptr;
    for (const auto& s : params_.stop) {
      if (s.empty()) continue;
      size_t pos = held_.find(s);
      if (pos < best) {
        best = pos;
        match = &s;
      }
    }
    if (match) {
      std::string out = held_.substr(0, best);
      if (params_.include_stop_str_in_output) out += *match;
      held_.clear();
      finish_ = FinishReason::Stop;
      stop_reason_ = *match;
      return out;
    }
  }
  if (final || longest_stop_ == 0) {
    std::string out;
    out.swap(held_);
    return out;
  }
  // Hold back the longest tail that is a proper prefix of some stop string.
  size_t hold = 0;
  for (size_t n = std::min(held_.size(), longest_stop_ - 1); n > 0 && hold == 0; --n) {
    std::string_view tail(held_.data() + held_.size() - n, n);
    for (const auto& s : params_.stop)
      if (s.size() > n && std::string_view(s).substr(0, n) == tail) {
        hold = n;
        break;
      }
  }
  std::string out = held_.substr(0, held_.size() - hold);
  held_.erase(0, held_.size() - hold);
  return out;
}

}  // namespace pagoda
