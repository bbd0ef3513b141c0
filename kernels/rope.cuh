#pragma once
// The rotary embedding's arithmetic and the destination of a rotated head, shared by
// rope_store.cu and the QKV product's RoPE epilogue in gemv.cu, which must agree bit for bit.
// Device code; internal linkage like kernel_common.cuh.
#include "kernels/kernel_common.cuh"

namespace pagoda::cuda {
namespace {

// Rotates the pair (x0, x1) = (x[d], x[d + hd / 2]) of a q or k head at position pos. Written
// with explicit roundings so that no kernel's inlining can contract it differently (an fma that
// one call site forms and another does not would break the bit-for-bit agreement).
__device__ __forceinline__ void rope_rotate(float& x0, float& x1, float pos, float inv_freq,
                                            float rope_scale) {
  float s, c;
  sincosf(__fmul_rn(pos, inv_freq), &s, &c);
  c = __fmul_rn(c, rope_scale);
  s = __fmul_rn(s, rope_scale);
  const float y0 = __fmaf_rn(x0, c, -__fmul_rn(x1, s));
  const float y1 = __fmaf_rn(x1, c, __fmul_rn(x0, s));
  x0 = y0;
  x1 = y1;
}

// Where token t's head h (q heads, then k heads, then v heads) goes: q_out[t, h, :], or its KV
// head's row of the cache at the token's slot; null for k/v of a token without a slot.
__device__ __forceinline__ bf16* rope_head_destination(const RopeStoreParams& p, int t, int h,
                                                       int slot) {
  if (h < p.nh) return p.q_out + (static_cast<size_t>(t) * p.nh + h) * p.hd;
  if (slot < 0) return nullptr;
  const bool is_k = h < p.nh + p.nkv;
  const int kvh = is_k ? h - p.nh : h - p.nh - p.nkv;
  return (is_k ? p.k_cache : p.v_cache) + (static_cast<size_t>(slot) * p.nkv + kvh) * p.hd;
}

}  // namespace
}  // namespace pagoda::cuda
