#pragma once
// Continuous batching in the vLLM V1 style: no prefill or decode phases, only "how many tokens of
// each sequence now". Each step serves RUNNING sequences first, then admits WAITING ones in
// arrival order, within max_num_batched_tokens and max_num_seqs. A prompt that does not fit the
// remaining budget is chunked. When the KV cache is full the newest running sequence is preempted
// (its blocks freed, recomputed later through the prefix cache) and nothing is admitted that step.
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/core/block_manager.h"
#include "engine/core/sequence.h"

namespace pagoda {

struct SchedulerConfig {
  int max_num_seqs = 256;
  int max_num_batched_tokens = 8192;
};

// One sequence's share of a step, self-contained: the backend input is built from it alone.
struct ScheduledChunk {
  Sequence* seq = nullptr;  // for update() and the engine's bookkeeping
  int64_t seq_id = 0;
  int context_len = 0;  // tokens already computed
  int num_tokens = 0;   // tokens to compute now
  bool sample = false;  // the chunk reaches the last token: sample the next one
  std::vector<int32_t> block_table;  // covers context_len + num_tokens, as of this step
};

struct SchedulerOutput {
  std::vector<ScheduledChunk> chunks;
  std::vector<int64_t> preempted;  // seq ids preempted this step
  int num_batched_tokens = 0;
  bool empty() const { return chunks.empty(); }
};

class Scheduler {
 public:
  Scheduler(const SchedulerConfig& config, BlockManager& blocks);

  // Takes ownership; the sequence waits for admission.
  Sequence* add(std::unique_ptr<Sequence> seq);
  SchedulerOutput schedule();
  // After the backend ran the step: counts the computed tokens, registers full blocks in the prefix
  // cache and appends one sampled token per chunk with sample=true (in chunk order).
  void update(const SchedulerOutput& out, std::span<const int32_t> sampled_tokens);
  // Removes a finished or aborted sequence (waiting or running) and frees its blocks. Unknown ids
  // are ignored.
  void finish(int64_t seq_id);

  Sequence* get(int64_t seq_id) const;
  int num_running() const { return static_cast<int>(running_.size()); }
  int num_waiting() const { return static_cast<int>(waiting_.size()); }
  bool has_unfinished() const { return !seqs_.empty(); }
  int64_t num_preemptions() const { return num_preemptions_; }
  const BlockManager& blocks() const { return blocks_; }

 private:
  void preempt(Sequence* seq, SchedulerOutput& out);
  bool waits_for_leader(const Sequence& seq) const;

  SchedulerConfig config_;
  BlockManager& blocks_;
  std::unordered_map<int64_t, std::unique_ptr<Sequence>> seqs_;
  std::vector<Sequence*> running_;  // admission order: the back is the newest
  std::deque<Sequence*> waiting_;
  int64_t num_preemptions_ = 0;
};

}  // namespace pagoda
