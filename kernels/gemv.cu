// Decode-sized products (M <= 4 rows) without cuBLAS.
#include "kernels/kernel_common.cuh"

namespace pagoda::cuda {

namespace {

// Decode-sized products: one warp per output row streams the weight row once with 16-byte loads
// and dots it with every token's row (M <= 4, K % 8 == 0).
template <int M, bool F32>
__global__ void __launch_bounds__(128)
    gemv_kernel(const bf16* x, const bf16* w, void* y, int n_rows, int k) {
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int n = blockIdx.x * 4 + warp;
  if (n >= n_rows) return;
  const uint4* wr = reinterpret_cast<const uint4*>(w + static_cast<size_t>(n) * k);
  const int chunks = k / 8;
  float acc[M];
#pragma unroll
  for (int m = 0; m < M; ++m) acc[m] = 0.0f;
#pragma unroll 4
  for (int c = lane; c < chunks; c += 32) {
    const uint4 wv = __ldg(wr + c);
    const __nv_bfloat162* w2 = reinterpret_cast<const __nv_bfloat162*>(&wv);
#pragma unroll
    for (int m = 0; m < M; ++m) {
      const uint4 xv = __ldg(reinterpret_cast<const uint4*>(x + static_cast<size_t>(m) * k) + c);
      const __nv_bfloat162* x2 = reinterpret_cast<const __nv_bfloat162*>(&xv);
#pragma unroll
      for (int u = 0; u < 4; ++u) {
        const float2 wf = __bfloat1622float2(w2[u]);
        const float2 xf = __bfloat1622float2(x2[u]);
        acc[m] += wf.x * xf.x + wf.y * xf.y;
      }
    }
  }
#pragma unroll
  for (int m = 0; m < M; ++m) acc[m] = warp_sum(acc[m]);
  if (lane == 0) {
#pragma unroll
    for (int m = 0; m < M; ++m) {
      if (F32)
        static_cast<float*>(y)[static_cast<size_t>(m) * n_rows + n] = acc[m];
      else
        static_cast<bf16*>(y)[static_cast<size_t>(m) * n_rows + n] = __float2bfloat16(acc[m]);
    }
  }
}

}  // namespace

bool gemm_small_m(const bf16* x, const bf16* w, void* y, int m, int n, int k, bool out_f32,
                  cudaStream_t stream) {
  if (m < 1 || m > 4 || k % 8 != 0) return false;
  const dim3 grid((n + 3) / 4);
#define PAGODA_GEMV(M)                                                \
  if (m == M) {                                                       \
    if (out_f32)                                                      \
      gemv_kernel<M, true><<<grid, 128, 0, stream>>>(x, w, y, n, k);  \
    else                                                              \
      gemv_kernel<M, false><<<grid, 128, 0, stream>>>(x, w, y, n, k); \
  }
  PAGODA_GEMV(1)
  PAGODA_GEMV(2)
  PAGODA_GEMV(3)
  PAGODA_GEMV(4)
#undef PAGODA_GEMV
      return true;
}

}  // namespace pagoda::cuda
