#pragma once
// What kernels/kernel_common.cuh gives quant_int4_stream.cu, for its CPU emulation
// (tests/engine/quant.cmake): the programmatic-launch wait and trigger, and rsqrtf from the C++
// library (the CUDA headers first, so the macro does not reach their declarations); __expf comes
// with the other device primitives from mma_emulation.h.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>

#include "kernels/pdl.cuh"  // host-compilable: its wait and trigger are empty off the device
inline float emu_rsqrtf(float x) { return 1.0f / std::sqrt(x); }
#define rsqrtf emu_rsqrtf
