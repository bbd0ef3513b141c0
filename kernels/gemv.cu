// Decode-sized products (M <= 4 rows) without cuBLAS, with the fused norm prologue and the
// SwiGLU and residual epilogues of kernels.h's GemvParams.
#include "kernels/kernel_common.cuh"

namespace pagoda::cuda {

namespace {

bool g_programmatic_launch = true;

constexpr int kGemvWarps = 8;
enum GemvEpilogue { kStoreBf16, kStoreF32, kResidual, kSwiglu };

__device__ __forceinline__ void prefetch_l2(const void* p, int bytes) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;" ::"l"(p), "r"(bytes) : "memory");
#endif
}

// One warp per output row (two rows, gate and up, with SwiGLU): streams the weight row once with
// 16-byte loads and dots it with every token's row. Warps loop over rows when the grid is capped.
template <int M, bool NORM, int EPI>
__global__ void __launch_bounds__(kGemvWarps * 32) gemv_kernel(GemvParams p) {
  extern __shared__ __align__(16) unsigned char gemv_smem[];
  __shared__ float block_sums[kGemvWarps][M];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int k = p.k, chunks = k / 8;
  const int row_step = gridDim.x * kGemvWarps;
  const int first = blockIdx.x * kGemvWarps + warp;
  // The weights do not depend on earlier kernels: start this warp's first row(s) towards L2
  // while the previous kernel drains.
  if (lane == 0 && first < p.n) {
    prefetch_l2(p.w + static_cast<size_t>(first) * k, k * 2);
    if (EPI == kSwiglu) prefetch_l2(p.w + static_cast<size_t>(first + p.n) * k, k * 2);
  }
  pdl_wait();
  pdl_trigger();

  const bf16* x = p.x;
  if constexpr (NORM) {
    bf16* xs = reinterpret_cast<bf16*>(gemv_smem);
#pragma unroll
    for (int t = 0; t < M; ++t) {
      const float inv = rsqrtf(p.norm_sumsq[t] / k + p.eps);
      const float* res = p.norm_residual + static_cast<size_t>(t) * k;
      for (int c = threadIdx.x; c < k; c += blockDim.x)
        xs[t * k + c] = __float2bfloat16(res[c] * inv * __bfloat162float(p.norm_weight[c]));
    }
    __syncthreads();
    x = xs;
  }

  float sums[M];
#pragma unroll
  for (int m = 0; m < M; ++m) sums[m] = 0.0f;
  for (int n = first; n < p.n; n += row_step) {
    const uint4* wr = reinterpret_cast<const uint4*>(p.w + static_cast<size_t>(n) * k);
    const uint4* wu = reinterpret_cast<const uint4*>(p.w + static_cast<size_t>(n + p.n) * k);
    float acc[M], acc_up[M];
#pragma unroll
    for (int m = 0; m < M; ++m) acc[m] = acc_up[m] = 0.0f;
#pragma unroll 4
    for (int c = lane; c < chunks; c += 32) {
      const uint4 wv = load_stream(wr + c);
      uint4 uv = make_uint4(0, 0, 0, 0);
      if (EPI == kSwiglu) uv = load_stream(wu + c);
      const __nv_bfloat162* w2 = reinterpret_cast<const __nv_bfloat162*>(&wv);
      const __nv_bfloat162* u2 = reinterpret_cast<const __nv_bfloat162*>(&uv);
#pragma unroll
      for (int m = 0; m < M; ++m) {
        const uint4* xr = reinterpret_cast<const uint4*>(x + static_cast<size_t>(m) * k) + c;
        const uint4 xv = NORM ? *xr : __ldg(xr);
        const __nv_bfloat162* x2 = reinterpret_cast<const __nv_bfloat162*>(&xv);
#pragma unroll
        for (int u = 0; u < 4; ++u) {
          const float2 xf = __bfloat1622float2(x2[u]);
          const float2 wf = __bfloat1622float2(w2[u]);
          acc[m] += wf.x * xf.x + wf.y * xf.y;
          if (EPI == kSwiglu) {
            const float2 uf = __bfloat1622float2(u2[u]);
            acc_up[m] += uf.x * xf.x + uf.y * xf.y;
          }
        }
      }
    }
#pragma unroll
    for (int m = 0; m < M; ++m) {
      acc[m] = warp_sum(acc[m]);
      if (EPI == kSwiglu) acc_up[m] = warp_sum(acc_up[m]);
    }
    if (lane != 0) continue;
#pragma unroll
    for (int m = 0; m < M; ++m) {
      const size_t at = static_cast<size_t>(m) * p.n + n;
      if (EPI == kStoreF32) {
        static_cast<float*>(p.y)[at] = acc[m];
      } else if (EPI == kStoreBf16) {
        static_cast<bf16*>(p.y)[at] = __float2bfloat16(acc[m]);
      } else if (EPI == kSwiglu) {
        const float g = __bfloat162float(__float2bfloat16(acc[m]));
        const float u = __bfloat162float(__float2bfloat16(acc_up[m]));
        static_cast<bf16*>(p.y)[at] = __float2bfloat16(g / (1.0f + __expf(-g)) * u);
      } else {
        const float r = p.residual[at] + __bfloat162float(__float2bfloat16(acc[m]));
        p.residual[at] = r;
        sums[m] += r * r;
      }
    }
  }
  if constexpr (EPI == kResidual) {
    if (lane == 0)
#pragma unroll
      for (int m = 0; m < M; ++m) block_sums[warp][m] = sums[m];
    __syncthreads();
    if (threadIdx.x < M) {
      float s = 0.0f;
#pragma unroll
      for (int w = 0; w < kGemvWarps; ++w) s += block_sums[w][threadIdx.x];
      atomicAdd(p.sumsq_out + threadIdx.x, s);
    }
  }
}

int sm_count() {
  static const int count = [] {
    int dev = 0, n = 0;
    cudaGetDevice(&dev);
    cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev);
    return n > 0 ? n : 1;
  }();
  return count;
}

template <int M, bool NORM, int EPI>
void launch_gemv(const GemvParams& p, cudaStream_t stream) {
  int blocks = (p.n + kGemvWarps - 1) / kGemvWarps;
  // Each block of the norm prologue normalizes the whole input first: fewer, longer-lived
  // blocks amortize that.
  if (NORM) blocks = std::min(blocks, 2 * sm_count());
  const size_t smem = NORM ? static_cast<size_t>(M) * p.k * sizeof(bf16) : 0;
  launch_kernel(gemv_kernel<M, NORM, EPI>, dim3(blocks), dim3(kGemvWarps * 32), smem, stream, p);
}

template <int M>
void launch_gemv_m(const GemvParams& p, cudaStream_t stream) {
  const bool norm = p.norm_residual != nullptr;
  const int epi = p.residual ? kResidual : p.swiglu ? kSwiglu : p.out_f32 ? kStoreF32 : kStoreBf16;
#define PAGODA_GEMV_EPI(E)                                    \
  if (epi == E) {                                             \
    if (norm)                                                 \
      launch_gemv<M, true, E>(p, stream);                     \
    else                                                      \
      launch_gemv<M, false, E>(p, stream);                    \
  }
  PAGODA_GEMV_EPI(kStoreBf16)
  PAGODA_GEMV_EPI(kStoreF32)
  PAGODA_GEMV_EPI(kResidual)
  PAGODA_GEMV_EPI(kSwiglu)
#undef PAGODA_GEMV_EPI
}

template <int M>
void set_gemv_smem() {
  // The norm prologue stages M rows of up to 16384 bf16 values.
  const int bytes = M * 16384 * static_cast<int>(sizeof(bf16));
  cudaFuncSetAttribute(gemv_kernel<M, true, kStoreBf16>,
                       cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
  cudaFuncSetAttribute(gemv_kernel<M, true, kStoreF32>,
                       cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
  cudaFuncSetAttribute(gemv_kernel<M, true, kResidual>,
                       cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
  cudaFuncSetAttribute(gemv_kernel<M, true, kSwiglu>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                       bytes);
}

}  // namespace

void set_programmatic_launch(bool enabled) { g_programmatic_launch = enabled; }
bool programmatic_launch_enabled() { return g_programmatic_launch; }

void gemv_init() {
  set_gemv_smem<1>();
  set_gemv_smem<2>();
  set_gemv_smem<3>();
  set_gemv_smem<4>();
}

bool gemv(const GemvParams& p, cudaStream_t stream) {
  if (p.m < 1 || p.m > kGemvMaxTokens || p.k % 8 != 0 || p.n <= 0) return false;
  if (p.norm_residual && (!p.norm_sumsq || !p.norm_weight || p.k > 16384)) return false;
  if (!p.norm_residual && !p.x) return false;
  if (p.residual && !p.sumsq_out) return false;
  if (!p.residual && !p.y) return false;
  switch (p.m) {
    case 1: launch_gemv_m<1>(p, stream); break;
    case 2: launch_gemv_m<2>(p, stream); break;
    case 3: launch_gemv_m<3>(p, stream); break;
    default: launch_gemv_m<4>(p, stream); break;
  }
  return true;
}

bool gemm_small_m(const bf16* x, const bf16* w, void* y, int m, int n, int k, bool out_f32,
                  cudaStream_t stream) {
  GemvParams p;
  p.x = x;
  p.w = w;
  p.y = y;
  p.m = m;
  p.n = n;
  p.k = k;
  p.out_f32 = out_f32;
  return gemv(p, stream);
}

}  // namespace pagoda::cuda
