// GPU sampling, one block per row: the reference sampler's steps (engine/backend/sampler.cpp) in
// the same order and float/double arithmetic, but without sorting. Every "first n tokens in
// descending order" of the reference becomes a threshold on a unique 64-bit key (value bits,
// then the inverted id, so ties go to the lower id), found by a radix descent over 8-bit digits:
// by count for top-k, by probability mass for top-p and for the inverse-CDF draw.
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <algorithm>

#include "engine/backend/greedy.h"
#include "kernels/sampling.h"

namespace pagoda::cuda {

namespace {

constexpr int kThreads = 512;
constexpr int kWarps = kThreads / 32;

struct SelectShared {
  unsigned count[256];
  double mass[256];
  double stage[kThreads];  // per-lane masses, summed by the lane that adds a warp's bin
  float red_value[kWarps];
  int red_id[kWarps];
  double red_sum[kWarps];
  unsigned long long prefix, result;
  double target;
  long long remaining;
  int state;  // 0: descend further, 1: prefix is the threshold, 2: one element left
  int top_n;
  unsigned long long top_keys[kMaxTopLogprobs];
  float token_raw;
};

// Larger float, larger key; -0 and +0 are one value, as in the reference's comparisons.
__device__ __forceinline__ uint32_t ordered_bits(float f) {
  if (f == 0.0f) f = 0.0f;
  const uint32_t b = __float_as_uint(f);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}
// Unique key in the reference's order: higher value first, ties by lower id.
__device__ __forceinline__ uint64_t order_key(float v, int id) {
  return (static_cast<uint64_t>(ordered_bits(v)) << 32) | (0xFFFFFFFFu - static_cast<uint32_t>(id));
}
__device__ __forceinline__ int key_id(uint64_t key) {
  return static_cast<int>(0xFFFFFFFFu - static_cast<uint32_t>(key));
}

__device__ __forceinline__ void argmax_merge(float& v, int& i, float ov, int oi) {
  if (ov > v || (ov == v && oi < i)) {
    v = ov;
    i = oi;
  }
}

// Every thread gets the block's (max value, lowest id).
__device__ void block_argmax(float& v, int& i, SelectShared& sm) {
  for (int o = 16; o > 0; o >>= 1)
    argmax_merge(v, i, __shfl_xor_sync(0xffffffffu, v, o), __shfl_xor_sync(0xffffffffu, i, o));
  __syncthreads();
  if ((threadIdx.x & 31) == 0) {
    sm.red_value[threadIdx.x >> 5] = v;
    sm.red_id[threadIdx.x >> 5] = i;
  }
  __syncthreads();
  v = sm.red_value[0];
  i = sm.red_id[0];
  for (int w = 1; w < kWarps; ++w) argmax_merge(v, i, sm.red_value[w], sm.red_id[w]);
}

// Every thread gets the same sum (the warps are added in one order).
__device__ double block_sum(double v, SelectShared& sm) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  __syncthreads();
  if ((threadIdx.x & 31) == 0) sm.red_sum[threadIdx.x >> 5] = v;
  __syncthreads();
  double t = 0;
  for (int w = 0; w < kWarps; ++w) t += sm.red_sum[w];
  return t;
}

// The raw logits, for the top logprobs.
struct RawTokens {
  const float* x;
  __device__ bool operator()(int i, uint64_t mask, uint64_t prefix, uint64_t& key, double&) const {
    key = order_key(x[i], i);
    return (key & mask) == prefix;
  }
};

// The tokens still kept after the filters set so far, with their unnormalised probability
// exp(scaled - max) (the most likely token has 1), computed as the reference does.
struct KeptTokens {
  const float* x;
  float temperature;
  float max_scaled;
  int top_id;
  uint64_t top_k_min = 0;  // keys below are cut by top-k
  uint64_t top_p_min = 0;  // and by top-p
  float min_p = 0.0f;
  // Tokens whose key lies outside (key & mask) == prefix are skipped before the exp.
  __device__ bool operator()(int i, uint64_t mask, uint64_t prefix, uint64_t& key,
                             double& prob) const {
    const float l = x[i];
    if (l == -INFINITY) return false;
    const float scaled = __fdiv_rn(l, temperature);  // rounded as on the host
    key = order_key(scaled, i);
    if (key < top_k_min || key < top_p_min || (key & mask) != prefix) return false;
    prob = exp(static_cast<double>(scaled) - static_cast<double>(max_scaled));
    return !(min_p > 0.0f && i != top_id && prob < static_cast<double>(min_p));
  }
};

// Radix descent over the keys of the included tokens. By count: the key C with exactly k
// included keys >= C. By mass: the key of the first token in descending order at which the
// cumulative mass reaches target (>=, or > when strict); if it never does, the last token.
template <bool kByMass, class Tokens>
__device__ uint64_t radix_select(const Tokens& tokens, int n, long long k, double target,
                                 bool strict, SelectShared& sm) {
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  uint64_t prefix = 0, mask = 0;
  if (tid == 0) {
    sm.remaining = k;
    sm.target = target;
  }
  for (int shift = 56; shift >= 0; shift -= 8) {
    for (int b = tid; b < 256; b += kThreads) {
      sm.count[b] = 0;
      sm.mass[b] = 0;
    }
    __syncthreads();
    for (int base = 0; base < n; base += kThreads) {
      const int i = base + tid;
      uint64_t key = 0;
      double m = 0;
      const bool in = i < n && tokens(i, mask, prefix, key, m);
      const int bin = in ? static_cast<int>((key >> shift) & 255) : 256;
      // One shared atomic per distinct bin of a warp: the logits crowd into a few bins.
      const unsigned peers = __match_any_sync(0xffffffffu, bin);
      const int leader = __ffs(peers) - 1;
      if (kByMass) {
        sm.stage[tid] = in ? m : 0.0;
        __syncwarp();
      }
      if (in && lane == leader) {
        atomicAdd(&sm.count[bin], static_cast<unsigned>(__popc(peers)));
        if (kByMass) {
          double s = 0;
          for (unsigned p = peers; p; p &= p - 1) s += sm.stage[(warp << 5) + __ffs(p) - 1];
          atomicAdd(&sm.mass[bin], s);
        }
      }
      if (kByMass) __syncwarp();
    }
    __syncthreads();
    if (tid == 0) {
      int chosen = -1, lowest = -1;
      if (kByMass) {
        const double t = sm.target;
        double above = 0;
        for (int b = 255; b >= 0; --b) {
          if (sm.count[b] == 0) continue;
          lowest = b;
          const double with = above + sm.mass[b];
          if (strict ? with > t : with >= t) {
            chosen = b;
            sm.target = t - above;
            break;
          }
          above = with;
        }
        if (chosen < 0 && lowest >= 0) {
          chosen = lowest;
          sm.target = INFINITY;  // never reached: keep descending to the last token
        }
      } else {
        const long long need = sm.remaining;
        long long above = 0;
        for (int b = 255; b >= 0; --b) {
          if (sm.count[b] == 0) continue;
          lowest = b;
          if (above + sm.count[b] >= need) {
            chosen = b;
            sm.remaining = need - above;
            break;
          }
          above += sm.count[b];
        }
        if (chosen < 0 && lowest >= 0) {
          chosen = lowest;
          sm.remaining = sm.count[lowest];
        }
      }
      if (chosen < 0) {  // nothing included
        sm.prefix = prefix;
        sm.state = 1;
      } else {
        sm.prefix = prefix | (static_cast<uint64_t>(chosen) << shift);
        if (!kByMass && static_cast<long long>(sm.count[chosen]) == sm.remaining)
          sm.state = 1;  // the whole bin is in: its lowest possible key is the threshold
        else
          sm.state = sm.count[chosen] == 1 ? 2 : 0;
      }
    }
    __syncthreads();
    prefix = sm.prefix;
    mask |= 0xFFull << shift;
    const int state = sm.state;
    if (state == 1) return prefix;
    if (state == 2) {  // one pass finds the single token under the prefix
      for (int i = tid; i < n; i += kThreads) {
        uint64_t key = 0;
        double m = 0;
        if (tokens(i, mask, prefix, key, m)) sm.result = key;
      }
      __syncthreads();
      const uint64_t result = sm.result;
      __syncthreads();
      return result;
    }
  }
  return prefix;
}

// The row's num_top most likely raw tokens, descending, with their raw logprobs (logit - lse).
__device__ __forceinline__ void write_top_logprobs(const float* x, int vocab, int num_top,
                                                   double lse, int r, int32_t* top_ids,
                                                   float* top_logprobs, SelectShared& sm) {
  const int tid = threadIdx.x;
  const uint64_t threshold = radix_select<false>(RawTokens{x}, vocab, num_top, 0.0, false, sm);
  if (tid == 0) sm.top_n = 0;
  __syncthreads();
  for (int i = tid; i < vocab; i += kThreads) {
    const uint64_t key = order_key(x[i], i);
    if (key >= threshold) {
      const int slot = atomicAdd(&sm.top_n, 1);
      if (slot < kMaxTopLogprobs) sm.top_keys[slot] = key;
    }
  }
  __syncthreads();
  if (tid == 0) {
    const int n = min(sm.top_n, num_top);
    for (int a = 1; a < n; ++a)  // at most 20: insertion sort, descending
      for (int b = a; b > 0 && sm.top_keys[b] > sm.top_keys[b - 1]; --b) {
        const unsigned long long t = sm.top_keys[b];
        sm.top_keys[b] = sm.top_keys[b - 1];
        sm.top_keys[b - 1] = t;
      }
    for (int j = 0; j < n; ++j) {
      const int id = key_id(sm.top_keys[j]);
      top_ids[static_cast<size_t>(r) * kMaxTopLogprobs + j] = id;
      top_logprobs[static_cast<size_t>(r) * kMaxTopLogprobs + j] =
          static_cast<float>(static_cast<double>(x[id]) - lse);
    }
  }
  __syncthreads();
}

// Penalties and bans in place; each id occurs once per row, so no two threads share one.
// The _rn intrinsics keep nvcc from fusing into FMAs the host does not use.
__device__ __forceinline__ void apply_penalties(float* x, int vocab, const SamplingRowParams& p,
                                                PenaltyEntry* entries) {
  const int tid = threadIdx.x;
  for (int e = p.entry_begin + tid; e < p.entry_end; e += kThreads) {
    PenaltyEntry& entry = entries[e];
    const int id = entry.id;
    if (id < 0 || id >= vocab) continue;
    float l = x[id];
    entry.raw_logit = l;
    if (entry.flags & kPenaltyRepeat)
      l = l > 0.0f ? __fdiv_rn(l, p.repetition_penalty) : __fmul_rn(l, p.repetition_penalty);
    if (entry.output_count > 0)
      l = __fsub_rn(
          l, __fadd_rn(__fmul_rn(p.frequency_penalty, static_cast<float>(entry.output_count)),
                       p.presence_penalty));
    if (entry.flags & kPenaltyBan) l = -INFINITY;
    x[id] = l;
  }
}

constexpr int kStatsThreads = 256;

// Block (segment s, row r): the grammar's mask over the segment before anything else, as the
// reference sampler, then the segment's maximum and sum of exp(x - max).
__global__ void __launch_bounds__(kStatsThreads)
    row_stats_kernel(float* logits, int vocab, const SamplingRowParams* params,
                     const uint32_t* masks, RowSegmentStats* stats) {
  __shared__ float red_value[kStatsThreads / 32];
  __shared__ int red_id[kStatsThreads / 32];
  __shared__ double red_sum[kStatsThreads / 32];
  const int r = blockIdx.y, s = blockIdx.x, segments = gridDim.x, tid = threadIdx.x;
  const SamplingRowParams p = params[r];
  if (p.skip) return;
  float* x = logits + static_cast<size_t>(r) * vocab;
  const int len = (vocab + segments - 1) / segments;
  const int begin = min(vocab, s * len), end = min(vocab, begin + len);
  float best = -INFINITY;
  int best_id = INT_MAX;
  const uint32_t* mask = masks + p.mask_offset;
  for (int i = begin + tid; i < end; i += kStatsThreads) {
    float v = x[i];
    if (p.mask_words > 0) {
      const int w = i >> 5;
      if (w >= p.mask_words || !((mask[w] >> (i & 31)) & 1u)) x[i] = v = -INFINITY;
    }
    argmax_merge(best, best_id, v, i);
  }
  const int lane = tid & 31, warp = tid >> 5;
  for (int o = 16; o > 0; o >>= 1)
    argmax_merge(best, best_id, __shfl_xor_sync(0xffffffffu, best, o),
                 __shfl_xor_sync(0xffffffffu, best_id, o));
  if (lane == 0) red_value[warp] = best, red_id[warp] = best_id;
  __syncthreads();
  best = red_value[0], best_id = red_id[0];
  for (int w = 1; w < kStatsThreads / 32; ++w) argmax_merge(best, best_id, red_value[w], red_id[w]);
  double sum = 0;
  if (best != -INFINITY)
    for (int i = begin + tid; i < end; i += kStatsThreads)
      sum += exp(static_cast<double>(x[i] - best));
  for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, o);
  if (lane == 0) red_sum[warp] = sum;
  __syncthreads();
  if (tid == 0) {
    double t = 0;
    for (int w = 0; w < kStatsThreads / 32; ++w) t += red_sum[w];
    stats[static_cast<size_t>(r) * segments + s] = {t, best, best_id};
  }
}

__global__ void __launch_bounds__(kThreads)
    sample_rows_kernel(float* logits, int vocab, const SamplingRowParams* params,
                       PenaltyEntry* entries, int32_t* ids, float* logprobs, int32_t* top_ids,
                       float* top_logprobs, const RowSegmentStats* stats, int segments) {
  __shared__ SelectShared sm;
  const int r = blockIdx.x, tid = threadIdx.x;
  const SamplingRowParams p = params[r];
  if (p.skip) return;
  float* x = logits + static_cast<size_t>(r) * vocab;

  // Raw log-softmax statistics, as log_sum_exp in the reference, merged from the segments
  // (masked by row_stats_kernel).
  const RowSegmentStats* st = stats + static_cast<size_t>(r) * segments;
  float raw_max = -INFINITY;
  int raw_argmax = INT_MAX;
  for (int s = 0; s < segments; ++s) argmax_merge(raw_max, raw_argmax, st[s].max, st[s].argmax);
  if (raw_argmax < 0 || raw_argmax >= vocab) raw_argmax = 0;
  double sum = 0;
  if (raw_max != -INFINITY)
    for (int s = 0; s < segments; ++s)
      if (st[s].max != -INFINITY) sum += st[s].sum * exp(static_cast<double>(st[s].max - raw_max));
  const double lse = raw_max == -INFINITY ? static_cast<double>(raw_max) : raw_max + log(sum);

  const int num_top = min(min(p.num_top_logprobs, kMaxTopLogprobs), vocab);
  if (num_top > 0) write_top_logprobs(x, vocab, num_top, lse, r, top_ids, top_logprobs, sm);

  apply_penalties(x, vocab, p, entries);
  __syncthreads();

  int token = 0;
  if (is_greedy(p.temperature) && p.entry_begin == p.entry_end) {
    token = raw_argmax;  // no penalties or bans: the argmax of the masked logits
  } else if (is_greedy(p.temperature)) {
    float best = -INFINITY;
    int best_id = INT_MAX;
    for (int i = tid; i < vocab; i += kThreads) argmax_merge(best, best_id, x[i], i);
    block_argmax(best, best_id, sm);
    token = best_id;
  } else {
    float max_scaled = -INFINITY;
    int top_id = INT_MAX;
    double valid = 0;
    for (int i = tid; i < vocab; i += kThreads) {
      const float l = x[i];
      if (l == -INFINITY) continue;
      valid += 1.0;
      argmax_merge(max_scaled, top_id, __fdiv_rn(l, p.temperature), i);
    }
    block_argmax(max_scaled, top_id, sm);
    valid = block_sum(valid, sm);
    if (valid == 0.0) {
      token = raw_argmax;  // everything banned: the raw argmax, as the reference
    } else {
      KeptTokens kept{x, p.temperature, max_scaled, top_id};
      if (p.top_k > 0 && static_cast<double>(p.top_k) < valid)
        kept.top_k_min = radix_select<false>(kept, vocab, p.top_k, 0.0, false, sm);
      auto kept_mass = [&] {
        double s = 0;
        for (int i = tid; i < vocab; i += kThreads) {
          uint64_t key = 0;
          double prob = 0;
          if (kept(i, 0, 0, key, prob)) s += prob;
        }
        return block_sum(s, sm);
      };
      if (p.top_p < 1.0f) {
        const double target = static_cast<double>(p.top_p) * kept_mass();
        kept.top_p_min = radix_select<true>(kept, vocab, 0, target, false, sm);
      }
      kept.min_p = p.min_p;
      const double target = static_cast<double>(p.uniform) * kept_mass();
      token = key_id(radix_select<true>(kept, vocab, 0, target, true, sm));
    }
  }
  if (token < 0 || token >= vocab) token = 0;

  // The sampled token's raw logit: penalties changed only the entries, which kept it.
  if (tid == 0) sm.token_raw = x[token];
  __syncthreads();
  for (int e = p.entry_begin + tid; e < p.entry_end; e += kThreads)
    if (entries[e].id == token) sm.token_raw = entries[e].raw_logit;
  __syncthreads();
  if (tid == 0) {
    ids[r] = token;
    logprobs[r] = static_cast<float>(static_cast<double>(sm.token_raw) - lse);
  }
}

}  // namespace

int row_segments(int rows) {
  // About two blocks per multiprocessor of an H100/H200 over the whole step.
  return std::max(1, std::min(kMaxRowSegments, 264 / std::max(rows, 1)));
}

void sample_rows(float* logits, int rows, int vocab, const SamplingRowParams* params,
                 PenaltyEntry* entries, const uint32_t* masks, int32_t* ids, float* logprobs,
                 int32_t* top_ids, float* top_logprobs, RowSegmentStats* stats,
                 cudaStream_t stream) {
  if (rows <= 0 || vocab <= 0) return;
  const int segments = row_segments(rows);
  row_stats_kernel<<<dim3(segments, rows), kStatsThreads, 0, stream>>>(logits, vocab, params,
                                                                       masks, stats);
  sample_rows_kernel<<<rows, kThreads, 0, stream>>>(logits, vocab, params, entries, ids, logprobs,
                                                    top_ids, top_logprobs, stats, segments);
}

}  // namespace pagoda::cuda
