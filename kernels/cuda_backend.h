#pragma once
// The CUDA backend. The engine reaches it only through pagoda_cuda_create_backend (dlopen); tests
// and pagoda-bench link the library and may use the class directly.
#include <cstddef>
#include <cstdint>

#include "engine/backend/backend.h"

extern "C" {
// nullptr with a reason in err when there is no usable driver or GPU.
pagoda::Backend* pagoda_cuda_create_backend(const pagoda::BackendOptions* opts, char* err,
                                            size_t errlen);
}

namespace pagoda::cuda {

// Benchmarks: loads random bf16 weights of config's shapes straight on the GPU (no files).
void load_random_weights(Backend& cuda_backend, const ModelConfig& config, uint64_t seed);

// Decode steps replay captured CUDA graphs unless disabled (tests compare both paths).
void set_cuda_graphs_enabled(Backend& cuda_backend, bool enabled);

// Where a step's time goes (pagoda-bench): with timing on, device events around each step's
// forward pass and its sampling; take_step_timings returns the sums since the last call.
struct StepTimings {
  int64_t steps = 0;
  double execute_ms = 0;     // host wall time inside execute()
  double forward_ms = 0;     // device time of the forward passes
  double sample_ms = 0;      // device time of the sampling
  int64_t graph_steps = 0;   // steps replayed from a captured graph
  int64_t graph_kernels = 0; // kernel nodes summed over those steps
};
void set_step_timing(Backend& cuda_backend, bool enabled);
StepTimings take_step_timings(Backend& cuda_backend);

}  // namespace pagoda::cuda
