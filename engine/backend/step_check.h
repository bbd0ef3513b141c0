#pragma once
// The one check of a step's input that every backend runs before touching memory: chunks with
// tokens inside the vocabulary, a non-negative context, block tables that cover the tokens with
// ids inside the cache, and the step within the backend's sizes. Pure; any thread. Also the
// launch/finish pairing that every backend enforces the same way (StepInFlight: one per backend,
// driven by the backend's one thread).
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

// Which StepInput a backend has launched and not finished yet (Backend::launch/finish).
class StepInFlight {
 public:
  // At the start of launch(): throws pagoda::Error while a launched step is not finished.
  void check_idle(const std::string& backend) const;
  // At the end of a launch() that succeeded.
  void launched(const StepInput& input) { input_ = &input; }
  // At the start of finish(): throws pagoda::Error when nothing, or another input, is in
  // flight; the step counts as finished either way (so that a failed finish ends it).
  void finish(const StepInput& input, const std::string& backend);
  bool busy() const { return input_ != nullptr; }

 private:
  const StepInput* input_ = nullptr;
};

}  // namespace pagoda
