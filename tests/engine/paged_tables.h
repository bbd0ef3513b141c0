#pragma once
// The paged KV layout of an attention test case, shared by the kernel tests: each sequence's
// blocks are shuffled over a larger pool, so a wrong table lookup reads someone else's keys; and
// the float64 causal attention over such a cache that the kernels are checked against.
// Header-only, no shared state: any thread.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <vector>

#include "kernels/step_plan.h"

namespace pagoda::testing {

struct PagedTables {
  int num_blocks = 0;
  int stride = 0;  // block-table entries per sequence (one spare)
  int tokens = 0;  // new tokens of all sequences
  std::vector<int32_t> tables;
};

template <typename Rng>
PagedTables shuffled_tables(std::span<const cuda::SeqShape> seqs, int block_size, Rng& rng) {
  PagedTables p;
  const int S = static_cast<int>(seqs.size());
  int max_blocks = 1;
  for (const auto& s : seqs) {
    max_blocks = std::max(max_blocks, (s.context + s.q_len + block_size - 1) / block_size);
    p.tokens += s.q_len;
  }
  p.num_blocks = S * max_blocks + 3;
  std::vector<int> perm(p.num_blocks);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), rng);
  p.stride = max_blocks + 1;
  p.tables.assign(static_cast<size_t>(S) * p.stride, 0);
  for (int s = 0; s < S; ++s)
    for (int b = 0; b < max_blocks; ++b) p.tables[s * p.stride + b] = perm[s * max_blocks + b];
  return p;
}

// The dimensions of a paged attention case: query heads, KV heads, head dim, tokens per block.
struct PagedAttentionShape {
  int nh = 0, nkv = 0, hd = 0, block_size = 0;
};

// Float64 causal attention of each sequence's new tokens over its paged keys and values (GQA:
// query head h reads KV head h / (nh / nkv)). q is [tokens][nh][hd] with sequence s starting at
// row q_start[s]; kc and vc are [blocks][block_size][nkv][hd]; the result is laid out like q.
inline std::vector<double> reference_attention(std::span<const cuda::SeqShape> seqs,
                                               std::span<const int32_t> q_start,
                                               std::span<const int32_t> tables, int stride,
                                               const PagedAttentionShape& shape,
                                               std::span<const float> q, std::span<const float> kc,
                                               std::span<const float> vc) {
  const auto [nh, nkv, hd, block_size] = shape;
  std::vector<double> ref(q.size());
  const int group = nh / nkv;
  for (size_t s = 0; s < seqs.size(); ++s) {
    for (int i = 0; i < seqs[s].q_len; ++i) {
      const int qpos = seqs[s].context + i;
      for (int h = 0; h < nh; ++h) {
        const size_t qrow = (static_cast<size_t>(q_start[s] + i) * nh + h) * hd;
        std::vector<size_t> key_off(qpos + 1);
        std::vector<double> sc(qpos + 1);
        double mx = -1e300;
        for (int j = 0; j <= qpos; ++j) {
          key_off[j] = ((static_cast<size_t>(tables[s * stride + j / block_size]) * block_size +
                         j % block_size) *
                            nkv +
                        h / group) *
                       hd;
          double dot = 0;
          for (int d = 0; d < hd; ++d) dot += static_cast<double>(q[qrow + d]) * kc[key_off[j] + d];
          sc[j] = dot / std::sqrt(static_cast<double>(hd));
          mx = std::max(mx, sc[j]);
        }
        double den = 0;
        for (double& x : sc) den += (x = std::exp(x - mx));
        for (int d = 0; d < hd; ++d) {
          double num = 0;
          for (int j = 0; j <= qpos; ++j) num += sc[j] * vc[key_off[j] + d];
          ref[qrow + d] = num / den;
        }
      }
    }
  }
  return ref;
}

}  // namespace pagoda::testing
