#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/attention_mma.h"
#include "kernels/pdl.cuh"
// The CPU emulation swaps this include for host versions of the primitives (and of the thread
// and block indices): pdl.cuh's launcher must come before, attention_splits.cuh after.
#include "kernels/mma_primitives.cuh"
#include "kernels/attention_splits.cuh"

namespace pagoda::cuda {

namespace {

// A block holds up to 64 query rows (queries x heads of one KV head, GQA heads packed into rows
// so each K/V tile loaded serves the whole group) in 4 warps of 16 rows, and walks the keys in
// tiles of 64 staged in shared memory by a two-stage cp.async pipeline. Per warp and tile:
// S = Q K^T and O += P V with mma.sync m16n8k16; S stays in registers and becomes the A operand
// of P V directly (the accumulator layout of two n-tiles is the A layout of one k-step).
constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kRows = kWarps * 16;
constexpr int kKeys = 64;

template <int HD>
constexpr int smem_row() {
  return HD + 8;  // bf16 per staged K/V row: 16 bytes of padding make ldmatrix conflict-free
}
template <int HD>
constexpr size_t smem_bytes() {
  return sizeof(bf16) * 2 /*stages*/ * 2 /*K, V*/ * kKeys * smem_row<HD>();
}

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  return bits;
}

// One stage's K and V tile (keys kt .. kt + 63, zero past kv_end) into ks and vs by cp.async;
// only the rows of keys in [lo, hi) (a tile may be loaded in two parts).
template <int HD>
__device__ __forceinline__ void load_kv_tile(const AttentionParams& p, const int32_t* table,
                                             int kvh, int kv_end, bf16* ks, int kt, int lo = 0,
                                             int hi = 0x7fffffff) {
  constexpr int kRow = smem_row<HD>();
  constexpr int kChunks = HD / 8;  // 16-byte pieces of a K/V row
  constexpr int kLoads = kKeys * kChunks / kThreads;
  static_assert(kKeys * kChunks % kThreads == 0, "tile loads must divide evenly");
  bf16* vs = ks + kKeys * kRow;
#pragma unroll
  for (int u = 0; u < kLoads; ++u) {
    const int e = threadIdx.x + u * kThreads;
    const int j = e / kChunks, c = e % kChunks;
    const int key = kt + j;
    if (key < lo || key >= hi) continue;
    const bool valid = key < kv_end;
    size_t off = 0;
    if (valid) {
      const int blk = table[key / p.block_size];
      off = ((static_cast<size_t>(blk) * p.block_size + key % p.block_size) * p.nkv + kvh) * HD +
            c * 8;
    }
    // Keys past the end are zero-filled: V must be finite there (0 weight times NaN is NaN).
    cp_async16(smem_addr(ks + j * kRow + c * 8), p.k_cache + off, valid);
    cp_async16(smem_addr(vs + j * kRow + c * 8), p.v_cache + off, valid);
  }
}

// S = Q K^T for the warp's 16 rows and NK keys staged at ks.
template <int HD, int NK = kKeys>
__device__ __forceinline__ void score_tile(const bf16* ks, const uint32_t (&qf)[HD / 16][4],
                                           int lane, float (&s)[NK / 8][4]) {
  constexpr int kRow = smem_row<HD>();
  constexpr int kKSteps = HD / 16;
#pragma unroll
  for (int n = 0; n < NK / 8; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
  // K rows are B columns: matrices (keys 0-7, dims 0-7), (keys 0-7, dims 8-15),
  // (keys 8-15, dims 0-7), (keys 8-15, dims 8-15) give b0b1/b2b3 of two n-tiles.
  const uint32_t k_base =
      smem_addr(ks + ((lane & 7) + ((lane >> 4) << 3)) * kRow + ((lane >> 3) & 1) * 8);
#pragma unroll
  for (int k = 0; k < kKSteps; ++k) {
#pragma unroll
    for (int np = 0; np < NK / 16; ++np) {
      uint32_t b[4];
      ldmatrix_x4(b, k_base + static_cast<uint32_t>((np * 16 * kRow + k * 16) * sizeof(bf16)));
      mma_bf16(s[2 * np], qf[k], b[0], b[1]);
      mma_bf16(s[2 * np + 1], qf[k], b[2], b[3]);
    }
  }
}

// Keys past kv_end or past a row's position get -inf (kt: the first of the NK keys).
template <int NK = kKeys>
__device__ __forceinline__ void mask_scores(float (&s)[NK / 8][4], int kt, int kv_end,
                                            int t4, const int (&pos)[2]) {
#pragma unroll
  for (int n = 0; n < NK / 8; ++n)
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int key = kt + n * 8 + 2 * t4 + (i & 1);
      if (key >= kv_end || key > pos[i >> 1]) s[n][i] = -INFINITY;
    }
}

// The online softmax step: S becomes the weights P (in place), m, l and O are rescaled.
template <int HD, int NK = kKeys>
__device__ __forceinline__ void softmax_step(float (&s)[NK / 8][4], float (&m)[2],
                                             float (&l)[2], float (&o)[HD / 8][4],
                                             float scale_log2) {
  constexpr int kOTiles = HD / 8;
  // Online softmax; a row's 4 owners are the lanes of one quad.
  float corr[2], base[2];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    float mx = m[h];
#pragma unroll
    for (int n = 0; n < NK / 8; ++n) mx = fmaxf(mx, fmaxf(s[n][2 * h], s[n][2 * h + 1]));
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
    // A row with no visible key yet keeps m = -inf: weights 0, correction 1, no NaN.
    base[h] = mx == -INFINITY ? 0.0f : mx * scale_log2;
    corr[h] = mx == -INFINITY ? 1.0f : exp2f(m[h] * scale_log2 - base[h]);
    m[h] = mx;
  }
  float row_sum[2] = {0.0f, 0.0f};
#pragma unroll
  for (int n = 0; n < NK / 8; ++n)
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      s[n][i] = exp2f(fmaf(s[n][i], scale_log2, -base[i >> 1]));
      row_sum[i >> 1] += s[n][i];
    }
#pragma unroll
  for (int h = 0; h < 2; ++h) l[h] = l[h] * corr[h] + row_sum[h];
#pragma unroll
  for (int n = 0; n < kOTiles; ++n) {
    o[n][0] *= corr[0];
    o[n][1] *= corr[0];
    o[n][2] *= corr[1];
    o[n][3] *= corr[1];
  }
}

// O += P V for the warp's rows over NK keys staged at vs.
template <int HD, int NK = kKeys>
__device__ __forceinline__ void accumulate_pv(const bf16* vs, const float (&s)[NK / 8][4],
                                              int lane, float (&o)[HD / 8][4]) {
  constexpr int kRow = smem_row<HD>();
  // V rows are B rows (k = key): transposed matrices (keys 0-7, dims 0-7),
  // (keys 8-15, dims 0-7), (keys 0-7, dims 8-15), (keys 8-15, dims 8-15).
  const uint32_t v_base =
      smem_addr(vs + ((lane & 7) + ((lane >> 3) & 1) * 8) * kRow + (lane >> 4) * 8);
#pragma unroll
  for (int j = 0; j < NK / 16; ++j) {
    uint32_t a[4];
    a[0] = pack_bf16(s[2 * j][0], s[2 * j][1]);
    a[1] = pack_bf16(s[2 * j][2], s[2 * j][3]);
    a[2] = pack_bf16(s[2 * j + 1][0], s[2 * j + 1][1]);
    a[3] = pack_bf16(s[2 * j + 1][2], s[2 * j + 1][3]);
#pragma unroll
    for (int dp = 0; dp < HD / 16; ++dp) {
      uint32_t b[4];
      ldmatrix_x4_trans(
          b, v_base + static_cast<uint32_t>((j * 16 * kRow + dp * 16) * sizeof(bf16)));
      mma_bf16(o[2 * dp], a, b[0], b[1]);
      mma_bf16(o[2 * dp + 1], a, b[2], b[3]);
    }
  }
}

// The quad's row sums, then this thread's two rows out as bf16 (invalid rows are not written).
template <int HD>
__device__ __forceinline__ void store_rows(float (&l)[2], const float (&o)[HD / 8][4],
                                           bf16* (&out_row)[2], int t4) {
  constexpr int kOTiles = HD / 8;
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    l[h] += __shfl_xor_sync(0xffffffffu, l[h], 1);
    l[h] += __shfl_xor_sync(0xffffffffu, l[h], 2);
  }
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    if (!out_row[h]) continue;
    const float inv = l[h] > 0.0f ? 1.0f / l[h] : 0.0f;
#pragma unroll
    for (int n = 0; n < kOTiles; ++n)
      *reinterpret_cast<__nv_bfloat162*>(out_row[h] + n * 8 + 2 * t4) =
          __floats2bfloat162_rn(o[n][2 * h] * inv, o[n][2 * h + 1] * inv);
  }
}

// qpt: queries per host tile (attention_queries_per_tile); hpc: heads per row chunk;
// tiles_per_block: host tiles merged into one block (only the first of each run does the work).
template <int HD>
__global__ void __launch_bounds__(kThreads)
    attention_mma_kernel(AttentionParams p, int qpt, int hpc, int tiles_per_block) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  constexpr int kRow = smem_row<HD>();
  constexpr int kTileElems = kKeys * kRow;
  constexpr int kKSteps = HD / 16;
  constexpr int kOTiles = HD / 8;
  extern __shared__ __align__(16) unsigned char mma_smem[];
  bf16* const smem = reinterpret_cast<bf16*>(mma_smem);

  const int group = p.nh / p.nkv;
  const int chunks = (group + hpc - 1) / hpc;
  const int kvh = blockIdx.y / chunks, chunk = blockIdx.y % chunks;
  const int tile = blockIdx.x;
  const int seq = p.tile_seq[tile];
  const int q0 = p.tile_q0[tile];
  const int q_len = p.seq_q_len[seq];
  if (q0 >= q_len || (q0 / qpt) % tiles_per_block != 0) return;  // padding, or merged tile
  const int kv_len = p.seq_kv_len[seq];
  const int q_start = p.seq_q_start[seq];
  const int first_q_pos = kv_len - q_len;  // absolute position of the chunk's first query
  const int q_end = min(q_len, q0 + tiles_per_block * qpt);
  const int heads_here = min(hpc, group - chunk * hpc);
  const int valid_rows = (q_end - q0) * heads_here;
  const int kv_end = min(kv_len, first_q_pos + q_end);
  const int head_base = kvh * group + chunk * hpc;

  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int g = lane >> 2, t4 = lane & 3;
  const int warp_row0 = warp * 16;
  // Keys this warp needs: up to the position of its last valid row (rows are query-major).
  const int warp_last = min(warp_row0 + 15, valid_rows - 1);
  const int warp_kv_end =
      warp_last >= warp_row0 ? min(kv_end, first_q_pos + q0 + warp_last / heads_here + 1) : 0;
  const int warp_min_pos = first_q_pos + q0 + warp_row0 / heads_here;

  // This thread's rows are g and g + 8 of the warp; invalid rows read zeros, are masked out
  // entirely (position -1) and never written.
  int pos[2];
  const bf16* q_row[2];
  bf16* out_row[2];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int r = warp_row0 + g + 8 * h;
    pos[h] = -1;
    q_row[h] = nullptr;
    out_row[h] = nullptr;
    if (r < valid_rows) {
      const int q = q0 + r / heads_here;
      const size_t row = static_cast<size_t>(q_start + q) * p.nh + head_base + r % heads_here;
      pos[h] = first_q_pos + q;
      q_row[h] = p.q + row * HD;
      out_row[h] = p.out + row * HD;
    }
  }
  // Q as A fragments for all k-steps: a0a1 (row g, cols 2t..), a2a3 (row g+8), a4a5 (row g,
  // cols 2t+8..), a6a7 (row g+8, cols 2t+8..).
  uint32_t qf[kKSteps][4];
#pragma unroll
  for (int k = 0; k < kKSteps; ++k) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      qf[k][h] = q_row[h] ? *reinterpret_cast<const uint32_t*>(q_row[h] + k * 16 + 2 * t4) : 0u;
      qf[k][h + 2] =
          q_row[h] ? *reinterpret_cast<const uint32_t*>(q_row[h] + k * 16 + 8 + 2 * t4) : 0u;
    }
  }

  const int32_t* table = p.block_tables + static_cast<size_t>(seq) * p.block_table_stride;
  auto load_tile = [&](int stage, int kt) {
    load_kv_tile<HD>(p, table, kvh, kv_end, smem + stage * 2 * kTileElems, kt);
  };

  float o[kOTiles][4];
#pragma unroll
  for (int n = 0; n < kOTiles; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.0f, 0.0f};  // l: this thread's columns only
  const float scale_log2 = p.scale * 1.4426950408889634f;

  const int num_kt = (kv_end + kKeys - 1) / kKeys;
  if (num_kt > 0) load_tile(0, 0);
  cp_async_commit();
  for (int it = 0; it < num_kt; ++it) {
    const int kt = it * kKeys;
    if (it + 1 < num_kt) load_tile((it + 1) & 1, kt + kKeys);
    cp_async_commit();
    cp_async_wait<1>();  // tile it has landed (the newest group may still be in flight)
    __syncthreads();
    if (kt < warp_kv_end) {
      const bf16* ks = smem + (it & 1) * 2 * kTileElems;
      const bf16* vs = ks + kTileElems;
      float s[kKeys / 8][4];
      score_tile<HD>(ks, qf, lane, s);
      // Causal and length mask, only where a key can exceed a row's position.
      if (kt + kKeys - 1 > warp_min_pos || kt + kKeys > kv_end)
        mask_scores(s, kt, kv_end, t4, pos);
      softmax_step<HD>(s, m, l, o, scale_log2);
      accumulate_pv<HD>(vs, s, lane, o);
    }
    __syncthreads();  // the stage is consumed before the next iteration refills it
  }
  cp_async_wait<0>();

  store_rows<HD>(l, o, out_row, t4);
#else
  __trap();  // the host never launches this below sm_80
#endif
}

// ---- decode ----
// Decode rows (one query per sequence): a block holds the heads of one KV head that share its
// K/V (up to 16, one m16 tile; head chunks above) and walks its split of the keys in 64-key tiles
// through the same two-stage cp.async pipeline as the prefill kernel. Each warp takes 16 keys of
// every tile, so the four warps share one query's work (the prefill tiling would leave three of
// them idle), and their softmax states merge in shared memory at the end. A sequence's split
// count follows its own KV length (decode_split): one split writes the rows directly, more write
// partial states for attention_decode_combine_kernel.
constexpr int kDecodeRows = 16;
constexpr int kWarpKeys = kKeys / kWarps;

struct DecodeSplit {
  int splits, per_split;  // splits of per_split keys (a multiple of kKeys), the last shorter
};
// The split of kv_len keys into at most max_splits of about split_keys keys each.
__host__ __device__ inline DecodeSplit decode_split(int kv_len, int max_splits, int split_keys) {
  int s = (kv_len + split_keys - 1) / split_keys;
  s = s < 1 ? 1 : (s > max_splits ? max_splits : s);
  int per = (kv_len + s - 1) / s;
  per = (per + kKeys - 1) / kKeys * kKeys;
  if (per < kKeys) per = kKeys;
  return {(kv_len + per - 1) / per > 0 ? (kv_len + per - 1) / per : 1, per};
}

template <int HD>
constexpr size_t decode_smem_bytes() {
  // The pipeline's stages, reused after the loop for the warps' states: o, then m and l.
  constexpr size_t merge = sizeof(float) * kWarps * kDecodeRows * (HD + 2);
  return smem_bytes<HD>() > merge ? smem_bytes<HD>() : merge;
}

// hpc: heads per block (min(group, kDecodeRows)); split_keys: decode_split's target.
// prefetch: the first tile's keys from before this step are requested before pdl_wait (they are
// not written by the kernels this one waits for), so their latency overlaps the previous kernel.
template <int HD>
__global__ void __launch_bounds__(kThreads)
    attention_decode_mma_kernel(AttentionParams p, int hpc, int split_keys, bool prefetch) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  constexpr int kRow = smem_row<HD>();
  constexpr int kTileElems = kKeys * kRow;
  constexpr int kKSteps = HD / 16;
  constexpr int kOTiles = HD / 8;
  extern __shared__ __align__(16) unsigned char mma_smem[];
  bf16* const smem = reinterpret_cast<bf16*>(mma_smem);

  // The step's metadata and the cache's older keys are ready before the previous kernel ends.
  const int group = p.nh / p.nkv;
  const int chunks = (group + hpc - 1) / hpc;
  const int kvh = blockIdx.y / chunks, chunk = blockIdx.y % chunks;
  const int seq = p.tile_seq[blockIdx.x];
  const int q_len = p.seq_q_len[seq];
  const int kv_len = p.seq_kv_len[seq];
  const int token = p.seq_q_start[seq];
  const DecodeSplit sp = decode_split(kv_len, p.splits, split_keys);
  const int split = blockIdx.z;
  const int kv_begin = split * sp.per_split;
  const int kv_end = min(kv_len, kv_begin + sp.per_split);
  const int32_t* table = p.block_tables + static_cast<size_t>(seq) * p.block_table_stride;
  const bool active = q_len > 0 && split < sp.splits;  // else padding, or a split not needed
  const int fresh = prefetch ? kv_len - q_len : 0;     // keys this step writes start here
  if (active) load_kv_tile<HD>(p, table, kvh, kv_end, smem, kv_begin, 0, fresh);
  pdl_wait();
  pdl_trigger();
  if (!active) return;
  load_kv_tile<HD>(p, table, kvh, kv_end, smem, kv_begin, fresh);
  cp_async_commit();
  const int heads_here = min(hpc, group - chunk * hpc);
  const int head_base = kvh * group + chunk * hpc;

  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int g = lane >> 2, t4 = lane & 3;
  // Rows g and g + 8 are heads head_base + g (+ 8); rows past heads_here read zeros.
  uint32_t qf[kKSteps][4];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const bool valid = g + 8 * h < heads_here;
    const bf16* q_row =
        p.q + (static_cast<size_t>(token) * p.nh + head_base + (valid ? g + 8 * h : 0)) * HD;
#pragma unroll
    for (int k = 0; k < kKSteps; ++k) {
      qf[k][h] = valid ? *reinterpret_cast<const uint32_t*>(q_row + k * 16 + 2 * t4) : 0u;
      qf[k][h + 2] = valid ? *reinterpret_cast<const uint32_t*>(q_row + k * 16 + 8 + 2 * t4) : 0u;
    }
  }

  float o[kOTiles][4];
#pragma unroll
  for (int n = 0; n < kOTiles; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.0f, 0.0f};
  const float scale_log2 = p.scale * 1.4426950408889634f;
  const int no_pos[2] = {kv_len, kv_len};  // the query sees every key before kv_end

  const int num_kt = (kv_end - kv_begin + kKeys - 1) / kKeys;
  for (int it = 0; it < num_kt; ++it) {
    const int kt = kv_begin + it * kKeys;
    if (it + 1 < num_kt)
      load_kv_tile<HD>(p, table, kvh, kv_end, smem + ((it + 1) & 1) * 2 * kTileElems, kt + kKeys);
    cp_async_commit();
    cp_async_wait<1>();
    __syncthreads();
    const int k0 = kt + warp * kWarpKeys;  // this warp's keys
    if (k0 < kv_end) {
      const bf16* ks = smem + (it & 1) * 2 * kTileElems + warp * kWarpKeys * kRow;
      const bf16* vs = ks + kTileElems;
      float s[kWarpKeys / 8][4];
      score_tile<HD, kWarpKeys>(ks, qf, lane, s);
      if (k0 + kWarpKeys > kv_end) mask_scores<kWarpKeys>(s, k0, kv_end, t4, no_pos);
      softmax_step<HD, kWarpKeys>(s, m, l, o, scale_log2);
      accumulate_pv<HD, kWarpKeys>(vs, s, lane, o);
    }
    __syncthreads();
  }
  cp_async_wait<0>();

  // The warps' states into shared memory (m in units of the scaled score, l for the whole row).
  float* const o_s = reinterpret_cast<float*>(mma_smem);  // [warp][row][HD]
  float* const ml_s = o_s + kWarps * kDecodeRows * HD;     // [warp][row][2]
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    l[h] += __shfl_xor_sync(0xffffffffu, l[h], 1);
    l[h] += __shfl_xor_sync(0xffffffffu, l[h], 2);
  }
  __syncthreads();  // every warp is past its last read of the stages
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int r = g + 8 * h;
    float* orow = o_s + (warp * kDecodeRows + r) * HD;
#pragma unroll
    for (int n = 0; n < kOTiles; ++n) {
      orow[n * 8 + 2 * t4] = o[n][2 * h];
      orow[n * 8 + 2 * t4 + 1] = o[n][2 * h + 1];
    }
    if (t4 == 0) {
      ml_s[(warp * kDecodeRows + r) * 2] = m[h] == -INFINITY ? -INFINITY : m[h] * p.scale;
      ml_s[(warp * kDecodeRows + r) * 2 + 1] = l[h];
    }
  }
  __syncthreads();
  const size_t rows = static_cast<size_t>(p.tokens) * p.nh;
  for (int e = threadIdx.x; e < heads_here * HD; e += kThreads) {
    const int r = e / HD, d = e % HD;
    float big = -INFINITY;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) big = fmaxf(big, ml_s[(w * kDecodeRows + r) * 2]);
    float num = 0.0f, den = 0.0f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) {
      const float mw = ml_s[(w * kDecodeRows + r) * 2];
      if (mw == -INFINITY) continue;
      const float wt = expf(mw - big);
      den += ml_s[(w * kDecodeRows + r) * 2 + 1] * wt;
      num += o_s[(w * kDecodeRows + r) * HD + d] * wt;
    }
    const size_t row = static_cast<size_t>(token) * p.nh + head_base + r;
    if (sp.splits == 1) {
      p.out[row * HD + d] = __float2bfloat16(den > 0.0f ? num / den : 0.0f);
    } else {
      const size_t prow = static_cast<size_t>(split) * rows + row;
      p.partial_out[prow * HD + d] = num;
      if (d == 0) {
        p.partial_ml[prow * 2] = big;
        p.partial_ml[prow * 2 + 1] = den;
      }
    }
  }
#else
  __trap();  // the host never launches this below sm_80
#endif
}

// One block of kCombineThreads per (sequence, head): merges the decode splits of sequences that
// have more than one.
constexpr int kCombineThreads = 64;
__global__ void __launch_bounds__(kCombineThreads)
    attention_decode_combine_kernel(AttentionParams p, int split_keys) {
  pdl_wait();
  pdl_trigger();
  const int seq = p.tile_seq[blockIdx.x];
  if (p.seq_q_len[seq] == 0) return;
  const DecodeSplit sp = decode_split(p.seq_kv_len[seq], p.splits, split_keys);
  if (sp.splits == 1) return;  // written by the attention kernel
  const size_t row = static_cast<size_t>(p.seq_q_start[seq]) * p.nh + blockIdx.y;
  for (int d = threadIdx.x; d < p.hd; d += kCombineThreads)
    p.out[row * p.hd + d] = __float2bfloat16(combine_splits(p, row, d, sp.splits));
}

template <int HD>
bool launch(const AttentionParams& p, int qpt, int hpc, int tiles_per_block, dim3 grid,
            cudaStream_t stream) {
  // Thread-safe once per head_dim; applies to the device current at first use.
  static const bool smem_ok =
      cudaFuncSetAttribute(attention_mma_kernel<HD>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                           static_cast<int>(smem_bytes<HD>())) == cudaSuccess;
  if (!smem_ok) return false;
  attention_mma_kernel<HD>
      <<<grid, kThreads, smem_bytes<HD>(), stream>>>(p, qpt, hpc, tiles_per_block);
  return true;
}

bool device_has_mma() {
  int dev = 0, major = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) return false;
  if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess)
    return false;
  return major >= 8;
}

}  // namespace

namespace {
template <int HD>
bool set_decode_smem() {
  return cudaFuncSetAttribute(attention_decode_mma_kernel<HD>,
                              cudaFuncAttributeMaxDynamicSharedMemorySize,
                              static_cast<int>(decode_smem_bytes<HD>())) == cudaSuccess;
}
template <int HD>
void launch_decode(const AttentionParams& p, int hpc, const DecodeOptions& o, dim3 grid,
                   cudaStream_t stream) {
  launch_kernel(attention_decode_mma_kernel<HD>, grid, dim3(kThreads), decode_smem_bytes<HD>(),
                stream, p, hpc, o.split_keys, o.prefetch);
}
bool g_decode_ready = false;
}  // namespace

int decode_max_splits(int max_kv, int max_splits, int split_keys) {
  if (split_keys < kKeys) return max_splits;
  return decode_split(max_kv, max_splits, split_keys).splits;
}

int decode_split_keys(int blocks, int num_sms) {
  // Short splits (more blocks, a merge) pay while the step's blocks fill less than a quarter of
  // the SMs: batch 1 and 8 of the 0.5B shape +2-3%, batches 32 and 128 -2-3% (run 1).
  return blocks * 4 <= num_sms ? 64 : 256;
}

bool attention_decode_mma_init() {
  if (!device_has_mma()) return false;
  g_decode_ready = set_decode_smem<64>() && set_decode_smem<80>() && set_decode_smem<96>() &&
                   set_decode_smem<128>();
  return g_decode_ready;
}

bool attention_decode_mma(const AttentionParams& p, const DecodeOptions& o, cudaStream_t stream) {
  const int split_keys = o.split_keys;
  if (!g_decode_ready || !attention_mma_supported(p.hd) || p.nkv <= 0 || p.nh % p.nkv != 0 ||
      p.splits < 1 || p.splits > kAttentionMaxSplits || split_keys < kKeys ||
      split_keys % kKeys != 0 || (p.splits > 1 && (!p.partial_out || !p.partial_ml)))
    return false;
  if (p.num_tiles <= 0) return true;
  const int group = p.nh / p.nkv;
  const int hpc = group < kDecodeRows ? group : kDecodeRows;
  const int chunks = (group + hpc - 1) / hpc;
  const dim3 grid(p.num_tiles, p.nkv * chunks, p.splits);
  switch (p.hd) {
    case 64: launch_decode<64>(p, hpc, o, grid, stream); break;
    case 80: launch_decode<80>(p, hpc, o, grid, stream); break;
    case 96: launch_decode<96>(p, hpc, o, grid, stream); break;
    default: launch_decode<128>(p, hpc, o, grid, stream); break;
  }
  if (p.splits > 1)
    launch_kernel(attention_decode_combine_kernel, dim3(p.num_tiles, p.nh),
                  dim3(kCombineThreads), 0, stream, p, split_keys);
  return true;
}

bool attention_mma_supported(int hd) {
  return hd == 64 || hd == 80 || hd == 96 || hd == 128;
}

bool attention_mma(const AttentionParams& p, cudaStream_t stream) {
  if (!attention_mma_supported(p.hd) || p.splits != 1 || p.nkv <= 0 || p.nh % p.nkv != 0)
    return false;
  static const bool has_mma = device_has_mma();
  if (!has_mma) return false;
  if (p.num_tiles <= 0) return true;
  const int group = p.nh / p.nkv;
  const int hpc = group < kRows ? group : kRows;
  const int qpt = attention_queries_per_tile(p.nh, p.nkv);
  if (qpt * hpc > kRows) return false;
  const int tiles_per_block = kRows / (qpt * hpc);
  const int chunks = (group + hpc - 1) / hpc;
  const dim3 grid(p.num_tiles, p.nkv * chunks);
  switch (p.hd) {
    case 64:
      return launch<64>(p, qpt, hpc, tiles_per_block, grid, stream);
    case 80:
      return launch<80>(p, qpt, hpc, tiles_per_block, grid, stream);
    case 96:
      return launch<96>(p, qpt, hpc, tiles_per_block, grid, stream);
    case 128:
      return launch<128>(p, qpt, hpc, tiles_per_block, grid, stream);
    default:
      return false;
  }
}

}  // namespace pagoda::cuda
