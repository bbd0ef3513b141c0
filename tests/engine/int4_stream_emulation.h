#pragma once
// What kernels/kernel_common.cuh gives quant_int4_stream.cu, for its CPU emulation
// (tests/engine/quant.cmake): no programmatic launches on the host, and __expf as std::exp.
#include <cmath>

namespace pagoda::cuda {
namespace {
inline void pdl_wait() {}
inline void pdl_trigger() {}
}  // namespace
}  // namespace pagoda::cuda
inline float emu_expf(float x) { return std::exp(x); }
#define __expf emu_expf
