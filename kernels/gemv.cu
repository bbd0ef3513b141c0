// Decode-sized products (M <= 4 rows) without cuBLAS, with the fused norm prologue and the
// SwiGLU, residual and RoPE epilogues of kernels.h's GemvParams.
#include "kernels/rmsnorm_chunk.cuh"
#include "kernels/rope.cuh"

namespace pagoda::cuda {

namespace {

bool g_programmatic_launch = true;

constexpr int kGemvWarps = 8;
enum GemvEpilogue { kStoreBf16, kStoreF32, kResidual, kSwiglu, kRope };

// Epilogues whose warp computes two weight rows (gate and up; a RoPE pair).
__host__ __device__ constexpr bool two_rows(int epi) { return epi == kSwiglu || epi == kRope; }

// The kGemvBatch 16-byte chunks c0 + 32 b (b < kGemvBatch) of token m's input row, as bf16:
// read from x, or normalized on the fly from the residual (each element exactly as add_rmsnorm
// rounds it).
// With the input staged (GemvParams::stage_norm), the chunk is read from xs in shared memory.
template <bool NORM>
__device__ __forceinline__ uint4 input_chunk(const GemvParams& p, int m, int c, float inv,
                                             const uint4* xs) {
  if constexpr (!NORM) {
    return __ldg(reinterpret_cast<const uint4*>(p.x + static_cast<size_t>(m) * p.k) + c);
  } else {
    if (xs) return xs[m * (p.k / 8) + c];
    return rmsnorm_chunk8(p.norm_residual + static_cast<size_t>(m) * p.k, p.norm_weight, c, inv);
  }
}

// 16-byte weight loads each lane keeps in flight (half as many per row with two rows a warp).
constexpr int kGemvBatch = 8;

// What the RoPE epilogue of one warp's pair (rows h hd + d and h hd + d + hd / 2) reads besides
// the products, loaded before the weights stream so its latency hides behind theirs: lane t < M
// takes token t's position and slot.
struct RopePairInputs {
  float bias0 = 0.0f, bias1 = 0.0f, inv_freq = 0.0f, pos = 0.0f;
  int slot = -1;
};
__device__ __forceinline__ RopePairInputs rope_pair_inputs(const RopeStoreParams& r, int lane,
                                                           int h, int d, int tokens) {
  RopePairInputs in;
  const int row = h * r.hd + d;
  if (r.bias) {
    in.bias0 = __bfloat162float(r.bias[row]);
    in.bias1 = __bfloat162float(r.bias[row + r.hd / 2]);
  }
  in.inv_freq = r.inv_freq[d];
  if (lane < tokens) in.pos = static_cast<float>(r.positions[lane]), in.slot = r.slots[lane];
  return in;
}

// The RoPE epilogue of one warp's pair: lane t < M stores token t's, from the products p0 and p1
// that every lane holds after the warp sums; each step exactly as rope_store_kernel takes it from
// the bf16 product.
template <int M>
__device__ __forceinline__ void rope_pair_epilogue(const RopeStoreParams& r,
                                                   const RopePairInputs& in, int lane, int h,
                                                   int d, const float (&p0)[M],
                                                   const float (&p1)[M]) {
  float a = p0[0], b = p1[0];
#pragma unroll
  for (int m = 1; m < M; ++m)
    if (lane == m) a = p0[m], b = p1[m];  // selects: the M tokens' rotations run side by side
  if (lane >= M) return;
  float x0 = __bfloat162float(__float2bfloat16(a)), x1 = __bfloat162float(__float2bfloat16(b));
  if (r.bias) {
    x0 += in.bias0;
    x1 += in.bias1;
  }
  if (h < r.nh + r.nkv) rope_rotate(x0, x1, in.pos, in.inv_freq, r.rope_scale);
  bf16* dst = rope_head_destination(r, lane, h, in.slot);
  if (dst) {
    dst[d] = __float2bfloat16(x0);
    dst[d + r.hd / 2] = __float2bfloat16(x1);
  }
}

// One warp per output row (two rows with SwiGLU, gate and up, and RoPE, a rotated pair): streams
// the weight rows once with 16-byte loads, kGemvBatch in flight per lane, and dots them with
// every token's row.
template <int M, bool NORM, int EPI>
__global__ void __launch_bounds__(kGemvWarps * 32) gemv_kernel(GemvParams p) {
  constexpr int BATCH = two_rows(EPI) ? kGemvBatch / 2 : kGemvBatch;
  __shared__ float block_sums[kGemvWarps][M];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int k = p.k, chunks = k / 8;
  const int n = blockIdx.x * kGemvWarps + warp;  // output row, or RoPE pair
  // The weight rows of the warp: n (and n + p.n with SwiGLU), or RoPE pair n's two rows.
  int row0 = n, row1 = n + p.n, head = 0, dim = 0;
  if constexpr (EPI == kRope) {
    const int half = p.rope.hd / 2;
    head = n / half, dim = n - head * half;
    row0 = head * p.rope.hd + dim, row1 = row0 + half;
  }
  const bool active = n < (EPI == kRope ? p.n / 2 : p.n);
  const uint4* wr = reinterpret_cast<const uint4*>(p.w + static_cast<size_t>(row0) * k);
  const uint4* wu = reinterpret_cast<const uint4*>(p.w + static_cast<size_t>(row1) * k);
  uint4 wv[BATCH], uv[BATCH];
  auto load_weights = [&](int c0) {
#pragma unroll
    for (int b = 0; b < BATCH; ++b) {
      const int c = c0 + 32 * b;
      wv[b] = uv[b] = make_uint4(0, 0, 0, 0);
      if (c < chunks) {
        wv[b] = load_stream(wr + c);
        if (two_rows(EPI)) uv[b] = load_stream(wu + c);
      }
    }
  };
  // With early_weights the first batch of weight loads is issued before pdl_wait: the weights are
  // never written by the kernels this one waits for, so that latency overlaps the previous
  // kernel's end. (An L2 prefetch of whole rows there measured slower on the H200: 7B batch-1
  // decode 191 -> 166 tok/s; docs/cuda-notes.md.)
  if (!p.early_weights) {
    pdl_wait();
    pdl_trigger();
  }
  if (active) load_weights(lane);
  // The RoPE epilogue's bias, frequency, position and slot are constants or step metadata, never
  // written by earlier kernels either.
  RopePairInputs rope_in;
  if constexpr (EPI == kRope)
    if (active) rope_in = rope_pair_inputs(p.rope, lane, head, dim, M);
  if (p.early_weights) {
    pdl_wait();
    pdl_trigger();
  }
  // stage_norm: the block normalizes its input once into shared memory (while the first weights
  // are in flight) instead of every warp normalizing it for its own rows.
  extern __shared__ uint4 gemv_staged_x[];
  const uint4* xs = nullptr;
  if constexpr (NORM) {
    if (p.stage_norm) {
      for (int e = threadIdx.x; e < M * chunks; e += blockDim.x) {
        const int m = e / chunks, c = e - m * chunks;
        const float inv = rsqrtf(p.norm_sumsq[m] / k + p.eps);
        gemv_staged_x[e] =
            rmsnorm_chunk8(p.norm_residual + static_cast<size_t>(m) * k, p.norm_weight, c, inv);
      }
      __syncthreads();
      xs = gemv_staged_x;
    }
  }

  float sums[M];
#pragma unroll
  for (int m = 0; m < M; ++m) sums[m] = 0.0f;
  if (active) {
    float inv[M];
#pragma unroll
    for (int m = 0; m < M; ++m) inv[m] = NORM ? rsqrtf(p.norm_sumsq[m] / k + p.eps) : 0.0f;
    float acc[M], acc_up[M];
#pragma unroll
    for (int m = 0; m < M; ++m) acc[m] = acc_up[m] = 0.0f;
    for (int c0 = lane; c0 < chunks; c0 += 32 * BATCH) {
      if (c0 != lane) load_weights(c0);
#pragma unroll
      for (int b = 0; b < BATCH; ++b) {
        const int c = c0 + 32 * b;
        if (c >= chunks) break;
        const __nv_bfloat162* w2 = reinterpret_cast<const __nv_bfloat162*>(&wv[b]);
        const __nv_bfloat162* u2 = reinterpret_cast<const __nv_bfloat162*>(&uv[b]);
#pragma unroll
        for (int m = 0; m < M; ++m) {
          const uint4 xv = input_chunk<NORM>(p, m, c, inv[m], xs);
          const __nv_bfloat162* x2 = reinterpret_cast<const __nv_bfloat162*>(&xv);
#pragma unroll
          for (int u = 0; u < 4; ++u) {
            const float2 xf = __bfloat1622float2(x2[u]);
            const float2 wf = __bfloat1622float2(w2[u]);
            acc[m] += wf.x * xf.x + wf.y * xf.y;
            if (two_rows(EPI)) {
              const float2 uf = __bfloat1622float2(u2[u]);
              acc_up[m] += uf.x * xf.x + uf.y * xf.y;
            }
          }
        }
      }
    }
#pragma unroll
    for (int m = 0; m < M; ++m) {
      acc[m] = warp_sum(acc[m]);
      if (two_rows(EPI)) acc_up[m] = warp_sum(acc_up[m]);
    }
    if constexpr (EPI == kRope)
      rope_pair_epilogue<M>(p.rope, rope_in, lane, head, dim, acc, acc_up);
    if (EPI != kRope && lane == 0) {
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
          sums[m] = r * r;
        }
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

template <int M, bool NORM, int EPI>
void launch_gemv(const GemvParams& p, cudaStream_t stream) {
  const int warps = EPI == kRope ? p.n / 2 : p.n;
  const int blocks = (warps + kGemvWarps - 1) / kGemvWarps;
  const size_t staged = NORM && p.stage_norm ? sizeof(bf16) * M * static_cast<size_t>(p.k) : 0;
  launch_kernel(gemv_kernel<M, NORM, EPI>, dim3(blocks), dim3(kGemvWarps * 32), staged, stream,
                p);
}

template <int M>
void launch_gemv_m(const GemvParams& p, cudaStream_t stream) {
  const bool norm = p.norm_residual != nullptr;
  const int epi = p.rope_epilogue ? kRope
                  : p.residual    ? kResidual
                  : p.swiglu      ? kSwiglu
                  : p.out_f32     ? kStoreF32
                                  : kStoreBf16;
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
  PAGODA_GEMV_EPI(kRope)
#undef PAGODA_GEMV_EPI
}

// out[t, c] = bf16(residual[t, c] * rsqrt(sumsq[t] / k + eps) * weight[c]): the norm of the fused
// decode for products too large to normalize their input on the fly.
__global__ void rms_normalize_kernel(const float* residual, const float* sumsq, const bf16* weight,
                                     bf16* out, int k, float eps) {
  pdl_wait();
  pdl_trigger();
  const int t = blockIdx.y;
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= k) return;
  const float inv = rsqrtf(sumsq[t] / k + eps);
  const size_t at = static_cast<size_t>(t) * k + c;
  out[at] = __float2bfloat16(residual[at] * inv * __bfloat162float(weight[c]));
}

}  // namespace

void rms_normalize(const float* residual, const float* sumsq, const bf16* weight, bf16* out,
                   int tokens, int k, float eps, cudaStream_t stream) {
  if (tokens <= 0) return;
  const int threads = 256;
  launch_kernel(rms_normalize_kernel, dim3((k + threads - 1) / threads, tokens), dim3(threads), 0,
                stream, residual, sumsq, weight, out, k, eps);
}

void set_programmatic_launch(bool enabled) { g_programmatic_launch = enabled; }
bool programmatic_launch_enabled() { return g_programmatic_launch; }


namespace {

// Whether the RoPE epilogue's parameters describe the product: its rows are the heads, one
// token a row of the input, every pointer it writes through or reads set, nothing it cannot do.
bool rope_epilogue_ok(const GemvParams& p) {
  const RopeStoreParams& r = p.rope;
  if (p.y || p.residual || p.swiglu || p.out_f32 || !rope_epilogue_params_ok(r)) return false;
  return static_cast<int64_t>(r.nh + 2 * r.nkv) * r.hd == p.n && r.tokens == p.m;
}

}  // namespace

bool gemv(const GemvParams& p, cudaStream_t stream) {
  if (p.m < 1 || p.m > kGemvMaxTokens || p.k % 8 != 0 || p.n <= 0) return false;
  if (p.norm_residual && (!p.norm_sumsq || !p.norm_weight)) return false;
  if (!p.norm_residual && !p.x) return false;
  if (p.residual && !p.sumsq_out) return false;
  if (p.rope_epilogue ? !rope_epilogue_ok(p) : !p.residual && !p.y) return false;
  if (p.stage_norm && (!p.norm_residual ||
                       sizeof(bf16) * p.m * static_cast<size_t>(p.k) > kGemvStageMaxBytes))
    return false;
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
