#pragma once
// Per-request generation settings, and the one place where a model's generation_config.json
// defaults meet what a request asks for. Plain values; no threading rule.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/model/model_config.h"

namespace pagoda {

// What the output must match, enforced by constrained decoding (engine/grammar): the sampler
// masks every token that cannot continue a valid output. Set by the server from
// response_format / guided_* fields, and by tool_choice "required" or a named function.
struct StructuredOutput {
  enum class Kind { json_object, json_schema, regex, choice };
  Kind kind = Kind::json_object;
  std::string spec;                  // json_schema: the schema's JSON text; regex: the pattern
  std::vector<std::string> choices;  // choice: the output is exactly one of these
};

// What one request asks for, as the server, the CLI and the GUI receive it. An unset field
// takes the model's generation_config.json value, then the neutral default below.
struct SamplingRequest {
  std::optional<int> n;
  std::optional<float> temperature, top_p, min_p;
  std::optional<int> top_k;
  std::optional<float> repetition_penalty, presence_penalty, frequency_penalty;
  std::optional<uint64_t> seed;
  std::optional<int> max_tokens, min_tokens;
  std::optional<std::vector<std::string>> stop;
  std::optional<std::vector<int32_t>> stop_token_ids;
  std::optional<bool> ignore_eos, skip_special_tokens, include_stop_str_in_output;
  std::optional<int> logprobs;
  std::optional<StructuredOutput> structured_output;
};

// A parameter that is out of range: its name (OpenAI's `param`) and why.
struct ParamError {
  std::string param;
  std::string message;
};

// Per-request generation settings, with vLLM's meanings.
struct SamplingParams {
  int n = 1;
  float temperature = 1.0f;  // 0 = greedy (is_greedy(), backend/greedy.h)
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
  std::optional<StructuredOutput> structured_output;  // none: unconstrained

  // vLLM's policy: each field the request sets wins; otherwise the model's generation_config
  // value (temperature, top_p, top_k, min_p, repetition_penalty, max_new_tokens) if it ships one;
  // otherwise the neutral default. do_sample is ignored, as vLLM does: greedy means
  // temperature 0, and the other fields (repetition_penalty included) still apply.
  static SamplingParams with_defaults(const GenerationDefaults& defaults,
                                      const SamplingRequest& request = {});

  // The first field out of range, or nothing. The same limits for every entry point.
  std::optional<ParamError> check() const;

  // Adds the stop strings / ids a prompt format needs (ChatPrompt::stop, stop_token_ids) to the
  // request's own, each once.
  void add_stops(const std::vector<std::string>& strings, const std::vector<int32_t>& ids);
};

}  // namespace pagoda
