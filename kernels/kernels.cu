#include <cfloat>
#include <cmath>

#include "backend/philox.h"
#include "kernels.h"

namespace pagoda::cuda {

namespace {

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Sum over the block; every thread gets the result. scratch holds 32 floats.
__device__ float block_sum(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_sum(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  const int nwarps = (blockDim.x + 31) >> 5;
  float t = lane < nwarps ? scratch[lane] : 0.0f;
  return warp_sum(t);
}

__global__ void embedding_kernel(const int32_t* ids, const bf16* table, float* residual, int hidden,
                                 int vocab) {
  const int t = blockIdx.x;
  const int id = ids[t];
  const bool ok = id >= 0 && id < vocab;
  const bf16* row = table + static_cast<size_t>(ok ? id : 0) * hidden;
  float* dst = residual + static_cast<size_t>(t) * hidden;
  for (int i = threadIdx.x; i < hidden; i += blockDim.x)
    dst[i] = ok ? __bfloat162float(row[i]) : 0.0f;
}

__global__ void add_rmsnorm_kernel(const bf16* delta, float* residual, const bf16* weight,
                                   bf16* out, const int32_t* rows, int hidden, float eps) {
  __shared__ float scratch[32];
  const int i = blockIdx.x;
  const int r = rows ? rows[i] : i;
  float* res = residual + static_cast<size_t>(r) * hidden;
  const bf16* d = delta ? delta + static_cast<size_t>(r) * hidden : nullptr;
  float ss = 0.0f;
  for (int c = threadIdx.x; c < hidden; c += blockDim.x) {
    float x = res[c] + (d ? __bfloat162float(d[c]) : 0.0f);
    if (!rows) res[c] = x;
    ss += x * x;
  }
  const float inv = rsqrtf(block_sum(ss, scratch) / hidden + eps);
  bf16* o = out + static_cast<size_t>(i) * hidden;
  // Each thread re-reads only the columns it wrote, so no barrier is needed before this.
  for (int c = threadIdx.x; c < hidden; c += blockDim.x) {
    float x = rows ? res[c] + (d ? __bfloat162float(d[c]) : 0.0f) : res[c];
    o[c] = __float2bfloat16(x * inv * __bfloat162float(weight[c]));
  }
}

// One warp per head; the head is staged in shared memory so any even head_dim works.
__global__ void rope_store_kernel(RopeStoreParams p) {
  extern __shared__ float rs_smem[];
  const int t = blockIdx.x;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int nwarps = blockDim.x >> 5;
  const int hd = p.hd, half = hd / 2;
  const int heads = p.nh + 2 * p.nkv;
  float* buf = rs_smem + warp * hd;
  const float pos = static_cast<float>(p.positions[t]);
  const int slot = p.slots[t];
  const bf16* row = p.qkv + static_cast<size_t>(t) * heads * hd;
  for (int h = warp; h < heads; h += nwarps) {
    const bool is_q = h < p.nh, is_k = !is_q && h < p.nh + p.nkv;
    for (int d = lane; d < hd; d += 32) {
      float x = __bfloat162float(row[h * hd + d]);
      if (p.bias) x += __bfloat162float(p.bias[h * hd + d]);
      buf[d] = x;
    }
    __syncwarp();
    const bf16* norm_w = is_q ? p.q_norm : (is_k ? p.k_norm : nullptr);
    if (norm_w) {
      float ss = 0.0f;
      for (int d = lane; d < hd; d += 32) ss += buf[d] * buf[d];
      const float inv = rsqrtf(warp_sum(ss) / hd + p.eps);
      __syncwarp();
      for (int d = lane; d < hd; d += 32) buf[d] = buf[d] * inv * __bfloat162float(norm_w[d]);
      __syncwarp();
    }
    if (is_q || is_k) {
      for (int d = lane; d < half; d += 32) {
        float s, c;
        sincosf(pos * p.inv_freq[d], &s, &c);
        c *= p.rope_scale;
        s *= p.rope_scale;
        const float x0 = buf[d], x1 = buf[d + half];
        const float y0 = x0 * c - x1 * s;
        const float y1 = x1 * c + x0 * s;
        buf[d] = y0;  // each lane owns its (d, d + half) pairs
        buf[d + half] = y1;
      }
      __syncwarp();
    }
    bf16* dst;
    if (is_q) {
      dst = p.q_out + (static_cast<size_t>(t) * p.nh + h) * hd;
    } else if (slot >= 0) {
      const int kvh = is_k ? h - p.nh : h - p.nh - p.nkv;
      dst = (is_k ? p.k_cache : p.v_cache) + (static_cast<size_t>(slot) * p.nkv + kvh) * hd;
    } else {
      dst = nullptr;
    }
    if (dst)
      for (int d = lane; d < hd; d += 32) dst[d] = __float2bfloat16(buf[d]);
    __syncwarp();
  }
}

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

template <int DPL>
__global__ void __launch_bounds__(kAttnWarps * 32) attention_kernel(AttentionParams p) {
  constexpr int HDP = DPL * 32;
  extern __shared__ float at_smem[];
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
  int per_split = (kv_total + p.splits - 1) / p.splits;
  per_split = (per_split + kKeysPerTile - 1) / kKeysPerTile * kKeysPerTile;
  const int kv_begin = min(kv_total, split * per_split);
  const int kv_end = min(kv_total, kv_begin + per_split);
  // Valid rows form a prefix: queries of the tile times the chunk's heads.
  const int heads_here = min(hpc, group - chunk * hpc);
  const int valid_rows = (tile_q_end - q0) * heads_here;

  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
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
    __syncthreads();
    if (nv == 0) continue;
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
    float pj[kRowsPerWarp];
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

#pragma unroll
  for (int i = 0; i < kRowsPerWarp; ++i) {
    if (i >= nv) continue;
    const int r = warp + kAttnWarps * i;
    const int head = kvh * group + chunk * hpc + r % heads_here;
    const size_t row = static_cast<size_t>(q_start + q0 + r / heads_here) * p.nh + head;
    if (p.splits == 1) {
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

// One block per (token, head) row: merges the splits' partial softmax states.
__global__ void attention_combine_kernel(AttentionParams p) {
  const size_t row = blockIdx.x;
  const size_t rows = static_cast<size_t>(p.tokens) * p.nh;
  float big = -INFINITY;
  for (int z = 0; z < p.splits; ++z) big = fmaxf(big, p.partial_ml[(z * rows + row) * 2]);
  for (int d = threadIdx.x; d < p.hd; d += blockDim.x) {
    float num = 0.0f, den = 0.0f;
    for (int z = 0; z < p.splits; ++z) {
      const float mz = p.partial_ml[(z * rows + row) * 2];
      if (mz == -INFINITY) continue;
      const float w = __expf(mz - big);
      den += p.partial_ml[(z * rows + row) * 2 + 1] * w;
      num += p.partial_out[(z * rows + row) * p.hd + d] * w;
    }
    p.out[row * p.hd + d] = __float2bfloat16(den > 0.0f ? num / den : 0.0f);
  }
}

__global__ void silu_mul_kernel(const bf16* gate_up, bf16* out, int inter) {
  const size_t t = blockIdx.y;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < inter; i += gridDim.x * blockDim.x) {
    const float g = __bfloat162float(gate_up[t * 2 * inter + i]);
    const float u = __bfloat162float(gate_up[t * 2 * inter + inter + i]);
    out[t * inter + i] = __float2bfloat16(g / (1.0f + __expf(-g)) * u);
  }
}

// Argmax as (value, index) with ties to the lower index.
__device__ __forceinline__ void argmax_merge(float& v, int& i, float ov, int oi) {
  if (ov > v || (ov == v && oi < i)) {
    v = ov;
    i = oi;
  }
}

__global__ void greedy_sample_kernel(float* logits, int vocab, const int32_t* banned,
                                     const int32_t* banned_offsets, int32_t* ids, float* logprobs) {
  __shared__ float sv[32];
  __shared__ int si[32];
  __shared__ float scratch[32];
  const int r = blockIdx.x;
  float* x = logits + static_cast<size_t>(r) * vocab;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int nwarps = blockDim.x >> 5;

  // Raw log-sum-exp: per-thread online max/sum, then block merges.
  float mx = -INFINITY, sum = 0.0f;
  for (int c = threadIdx.x; c < vocab; c += blockDim.x) {
    const float v = x[c];
    if (v > mx) {
      sum = sum * __expf(mx - v) + 1.0f;
      mx = v;
    } else if (v != -INFINITY) {
      sum += __expf(v - mx);
    }
  }
  const float bmax = [&] {
    float m = warp_max(mx);
    __syncthreads();
    if (lane == 0) sv[warp] = m;
    __syncthreads();
    float t = lane < nwarps ? sv[lane] : -INFINITY;
    return warp_max(t);
  }();
  const float scaled = mx == -INFINITY ? 0.0f : sum * __expf(mx - bmax);
  const float total = block_sum(scaled, scratch);
  const float lse = bmax + logf(total);

  __syncthreads();
  if (banned_offsets) {
    for (int k = banned_offsets[r] + threadIdx.x; k < banned_offsets[r + 1]; k += blockDim.x) {
      const int id = banned[k];
      if (id >= 0 && id < vocab) x[id] = -INFINITY;
    }
  }
  __syncthreads();
  float bv = -INFINITY;
  int bi = 0x7fffffff;
  for (int c = threadIdx.x; c < vocab; c += blockDim.x) argmax_merge(bv, bi, x[c], c);
  for (int o = 16; o > 0; o >>= 1) {
    const float ov = __shfl_xor_sync(0xffffffffu, bv, o);
    const int oi = __shfl_xor_sync(0xffffffffu, bi, o);
    argmax_merge(bv, bi, ov, oi);
  }
  __syncthreads();
  if (lane == 0) {
    sv[warp] = bv;
    si[warp] = bi;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    float v = sv[0];
    int i = si[0];
    for (int w = 1; w < nwarps; ++w) argmax_merge(v, i, sv[w], si[w]);
    if (i < 0 || i >= vocab) i = 0;  // every logit -inf: the reference also answers 0
    ids[r] = i;
    // The chosen id was not banned unless everything was, so its logit is still the raw one.
    logprobs[r] = x[i] == -INFINITY ? -INFINITY : x[i] - lse;
  }
}

// Decode-sized products: one warp per output row streams the weight row once with 16-byte loads
// and dots it with every token's row (M <= 4, K % 8 == 0).
template <int M, bool F32>
__global__ void __launch_bounds__(128)
    gemv_kernel(const bf16* x, const bf16* w, void* y, int n_rows, int k) {
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int n = blockIdx.x * 4 + warp;
  if (n >= n_rows) return;
  const uint4* wr = reinterpret_cast<const uint4*>(w + static_cast<size_t>(n) * k);
  const int chunks = k / 8;
  float acc[M];
#pragma unroll
  for (int m = 0; m < M; ++m) acc[m] = 0.0f;
#pragma unroll 4
  for (int c = lane; c < chunks; c += 32) {
    const uint4 wv = __ldg(wr + c);
    const __nv_bfloat162* w2 = reinterpret_cast<const __nv_bfloat162*>(&wv);
#pragma unroll
    for (int m = 0; m < M; ++m) {
      const uint4 xv = __ldg(reinterpret_cast<const uint4*>(x + static_cast<size_t>(m) * k) + c);
      const __nv_bfloat162* x2 = reinterpret_cast<const __nv_bfloat162*>(&xv);
#pragma unroll
      for (int u = 0; u < 4; ++u) {
        const float2 wf = __bfloat1622float2(w2[u]);
        const float2 xf = __bfloat1622float2(x2[u]);
        acc[m] += wf.x * xf.x + wf.y * xf.y;
      }
    }
  }
#pragma unroll
  for (int m = 0; m < M; ++m) acc[m] = warp_sum(acc[m]);
  if (lane == 0) {
#pragma unroll
    for (int m = 0; m < M; ++m) {
      if (F32)
        static_cast<float*>(y)[static_cast<size_t>(m) * n_rows + n] = acc[m];
      else
        static_cast<bf16*>(y)[static_cast<size_t>(m) * n_rows + n] = __float2bfloat16(acc[m]);
    }
  }
}

__global__ void fill_random_kernel(bf16* out, size_t n, uint64_t seed, float scale, float offset) {
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x)
    out[i] = __float2bfloat16(offset + scale * (2.0f * uniform_draw(seed, i) - 1.0f));
}

}  // namespace

void embedding(const int32_t* ids, const bf16* table, float* residual, int tokens, int hidden,
               int vocab, cudaStream_t stream) {
  if (tokens <= 0) return;
  embedding_kernel<<<tokens, 256, 0, stream>>>(ids, table, residual, hidden, vocab);
}

void add_rmsnorm(const bf16* delta, float* residual, const bf16* weight, bf16* out,
                 const int32_t* rows, int num_rows, int hidden, float eps, cudaStream_t stream) {
  if (num_rows <= 0) return;
  const int threads = hidden >= 4096 ? 1024 : (hidden >= 1024 ? 512 : 128);
  add_rmsnorm_kernel<<<num_rows, threads, 0, stream>>>(delta, residual, weight, out, rows, hidden,
                                                       eps);
}

void rope_store(const RopeStoreParams& p, cudaStream_t stream) {
  if (p.tokens <= 0) return;
  const int heads = p.nh + 2 * p.nkv;
  const int warps = heads < 16 ? heads : 16;
  rope_store_kernel<<<p.tokens, warps * 32, warps * p.hd * sizeof(float), stream>>>(p);
}

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
  attention_kernel<DPL><<<grid, kAttnWarps * 32, attention_smem_bytes<DPL>(p.hd), stream>>>(p);
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
  if (p.hd <= 32)
    launch_attention<1>(p, grid, stream);
  else if (p.hd <= 64)
    launch_attention<2>(p, grid, stream);
  else if (p.hd <= 96)
    launch_attention<3>(p, grid, stream);
  else if (p.hd <= 128)
    launch_attention<4>(p, grid, stream);
  else
    launch_attention<8>(p, grid, stream);
  if (p.splits > 1) {
    const int threads = p.hd < 128 ? 64 : 128;
    attention_combine_kernel<<<p.tokens * p.nh, threads, 0, stream>>>(p);
  }
}

void silu_mul(const bf16* gate_up, bf16* out, int tokens, int inter, cudaStream_t stream) {
  if (tokens <= 0) return;
  const int threads = 256;
  const dim3 grid((inter + threads - 1) / threads, tokens);
  silu_mul_kernel<<<grid, threads, 0, stream>>>(gate_up, out, inter);
}

void greedy_sample(float* logits, int rows, int vocab, const int32_t* banned,
                   const int32_t* banned_offsets, int32_t* ids, float* logprobs,
                   cudaStream_t stream) {
  if (rows <= 0) return;
  greedy_sample_kernel<<<rows, 1024, 0, stream>>>(logits, vocab, banned, banned_offsets, ids,
                                                  logprobs);
}

bool gemm_small_m(const bf16* x, const bf16* w, void* y, int m, int n, int k, bool out_f32,
                  cudaStream_t stream) {
  if (m < 1 || m > 4 || k % 8 != 0) return false;
  const dim3 grid((n + 3) / 4);
#define PAGODA_GEMV(M)                                                \
  if (m == M) {                                                       \
    if (out_f32)                                                      \
      gemv_kernel<M, true><<<grid, 128, 0, stream>>>(x, w, y, n, k);  \
    else                                                              \
      gemv_kernel<M, false><<<grid, 128, 0, stream>>>(x, w, y, n, k); \
  }
  PAGODA_GEMV(1)
  PAGODA_GEMV(2)
  PAGODA_GEMV(3)
  PAGODA_GEMV(4)
#undef PAGODA_GEMV
      return true;
}

void fill_random_bf16(bf16* out, size_t n, uint64_t seed, float scale, float offset,
                      cudaStream_t stream) {
  if (n == 0) return;
  fill_random_kernel<<<1024, 256, 0, stream>>>(out, n, seed, scale, offset);
}

}  // namespace pagoda::cuda
