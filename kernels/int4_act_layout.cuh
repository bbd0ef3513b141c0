#pragma once
// The activations' layout of the register-A wgmma tiles (quant_int4_wgmma.cu): written by its
// reorder kernel (int4_frag_order_kernel) from row-major activations, or directly by the kernel
// that produces a product's input (add_rmsnorm, silu_mul, through FragActOut in kernels.h: q12),
// so both write one layout. Internal linkage: every .cu compiles its own inline copy.
//
// Within each k group of 64 channels the channels go in the weights' fragment channel order
// (quant_int4_frag.cuh: mma k index kk = 2 t + 8 h + e of k slice j is channel 16 t + 4 j + 2 h +
// e), which in channel pairs is: input pair 8 u + q (q < 8, u < 4) is word u of 16-byte chunk q.
// Tokens go in tiles of n_tile (64 or 128), and tile (token tile tt, k group kg) is one block of
// n_tile rows of 64 channels at element (tt * kgroups + kg) * n_tile * 64, so a CTA copies a k
// group's activations as one contiguous block; token r's chunk q lies at chunk q ^ (r & 7) of its
// row (the 128-byte swizzle of wgmma's shared-memory operand).
#include <cuda_runtime.h>

#include <cstddef>

namespace pagoda::cuda {
namespace {

// Where chunk q of row r of a tile lies, and (the swizzle is its own inverse) which chunk lies at
// position q.
__host__ __device__ __forceinline__ int frag_act_chunk_at(int q, int r) { return q ^ (r & 7); }

// Element offset of the 64-channel row of token `token`, k group kg.
__host__ __device__ __forceinline__ size_t frag_act_row(int token, int kg, int kgroups,
                                                        int n_tile) {
  return ((static_cast<size_t>(token / n_tile) * kgroups + kg) * n_tile + token % n_tile) * 64;
}

// Element offset of channel c of token `token` (kgroups k groups, tiles of n_tile tokens).
__host__ __device__ __forceinline__ size_t frag_act_offset(int token, int c, int kgroups,
                                                           int n_tile) {
  const int pair = (c & 63) >> 1;  // in its k group
  return frag_act_row(token, c >> 6, kgroups, n_tile) +
         8 * frag_act_chunk_at(pair & 7, token % n_tile) + 2 * (pair >> 3) + (c & 1);
}

// Clears `count` floats at p (16-byte aligned) with every thread of a grid, thread `thread` of
// `threads`: the split tiles' float accumulator, zeroed by the kernel that runs right before the
// product (its reorder kernel, or the producer of its input in this layout: FragActOut), not by
// the finishing pass after it (q12: clearing what it had just read made that pass 5x slower).
__device__ __forceinline__ void clear_split_accum(float* p, int count, long thread, long threads) {
  for (long i = 4 * thread; i < count; i += 4 * threads) {
    if (i + 4 <= count)
      *reinterpret_cast<float4*>(p + i) = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    else
      for (long j = i; j < count; ++j) p[j] = 0.0f;
  }
}

}  // namespace
}  // namespace pagoda::cuda
