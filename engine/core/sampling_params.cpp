#include "engine/core/sampling_params.h"

#include <algorithm>
#include <cmath>

#include "engine/core/engine.h"

namespace pagoda {

namespace {
template <typename T, typename D>
void take(T& field, const std::optional<D>& value) {
  if (value) field = static_cast<T>(*value);
}
}  // namespace

SamplingParams SamplingParams::with_defaults(const GenerationDefaults& defaults,
                                             const SamplingRequest& r) {
  SamplingParams p;
  take(p.temperature, defaults.temperature);
  take(p.top_p, defaults.top_p);
  take(p.top_k, defaults.top_k);
  take(p.min_p, defaults.min_p);
  take(p.repetition_penalty, defaults.repetition_penalty);
  if (defaults.max_new_tokens && *defaults.max_new_tokens > 0)
    p.max_tokens = *defaults.max_new_tokens;

  take(p.n, r.n);
  take(p.temperature, r.temperature);
  take(p.top_p, r.top_p);
  take(p.top_k, r.top_k);
  take(p.min_p, r.min_p);
  take(p.repetition_penalty, r.repetition_penalty);
  take(p.presence_penalty, r.presence_penalty);
  take(p.frequency_penalty, r.frequency_penalty);
  if (r.seed) p.seed = r.seed;
  take(p.max_tokens, r.max_tokens);
  take(p.min_tokens, r.min_tokens);
  if (r.stop) p.stop = *r.stop;
  if (r.stop_token_ids) p.stop_token_ids = *r.stop_token_ids;
  take(p.ignore_eos, r.ignore_eos);
  take(p.skip_special_tokens, r.skip_special_tokens);
  take(p.include_stop_str_in_output, r.include_stop_str_in_output);
  take(p.logprobs, r.logprobs);
  if (r.structured_output) p.structured_output = r.structured_output;
  return p;
}

std::optional<ParamError> SamplingParams::check() const {
  auto in = [](float v, float lo, float hi) { return std::isfinite(v) && v >= lo && v <= hi; };
  if (n < 1 || n > 128) return ParamError{"n", "'n' must be between 1 and 128"};
  if (!in(temperature, 0, 100))
    return ParamError{"temperature", "'temperature' must be between 0 and 100"};
  if (!(std::isfinite(top_p) && top_p > 0 && top_p <= 1))
    return ParamError{"top_p", "'top_p' must be in (0, 1]"};
  if (top_k < -1) return ParamError{"top_k", "'top_k' must be -1 (off), 0 (off) or positive"};
  if (!in(min_p, 0, 1)) return ParamError{"min_p", "'min_p' must be between 0 and 1"};
  if (!(std::isfinite(repetition_penalty) && repetition_penalty > 0 &&
        repetition_penalty <= 100))
    return ParamError{"repetition_penalty", "'repetition_penalty' must be in (0, 100]"};
  if (!in(presence_penalty, -2, 2))
    return ParamError{"presence_penalty", "'presence_penalty' must be between -2 and 2"};
  if (!in(frequency_penalty, -2, 2))
    return ParamError{"frequency_penalty", "'frequency_penalty' must be between -2 and 2"};
  if (max_tokens == 0 || max_tokens < -1)
    return ParamError{"max_tokens", "'max_tokens' must be at least 1 (or unset)"};
  if (min_tokens < 0) return ParamError{"min_tokens", "'min_tokens' must be >= 0"};
  if (logprobs < -1 || logprobs > 20)
    return ParamError{"logprobs", "'logprobs' must be between 0 and 20"};
  for (const auto& s : stop)
    if (s.empty()) return ParamError{"stop", "'stop' strings must not be empty"};
  for (int32_t id : stop_token_ids)
    if (id < 0) return ParamError{"stop_token_ids", "'stop_token_ids' must be non-negative"};
  return std::nullopt;
}

void SamplingParams::add_stops(const std::vector<std::string>& strings,
                               const std::vector<int32_t>& ids) {
  for (const auto& s : strings)
    if (std::find(stop.begin(), stop.end(), s) == stop.end()) stop.push_back(s);
  for (int32_t id : ids)
    if (std::find(stop_token_ids.begin(), stop_token_ids.end(), id) == stop_token_ids.end())
      stop_token_ids.push_back(id);
}

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::Stop:
      return "stop";
    case FinishReason::Length:
      return "length";
    case FinishReason::Abort:
      return "abort";
    case FinishReason::Error:
      return "error";
    case FinishReason::None:
      break;
  }
  return "";
}

}  // namespace pagoda
