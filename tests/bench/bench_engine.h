#pragma once
// A whole LlmEngine on the CUDA backend with random weights of a bench_shapes.h shape and a real
// tokenizer folder (its chat template too): what pagoda-bench --engine and bench_grammar --shape
// measure in-process. CUDA builds only (links pagoda_cuda). Call from one thread; the engine it
// returns is thread-safe as every Engine.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "engine/core/llm_engine.h"
#include "kernels/cuda_backend.h"

namespace pagoda::bench {

// `config` gives the scheduler limits (max_num_seqs, max_num_batched_tokens, block_size); the
// context length is the shape's, capped by the KV cache as Engine::load does. Null (and a
// message on stderr) when the CUDA backend is unavailable.
inline std::unique_ptr<LlmEngine> random_cuda_engine(const ModelConfig& shape,
                                                     const std::filesystem::path& tokenizer_dir,
                                                     const EngineConfig& config,
                                                     uint64_t seed = 1234) {
  LlmEngine::Parts parts{.config = config,
                         .model = shape,
                         .defaults = {},
                         .weights = {},
                         .tokenizer = Tokenizer::from_dir(tokenizer_dir),
                         .chat_template = ChatTemplate::from_dir(tokenizer_dir),
                         .backend = nullptr,
                         .backend_note = "CUDA, random weights"};
  BackendOptions opts;
  opts.max_num_seqs = config.max_num_seqs;
  opts.max_num_batched_tokens = config.max_num_batched_tokens;
  opts.gpu_memory_utilization = config.gpu_memory_utilization;
  char err[256] = {0};
  parts.backend.reset(pagoda_cuda_create_backend(&opts, err, sizeof err));
  if (!parts.backend) {
    std::fprintf(stderr, "CUDA backend unavailable: %s\n", err);
    return nullptr;
  }
  cuda::load_random_weights(*parts.backend, parts.model, seed);
  parts.num_kv_blocks = parts.backend->plan_kv_blocks(config.block_size);
  parts.backend->allocate_kv_cache(parts.num_kv_blocks, config.block_size);
  const int64_t cache_tokens = parts.num_kv_blocks * config.block_size;
  parts.max_model_len = static_cast<int>(std::min<int64_t>(
      parts.model.max_position_embeddings > 0 ? parts.model.max_position_embeddings : 4096,
      cache_tokens));
  return std::make_unique<LlmEngine>(std::move(parts));
}

}  // namespace pagoda::bench
