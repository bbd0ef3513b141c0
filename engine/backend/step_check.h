#pragma once
// The one check of a step's input that every backend runs before touching memory: chunks with
// tokens inside the vocabulary, a non-negative context, block tables that cover the tokens with
// ids inside the cache, and the step within the backend's sizes. Pure; any thread.
#include <cstdint>
#include <string>

#include "engine/backend/backend.h"

namespace pagoda {

struct StepLimits {
  int32_t vocab_size = 0;
  int64_t num_blocks = 0;  // KV cache blocks
  int block_size = 0;
  int max_seqs = 0;    // chunks per step; 0: no limit
  int max_tokens = 0;  // tokens per step; 0: no limit
};

// Throws InvalidArgument naming the backend, the chunk and its sequence.
void check_step(const StepInput& input, const StepLimits& limits, const std::string& backend);

}  // namespace pagoda
