#pragma once
// One 16-byte chunk of an RMS-normalized bf16 row, computed the way add_rmsnorm and
// rms_normalize round it: shared by the decode products that normalize their input themselves
// (gemv.cu's norm prologue, quant_int4_stream.cu's staged activations). Internal linkage.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace pagoda::cuda {
namespace {

// bf16(r[i] * inv * w[i]) for the 8 residual values r0, r1 and bf16 norm weights wv.
__device__ __forceinline__ uint4 rmsnorm_values8(const float4& r0, const float4& r1,
                                                 const uint4& wv, float inv) {
  const __nv_bfloat162* w2 = reinterpret_cast<const __nv_bfloat162*>(&wv);
  const float rv[8] = {r0.x, r0.y, r0.z, r0.w, r1.x, r1.y, r1.z, r1.w};
  uint4 out;
  __nv_bfloat162* o2 = reinterpret_cast<__nv_bfloat162*>(&out);
#pragma unroll
  for (int u = 0; u < 4; ++u) {
    const float2 wf = __bfloat1622float2(w2[u]);
    o2[u] = __halves2bfloat162(__float2bfloat16(rv[2 * u] * inv * wf.x),
                               __float2bfloat16(rv[2 * u + 1] * inv * wf.y));
  }
  return out;
}

// bf16(residual[8 c8 + i] * inv * weight[8 c8 + i]) for i < 8, inv = rsqrt(mean square + eps).
__device__ __forceinline__ uint4 rmsnorm_chunk8(const float* residual_row,
                                                const __nv_bfloat16* weight, int c8, float inv) {
  const float4* r = reinterpret_cast<const float4*>(residual_row) + 2 * c8;
  return rmsnorm_values8(__ldg(r), __ldg(r + 1), __ldg(reinterpret_cast<const uint4*>(weight) + c8),
                         inv);
}

}  // namespace
}  // namespace pagoda::cuda
