#pragma once
// Background precompute of a grammar's per-state token masks, as xgrammar fills its mask cache
// when it compiles a grammar: once a grammar meets a vocabulary, the masks of its DFA states are
// computed ahead of need, breadth-first over the DFA's byte transitions from the start state (so
// the states a request reaches first are ready first: every state is a token boundary for some
// output, as every byte is a token), on a process-wide pool of low-priority threads. The
// caller's compute makes and stores a state's mask and decides what fits (the grammar's cache
// budget); the job stops at the first mask that does not, when every state is done, or when
// cancelled.
// Threading: start, cancel and progress from any thread but a pool thread; compute runs on pool
// threads, never after cancel() returned.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "engine/grammar/automaton.h"
#include "engine/grammar/token_vocabulary.h"

namespace pagoda::grammar {

class MaskPrecompute {
 public:
  // Computes and stores the mask of (state, first) if it is not cached; false once the budget
  // is spent (which stops the job).
  using Compute = std::function<bool(int32_t state, bool first)>;
  struct Progress {
    size_t states = 0;         // states done
    bool finished = false;     // every reachable state done, the budget spent, or cancelled
    bool budget_spent = false;
    double wall_s = 0;         // start to finish (or to now)
  };

  // dfa must outlive the job (until cancel() returns or it finished).
  static std::shared_ptr<MaskPrecompute> start(const Dfa& dfa,
                                               std::shared_ptr<const TokenVocabulary> vocab,
                                               Compute compute);
  ~MaskPrecompute();
  // Drops the states not started and waits for the running ones: no store call afterwards.
  void cancel();
  Progress progress() const;
  // Tests and benchmarks: waits until finished or timeout_s passed.
  Progress wait(double timeout_s) const;
  // The pool's threads: PAGODA_GRAMMAR_PRECOMPUTE_THREADS, else half the hardware threads
  // (1 to 8), so that the step's own mask threads keep cores.
  static int pool_threads();

 private:
  MaskPrecompute(const Dfa& dfa, std::shared_ptr<const TokenVocabulary> vocab, Compute compute);
  friend class PrecomputePool;
  using Clock = std::chrono::steady_clock;

  const Dfa& dfa_;
  std::shared_ptr<const TokenVocabulary> vocab_;  // alive while compute may use it
  Compute compute_;
  // Guarded by the pool's mutex:
  std::vector<uint8_t> queued_or_done_;  // per (state, first)
  size_t queued_ = 0, running_ = 0, states_ = 0;
  bool cancelled_ = false, finished_ = false, budget_spent_ = false;
  Clock::time_point started_, ended_;
};

}  // namespace pagoda::grammar
