#pragma once
// The int4 mma fragment layout (quant_gemm.h, QuantPart::frag) as device helpers shared by its
// kernels: quant_int4_mma.cu (repacking, the 9..128-token products, dequantization),
// quant_int4_wgmma.cu (the 65..128-token tiles on sm_90a) and quant_int4_stream.cu (the
// 1..8-token streaming product). Internal linkage: every .cu compiles its own inline copy.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

namespace pagoda::cuda {
namespace {

__device__ __forceinline__ uint32_t bf16x2_bits(__nv_bfloat162 v) {
  return *reinterpret_cast<uint32_t*>(&v);
}

// Layout. The input channels go in blocks of 64 (a "k group" of four 16-deep mma tiles j). Lane
// (g, t) = (lane / 4, lane % 4) owns channels 64 kg + 16 t .. + 16 of that block, so it reads its
// activations with two 16-byte loads; tile j's mma k index 2t, 2t + 1, 2t + 8, 2t + 9 stands for
// channel 64 kg + 16 t + 4 j + 0, 1, 2, 3 (any channel order works if weights and activations
// agree). Nibble i of the lane's word j holds the weight at row 16 rb + g + 8 (i & 1), channel
// 64 kg + 16 t + 4 j + 2 ((i >> 1) & 1) + (i >> 2): nibbles r and r + 4 are the bf16 pair of
// A register r of the m16n8k16 fragment.
__device__ __forceinline__ int frag_row(int lane, int i) { return (lane >> 2) + 8 * (i & 1); }
__device__ __forceinline__ int frag_channel(int lane, int j, int i) {
  return 16 * (lane & 3) + 4 * j + 2 * ((i >> 1) & 1) + (i >> 2);
}

// The lane's 16 bytes (its 4 words j) of row block rb and k group kg are uint4 number
// (rb * kgroups + kg) * 32 + lane of QuantPart::frag.

// The scale group of k group kg is kg >> group_shift(group_size, k) where a group is the whole
// input (31) or a power of two k groups; -1 otherwise (the product divides: ~20 instructions of a
// k group's ~150 in q5, docs/cuda-notes.md).
__device__ __forceinline__ int group_shift(int group_size, int k) {
  if (group_size >= k) return 31;
  const int per = group_size / 64;
  return group_size % 64 == 0 && per > 0 && (per & (per - 1)) == 0 ? __ffs(per) - 1 : -1;
}

// The bf16x2 of 128 + zero and the float scale of one row and group.
__device__ __forceinline__ void row_scale(uint32_t scale_zero_bits, uint32_t& zero2,
                                          float& scale) {
  const float2 sz = __half22float2(*reinterpret_cast<const __half2*>(&scale_zero_bits));
  zero2 = bf16x2_bits(__float2bfloat162_rn(128.0f + sz.y));
  scale = sz.x;
}

// (v & 0x000F000F) | 0x43004300 as one LOP3: written as C, the compiler emits an AND and an OR
// (a LOP3 takes one immediate), twice the decode's logic instructions (docs/cuda-notes.md q5).
__device__ __forceinline__ uint32_t nibble_pair_bits(uint32_t v) {
#if defined(__CUDA_ARCH__)
  uint32_t out;
  asm("lop3.b32 %0, %1, %2, %3, 0xEA;" : "=r"(out) : "r"(v), "r"(0x000F000Fu), "r"(0x43004300u));
  return out;
#else
  return (v & 0x000F000Fu) | 0x43004300u;
#endif
}

// The A fragments of the four tiles of one word group: q - zero, exact in bf16 (|q - zero| <= 16).
__device__ __forceinline__ void decode_group(const uint4& words, uint32_t zero_lo, uint32_t zero_hi,
                                             uint32_t (&a)[4][4]) {
  const uint32_t wj[4] = {words.x, words.y, words.z, words.w};
#pragma unroll
  for (int j = 0; j < 4; ++j)
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      // 0x4300 is bf16 128.0 with a zero mantissa: OR-ing a nibble in gives 128 + q exactly.
      const uint32_t v = nibble_pair_bits(wj[j] >> (4 * r));
      const uint32_t z = (r & 1) ? zero_hi : zero_lo;
      a[j][r] = bf16x2_bits(__hsub2(*reinterpret_cast<const __nv_bfloat162*>(&v),
                                    *reinterpret_cast<const __nv_bfloat162*>(&z)));
    }
}

// The fragments as bf16 weights, (q - zero) * scale rounded to bf16 (the dequantize route's
// precision), from the scale_zero words of rows g and g + 8: the tile products, whose tensor
// cores accumulate across k groups of different scales.
__device__ __forceinline__ void decode_group_scaled(const uint4& words, uint32_t scale_zero_lo,
                                                    uint32_t scale_zero_hi, uint32_t (&a)[4][4]) {
  uint32_t zero_lo, zero_hi;
  float scale_lo, scale_hi;
  row_scale(scale_zero_lo, zero_lo, scale_lo);
  row_scale(scale_zero_hi, zero_hi, scale_hi);
  decode_group(words, zero_lo, zero_hi, a);
  const __nv_bfloat162 sc_lo = __float2bfloat162_rn(scale_lo);
  const __nv_bfloat162 sc_hi = __float2bfloat162_rn(scale_hi);
#pragma unroll
  for (int j = 0; j < 4; ++j)
#pragma unroll
    for (int r = 0; r < 4; ++r)
      a[j][r] = bf16x2_bits(__hmul2(*reinterpret_cast<const __nv_bfloat162*>(&a[j][r]),
                                    (r & 1) ? sc_hi : sc_lo));
}

// The same fragments without the zero: 128 + q (exact), for products that subtract
// (128 + zero) * sum(x) once per k group instead (quant_int4_stream.cu's staged kernels).
__device__ __forceinline__ void decode_group_biased(const uint4& words, uint32_t (&a)[4][4]) {
  const uint32_t wj[4] = {words.x, words.y, words.z, words.w};
#pragma unroll
  for (int j = 0; j < 4; ++j)
#pragma unroll
    for (int r = 0; r < 4; ++r) a[j][r] = nibble_pair_bits(wj[j] >> (4 * r));
}

}  // namespace
}  // namespace pagoda::cuda
