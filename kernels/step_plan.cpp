#include "kernels/step_plan.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "engine/util/error.h"

namespace pagoda::cuda {

MetaLayout layout_for(int tokens, int tiles, int seqs, int stride) {
  MetaLayout m;
  size_t at = 0;
  auto take = [&](size_t n) {
    const size_t start = at;
    at += n;
    return start;
  };
  m.ids = take(tokens);
  m.positions = take(tokens);
  m.slots = take(tokens);
  m.tile_seq = take(tiles);
  m.tile_q0 = take(tiles);
  m.q_start = take(seqs);
  m.q_len = take(seqs);
  m.kv_len = take(seqs);
  m.sample_rows = take(seqs);
  m.block_tables = take(static_cast<size_t>(seqs) * stride);
  m.banned_offsets = take(seqs + 1);
  m.banned = at;
  return m;
}

CudaEnvOptions CudaEnvOptions::from_env() {
  auto is = [](const char* name, char value) {
    const char* v = std::getenv(name);
    return v && v[0] == value && v[1] == '\0';
  };
  auto starts = [](const char* name, char value) {
    const char* v = std::getenv(name);
    return v && v[0] == value;
  };
  CudaEnvOptions o;
  o.small_gemm = !starts("PAGODA_CUDA_GEMV", '0');
  o.profile = starts("PAGODA_CUDA_PROFILE", '1');
  o.gpu_sampling = !starts("PAGODA_CUDA_GPU_SAMPLING", '0');
  o.mma_attention = !is("PAGODA_CUDA_MMA_ATTENTION", '0');
  o.fused_decode = !is("PAGODA_CUDA_FUSE", '0');
  o.fused_rope = !is("PAGODA_CUDA_FUSE_ROPE", '0');
  o.programmatic_launch = !is("PAGODA_CUDA_PDL", '0');
  o.decode_mma = !is("PAGODA_CUDA_DECODE_MMA", '0');
  if (const char* v = std::getenv("PAGODA_CUDA_DECODE_SPLIT_KEYS")) o.decode_split_keys = std::atoi(v);
  o.decode_prefetch = !is("PAGODA_CUDA_DECODE_PREFETCH", '0');
  o.gemv_early_weights = !is("PAGODA_CUDA_GEMV_EARLY", '0');
  o.gemv_stage_norm = !is("PAGODA_CUDA_GEMV_STAGE", '0');
  return o;
}

int graph_batch_size(int n) {
  static const int sizes[] = {1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 160, 192, 224, 256};
  for (int s : sizes)
    if (n <= s) return s;
  return -1;
}

AttentionTiles attention_tiles(std::span<const SeqShape> seqs, int queries_per_tile,
                               bool one_tile_per_seq) {
  AttentionTiles t;
  int at = 0;
  for (size_t s = 0; s < seqs.size(); ++s) {
    t.q_start.push_back(at);
    t.q_len.push_back(seqs[s].q_len);
    t.kv_len.push_back(seqs[s].context + seqs[s].q_len);
    const int ntiles = one_tile_per_seq ? 1 : (seqs[s].q_len + queries_per_tile - 1) / queries_per_tile;
    for (int k = 0; k < ntiles; ++k) {
      t.tile_seq.push_back(static_cast<int32_t>(s));
      t.tile_q0.push_back(k * queries_per_tile);
    }
    at += seqs[s].q_len;
  }
  return t;
}

namespace {

SampleRoute route_of(const SamplingRow& r, const StepPlanConfig& c, int banned_so_far) {
  if (c.gpu_sampling)
    return r.num_logprobs <= c.gpu_sampler_max_logprobs ? SampleRoute::kGpuSampler
                                                        : SampleRoute::kHost;
  // The greedy kernel reads banned ids from the metadata and applies no penalties or masks.
  const bool plain_greedy = is_greedy(r.temperature) && r.allowed_tokens.empty() &&
                            r.repetition_penalty == 1.0f &&
                            r.presence_penalty == 0.0f && r.frequency_penalty == 0.0f &&
                            r.num_logprobs <= 0 &&
                            banned_so_far + static_cast<int>(r.banned_ids.size()) <= c.max_banned;
  return plain_greedy ? SampleRoute::kGpuGreedy : SampleRoute::kHost;
}

// The table stride: a power of two, so graphs are captured for few distinct strides.
int table_stride(int max_blocks, int rows, int64_t capacity) {
  int stride = 16;
  while (stride < max_blocks) stride *= 2;
  if (static_cast<int64_t>(stride) * rows > capacity) {
    stride = max_blocks;
    if (static_cast<int64_t>(stride) * rows > capacity)
      throw InvalidArgument("CUDA backend: the step's block tables exceed " +
                            std::to_string(capacity) + " entries (context too long)");
  }
  return stride;
}

}  // namespace

StepPlan plan_step(const StepInput& input, const StepPlanConfig& c, std::span<int32_t> h) {
  StepPlan p;
  const int S = static_cast<int>(input.chunks.size());
  int T = 0, max_blocks = 1;
  bool decode_only = true;
  std::vector<SeqShape> shapes;
  for (const SeqChunk& chunk : input.chunks) {
    const int n = static_cast<int>(chunk.token_ids.size());
    const int kv = chunk.context_len + n;
    T += n;
    max_blocks = std::max(max_blocks, (kv + c.block_size - 1) / c.block_size);
    p.max_kv = std::max(p.max_kv, kv);
    decode_only = decode_only && n == 1 && chunk.sample;
    shapes.push_back({chunk.context_len, n});
  }
  p.stride = table_stride(max_blocks, S, c.max_table_entries);
  const int padded = c.graphs && decode_only ? graph_batch_size(S) : -1;
  p.use_graph = padded > 0 && padded <= c.max_seqs &&
                static_cast<int64_t>(p.stride) * padded <= c.max_table_entries;
  p.rows = p.use_graph ? padded : S;
  // Graph padding rows: one query of nothing, writing no cache slot, sampled and ignored.
  shapes.resize(p.rows, SeqShape{0, p.use_graph ? 1 : 0});
  const AttentionTiles tiles = attention_tiles(shapes, c.queries_per_tile, p.use_graph);
  p.tiles = static_cast<int>(tiles.tile_seq.size());
  p.tokens = p.use_graph ? p.rows : T;
  p.meta = layout_for(p.tokens, p.tiles, p.rows, p.stride);
  const MetaLayout& m = p.meta;
  if (m.banned > h.size()) throw InvalidArgument("CUDA backend: the step metadata overflows");

  std::copy(tiles.tile_seq.begin(), tiles.tile_seq.end(), h.begin() + m.tile_seq);
  std::copy(tiles.tile_q0.begin(), tiles.tile_q0.end(), h.begin() + m.tile_q0);
  std::copy(tiles.q_start.begin(), tiles.q_start.end(), h.begin() + m.q_start);
  for (int s = 0; s < p.rows; ++s) {
    const bool real = s < S;
    h[m.q_len + s] = real ? tiles.q_len[s] : 0;
    h[m.kv_len + s] = real ? tiles.kv_len[s] : 0;
  }
  int banned = 0;
  h[m.banned_offsets] = 0;
  for (int s = 0; s < p.rows; ++s) {
    const SeqChunk* chunk = s < S ? &input.chunks[s] : nullptr;
    const int n = shapes[s].q_len, ctx = shapes[s].context, tok = tiles.q_start[s];
    int32_t* table = h.data() + m.block_tables + static_cast<size_t>(s) * p.stride;
    const int blocks = chunk ? (ctx + n + c.block_size - 1) / c.block_size : 0;
    for (int b = 0; b < p.stride; ++b) table[b] = b < blocks ? chunk->block_table[b] : 0;
    for (int i = 0; i < n; ++i) {
      const int pos = ctx + i;
      h[m.ids + tok + i] = chunk ? chunk->token_ids[i] : 0;
      h[m.positions + tok + i] = pos;
      h[m.slots + tok + i] = chunk ? chunk->block_table[pos / c.block_size] * c.block_size +
                                         pos % c.block_size
                                   : -1;
    }
    if (chunk && chunk->sample) {
      const SamplingRow& r = chunk->sampling;
      const SampleRoute route = route_of(r, c, banned);
      if (route == SampleRoute::kGpuGreedy)
        for (int32_t id : r.banned_ids) h[m.banned + banned++] = id;
      h[m.sample_rows + p.samples] = tok + n - 1;
      p.sample_chunk.push_back(s);
      p.routes.push_back(route);
      ++p.samples;
      h[m.banned_offsets + p.samples] = banned;
    } else if (p.use_graph) {
      h[m.sample_rows + s] = tok;  // padding row, result ignored
    }
  }
  p.metadata_words = m.banned + banned;
  return p;
}

}  // namespace pagoda::cuda
