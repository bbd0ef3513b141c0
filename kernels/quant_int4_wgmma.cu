// The int4 product for 17..kQuantFragMaxRows tokens on Hopper's warpgroup tensor-core
// instructions (wgmma, sm_90a only: CMake builds this file for that target alone, and
// int4_wgmma_product declines on any other GPU). Weights in mma fragment order (quant_gemm.h,
// QuantPart::frag), the same words the decode kernels read.
//
// Why: the mma.sync tile kernel (quant_int4_mma.cu, int4_gemm_kernel) reads every activation
// fragment through registers and ran the 7B gate/up product at 128 tokens at ~180 TFLOP/s with
// its tensor pipe ~31% busy (docs/cuda-notes.md q7); wgmma reads both operands from shared
// memory itself. The decoded weights are the B operand (N = weight rows, 128 a CTA) and the
// activations the A operand (M = 64 tokens a warpgroup), so both tiles keep the natural channel
// order: a lane of the fragment layout holds 16 consecutive channels of two rows, which it
// writes as two 16-byte chunks of the swizzled K-major tile.
//
// A CTA of WG warpgroups (64 WG tokens) and ROWS weight rows over a range of k groups (64
// channels): each k group's activations, packed weights and scales go through a kStages-deep
// cp.async ring; its weights are decoded ((q - zero) * scale, rounded to bf16 as the dequantize
// route rounds them) into one of three bf16 tiles while the tensor cores multiply the previous
// one. int4_wgmma_specialized_kernel splits the roles instead (a warpgroup that copies and
// decodes, two that multiply, handing slots over through mbarriers; measured slower,
// PAGODA_CUDA_INT4_WGMMA_SHAPE=4). int4_wgmma_rs_kernel, the default (q8), keeps the decoded
// weights in registers as wgmma's A operand, with the activations first put in the fragment
// channel order (int4_frag_order_kernel) as its B. Threading: kernel launches on the caller's
// stream.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <type_traits>

#include "kernels/kernel_common.cuh"
#include "kernels/mma_primitives.cuh"
#include "kernels/quant_gemm.h"
#include "kernels/quant_int4_frag.cuh"
#include "kernels/wgmma_primitives.cuh"

namespace pagoda::cuda {

namespace {

using bf16 = __nv_bfloat16;

// Parts of one linear (same k, contiguous output columns) in one launch: CTAs
// [first_tile[p], first_tile[p + 1]) of the grid's x take part p.
struct WgmmaParts {
  QuantPart part[kInt4MaxParts];
  int first_tile[kInt4MaxParts + 1] = {};
  int count = 0;
  int col0 = 0;  // the first part's row0: accum column 0
};

// Decodes one k group's packed words and scales (row blocks first_rb, first_rb + rb_step, ...
// below BLOCKS) into the bf16 tile: row 16 rb + g (+ 8) of the K-major swizzled tile gets the
// lane's 16 channels 16 t .. 16 t + 15 as chunks 2 t and 2 t + 1.
template <int BLOCKS>
__device__ __forceinline__ void decode_tile(const uint4* pack, const uint32_t* scales,
                                            unsigned char* tile, int first_rb, int rb_step,
                                            int lane) {
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int rb = first_rb; rb < BLOCKS; rb += rb_step) {
    uint32_t a[4][4];
    decode_group_scaled(pack[32 * rb + lane], scales[16 * rb + g], scales[16 * rb + g + 8], a);
    // a[j][r]: row g + 8 (r & 1), channels 16 t + 4 j + 2 (r >> 1) + {0, 1}.
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      unsigned char* row = tile + (16 * rb + g + 8 * h) * 128;
      *reinterpret_cast<uint4*>(row + (((2 * t) ^ g) << 4)) =
          make_uint4(a[0][h], a[0][h + 2], a[1][h], a[1][h + 2]);
      *reinterpret_cast<uint4*>(row + (((2 * t + 1) ^ g) << 4)) =
          make_uint4(a[2][h], a[2][h + 2], a[3][h], a[3][h + 2]);
    }
  }
}

// Rows row, row + 1 (if pair) of one token: added to the split's accumulator (a float2
// reduction, sm_90, where the pair is 8-byte aligned: half the L2 atomics) or stored.
template <bool OutF32>
__device__ __forceinline__ void store_pair(float v0, float v1, bool pair, int token, int row,
                                           int col, int row0, void* y, int ldy, float* accum,
                                           int ld_accum) {
  if (accum) {
    const size_t at = static_cast<size_t>(token) * ld_accum + col + row;
    if (pair && at % 2 == 0) {
      atomicAdd(reinterpret_cast<float2*>(accum + at), make_float2(v0, v1));
    } else {
      atomicAdd(accum + at, v0);
      if (pair) atomicAdd(accum + at + 1, v1);
    }
    return;
  }
  const size_t at = static_cast<size_t>(token) * ldy + row0 + row;
  if constexpr (OutF32) {
    static_cast<float*>(y)[at] = v0;
    if (pair) static_cast<float*>(y)[at + 1] = v1;
  } else {
    static_cast<bf16*>(y)[at] = __float2bfloat16(v0);
    if (pair) static_cast<bf16*>(y)[at + 1] = __float2bfloat16(v1);
  }
}

// A warp's accumulators of a 64 x ROWS product: d[4 i + 2 h + e] = token first_token + g + 8 h,
// row row_base + 8 i + 2 t + e (col: the part's first column in the split's accumulator).
template <int ROWS, bool OutF32>
__device__ __forceinline__ void store_products(const float (&d)[ROWS / 2], int first_token,
                                               int lane, int row_base, int m, const QuantPart& w,
                                               int col, void* y, int ldy, float* accum,
                                               int ld_accum) {
  const int g = lane >> 2, t = lane & 3;
#pragma unroll
  for (int i = 0; i < ROWS / 8; ++i)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int token = first_token + g + 8 * h, row = row_base + 8 * i + 2 * t;
      if (token >= m || row >= w.n) continue;
      store_pair<OutF32>(d[4 * i + 2 * h], d[4 * i + 2 * h + 1], row + 1 < w.n, token, row, col,
                         w.row0, y, ldy, accum, ld_accum);
    }
}

// A stage of the ring holds KSTEP k groups (one barrier each), a sub-slot per k group.
template <int ROWS, int WG, int STAGES, int KSTEP>
struct WgmmaLayout {
  static constexpr int kThreads = 128 * WG;
  static constexpr int kBlocks = ROWS / 16;                   // 16-row blocks of the CTA
  static constexpr int kActBytes = WG * 64 * 128;             // 64 WG tokens x 64 channels
  static constexpr int kPackBytes = kBlocks * 32 * 16;        // a lane's uint4 per row block
  static constexpr int kScaleBytes = ROWS * 4;                // scale_zero of each row
  static constexpr int kSubBytes = (kActBytes + kPackBytes + kScaleBytes + 1023) / 1024 * 1024;
  static constexpr int kSlotBytes = KSTEP * kSubBytes;
  static constexpr int kTileBytes = ROWS * 128;               // decoded bf16 weights, one k group
  static constexpr int kBytes = STAGES * kSlotBytes + 3 * KSTEP * kTileBytes + 1024;  // + align
  static_assert(ROWS % 64 == 0 && STAGES >= 3, "");
};

template <int ROWS, int WG, int STAGES, int KSTEP, int CTAS, bool OutF32>
__global__ void __launch_bounds__(WG * 128, CTAS)
    int4_wgmma_kernel(WgmmaParts parts, const bf16* __restrict__ x, int m, void* y, int ldy,
                      float* accum, int ld_accum, int kg_per_split) {
  using L = WgmmaLayout<ROWS, WG, STAGES, KSTEP>;
  extern __shared__ __align__(16) unsigned char smem[];
  int pi = 0;
  while (pi + 1 < parts.count && static_cast<int>(blockIdx.x) >= parts.first_tile[pi + 1]) ++pi;
  static_assert(kInt4MaxParts == 3);
  const QuantPart w = pi == 0 ? parts.part[0] : pi == 1 ? parts.part[1] : parts.part[2];
  const int tid = threadIdx.x, wg = tid >> 7, warp = tid >> 5;
  const int lane = tid & 31;
  const int row_base = (blockIdx.x - parts.first_tile[pi]) * ROWS;
  const int tok_base = blockIdx.y * 64 * WG;
  const int kgroups = (w.k + 63) / 64, rbs = (w.n + 15) / 16;
  const int kg_begin = blockIdx.z * kg_per_split;
  const int kg_end = min(kgroups, kg_begin + kg_per_split);
  if (kg_begin >= kg_end) return;
  const int steps = (kg_end - kg_begin + KSTEP - 1) / KSTEP;
  // Swizzled tiles need 1024-byte alignment (the swizzle is applied to address bits).
  const uint32_t raw = smem_addr(smem), base = (raw + 1023u) & ~1023u;
  unsigned char* const aligned = smem + (base - raw);
  // Step s: k groups kg_begin + KSTEP s + q, q < KSTEP, each in sub-slot q of slot s % STAGES.
  auto sub = [&](int s, int q) {
    return aligned + (s % STAGES) * L::kSlotBytes + q * L::kSubBytes;
  };
  unsigned char* const tiles = aligned + STAGES * L::kSlotBytes;
  const uint32_t* sz = reinterpret_cast<const uint32_t*>(w.scale_zero);
  const uint4* frag = reinterpret_cast<const uint4*>(w.frag);

  // Step st: each warp copies the 16 token rows that are its part of the wgmma's A (so that its
  // own wgmma_wait covers every read of them before it refills a slot: another warp's part of a
  // product may still be running), everyone the packed words and the scales. What does not
  // depend on the k group is computed once: a lane's chunk is the same in its four rows (4
  // apart, so two swizzles), and its packed-word and scale rows are fixed.
  const int tok0 = 16 * (warp & 3) + (lane >> 3), chunk = lane & 7;
  const int token0 = tok_base + 64 * wg + tok0;
  const bf16* const x_row = x + static_cast<size_t>(min(token0, m - 1)) * w.k + 8 * chunk;
  const uint32_t act_row = static_cast<uint32_t>(wg * 8192 + tok0 * 128);
  const uint32_t act_off[2] = {act_row + ((chunk ^ (tok0 & 7)) << 4),
                               act_row + ((chunk ^ ((tok0 + 4) & 7)) << 4)};
  constexpr int kPackPer = (L::kBlocks * 32 + L::kThreads - 1) / L::kThreads;
  const uint4* pack_src[kPackPer];
  bool pack_ok[kPackPer];
#pragma unroll
  for (int i = 0; i < kPackPer; ++i) {
    const int c = tid + L::kThreads * i, rb = row_base / 16 + c / 32;
    pack_ok[i] = c < L::kBlocks * 32 && rb < rbs;
    pack_src[i] = frag + static_cast<size_t>(pack_ok[i] ? rb : 0) * kgroups * 32 + c % 32;
  }
  const int scale_row = row_base + tid;
  const bool scale_ok = tid < ROWS && scale_row < w.n;
  const uint32_t* const scale_src = sz + static_cast<size_t>(scale_ok ? scale_row : 0) * w.groups;
  const int shift = group_shift(w.group_size, w.k);
  auto load_stage = [&](int st) {
#pragma unroll
    for (int q = 0; q < KSTEP; ++q) {
      const int kg = kg_begin + KSTEP * st + q;
      if (st >= steps || kg >= kg_end) break;
      unsigned char* s = sub(st, q);
      const uint32_t act = smem_addr(s);
      const bool ch_ok = 64 * kg + 8 * chunk < w.k;
#pragma unroll
      for (int u = 0; u < 4; ++u) {
        const bool valid = ch_ok && token0 + 4 * u < m;
        cp_async16(act + act_off[u & 1] + 512 * u,
                   valid ? x_row + static_cast<size_t>(4 * u) * w.k + 64 * kg : x, valid);
      }
      unsigned char* pack = s + L::kActBytes;
#pragma unroll
      for (int i = 0; i < kPackPer; ++i) {
        const int c = tid + L::kThreads * i;
        if (c < L::kBlocks * 32)
          cp_async16(smem_addr(pack + 16 * c), pack_src[i] + 32 * kg, pack_ok[i]);
      }
      unsigned char* scales = pack + L::kPackBytes;
      const int group = shift >= 0 ? kg >> shift : 64 * kg / w.group_size;
      for (int r = tid; r < ROWS; r += L::kThreads)  // rows beyond the threads: 256 rows, 1 WG
        cp_async4(smem_addr(scales + 4 * r),
                  r == tid ? scale_src + group
                           : sz + static_cast<size_t>(min(row_base + r, w.n - 1)) * w.groups + group,
                  r == tid ? scale_ok : row_base + r < w.n);
    }
    cp_async_commit();  // an empty group past the end keeps the wait counts uniform
  };
  auto decode_one = [&](int st, int q, int buf) {
    const unsigned char* s = sub(st, q);
    decode_tile<L::kBlocks>(reinterpret_cast<const uint4*>(s + L::kActBytes),
                            reinterpret_cast<const uint32_t*>(s + L::kActBytes + L::kPackBytes),
                            tiles + (buf * KSTEP + q) * L::kTileBytes, warp, 4 * WG, lane);
  };

  auto decode = [&](int st, int buf) {
#pragma unroll
    for (int q = 0; q < KSTEP; ++q)
      if (kg_begin + KSTEP * st + q < kg_end) decode_one(st, q, buf);
  };

  float d[ROWS / 2];
#pragma unroll
  for (int i = 0; i < ROWS / 2; ++i) d[i] = 0.0f;
#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) load_stage(s);
  cp_async_wait<STAGES - 2>();
  __syncthreads();  // step 0 is in
  decode(0, 0);
  for (int st = 0; st < steps; ++st) {
    cp_async_wait<STAGES - 3>();  // this thread's copies of step st + 1
    fence_proxy_async();          // its cp.async and decoded-tile writes, before the wgmmas
    __syncthreads();  // step st + 1 and tile st % 3 are in; tile (st + 1) % 3 is no longer read
    wgmma_fence();
#pragma unroll
    for (int q = 0; q < KSTEP; ++q) {
      if (kg_begin + KSTEP * st + q >= kg_end) break;
      const uint32_t act = smem_addr(sub(st, q)) + wg * 8192;
      const uint32_t tile = smem_addr(tiles) + ((st % 3) * KSTEP + q) * L::kTileBytes;
#pragma unroll
      for (int j = 0; j < 4; ++j)
        wgmma_m64k16_ss<ROWS>(d, wgmma_desc_sw128(act + 32 * j), wgmma_desc_sw128(tile + 32 * j));
    }
    wgmma_commit();
    wgmma_pin(d);
    wgmma_wait<1>();  // this warp's part of step st - 1's products is done: its rows are free
    wgmma_pin(d);
    load_stage(st + STAGES - 1);
    if (st + 1 < steps) decode(st + 1, (st + 1) % 3);
  }
  wgmma_wait<0>();
  wgmma_pin(d);
  cp_async_wait<0>();

  store_products<ROWS, OutF32>(d, tok_base + 64 * wg + 16 * (warp & 3), lane, row_base, m, w,
                               w.row0 - parts.col0, y, ldy, accum, ld_accum);
}

// The same product with the roles split (warp specialization): warpgroup 0 only copies and
// decodes, warpgroups 1 and 2 (64 tokens each) only multiply, so the decode and the copies'
// latency leave the multiplying warps' critical path (q7: in int4_wgmma_kernel both wait at
// every k group's barrier). Slot s of the STAGES-deep ring holds a k group's activations,
// packed words, scales and decoded tile; full[s] (the producer's 128 threads arrive once the
// tile is decoded and their copies have landed) and empty[s] (the 256 multiplying threads
// arrive once their warp's wait has retired the products that read it) hand it over. The
// producer's copies run LAG k groups ahead of its decode.
template <int STAGES>
struct WgmmaSpecializedLayout {
  static constexpr int kThreads = 384, kRows = 128, kBlocks = 8;
  static constexpr int kActBytes = 128 * 128, kPackBytes = kBlocks * 32 * 16, kScaleBytes = 512;
  static constexpr int kTileBytes = kRows * 128;
  static constexpr int kSlotBytes =
      (kActBytes + kTileBytes + kPackBytes + kScaleBytes + 1023) / 1024 * 1024;
  static constexpr int kBytes = STAGES * kSlotBytes + 2 * STAGES * 8 + 1024;
  static constexpr int kLag = STAGES - 2;
  static_assert(STAGES >= 3, "the producer decodes at least one k group behind its copies");
};

template <int STAGES, bool OutF32>
__global__ void __launch_bounds__(384, 1)
    int4_wgmma_specialized_kernel(WgmmaParts parts, const bf16* __restrict__ x, int m, void* y,
                                  int ldy, float* accum, int ld_accum, int kg_per_split) {
  using L = WgmmaSpecializedLayout<STAGES>;
  constexpr int kRows = L::kRows;
  extern __shared__ __align__(16) unsigned char smem[];
  int pi = 0;
  while (pi + 1 < parts.count && static_cast<int>(blockIdx.x) >= parts.first_tile[pi + 1]) ++pi;
  static_assert(kInt4MaxParts == 3);
  const QuantPart w = pi == 0 ? parts.part[0] : pi == 1 ? parts.part[1] : parts.part[2];
  const int tid = threadIdx.x, wg = tid >> 7, warp = tid >> 5, lane = tid & 31;
  const int row_base = (blockIdx.x - parts.first_tile[pi]) * kRows;
  const int tok_base = blockIdx.y * 128;
  const int kgroups = (w.k + 63) / 64, rbs = (w.n + 15) / 16;
  const int kg_begin = blockIdx.z * kg_per_split;
  const int kg_end = min(kgroups, kg_begin + kg_per_split);
  if (kg_begin >= kg_end) return;
  const int n = kg_end - kg_begin;
  const uint32_t raw = smem_addr(smem), base = (raw + 1023u) & ~1023u;
  unsigned char* const aligned = smem + (base - raw);
  // Slot layout: activations (two warpgroups' 64 rows), decoded tile, packed words, scales.
  auto slot = [&](int i) { return aligned + (i % STAGES) * L::kSlotBytes; };
  const uint32_t bars = base + STAGES * L::kSlotBytes;
  auto full = [&](int i) { return bars + 8 * (i % STAGES); };
  auto empty = [&](int i) { return bars + 8 * (STAGES + i % STAGES); };
  if (tid == 0)
    for (int s = 0; s < STAGES; ++s) {
      mbarrier_init(bars + 8 * s, 128);
      mbarrier_init(bars + 8 * (STAGES + s), 256);
    }
  __syncthreads();

  if (wg == 0) {
    // The producer: lane's chunk fixed, its 8 activation rows 16 apart (one swizzle).
    const int chunk = tid & 7, tok0 = tid >> 3;
    const bf16* const x_row = x + static_cast<size_t>(min(tok_base + tok0, m - 1)) * w.k + 8 * chunk;
    const uint32_t act_off = tok0 * 128 + ((chunk ^ (tok0 & 7)) << 4);
    const uint4* frag = reinterpret_cast<const uint4*>(w.frag);
    const uint32_t* sz = reinterpret_cast<const uint32_t*>(w.scale_zero);
    const int shift = group_shift(w.group_size, w.k);
    const bool scale_ok = row_base + tid < w.n;
    const uint32_t* const scale_src = sz + static_cast<size_t>(scale_ok ? row_base + tid : 0) * w.groups;
    for (int i = 0; i < n + L::kLag; ++i) {
      if (i < n) {
        if (i >= STAGES) mbarrier_wait_parity(empty(i), (i / STAGES - 1) & 1);
        const int kg = kg_begin + i;
        unsigned char* s = slot(i);
        const uint32_t act = smem_addr(s) + act_off;
        const bool ch_ok = 64 * kg + 8 * chunk < w.k;
#pragma unroll
        for (int u = 0; u < 8; ++u) {
          const bool valid = ch_ok && tok_base + tok0 + 16 * u < m;
          cp_async16(act + 2048 * u, valid ? x_row + static_cast<size_t>(16 * u) * w.k + 64 * kg : x,
                     valid);
        }
        unsigned char* pack = s + L::kActBytes + L::kTileBytes;
#pragma unroll
        for (int v = 0; v < 2; ++v) {
          const int c = tid + 128 * v, rb = row_base / 16 + c / 32;
          const bool valid = rb < rbs;
          cp_async16(smem_addr(pack + 16 * c),
                     frag + (static_cast<size_t>(valid ? rb : 0) * kgroups + kg) * 32 + c % 32, valid);
        }
        const int group = shift >= 0 ? kg >> shift : 64 * kg / w.group_size;
        cp_async4(smem_addr(pack + L::kPackBytes + 4 * tid), scale_src + group, scale_ok);
      }
      cp_async_commit();  // empty groups past the end keep the wait count uniform
      const int j = i - L::kLag;
      if (j < 0) continue;
      cp_async_wait<L::kLag>();  // this thread's copies of k group j
      named_barrier_sync(1, 128);  // everyone's: the decode reads other threads' words
      unsigned char* s = slot(j);
      const unsigned char* pack = s + L::kActBytes + L::kTileBytes;
      decode_tile<L::kBlocks>(reinterpret_cast<const uint4*>(pack),
                              reinterpret_cast<const uint32_t*>(pack + L::kPackBytes),
                              s + L::kActBytes, warp, 4, lane);
      fence_proxy_async();  // its copies and tile writes, before the tensor cores read them
      mbarrier_arrive(full(j));
    }
    cp_async_wait<0>();
    return;
  }

  // The multiplying warpgroups: c = wg - 1 takes tokens 64 c .. 64 c + 63 of the CTA.
  const int c = wg - 1;
  float d[kRows / 2];
#pragma unroll
  for (int i = 0; i < kRows / 2; ++i) d[i] = 0.0f;
  for (int j = 0; j < n; ++j) {
    mbarrier_wait_parity(full(j), (j / STAGES) & 1);
    const uint32_t act = smem_addr(slot(j)) + c * 8192, tile = smem_addr(slot(j)) + L::kActBytes;
    wgmma_fence();
#pragma unroll
    for (int q = 0; q < 4; ++q)
      wgmma_m64k16_ss<kRows>(d, wgmma_desc_sw128(act + 32 * q), wgmma_desc_sw128(tile + 32 * q));
    wgmma_commit();
    wgmma_pin(d);
    wgmma_wait<1>();  // this warp's part of k group j - 1's products is done
    wgmma_pin(d);
    if (j > 0) mbarrier_arrive(empty(j - 1));
  }
  wgmma_wait<0>();
  wgmma_pin(d);

  store_products<kRows, OutF32>(d, tok_base + 64 * c + 16 * (warp & 3), lane, row_base, m, w,
                                w.row0 - parts.col0, y, ldy, accum, ld_accum);
}

// The activations in the weights' fragment channel order, for the register-A kernel below, whose
// B operand they are: within each k group of 64 channels, element 16 j + kk of k slice j holds
// the channel that the weights' fragment register for mma k index kk stands for (quant_int4_frag
// .cuh: kk = 2 t + 8 h + e is channel 16 t + 4 j + 2 h + e). In channel pairs: output pair
// 4 q + u (16-byte chunk q) is input pair 8 u + q. xf holds them as the kernel's shared tiles:
// tile (token tile tt of n_tile tokens, k group kg) at element (tt * k groups + kg) * n_tile * 64,
// token r's chunk q at chunk q ^ (r & 7) (the 128-byte swizzle), channels past k and tokens past
// m zero; so a CTA copies a k group's activations as one contiguous block, no predicates, no
// address arithmetic per copy. One thread per 16-byte output chunk.
__global__ void int4_frag_order_kernel(const bf16* __restrict__ x, int m, int k, int n_tile,
                                       bf16* xf) {
  const int kgroups = (k + 63) / 64, tile_chunks = n_tile * 8;
  const int total = (m + n_tile - 1) / n_tile * kgroups * tile_chunks;
  const int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= total) return;
  const int tile = idx / tile_chunks, tt = tile / kgroups, kg = tile % kgroups;
  const int r = idx % tile_chunks / 8, q = (idx % 8) ^ (r & 7), token = tt * n_tile + r;
  uint32_t v[4] = {0, 0, 0, 0};
  if (token < m) {
    const bf16* row = x + static_cast<size_t>(token) * k;
#pragma unroll
    for (int u = 0; u < 4; ++u) {
      const int ch = 64 * kg + 2 * (8 * u + q);
      const uint16_t lo = ch < k ? __bfloat16_as_ushort(row[ch]) : 0;
      const uint16_t hi = ch + 1 < k ? __bfloat16_as_ushort(row[ch + 1]) : 0;
      v[u] = lo | (static_cast<uint32_t>(hi) << 16);
    }
  }
  *reinterpret_cast<uint4*>(xf + static_cast<size_t>(idx) * 8) = make_uint4(v[0], v[1], v[2], v[3]);
}
// Elements of int4_frag_order_kernel's output for m tokens of k channels in tiles of n_tile.
inline size_t int4_frag_order_elems(int m, int k, int n_tile) {
  return static_cast<size_t>((m + n_tile - 1) / n_tile) * n_tile * ((k + 63) / 64) * 64;
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
// transpose: added to the split's accumulator (one float4 reduction where aligned) or stored.
template <bool OutF32>
__device__ __forceinline__ void store_quad(float4 v, int count, int token, int row, int col,
                                           int row0, void* y, int ldy, float* accum,
                                           int ld_accum) {
  const float e[4] = {v.x, v.y, v.z, v.w};
  if (accum) {
    float* at = accum + static_cast<size_t>(token) * ld_accum + col + row;
    if (count == 4 && reinterpret_cast<uintptr_t>(at) % 16 == 0) {
      atomicAdd(reinterpret_cast<float4*>(at), v);
    } else {
      for (int i = 0; i < count; ++i) atomicAdd(at + i, e[i]);
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

template <int N, int WG, int STAGES, int CTAS, bool OutF32>
__global__ void __launch_bounds__(WG * 128, CTAS)
    int4_wgmma_rs_kernel(WgmmaParts parts, const bf16* __restrict__ xf, int m, void* y, int ldy,
                         float* accum, int ld_accum, int kg_per_split) {
  using L = WgmmaRsLayout<N, WG, STAGES>;
  extern __shared__ __align__(16) unsigned char smem[];
  int pi = 0;
  while (pi + 1 < parts.count && static_cast<int>(blockIdx.x) >= parts.first_tile[pi + 1]) ++pi;
  static_assert(kInt4MaxParts == 3);
  const QuantPart w = pi == 0 ? parts.part[0] : pi == 1 ? parts.part[1] : parts.part[2];
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int row_base = (blockIdx.x - parts.first_tile[pi]) * L::kRows;
  const int tok_base = blockIdx.y * N;
  const int kgroups = (w.k + 63) / 64, rbs = (w.n + 15) / 16;
  const int kg_begin = blockIdx.z * kg_per_split;
  const int kg_end = min(kgroups, kg_begin + kg_per_split);
  if (kg_begin >= kg_end) return;
  const int n = kg_end - kg_begin;
  const uint32_t raw = smem_addr(smem), base = (raw + 1023u) & ~1023u;
  unsigned char* const aligned = smem + (base - raw);

  // What does not depend on the k group, once (q8's loop spent about half its ~276 instructions
  // a warp on per-copy addresses and predicates): the thread's pointers into this CTA's
  // activation tiles (int4_frag_order_kernel's, contiguous: 16 bytes a thread a copy, no
  // predicate), to its row block's packed words and its rows' scales, each advanced by one k
  // group a load; the ring's slots as offsets that step the same way.
  const bf16* act_src =
      xf + (static_cast<size_t>(blockIdx.y) * kgroups + kg_begin) * (N * 64) + 8 * tid;
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
  uint32_t load_slot = 0, read_slot = 0;  // from base: the slots load() and step() use next
  int load_kg = kg_begin;
  auto load = [&](bool live) {
    if (live) {
      const uint32_t s = base + load_slot;
#pragma unroll
      for (int u = 0; u < L::kActPer; ++u)
        cp_async16(s + 16 * (tid + L::kThreads * u), act_src + 8 * L::kThreads * u, true);
      cp_async16(s + L::kActBytes + 16 * tid, pack_src, pack_ok);
      const int group = shift >= 0 ? load_kg >> shift : 64 * load_kg / w.group_size;
      const uint32_t sc = s + L::kActBytes + L::kPackBytes + 8 * tid;
      cp_async4(sc, lo_src + group, lo_ok);
      cp_async4(sc + 4, hi_src + group, hi_ok);
      act_src += N * 64;
      pack_src += 32;
      ++load_kg;
      load_slot = next_slot(load_slot);
    }
    cp_async_commit();  // empty groups past the end keep the wait count uniform
  };

  float d[N / 2];
#pragma unroll
  for (int i = 0; i < N / 2; ++i) d[i] = 0.0f;
  uint32_t a0[4][4], a1[4][4];
#pragma unroll
  for (int s = 0; s < STAGES - 2; ++s) load(s < n);
  // K group i: its activations and this thread's words are in once every thread has waited for
  // its copies of stage i and passed the barrier; that barrier also means every warp has retired
  // the products of k group i - 2 (its wait after issuing i - 1), whose slot is refilled.
  auto step = [&](int i, uint32_t(&a)[4][4], uint32_t(&a_prev)[4][4]) {
    cp_async_wait<STAGES - 3>();
    fence_proxy_async();
    __syncthreads();
    load(i + STAGES - 2 < n);
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
  constexpr int kQuads = L::kRows / 4;
  const int col = w.row0 - parts.col0;
  for (int idx = tid; idx < N * kQuads; idx += L::kThreads) {
    const int tok = idx / kQuads, row = row_base + 4 * (idx % kQuads);
    if (tok_base + tok >= m || row >= w.n) continue;
    store_quad<OutF32>(*reinterpret_cast<const float4*>(out + tok * L::kOutStride + row - row_base),
                       min(4, w.n - row), tok_base + tok, row, col, w.row0, y, ldy, accum,
                       ld_accum);
  }
}

// The shapes the host launches (kWgmmaShapes), each with one or two warpgroups of 64 tokens.

template <int ROWS, int KSTEP, int kStages, int CTAS, int WG, bool OutF32>
bool allow_wgmma_smem() {
  return cudaFuncSetAttribute(int4_wgmma_kernel<ROWS, WG, kStages, KSTEP, CTAS, OutF32>,
                              cudaFuncAttributeMaxDynamicSharedMemorySize,
                              WgmmaLayout<ROWS, WG, kStages, KSTEP>::kBytes) == cudaSuccess;
}

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}
// PAGODA_CUDA_INT4_WGMMA_SHAPE=0..8 (rows a CTA, k groups a barrier, stages, CTAs an SM, the
// kernel: kWgmmaShapes). Measured (docs/cuda-notes.md q8): 5, the register-A kernel with 128 rows
// in 4 stages and two CTAs an SM, is the fastest (AWQ 7B b128 16,675 tok/s against 14,387 for
// 1, the best shared-memory shape; the split roles, 4, 13,186). _SPLITS=N (the k-group splits,
// 0: the cost model), _FROM=N (the fewest tokens it takes, default 17: with shape 5 it beats the
// mma.sync tiles from 24 tokens, b48 9,291 against 6,800): for sweeps.
enum class WgmmaKind { kShared, kSpecialized, kRegisterA };
struct WgmmaShape {
  int rows, kstep, stages, ctas_per_sm;
  WgmmaKind kind;  // int4_wgmma_kernel, _specialized_kernel (128 rows, 3 warpgroups), _rs_kernel
};
constexpr WgmmaShape kWgmmaShapes[] = {
    {128, 1, 5, 1, WgmmaKind::kShared},      {128, 1, 3, 2, WgmmaKind::kShared},
    {256, 1, 4, 1, WgmmaKind::kShared},      {128, 2, 3, 1, WgmmaKind::kShared},
    {128, 1, 5, 1, WgmmaKind::kSpecialized}, {128, 1, 4, 2, WgmmaKind::kRegisterA},
    {128, 1, 6, 1, WgmmaKind::kRegisterA},   {64, 1, 3, 3, WgmmaKind::kRegisterA},
    {256, 1, 4, 1, WgmmaKind::kRegisterA}};
constexpr int kWgmmaShapeCount = sizeof(kWgmmaShapes) / sizeof(kWgmmaShapes[0]);
int wgmma_shape() {
  static const int shape =
      std::clamp(env_int("PAGODA_CUDA_INT4_WGMMA_SHAPE", 5), 0, kWgmmaShapeCount - 1);
  return shape;
}
int wgmma_forced_splits() {
  static const int splits = std::clamp(env_int("PAGODA_CUDA_INT4_WGMMA_SPLITS", 0), 0, 64);
  return splits;
}
int wgmma_from() {
  static const int from = env_int("PAGODA_CUDA_INT4_WGMMA_FROM", 17);
  return from;
}

// The splits of the k groups with the least estimated time: waves of `slots` CTAs at once times
// each CTA's k groups plus kSplitOverheadKg for its pipeline fill and epilogue. Splitting at all
// also costs the accumulator's zeroing, its float reductions and the finishing pass, and a last
// partial wave runs faster than a full one; neither is in the estimate, so a split must beat one
// pass by a third (measured, cuda-notes q9: 7B gate_up at 128 tokens, 296 CTAs on 264 slots,
// took 101 us in the four splits the estimate preferred by 25%, 92 us in one).
int choose_splits(int ctas, int slots, int kgroups) {
  if (wgmma_forced_splits() > 0) return std::min(wgmma_forced_splits(), kgroups);
  constexpr int kSplitOverheadKg = 4;
  const int most = std::clamp(kgroups / 8, 1, 16);
  auto cost = [&](int s) {
    const long waves = (static_cast<long>(ctas) * s + slots - 1) / slots;
    return waves * ((kgroups + s - 1) / s + kSplitOverheadKg);
  };
  int splits = 1;
  long best = cost(1);
  for (int s = 2; s <= most; ++s)
    if (cost(s) < best) best = cost(s), splits = s;
  return splits > 1 && 3 * best > 2 * cost(1) ? 1 : splits;
}

// Launches kernel(grid, threads, bytes) over tiles x token_tiles CTAs, the k groups split
// through accum (zeroed first, finished after) when that is estimated faster.
template <typename Launch>
void launch_split(const WgmmaParts& parts, int m, int token_tiles, int slots, void* y, int ldy,
                  bool out_f32, float* accum, int ld_accum, cudaStream_t stream,
                  const Launch& launch) {
  const int tiles = parts.first_tile[parts.count];
  const int kgroups = (parts.part[0].k + 63) / 64;
  int splits = accum ? choose_splits(tiles * token_tiles, slots, kgroups) : 1;
  const int kg_per_split = (kgroups + splits - 1) / splits;
  splits = (kgroups + kg_per_split - 1) / kg_per_split;
  float* acc = splits > 1 ? accum : nullptr;
  if (acc) cudaMemsetAsync(acc, 0, sizeof(float) * static_cast<size_t>(m) * ld_accum, stream);
  launch(dim3(tiles, token_tiles, splits), acc, kg_per_split);
  if (acc) quant_finish_split(acc, m, ld_accum, y, ldy, parts.col0, out_f32, stream);
}

template <int ROWS, int KSTEP, int kStages, int CTAS, int WG>
void launch_wgmma(const WgmmaParts& parts, const bf16* x, int m, void* y, int ldy, bool out_f32,
                  float* accum, int ld_accum, int num_sms, cudaStream_t stream) {
  using L = WgmmaLayout<ROWS, WG, kStages, KSTEP>;
  launch_split(parts, m, (m + 64 * WG - 1) / (64 * WG), CTAS * num_sms, y, ldy, out_f32, accum,
               ld_accum, stream, [&](dim3 grid, float* acc, int kg_per_split) {
                 if (out_f32)
                   int4_wgmma_kernel<ROWS, WG, kStages, KSTEP, CTAS, true>
                       <<<grid, L::kThreads, L::kBytes, stream>>>(parts, x, m, y, ldy, acc,
                                                                   ld_accum, kg_per_split);
                 else
                   int4_wgmma_kernel<ROWS, WG, kStages, KSTEP, CTAS, false>
                       <<<grid, L::kThreads, L::kBytes, stream>>>(parts, x, m, y, ldy, acc,
                                                                   ld_accum, kg_per_split);
               });
}

template <int kStages>
void launch_wgmma_specialized(const WgmmaParts& parts, const bf16* x, int m, void* y, int ldy,
                              bool out_f32, float* accum, int ld_accum, int num_sms,
                              cudaStream_t stream) {
  using L = WgmmaSpecializedLayout<kStages>;
  launch_split(parts, m, (m + 127) / 128, num_sms, y, ldy, out_f32, accum, ld_accum, stream,
               [&](dim3 grid, float* acc, int kg_per_split) {
                 if (out_f32)
                   int4_wgmma_specialized_kernel<kStages, true>
                       <<<grid, L::kThreads, L::kBytes, stream>>>(parts, x, m, y, ldy, acc,
                                                                   ld_accum, kg_per_split);
                 else
                   int4_wgmma_specialized_kernel<kStages, false>
                       <<<grid, L::kThreads, L::kBytes, stream>>>(parts, x, m, y, ldy, acc,
                                                                   ld_accum, kg_per_split);
               });
}

template <int N, int WG, int kStages, int CTAS>
void launch_wgmma_rs(const WgmmaParts& parts, const bf16* x, bf16* x_frag, int m, void* y,
                     int ldy, bool out_f32, float* accum, int ld_accum, int num_sms,
                     cudaStream_t stream) {
  using L = WgmmaRsLayout<N, WG, kStages>;
  const int chunks = static_cast<int>(int4_frag_order_elems(m, parts.part[0].k, N) / 8);
  int4_frag_order_kernel<<<(chunks + 255) / 256, 256, 0, stream>>>(x, m, parts.part[0].k, N,
                                                                    x_frag);
  launch_split(parts, m, (m + N - 1) / N, CTAS * num_sms, y, ldy, out_f32, accum, ld_accum,
               stream, [&](dim3 grid, float* acc, int kg_per_split) {
                 if (out_f32)
                   int4_wgmma_rs_kernel<N, WG, kStages, CTAS, true>
                       <<<grid, L::kThreads, L::kBytes, stream>>>(parts, x_frag, m, y, ldy, acc,
                                                                   ld_accum, kg_per_split);
                 else
                   int4_wgmma_rs_kernel<N, WG, kStages, CTAS, false>
                       <<<grid, L::kThreads, L::kBytes, stream>>>(parts, x_frag, m, y, ldy, acc,
                                                                   ld_accum, kg_per_split);
               });
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

template <int S>
bool allow_wgmma_specialized() {
  auto allow = [](auto kernel) {
    return cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                WgmmaSpecializedLayout<S>::kBytes) == cudaSuccess;
  };
  return allow(int4_wgmma_specialized_kernel<S, false>) &&
         allow(int4_wgmma_specialized_kernel<S, true>);
}

template <int ROWS, int KSTEP, int S, int CTAS>
bool allow_wgmma_shape() {
  return allow_wgmma_smem<ROWS, KSTEP, S, CTAS, 1, false>() &&
         allow_wgmma_smem<ROWS, KSTEP, S, CTAS, 1, true>() &&
         allow_wgmma_smem<ROWS, KSTEP, S, CTAS, 2, false>() &&
         allow_wgmma_smem<ROWS, KSTEP, S, CTAS, 2, true>();
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
  wgmma_ready_flag() = wanted && major == 9 && minor == 0 && allow_wgmma_shape<128, 1, 5, 1>() &&
                       allow_wgmma_shape<128, 1, 3, 2>() && allow_wgmma_shape<256, 1, 4, 1>() &&
                       allow_wgmma_shape<128, 2, 3, 1>() && allow_wgmma_specialized<5>() &&
                       allow_wgmma_rs<2, 4, 2>() && allow_wgmma_rs<2, 6, 1>() &&
                       allow_wgmma_rs<1, 3, 3>() && allow_wgmma_rs<4, 4, 1>();
  cudaGetLastError();  // a refused attribute leaves no sticky error behind
}

bool int4_wgmma_ready() { return wgmma_ready_flag(); }

bool int4_wgmma_product(const QuantPart* parts, int count, const bf16* x, void* y, int m, int ldy,
                        bool out_f32, float* accum, bf16* x_frag, int num_sms,
                        cudaStream_t stream) {
  if (!wgmma_ready_flag() || m < std::max(1, wgmma_from()) || m > kQuantFragMaxRows ||
      count < 1 || count > kInt4MaxParts)
    return false;
  const WgmmaShape& shape = kWgmmaShapes[wgmma_shape()];
  if (shape.kind == WgmmaKind::kRegisterA && !x_frag) return false;
  const int rows = shape.rows;
  WgmmaParts list;
  list.count = count;
  list.col0 = parts[0].row0;
  for (int i = 0; i < count; ++i) {
    const QuantPart& p = parts[i];
    // One launch needs one k, the scales per k group, and the parts' columns contiguous (the
    // split's accumulator spans them).
    if (!p.frag || p.k != parts[0].k || !int4_frag_supported(p.n, p.k, p.group_size) ||
        (i > 0 && p.row0 != parts[i - 1].row0 + parts[i - 1].n))
      return false;
    list.part[i] = p;
    list.first_tile[i + 1] = list.first_tile[i] + (p.n + rows - 1) / rows;
  }
  const int span = parts[count - 1].row0 + parts[count - 1].n - list.col0;
  auto launch = [&](auto shape_c) {
    constexpr WgmmaShape kShape = kWgmmaShapes[decltype(shape_c)::value];
    constexpr int kRows = kShape.rows, kStep = kShape.kstep, kStages = kShape.stages;
    constexpr int kCtas = kShape.ctas_per_sm;
    if constexpr (kShape.kind == WgmmaKind::kSpecialized) {
      launch_wgmma_specialized<kStages>(list, x, m, y, ldy, out_f32, accum, span, num_sms,
                                        stream);
    } else if constexpr (kShape.kind == WgmmaKind::kRegisterA) {
      constexpr int kWg = kRows / 64;
      if (m <= 64)
        launch_wgmma_rs<64, kWg, kStages, kCtas>(list, x, x_frag, m, y, ldy, out_f32, accum,
                                                 span, num_sms, stream);
      else
        launch_wgmma_rs<128, kWg, kStages, kCtas>(list, x, x_frag, m, y, ldy, out_f32, accum,
                                                  span, num_sms, stream);
    } else if (m <= 64) {
      launch_wgmma<kRows, kStep, kStages, kCtas, 1>(list, x, m, y, ldy, out_f32, accum, span,
                                                    num_sms, stream);
    } else {
      launch_wgmma<kRows, kStep, kStages, kCtas, 2>(list, x, m, y, ldy, out_f32, accum, span,
                                                    num_sms, stream);
    }
  };
  using std::integral_constant;
  switch (wgmma_shape()) {
    case 2: launch(integral_constant<int, 2>{}); break;
    case 3: launch(integral_constant<int, 3>{}); break;
    case 4: launch(integral_constant<int, 4>{}); break;
    case 5: launch(integral_constant<int, 5>{}); break;
    case 6: launch(integral_constant<int, 6>{}); break;
    case 7: launch(integral_constant<int, 7>{}); break;
    case 8: launch(integral_constant<int, 8>{}); break;
    case 0: launch(integral_constant<int, 0>{}); break;
    default: launch(integral_constant<int, 1>{});
  }
  return true;
}

}  // namespace pagoda::cuda
