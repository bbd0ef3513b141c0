#pragma once
// The reference sampler: what every backend must compute for a row of logits. The CPU backend
// calls it directly; the CUDA backend implements the same steps on the GPU with the same random
// draw (philox.h), and is tested against this.
//
// Order: tokens outside the row's allowed_tokens mask become -inf; logprobs of these logits are
// recorded; then repetition/presence/frequency penalties,
// banned ids, temperature (0 = greedy argmax), top-k, top-p, min-p, and one uniform draw
// u = uniform(seed, step) mapped through the cumulative distribution of the kept tokens in
// descending-probability order.
#include <span>

#include "engine/backend/backend.h"

namespace pagoda {

SampledToken sample_row(std::span<float> logits, const SamplingRow& row);

}  // namespace pagoda
