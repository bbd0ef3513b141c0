#include "engine/core/scheduler.h"

#include <algorithm>
#include <cassert>

#include "engine/util/error.h"

namespace pagoda {

Scheduler::Scheduler(const SchedulerConfig& config, BlockManager& blocks)
    : config_(config), blocks_(blocks) {
  if (config_.max_num_seqs < 1 || config_.max_num_batched_tokens < 1)
    throw InvalidArgument("scheduler: max_num_seqs and max_num_batched_tokens must be positive");
}

Sequence* Scheduler::add(std::unique_ptr<Sequence> seq) {
  assert(seq && !seq->token_ids.empty() && !seqs_.count(seq->seq_id));
  Sequence* raw = seq.get();
  raw->status = SeqStatus::Waiting;
  raw->num_computed_tokens = 0;
  seqs_.emplace(raw->seq_id, std::move(seq));
  waiting_.push_back(raw);
  return raw;
}

Sequence* Scheduler::get(int64_t seq_id) const {
  auto it = seqs_.find(seq_id);
  return it == seqs_.end() ? nullptr : it->second.get();
}

bool Scheduler::waits_for_leader(const Sequence& seq) const {
  if (seq.group_leader < 0 || seq.group_leader == seq.seq_id) return false;
  const Sequence* leader = get(seq.group_leader);
  // Until the leader's prompt KV exists, a sibling would find nothing in the prefix cache.
  return leader && leader->num_computed_tokens < leader->num_prompt_tokens;
}

void Scheduler::preempt(Sequence* seq, SchedulerOutput& out) {
  blocks_.free(seq->seq_id);
  seq->num_computed_tokens = 0;
  seq->status = SeqStatus::Waiting;
  waiting_.push_front(seq);
  out.preempted.push_back(seq->seq_id);
  ++num_preemptions_;
}

SchedulerOutput Scheduler::schedule() {
  SchedulerOutput out;
  int budget = config_.max_num_batched_tokens;

  // Running sequences first, oldest first; the newest are the preemption victims.
  for (size_t i = 0; i < running_.size() && budget > 0;) {
    Sequence* seq = running_[i];
    const int num_new = std::min(seq->num_tokens() - seq->num_computed_tokens, budget);
    if (num_new <= 0) {
      ++i;
      continue;
    }
    bool self_preempted = false;
    while (!blocks_.allocate_slots(seq->seq_id, seq->num_computed_tokens + num_new)) {
      Sequence* victim = running_.back();
      running_.pop_back();
      preempt(victim, out);
      if (victim == seq) {
        self_preempted = true;
        break;
      }
    }
    if (self_preempted) break;
    out.chunks.push_back({seq, seq->seq_id, seq->num_computed_tokens, num_new,
                          seq->num_computed_tokens + num_new == seq->num_tokens(),
                          blocks_.block_table(seq->seq_id)});
    budget -= num_new;
    ++i;
  }

  // Admissions, in arrival order, only when nobody had to make room.
  if (out.preempted.empty()) {
    for (auto it = waiting_.begin(); it != waiting_.end() && budget > 0 &&
                                     static_cast<int>(running_.size()) < config_.max_num_seqs;) {
      Sequence* seq = *it;
      if (waits_for_leader(*seq)) {
        ++it;
        continue;
      }
      // One prefix-cache lookup per admission: the query's result goes to the commit.
      const PrefixMatch match = blocks_.match_prefix(seq->token_ids);
      const int cached = match.num_tokens;
      const int num_new = std::min(seq->num_tokens() - cached, budget);
      if (!blocks_.can_allocate(match, cached + num_new)) break;  // FCFS: nobody overtakes
      const int got = blocks_.allocate(seq->seq_id, seq->num_tokens(), match, cached + num_new);
      assert(got == cached);
      seq->num_computed_tokens = got;
      if (!seq->admitted_before) seq->num_cached_tokens = std::min(got, seq->num_prompt_tokens);
      seq->admitted_before = true;
      seq->status = SeqStatus::Running;
      running_.push_back(seq);
      it = waiting_.erase(it);
      out.chunks.push_back({seq, seq->seq_id, got, num_new, got + num_new == seq->num_tokens(),
                            blocks_.block_table(seq->seq_id)});
      budget -= num_new;
    }
  }
  out.num_batched_tokens = config_.max_num_batched_tokens - budget;
  return out;
}

void Scheduler::update(const SchedulerOutput& out, std::span<const int32_t> sampled_tokens) {
  size_t next = 0;
  for (const auto& chunk : out.chunks) {
    Sequence* seq = chunk.seq;
    seq->num_computed_tokens = chunk.context_len + chunk.num_tokens;
    blocks_.cache_computed(seq->seq_id, seq->token_ids, seq->num_computed_tokens);
    if (chunk.sample) {
      assert(next < sampled_tokens.size());
      seq->token_ids.push_back(sampled_tokens[next++]);
    }
  }
}

void Scheduler::finish(int64_t seq_id) {
  auto it = seqs_.find(seq_id);
  if (it == seqs_.end()) return;
  Sequence* seq = it->second.get();
  if (seq->status == SeqStatus::Running) {
    running_.erase(std::find(running_.begin(), running_.end(), seq));
  } else {
    waiting_.erase(std::find(waiting_.begin(), waiting_.end(), seq));
  }
  blocks_.free(seq_id);
  seqs_.erase(it);
}

}  // namespace pagoda
