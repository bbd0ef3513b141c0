#pragma once
// What kernels/kernel_common.cuh gives quant_int4_stream.cu, for its CPU emulation
// (tests/engine/quant.cmake): no programmatic launches on the host, and __expf and rsqrtf from
// the C++ library (the CUDA headers first, so the macros do not reach their declarations).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>

namespace pagoda::cuda {
namespace {
inline void pdl_wait() {}
inline void pdl_trigger() {}
}  // namespace
}  // namespace pagoda::cuda
inline float emu_expf(float x) { return std::exp(x); }
inline float emu_rsqrtf(float x) { return 1.0f / std::sqrt(x); }
#define __expf emu_expf
#define rsqrtf emu_rsqrtf
