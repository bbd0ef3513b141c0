#pragma once
// The text side of one output sequence: incremental detokenization and every stop rule (EOS, stop
// token ids, stop strings across token boundaries, min/max tokens, the context limit). Text that
// could be the start of a stop string is held back until it is known not to be one, so a stop
// string is never emitted (unless include_stop_str_in_output).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/engine.h"
#include "engine/core/sampling_params.h"
#include "engine/tokenizer/tokenizer.h"

namespace pagoda {

class SequenceOutput {
 public:
  // max_tokens: already resolved (never -1); eos_ids: every id that ends generation.
  SequenceOutput(const Tokenizer& tokenizer, const SamplingParams& params,
                 std::vector<int32_t> eos_ids, int max_tokens, int max_model_len);

  // Applies the token just appended; the sequence now has num_output_tokens outputs and
  // num_tokens tokens in all. Returns the text to emit now (possibly empty).
  std::string push(int32_t token, int num_output_tokens, int num_tokens);
  // Ends the sequence from outside (abort, error): returns nothing more.
  void finish_with(FinishReason reason) { finish_ = reason; }
  // Ends it as a stop (a grammar that accepted its end with ignore_eos set) and returns the text
  // still held back.
  std::string finish_stop();

  FinishReason finish() const { return finish_; }
  bool finished() const { return finish_ != FinishReason::None; }
  const std::string& stop_reason() const { return stop_reason_; }
  // Ids the sampler must not pick before min_tokens outputs exist (EOS and stop token ids).
  std::vector<int32_t> banned_ids(int num_output_tokens) const;

 private:
  std::string release(const std::string& text, int num_output_tokens, bool final);
  bool is_eos(int32_t id) const;
  bool is_stop_token(int32_t id) const;

  IncrementalDetokenizer detok_;
  const SamplingParams& params_;
  std::vector<int32_t> eos_ids_;
  int max_tokens_;
  int max_model_len_;
  size_t longest_stop_ = 0;
  std::string held_;  // text not yet emitted: it may start a stop string
  FinishReason finish_ = FinishReason::None;
  std::string stop_reason_;
};

}  // namespace pagoda
