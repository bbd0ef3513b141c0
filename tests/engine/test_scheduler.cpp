// Scheduler + BlockManager driven by a fake model: budgets, chunked prefill, prefix sharing,
// preemption by recompute, and a long seeded random run that must leak no block.
#include <gtest/gtest.h>

#include <random>

#include "tests/engine/test_scheduler_fake.h"

namespace pagoda {
namespace {

using testing::FakeModel;
using testing::make_seq;
using testing::run_all;

std::vector<int32_t> random_prompt(std::mt19937& rng, int len) {
  std::uniform_int_distribution<int32_t> tok(0, 999);
  std::vector<int32_t> p(len);
  for (auto& t : p) t = tok(rng);
  return p;
}

TEST(Scheduler, ChunkedPrefillRespectsTheBudget) {
  BlockManager bm(64, 16);
  Scheduler sched({.max_num_seqs = 8, .max_num_batched_tokens = 32}, bm);
  FakeModel model(bm);
  std::mt19937 rng(1);
  sched.add(make_seq(1, random_prompt(rng, 100)));
  sched.add(make_seq(2, random_prompt(rng, 10)));
  std::vector<int> seq1_chunks;
  int steps = 0;
  while (sched.has_unfinished()) {
    auto out = sched.schedule();
    ASSERT_FALSE(out.empty());
    int total = 0;
    for (auto& c : out.chunks) {
      total += c.num_tokens;
      if (c.seq->seq_id == 1 && c.seq->num_output_tokens() == 0)
        seq1_chunks.push_back(c.num_tokens);
    }
    EXPECT_EQ(total, out.num_batched_tokens);
    EXPECT_LE(total, 32);
    sched.update(out, model.run(out));
    for (int64_t id : {1, 2})
      if (Sequence* s = sched.get(id); s && s->num_output_tokens() >= 3) sched.finish(id);
    ASSERT_LT(++steps, 100);
  }
  EXPECT_EQ(seq1_chunks, (std::vector<int>{32, 32, 32, 4}));
  EXPECT_EQ(bm.num_free_blocks(), 64);
}

TEST(Scheduler, RunningFirstThenWaitingWithinMaxNumSeqs) {
  BlockManager bm(64, 4);
  Scheduler sched({.max_num_seqs = 2, .max_num_batched_tokens = 100}, bm);
  FakeModel model(bm);
  for (int i = 0; i < 3; ++i) sched.add(make_seq(i, {1, 2, 3, i}));
  auto out = sched.schedule();
  ASSERT_EQ(out.chunks.size(), 2u);  // max_num_seqs
  EXPECT_EQ(sched.num_waiting(), 1);
  sched.update(out, model.run(out));
  sched.finish(0);
  out = sched.schedule();
  ASSERT_EQ(out.chunks.size(), 2u);
  EXPECT_EQ(out.chunks[0].seq->seq_id, 1);  // running first (a decode of one token)
  EXPECT_EQ(out.chunks[0].num_tokens, 1);
  EXPECT_EQ(out.chunks[1].seq->seq_id, 2);  // then the admission
}

TEST(Scheduler, SharedPrefixIsComputedOnce) {
  BlockManager bm(64, 4);
  Scheduler sched({.max_num_seqs = 8, .max_num_batched_tokens = 256}, bm);
  FakeModel model(bm);
  std::vector<int32_t> system(13, 5);
  auto p1 = system, p2 = system;
  p1.push_back(1);
  p2.push_back(2);
  sched.add(make_seq(1, p1));
  run_all(sched, model, 2);
  sched.add(make_seq(2, p2));
  auto out = sched.schedule();
  ASSERT_EQ(out.chunks.size(), 1u);
  EXPECT_EQ(out.chunks[0].context_len, 12);  // three full blocks from the cache
  EXPECT_EQ(out.chunks[0].num_tokens, 2);
  EXPECT_EQ(out.chunks[0].seq->num_cached_tokens, 12);
}

TEST(Scheduler, GroupSiblingsWaitForTheLeaderPrompt) {
  BlockManager bm(64, 4);
  Scheduler sched({.max_num_seqs = 8, .max_num_batched_tokens = 256}, bm);
  FakeModel model(bm);
  std::vector<int32_t> prompt(18, 3);
  for (int i = 0; i < 3; ++i) {
    auto s = make_seq(10 + i, prompt);
    s->group_leader = 10;
    sched.add(std::move(s));
  }
  auto out = sched.schedule();
  ASSERT_EQ(out.chunks.size(), 1u);
  sched.update(out, model.run(out));
  out = sched.schedule();
  ASSERT_EQ(out.chunks.size(), 3u);
  EXPECT_EQ(out.chunks[1].context_len, 16);
  EXPECT_EQ(out.chunks[2].context_len, 16);
  EXPECT_EQ(bm.prefix_cache_hits(), 32);
}

TEST(Scheduler, PreemptionAndResumeGiveIdenticalTokens) {
  std::mt19937 rng(7);
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < 12; ++i) prompts.push_back(random_prompt(rng, 5 + i * 7));
  auto run = [&](int64_t num_blocks, int budget, int64_t* preemptions) {
    BlockManager bm(num_blocks, 4);
    Scheduler sched({.max_num_seqs = 16, .max_num_batched_tokens = budget}, bm);
    FakeModel model(bm);
    for (size_t i = 0; i < prompts.size(); ++i) sched.add(make_seq(i, prompts[i]));
    auto outs = run_all(sched, model, 40);
    EXPECT_EQ(bm.num_free_blocks(), num_blocks);
    EXPECT_TRUE(bm.check_invariants());
    *preemptions = sched.num_preemptions();
    return outs;
  };
  int64_t p_big = 0, p_small = 0, p_chunked = 0;
  auto reference = run(1024, 4096, &p_big);
  // The longest sequence needs (82 + 40) / 4 = 31 blocks; 40 blocks force preemptions.
  auto tight = run(40, 4096, &p_small);
  auto chunked = run(40, 7, &p_chunked);
  EXPECT_EQ(p_big, 0);
  EXPECT_GT(p_small, 0);
  EXPECT_GT(p_chunked, 0);
  ASSERT_EQ(reference.size(), prompts.size());
  EXPECT_EQ(tight, reference);
  EXPECT_EQ(chunked, reference);
}

TEST(Scheduler, NoAdmissionInAStepThatPreempted) {
  BlockManager bm(4, 2);  // 8 token slots
  Scheduler sched({.max_num_seqs = 8, .max_num_batched_tokens = 64}, bm);
  FakeModel model(bm);
  sched.add(make_seq(1, {1, 2, 3}));
  sched.add(make_seq(2, {4, 5, 6}));
  auto out = sched.schedule();  // both admitted: 2 blocks each
  ASSERT_EQ(out.chunks.size(), 2u);
  sched.update(out, model.run(out));
  sched.add(make_seq(3, {7}));
  out = sched.schedule();  // 4 tokens each fit in 2 blocks
  sched.update(out, model.run(out));
  out = sched.schedule();  // 5 tokens need a third block: seq 2 (newest) is preempted
  ASSERT_EQ(out.preempted, std::vector<int64_t>{2});
  ASSERT_EQ(out.chunks.size(), 1u);
  EXPECT_EQ(out.chunks[0].seq->seq_id, 1);
  EXPECT_EQ(sched.num_waiting(), 2);
  EXPECT_EQ(sched.get(2)->num_computed_tokens, 0);
}

TEST(Scheduler, SeededRandomRunLeaksNoBlock) {
  std::mt19937 rng(12345);
  BlockManager bm(48, 4);
  Scheduler sched({.max_num_seqs = 6, .max_num_batched_tokens = 24}, bm);
  FakeModel model(bm);
  std::vector<std::vector<int32_t>> prefixes;
  for (int i = 0; i < 4; ++i) prefixes.push_back(random_prompt(rng, 9));
  std::map<int64_t, int> target;
  int64_t next_id = 0;
  int finished = 0, aborted = 0;
  for (int step = 0; step < 5000; ++step) {
    const int r = static_cast<int>(rng() % 100);
    if (r < 15 && sched.num_waiting() + sched.num_running() < 20) {
      // Half the prompts share a prefix so that the prefix cache is exercised.
      auto prompt = random_prompt(rng, 1 + static_cast<int>(rng() % 40));
      if (rng() % 2) {
        const auto& prefix = prefixes[rng() % prefixes.size()];
        prompt.insert(prompt.begin(), prefix.begin(), prefix.end());
      }
      target[next_id] = 1 + static_cast<int>(rng() % 30);
      sched.add(make_seq(next_id++, prompt));
    } else if (r < 20 && !target.empty()) {
      auto it = std::next(target.begin(), static_cast<long>(rng() % target.size()));
      sched.finish(it->first);
      target.erase(it);
      ++aborted;
    }
    auto out = sched.schedule();
    EXPECT_LE(out.num_batched_tokens, 24);
    sched.update(out, model.run(out));
    for (auto& c : out.chunks) {
      // Paged allocation wastes less than one block per sequence.
      const int covered = static_cast<int>(bm.block_table(c.seq->seq_id).size()) * 4;
      EXPECT_LT(covered - (c.context_len + c.num_tokens), 4);
      if (c.sample && c.seq->num_output_tokens() >= target[c.seq->seq_id]) {
        target.erase(c.seq->seq_id);
        sched.finish(c.seq->seq_id);
        ++finished;
      }
    }
    ASSERT_TRUE(bm.check_invariants()) << "step " << step;
    ASSERT_EQ(bm.num_sequences(), static_cast<size_t>(sched.num_running()));
  }
  for (auto& [id, t] : target) sched.finish(id);
  EXPECT_FALSE(sched.has_unfinished());
  EXPECT_EQ(bm.num_free_blocks(), 48);
  EXPECT_TRUE(bm.check_invariants());
  EXPECT_GT(finished, 100);
  EXPECT_GT(aborted, 50);
  EXPECT_GT(sched.num_preemptions(), 0);
  EXPECT_GT(bm.prefix_cache_hits(), 0);
}

}  // namespace
}  // namespace pagoda
