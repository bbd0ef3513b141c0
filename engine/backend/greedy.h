#pragma once
// The one greedy rule of every sampler (the CPU sampler, the CUDA kernels and the CUDA host's
// sampling route): a temperature below kGreedyTemperature, or NaN, means argmax. Plain C++17 so
// that nvcc compiles it into the kernels too.
#include "engine/backend/philox.h"  // PAGODA_HD

namespace pagoda {

// Dividing logits by a smaller temperature would overflow.
constexpr float kGreedyTemperature = 1e-5f;

PAGODA_HD bool is_greedy(float temperature) { return !(temperature >= kGreedyTemperature); }

}  // namespace pagoda
