#include <cuda_fp8.h>

#include "kernels/kernel_common.cuh"
#include "kernels/quant_gemm.h"

namespace pagoda::cuda {

namespace {

using bf16 = __nv_bfloat16;
constexpr int kWarps = 8;  // output rows per block of the GEMV, one per warp

// Values in one 16-byte chunk of a packed row.
template <QuantKind K>
constexpr int chunk_values() {
  return K == QuantKind::Int4 ? 32 : 16;
}

__device__ __forceinline__ float bf16_lo(uint32_t v) { return __uint_as_float(v << 16); }
__device__ __forceinline__ float bf16_hi(uint32_t v) { return __uint_as_float(v & 0xFFFF0000u); }

// Eight activations x[c .. c + 8) as floats.
__device__ __forceinline__ void load_x8(const bf16* x, float* out) {
  const uint4 v = __ldg(reinterpret_cast<const uint4*>(x));
  const uint32_t w[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    out[2 * i] = bf16_lo(w[i]);
    out[2 * i + 1] = bf16_hi(w[i]);
  }
}

// The chunk's weights (before the scale): q - zero for integers, e4m3 values for FP8.
template <QuantKind K>
__device__ __forceinline__ void decode_chunk(uint4 pk, float zero, float* wv) {
  const uint32_t w[4] = {pk.x, pk.y, pk.z, pk.w};
  if constexpr (K == QuantKind::Int4) {
    // 2^23 + q as a float is exact: one OR instead of an integer conversion.
    const float magic = 8388608.0f + zero;
#pragma unroll
    for (int t = 0; t < 4; ++t)
#pragma unroll
      for (int i = 0; i < 8; ++i)
        wv[8 * t + i] = __uint_as_float(0x4B000000u | ((w[t] >> (4 * i)) & 15u)) - magic;
  } else if constexpr (K == QuantKind::Int8) {
    const float magic = 8388608.0f + zero;
#pragma unroll
    for (int t = 0; t < 4; ++t)
#pragma unroll
      for (int i = 0; i < 4; ++i)
        wv[4 * t + i] = __uint_as_float(__byte_perm(w[t], 0x4B000000u, 0x7650 + i)) - magic;
  } else {
#pragma unroll
    for (int t = 0; t < 4; ++t) {
      const __half2_raw lo = __nv_cvt_fp8x2_to_halfraw2(
          static_cast<__nv_fp8x2_storage_t>(w[t] & 0xFFFFu), __NV_E4M3);
      const __half2_raw hi =
          __nv_cvt_fp8x2_to_halfraw2(static_cast<__nv_fp8x2_storage_t>(w[t] >> 16), __NV_E4M3);
      const float2 a = __half22float2(*reinterpret_cast<const __half2*>(&lo));
      const float2 b = __half22float2(*reinterpret_cast<const __half2*>(&hi));
      wv[4 * t] = a.x;
      wv[4 * t + 1] = a.y;
      wv[4 * t + 2] = b.x;
      wv[4 * t + 3] = b.y;
    }
  }
}

// One warp per output row; lanes stride over the row's 16-byte chunks.
template <QuantKind K, int M, bool OutF32>
__global__ void __launch_bounds__(kWarps * 32)
    quant_gemv_kernel(QuantPart w, const bf16* __restrict__ x, int m, void* y, int ldy) {
  constexpr int V = chunk_values<K>();
  const int lane = threadIdx.x & 31;
  const int r = blockIdx.x * kWarps + (threadIdx.x >> 5);
  if (r >= w.n) return;
  const int k = w.k, chunks = k / V;
  const uint8_t* row = K == QuantKind::Fp8
                           ? w.fp8 + static_cast<size_t>(r) * k
                           : reinterpret_cast<const uint8_t*>(w.packed) +
                                 static_cast<size_t>(r) * (K == QuantKind::Int4 ? k / 2 : k);
  float acc[M];
#pragma unroll
  for (int i = 0; i < M; ++i) acc[i] = 0.0f;
  // kInFlight chunks per lane are loaded before any is used, so each warp keeps
  // kInFlight x 512 bytes of weights in flight.
  constexpr int kInFlight = 4;
  for (int c0 = lane; c0 < chunks; c0 += 32 * kInFlight) {
    uint4 pk[kInFlight];
    float scale[kInFlight], zero[kInFlight];
#pragma unroll
    for (int u = 0; u < kInFlight; ++u) {
      const int c = c0 + 32 * u;
      if (c >= chunks) break;
      pk[u] = load_stream(row + static_cast<size_t>(c) * 16);
      const int j0 = c * V;
      if constexpr (K == QuantKind::Fp8) {
        scale[u] = w.block_scales[(r / w.block_n) * w.blocks_k + j0 / w.block_k];
        zero[u] = 0.0f;
      } else {
        const float2 sz = __half22float2(
            w.scale_zero[static_cast<size_t>(r) * w.groups + j0 / w.group_size]);
        scale[u] = sz.x;
        zero[u] = sz.y;
      }
    }
#pragma unroll
    for (int u = 0; u < kInFlight; ++u) {
      const int c = c0 + 32 * u;
      if (c >= chunks) break;
      const int j0 = c * V;
      float wv[V];
      decode_chunk<K>(pk[u], zero[u], wv);
#pragma unroll
      for (int i = 0; i < M; ++i) {
        if (i < m) {
          float part = 0.0f;
#pragma unroll
          for (int v = 0; v < V; v += 8) {
            float xv[8];
            load_x8(x + static_cast<size_t>(i) * k + j0 + v, xv);
#pragma unroll
            for (int e = 0; e < 8; ++e) part = fmaf(wv[v + e], xv[e], part);
          }
          acc[i] = fmaf(part, scale[u], acc[i]);
        }
      }
    }
  }
#pragma unroll
  for (int i = 0; i < M; ++i) {
    float v = acc[i];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (lane == 0 && i < m) {
      const size_t at = static_cast<size_t>(i) * ldy + w.row0 + r;
      if constexpr (OutF32)
        static_cast<float*>(y)[at] = v;
      else
        static_cast<bf16*>(y)[at] = __float2bfloat16(v);
    }
  }
}

__global__ void permute_x_kernel(const bf16* x, const int32_t* perm, bf16* out, int m, int k) {
  const int total = m * k;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
    const int row = i / k, j = i - row * k;
    out[i] = x[static_cast<size_t>(row) * k + perm[j]];
  }
}

// One thread per 32-bit word of packed integers (or four e4m3 bytes).
__global__ void dequantize_kernel(QuantPart w, bf16* out) {
  const int bits = w.kind == QuantKind::Int4 ? 4 : 8;
  const int per = w.kind == QuantKind::Fp8 ? 4 : 32 / bits;
  const int words_per_row = w.k / per;
  const size_t total = static_cast<size_t>(w.n) * words_per_row;
  for (size_t idx = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const int r = static_cast<int>(idx / words_per_row);
    const int j0 = static_cast<int>(idx % words_per_row) * per;
    bf16* dst = out + static_cast<size_t>(w.row0 + r) * w.k;
    if (w.kind == QuantKind::Fp8) {
      const float scale = w.block_scales[(r / w.block_n) * w.blocks_k + j0 / w.block_k];
      const uint32_t word = reinterpret_cast<const uint32_t*>(w.fp8)[idx];
      for (int i = 0; i < 4; ++i) {
        const __half_raw h = __nv_cvt_fp8_to_halfraw(
            static_cast<__nv_fp8_storage_t>((word >> (8 * i)) & 0xFF), __NV_E4M3);
        dst[j0 + i] = __float2bfloat16(__half2float(__half(h)) * scale);
      }
    } else {
      const uint32_t word = w.packed[idx];
      const float2 sz = __half22float2(w.scale_zero[static_cast<size_t>(r) * w.groups + j0 / w.group_size]);
      for (int i = 0; i < per; ++i) {
        const float q = static_cast<float>((word >> (bits * i)) & ((1u << bits) - 1));
        const int c = w.perm ? w.perm[j0 + i] : j0 + i;
        dst[c] = __float2bfloat16((q - sz.y) * sz.x);
      }
    }
  }
}

// One thread per 8 consecutive inputs of a row (k % 8 == 0, no permutation): one 16-byte store.
__global__ void dequantize8_kernel(QuantPart w, bf16* out) {
  const int per_row = w.k / 8;
  const size_t total = static_cast<size_t>(w.n) * per_row;
  for (size_t idx = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const int r = static_cast<int>(idx / per_row);
    const int j0 = static_cast<int>(idx % per_row) * 8;
    float v[8];
    if (w.kind == QuantKind::Fp8) {
      const float scale = w.block_scales[(r / w.block_n) * w.blocks_k + j0 / w.block_k];
      const uint2 pk = *reinterpret_cast<const uint2*>(w.fp8 + static_cast<size_t>(r) * w.k + j0);
      const uint32_t words[2] = {pk.x, pk.y};
      for (int t = 0; t < 2; ++t)
        for (int i = 0; i < 4; ++i) {
          const __half_raw h = __nv_cvt_fp8_to_halfraw(
              static_cast<__nv_fp8_storage_t>((words[t] >> (8 * i)) & 0xFF), __NV_E4M3);
          v[4 * t + i] = __half2float(__half(h)) * scale;
        }
    } else {
      const float2 sz =
          __half22float2(w.scale_zero[static_cast<size_t>(r) * w.groups + j0 / w.group_size]);
      if (w.kind == QuantKind::Int4) {
        const uint32_t word = w.packed[idx];
        for (int i = 0; i < 8; ++i) v[i] = (static_cast<float>((word >> (4 * i)) & 15u) - sz.y) * sz.x;
      } else {
        const uint2 pk = reinterpret_cast<const uint2*>(w.packed)[idx];
        const uint32_t words[2] = {pk.x, pk.y};
        for (int t = 0; t < 2; ++t)
          for (int i = 0; i < 4; ++i)
            v[4 * t + i] = (static_cast<float>((words[t] >> (8 * i)) & 255u) - sz.y) * sz.x;
      }
    }
    uint4 o;
    uint32_t* ow = reinterpret_cast<uint32_t*>(&o);
    for (int i = 0; i < 4; ++i) {
      const __nv_bfloat162 pair = __floats2bfloat162_rn(v[2 * i], v[2 * i + 1]);
      ow[i] = *reinterpret_cast<const uint32_t*>(&pair);
    }
    *reinterpret_cast<uint4*>(out + static_cast<size_t>(w.row0 + r) * w.k + j0) = o;
  }
}

__device__ __forceinline__ uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
__device__ __forceinline__ float uniform01(uint64_t seed, size_t i) {
  return (mix64(seed * 0x9E3779B97F4A7C15ull + i) >> 40) * (1.0f / 16777216.0f);
}

__global__ void fill_u32_kernel(uint32_t* out, size_t n, uint64_t seed) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x)
    out[i] = static_cast<uint32_t>(mix64(seed * 0x9E3779B97F4A7C15ull + i));
}
__global__ void fill_fp8_kernel(uint8_t* out, size_t n, uint64_t seed) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const uint32_t r = static_cast<uint32_t>(mix64(seed * 0x9E3779B97F4A7C15ull + i));
    out[i] = static_cast<uint8_t>((r & 0x80u) | (0x20u + (r & 0x3Fu)));  // exponents 4..11, finite
  }
}
__global__ void fill_sz_kernel(__half2* out, size_t n, uint64_t seed, float lo, float hi,
                               int zero_max) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const float s = lo + (hi - lo) * uniform01(seed, 2 * i);
    const float z = floorf(uniform01(seed, 2 * i + 1) * (zero_max + 1));
    out[i] = __floats2half2_rn(s, fminf(z, static_cast<float>(zero_max)));
  }
}
__global__ void fill_f32_kernel(float* out, size_t n, uint64_t seed, float lo, float hi) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x)
    out[i] = lo + (hi - lo) * uniform01(seed, i);
}

template <QuantKind K, int M>
void launch_gemv(const QuantPart& w, const bf16* x, int m, void* y, int ldy, bool out_f32,
                 cudaStream_t stream) {
  const dim3 grid((w.n + kWarps - 1) / kWarps);
  if (out_f32)
    quant_gemv_kernel<K, M, true><<<grid, kWarps * 32, 0, stream>>>(w, x, m, y, ldy);
  else
    quant_gemv_kernel<K, M, false><<<grid, kWarps * 32, 0, stream>>>(w, x, m, y, ldy);
}

template <QuantKind K>
void launch_gemv_rows(const QuantPart& w, const bf16* x, int m, void* y, int ldy, bool out_f32,
                      cudaStream_t stream) {
  if (m <= 1)
    launch_gemv<K, 1>(w, x, m, y, ldy, out_f32, stream);
  else if (m <= 2)
    launch_gemv<K, 2>(w, x, m, y, ldy, out_f32, stream);
  else if (m <= 4)
    launch_gemv<K, 4>(w, x, m, y, ldy, out_f32, stream);
  else
    launch_gemv<K, 8>(w, x, m, y, ldy, out_f32, stream);
}

}  // namespace

bool quant_gemv_supported(const QuantPart& w) {
  const int v = w.kind == QuantKind::Int4 ? 32 : 16;
  if (w.frag) return false;  // int4_frag_product takes it
  if (w.k <= 0 || w.n <= 0 || w.k % v != 0) return false;
  if (w.kind == QuantKind::Fp8) return w.block_k % v == 0 || w.block_k >= w.k;
  return w.group_size % v == 0 || w.group_size >= w.k;
}

void quant_gemv(const QuantPart& w, const bf16* x, bf16* x_perm, void* y, int m, int ldy,
                bool out_f32, cudaStream_t stream) {
  if (m <= 0) return;
  if (w.perm) {
    quant_permute_x(w.perm, x, x_perm, m, w.k, stream);
    x = x_perm;
  }
  switch (w.kind) {
    case QuantKind::Int4:
      launch_gemv_rows<QuantKind::Int4>(w, x, m, y, ldy, out_f32, stream);
      break;
    case QuantKind::Int8:
      launch_gemv_rows<QuantKind::Int8>(w, x, m, y, ldy, out_f32, stream);
      break;
    case QuantKind::Fp8:
      launch_gemv_rows<QuantKind::Fp8>(w, x, m, y, ldy, out_f32, stream);
      break;
  }
}

void quant_permute_x(const int32_t* perm, const bf16* x, bf16* x_perm, int m, int k,
                     cudaStream_t stream) {
  const int total = m * k;
  if (total > 0) permute_x_kernel<<<(total + 255) / 256, 256, 0, stream>>>(x, perm, x_perm, m, k);
}

void quant_dequantize(const QuantPart& w, bf16* out, cudaStream_t stream) {
  if (w.frag) return int4_frag_dequantize(w, out, stream);
  const bool aligned_blocks =
      w.kind != QuantKind::Fp8 || w.block_k % 8 == 0 || w.block_k >= w.k;
  if (w.k % 8 == 0 && !w.perm && aligned_blocks) {
    const size_t items = static_cast<size_t>(w.n) * (w.k / 8);
    if (items == 0) return;
    const int blocks = static_cast<int>(std::min<size_t>((items + 255) / 256, 65536));
    dequantize8_kernel<<<blocks, 256, 0, stream>>>(w, out);
    return;
  }
  const int per = w.kind == QuantKind::Int4 ? 8 : 4;
  const size_t words = static_cast<size_t>(w.n) * (w.k / per);
  if (words == 0) return;
  const int blocks = static_cast<int>(std::min<size_t>((words + 255) / 256, 8192));
  dequantize_kernel<<<blocks, 256, 0, stream>>>(w, out);
}

void fill_random_u32(uint32_t* out, size_t n, uint64_t seed, cudaStream_t stream) {
  if (n) fill_u32_kernel<<<1024, 256, 0, stream>>>(out, n, seed);
}
void fill_random_fp8(uint8_t* out, size_t n, uint64_t seed, cudaStream_t stream) {
  if (n) fill_fp8_kernel<<<1024, 256, 0, stream>>>(out, n, seed);
}
void fill_random_scale_zero(__half2* out, size_t n, uint64_t seed, float lo, float hi,
                            int zero_max, cudaStream_t stream) {
  if (n) fill_sz_kernel<<<1024, 256, 0, stream>>>(out, n, seed, lo, hi, zero_max);
}
void fill_random_f32(float* out, size_t n, uint64_t seed, float lo, float hi, cudaStream_t stream) {
  if (n) fill_f32_kernel<<<1024, 256, 0, stream>>>(out, n, seed, lo, hi);
}

}  // namespace pagoda::cuda
