#pragma once
// One output sequence of a request (a request with n > 1 fans out into n sequences): the state the
// scheduler and the block manager share. Token ids only; text lives in the engine's output side.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace pagoda {

enum class SeqStatus { Waiting, Running, Finished };

struct Sequence {
  int64_t seq_id = 0;
  std::vector<int32_t> token_ids;  // prompt followed by output
  int num_prompt_tokens = 0;
  int num_computed_tokens = 0;  // tokens whose KV is in the cache
  int num_cached_tokens = 0;    // prompt tokens served by the prefix cache at first admission
  bool admitted_before = false;
  SeqStatus status = SeqStatus::Waiting;
  // Sequences of one request with n > 1 share a group: later siblings wait until the first one's
  // prompt is computed so that they find it in the prefix cache.
  int64_t group_leader = -1;  // seq_id of the group's first sequence, -1 when alone

  int num_tokens() const { return static_cast<int>(token_ids.size()); }
  int num_output_tokens() const { return num_tokens() - num_prompt_tokens; }
  std::span<const int32_t> prompt_ids() const {
    return std::span<const int32_t>(token_ids).first(num_prompt_tokens);
  }
  std::span<const int32_t> output_ids() const {
    return std::span<const int32_t>(token_ids).subspan(num_prompt_tokens);
  }
};

}  // namespace pagoda
