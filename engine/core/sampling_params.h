#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/model_config.h"

namespace pagoda {

// Per-request generation settings, with vLLM's meanings.
struct SamplingParams {
  int n = 1;
  float temperature = 1.0f;  // 0 = greedy
  float top_p = 1.0f;
  int top_k = 0;  // 0 or -1 = off
  float min_p = 0.0f;
  float repetition_penalty = 1.0f;
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  std::optional<uint64_t> seed;  // child i of n>1 uses seed + i
  int max_tokens = -1;           // -1: up to the context length
  int min_tokens = 0;
  std::vector<std::string> stop;  // stop strings, matched across token boundaries, not emitted
  std::vector<int32_t> stop_token_ids;
  bool ignore_eos = false;
  int logprobs = -1;  // -1: none; k >= 0: sampled token's logprob plus top k
  bool skip_special_tokens = true;
  bool include_stop_str_in_output = false;

  // A model's generation_config.json defaults (temperature, top_p, top_k, ...).
  static SamplingParams from_defaults(const GenerationDefaults& defaults);
};

}  // namespace pagoda
