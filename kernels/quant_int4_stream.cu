// The int4 decode product for 1..kInt4StreamMaxRows tokens on weights in mma fragment order
// (quant_int4_frag.cuh), with the store, residual and SwiGLU epilogues of the fused decode layer.
//
// Why: the one-row-block-per-CTA product (quant_int4_mma.cu) loads a k group's weights, waits,
// multiplies and retires, and has no epilogues. Here the warps of a CTA split each 16-row
// block's k groups (warp w takes k groups w, w + WARPS, ...) and every lane keeps its next AHEAD
// k groups (weights and the two rows' scale/zero) in registers, refilling a slot as soon as it
// is used and across row-block boundaries, so loads stay in flight while a block's partial sums
// are reduced; persistent variants walk row blocks blockIdx.x, + gridDim.x, ... with as many
// CTAs as fit. The product is instruction-bound at these sizes (docs/cuda-notes.md q5: ~140
// instructions per warp and k group against ~60 of arithmetic), which is why the decode is one
// LOP3 per nibble pair, the group of a k group a shift, and the variants differ in occupancy.
// (q4's ring of cp.async copies in shared memory cost more per byte and was removed in q5.)
//
// Numerics: per warp, per k group, the four tiles' mma from zero times the group's scale is
// added in k-group order (fmaf), and the warps' sums are added in warp order, whatever the
// epilogue: the store, residual and SwiGLU epilogues see bit-identical sums for one variant.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <string>

#include "kernels/kernel_common.cuh"
#include "kernels/mma_primitives.cuh"
#include "kernels/quant_gemm.h"
#include "kernels/quant_int4_frag.cuh"
#include "kernels/rmsnorm_chunk.cuh"
#include "kernels/rope.cuh"

namespace pagoda::cuda {

namespace {

using bf16 = __nv_bfloat16;

enum StreamEpilogue { kStreamBf16, kStreamF32, kStreamResidual, kStreamSwiglu, kStreamRope };
__host__ __device__ constexpr bool two_blocks(int epi) {
  return epi == kStreamSwiglu || epi == kStreamRope;
}
// (bf16, 1 part), (bf16, 3), (f32, 1), (f32, 3), residual, SwiGLU with activations read from
// global memory; then (bf16, 1), (bf16, 3), residual, SwiGLU, RoPE with activations staged once
// per CTA (RoPE always has the norm prologue).
constexpr int kStreamKernels = 11;
constexpr int kStagedKernel0 = 6;

// bf16 per staged activation row: k rounded up to whole k groups (the tail zeros), and 16 bytes
// of padding against bank conflicts between tokens.
__host__ __device__ constexpr int staged_stride(int k) { return (k + 63) / 64 * 64 + 8; }
// The staged activations of m tokens and their k groups' sums (float [kgroups][8]: a token per
// mma column).
constexpr size_t staged_bytes(int k, int m) {
  return sizeof(bf16) * m * staged_stride(k) + sizeof(float) * 8 * static_cast<size_t>((k + 63) / 64);
}

struct StreamParams {
  Int4PartList parts;  // SwiGLU: gate, up
  Int4StreamArgs a;
  int k = 0, kgroups = 0;
  int items = 0;  // row blocks over all parts (SwiGLU: of the gate part; a CTA does both)
};

constexpr int kStreamMaxWarps = 16;  // the most warps a variant has (int4_stream_stageable)
constexpr size_t partial_bytes(int warps, int pairs) {
  return sizeof(float) * static_cast<size_t>(warps) * pairs * 4 * 32;
}

template <typename T>
__device__ __forceinline__ T pick3(int i, T a0, T a1, T a2) {
  return i == 0 ? a0 : i == 1 ? a1 : a2;
}

// Where row block item's k groups are (part pi, block rb within it): kernel parameters read with
// constant indices only (a dynamically indexed parameter would go through local memory).
// SwiGLU's item is gate block item (half 0) and up block item (half 1); RoPE's item is one
// 16-row block of the first half of a head (half 0) and the block hd / 2 rows on (half 1), so
// that one thread holds both rows of each rotated pair.
template <int PARTS, int EPI>
__device__ __forceinline__ void locate(const StreamParams& p, int item, int half, int& pi, int& rb) {
  if constexpr (EPI == kStreamSwiglu) {
    pi = half;
    rb = item;
  } else if constexpr (EPI == kStreamRope) {
    const RopeStoreParams& r = p.a.rope;
    const int per_half = r.hd / 32, head = item / per_half;
    pi = (head >= r.nh) + (head >= r.nh + r.nkv);
    const int first = pi == 0 ? 0 : pi == 1 ? r.nh : r.nh + r.nkv;
    rb = (head - first) * 2 * per_half + (item - head * per_half) + half * per_half;
  } else if constexpr (PARTS == 1) {
    pi = 0;
    rb = item;
  } else {
    pi = (item >= p.parts.first_block[1]) + (item >= p.parts.first_block[2]);
    rb = item - pick3(pi, p.parts.first_block[0], p.parts.first_block[1], p.parts.first_block[2]);
  }
}

// x[t, c] for t < m into xs (zeros past k up to the whole k group), 16 bytes at a time: copied,
// or normalized with rms_normalize's arithmetic (bit for bit); and each token's sum over each k
// group into sums[kg][t] (multiply_group_sums; t >= m not written), in one order for every
// kernel.
// Each thread issues the loads of kChunks chunks before it converts any (one L2 round trip per
// kChunks chunks, not per chunk).
template <int WARPS>
__device__ __forceinline__ void stage_activations(const StreamParams& p, bf16* xs, float* sums) {
  constexpr int kChunks = 4;
  const int chunks = 8 * p.kgroups, stride = staged_stride(p.k), total = p.a.m * chunks;
  // Whole warps walk the chunks (a multiple of 32, past the last: zeros, stored nowhere), so the
  // k groups' sums below shuffle among all 32 lanes.
  const int walked = (total + 31) / 32 * 32;
  const int k_chunks = p.k / 8;
  const bool norm = p.a.norm_residual != nullptr;
  for (int i0 = threadIdx.x; i0 < walked; i0 += WARPS * 32 * kChunks) {
    float4 r0[kChunks], r1[kChunks];
    uint4 v[kChunks];  // the norm weights, or the copied activations
    float inv[kChunks];
#pragma unroll
    for (int u = 0; u < kChunks; ++u) {
      const int i = i0 + u * WARPS * 32, tok = i / chunks, c8 = i - tok * chunks;
      v[u] = make_uint4(0, 0, 0, 0);
      if (i >= total || c8 >= k_chunks) continue;  // (zeros)
      if (norm) {
        const float4* r =
            reinterpret_cast<const float4*>(p.a.norm_residual + static_cast<size_t>(tok) * p.k) + 2 * c8;
        r0[u] = __ldg(r), r1[u] = __ldg(r + 1);
        v[u] = __ldg(reinterpret_cast<const uint4*>(p.a.norm_weight) + c8);
        inv[u] = rsqrtf(__ldg(p.a.norm_sumsq + tok) / p.k + p.a.eps);
      } else {
        v[u] = __ldg(reinterpret_cast<const uint4*>(p.a.x + static_cast<size_t>(tok) * p.k) + c8);
      }
    }
#pragma unroll
    for (int u = 0; u < kChunks; ++u) {
      const int i = i0 + u * WARPS * 32, tok = i / chunks, c8 = i - tok * chunks;
      if (i >= walked) break;  // (the whole warp's: its i are 32 numbers from a multiple of 32)
      const bool in = i < total, real = in && c8 < k_chunks;
      const uint4 out = norm && real ? rmsnorm_values8(r0[u], r1[u], v[u], inv[u]) : v[u];
      if (in) *reinterpret_cast<uint4*>(xs + tok * stride + 8 * c8) = out;
      // The 8 chunks of a k group are 8 consecutive lanes (chunks is a multiple of 8).
      const __nv_bfloat162* o2 = reinterpret_cast<const __nv_bfloat162*>(&out);
      float s = 0.0f;
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        const float2 f = __bfloat1622float2(o2[q]);
        s += f.x;
        s += f.y;
      }
      s += __shfl_xor_sync(0xffffffffu, s, 1);
      s += __shfl_xor_sync(0xffffffffu, s, 2);
      s += __shfl_xor_sync(0xffffffffu, s, 4);
      if (in && (c8 & 7) == 0) sums[(c8 >> 3) * 8 + tok] = s;
    }
  }
}

// The end of row block item: the warps' partial sums (acc, P halves of 4 C-fragment elements)
// added in warp order, then the epilogue, by the first 128 threads. Every thread of the CTA
// calls it (two barriers); partial is free again when it returns.
template <int WARPS, int P, int PARTS, int EPI>
__device__ __forceinline__ void finish_item(const StreamParams& p, float (*partial)[P * 4][32],
                                            int item, const float (&acc)[P][4]) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
  for (int h = 0; h < P; ++h)
#pragma unroll
    for (int e = 0; e < 4; ++e) partial[warp][h * 4 + e][lane] = acc[h][e];
  __syncthreads();
  if (threadIdx.x < 128) {
    // C fragment element e of lane l: row g + 8 (e >> 1), token 2 t + (e & 1); e is the warp's.
    const int l = threadIdx.x & 31, e = threadIdx.x >> 5;
    float sum[P];
#pragma unroll
    for (int h = 0; h < P; ++h) {
      sum[h] = 0.0f;
#pragma unroll
      for (int wi = 0; wi < WARPS; ++wi) sum[h] += partial[wi][h * 4 + e][l];
    }
    int pi, rb;
    locate<PARTS, EPI>(p, item, 0, pi, rb);
    const Int4PartList& pl = p.parts;
    const int n = pick3(pi, pl.part[0].n, pl.part[1].n, pl.part[2].n);
    const int row0 = pick3(pi, pl.part[0].row0, pl.part[1].row0, pl.part[2].row0);
    const int row = 16 * rb + (l >> 2) + 8 * (e >> 1), tok = 2 * (l & 3) + (e & 1);
    const bool valid = row < n && tok < p.a.m;
    const size_t at = static_cast<size_t>(tok) * p.a.ldy + row0 + row;
    if constexpr (EPI == kStreamBf16) {
      if (valid) static_cast<bf16*>(p.a.y)[at] = __float2bfloat16(sum[0]);
    } else if constexpr (EPI == kStreamF32) {
      if (valid) static_cast<float*>(p.a.y)[at] = sum[0];
    } else if constexpr (EPI == kStreamSwiglu) {
      if (valid) {  // silu_mul's arithmetic on the bf16-rounded products
        const float gv = __bfloat162float(__float2bfloat16(sum[0]));
        const float uv = __bfloat162float(__float2bfloat16(sum[P - 1]));
        static_cast<bf16*>(p.a.y)[at] = __float2bfloat16(gv / (1.0f + __expf(-gv)) * uv);
      }
    } else if constexpr (EPI == kStreamRope) {
      if (valid) {  // rope_store's arithmetic on the bf16-rounded products of rows d, d + hd / 2
        const RopeStoreParams& r = p.a.rope;
        const int per_half = r.hd / 32, head = item / per_half;
        const int d = 16 * (item - head * per_half) + (l >> 2) + 8 * (e >> 1), d1 = d + r.hd / 2;
        float x0 = __bfloat162float(__float2bfloat16(sum[0]));
        float x1 = __bfloat162float(__float2bfloat16(sum[P - 1]));
        if (r.bias) {
          x0 += __bfloat162float(r.bias[head * r.hd + d]);
          x1 += __bfloat162float(r.bias[head * r.hd + d1]);
        }
        if (head < r.nh + r.nkv)
          rope_rotate(x0, x1, static_cast<float>(r.positions[tok]), r.inv_freq[d], r.rope_scale);
        bf16* dst = rope_head_destination(r, tok, head, r.slots[tok]);
        if (dst) {
          dst[d] = __float2bfloat16(x0);
          dst[d1] = __float2bfloat16(x1);
        }
      }
    } else {
      float sq = 0.0f;
      if (valid) {  // add_rmsnorm's residual update with the bf16-rounded product
        const float r = p.a.residual[at] + __bfloat162float(__float2bfloat16(sum[0]));
        p.a.residual[at] = r;
        sq = r * r;
      }
      // Lanes with the same l & 3 hold the same token.
      sq += __shfl_xor_sync(0xffffffffu, sq, 4);
      sq += __shfl_xor_sync(0xffffffffu, sq, 8);
      sq += __shfl_xor_sync(0xffffffffu, sq, 16);
      if (l < 4 && 2 * l + (e & 1) < p.a.m) atomicAdd(p.a.sumsq_out + 2 * l + (e & 1), sq);
    }
  }
  __syncthreads();  // partial is rewritten for the next item
}

// The per-k-group arithmetic: the four tiles of one 16-row block and k group against the lane's
// activations (xa, xb: channels 16 t .. + 16 of token g), times the rows' scales, added to acc in
// k-group order. Activations from global memory: each weight pair is q - zero before the mma
// (exact in bf16).
__device__ __forceinline__ void multiply_group(const uint4& words, uint32_t sz_lo, uint32_t sz_hi,
                                               const uint4& xa, const uint4& xb, float (&acc)[4]) {
  uint32_t zero_lo, zero_hi;
  float scale_lo, scale_hi;
  row_scale(sz_lo, zero_lo, scale_lo);
  row_scale(sz_hi, zero_hi, scale_hi);
  uint32_t a[4][4];
  decode_group(words, zero_lo, zero_hi, a);
  float d[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  mma_bf16(d, a[0], xa.x, xa.y);
  mma_bf16(d, a[1], xa.z, xa.w);
  mma_bf16(d, a[2], xb.x, xb.y);
  mma_bf16(d, a[3], xb.z, xb.w);
  acc[0] = fmaf(d[0], scale_lo, acc[0]);
  acc[1] = fmaf(d[1], scale_lo, acc[1]);
  acc[2] = fmaf(d[2], scale_hi, acc[2]);
  acc[3] = fmaf(d[3], scale_hi, acc[3]);
}

// The same with staged activations, whose sums over the k group (sx: tokens 2 t, 2 t + 1) the
// staging computed: the mma multiplies 128 + q and starts from -(128 + zero) * sum(x), which
// saves the 16 bf16 subtractions of every k group (the product is instruction-bound). The
// products 128 + q by a bf16 are exact in float; the cancellation costs ~136 x 64 units of
// float rounding of |x| per k group, ~1e-5 of a group's sum, far below the bf16 store.
__device__ __forceinline__ void multiply_group_sums(const uint4& words, uint32_t sz_lo,
                                                    uint32_t sz_hi, const uint4& xa,
                                                    const uint4& xb, float2 sx, float (&acc)[4]) {
  const float2 lo = __half22float2(*reinterpret_cast<const __half2*>(&sz_lo));
  const float2 hi = __half22float2(*reinterpret_cast<const __half2*>(&sz_hi));
  const float zero_lo = 128.0f + lo.y, zero_hi = 128.0f + hi.y;
  uint32_t a[4][4];
  decode_group_biased(words, a);
  float d[4] = {-zero_lo * sx.x, -zero_lo * sx.y, -zero_hi * sx.x, -zero_hi * sx.y};
  mma_bf16(d, a[0], xa.x, xa.y);
  mma_bf16(d, a[1], xa.z, xa.w);
  mma_bf16(d, a[2], xb.x, xb.y);
  mma_bf16(d, a[3], xb.z, xb.w);
  acc[0] = fmaf(d[0], lo.x, acc[0]);
  acc[1] = fmaf(d[1], lo.x, acc[1]);
  acc[2] = fmaf(d[2], hi.x, acc[2]);
  acc[3] = fmaf(d[3], hi.x, acc[3]);
}

// The product. Each half of an item (one row block; SwiGLU's gate then up block, RoPE's two
// halves of a head) is the same number of chunks of AHEAD positions in every warp; position i of
// a half is k group warp + WARPS i (none past kgroups), and sits in register slot i % AHEAD. The
// chunk loop is unrolled over the slots; each slot is refilled with the same slot of the next
// chunk (across halves and items) as soon as it is used, from a fetch cursor one chunk ahead
// whose pointers advance by a constant per chunk and are recomputed only at a half's start.
// Addresses within a chunk are the chunk's plus constants, so a k group costs its loads and
// arithmetic and little else (q5's version recomputed them per k group: ~125 instructions).
// Persistent variants walk items gridDim.x apart; the others run one item per CTA. Activations
// come from global memory (L1) at use, or staged once per CTA (XS).
template <int WARPS, int AHEAD, int PARTS, int EPI, bool XS, int MIN_CTAS>
__global__ void __launch_bounds__(WARPS * 32, MIN_CTAS) int4_stream_kernel(StreamParams p) {
  static_assert(WARPS >= 4, "the epilogue uses the first 128 threads");
  constexpr int P = two_blocks(EPI) ? 2 : 1;  // row blocks per item
  constexpr int kChunkGroups = WARPS * AHEAD;  // k groups from one chunk to the next
  extern __shared__ __align__(16) unsigned char stream_smem[];
  auto* partial = reinterpret_cast<float(*)[P * 4][32]>(stream_smem);  // [WARPS]
  bf16* xs = reinterpret_cast<bf16*>(stream_smem + partial_bytes(WARPS, P));  // XS only
  float* x_sums = reinterpret_cast<float*>(xs + p.a.m * staged_stride(p.k));
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
  const int kgroups = p.kgroups;
  const int chunks = ((kgroups + WARPS - 1) / WARPS + AHEAD - 1) / AHEAD;  // per half

  // The fetch cursor: item, half and chunk; slot 0's k group and weights, the rows' scales, and
  // the group of a k group as a shift (int4_stream_product only takes one group or a power of
  // two k groups per group). f_limit is kgroups while the item exists, else 0: nothing to load.
  int f_item = blockIdx.x, f_half = 0, f_chunk = 0, f_kg = warp, f_limit = 0, f_shift = 0;
  const uint4* f_w = nullptr;
  const uint32_t *f_slo = nullptr, *f_shi = nullptr;
  auto locate_fetch = [&] {
    f_kg = warp;
    f_limit = f_item < p.items ? kgroups : 0;
    if (f_item >= p.items) return;
    int pi, rb;
    locate<PARTS, EPI>(p, f_item, f_half, pi, rb);
    const Int4PartList& l = p.parts;
    const int n = pick3(pi, l.part[0].n, l.part[1].n, l.part[2].n);
    const int groups = pick3(pi, l.part[0].groups, l.part[1].groups, l.part[2].groups);
    const int group_size = pick3(pi, l.part[0].group_size, l.part[1].group_size, l.part[2].group_size);
    const auto* sz = reinterpret_cast<const uint32_t*>(
        pick3(pi, l.part[0].scale_zero, l.part[1].scale_zero, l.part[2].scale_zero));
    f_w = reinterpret_cast<const uint4*>(pick3(pi, l.part[0].frag, l.part[1].frag, l.part[2].frag)) +
          (static_cast<size_t>(rb) * kgroups + warp) * 32 + lane;
    f_slo = sz + static_cast<size_t>(min(16 * rb + g, n - 1)) * groups;
    f_shi = sz + static_cast<size_t>(min(16 * rb + g + 8, n - 1)) * groups;
    f_shift = group_shift(group_size, p.k);  // (>= 0: int4_stream_takes)
  };
  uint4 ring_w[AHEAD];
  uint32_t ring_lo[AHEAD], ring_hi[AHEAD];
  // Slot u of the cursor's chunk: weights and scales only (read-only for the whole step: safe
  // before pdl_wait).
  auto fetch = [&](int u) {
    const int kg = f_kg + WARPS * u;
    if (kg < f_limit) {
      ring_w[u] = load_stream(f_w + WARPS * 32 * u);
      ring_lo[u] = __ldg(f_slo + (kg >> f_shift));
      ring_hi[u] = __ldg(f_shi + (kg >> f_shift));
    }
  };
  auto advance_fetch = [&] {
    f_kg += kChunkGroups;
    f_w += kChunkGroups * 32;
    if (++f_chunk == chunks) {
      f_chunk = 0;
      if (P == 2 && f_half == 0) {
        f_half = 1;
      } else {
        f_half = 0;
        f_item += gridDim.x;
      }
      locate_fetch();
    }
  };

  locate_fetch();
#pragma unroll
  for (int u = 0; u < AHEAD; ++u) fetch(u);
  advance_fetch();
  pdl_wait();
  pdl_trigger();
  if constexpr (XS) {
    stage_activations<WARPS>(p, xs, x_sums);
    __syncthreads();
  }

  // The lane's activations are channels 16 t .. + 16 of token g (zeros past k: only staged
  // inputs have a partial last k group, int4_stream_product sees to it). Lanes of tokens >= m
  // load nothing and keep zeros (they feed only output columns that are never stored; loads
  // from every lane cost the L1 and shared memory up to four times the wavefronts).
  const bool x_lane = g < p.a.m;
  const bf16* x_row = XS ? xs + min(g, p.a.m - 1) * staged_stride(p.k) + 16 * t
                         : p.a.x + static_cast<size_t>(min(g, p.a.m - 1)) * p.k + 16 * t;
  uint4 xa = make_uint4(0, 0, 0, 0), xb = xa;
  for (int item = blockIdx.x; item < p.items; item += gridDim.x) {
    float acc[P][4];
    float cur[4] = {0.0f, 0.0f, 0.0f, 0.0f};
#pragma unroll 1
    for (int h = 0; h < P; ++h) {
      if (P == 2 && h == 1) {  // the first block's sums are done
#pragma unroll
        for (int e = 0; e < 4; ++e) acc[0][e] = cur[e], cur[e] = 0.0f;
      }
      // Slot 0's k group and activations, advanced a chunk at a time (an induction variable: the
      // compiler recomputed a pointer derived from kernel parameters at every use).
      int kg0 = warp;
      const bf16* xc = x_row + 64 * warp;
      const float* sc = x_sums + 8 * warp + 2 * t;  // XS: tokens 2 t, 2 t + 1
      for (int c = 0; c < chunks;
           ++c, kg0 += kChunkGroups, xc += 64 * kChunkGroups, sc += 8 * kChunkGroups) {
#pragma unroll
        for (int u = 0; u < AHEAD; ++u) {
          if (kg0 + WARPS * u < kgroups) {
            const bf16* xu = xc + 64 * WARPS * u;
            if constexpr (XS) {
              if (x_lane) {
                xa = *reinterpret_cast<const uint4*>(xu);
                xb = *reinterpret_cast<const uint4*>(xu + 8);
              }
              const float2 sx = *reinterpret_cast<const float2*>(sc + 8 * WARPS * u);
              multiply_group_sums(ring_w[u], ring_lo[u], ring_hi[u], xa, xb, sx, cur);
            } else {
              if (x_lane) {
                xa = __ldg(reinterpret_cast<const uint4*>(xu));
                xb = __ldg(reinterpret_cast<const uint4*>(xu) + 1);
              }
              multiply_group(ring_w[u], ring_lo[u], ring_hi[u], xa, xb, cur);
            }
          }
          fetch(u);  // the same slot of the next chunk, once this one's registers are read
        }
        advance_fetch();
      }
    }
#pragma unroll
    for (int e = 0; e < 4; ++e) acc[P - 1][e] = cur[e];
    finish_item<WARPS, P, PARTS, EPI>(p, partial, item, acc);
  }
}

using StreamKernel = void (*)(StreamParams);

// MIN_CTAS: the CTAs per SM the register budget must allow (__launch_bounds__), so that the
// SwiGLU kernels (two accumulators and two row blocks' addresses) keep the store kernel's
// occupancy.
template <int W, int A, int MIN_CTAS = 1>
constexpr std::array<StreamKernel, kStreamKernels> stream_kernels() {
  return {&int4_stream_kernel<W, A, 1, kStreamBf16, false, MIN_CTAS>,
          &int4_stream_kernel<W, A, 3, kStreamBf16, false, MIN_CTAS>,
          &int4_stream_kernel<W, A, 1, kStreamF32, false, MIN_CTAS>,
          &int4_stream_kernel<W, A, 3, kStreamF32, false, MIN_CTAS>,
          &int4_stream_kernel<W, A, 1, kStreamResidual, false, MIN_CTAS>,
          &int4_stream_kernel<W, A, 2, kStreamSwiglu, false, MIN_CTAS>,
          &int4_stream_kernel<W, A, 1, kStreamBf16, true, MIN_CTAS>,
          &int4_stream_kernel<W, A, 3, kStreamBf16, true, MIN_CTAS>,
          &int4_stream_kernel<W, A, 1, kStreamResidual, true, MIN_CTAS>,
          &int4_stream_kernel<W, A, 2, kStreamSwiglu, true, MIN_CTAS>,
          &int4_stream_kernel<W, A, 3, kStreamRope, true, MIN_CTAS>};
}

// The kernels' template arguments (warps, k groups ahead, CTAs per SM) are in the name and the
// kernel list; the launch needs the warps and whether the grid is persistent.
struct StreamVariant {
  const char* name;
  int warps;
  bool persistent;
  std::array<StreamKernel, kStreamKernels> kernels;
};

// PAGODA_CUDA_INT4_GEMV=v picks kVariants[v - 1] (0: the one-block-per-CTA product). Each is
// the fastest on some shape or epilogue (docs/cuda-notes.md q5); the load-time pick chooses.
const StreamVariant kVariants[] = {
    {"8 warps x 8 k groups ahead, persistent", 8, true, stream_kernels<8, 8>()},
    {"4 warps x 8 k groups ahead, persistent", 4, true, stream_kernels<4, 8>()},
    {"16 warps x 4 k groups ahead, persistent", 16, true, stream_kernels<16, 4>()},
    {"8 warps x 4 k groups ahead, persistent", 8, true, stream_kernels<8, 4>()},
    {"16 warps x 8 k groups ahead, persistent", 16, true, stream_kernels<16, 8>()},
    {"8 warps x 4 k groups ahead, a CTA per row block", 8, false, stream_kernels<8, 4>()},
    {"4 warps x 4 k groups ahead, a CTA per row block", 4, false, stream_kernels<4, 4>()},
    {"8 warps x 8 k groups ahead, persistent, 2 CTAs per SM", 8, true, stream_kernels<8, 8, 2>()},
    {"8 warps x 4 k groups ahead, persistent, 3 CTAs per SM", 8, true, stream_kernels<8, 4, 3>()},
    {"4 warps x 8 k groups ahead, persistent, 4 CTAs per SM", 4, true, stream_kernels<4, 8, 4>()},
};
constexpr int kVariantCount = static_cast<int>(sizeof(kVariants) / sizeof(kVariants[0]));

// Dynamic shared memory of a variant's kernel i for inputs of k channels (the SwiGLU kernel's
// partial sums are the largest; staged kernels add the activations).
size_t smem_bytes(const StreamVariant& v, int i, int k, int m) {
  const bool staged = i >= kStagedKernel0;
  return partial_bytes(v.warps, 2) + (staged ? staged_bytes(k, m) : 0);
}

// What int4_stream_setup records: the kernels' registers and the SM's limits, from which the
// CTAs resident per SM follow for any k (0: the kernel does not fit or setup has not run).
struct SmLimits {
  int smem = 0, reserved = 0, threads = 0, regs = 0;
  int block_smem = 0;  // the most dynamic shared memory one CTA may opt in to
};
SmLimits g_sm;
int g_regs[kVariantCount][kStreamKernels] = {};
bool g_setup_done = false;
int g_variant = -1;     // -1: not read from the environment yet
bool g_autotune = false;  // per-linear variants (PAGODA_CUDA_INT4_GEMV unset or "auto")
int g_stage_mode = -1;  // PAGODA_CUDA_INT4_XS

int resident_ctas(int v, int i, int k, int m) {
  const int regs = g_regs[v][i], warps = kVariants[v].warps;
  if (regs <= 0) return 0;
  const int bytes = static_cast<int>(smem_bytes(kVariants[v], i, k, m));
  if (bytes > g_sm.block_smem) return 0;  // (GPUs with less shared memory than the H200)
  const int by_smem = g_sm.smem / (bytes + g_sm.reserved);
  const int by_threads = g_sm.threads / (32 * warps);
  const int by_regs = g_sm.regs / (((regs * 32 + 255) / 256 * 256) * warps);
  return std::min({by_smem, by_threads, by_regs, 32});
}

}  // namespace

int int4_stream_variants() { return kVariantCount; }

const char* int4_stream_variant_name(int v) {
  return v >= 1 && v <= kVariantCount ? kVariants[v - 1].name : "one 16-row block per CTA";
}

int int4_stream_variant() {
  if (g_variant < 0) {
    const char* v = std::getenv("PAGODA_CUDA_INT4_GEMV");
    g_autotune = !v || !*v || std::string(v) == "auto";
    g_variant = g_autotune ? 1 : std::clamp(std::atoi(v), 0, kVariantCount);
  }
  return g_variant;
}

bool int4_stream_autotune() {
  int4_stream_variant();
  return g_autotune;
}

void set_int4_stream_variant(int v) {
  g_variant = std::clamp(v, 0, kVariantCount);
  g_autotune = false;
}

int int4_stream_stage_mode() {
  if (g_stage_mode < 0) {
    const char* v = std::getenv("PAGODA_CUDA_INT4_XS");
    g_stage_mode = v && *v ? std::clamp(std::atoi(v), 0, 2) : 1;
  }
  return g_stage_mode;
}

void set_int4_stream_stage_mode(int mode) { g_stage_mode = std::clamp(mode, 0, 2); }

bool int4_stream_setup() {
  if (g_setup_done) return true;
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&g_sm.smem, cudaDevAttrMaxSharedMemoryPerMultiprocessor, device) !=
          cudaSuccess ||
      cudaDeviceGetAttribute(&g_sm.reserved, cudaDevAttrReservedSharedMemoryPerBlock, device) !=
          cudaSuccess ||
      cudaDeviceGetAttribute(&g_sm.threads, cudaDevAttrMaxThreadsPerMultiProcessor, device) !=
          cudaSuccess ||
      cudaDeviceGetAttribute(&g_sm.regs, cudaDevAttrMaxRegistersPerMultiprocessor, device) !=
          cudaSuccess ||
      cudaDeviceGetAttribute(&g_sm.block_smem, cudaDevAttrMaxSharedMemoryPerBlockOptin, device) !=
          cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  for (int v = 0; v < kVariantCount; ++v)
    for (int i = 0; i < kStreamKernels; ++i) {
      const StreamKernel k = kVariants[v].kernels[i];
      // Staged kernels: enough for the largest input the GPU's shared memory allows.
      const int bytes = std::min(static_cast<int>(partial_bytes(kVariants[v].warps, 2) +
                                                  (i >= kStagedKernel0 ? kInt4StreamStageMaxBytes : 0)),
                                 g_sm.block_smem);
      cudaFuncAttributes attr{};
      if (kVariants[v].warps > kStreamMaxWarps ||
          cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes) !=
              cudaSuccess ||
          cudaFuncGetAttributes(&attr, k) != cudaSuccess) {
        cudaGetLastError();  // a variant that does not fit is refused, not an error
        attr.numRegs = 0;
      }
      g_regs[v][i] = attr.numRegs;
    }
  g_setup_done = true;
  return true;
}

bool int4_stream_ready(int v) {
  if (v < 1 || v > kVariantCount || !int4_stream_setup()) return false;
  for (int i = 0; i < kStagedKernel0; ++i)  // (staged kernels are checked per input size)
    if (resident_ctas(v - 1, i, 0, 1) < 1) return false;
  return true;
}

bool int4_stream_takes(const QuantPart& part) {
  const int gs = part.group_size, per = gs / 64;
  if (!part.frag || part.k <= 0) return false;
  if (gs < part.k && (gs % 64 != 0 || (per & (per - 1)) != 0)) return false;
  return part.k % 64 == 0 || int4_stream_stageable(part.k, kInt4StreamMaxRows);
}

bool int4_stream_stageable(int k, int m) {
  if (k <= 0 || m < 1) return false;
  // With the largest variant's partial sums, within what one CTA may opt in to: this GPU's once
  // set up (227 KB on the H200, 99 KB on an RTX 30xx/40xx), the smallest of sm_80+ before.
  const size_t block = g_setup_done ? static_cast<size_t>(g_sm.block_smem) : 99 * 1024;
  const size_t bytes = staged_bytes(k, m);
  return bytes <= static_cast<size_t>(kInt4StreamStageMaxBytes) && bytes + partial_bytes(kStreamMaxWarps, 2) <= block;
}

bool int4_stream_rope_fits(const Int4PartList& parts, const RopeStoreParams& r) {
  if (parts.count != 3 || !rope_epilogue_params_ok(r) || r.hd % 32 != 0) return false;
  return parts.part[0].n == r.nh * r.hd && parts.part[1].n == r.nkv * r.hd &&
         parts.part[2].n == r.nkv * r.hd;
}

bool int4_stream_product(const Int4PartList& parts, const Int4StreamArgs& a, int num_sms,
                         cudaStream_t stream) {
  int v = int4_stream_variant();
  if (v > 0 && int4_stream_autotune() && a.variant >= 1 && a.variant <= kVariantCount) v = a.variant;
  if (v < 1 || a.m < 1 || a.m > kInt4StreamMaxRows || parts.count < 1) return false;
  const bool swiglu = a.epilogue == Int4Epilogue::kSwiglu;
  const bool residual = a.epilogue == Int4Epilogue::kResidual;
  const bool rope = a.epilogue == Int4Epilogue::kRope;
  if (swiglu && (parts.count != 2 || parts.part[0].n != parts.part[1].n)) return false;
  if (residual && (parts.count != 1 || !a.residual || !a.sumsq_out)) return false;
  if (rope && (!int4_stream_rope_fits(parts, a.rope) || a.rope.tokens != a.m || a.out_f32))
    return false;
  if (!residual && !rope && !a.y) return false;
  StreamParams p;
  p.parts = parts;
  p.a = a;
  p.k = parts.part[0].k;
  p.kgroups = (p.k + 63) / 64;
  for (int i = 0; i < parts.count; ++i)
    if (parts.part[i].k != p.k || !int4_stream_takes(parts.part[i])) return false;
  // Activations staged once per CTA: always with the norm prologue (which RoPE needs), where
  // the caller asks (stage_x) in stage mode 1, for every product that fits in stage mode 2.
  const bool norm = a.norm_residual != nullptr;
  const bool stageable = int4_stream_stageable(p.k, a.m) && !(a.out_f32 && !residual && !swiglu);
  if (norm && (!stageable || !a.norm_sumsq || !a.norm_weight)) return false;
  if (!norm && (!a.x || rope)) return false;
  // The kernel reads whole k groups of activations: a partial last one only from the zero-padded
  // staged copy.
  const bool ragged = p.k % 64 != 0;
  if (ragged && !stageable) return false;
  const int mode = int4_stream_stage_mode();
  bool staged = norm || (stageable && (mode == 2 || ragged || (mode == 1 && a.stage_x)));
  p.items = swiglu ? (parts.part[0].n + 15) / 16
            : rope ? (a.rope.nh + 2 * a.rope.nkv) * (a.rope.hd / 32)
                   : parts.first_block[parts.count];
  // Unused part slots point at part 0 so that every select reads a real part.
  for (int i = parts.count; i < kInt4MaxParts; ++i) {
    p.parts.part[i] = parts.part[0];
    p.parts.first_block[i + 1] = p.items;
  }
  const int multi = parts.count > 1 ? 1 : 0;
  const int staged_kernel = kStagedKernel0 + (rope ? 4 : swiglu ? 3 : residual ? 2 : multi);
  if (staged && !norm && !ragged && resident_ctas(v - 1, staged_kernel, p.k, a.m) < 1) staged = false;
  const int which = staged ? staged_kernel : swiglu ? 5 : residual ? 4 : (a.out_f32 ? 2 : 0) + multi;
  const StreamVariant& sv = kVariants[v - 1];
  const int resident = resident_ctas(v - 1, which, p.k, a.m);
  // Not set up, or it does not fit (the norm prologue: the caller normalizes first instead).
  if (resident < 1) return false;
  const int ctas = sv.persistent ? std::min(p.items, resident * num_sms) : p.items;
  launch_kernel(sv.kernels[which], dim3(ctas), dim3(sv.warps * 32), smem_bytes(sv, which, p.k, a.m),
                stream, p);
  return true;
}

}  // namespace pagoda::cuda
