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

}  // namespace pagoda::cuda
