#include "core/sampling_params.h"

#include "core/engine.h"

namespace pagoda {

// Like vLLM's "auto" generation config: only the sampling fields a model ships override the
// neutral defaults; do_sample is ignored, as vLLM does.
SamplingParams SamplingParams::from_defaults(const GenerationDefaults& defaults) {
  SamplingParams p;
  if (defaults.temperature) p.temperature = static_cast<float>(*defaults.temperature);
  if (defaults.top_p) p.top_p = static_cast<float>(*defaults.top_p);
  if (defaults.top_k) p.top_k = *defaults.top_k;
  if (defaults.min_p) p.min_p = static_cast<float>(*defaults.min_p);
  if (defaults.repetition_penalty)
    p.repetition_penalty = static_cast<float>(*defaults.repetition_penalty);
  if (defaults.max_new_tokens && *defaults.max_new_tokens > 0)
    p.max_tokens = *defaults.max_new_tokens;
  return p;
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
