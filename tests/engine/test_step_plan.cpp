// The CUDA backend's host-side step plan, without a GPU: metadata packing (ids, positions, cache
// slots, tiles, block tables, sampled rows, banned ids), graph padding of decode steps, the
// sampling route of each row, and the environment knobs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <numeric>

#include "kernels/step_plan.h"
#include "engine/util/error.h"

namespace pagoda::cuda {
namespace {

// Sequences with given contexts and new-token counts, block tables of distinct ids.
struct Step {
  std::vector<std::vector<int32_t>> tokens, tables;
  std::vector<SamplingRow> rows;
  StepInput input;
  Step(const std::vector<SeqShape>& shapes, int block_size, bool sample = true) {
    int next_block = 5;
    for (const auto& s : shapes) {
      tokens.emplace_back(s.q_len);
      std::iota(tokens.back().begin(), tokens.back().end(), 100 * (tokens.size()));
      const int blocks = (s.context + s.q_len + block_size - 1) / block_size;
      tables.emplace_back(blocks);
      std::iota(tables.back().begin(), tables.back().end(), next_block);
      next_block += blocks + 3;
    }
    for (size_t i = 0; i < shapes.size(); ++i) {
      SeqChunk c;
      c.seq_id = static_cast<int64_t>(i);
      c.token_ids = tokens[i];
      c.context_len = shapes[i].context;
      c.block_table = tables[i];
      c.sample = sample;
      input.chunks.push_back(c);
    }
  }
};

StepPlanConfig config(int block_size = 16) {
  StepPlanConfig c;
  c.block_size = block_size;
  c.max_seqs = 256;
  c.max_table_entries = 256 * 64;
  c.max_banned = 1 << 10;
  c.queries_per_tile = 8;
  c.gpu_sampler_max_logprobs = 20;
  return c;
}

TEST(AttentionTiles, TilesCoverEveryQueryOnce) {
  const std::vector<SeqShape> seqs = {{0, 17}, {30, 1}, {5, 8}};
  const AttentionTiles t = attention_tiles(seqs, 8);
  EXPECT_EQ(t.q_start, (std::vector<int32_t>{0, 17, 18}));
  EXPECT_EQ(t.q_len, (std::vector<int32_t>{17, 1, 8}));
  EXPECT_EQ(t.kv_len, (std::vector<int32_t>{17, 31, 13}));
  EXPECT_EQ(t.tile_seq, (std::vector<int32_t>{0, 0, 0, 1, 2}));
  EXPECT_EQ(t.tile_q0, (std::vector<int32_t>{0, 8, 16, 0, 0}));
  const AttentionTiles one = attention_tiles(seqs, 8, true);
  EXPECT_EQ(one.tile_seq, (std::vector<int32_t>{0, 1, 2}));
}

TEST(StepPlan, PrefillMetadataIsPacked) {
  const int bs = 4;
  Step step({{0, 6}, {9, 3}}, bs);
  std::vector<int32_t> meta(1 << 16, -7);
  const StepPlan p = plan_step(step.input, config(bs), meta);
  EXPECT_FALSE(p.use_graph);  // not decode-only
  EXPECT_EQ(p.rows, 2);
  EXPECT_EQ(p.tokens, 9);
  EXPECT_EQ(p.tiles, 2);
  EXPECT_EQ(p.stride, 16);  // a power of two from 16 up
  EXPECT_EQ(p.max_kv, 12);
  const MetaLayout& m = p.meta;
  for (int s = 0, tok = 0; s < 2; ++s) {
    const SeqChunk& c = step.input.chunks[s];
    for (size_t i = 0; i < c.token_ids.size(); ++i, ++tok) {
      const int pos = c.context_len + static_cast<int>(i);
      EXPECT_EQ(meta[m.ids + tok], c.token_ids[i]);
      EXPECT_EQ(meta[m.positions + tok], pos);
      EXPECT_EQ(meta[m.slots + tok], c.block_table[pos / bs] * bs + pos % bs);
    }
    for (int b = 0; b < p.stride; ++b)
      EXPECT_EQ(meta[m.block_tables + s * p.stride + b],
                b < static_cast<int>(c.block_table.size()) ? c.block_table[b] : 0);
  }
  EXPECT_EQ(meta[m.sample_rows + 0], 5);  // last token of each chunk
  EXPECT_EQ(meta[m.sample_rows + 1], 8);
  EXPECT_EQ(p.samples, 2);
  EXPECT_EQ(p.metadata_words, m.banned);  // GPU sampler: no banned ids in the metadata
}

TEST(StepPlan, DecodeStepsArePaddedToAGraphBatch) {
  Step step({{10, 1}, {20, 1}, {3, 1}}, 16);
  std::vector<int32_t> meta(1 << 16);
  const StepPlan p = plan_step(step.input, config(), meta);
  ASSERT_TRUE(p.use_graph);
  EXPECT_EQ(p.rows, graph_batch_size(3));
  EXPECT_EQ(p.rows, 4);
  EXPECT_EQ(p.tokens, 4);
  EXPECT_EQ(p.tiles, 4);
  EXPECT_EQ(p.samples, 3);
  const MetaLayout& m = p.meta;
  EXPECT_EQ(meta[m.q_len + 3], 0);   // the padding row has no queries,
  EXPECT_EQ(meta[m.kv_len + 3], 0);  // no keys,
  EXPECT_EQ(meta[m.slots + 3], -1);  // writes no cache slot
  EXPECT_EQ(meta[m.sample_rows + 3], 3);
  StepPlanConfig no_graphs = config();
  no_graphs.graphs = false;
  EXPECT_FALSE(plan_step(step.input, no_graphs, meta).use_graph);
  EXPECT_EQ(graph_batch_size(257), -1);
}

TEST(StepPlan, SamplingRoutes) {
  Step step({{4, 1}, {4, 1}, {4, 1}, {4, 1}}, 16);
  const std::vector<int32_t> banned = {7, 9};
  auto& c = step.input.chunks;
  c[0].sampling.temperature = 0;  // plain greedy with banned ids
  c[0].sampling.banned_ids = banned;
  c[1].sampling.temperature = 0;
  c[1].sampling.repetition_penalty = 1.1f;  // a penalty: not the greedy kernel
  c[2].sampling.temperature = 0.7f;
  c[3].sampling.temperature = 0;
  c[3].sampling.num_logprobs = 25;  // beyond the GPU sampler
  std::vector<int32_t> meta(1 << 16);
  StepPlan gpu = plan_step(step.input, config(), meta);
  EXPECT_EQ(gpu.routes, (std::vector<SampleRoute>{SampleRoute::kGpuSampler,
                                                  SampleRoute::kGpuSampler,
                                                  SampleRoute::kGpuSampler, SampleRoute::kHost}));
  StepPlanConfig greedy_only = config();
  greedy_only.gpu_sampling = false;
  StepPlan g = plan_step(step.input, greedy_only, meta);
  EXPECT_EQ(g.routes, (std::vector<SampleRoute>{SampleRoute::kGpuGreedy, SampleRoute::kHost,
                                                SampleRoute::kHost, SampleRoute::kHost}));
  const MetaLayout& m = g.meta;
  EXPECT_EQ(meta[m.banned + 0], 7);
  EXPECT_EQ(meta[m.banned + 1], 9);
  EXPECT_EQ(meta[m.banned_offsets + 1], 2);
  EXPECT_EQ(meta[m.banned_offsets + 4], 2);
  EXPECT_EQ(g.metadata_words, m.banned + 2);
}

TEST(StepPlan, TablesThatDoNotFitAreRefused) {
  Step step({{4000, 1}}, 16);
  StepPlanConfig c = config();
  c.max_table_entries = 64;
  std::vector<int32_t> meta(1 << 16);
  EXPECT_THROW(plan_step(step.input, c, meta), InvalidArgument);
}

TEST(CudaEnvOptions, ReadOnceFromTheEnvironment) {
  unsetenv("PAGODA_CUDA_GEMV");
  unsetenv("PAGODA_CUDA_PROFILE");
  unsetenv("PAGODA_CUDA_GPU_SAMPLING");
  unsetenv("PAGODA_CUDA_MMA_ATTENTION");
  unsetenv("PAGODA_CUDA_FUSE");
  unsetenv("PAGODA_CUDA_FUSE_ROPE");
  unsetenv("PAGODA_CUDA_PDL");
  CudaEnvOptions d = CudaEnvOptions::from_env();
  EXPECT_TRUE(d.small_gemm && d.gpu_sampling && d.mma_attention && !d.profile);
  EXPECT_TRUE(d.fused_decode && d.fused_rope && d.programmatic_launch);
  setenv("PAGODA_CUDA_GEMV", "0", 1);
  setenv("PAGODA_CUDA_PROFILE", "1", 1);
  setenv("PAGODA_CUDA_GPU_SAMPLING", "0", 1);
  setenv("PAGODA_CUDA_MMA_ATTENTION", "0", 1);
  setenv("PAGODA_CUDA_FUSE", "0", 1);
  setenv("PAGODA_CUDA_FUSE_ROPE", "0", 1);
  setenv("PAGODA_CUDA_PDL", "0", 1);
  CudaEnvOptions o = CudaEnvOptions::from_env();
  EXPECT_TRUE(!o.small_gemm && !o.gpu_sampling && !o.mma_attention && o.profile);
  EXPECT_TRUE(!o.fused_decode && !o.fused_rope && !o.programmatic_launch);
  unsetenv("PAGODA_CUDA_FUSE");
  unsetenv("PAGODA_CUDA_FUSE_ROPE");
  unsetenv("PAGODA_CUDA_PDL");
  setenv("PAGODA_CUDA_MMA_ATTENTION", "01", 1);  // only exactly "0" turns it off
  EXPECT_TRUE(CudaEnvOptions::from_env().mma_attention);
}

}  // namespace
}  // namespace pagoda::cuda
