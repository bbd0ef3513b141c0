// Paged attention on CUDA cores (decode and split-KV), with the combine of the KV splits.
#include "kernels/attention_splits.cuh"
#include "kernels/kernel_common.cuh"

namespace pagoda::cuda {

namespace {

// ---- attention ----
// A block holds 32 query rows (queries x heads of one KV head) in 4 warps of 8 rows; it walks
// its share of the KV sequence in tiles of 32 keys staged in shared memory (K rows padded by one
// float against bank conflicts), with an online softmax per row. Lane j scores key j; each lane
// accumulates dims lane + 32 i of the output.
constexpr int kAttnWarps = 4;
constexpr int kRowsPerWarp = 8;
constexpr int kAttnRows = kAttnWarps * kRowsPerWarp;
constexpr int kKeysPerTile = 32;

template <int DPL>
size_t attention_smem_bytes(int hd) {
  constexpr int hdp = DPL * 32;
  return sizeof(float) * (kAttnRows * kKeysPerTile + kAttnRows * hdp + kKeysPerTile * (hd + 1) +
                          kKeysPerTile * hdp);
}

// Where one block's rows come from: the tile's sequence, its KV head and head chunk.
struct AttnRows {
  int seq, kvh, group, hpc, chunk, heads_here, q_start, q0;
};

// The block's query rows into q_s, scaled (rows past valid_rows and columns past hd are zero).
template <int DPL>
__device__ __forceinline__ void load_queries(const AttentionParams& p, const AttnRows& b,
                                             int valid_rows, float* q_s) {
  constexpr int HDP = DPL * 32;
  const int hd = p.hd;
  const int kvh = b.kvh, group = b.group, chunk = b.chunk, hpc = b.hpc;
  const int heads_here = b.heads_here, q_start = b.q_start, q0 = b.q0;
  for (int e = threadIdx.x; e < kAttnRows * HDP; e += blockDim.x) {
    const int r = e / HDP, d = e % HDP;
    float v = 0.0f;
    if (d < hd && r < valid_rows) {
      const int head = kvh * group + chunk * hpc + r % heads_here;
      v = __bfloat162float(
              p.q[(static_cast<size_t>(q_start + q0 + r / heads_here) * p.nh + head) * hd + d]) *
          p.scale;
    }
    q_s[e] = v;
  }
}

// Keys and values kt .. kt + 31 (zero past kv_end) of the block's KV head into k_s and v_s.
template <int DPL>
__device__ __forceinline__ void load_kv_tile(const AttentionParams& p, int seq, int kvh, int kt,
                                             int kv_end, bool vec8, float* k_s, float* v_s) {
  constexpr int HDP = DPL * 32;
  const int hd = p.hd;
  if (vec8) {
    // All of this thread's 16-byte K and V loads are issued before any is used, so a tile
    // costs one memory latency rather than one per load (decode is latency-bound here).
    constexpr int kLoads = (kKeysPerTile * HDP / 8 + kAttnWarps * 32 - 1) / (kAttnWarps * 32);
    const int units = hd / 8;
    uint4 kr[kLoads], vr[kLoads];
#pragma unroll
    for (int u = 0; u < kLoads; ++u) {
      const int e = threadIdx.x + u * kAttnWarps * 32;
      const int j = e / units, pos = kt + j;
      kr[u] = vr[u] = make_uint4(0, 0, 0, 0);
      if (e < kKeysPerTile * units && pos < kv_end) {
        const int blk =
            p.block_tables[static_cast<size_t>(seq) * p.block_table_stride + pos / p.block_size];
        const size_t off =
            ((static_cast<size_t>(blk) * p.block_size + pos % p.block_size) * p.nkv + kvh) * hd +
            (e % units) * 8;
        kr[u] = *reinterpret_cast<const uint4*>(p.k_cache + off);
        vr[u] = *reinterpret_cast<const uint4*>(p.v_cache + off);
      }
    }
#pragma unroll
    for (int u = 0; u < kLoads; ++u) {
      const int e = threadIdx.x + u * kAttnWarps * 32;
      if (e >= kKeysPerTile * units) break;
      const int j = e / units, d = (e % units) * 8;
      const bf16* kb = reinterpret_cast<const bf16*>(&kr[u]);
      const bf16* vb = reinterpret_cast<const bf16*>(&vr[u]);
      float vf[8];
#pragma unroll
      for (int c = 0; c < 8; ++c) {
        k_s[j * (hd + 1) + d + c] = __bfloat162float(kb[c]);
        vf[c] = __bfloat162float(vb[c]);
      }
      *reinterpret_cast<float4*>(&v_s[j * HDP + d]) = make_float4(vf[0], vf[1], vf[2], vf[3]);
      *reinterpret_cast<float4*>(&v_s[j * HDP + d + 4]) = make_float4(vf[4], vf[5], vf[6], vf[7]);
    }
  } else {
    for (int e = threadIdx.x; e < kKeysPerTile * hd; e += blockDim.x) {
      const int j = e / hd, d = e % hd;
      const int pos = kt + j;
      float kv = 0.0f, vv = 0.0f;
      if (pos < kv_end) {
        const int blk =
            p.block_tables[static_cast<size_t>(seq) * p.block_table_stride + pos / p.block_size];
        const size_t off =
            ((static_cast<size_t>(blk) * p.block_size + pos % p.block_size) * p.nkv + kvh) * hd +
            d;
        kv = __bfloat162float(p.k_cache[off]);
        vv = __bfloat162float(p.v_cache[off]);
      }
      k_s[j * (hd + 1) + d] = kv;
      v_s[j * HDP + d] = vv;
    }
  }
}

// The scores of this lane's key for the warp's rows, and the online softmax step: returns the
// rows' weights in pj and rescales m, l and acc.
template <int DPL>
__device__ __forceinline__ void score_tile(const float* q_s, const float* k_s, int hd, int hd4,
                                           int kt, int kv_end, int nv, int warp, int lane,
                                           const int (&row_pos)[kRowsPerWarp],
                                           float (&m)[kRowsPerWarp], float (&l)[kRowsPerWarp],
                                           float (&acc)[kRowsPerWarp][DPL],
                                           float (&pj)[kRowsPerWarp]) {
  constexpr int HDP = DPL * 32;
  const int key_pos = kt + lane;
  float s[kRowsPerWarp];
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i) s[i] = 0.0f;
  const float* krow = k_s + lane * (hd + 1);
  for (int d = 0; d < hd4; d += 4) {
    const float k0 = krow[d], k1 = krow[d + 1], k2 = krow[d + 2], k3 = krow[d + 3];
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) {
      if (i < nv) {
        const float4 q =
            *reinterpret_cast<const float4*>(&q_s[(warp + kAttnWarps * i) * HDP + d]);
        s[i] += q.x * k0 + q.y * k1 + q.z * k2 + q.w * k3;
      }
    }
  }
  for (int d = hd4; d < hd; ++d) {
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i)
      if (i < nv) s[i] += q_s[(warp + kAttnWarps * i) * HDP + d] * krow[d];
  }
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i) {
    pj[i] = 0.0f;
    if (i >= nv) continue;
    const bool valid = key_pos < kv_end && key_pos <= row_pos[i];
    const float si = valid ? s[i] : -INFINITY;
    const float m_new = fmaxf(m[i], warp_max(si));
    if (m_new == -INFINITY) continue;  // uniform across the warp
    pj[i] = valid ? __expf(si - m_new) : 0.0f;
    const float corr = __expf(m[i] - m_new);
    l[i] = l[i] * corr + warp_sum(pj[i]);
    m[i] = m_new;
#pragma unroll
    for (int dd = 0; dd < DPL; ++dd) acc[i][dd] *= corr;
  }
}

// acc += P V for the warp's rows over the tile's 32 keys.
template <int DPL>
__device__ __forceinline__ void accumulate_pv(float* p_s, const float* v_s, int nv, int warp,
                                              int lane, const float (&pj)[kRowsPerWarp],
                                              float (&acc)[kRowsPerWarp][DPL]) {
  constexpr int HDP = DPL * 32;
  // P.V with the weights in shared memory: one 16-byte broadcast read gives four keys' weights
  // (a shuffle per key and row made this loop shuffle-bound).
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i)
    if (i < nv) p_s[(warp + kAttnWarps * i) * kKeysPerTile + lane] = pj[i];
  __syncwarp();
  for (int j = 0; j < kKeysPerTile; j += 4) {
    float v[4][DPL];
#pragma unroll
    for (int u = 0; u < 4; ++u)
#pragma unroll
      for (int dd = 0; dd < DPL; ++dd) v[u][dd] = v_s[(j + u) * HDP + lane + 32 * dd];
#pragma unroll
    for (int i = 0; i < kRowsPerWarp; ++i) {
      if (i < nv) {
        const float4 w =
            *reinterpret_cast<const float4*>(&p_s[(warp + kAttnWarps * i) * kKeysPerTile + j]);
#pragma unroll
        for (int dd = 0; dd < DPL; ++dd)
          acc[i][dd] += w.x * v[0][dd] + w.y * v[1][dd] + w.z * v[2][dd] + w.w * v[3][dd];
      }
    }
  }
}

// The warp's rows out: normalized bf16 unsplit, else the split's partial output and (m, l).
template <int DPL>
__device__ __forceinline__ void store_rows(const AttentionParams& p, const AttnRows& b, int split,
                                           int splits, int nv, int warp, int lane,
                                           const float (&m)[kRowsPerWarp],
                                           const float (&l)[kRowsPerWarp],
                                           const float (&acc)[kRowsPerWarp][DPL]) {
  const int hd = p.hd;
  const int kvh = b.kvh, group = b.group, chunk = b.chunk, hpc = b.hpc;
  const int heads_here = b.heads_here, q_start = b.q_start, q0 = b.q0;
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i) {
    if (i >= nv) continue;
    const int r = warp + kAttnWarps * i;
    const int head = kvh * group + chunk * hpc + r % heads_here;
    const size_t row = static_cast<size_t>(q_start + q0 + r / heads_here) * p.nh + head;
    if (splits == 1) {
      const float inv = l[i] > 0.0f ? 1.0f / l[i] : 0.0f;
#pragma unroll
      for (int dd = 0; dd < DPL; ++dd) {
        const int d = lane + 32 * dd;
        if (d < hd) p.out[row * hd + d] = __float2bfloat16(acc[i][dd] * inv);
      }
    } else {
      const size_t prow = static_cast<size_t>(split) * p.tokens * p.nh + row;
#pragma unroll
      for (int dd = 0; dd < DPL; ++dd) {
        const int d = lane + 32 * dd;
        if (d < hd) p.partial_out[prow * hd + d] = acc[i][dd];
      }
      if (lane == 0) {
        p.partial_ml[prow * 2] = m[i];
        p.partial_ml[prow * 2 + 1] = l[i];
      }
    }
  }
}

template <int DPL>
__global__ void __launch_bounds__(kAttnWarps * 32) attention_kernel(AttentionParams p) {
  constexpr int HDP = DPL * 32;
  extern __shared__ float at_smem[];
  pdl_wait();
  pdl_trigger();
  const int hd = p.hd;
  float* p_s = at_smem;                         // [32 rows][32 keys] softmax weights
  float* q_s = p_s + kAttnRows * kKeysPerTile;  // [32][HDP]
  float* k_s = q_s + kAttnRows * HDP;           // [32][hd + 1]
  float* v_s = k_s + kKeysPerTile * (hd + 1);   // [32][HDP]

  const int tile = blockIdx.x;
  const int group = p.nh / p.nkv;
  const int hpc = min(group, kAttnRows);  // heads per chunk
  const int chunks = (group + hpc - 1) / hpc;
  const int kvh = blockIdx.y / chunks, chunk = blockIdx.y % chunks;
  const int qpt = max(1, kAttnRows / hpc);
  const int split = blockIdx.z;

  const int seq = p.tile_seq[tile];
  const int q0 = p.tile_q0[tile];
  const int q_len = p.seq_q_len[seq];
  const int kv_len = p.seq_kv_len[seq];
  const int q_start = p.seq_q_start[seq];
  if (q0 >= q_len) return;                 // padding
  const int first_q_pos = kv_len - q_len;  // absolute position of the chunk's first query
  const int tile_q_end = min(q_len, q0 + qpt);
  const int kv_total = min(kv_len, first_q_pos + tile_q_end);
  const int splits = p.splits;
  int per_split = (kv_total + splits - 1) / splits;
  per_split = (per_split + kKeysPerTile - 1) / kKeysPerTile * kKeysPerTile;
  const int kv_begin = min(kv_total, split * per_split);
  const int kv_end = min(kv_total, kv_begin + per_split);
  // Valid rows form a prefix: queries of the tile times the chunk's heads.
  const int heads_here = min(hpc, group - chunk * hpc);
  const int valid_rows = (tile_q_end - q0) * heads_here;

  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const AttnRows rows{seq, kvh, group, hpc, chunk, heads_here, q_start, q0};
  load_queries<DPL>(p, rows, valid_rows, q_s);
  for (int e = threadIdx.x; e < kKeysPerTile * (HDP - hd); e += blockDim.x)
    v_s[(e / (HDP - hd)) * HDP + hd + e % (HDP - hd)] = 0.0f;  // padding columns, never loaded
  // Rows of this warp: warp + 4 i for i < nv.
  const int nv = valid_rows > warp ? (valid_rows - warp + kAttnWarps - 1) / kAttnWarps : 0;
  float m[kRowsPerWarp], l[kRowsPerWarp], acc[kRowsPerWarp][DPL];
  int row_pos[kRowsPerWarp];  // absolute position of the row's query
#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i) {
    m[i] = -INFINITY;
    l[i] = 0.0f;
#pragma unroll
    for (int j = 0; j < DPL; ++j) acc[i][j] = 0.0f;
    row_pos[i] = first_q_pos + q0 + (warp + kAttnWarps * i) / heads_here;
  }
  const bool vec8 = (hd & 7) == 0;
  const int hd4 = hd & ~3;

  for (int kt = kv_begin; kt < kv_end; kt += kKeysPerTile) {
    __syncthreads();  // previous tile consumed (and q_s written, on the first pass)
    load_kv_tile<DPL>(p, seq, kvh, kt, kv_end, vec8, k_s, v_s);
    __syncthreads();
    if (nv == 0) continue;
    float pj[kRowsPerWarp];
    score_tile<DPL>(q_s, k_s, hd, hd4, kt, kv_end, nv, warp, lane, row_pos, m, l, acc, pj);
    accumulate_pv<DPL>(p_s, v_s, nv, warp, lane, pj, acc);
  }

  store_rows<DPL>(p, rows, split, splits, nv, warp, lane, m, l, acc);
}

// One block per (token, head) row: merges the splits' partial softmax states.
__global__ void attention_combine_kernel(AttentionParams p) {
  pdl_wait();
  pdl_trigger();
  const size_t row = blockIdx.x;
  for (int d = threadIdx.x; d < p.hd; d += blockDim.x)
    p.out[row * p.hd + d] = __float2bfloat16(combine_splits(p, row, d, p.splits));
}

}  // namespace

int attention_queries_per_tile(int nh, int nkv) {
  const int group = nh / nkv;
  const int hpc = group < kAttnRows ? group : kAttnRows;
  return kAttnRows / hpc > 1 ? kAttnRows / hpc : 1;
}

namespace {
template <int DPL>
void set_attention_smem() {
  cudaFuncSetAttribute(attention_kernel<DPL>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                       static_cast<int>(attention_smem_bytes<DPL>(DPL * 32)));
}
template <int DPL>
void launch_attention(const AttentionParams& p, dim3 grid, cudaStream_t stream) {
  launch_kernel(attention_kernel<DPL>, grid, dim3(kAttnWarps * 32), attention_smem_bytes<DPL>(p.hd),
                stream, p);
}
}  // namespace

void attention_init() {
  set_attention_smem<1>();
  set_attention_smem<2>();
  set_attention_smem<3>();
  set_attention_smem<4>();
  set_attention_smem<8>();
}

void attention(const AttentionParams& p, cudaStream_t stream) {
  if (p.num_tiles <= 0) return;
  const int group = p.nh / p.nkv;
  const int hpc = group < kAttnRows ? group : kAttnRows;
  const int chunks = (group + hpc - 1) / hpc;
  const dim3 grid(p.num_tiles, p.nkv * chunks, p.splits);
  const AttentionParams& pp = p;
  if (p.hd <= 32)
    launch_attention<1>(pp, grid, stream);
  else if (p.hd <= 64)
    launch_attention<2>(pp, grid, stream);
  else if (p.hd <= 96)
    launch_attention<3>(pp, grid, stream);
  else if (p.hd <= 128)
    launch_attention<4>(pp, grid, stream);
  else
    launch_attention<8>(pp, grid, stream);
  if (p.splits > 1) {
    const int threads = p.hd < 128 ? 64 : 128;
    launch_kernel(attention_combine_kernel, dim3(p.tokens * p.nh), dim3(threads), 0, stream, pp);
  }
}

}  // namespace pagoda::cuda
