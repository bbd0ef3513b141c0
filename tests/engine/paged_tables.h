#pragma once
// The paged KV layout of an attention test case, shared by the kernel tests: each sequence's
// blocks are shuffled over a larger pool, so a wrong table lookup reads someone else's keys.
#include <algorithm>
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

}  // namespace pagoda::testing
