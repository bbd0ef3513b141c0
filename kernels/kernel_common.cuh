#pragma once
// Device helpers shared by the kernels' .cu files (one file per op, each with its host
// launcher): warp and block reductions, and the argmax merge with ties to the lower
// index (the tensor-core primitives are in mma_primitives.cuh).
// Internal linkage: every .cu compiles its own inline copy.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cfloat>
#include <cmath>
#include <algorithm>
#include <utility>

#include "kernels/kernels.h"
#include "kernels/pdl.cuh"

namespace pagoda::cuda {


namespace {

__device__ __forceinline__ uint4 load_stream(const void* p) {
  uint4 v;
  // 16 bytes of weights, read once per step: kept out of L1.
  asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
               : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
               : "l"(p));
  return v;
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Sum over the block; every thread gets the result. scratch holds 32 floats.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_sum(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  const int nwarps = (blockDim.x + 31) >> 5;
  float t = lane < nwarps ? scratch[lane] : 0.0f;
  return warp_sum(t);
}

// Argmax as (value, index) with ties to the lower index.
__device__ __forceinline__ void argmax_merge(float& v, int& i, float ov, int oi) {
  if (ov > v || (ov == v && oi < i)) {
    v = ov;
    i = oi;
  }
}


}  // namespace
}  // namespace pagoda::cuda
