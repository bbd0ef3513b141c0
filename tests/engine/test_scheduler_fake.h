#pragma once
// A fake model for scheduler tests (vLLM's create_scheduler/create_requests style): its "KV cache"
// stores token ids in the slots the block tables name, and its next token is a hash of the context
// read back through the block table, so a wrong table, a stale prefix-cache hit or a bad
// preemption changes the generated tokens.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <vector>

#include "engine/core/block_manager.h"
#include "engine/core/scheduler.h"

namespace pagoda::testing {

class FakeModel {
 public:
  FakeModel(const BlockManager& blocks, int vocab = 1000)
      : blocks_(blocks),
        kv_(static_cast<size_t>(blocks.num_blocks()) * blocks.block_size(), -1),
        vocab_(vocab) {}

  std::vector<int32_t> run(const SchedulerOutput& out) {
    std::vector<int32_t> sampled;
    const int bs = blocks_.block_size();
    for (const auto& chunk : out.chunks) {
      const Sequence& seq = *chunk.seq;
      // The chunk carries its table: the backend needs nothing but the scheduler output.
      EXPECT_EQ(chunk.seq_id, seq.seq_id);
      EXPECT_EQ(chunk.block_table, blocks_.block_table(seq.seq_id));
      const auto& table = chunk.block_table;
      EXPECT_GE(static_cast<int>(table.size()) * bs, chunk.context_len + chunk.num_tokens);
      // Context the sequence did not compute itself (prefix cache) must hold its tokens.
      for (int t = 0; t < chunk.context_len; ++t)
        EXPECT_EQ(kv_[slot(table, t)], seq.token_ids[t]) << "seq " << seq.seq_id << " pos " << t;
      for (int t = chunk.context_len; t < chunk.context_len + chunk.num_tokens; ++t)
        kv_[slot(table, t)] = seq.token_ids[t];
    }
    for (const auto& chunk : out.chunks) {
      if (!chunk.sample) continue;
      const auto& table = chunk.block_table;
      uint64_t h = 1469598103934665603ull;
      for (int t = 0; t < chunk.context_len + chunk.num_tokens; ++t)
        h = (h ^ static_cast<uint64_t>(kv_[slot(table, t)] + 7)) * 1099511628211ull;
      sampled.push_back(static_cast<int32_t>(h % static_cast<uint64_t>(vocab_)));
    }
    return sampled;
  }

 private:
  size_t slot(const std::vector<int32_t>& table, int t) const {
    const int bs = blocks_.block_size();
    return static_cast<size_t>(table[t / bs]) * bs + t % bs;
  }
  const BlockManager& blocks_;
  std::vector<int32_t> kv_;
  int vocab_;
};

inline std::unique_ptr<Sequence> make_seq(int64_t id, std::vector<int32_t> prompt) {
  auto seq = std::make_unique<Sequence>();
  seq->seq_id = id;
  seq->num_prompt_tokens = static_cast<int>(prompt.size());
  seq->token_ids = std::move(prompt);
  return seq;
}

// Runs steps until every sequence has max_tokens outputs; returns each sequence's output ids.
inline std::map<int64_t, std::vector<int32_t>> run_all(Scheduler& sched, FakeModel& model,
                                                       int max_tokens, int max_steps = 100000) {
  std::map<int64_t, std::vector<int32_t>> outputs;
  for (int step = 0; step < max_steps && sched.has_unfinished(); ++step) {
    auto out = sched.schedule();
    auto sampled = model.run(out);
    sched.update(out, sampled);
    for (const auto& chunk : out.chunks) {
      if (!chunk.sample) continue;
      Sequence* seq = chunk.seq;
      if (seq->num_output_tokens() >= max_tokens) {
        auto o = seq->output_ids();
        outputs[seq->seq_id].assign(o.begin(), o.end());
        sched.finish(seq->seq_id);
      }
    }
  }
  return outputs;
}

}  // namespace pagoda::testing
