// Tensor-core product for quantized weights at batch sizes between the GEMV and prefill
// (kQuantGemvMaxRows < m <= kQuantMmaMaxRows): each block dequantizes a 64 x 64 weight tile into
// shared memory as bf16 and multiplies it with a 64-token activation tile through WMMA
// (bf16 in, float32 accumulate), so the packed weights are read once per 64 tokens instead of
// being expanded to a bf16 matrix in global memory first.
#include <cuda_fp8.h>
#include <mma.h>

#include <algorithm>

#include "kernels/pdl.cuh"
#include "kernels/quant_gemm.h"

namespace pagoda::cuda {

namespace {

using bf16 = __nv_bfloat16;
constexpr int kTm = 64, kTn = 64, kTk = 64;  // tokens, output rows, inputs per tile
constexpr int kPad = 8;                      // bf16 of padding per shared row (bank conflicts)
constexpr int kThreads = 256;

struct TileSmem {
  bf16 x[kTm][kTk + kPad];
  bf16 w[kTn][kTk + kPad];
};

// One thread's share of a weight tile (16 consecutive inputs of output row t / 4), fetched a
// tile ahead so the loads are in flight during the previous tile's products.
struct RawWeights {
  uint4 words = make_uint4(0, 0, 0, 0);
  float scale = 0.0f, zero = 0.0f;
};

template <QuantKind K>
__device__ __forceinline__ RawWeights fetch_weights(const QuantPart& p, int n0, int k0, int kend) {
  const int row = threadIdx.x / 4, part = threadIdx.x % 4;
  const int r = n0 + row, j0 = k0 + part * 16;
  RawWeights raw;
  if (r >= p.n || k0 >= kend) return raw;
  if constexpr (K == QuantKind::Fp8) {
    raw.words = __ldg(reinterpret_cast<const uint4*>(p.fp8 + static_cast<size_t>(r) * p.k + j0));
    raw.scale = p.block_scales[(r / p.block_n) * p.blocks_k + j0 / p.block_k];
  } else {
    const float2 sz =
        __half22float2(p.scale_zero[static_cast<size_t>(r) * p.groups + j0 / p.group_size]);
    raw.scale = sz.x;
    raw.zero = sz.y;
    if constexpr (K == QuantKind::Int4) {
      const uint2 pk = __ldg(reinterpret_cast<const uint2*>(
          p.packed + static_cast<size_t>(r) * (p.k / 8) + j0 / 8));
      raw.words.x = pk.x;
      raw.words.y = pk.y;
    } else {
      raw.words = __ldg(reinterpret_cast<const uint4*>(p.packed + static_cast<size_t>(r) * (p.k / 4) +
                                                       j0 / 4));
    }
  }
  return raw;
}

// Dequantizes the thread's share into the bf16 tile (rows past n hold zeros).
template <QuantKind K>
__device__ __forceinline__ void store_weights(const RawWeights& raw, bf16 (*w)[kTk + kPad]) {
  const int row = threadIdx.x / 4, part = threadIdx.x % 4;
  const uint32_t words[4] = {raw.words.x, raw.words.y, raw.words.z, raw.words.w};
  float v[16];
  if constexpr (K == QuantKind::Fp8) {
#pragma unroll
    for (int t = 0; t < 4; ++t)
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const __half_raw h = __nv_cvt_fp8_to_halfraw(
            static_cast<__nv_fp8_storage_t>((words[t] >> (8 * i)) & 0xFF), __NV_E4M3);
        v[4 * t + i] = __half2float(__half(h)) * raw.scale;
      }
  } else if constexpr (K == QuantKind::Int4) {
#pragma unroll
    for (int t = 0; t < 2; ++t)
#pragma unroll
      for (int i = 0; i < 8; ++i)
        v[8 * t + i] = (static_cast<float>((words[t] >> (4 * i)) & 15u) - raw.zero) * raw.scale;
  } else {
#pragma unroll
    for (int t = 0; t < 4; ++t)
#pragma unroll
      for (int i = 0; i < 4; ++i)
        v[4 * t + i] = (static_cast<float>((words[t] >> (8 * i)) & 255u) - raw.zero) * raw.scale;
  }
#pragma unroll
  for (int i = 0; i < 16; i += 2)
    *reinterpret_cast<__nv_bfloat162*>(&w[row][part * 16 + i]) =
        __floats2bfloat162_rn(v[i], v[i + 1]);
}

// Thread t loads 16 inputs of token t / 4 (through perm when the part has one).
__device__ __forceinline__ void load_x_tile(const QuantPart& p, const bf16* x, int m, int m0,
                                            int k0, bf16 (*xs)[kTk + kPad]) {
  const int row = threadIdx.x / 4, part = threadIdx.x % 4;
  const int t = m0 + row, j0 = k0 + part * 16;
  bf16* dst = &xs[row][part * 16];
  if (t >= m) {
    const uint4 zero = make_uint4(0, 0, 0, 0);
    *reinterpret_cast<uint4*>(dst) = zero;
    *reinterpret_cast<uint4*>(dst + 8) = zero;
    return;
  }
  const bf16* src = x + static_cast<size_t>(t) * p.k;
  if (p.perm) {
#pragma unroll
    for (int i = 0; i < 16; ++i) dst[i] = src[p.perm[j0 + i]];
  } else {
    *reinterpret_cast<uint4*>(dst) = __ldg(reinterpret_cast<const uint4*>(src + j0));
    *reinterpret_cast<uint4*>(dst + 8) = __ldg(reinterpret_cast<const uint4*>(src + j0 + 8));
  }
}

// 8 warps as 2 (tokens) x 4 (rows); each warp owns a 32 x 16 output block (two fragments).
template <QuantKind K, bool OutF32>
__global__ void __launch_bounds__(kThreads)
    quant_mma_kernel(QuantPart p, const bf16* __restrict__ x, int m, void* y, int ldy,
                     float* accum, int k_per_split) {
  using namespace nvcuda;
  __shared__ __align__(128) unsigned char smem_raw[sizeof(TileSmem) > kTm * kTn * 4
                                                       ? sizeof(TileSmem)
                                                       : kTm * kTn * 4];
  TileSmem& s = *reinterpret_cast<TileSmem*>(smem_raw);
  const int n0 = blockIdx.x * kTn, m0 = blockIdx.y * kTm;
  const int warp = threadIdx.x / 32, wm = warp / 4, wn = warp % 4;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2];
  wmma::fill_fragment(acc[0], 0.0f);
  wmma::fill_fragment(acc[1], 0.0f);
  // Split K: this block's share of the inputs; partial sums meet in accum.
  const int kbeg = blockIdx.z * k_per_split, kend = min(p.k, kbeg + k_per_split);
  RawWeights next = fetch_weights<K>(p, n0, kbeg, kend);
  for (int k0 = kbeg; k0 < kend; k0 += kTk) {
    load_x_tile(p, x, m, m0, k0, s.x);
    store_weights<K>(next, s.w);
    __syncthreads();
    next = fetch_weights<K>(p, n0, k0 + kTk, kend);
#pragma unroll
    for (int kk = 0; kk < kTk; kk += 16) {
      // B = w^T: column-major view of the row-major [rows][k] tile.
      wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> b;
      wmma::load_matrix_sync(b, &s.w[wn * 16][kk], kTk + kPad);
#pragma unroll
      for (int f = 0; f < 2; ++f) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
        wmma::load_matrix_sync(a, &s.x[wm * 32 + f * 16][kk], kTk + kPad);
        wmma::mma_sync(acc[f], a, b, acc[f]);
      }
    }
    __syncthreads();
  }
  float* out = reinterpret_cast<float*>(smem_raw);  // [kTm][kTn], reusing the tiles
#pragma unroll
  for (int f = 0; f < 2; ++f)
    wmma::store_matrix_sync(out + (wm * 32 + f * 16) * kTn + wn * 16, acc[f], kTn,
                            wmma::mem_row_major);
  __syncthreads();
  for (int i = threadIdx.x; i < kTm * kTn; i += kThreads) {
    const int t = m0 + i / kTn, r = n0 + i % kTn;
    if (t >= m || r >= p.n) continue;
    if (accum) {
      atomicAdd(&accum[static_cast<size_t>(t) * p.n + r], out[i]);
      continue;
    }
    const size_t at = static_cast<size_t>(t) * ldy + p.row0 + r;
    if constexpr (OutF32)
      static_cast<float*>(y)[at] = out[i];
    else
      static_cast<bf16*>(y)[at] = __float2bfloat16(out[i]);
  }
}

template <bool OutF32>
__global__ void finish_split_kernel(const float* accum, int m, int n, void* y, int ldy, int row0) {
  pdl_wait();  // launch_kernel: the product's last CTAs may still be adding into accum
  pdl_trigger();
  const int total = m * n;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
    const int t = i / n, r = i - t * n;
    const size_t at = static_cast<size_t>(t) * ldy + row0 + r;
    if constexpr (OutF32)
      static_cast<float*>(y)[at] = accum[i];
    else
      static_cast<bf16*>(y)[at] = __float2bfloat16(accum[i]);
  }
}

template <QuantKind K>
void launch(const QuantPart& p, const bf16* x, int m, void* y, int ldy, bool out_f32,
            float* accum, int splits, int k_per_split, cudaStream_t stream) {
  const dim3 grid((p.n + kTn - 1) / kTn, (m + kTm - 1) / kTm, splits);
  if (out_f32)
    quant_mma_kernel<K, true><<<grid, kThreads, 0, stream>>>(p, x, m, y, ldy, accum, k_per_split);
  else
    quant_mma_kernel<K, false><<<grid, kThreads, 0, stream>>>(p, x, m, y, ldy, accum, k_per_split);
}

}  // namespace

void quant_finish_split(const float* accum, int m, int n, void* y, int ldy, int row0,
                        bool out_f32, cudaStream_t stream) {
  const int total = m * n, blocks = std::min((total + 255) / 256, 4096);
  launch_kernel(out_f32 ? finish_split_kernel<true> : finish_split_kernel<false>, dim3(blocks),
                dim3(256), 0, stream, static_cast<const float*>(accum), m, n, y, ldy, row0);
}

bool quant_mma_supported(const QuantPart& p) {
  if (p.k <= 0 || p.n <= 0 || p.k % kTk != 0 || p.frag) return false;
  if (p.kind == QuantKind::Fp8) return p.block_k % 16 == 0 || p.block_k >= p.k;
  return p.group_size % 16 == 0 || p.group_size >= p.k;
}

void quant_mma(const QuantPart& p, const bf16* x, void* y, int m, int ldy, bool out_f32,
               float* accum, int num_sms, cudaStream_t stream) {
  if (m <= 0) return;
  // Enough blocks for two per SM: few output tiles (small n, decode m) split the inputs.
  const int tiles = ((p.n + kTn - 1) / kTn) * ((m + kTm - 1) / kTm);
  const int steps = p.k / kTk;
  int splits = accum ? std::min(std::max(1, (2 * num_sms + tiles - 1) / tiles), std::min(steps, 32)) : 1;
  const int k_per_split = ((steps + splits - 1) / splits) * kTk;
  splits = (p.k + k_per_split - 1) / k_per_split;
  float* acc = splits > 1 ? accum : nullptr;
  if (acc) cudaMemsetAsync(acc, 0, sizeof(float) * static_cast<size_t>(m) * p.n, stream);
  switch (p.kind) {
    case QuantKind::Int4:
      launch<QuantKind::Int4>(p, x, m, y, ldy, out_f32, acc, splits, k_per_split, stream);
      break;
    case QuantKind::Int8:
      launch<QuantKind::Int8>(p, x, m, y, ldy, out_f32, acc, splits, k_per_split, stream);
      break;
    case QuantKind::Fp8:
      launch<QuantKind::Fp8>(p, x, m, y, ldy, out_f32, acc, splits, k_per_split, stream);
      break;
  }
  if (acc) quant_finish_split(acc, m, p.n, y, ldy, p.row0, out_f32, stream);
}

}  // namespace pagoda::cuda
