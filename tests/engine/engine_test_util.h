#pragma once
// What the engine tests share: request parameters. Header-only; any thread.
#include "engine/core/sampling_params.h"

namespace pagoda::testing {

// Greedy decoding of exactly max_tokens tokens (EOS ignored), so a test's token count is fixed.
inline SamplingParams greedy_params(int max_tokens) {
  SamplingParams p;
  p.temperature = 0;
  p.max_tokens = max_tokens;
  p.ignore_eos = true;
  return p;
}

}  // namespace pagoda::testing
