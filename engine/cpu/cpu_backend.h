#pragma once
// The CPU backend: float32 math on OpenBLAS GEMMs, weights widened to float32 once at load
// (quantized AWQ/GPTQ/FP8 linears dequantized once at load), KV cache in float32 in the shared
// paged layout of backend/backend.h.
#include <memory>

#include "engine/backend/backend.h"

namespace pagoda {

std::unique_ptr<Backend> create_cpu_backend(const BackendOptions& options);

}  // namespace pagoda
