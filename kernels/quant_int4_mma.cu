// int4 weights in mma fragment order (quant_gemm.h, QuantPart::frag): the repacking from the
// canonical layout, the decode product for up to kQuantFragMaxRows tokens on the tensor cores,
// and the dequantization into bf16 for cuBLAS.
//
// Why: the canonical GEMV (quant_gemm.cu) decodes with ~12 float instructions per weight and
// tops out at 1.3 TB/s of int4 (docs/cuda-notes.md, q2). Stored so that one 32-bit word holds
// exactly the 8 nibbles one lane needs for an m16n8k16 A fragment, a weight costs a quarter of a
// logic op to decode (two nibbles per bf16x2 with one LOP3 against the exponent of 128, one
// subtraction of 128 + zero), and one mma.sync multiplies 256 weights by up to 8 tokens.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "kernels/kernel_common.cuh"
#include "kernels/mma_primitives.cuh"
#include "kernels/quant_gemm.h"
#include "kernels/quant_int4_frag.cuh"

namespace pagoda::cuda {

namespace {

using bf16 = __nv_bfloat16;

// Word (rb, kg, lane, j) is at ((rb * kgroups + kg) * 32 + lane) * 4 + j: each lane reads its
// 4 words of a k group as 16 contiguous bytes, and a warp 512.
__device__ __forceinline__ void split_index(size_t idx, int kgroups, int& rb, int& kg, int& lane,
                                            int& j) {
  j = static_cast<int>(idx % 4);
  lane = static_cast<int>((idx / 4) % 32);
  kg = static_cast<int>((idx / 128) % kgroups);
  rb = static_cast<int>(idx / (128 * static_cast<size_t>(kgroups)));
}

__global__ void repack_kernel(const uint32_t* packed, int n, int k, uint32_t* frag) {
  const int kgroups = (k + 63) / 64;
  const size_t total = static_cast<size_t>((n + 15) / 16) * kgroups * 128;
  for (size_t idx = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<size_t>(gridDim.x) * blockDim.x) {
    int rb, kg, lane, j;
    split_index(idx, kgroups, rb, kg, lane, j);
    uint32_t word = 0;
    for (int i = 0; i < 8; ++i) {
      const int r = 16 * rb + frag_row(lane, i), c = 64 * kg + frag_channel(lane, j, i);
      if (r >= n || c >= k) continue;
      const uint32_t w = packed[static_cast<size_t>(r) * (k / 8) + c / 8];
      word |= ((w >> (4 * (c % 8))) & 15u) << (4 * i);
    }
    frag[idx] = word;
  }
}

// y[i, row0 + r] = sum_c x[i, c] w[r, c] for the 16 rows of one block of one part and
// i < m <= 8 * NT: CTAs [first_block[p], first_block[p + 1]) take part p, so the q, k and v (or
// gate and up) parts of a linear are one launch. The WARPS warps of a CTA split the k groups;
// each keeps AHEAD 16-byte weight loads in flight (8 x 4 measured best, docs/cuda-notes.md q3b).
template <int NT, int WARPS, int AHEAD, int PARTS, bool OutF32>
__global__ void __launch_bounds__(WARPS * 32)
    int4_mma_kernel(Int4PartList parts, const bf16* __restrict__ x, int m, void* y, int ldy) {
  int pi = 0;
  if constexpr (PARTS > 1)
    while (pi + 1 < parts.count && static_cast<int>(blockIdx.x) >= parts.first_block[pi + 1]) ++pi;
  // Constant indices: a dynamically indexed parameter would be copied to local memory and every
  // use of w below would load from there (measured: batch-32 decode 27% slower).
  static_assert(kInt4MaxParts == 3);
  const QuantPart w = PARTS == 1 || pi == 0 ? parts.part[0] : pi == 1 ? parts.part[1] : parts.part[2];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int rb = blockIdx.x - parts.first_block[pi], g = lane >> 2, t = lane & 3;
  const int kgroups = (w.k + 63) / 64;
  const uint4* frag = reinterpret_cast<const uint4*>(w.frag) + static_cast<size_t>(rb) * kgroups * 32;
  const uint32_t* sz = reinterpret_cast<const uint32_t*>(w.scale_zero);
  const size_t sz_lo = static_cast<size_t>(min(16 * rb + g, w.n - 1)) * w.groups;
  const size_t sz_hi = static_cast<size_t>(min(16 * rb + g + 8, w.n - 1)) * w.groups;
  // The group of k group kg: 64 kg / group_size, a shift where it can be (group_shift).
  const int shift = group_shift(w.group_size, w.k), kg_per_group = w.group_size / 64;
  auto group_of = [&](int kg) { return shift >= 0 ? kg >> shift : kg / kg_per_group; };
  float acc[NT][4];
#pragma unroll
  for (int j = 0; j < NT; ++j) acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0.0f;
  for (int kg0 = warp; kg0 < kgroups; kg0 += WARPS * AHEAD) {
    uint4 pk[AHEAD];
    uint32_t s_lo[AHEAD], s_hi[AHEAD];
#pragma unroll
    for (int u = 0; u < AHEAD; ++u) {
      const int kg = kg0 + WARPS * u;
      if (kg < kgroups) {
        pk[u] = load_stream(frag + static_cast<size_t>(kg) * 32 + lane);
        const int group = group_of(kg);
        s_lo[u] = __ldg(sz + sz_lo + group);
        s_hi[u] = __ldg(sz + sz_hi + group);
      }
    }
#pragma unroll
    for (int u = 0; u < AHEAD; ++u) {
      const int kg = kg0 + WARPS * u;
      if (kg >= kgroups) break;
      uint32_t zero_lo, zero_hi;
      float scale_lo, scale_hi;
      row_scale(s_lo[u], zero_lo, scale_lo);
      row_scale(s_hi[u], zero_hi, scale_hi);
      uint32_t a[4][4];
      decode_group(pk[u], zero_lo, zero_hi, a);
      const int c = 64 * kg + 16 * t;
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
        const int tok = 8 * nt + g;
        uint4 xa = make_uint4(0, 0, 0, 0), xb = xa;
        if (tok < m && c < w.k) {
          const uint4* xr = reinterpret_cast<const uint4*>(x + static_cast<size_t>(tok) * w.k + c);
          xa = __ldg(xr);
          xb = __ldg(xr + 1);
        }
        float d[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        mma_bf16(d, a[0], xa.x, xa.y);
        mma_bf16(d, a[1], xa.z, xa.w);
        mma_bf16(d, a[2], xb.x, xb.y);
        mma_bf16(d, a[3], xb.z, xb.w);
        acc[nt][0] = fmaf(d[0], scale_lo, acc[nt][0]);
        acc[nt][1] = fmaf(d[1], scale_lo, acc[nt][1]);
        acc[nt][2] = fmaf(d[2], scale_hi, acc[nt][2]);
        acc[nt][3] = fmaf(d[3], scale_hi, acc[nt][3]);
      }
    }
  }
  // C fragment: element e of lane l is row g + 8 (e >> 1), token 2 t + (e & 1).
  auto store = [&](int l, int nt, int e, float sum) {
    const int row = 16 * rb + (l >> 2) + 8 * (e >> 1);
    const int tok = 8 * nt + 2 * (l & 3) + (e & 1);
    if (row >= w.n || tok >= m) return;
    const size_t at = static_cast<size_t>(tok) * ldy + w.row0 + row;
    if constexpr (OutF32)
      static_cast<float*>(y)[at] = sum;
    else
      static_cast<bf16*>(y)[at] = __float2bfloat16(sum);
  };
  if constexpr (WARPS == 1) {
#pragma unroll
    for (int nt = 0; nt < NT; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) store(lane, nt, e, acc[nt][e]);
  } else {
    // The warps' partial sums, added in a fixed order (deterministic), four token tiles at a time.
    constexpr int kChunk = NT < 4 ? NT : 4;
    __shared__ float partial[WARPS][kChunk * 4][32];
#pragma unroll
    for (int nt0 = 0; nt0 < NT; nt0 += kChunk) {
      if (nt0 > 0) __syncthreads();
#pragma unroll
      for (int j = 0; j < kChunk; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) partial[warp][j * 4 + e][lane] = acc[nt0 + j][e];
      __syncthreads();
      for (int v = threadIdx.x; v < kChunk * 4 * 32; v += WARPS * 32) {
        const int l = v % 32, j = v / 128, e = (v / 32) % 4;
        float sum = 0.0f;
#pragma unroll
        for (int wi = 0; wi < WARPS; ++wi) sum += partial[wi][j * 4 + e][l];
        store(l, nt0 + j, e, sum);
      }
    }
  }
}

// Larger batches: a CTA of kGemmWarps warps covers kGemmWarps / TS 16-row blocks; the TS warps
// of a block split its NT * TS token tiles of 8. Per k group, the activations (NT * TS * 8
// tokens x 64 channels), the CTA's packed weights (512 bytes per row block) and its scales go
// through a kStages-deep cp.async pipeline in shared memory, so loads for later k groups are in
// flight while the tensor cores work. Weights are (q - zero) * scale rounded to bf16 (the
// precision of the dequantize route), so the products accumulate in the mma directly.
constexpr int kGemmWarps = 8;
constexpr int kStages = 4;
constexpr int kXRow = 64 + 8;  // bf16 per staged token row: 16 bytes of padding, no bank conflicts

template <int NT, int TS>
struct GemmStage {
  static constexpr int kBlocks = kGemmWarps / TS;  // row blocks per CTA
  bf16 x[NT * TS * 8][kXRow];
  uint4 w[kBlocks][32];
  uint32_t scale_zero[16 * kBlocks];
};

template <int NT, int TS, bool OutF32>
__global__ void __launch_bounds__(kGemmWarps * 32, 2)
    int4_gemm_kernel(QuantPart w, const bf16* __restrict__ x, int m, void* y, int ldy,
                     float* accum, int kg_per_split) {
  using Stage = GemmStage<NT, TS>;
  constexpr int kBlocks = Stage::kBlocks, kTokens = NT * TS * 8;
  extern __shared__ __align__(16) unsigned char smem[];
  auto* stages = reinterpret_cast<Stage*>(smem);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
  const int local_rb = warp / TS, tile0 = (warp % TS) * NT;
  const int rbs = (w.n + 15) / 16, rb = blockIdx.x * kBlocks + local_rb;
  const int kgroups = (w.k + 63) / 64;
  const int kg_begin = blockIdx.y * kg_per_split;
  const int kg_end = min(kgroups, kg_begin + kg_per_split);
  if (kg_begin >= kg_end) return;
  const uint32_t* sz = reinterpret_cast<const uint32_t*>(w.scale_zero);
  const int row_base = blockIdx.x * 16 * kBlocks;
  auto load_stage = [&](int kg) {
    if (kg < kg_end) {
      Stage& st = stages[kg % kStages];
      for (int c = threadIdx.x; c < kTokens * 8; c += kGemmWarps * 32) {
        const int tok = c / 8, ch = 64 * kg + 8 * (c % 8);
        const bool valid = tok < m && ch < w.k;
        cp_async16(smem_addr(&st.x[tok][8 * (c % 8)]),
                   valid ? x + static_cast<size_t>(tok) * w.k + ch : x, valid);
      }
      if (threadIdx.x < kBlocks * 32) {
        const int b = blockIdx.x * kBlocks + threadIdx.x / 32;
        const bool valid = b < rbs;
        cp_async16(smem_addr(&st.w[threadIdx.x / 32][threadIdx.x % 32]),
                   reinterpret_cast<const uint4*>(w.frag) +
                       (static_cast<size_t>(valid ? b : 0) * kgroups + kg) * 32 + threadIdx.x % 32,
                   valid);
      }
      if (threadIdx.x < 16 * kBlocks) {
        const int row = row_base + threadIdx.x;
        const bool valid = row < w.n;
        cp_async4(smem_addr(&st.scale_zero[threadIdx.x]),
                  sz + (valid ? static_cast<size_t>(row) * w.groups + 64 * kg / w.group_size : 0),
                  valid);
      }
    }
    cp_async_commit();  // an empty group past the end keeps the wait counts uniform
  };
  float acc[NT][4];
#pragma unroll
  for (int j = 0; j < NT; ++j) acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0.0f;
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) load_stage(kg_begin + s);
  for (int kg = kg_begin; kg < kg_end; ++kg) {
    cp_async_wait<kStages - 2>();
    __syncthreads();  // stage kg is in; every warp is done with the one refilled next
    load_stage(kg + kStages - 1);
    const Stage& st = stages[kg % kStages];
    uint32_t a[4][4];
    decode_group_scaled(st.w[local_rb][lane], st.scale_zero[16 * local_rb + g],
                        st.scale_zero[16 * local_rb + g + 8], a);
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
      const bf16* xr = st.x[8 * (tile0 + nt) + g] + 16 * t;
      const uint4 xa = *reinterpret_cast<const uint4*>(xr);
      const uint4 xb = *reinterpret_cast<const uint4*>(xr + 8);
      mma_bf16(acc[nt], a[0], xa.x, xa.y);
      mma_bf16(acc[nt], a[1], xa.z, xa.w);
      mma_bf16(acc[nt], a[2], xb.x, xb.y);
      mma_bf16(acc[nt], a[3], xb.z, xb.w);
    }
  }
  cp_async_wait<0>();
  if (rb >= rbs) return;
#pragma unroll
  for (int nt = 0; nt < NT; ++nt)
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int row = 16 * rb + g + 8 * (e >> 1), tok = 8 * (tile0 + nt) + 2 * t + (e & 1);
      if (row >= w.n || tok >= m) continue;
      if (accum) {
        atomicAdd(&accum[static_cast<size_t>(tok) * w.n + row], acc[nt][e]);
      } else {
        const size_t at = static_cast<size_t>(tok) * ldy + w.row0 + row;
        if constexpr (OutF32)
          static_cast<float*>(y)[at] = acc[nt][e];
        else
          static_cast<bf16*>(y)[at] = __float2bfloat16(acc[nt][e]);
      }
    }
}

template <int NT, int TS, bool OutF32>
bool allow_gemm_smem() {
  return cudaFuncSetAttribute(int4_gemm_kernel<NT, TS, OutF32>,
                              cudaFuncAttributeMaxDynamicSharedMemorySize,
                              static_cast<int>(sizeof(GemmStage<NT, TS>) * kStages)) == cudaSuccess;
}

template <int NT, int TS>
void launch_int4_gemm(const QuantPart& w, const bf16* x, int m, void* y, int ldy, bool out_f32,
                      float* accum, int num_sms, cudaStream_t stream) {
  constexpr int rows = 16 * GemmStage<NT, TS>::kBlocks;
  const int ctas = (w.n + rows - 1) / rows;
  const int kgroups = (w.k + 63) / 64;
  // Two CTAs per SM: the inputs are split so that the CTAs fill whole waves of them (the fewest
  // splits that waste at most a tenth of the last wave's slots; a wave and a bit would run at
  // half speed), each split at least 8 k groups.
  int splits = 1;
  if (accum) {
    const int slots = 2 * num_sms, most = std::clamp(kgroups / 8, 1, 16);
    double best = 0.0;
    for (int s = 1; s <= most; ++s) {
      const int total = ctas * s, waves = (total + slots - 1) / slots;
      const double used = static_cast<double>(total) / (static_cast<double>(waves) * slots);
      if (used > best + 1e-9) best = used, splits = s;
      if (used >= 0.9) break;
    }
  }
  const int kg_per_split = (kgroups + splits - 1) / splits;
  splits = (kgroups + kg_per_split - 1) / kg_per_split;
  float* acc = splits > 1 ? accum : nullptr;
  if (acc) cudaMemsetAsync(acc, 0, sizeof(float) * static_cast<size_t>(m) * w.n, stream);
  const dim3 grid(ctas, splits);
  constexpr size_t bytes = sizeof(GemmStage<NT, TS>) * kStages;
  if (out_f32)
    int4_gemm_kernel<NT, TS, true><<<grid, kGemmWarps * 32, bytes, stream>>>(w, x, m, y, ldy, acc, kg_per_split);
  else
    int4_gemm_kernel<NT, TS, false><<<grid, kGemmWarps * 32, bytes, stream>>>(w, x, m, y, ldy, acc, kg_per_split);
  if (acc) quant_finish_split(acc, m, w.n, y, ldy, w.row0, out_f32, stream);
}

// out[(row0 + r) * k + perm(c)] = bf16(w[r, c]): one lane's 4 words of a k group per thread,
// i.e. 16 consecutive channels of two rows, written as 16-byte stores.
__global__ void dequantize_frag_kernel(QuantPart w, bf16* out) {
  const int kgroups = (w.k + 63) / 64;
  const size_t total = static_cast<size_t>((w.n + 15) / 16) * kgroups * 32;
  for (size_t idx = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const int lane = static_cast<int>(idx % 32);
    const int kg = static_cast<int>((idx / 32) % kgroups);
    const int rb = static_cast<int>(idx / (32 * static_cast<size_t>(kgroups)));
    const int c0 = 64 * kg + 16 * (lane & 3);
    if (c0 >= w.k) continue;
    const uint4 words = reinterpret_cast<const uint4*>(w.frag)[idx];
    const uint32_t wj[4] = {words.x, words.y, words.z, words.w};
    const int group = 64 * kg / w.group_size;
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int r = 16 * rb + frag_row(lane, half);
      if (r >= w.n) continue;
      const float2 sz = __half22float2(w.scale_zero[static_cast<size_t>(r) * w.groups + group]);
      // Nibble i = half + 2 q of word j is channel c0 + frag_channel(lane, j, i) - 16 t.
      float v[16];
#pragma unroll
      for (int j = 0; j < 4; ++j)
#pragma unroll
        for (int q = 0; q < 4; ++q) {
          const int i = half + 2 * q;
          v[4 * j + 2 * ((i >> 1) & 1) + (i >> 2)] =
              (static_cast<float>((wj[j] >> (4 * i)) & 15u) - sz.y) * sz.x;
        }
      bf16* dst = out + static_cast<size_t>(w.row0 + r) * w.k;
      if (w.perm) {
        for (int c = 0; c < 16; ++c) dst[w.perm[c0 + c]] = __float2bfloat16(v[c]);
      } else {
        uint4 o[2];
        uint32_t* ow = reinterpret_cast<uint32_t*>(o);
#pragma unroll
        for (int c = 0; c < 8; ++c) ow[c] = bf16x2_bits(__floats2bfloat162_rn(v[2 * c], v[2 * c + 1]));
        reinterpret_cast<uint4*>(dst + c0)[0] = o[0];
        reinterpret_cast<uint4*>(dst + c0)[1] = o[1];
      }
    }
  }
}

int grid_for(size_t items) {
  return static_cast<int>(std::min<size_t>((items + 255) / 256, 65536));
}

template <int NT>
void launch_int4_mma(const Int4PartList& parts, const bf16* x, int m, void* y, int ldy,
                     bool out_f32, cudaStream_t stream) {
  constexpr int kWarps = 8, kAhead = 4;
  const int blocks = parts.first_block[parts.count];
#define PAGODA_LAUNCH(P, F)                                                                 \
  int4_mma_kernel<NT, kWarps, kAhead, P, F><<<blocks, kWarps * 32, 0, stream>>>(parts, x, m, y, \
                                                                                  ldy)
  if (parts.count > 1) {
    if (out_f32)
      PAGODA_LAUNCH(kInt4MaxParts, true);
    else
      PAGODA_LAUNCH(kInt4MaxParts, false);
  } else {
    if (out_f32)
      PAGODA_LAUNCH(1, true);
    else
      PAGODA_LAUNCH(1, false);
  }
#undef PAGODA_LAUNCH
}

}  // namespace

bool int4_frag_supported(int n, int k, int group_size) {
  // Scales are applied per k group of 64 channels, so a group must not split one.
  return n > 0 && k > 0 && k % 16 == 0 && group_size > 0 &&
         (group_size % 64 == 0 || group_size >= k);
}

size_t int4_frag_words(int n, int k) {
  return static_cast<size_t>((n + 15) / 16) * ((k + 63) / 64) * 128;
}

void int4_repack_frag(const uint32_t* packed, int n, int k, uint32_t* frag, cudaStream_t stream) {
  repack_kernel<<<grid_for(int4_frag_words(n, k)), 256, 0, stream>>>(packed, n, k, frag);
}

// PAGODA_CUDA_INT4_TILE_ROWS=N: the tiles from N + 1 tokens. Measured in one binary (q8, call 1;
// after q6's call 8 had found the same): the tiles from 17 tokens against from 33 give AWQ 7B
// b16 4,466 / 4,494 (the same route: noise), b24 4,638 / 4,477, b32 5,936 / 5,166 tok/s.
int int4_tile_after() {
  static const int after = [] {
    const char* v = std::getenv("PAGODA_CUDA_INT4_TILE_ROWS");
    return v && *v ? std::clamp(std::atoi(v), kInt4StreamMaxRows, kQuantFragGemvRows)
                   : kInt4TileAfterDefault;
  }();
  return after;
}

void int4_frag_product(const QuantPart* parts, int count, const bf16* x, void* y, int m, int ldy,
                       bool out_f32, float* accum, bf16* x_frag, int num_sms, cudaStream_t stream,
                       int stream_variant) {
  if (m > int4_tile_after()) {
    if (int4_wgmma_product(parts, count, x, y, m, ldy, out_f32, accum, x_frag, num_sms, stream))
      return;
    // q6: 128 rows a CTA (a warp a row block and every token tile: the staged activations
    // serve twice the rows of q3's 64, and a warp runs 32..64 mma between barriers);
    // PAGODA_CUDA_INT4_GEMM=0: q3's 64 rows (two warps a row block).
    static const bool wide = [] {
      const char* v = std::getenv("PAGODA_CUDA_INT4_GEMM");
      return !(v && std::string(v) == "0");
    }();
    for (int i = 0; i < count; ++i) {
      if (wide && m <= 32)
        launch_int4_gemm<4, 1>(parts[i], x, m, y, ldy, out_f32, accum, num_sms, stream);
      else if (wide && m <= 64)
        launch_int4_gemm<8, 1>(parts[i], x, m, y, ldy, out_f32, accum, num_sms, stream);
      else if (wide)
        launch_int4_gemm<16, 1>(parts[i], x, m, y, ldy, out_f32, accum, num_sms, stream);
      else if (m <= 64)
        launch_int4_gemm<4, 2>(parts[i], x, m, y, ldy, out_f32, accum, num_sms, stream);
      else
        launch_int4_gemm<8, 2>(parts[i], x, m, y, ldy, out_f32, accum, num_sms, stream);
    }
    return;
  }
  if (m <= kInt4StreamMaxRows && count <= kInt4MaxParts && int4_stream_variant() > 0) {
    Int4PartList list;
    list.count = count;
    for (int i = 0; i < count; ++i) {
      list.part[i] = parts[i];
      list.first_block[i + 1] = list.first_block[i] + (parts[i].n + 15) / 16;
    }
    Int4StreamArgs args;
    args.x = x, args.m = m, args.y = y, args.ldy = ldy, args.out_f32 = out_f32;
    args.variant = stream_variant;
    if (int4_stream_product(list, args, num_sms, stream)) return;
  }
  // Up to 16 tokens the parts share one launch (measured: 7B decode b1 277 -> 301 tok/s); at 32
  // a launch per part measured faster (5.38K against 4.66K tok/s at b32).
  const int per_launch = m <= 16 ? kInt4MaxParts : 1;
  for (int i0 = 0; i0 < count; i0 += per_launch) {
    Int4PartList list;
    list.count = std::min(count - i0, per_launch);
    list.first_block[0] = 0;
    for (int i = 0; i < list.count; ++i) {
      list.part[i] = parts[i0 + i];
      list.first_block[i + 1] = list.first_block[i] + (parts[i0 + i].n + 15) / 16;
    }
    if (m <= 8)
      launch_int4_mma<1>(list, x, m, y, ldy, out_f32, stream);
    else if (m <= 16)
      launch_int4_mma<2>(list, x, m, y, ldy, out_f32, stream);
    else
      launch_int4_mma<4>(list, x, m, y, ldy, out_f32, stream);
  }
}

#ifndef PAGODA_HAVE_WGMMA
// Built without sm_90a code (no architecture 90): the mma.sync tiles take every GPU.
void int4_wgmma_setup() {}
bool int4_wgmma_ready() { return false; }
bool int4_wgmma_product(const QuantPart*, int, const bf16*, void*, int, int, bool, float*, bf16*,
                        int, cudaStream_t) {
  return false;
}
#endif

bool int4_frag_setup() {
  // More than the default 48 KB of dynamic shared memory, set before any graph capture.
  // The wgmma tiles are optional: where they cannot run, the mma.sync tiles take their steps.
  int4_wgmma_setup();
  const bool stream = int4_stream_setup();
  return allow_gemm_smem<4, 2, false>() && allow_gemm_smem<4, 2, true>() &&
         allow_gemm_smem<8, 2, false>() && allow_gemm_smem<8, 2, true>() &&
         allow_gemm_smem<4, 1, false>() && allow_gemm_smem<4, 1, true>() &&
         allow_gemm_smem<8, 1, false>() && allow_gemm_smem<8, 1, true>() &&
         allow_gemm_smem<16, 1, false>() && allow_gemm_smem<16, 1, true>() && stream;
}

void int4_frag_dequantize(const QuantPart& w, bf16* out, cudaStream_t stream) {
  dequantize_frag_kernel<<<grid_for(int4_frag_words(w.n, w.k) / 4), 256, 0, stream>>>(w, out);
}

}  // namespace pagoda::cuda
