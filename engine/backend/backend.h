#pragma once
// The interface every compute backend implements (CPU here, CUDA in kernels/). The core sees only
// token ids: each step it hands the backend a batch of sequence chunks with their block tables,
// and gets back one sampled token per chunk that asked for one.
//
// KV cache layout (same on every backend): per layer, K and V each hold
// [num_blocks, block_size, num_kv_heads, head_dim]; token t of a sequence lives in block
// block_table[t / block_size] at offset t % block_size.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/backend/greedy.h"
#include "engine/model/model_config.h"
#include "engine/model/weights.h"

namespace pagoda {

// How to pick the next token of one sequence. Filled by the core from SamplingParams.
struct SamplingRow {
  float temperature = 0.0f;  // is_greedy(): argmax
  int top_k = 0;             // 0 or <0 = off
  float top_p = 1.0f;
  float min_p = 0.0f;
  float repetition_penalty = 1.0f;  // over prompt and output tokens (HF/vLLM semantics)
  float presence_penalty = 0.0f;    // over output tokens
  float frequency_penalty = 0.0f;   // over output tokens
  uint64_t seed = 0;                // with step: a counter-based draw, reproducible per request
  uint64_t step = 0;                // index of the token being sampled in this sequence's output
  int num_logprobs = -1;            // -1: none; 0: the sampled token's; k: plus top k
  std::span<const int32_t> prompt_ids;
  std::span<const int32_t> output_ids;
  std::span<const int32_t> banned_ids;  // e.g. EOS while output < min_tokens
  // Constrained decoding: bit (id % 32) of word id / 32 set = id may be sampled; ids past the
  // words are masked too. Empty = unconstrained. Applied before anything else (logprobs too).
  std::span<const uint32_t> allowed_tokens;
};

// True when id is allowed by a row's mask (an empty mask allows everything).
inline bool token_allowed(std::span<const uint32_t> mask, int32_t id) {
  if (mask.empty()) return true;
  const size_t w = static_cast<size_t>(id) >> 5;
  return w < mask.size() && ((mask[w] >> (id & 31)) & 1u);
}

struct SeqChunk {
  int64_t seq_id = 0;
  std::span<const int32_t> token_ids;    // tokens to compute now
  int32_t context_len = 0;               // tokens already in the KV cache before these
  std::span<const int32_t> block_table;  // covers context_len + token_ids.size() tokens
  bool sample = false;                   // produce a token after the last one
  SamplingRow sampling;
};

struct StepInput {
  std::vector<SeqChunk> chunks;
  bool return_logits = false;  // also copy raw logits of sampled rows (tests, pagoda-cli logits)
};

struct SampledToken {
  int32_t token_id = -1;
  float logprob = 0.0f;  // log-softmax of the raw logits
  std::vector<std::pair<int32_t, float>> top_logprobs;
};

struct StepOutput {
  std::vector<SampledToken> sampled;  // one per chunk with sample=true, in chunk order
  std::vector<float> logits;          // [sampled.size(), vocab] when return_logits
};

struct BackendMemory {
  size_t total_bytes = 0;  // device (or host RAM for the CPU backend)
  size_t used_bytes = 0;
  size_t weights_bytes = 0;
  size_t kv_cache_bytes = 0;
};

struct BackendOptions {
  int num_threads = 0;                    // CPU: 0 = all cores
  double gpu_memory_utilization = 0.90;   // CUDA: fraction of total memory to use
  size_t cpu_kv_cache_bytes = 1ull << 30;  // CPU: KV cache budget
  int device_index = 0;
  int max_num_batched_tokens = 8192;      // largest step, for warm-up and workspace sizing
  int max_num_seqs = 256;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;         // "cpu" or "cuda"
  virtual std::string device_name() const = 0;  // "NVIDIA H100 80GB HBM3", "x86-64 CPU, 16 threads"
  // Uploads/converts weights. Throws pagoda::Error on a missing tensor or no memory.
  virtual void load(const ModelConfig& config, const WeightStore& weights) = 0;
  // How many KV blocks of block_size tokens fit in the memory budget after weights and
  // activations (the CUDA backend measures a warm-up pass at max_num_batched_tokens).
  virtual int64_t plan_kv_blocks(int block_size) = 0;
  virtual void allocate_kv_cache(int64_t num_blocks, int block_size) = 0;
  // A step in two halves, so that the engine's host work overlaps the forward pass.
  // launch() enqueues the forward pass of `input` and returns without waiting for it (the CPU
  // backend computes it right there). It may read every field of the input except the words of
  // the rows' allowed_tokens: their size says which rows are constrained, but the engine writes
  // their contents after launch() returns. finish() then samples every row with its SamplingRow
  // (allowed_tokens included), waits for the device and fills `output`. It takes the same
  // StepInput object, unchanged apart from those mask words. Strict pairing: finish() without a
  // launch(), a second launch() before finish(), or finish() with another input throws
  // pagoda::Error. A launch() that throws leaves nothing to finish; a finish() that throws
  // still ends the step.
  virtual void launch(const StepInput& input) = 0;
  virtual void finish(const StepInput& input, StepOutput& output) = 0;
  // The whole step at once, for callers that do not overlap anything (pagoda-bench, tests).
  void execute(const StepInput& input, StepOutput& output) {
    launch(input);
    finish(input, output);
  }
  virtual BackendMemory memory() const = 0;
};

}  // namespace pagoda
