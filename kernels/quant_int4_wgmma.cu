// The int4 product for 17..kQuantFragMaxRows tokens on Hopper's warpgroup tensor-core
// instructions (wgmma, sm_90a only: CMake builds this file for that target alone, and
// int4_wgmma_product declines on any other GPU). Weights in mma fragment order (quant_gemm.h,
// QuantPart::frag), the same words the decode kernels read.
//
// Why: the mma.sync tile kernel (quant_int4_mma.cu, int4_gemm_kernel) reads every activation
// fragment through registers and ran the 7B gate/up product at 128 tokens at ~180 TFLOP/s with
// its tensor pipe ~31% busy (docs/cuda-notes.md q7). int4_wgmma_rs_kernel keeps the decoded
// weights in registers as wgmma's A operand (each lane decodes its own 16 bytes of the fragment
// layout straight into A fragments) and reads the activations, first put in the fragment channel
// order and the tiles' swizzle by int4_frag_order_kernel, from shared memory as its B (q8, q9).
// The kernels that decoded into a shared-memory B tile instead (one CTA doing everything, or a
// warpgroup copying and decoding for two multiplying ones) measured 20-50% slower and were
// removed in q10.
//
// Work: the output tiles (64 WG weight rows by N tokens) come first one CTA each over all k
// groups, stored directly; when the tiles would leave the last wave of CTAs mostly idle (or all
// tiles fit in less than one wave), the later tiles' k groups are split across CTAs that add into
// the float accumulator (zeroed by the reorder kernel, or by the kernel that wrote the input in
// the tiles' layout: q12), which one finishing pass turns into the output (q10: the
// last-arriving CTA of each tile doing that instead, from the others' sums, measured slower).
// PAGODA_CUDA_INT4_WGMMA_CLUSTER=1 (measured slower, q11: b128 19.56K against 19.96K with the
// programmatic launches, 18.98K against 18.97K without; products at 128 tokens isolated gain
// 2.1-2.4 us on qkv and o_proj without them): a split tile's CTAs are one
// thread-block cluster instead (up to kMaxClusterSplits), which add up their sums through each
// other's shared memory, each CTA a share of the tile, and store the output: no float atomics,
// memset or finishing pass.
// Threading: kernel launches on the caller's stream.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <utility>

#include "kernels/int4_act_layout.cuh"
#include "kernels/kernel_common.cuh"
#include "kernels/mma_primitives.cuh"
#include "kernels/quant_gemm.h"
#include "kernels/quant_int4_frag.cuh"
#include "kernels/wgmma_primitives.cuh"

namespace pagoda::cuda {

namespace {

using bf16 = __nv_bfloat16;

// Parts of one linear (same k, contiguous output columns) in one launch: row tiles
// [first_tile[p], first_tile[p + 1]) take part p.
struct WgmmaParts {
  QuantPart part[kInt4MaxParts];
  int first_tile[kInt4MaxParts + 1] = {};
  int count = 0;
  int col0 = 0;  // the first part's row0
};

// Which k groups each CTA multiplies (plan_work). Output tile t is row tile t % row_tiles of
// token tile t / row_tiles. Item b < whole_tiles: tile b, every k group, stored directly; item
// whole_tiles + splits u + s: tile whole_tiles + u, k groups [s, s + 1) * kg_per_split. CTA
// blockIdx.x is item first_item + blockIdx.x. A split adds into accum when there is one (output
// column c, from the first part's row0, at accum[token * ld_accum + c - accum_col0]: the split
// tiles are the last columns), else it is rank s of a cluster of `splits` CTAs.
struct WgmmaWork {
  int row_tiles = 1, whole_tiles = 0, splits = 1, kg_per_split = 1, first_item = 0;
  float* accum = nullptr;
  int ld_accum = 0, accum_col0 = 0;
};
// The most splits of a tile's k groups; clusters of up to 8 CTAs are portable (larger ones need
// an opt-in and may not be scheduled).
constexpr int kMaxSplits = 16, kMaxClusterSplits = 8;

// The activations in the tiles' layout (int4_act_layout.cuh), for the register-A kernel below,
// whose B operand they are, channels past k and tokens past m zero (a k group's activations of a
// CTA are one contiguous block: no predicates, no address arithmetic per copy). One thread per
// 16-byte output chunk. Where the kernel that produces the activations writes them in this
// layout itself (FragActOut, q12), this kernel does not run. And first, the split tiles' float
// accumulator zeroed (`zero` floats at accum, none when null): one kernel before the product,
// not a memset node as well (q11). Launched programmatically (launch_kernel): it waits for the
// kernels before it, then lets the product's CTAs start theirs, which load their first weights
// while this one runs.
__global__ void int4_frag_order_kernel(const bf16* __restrict__ x, int m, int k, int n_tile,
                                       bf16* xf, float* accum, int zero) {
  pdl_wait();
  pdl_trigger();
  const int kgroups = (k + 63) / 64, tile_chunks = n_tile * 8;
  const int total = (m + n_tile - 1) / n_tile * kgroups * tile_chunks;
  const int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (zero > 0)
    clear_split_accum(accum, zero, idx, static_cast<long>(gridDim.x) * blockDim.x);
  if (idx >= total) return;
  const int tile = idx / tile_chunks, tt = tile / kgroups, kg = tile % kgroups;
  const int r = idx % tile_chunks / 8, q = frag_act_chunk_at(idx % 8, r), token = tt * n_tile + r;
  uint32_t v[4] = {0, 0, 0, 0};
  if (token < m) {
    // Channel pairs as 4-byte loads (k % 16 == 0, int4_frag_supported: a pair is in or past k
    // whole, and 4-byte aligned); one load a pair, not a load a channel (q10: 3.3 us on 7B qkv
    // at 128 tokens with 16 loads a thread, 11% of the memory throughput).
    const uint32_t* pairs = reinterpret_cast<const uint32_t*>(x + static_cast<size_t>(token) * k);
#pragma unroll
    for (int u = 0; u < 4; ++u) {
      const int pair = 32 * kg + 8 * u + q;
      if (2 * pair < k) v[u] = pairs[pair];
    }
  }
  *reinterpret_cast<uint4*>(xf + frag_act_row(token, kg, kgroups, n_tile) + 8 * (idx % 8)) =
      make_uint4(v[0], v[1], v[2], v[3]);
}
// Elements of int4_frag_order_kernel's output for m tokens of k channels in tiles of n_tile.
inline size_t int4_frag_order_elems(int m, int k, int n_tile) {
  return static_cast<size_t>((m + n_tile - 1) / n_tile) * n_tile * ((k + 63) / 64) * 64;
}
// Its threads: one a 16-byte output chunk, or a float4 of the accumulator to zero where more.
inline int int4_frag_order_threads(int m, int k, int n_tile, int zero) {
  return std::max(static_cast<int>(int4_frag_order_elems(m, k, n_tile) / 8), (zero + 3) / 4);
}

// The product with the decoded weights as wgmma's A operand in registers (warp w of a warpgroup
// the 16 rows of its row block: each lane decodes its own 16 bytes of the fragment layout
// straight into the A fragments, nothing decoded goes through shared memory or a barrier) and
// the activations (int4_frag_order_kernel's) as B, N tokens from shared memory. A CTA has WG
// warpgroups (64 WG weight rows) and a STAGES-deep cp.async ring of the k groups' activations and
// of each thread's own packed words and scales; one barrier a k group (a slot is refilled two k
// groups after its products were issued, when every warp's wait has retired them). A lane
// decodes k group i + 1 while the tensor cores run k group i (two sets of A fragments).
template <int N, int WG, int STAGES>
struct WgmmaRsLayout {
  static constexpr int kThreads = 128 * WG, kRows = 64 * WG;
  static constexpr int kActBytes = N * 128;         // N tokens x 64 channels, K-major, swizzled
  static constexpr int kPackBytes = kThreads * 16;  // each thread's uint4 of its row block
  static constexpr int kScaleBytes = kThreads * 8;  // each thread's scale_zero of rows g, g + 8
  static constexpr int kStageBytes = (kActBytes + kPackBytes + kScaleBytes + 1023) / 1024 * 1024;
  static constexpr int kOutStride = kRows + 4;      // floats a token in the epilogue's transpose
  static constexpr int kRingBytes = STAGES * kStageBytes, kOutBytes = N * kOutStride * 4;
  static constexpr int kBytes = (kRingBytes > kOutBytes ? kRingBytes : kOutBytes) + 1024;
  static constexpr int kActPer = N * 8 / kThreads;  // 16-byte activation copies a thread a stage
  static_assert(STAGES >= 3 && N * 8 % kThreads == 0, "");
};

// Up to four consecutive rows row.. of one token (count of them in range), from the epilogue's
// transpose: added to the split's accumulator at `sum` (one float4 reduction where aligned), or
// stored as part row0's output (one 16- or 8-byte store where aligned).
template <bool OutF32>
__device__ __forceinline__ void store_quad(float4 v, int count, int token, int row, int row0,
                                           void* y, int ldy, float* sum = nullptr) {
  const float e[4] = {v.x, v.y, v.z, v.w};
  if (sum) {
    if (count == 4 && reinterpret_cast<uintptr_t>(sum) % 16 == 0) {
      atomicAdd(reinterpret_cast<float4*>(sum), v);
    } else {
      for (int i = 0; i < count; ++i) atomicAdd(sum + i, e[i]);
    }
    return;
  }
  const size_t at = static_cast<size_t>(token) * ldy + row0 + row;
  if constexpr (OutF32) {
    float* out = static_cast<float*>(y) + at;
    if (count == 4 && reinterpret_cast<uintptr_t>(out) % 16 == 0)
      *reinterpret_cast<float4*>(out) = v;
    else
      for (int i = 0; i < count; ++i) out[i] = e[i];
  } else {
    bf16* out = static_cast<bf16*>(y) + at;
    if (count == 4 && reinterpret_cast<uintptr_t>(out) % 8 == 0) {
      *reinterpret_cast<uint2*>(out) = make_uint2(bf16x2_bits(__floats2bfloat162_rn(v.x, v.y)),
                                                  bf16x2_bits(__floats2bfloat162_rn(v.z, v.w)));
    } else {
      for (int i = 0; i < count; ++i) out[i] = __float2bfloat16(e[i]);
    }
  }
}

// This CTA's tile (WgmmaWork): its part, first row in the part, token tile, and whether and
// which split of its k groups it takes.
struct RsTile {
  int part, row_base, token_tile, split_index;
  bool split;
};
__device__ __forceinline__ RsTile rs_tile(const WgmmaParts& parts, const WgmmaWork& work,
                                          int rows) {
  RsTile t;
  const int item = work.first_item + static_cast<int>(blockIdx.x);
  t.split = item >= work.whole_tiles;
  const int index = t.split ? work.whole_tiles + (item - work.whole_tiles) / work.splits : item;
  t.split_index = t.split ? (item - work.whole_tiles) % work.splits : 0;
  const int row_tile = index % work.row_tiles;
  t.token_tile = index / work.row_tiles;
  t.part = 0;
  while (t.part + 1 < parts.count && row_tile >= parts.first_tile[t.part + 1]) ++t.part;
  t.row_base = (row_tile - parts.first_tile[t.part]) * rows;
  return t;
}
// Part p of the launch (selected, not indexed: a kernel parameter indexed by a register would be
// copied to local memory).
__device__ __forceinline__ const QuantPart& part_of(const WgmmaParts& parts, int p) {
  static_assert(kInt4MaxParts == 3);
  return p == 0 ? parts.part[0] : p == 1 ? parts.part[1] : parts.part[2];
}

template <int N, int WG, int STAGES, int CTAS, bool OutF32>
__global__ void __launch_bounds__(WG * 128, CTAS)
    int4_wgmma_rs_kernel(WgmmaParts parts, const bf16* __restrict__ xf, int m, void* y, int ldy,
                         WgmmaWork work) {
  using L = WgmmaRsLayout<N, WG, STAGES>;
  extern __shared__ __align__(16) unsigned char smem[];
  const RsTile at = rs_tile(parts, work, L::kRows);
  const QuantPart w = part_of(parts, at.part);
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int row_base = at.row_base;
  const int kgroups = (w.k + 63) / 64, rbs = (w.n + 15) / 16;
  // plan_work gives every split at least one k group (an empty range would store zeros).
  const int kg_begin = at.split ? at.split_index * work.kg_per_split : 0;
  const int kg_end = at.split ? min(kgroups, kg_begin + work.kg_per_split) : kgroups;
  const int n = max(0, kg_end - kg_begin);
  const uint32_t raw = smem_addr(smem), base = (raw + 1023u) & ~1023u;
  unsigned char* const aligned = smem + (base - raw);

  // What does not depend on the k group, once (q8's loop spent about half its ~276 instructions
  // a warp on per-copy addresses and predicates): the thread's pointers into this CTA's
  // activation tiles (int4_frag_order_kernel's, contiguous: 16 bytes a thread a copy, no
  // predicate), to its row block's packed words and its rows' scales, each advanced by one k
  // group a load; the ring's slots as offsets that step the same way.
  const bf16* act_src =
      xf + (static_cast<size_t>(at.token_tile) * kgroups + kg_begin) * (N * 64) + 8 * tid;
  const int rb = row_base / 16 + warp;
  const bool pack_ok = rb < rbs;
  const uint4* pack_src =
      reinterpret_cast<const uint4*>(w.frag) +
      (static_cast<size_t>(pack_ok ? rb : 0) * kgroups + kg_begin) * 32 + lane;
  const int row_lo = 16 * rb + (lane >> 2);
  const bool lo_ok = row_lo < w.n, hi_ok = row_lo + 8 < w.n;
  const uint32_t* const sz = reinterpret_cast<const uint32_t*>(w.scale_zero);
  const uint32_t* const lo_src = sz + static_cast<size_t>(lo_ok ? row_lo : 0) * w.groups;
  const uint32_t* const hi_src = sz + static_cast<size_t>(hi_ok ? row_lo + 8 : 0) * w.groups;
  const int shift = group_shift(w.group_size, w.k);
  auto next_slot = [](uint32_t slot) {
    return slot + L::kStageBytes == STAGES * L::kStageBytes ? 0u : slot + L::kStageBytes;
  };
  uint32_t load_slot = 0, read_slot = 0;  // from base: the slots load_acts() and step() use next
  // A stage's copies: the thread's packed words and scales (load_weights), then the activations
  // and the commit (load_acts; empty groups past the end keep the wait count uniform).
  uint32_t weights_slot = 0;
  int weights_kg = kg_begin;
  auto load_weights = [&](bool live) {
    if (!live) return;
    const uint32_t s = base + weights_slot;
    cp_async16(s + L::kActBytes + 16 * tid, pack_src, pack_ok);
    const int group = shift >= 0 ? weights_kg >> shift : 64 * weights_kg / w.group_size;
    const uint32_t sc = s + L::kActBytes + L::kPackBytes + 8 * tid;
    cp_async4(sc, lo_src + group, lo_ok);
    cp_async4(sc + 4, hi_src + group, hi_ok);
    pack_src += 32;
    ++weights_kg;
    weights_slot = next_slot(weights_slot);
  };
  auto load_acts = [&](bool live) {
    if (live) {
      const uint32_t s = base + load_slot;
#pragma unroll
      for (int u = 0; u < L::kActPer; ++u)
        cp_async16(s + 16 * (tid + L::kThreads * u), act_src + 8 * L::kThreads * u, true);
      act_src += N * 64;
      load_slot = next_slot(load_slot);
    }
    cp_async_commit();
  };

  float d[N / 2];
#pragma unroll
  for (int i = 0; i < N / 2; ++i) d[i] = 0.0f;
  uint32_t a0[4][4], a1[4][4];
  // The first stages' weights (no kernel writes them) before waiting for the kernels before this
  // one (launch_kernel: the activations' reorder), then their activations: each stage's copies
  // are in its commit group or an earlier one.
#pragma unroll
  for (int s = 0; s < STAGES - 2; ++s) load_weights(s < n);
  pdl_wait();
#pragma unroll
  for (int s = 0; s < STAGES - 2; ++s) load_acts(s < n);
  // K group i: its activations and this thread's words are in once every thread has waited for
  // its copies of stage i and passed the barrier; that barrier also means every warp has retired
  // the products of k group i - 2 (its wait after issuing i - 1), whose slot is refilled.
  auto step = [&](int i, uint32_t(&a)[4][4], uint32_t(&a_prev)[4][4]) {
    cp_async_wait<STAGES - 3>();
    fence_proxy_async();
    __syncthreads();
    load_weights(i + STAGES - 2 < n);
    load_acts(i + STAGES - 2 < n);
    const unsigned char* s = aligned + read_slot;
    const uint4 words = *reinterpret_cast<const uint4*>(s + L::kActBytes + 16 * tid);
    const uint2 sc = *reinterpret_cast<const uint2*>(s + L::kActBytes + L::kPackBytes + 8 * tid);
    decode_group_scaled(words, sc.x, sc.y, a);
    wgmma_fence(a);
    const uint32_t act = base + read_slot;
#pragma unroll
    for (int j = 0; j < 4; ++j) wgmma_m64k16_rs<N>(d, a[j], wgmma_desc_sw128(act + 32 * j));
    wgmma_commit();
    wgmma_pin(d);
    wgmma_wait<1>();  // k group i - 1's products are done: a_prev may be rewritten
    wgmma_pin(d);
    wgmma_keep(a_prev, m, base);
    read_slot = next_slot(read_slot);
  };
  for (int i = 0; i < n; i += 2) {
    step(i, a0, a1);
    if (i + 1 < n) step(i + 1, a1, a0);
  }
  wgmma_wait<0>();
  wgmma_pin(d);
  wgmma_keep(a0, m, base);
  wgmma_keep(a1, m, base);
  cp_async_wait<0>();
  // The next kernel's CTAs may start once every CTA of this one is here: a trigger at the start
  // would let them take the SMs this launch's later CTAs need.
  pdl_trigger();
  __syncthreads();  // every warp's products are done: the ring becomes the transpose

  // d[4 i + 2 h + e]: row 16 warp + g + 8 h, token 8 i + 2 t + e; through shared memory so that
  // a thread stores four consecutive rows of one token.
  float* const out = reinterpret_cast<float*>(aligned);
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int i = 0; i < N / 8; ++i)
#pragma unroll
    for (int h = 0; h < 2; ++h)
#pragma unroll
      for (int e = 0; e < 2; ++e)
        out[(8 * i + 2 * t + e) * L::kOutStride + 16 * warp + g + 8 * h] = d[4 * i + 2 * h + e];
  __syncthreads();
  // The tile again (from the block index and the parameters, not kept live through the loop: in
  // q10's first epilogues that spilled two registers).
  const RsTile tile = rs_tile(parts, work, L::kRows);
  const QuantPart& wt = part_of(parts, tile.part);
  const int tok_base = tile.token_tile * N;
  constexpr int kQuads = L::kRows / 4;
  if (!tile.split || work.accum) {
    float* const accum =
        tile.split ? work.accum + (wt.row0 - parts.col0 - work.accum_col0) : nullptr;
    for (int idx = tid; idx < N * kQuads; idx += L::kThreads) {
      const int tok = idx / kQuads, row = tile.row_base + 4 * (idx % kQuads);
      if (tok_base + tok >= m || row >= wt.n) continue;
      store_quad<OutF32>(
          *reinterpret_cast<const float4*>(out + tok * L::kOutStride + row - tile.row_base),
          min(4, wt.n - row), tok_base + tok, row, wt.row0, y, ldy,
          accum ? accum + static_cast<size_t>(tok_base + tok) * work.ld_accum + row : nullptr);
    }
    return;
  }
  // A split in a cluster: once every CTA of it has its sums in its transpose, rank r adds up quads
  // [r, r + 1) * share of the tile from all of them (its own included) and stores them; the
  // second barrier keeps every CTA's shared memory until the others have read it.
  cluster_sync();
  const int share = (N * kQuads + work.splits - 1) / work.splits;
  const int end = min(N * kQuads, (tile.split_index + 1) * share);
  const uint32_t out_addr = smem_addr(out);
  for (int idx = tile.split_index * share + tid; idx < end; idx += L::kThreads) {
    const int tok = idx / kQuads, row = tile.row_base + 4 * (idx % kQuads);
    if (tok_base + tok >= m || row >= wt.n) continue;
    const uint32_t at = out_addr + 4 * (tok * L::kOutStride + row - tile.row_base);
    float4 sum = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
#pragma unroll
    for (int r = 0; r < kMaxClusterSplits; ++r)  // unrolled: the loads issue together
      if (r < work.splits) {
        const float4 v = ld_shared_cluster_f4(at, r);
        sum.x += v.x, sum.y += v.y, sum.z += v.z, sum.w += v.w;
      }
    store_quad<OutF32>(sum, min(4, wt.n - row), tok_base + tok, row, wt.row0, y, ldy);
  }
  cluster_sync();
}

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}
// PAGODA_CUDA_INT4_WGMMA_SHAPE=5..8 (kWgmmaShapes; 0..4 were the shared-memory kernels removed
// in q10, and any number not listed takes the default): the CTA's weight rows, its cp.async
// stages and CTAs an SM. Measured
// (docs/cuda-notes.md q8): 5, 128 rows in 4 stages and two CTAs an SM, is the fastest.
// _SPLITS=N (every tile's k groups in N splits; 0: plan_work), _FROM=N (the fewest tokens it
// takes, default 17: it beats the mma.sync tiles from 24 tokens, b48 9,291 against 6,800): for
// sweeps.
struct WgmmaShape {
  int id, rows, stages, ctas_per_sm;
};
constexpr WgmmaShape kWgmmaShapes[] = {{5, 128, 4, 2}, {6, 128, 6, 1}, {7, 64, 3, 3}, {8, 256, 4, 1}};
constexpr int kWgmmaShapeCount = sizeof(kWgmmaShapes) / sizeof(kWgmmaShapes[0]);
// The index into kWgmmaShapes of PAGODA_CUDA_INT4_WGMMA_SHAPE (the default for any other value).
int wgmma_shape() {
  static const int shape = [] {
    const int id = env_int("PAGODA_CUDA_INT4_WGMMA_SHAPE", kWgmmaShapes[0].id);
    for (int i = 0; i < kWgmmaShapeCount; ++i)
      if (kWgmmaShapes[i].id == id) return i;
    return 0;
  }();
  return shape;
}
// f(std::integral_constant<int, wgmma_shape()>{}): the shape in use as a compile-time index.
template <typename F>
void with_wgmma_shape(const F& f) {
  static_assert(kWgmmaShapeCount == 4);
  using std::integral_constant;
  switch (wgmma_shape()) {
    case 1: f(integral_constant<int, 1>{}); break;
    case 2: f(integral_constant<int, 2>{}); break;
    case 3: f(integral_constant<int, 3>{}); break;
    default: f(integral_constant<int, 0>{});
  }
}
int wgmma_forced_splits() {
  static const int splits = std::clamp(env_int("PAGODA_CUDA_INT4_WGMMA_SPLITS", 0), 0, 64);
  return splits;
}

// How many groups of s split CTAs the GPU runs at once (ClusterCapacity::of[s], 0: no splits in
// s): slots / s for CTAs that add into the accumulator; for clusters, whose CTAs share one GPC,
// fewer where a GPC's slots are not a multiple of s (H200, q10: qkv's 36 clusters of 7 ran as
// if in two waves, as ~33 slots a GPC would hold four clusters of 7, 32 in all).
struct ClusterCapacity {
  int of[kMaxSplits + 1] = {};
};

// Which CTA multiplies which k groups of which tile (WgmmaWork), for tiles = row_tiles x
// token_tiles output tiles of kgroups k groups on `slots` CTAs at once: the whole waves of tiles
// one CTA each, the tiles left over (all of them when they are fewer than the slots) in the
// number of k-group splits with the least estimated time. The estimate: waves of CTAs (of groups
// of a split tile's CTAs, ClusterCapacity, for the split tiles) times each CTA's k groups plus
// kSplitOverheadKg for its pipeline fill and epilogue. A last partial wave runs faster than a
// full one, which the estimate leaves out, as it leaves out the sums' exchange, so splitting
// must beat one pass by a third (cuda-notes q9: 7B gate_up at 128 tokens in four uniform splits
// took 101 us against 92 in one pass, when the estimate preferred the splits by 25%).
WgmmaWork plan_work(int row_tiles, int token_tiles, int slots, int kgroups,
                    const ClusterCapacity& clusters) {
  WgmmaWork work;
  work.row_tiles = row_tiles;
  const int tiles = row_tiles * token_tiles;
  work.whole_tiles = tiles;
  work.kg_per_split = kgroups;
  if (kgroups < 2) return work;
  auto split_into = [&](int whole, int splits) {
    work.whole_tiles = whole;
    work.kg_per_split = (kgroups + splits - 1) / splits;
    work.splits = (kgroups + work.kg_per_split - 1) / work.kg_per_split;  // none empty
    if (work.splits == 1) work.whole_tiles = tiles;
  };
  if (wgmma_forced_splits() > 0) {
    int s = std::min({wgmma_forced_splits(), kgroups, kMaxSplits});
    while (s > 1 && clusters.of[s] == 0) --s;
    split_into(0, s);
    return work;
  }
  constexpr int kSplitOverheadKg = 4;
  auto waves = [](long items, long at_once) { return (items + at_once - 1) / at_once; };
  const long one_pass = waves(tiles, slots) * (kgroups + kSplitOverheadKg);
  // The split tiles must be the last columns of every token (accum_col0): one token tile.
  const int whole = token_tiles == 1 ? tiles / slots * slots : 0, rest = tiles - whole;
  if (rest == 0) return work;
  const int most = std::clamp(kgroups / 8, 1, kMaxSplits);
  long best = one_pass;
  int best_splits = 1;
  for (int s = 2; s <= most; ++s) {
    if (clusters.of[s] == 0) continue;
    // A split may not end up empty: s splits of ceil(kgroups / s) k groups.
    const int per = (kgroups + s - 1) / s;
    if ((kgroups + per - 1) / per != s) continue;
    const long cost = whole / slots * static_cast<long>(kgroups + kSplitOverheadKg) +
                      waves(rest, clusters.of[s]) * (per + kSplitOverheadKg);
    if (cost < best) best = cost, best_splits = s;
  }
  if (best_splits > 1 && 3 * best <= 2 * one_pass) split_into(whole, best_splits);
  return work;
}

// Where the split tiles' sums go (WgmmaWork::accum_col0, ld_accum): from the first split tile's
// column (its part's columns before it, and its rows in the part, `rows` a tile) to the end of
// the launch's `span` columns. Before the host side: the emulation test lays out its
// accumulator with it too.
void place_split_accum(const WgmmaParts& parts, int span, int rows, WgmmaWork& work) {
  const int first = work.whole_tiles % work.row_tiles;
  int p = 0;
  while (p + 1 < parts.count && first >= parts.first_tile[p + 1]) ++p;
  work.accum_col0 =
      std::min(span, parts.part[p].row0 - parts.col0 + (first - parts.first_tile[p]) * rows);
  work.ld_accum = span - work.accum_col0;
}

// The host side from here on (the emulation test, tests/engine/quant.cmake, takes the file up to
// this line).

// The clusters of register-A CTAs of the shape in use (int4_wgmma_setup).
ClusterCapacity& cluster_capacity() {
  static ClusterCapacity capacity;
  return capacity;
}

bool wgmma_cluster_reduce() {
  static const bool on = env_int("PAGODA_CUDA_INT4_WGMMA_CLUSTER", 0) == 1;
  return on;
}

// A launch of ctas CTAs (threads, bytes of shared memory each) as clusters of `size` along x.
struct ClusterLaunch {
  cudaLaunchConfig_t config = {};
  cudaLaunchAttribute cluster = {};
  ClusterLaunch(int ctas, int size, int threads, int bytes, cudaStream_t stream) {
    config.gridDim = dim3(ctas);
    config.blockDim = dim3(threads);
    config.dynamicSmemBytes = bytes;
    config.stream = stream;
    cluster.id = cudaLaunchAttributeClusterDimension;
    cluster.val.clusterDim.x = size, cluster.val.clusterDim.y = 1, cluster.val.clusterDim.z = 1;
    config.attrs = &cluster;
    config.numAttrs = 1;
  }
  ClusterLaunch(const ClusterLaunch&) = delete;  // config points at cluster
};

// The CTAs' work of the register-A product of m tokens in tiles of n_tile (row tiles of `rows`
// weight rows, `slots` CTAs at once), and where its split tiles add: into accum (null: no
// split) or, PAGODA_CUDA_INT4_WGMMA_CLUSTER=1, through clusters (work.accum null). One plan for
// the launch and for int4_wgmma_accum_floats, so the producer zeroing a pre-ordered input's
// accumulator zeroes what the launch will add into.
WgmmaWork plan_product(const WgmmaParts& parts, int span, int m, int n_tile, int rows, int slots,
                       float* accum) {
  const int row_tiles = parts.first_tile[parts.count], token_tiles = (m + n_tile - 1) / n_tile;
  const bool clustered = wgmma_cluster_reduce();
  ClusterCapacity groups;
  if (clustered) {
    groups = cluster_capacity();
  } else if (accum) {
    for (int s = 2; s <= kMaxSplits; ++s) groups.of[s] = slots / s;
  }
  WgmmaWork work =
      plan_work(row_tiles, token_tiles, slots, (parts.part[0].k + 63) / 64, groups);
  if (!clustered && work.whole_tiles < row_tiles * token_tiles) {
    work.accum = accum;
    place_split_accum(parts, span, rows, work);
  }
  return work;
}

// The reorder (unless x_frag already holds the activations: pre_ordered, whose producer also
// zeroed the accumulator) and the product for N-token tiles on plan_product's CTAs: with the
// accumulator, one launch, the accumulator zeroed by the reorder and the finishing pass of the
// split tiles' columns after; with clusters, the whole tiles in one launch and the split ones in
// another as clusters of their splits.
template <int N, int WG, int kStages, int CTAS>
void launch_wgmma_rs(const WgmmaParts& parts, const bf16* x, bf16* x_frag, bool pre_ordered,
                     int m, void* y, int ldy, bool out_f32, float* accum, int span, int num_sms,
                     cudaStream_t stream) {
  using L = WgmmaRsLayout<N, WG, kStages>;
  const int k = parts.part[0].k;
  const int row_tiles = parts.first_tile[parts.count], token_tiles = (m + N - 1) / N;
  const bool clustered = wgmma_cluster_reduce();
  WgmmaWork work = plan_product(parts, span, m, N, L::kRows, CTAS * num_sms, accum);
  auto kernel = out_f32 ? int4_wgmma_rs_kernel<N, WG, kStages, CTAS, true>
                        : int4_wgmma_rs_kernel<N, WG, kStages, CTAS, false>;
  const int tiles = row_tiles * token_tiles, split_tiles = tiles - work.whole_tiles;
  // The reorder (zeroing the split tiles' accumulator first) and the product, each launched
  // programmatically: the product's CTAs load their first weights while the reorder runs (or the
  // kernel before it, pre_ordered).
  if (!pre_ordered) {
    const int zero = work.accum ? m * work.ld_accum : 0;
    const int threads = int4_frag_order_threads(m, k, N, zero);
    launch_kernel(int4_frag_order_kernel, dim3((threads + 255) / 256), dim3(256), 0, stream, x, m,
                  k, N, x_frag, work.accum, zero);
  }
  if (!clustered) {
    launch_kernel(kernel, dim3(work.whole_tiles + split_tiles * work.splits), dim3(L::kThreads),
                  L::kBytes, stream, parts, static_cast<const bf16*>(x_frag), m, y, ldy, work);
    if (work.accum)
      quant_finish_split(accum, m, work.ld_accum, y, ldy, parts.col0 + work.accum_col0, out_f32,
                         stream);
    return;
  }
  if (work.whole_tiles > 0)
    kernel<<<work.whole_tiles, L::kThreads, L::kBytes, stream>>>(parts, x_frag, m, y, ldy, work);
  if (split_tiles == 0) return;
  work.first_item = work.whole_tiles;
  const ClusterLaunch launch(split_tiles * work.splits, work.splits, L::kThreads, L::kBytes,
                             stream);
  if (cudaLaunchKernelEx(&launch.config, kernel, parts, static_cast<const bf16*>(x_frag), m, y,
                         ldy, work) == cudaSuccess)
    return;
  // A cluster the GPU would not launch after all: those tiles whole, one CTA each, and no
  // clusters from here on.
  cudaGetLastError();
  cluster_capacity() = ClusterCapacity{};
  const int first_split = work.whole_tiles;
  work.whole_tiles = row_tiles * token_tiles;
  work.first_item = first_split;
  kernel<<<split_tiles, L::kThreads, L::kBytes, stream>>>(parts, x_frag, m, y, ldy, work);
}

template <int WG, int S, int CTAS>
bool allow_wgmma_rs() {
  auto allow = [](auto kernel, int bytes) {
    return cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes) ==
           cudaSuccess;
  };
  return allow(int4_wgmma_rs_kernel<64, WG, S, CTAS, false>, WgmmaRsLayout<64, WG, S>::kBytes) &&
         allow(int4_wgmma_rs_kernel<64, WG, S, CTAS, true>, WgmmaRsLayout<64, WG, S>::kBytes) &&
         allow(int4_wgmma_rs_kernel<128, WG, S, CTAS, false>, WgmmaRsLayout<128, WG, S>::kBytes) &&
         allow(int4_wgmma_rs_kernel<128, WG, S, CTAS, true>, WgmmaRsLayout<128, WG, S>::kBytes);
}

// How many clusters of 2..kMaxClusterSplits of the 128-token kernel of WG warpgroups, S stages
// and CTAS an SM this GPU runs at once, asked of the occupancy calculator (0 where it refuses).
template <int WG, int S, int CTAS>
ClusterCapacity cluster_capacity_of() {
  using L = WgmmaRsLayout<128, WG, S>;
  ClusterCapacity capacity;
  for (int splits = 2; splits <= kMaxClusterSplits; ++splits) {
    const ClusterLaunch launch(splits, splits, L::kThreads, L::kBytes, nullptr);
    int clusters = 0;
    if (cudaOccupancyMaxActiveClusters(&clusters, int4_wgmma_rs_kernel<128, WG, S, CTAS, false>,
                                       &launch.config) == cudaSuccess)
      capacity.of[splits] = std::max(clusters, 0);
  }
  return capacity;
}

// The shared memory of every shape of kWgmmaShapes (any of them may be asked for).
template <size_t... I>
bool allow_every_shape(std::index_sequence<I...>) {
  return (allow_wgmma_rs<kWgmmaShapes[I].rows / 64, kWgmmaShapes[I].stages,
                         kWgmmaShapes[I].ctas_per_sm>() &&
          ...);
}

bool& wgmma_ready_flag() {
  static bool ready = false;
  return ready;
}

}  // namespace

void int4_wgmma_setup() {
  // sm_90a code runs on compute capability 9.0 alone.
  wgmma_ready_flag() = false;
  int dev = 0, major = 0, minor = 0;
  if (cudaGetDevice(&dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) != cudaSuccess) {
    cudaGetLastError();
    return;
  }
  const char* v = std::getenv("PAGODA_CUDA_INT4_WGMMA");
  const bool wanted = !(v && std::string(v) == "0");
  wgmma_ready_flag() = wanted && major == 9 && minor == 0 &&
                       allow_every_shape(std::make_index_sequence<kWgmmaShapeCount>{});
  cluster_capacity() = ClusterCapacity{};
  if (wgmma_ready_flag() && wgmma_cluster_reduce()) {
    with_wgmma_shape([](auto shape_c) {
      constexpr WgmmaShape kShape = kWgmmaShapes[decltype(shape_c)::value];
      cluster_capacity() =
          cluster_capacity_of<kShape.rows / 64, kShape.stages, kShape.ctas_per_sm>();
    });
    if (std::getenv("PAGODA_CUDA_INT4_TUNE_LOG")) {
      std::fprintf(stderr, "int4 wgmma clusters at once by size:");
      for (int s = 2; s <= kMaxClusterSplits; ++s)
        std::fprintf(stderr, " %d:%d", s, cluster_capacity().of[s]);
      std::fprintf(stderr, "\n");
    }
  }
  cudaGetLastError();  // a refused attribute or query leaves no sticky error behind
}

bool int4_wgmma_ready() { return wgmma_ready_flag(); }

int int4_wgmma_from() {
  static const int from = env_int("PAGODA_CUDA_INT4_WGMMA_FROM", 17);
  return from;
}

bool int4_wgmma_takes(const QuantPart* parts, int count) {
  if (!wgmma_ready_flag() || count < 1 || count > kInt4MaxParts) return false;
  for (int i = 0; i < count; ++i) {
    const QuantPart& p = parts[i];
    // One launch needs one k, the scales per k group, and the parts' columns contiguous (the
    // split tiles' accumulator spans them).
    if (!p.frag || p.k != parts[0].k || !int4_frag_supported(p.n, p.k, p.group_size) ||
        (i > 0 && p.row0 != parts[i - 1].row0 + parts[i - 1].n))
      return false;
  }
  return true;
}

namespace {
// The parts (int4_wgmma_takes) as one launch's list in the shape in use's row tiles, and the
// columns they span.
WgmmaParts wgmma_parts(const QuantPart* parts, int count, int& span) {
  const int rows = kWgmmaShapes[wgmma_shape()].rows;
  WgmmaParts list;
  list.count = count;
  list.col0 = parts[0].row0;
  for (int i = 0; i < count; ++i) {
    list.part[i] = parts[i];
    list.first_tile[i + 1] = list.first_tile[i] + (parts[i].n + rows - 1) / rows;
  }
  span = parts[count - 1].row0 + parts[count - 1].n - list.col0;
  return list;
}
}  // namespace

int int4_wgmma_accum_floats(const QuantPart* parts, int count, int m, int n_tile, int num_sms) {
  if (m < 1 || !int4_wgmma_takes(parts, count)) return 0;
  int span = 0;
  const WgmmaParts list = wgmma_parts(parts, count, span);
  const WgmmaShape& shape = kWgmmaShapes[wgmma_shape()];
  // Any non-null accumulator: only whether and where the plan splits matters here.
  float placeholder = 0.0f;
  const WgmmaWork work =
      plan_product(list, span, m, n_tile, shape.rows, shape.ctas_per_sm * num_sms, &placeholder);
  return work.accum ? m * work.ld_accum : 0;
}

bool int4_wgmma_product(const QuantPart* parts, int count, const bf16* x, void* y, int m, int ldy,
                        bool out_f32, float* accum, bf16* x_frag, int num_sms,
                        cudaStream_t stream, int x_frag_tile) {
  const bool pre_ordered = x_frag_tile > 0;
  if (!x_frag || m < (pre_ordered ? 1 : std::max(1, int4_wgmma_from())) || m > kQuantFragMaxRows ||
      (pre_ordered && x_frag_tile != 64 && x_frag_tile != kQuantFragMaxRows) ||
      (pre_ordered && m > x_frag_tile) || !int4_wgmma_takes(parts, count))
    return false;
  int span = 0;
  const WgmmaParts list = wgmma_parts(parts, count, span);
  const int n_tile = pre_ordered ? x_frag_tile : m <= 64 ? 64 : kQuantFragMaxRows;
  auto launch = [&](auto shape_c) {
    constexpr WgmmaShape kShape = kWgmmaShapes[decltype(shape_c)::value];
    constexpr int kWg = kShape.rows / 64, kStages = kShape.stages, kCtas = kShape.ctas_per_sm;
    if (n_tile == 64)
      launch_wgmma_rs<64, kWg, kStages, kCtas>(list, x, x_frag, pre_ordered, m, y, ldy, out_f32,
                                               accum, span, num_sms, stream);
    else
      launch_wgmma_rs<128, kWg, kStages, kCtas>(list, x, x_frag, pre_ordered, m, y, ldy, out_f32,
                                                accum, span, num_sms, stream);
  };
  with_wgmma_shape(launch);
  return true;
}

}  // namespace pagoda::cuda
