// The tensor-core attention kernel's own source (kernels/attention_mma.cu, copied at configure time
// without its PTX primitives and host launchers) run on the CPU through mma_emulation.h, against a
// float64 reference: checks its tiling, paging, GQA packing, causal mask and online softmax on
// machines without a GPU. The fragment layouts themselves are checked only on the GPU
// (test_cuda_attention_mma).
#include <cstdio>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "attention_mma_emulated.cpp"
#include "tests/engine/paged_tables.h"
#include "kernels/kernel_args.h"
#include "kernels/step_plan.h"

namespace {

using namespace pagoda::cuda;

int g_failures = 0;
std::mt19937_64 g_rng;

std::vector<float> random_bf16_values(size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = __bfloat162float(__float2bfloat16(dist(g_rng)));
  return v;
}
std::vector<bf16> to_bf16(const std::vector<float>& v) {
  std::vector<bf16> b(v.size());
  for (size_t i = 0; i < v.size(); ++i) b[i] = __float2bfloat16(v[i]);
  return b;
}

using SeqSpec = SeqShape;

// ||out - ref|| / ||ref||, infinite when an element was never written (NaN).
double rel_error(const std::vector<bf16>& out, const std::vector<double>& ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double got = __bfloat162float(out[i]);
    if (std::isnan(got)) return INFINITY;
    num += (got - ref[i]) * (got - ref[i]);
    den += ref[i] * ref[i];
  }
  return std::sqrt(num / den);
}

template <int HD>
void test_case(int nh, int nkv, int block_size, const std::vector<SeqSpec>& seqs) {
  const int S = static_cast<int>(seqs.size());
  const auto [num_blocks, stride, T, tables] = pagoda::testing::shuffled_tables(seqs, block_size, g_rng);
  const size_t cache_elems = static_cast<size_t>(num_blocks) * block_size * nkv * HD;
  const auto kc = random_bf16_values(cache_elems, -2, 2),
             vc = random_bf16_values(cache_elems, -1, 1);
  const auto q = random_bf16_values(static_cast<size_t>(T) * nh * HD, -2, 2);
  const auto kb = to_bf16(kc), vb = to_bf16(vc), qb = to_bf16(q);
  const int qpt = attention_queries_per_tile(nh, nkv);
  // The backend's own tiling (kernels/step_plan.h).
  auto [tile_seq, tile_q0, q_start, q_len, kv_len] = attention_tiles(seqs, qpt);
  std::vector<bf16> out(static_cast<size_t>(T) * nh * HD, __float2bfloat16(NAN));
  const AttentionParams p = attention_params(
      qb.data(), kb.data(), vb.data(), out.data(),
      {tile_seq.data(), tile_q0.data(), q_start.data(), q_len.data(), kv_len.data(), tables.data()},
      {static_cast<int>(tile_seq.size()), T, block_size, stride}, {nh, nkv, HD});
  // The grid and arguments as attention_mma() launches them.
  const int group = nh / nkv, hpc = std::min(group, kRows);
  const int tiles_per_block = kRows / (qpt * hpc), chunks = (group + hpc - 1) / hpc;
  std::vector<unsigned char> smem(smem_bytes<HD>());
  for (int bx = 0; bx < p.num_tiles; ++bx)
    for (int by = 0; by < nkv * chunks; ++by)
      emu::run_block(kThreads, smem, bx, by, 0,
                     [&] { attention_mma_kernel<HD>(p, qpt, hpc, tiles_per_block); });
  const auto ref = pagoda::testing::reference_attention(
      seqs, q_start, tables, stride, {nh, nkv, HD, block_size}, q, kc, vc);
  const double err = rel_error(out, ref);
  const bool unwritten = std::isinf(err);
  std::printf("  hd=%d nh=%d nkv=%d bs=%d seqs=%d tokens=%d: rel err %.2e\n", HD, nh, nkv,
              block_size, S, T, err);
  if (!(err <= 1e-2)) {
    std::printf("FAIL: relative error %.3e > 1e-2%s\n", err, unwritten ? " (unwritten rows)" : "");
    ++g_failures;
  }
}

// Decode rows (one query a sequence, a padding row last) through the decode kernel and the merge
// of its splits, launched as attention_decode_mma() launches them.
template <int HD>
void decode_case(int nh, int nkv, int block_size, const std::vector<int>& contexts,
                 int max_splits, int split_keys) {
  std::vector<SeqSpec> seqs;
  for (int c : contexts) seqs.push_back({c, 1});
  seqs.push_back({0, 0});  // a graph's padding row: no query, nothing written
  const auto [num_blocks, stride, T, tables] =
      pagoda::testing::shuffled_tables(seqs, block_size, g_rng);
  const size_t cache_elems = static_cast<size_t>(num_blocks) * block_size * nkv * HD;
  const auto kc = random_bf16_values(cache_elems, -2, 2),
             vc = random_bf16_values(cache_elems, -1, 1);
  const auto q = random_bf16_values(static_cast<size_t>(T) * nh * HD, -2, 2);
  const auto kb = to_bf16(kc), vb = to_bf16(vc), qb = to_bf16(q);
  auto [tile_seq, tile_q0, q_start, q_len, kv_len] = attention_tiles(seqs, 1, true);
  std::vector<bf16> out(static_cast<size_t>(T) * nh * HD, __float2bfloat16(NAN));
  AttentionParams p = attention_params(
      qb.data(), kb.data(), vb.data(), out.data(),
      {tile_seq.data(), tile_q0.data(), q_start.data(), q_len.data(), kv_len.data(), tables.data()},
      {static_cast<int>(tile_seq.size()), T, block_size, stride}, {nh, nkv, HD});
  std::vector<float> partial_out(static_cast<size_t>(max_splits) * T * nh * HD, NAN),
      partial_ml(static_cast<size_t>(max_splits) * T * nh * 2, NAN);
  p.splits = max_splits;
  p.partial_out = partial_out.data();
  p.partial_ml = partial_ml.data();
  const int group = nh / nkv, hpc = std::min(group, kDecodeRows);
  const int chunks = (group + hpc - 1) / hpc;
  std::vector<unsigned char> smem(decode_smem_bytes<HD>());
  for (int bx = 0; bx < p.num_tiles; ++bx)
    for (int by = 0; by < nkv * chunks; ++by)
      for (int bz = 0; bz < max_splits; ++bz)
        emu::run_block(kThreads, smem, bx, by, bz, [&] {
          attention_decode_mma_kernel<HD>(p, hpc, split_keys, (bx + bz) % 2 == 0);
        });
  // The merge has no barriers: its threads run one after another.
  for (int bx = 0; bx < p.num_tiles; ++bx)
    for (int by = 0; by < nh; ++by)
      for (int t = 0; t < kCombineThreads; ++t) {
        emu::block_index.x = bx;
        emu::block_index.y = by;
        emu::thread_index.x = t;
        attention_decode_combine_kernel(p, split_keys);
      }
  const auto ref = pagoda::testing::reference_attention(
      seqs, q_start, tables, stride, {nh, nkv, HD, block_size}, q, kc, vc);
  const double err = rel_error(out, ref);
  const bool unwritten = std::isinf(err);
  int most = 0;
  for (int c : contexts) most = std::max(most, decode_split(c + 1, max_splits, split_keys).splits);
  std::printf("  decode hd=%d nh=%d nkv=%d bs=%d seqs=%zu splits<=%d of %d keys (most %d): "
              "rel err %.2e\n",
              HD, nh, nkv, block_size, contexts.size(), max_splits, split_keys, most, err);
  if (!(err <= 1e-2)) {
    std::printf("FAIL: relative error %.3e > 1e-2%s\n", err, unwritten ? " (unwritten rows)" : "");
    ++g_failures;
  }
}

}  // namespace

int main() {
  const uint64_t seed = std::random_device{}();
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  g_rng.seed(seed);
  // Prefill, chunks after earlier context, decode rows in the same launch; lengths off the tiles.
  test_case<64>(4, 2, 16, {{0, 70}, {37, 20}, {100, 1}, {15, 33}});
  test_case<80>(14, 2, 32, {{0, 9}, {64, 67}, {5, 1}});  // GQA 7
  test_case<96>(16, 2, 16, {{0, 3}, {40, 30}});          // GQA 8
  test_case<128>(8, 8, 32, {{0, 130}, {3, 5}});          // MHA
  test_case<64>(40, 1, 16, {{0, 5}, {10, 3}});           // a group above 32 rows
  test_case<128>(80, 1, 16, {{0, 2}, {7, 2}});           // a group above 64 rows: head chunks
  // Decode: one split, several, a capped split count, lengths off the 64-key tiles, GQA 7
  // (Qwen2.5 0.5B/7B), 8, MHA and a group above 16 heads (head chunks).
  decode_case<64>(14, 2, 16, {100, 0, 700, 37, 255, 256, 257}, 16, 256);
  decode_case<128>(28, 4, 16, {1000, 5, 64}, 16, 64);
  decode_case<80>(16, 2, 32, {300, 129}, 4, 64);
  decode_case<96>(8, 8, 16, {77, 1}, 2, 64);
  decode_case<128>(40, 2, 16, {90, 400}, 3, 128);
  if (g_failures) {
    std::printf("%d check(s) FAILED (seed %llu)\n", g_failures,
                static_cast<unsigned long long>(seed));
    return 1;
  }
  std::printf("all emulated tensor-core attention checks passed\n");
  return 0;
}
