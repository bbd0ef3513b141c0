#pragma once
// The host side of one CUDA step, with no CUDA in it: how the step's chunks become the packed
// metadata the kernels read (token ids, positions, cache slots, attention tiles, block tables,
// sampled rows, banned ids), whether a decode step is padded to a captured graph's batch size,
// and which sampler finishes each sampled row. CudaBackend::execute plans, then launches; the
// plan is unit-tested without a GPU (tests/engine/test_step_plan.cpp) and the kernel tests build
// their attention tiles with attention_tiles(). Pure functions; any thread.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/backend/backend.h"

namespace pagoda::cuda {

// Where a forward pass reads its per-step metadata: packed in one buffer so a step is one
// copy. The offsets depend only on the step's sizes, so a captured graph (fixed sizes) stays
// valid; the banned ids come last because only the sampler, outside graphs, reads them.
struct MetaLayout {
  size_t ids = 0, positions = 0, slots = 0, tile_seq = 0, tile_q0 = 0, q_start = 0, q_len = 0,
         kv_len = 0, sample_rows = 0, block_tables = 0, banned_offsets = 0, banned = 0;
};
MetaLayout layout_for(int tokens, int tiles, int seqs, int stride);

// The CUDA backend's environment knobs, read once when a backend is created.
struct CudaEnvOptions {
  bool small_gemm = true;     // PAGODA_CUDA_GEMV=0: decode-sized products go to cuBLAS too
  bool profile = false;       // PAGODA_CUDA_PROFILE=1: eager steps timed per kernel kind
  bool gpu_sampling = true;   // PAGODA_CUDA_GPU_SAMPLING=0: plain greedy rows only on the GPU
  bool mma_attention = true;  // PAGODA_CUDA_MMA_ATTENTION=0: no tensor-core prefill attention
  bool fused_decode = true;   // PAGODA_CUDA_FUSE=0: decode layers as ten kernels, not six
  bool fused_rope = true;     // PAGODA_CUDA_FUSE_ROPE=0: fused decode keeps the rope_store kernel
  bool programmatic_launch = true;  // PAGODA_CUDA_PDL=0: no programmatic dependent launches
  bool decode_mma = true;  // PAGODA_CUDA_DECODE_MMA=0: decode steps take the CUDA-core attention
  int decode_split_keys = 0;  // PAGODA_CUDA_DECODE_SPLIT_KEYS (multiple of 64); 0: the default
  bool decode_prefetch = true;  // PAGODA_CUDA_DECODE_PREFETCH=0: no KV loads before the PDL wait
  bool gemv_early_weights = true;  // PAGODA_CUDA_GEMV_EARLY=0: no weight loads before the wait
  bool gemv_stage_norm = true;  // PAGODA_CUDA_GEMV_STAGE=0: the fused norm per warp, not per block
  static CudaEnvOptions from_env();
};

// Captured decode batch sizes: n padded up to the next one; -1 above the largest.
int graph_batch_size(int n);

// One sequence's share of an attention call.
struct SeqShape {
  int context = 0;  // tokens already in the cache
  int q_len = 0;    // new tokens (queries)
};

// The tiling metadata of attention() and attention_mma(): per sequence its first query row,
// query count and KV length; per tile (queries_per_tile queries of one sequence) its sequence
// and first query. With one_tile_per_seq every sequence gets exactly one tile (decode steps
// replayed as graphs, whose padding rows have no queries).
struct AttentionTiles {
  std::vector<int32_t> tile_seq, tile_q0, q_start, q_len, kv_len;
};
AttentionTiles attention_tiles(std::span<const SeqShape> seqs, int queries_per_tile,
                               bool one_tile_per_seq = false);

// Which sampler finishes a sampled row.
enum class SampleRoute {
  kGpuSampler,  // the full sampler on the GPU (GpuSampler)
  kGpuGreedy,   // the greedy kernel (GPU sampling off; plain greedy rows)
  kHost,        // the reference sampler on the host, from the row's logits
};

struct StepPlanConfig {
  int block_size = 16;
  int max_seqs = 0;      // rows the workspace holds
  int64_t max_table_entries = 0;  // block-table entries the metadata holds
  int max_banned = 0;    // banned ids the metadata holds
  int queries_per_tile = 1;  // attention_queries_per_tile(nh, nkv)
  bool graphs = true;        // decode-only steps may replay captured graphs
  bool gpu_sampling = true;  // GpuSampler for every row it supports
  int gpu_sampler_max_logprobs = 0;  // GpuSampler::supports: num_logprobs up to this
};

struct StepPlan {
  bool use_graph = false;
  int rows = 0;     // sequences the kernels see (padded for a graph)
  int tokens = 0;   // token rows the kernels see
  int tiles = 0;
  int samples = 0;  // sampled rows (padding rows excluded)
  int stride = 0;   // block-table stride
  int max_kv = 0;   // longest KV length of a real sequence
  MetaLayout meta;
  size_t metadata_words = 0;         // words of metadata written (banned ids included)
  std::vector<int> sample_chunk;     // sampled row -> chunk index
  std::vector<SampleRoute> routes;   // per sampled row
};

// Plans the step and writes its metadata into `metadata` (the pinned host buffer that one copy
// moves to the device). Throws InvalidArgument when the block tables do not fit the buffer.
// Requires check_step(input, ...) to have passed.
StepPlan plan_step(const StepInput& input, const StepPlanConfig& config,
                   std::span<int32_t> metadata);

}  // namespace pagoda::cuda
