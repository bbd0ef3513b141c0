#include "engine/backend/step_check.h"

#include "engine/util/error.h"

namespace pagoda {

void check_step(const StepInput& input, const StepLimits& limits, const std::string& backend) {
  const int num_chunks = static_cast<int>(input.chunks.size());
  if (limits.max_seqs > 0 && num_chunks > limits.max_seqs)
    throw InvalidArgument(backend + ": " + std::to_string(num_chunks) +
                          " sequences in one step; at most " + std::to_string(limits.max_seqs) +
                          " (max_num_seqs)");
  int64_t tokens = 0;
  for (int c = 0; c < num_chunks; ++c) {
    const SeqChunk& chunk = input.chunks[c];
    const std::string where = backend + ": chunk " + std::to_string(c) + " (sequence " +
                              std::to_string(chunk.seq_id) + "): ";
    if (chunk.token_ids.empty()) throw InvalidArgument(where + "no tokens");
    if (chunk.context_len < 0) throw InvalidArgument(where + "negative context length");
    for (int32_t t : chunk.token_ids)
      if (t < 0 || t >= limits.vocab_size)
        throw InvalidArgument(where + "token id " + std::to_string(t) + " outside the vocabulary");
    const int64_t total = int64_t{chunk.context_len} + static_cast<int64_t>(chunk.token_ids.size());
    const int64_t needed = (total + limits.block_size - 1) / limits.block_size;
    if (static_cast<int64_t>(chunk.block_table.size()) < needed)
      throw InvalidArgument(where + "block table holds " +
                            std::to_string(chunk.block_table.size()) + " blocks, " +
                            std::to_string(needed) + " needed");
    for (int64_t b = 0; b < needed; ++b) {
      const int32_t id = chunk.block_table[b];
      if (id < 0 || id >= limits.num_blocks)
        throw InvalidArgument(where + "block id " + std::to_string(id) + " outside the cache");
    }
    tokens += static_cast<int64_t>(chunk.token_ids.size());
  }
  if (limits.max_tokens > 0 && tokens > limits.max_tokens)
    throw InvalidArgument(backend + ": " + std::to_string(tokens) + " tokens in one step; at most " +
                          std::to_string(limits.max_tokens) + " (max_num_batched_tokens)");
}

void StepInFlight::check_idle(const std::string& backend) const {
  if (input_) throw Error(backend + ": launch() while the previous step is not finished");
}

void StepInFlight::finish(const StepInput& input, const std::string& backend) {
  const StepInput* launched = input_;
  input_ = nullptr;
  if (!launched) throw Error(backend + ": finish() without launch()");
  if (launched != &input) throw Error(backend + ": finish() with another input than launch()");
}

}  // namespace pagoda
