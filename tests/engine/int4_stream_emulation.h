#pragma once
// What kernels/kernel_common.cuh gives quant_int4_stream.cu, for its CPU emulation
// (tests/engine/quant.cmake): the programmatic-launch wait and trigger, and rsqrtf from the C++
// library, load_stream as a plain load, rope.cuh's rounded products, __ffs (the CUDA headers first, so the macro does not reach their declarations); __expf comes
// with the other device primitives from mma_emulation.h.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>

#include "kernels/pdl.cuh"  // host-compilable: its wait and trigger are empty off the device
// A 16-byte load that bypasses L1 on the device: a plain load here.
inline uint4 load_stream(const void* p) { return *static_cast<const uint4*>(p); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline float emu_rsqrtf(float x) { return 1.0f / std::sqrt(x); }
#define rsqrtf emu_rsqrtf
// rope.cuh's explicitly rounded arithmetic (sincosf is the C library's).
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
