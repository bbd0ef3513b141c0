// The int4 product for 33..kQuantFragMaxRows tokens on Hopper's warpgroup tensor-core
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
// decodes, two that multiply, handing slots over through mbarriers; not yet measured on a GPU,
// PAGODA_CUDA_INT4_WGMMA_SHAPE=4). Threading: one kernel launch per call, on the caller's
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
// PAGODA_CUDA_INT4_WGMMA_SHAPE=0..4 (rows a CTA, k groups a barrier, stages, CTAs an SM, the
// split roles: kWgmmaShapes; 1 measured fastest of 0..3, docs/cuda-notes.md q7; 4 not yet
// measured on a GPU),
// _SPLITS=N (the k-group splits, 0: fill the SMs), _FROM=N (the fewest tokens it
// takes; fewer go to the mma.sync tiles): for sweeps.
struct WgmmaShape {
  int rows, kstep, stages, ctas_per_sm;
  bool specialized;  // int4_wgmma_specialized_kernel (128 rows, 3 warpgroups)
};
constexpr WgmmaShape kWgmmaShapes[] = {{128, 1, 5, 1, false}, {128, 1, 3, 2, false},
                                       {256, 1, 4, 1, false}, {128, 2, 3, 1, false},
                                       {128, 1, 5, 1, true}};
int wgmma_shape() {
  static const int shape = std::clamp(env_int("PAGODA_CUDA_INT4_WGMMA_SHAPE", 1), 0, 4);
  return shape;
}
int wgmma_forced_splits() {
  static const int splits = std::clamp(env_int("PAGODA_CUDA_INT4_WGMMA_SPLITS", 0), 0, 64);
  return splits;
}
int wgmma_from() {
  static const int from = env_int("PAGODA_CUDA_INT4_WGMMA_FROM", 65);
  return from;
}

// The splits of the k groups with the least estimated time: waves of `slots` CTAs at once times
// each CTA's k groups plus kSplitOverheadKg for its pipeline fill and epilogue (a split also
// costs the accumulator's zeroing and the finishing pass, which the overhead covers roughly).
int choose_splits(int ctas, int slots, int kgroups) {
  if (wgmma_forced_splits() > 0) return std::min(wgmma_forced_splits(), kgroups);
  constexpr int kSplitOverheadKg = 4;
  const int most = std::clamp(kgroups / 8, 1, 16);
  int splits = 1;
  long best = -1;
  for (int s = 1; s <= most; ++s) {
    const long waves = (static_cast<long>(ctas) * s + slots - 1) / slots;
    const long cost = waves * ((kgroups + s - 1) / s + kSplitOverheadKg);
    if (best < 0 || cost < best) best = cost, splits = s;
  }
  return splits;
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
                       allow_wgmma_shape<128, 2, 3, 1>() && allow_wgmma_specialized<5>();
  cudaGetLastError();  // a refused attribute leaves no sticky error behind
}

bool int4_wgmma_ready() { return wgmma_ready_flag(); }

bool int4_wgmma_product(const QuantPart* parts, int count, const bf16* x, void* y, int m, int ldy,
                        bool out_f32, float* accum, int num_sms, cudaStream_t stream) {
  if (!wgmma_ready_flag() || m < std::max(1, wgmma_from()) || m > kQuantFragMaxRows ||
      count < 1 || count > kInt4MaxParts)
    return false;
  const int rows = kWgmmaShapes[wgmma_shape()].rows;
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
    if constexpr (kShape.specialized) {
      launch_wgmma_specialized<kStages>(list, x, m, y, ldy, out_f32, accum, span, num_sms,
                                        stream);
      return;
    }
    if (m <= 64)
      launch_wgmma<kRows, kStep, kStages, kCtas, 1>(list, x, m, y, ldy, out_f32, accum, span,
                                                    num_sms, stream);
    else
      launch_wgmma<kRows, kStep, kStages, kCtas, 2>(list, x, m, y, ldy, out_f32, accum, span,
                                                    num_sms, stream);
  };
  using std::integral_constant;
  switch (wgmma_shape()) {
    case 2: launch(integral_constant<int, 2>{}); break;
    case 3: launch(integral_constant<int, 3>{}); break;
    case 4: launch(integral_constant<int, 4>{}); break;
    case 0: launch(integral_constant<int, 0>{}); break;
    default: launch(integral_constant<int, 1>{});
  }
  return true;
}

}  // namespace pagoda::cuda
