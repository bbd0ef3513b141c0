#pragma once
// Background precompute of a grammar's per-state token masks, as xgrammar fills its mask cache
// when it compiles a grammar: once a grammar meets a vocabulary, the masks of the DFA states that
// tokens reach are computed ahead of need, breadth-first from the start state (so the states a
// request reaches first are ready first), on a process-wide pool of low-priority threads. Each
// state is walked once for its mask and its successor states (the states its allowed tokens lead
// to). The caller's store decides what fits (the grammar's cache budget); the job stops at the
// first mask that does not, when every reachable state is done, or when cancelled.
// Threading: start, cancel and progress from any thread but a pool thread; store runs on pool
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
  // Stores the mask of (state, first); false once the budget is spent (which stops the job).
  using Store = std::function<bool(int32_t state, bool first, std::span<const uint32_t> words)>;
  struct Progress {
    size_t states = 0;         // masks computed
    bool finished = false;     // every reachable state done, the budget spent, or cancelled
    bool budget_spent = false;
    double wall_s = 0;         // start to finish (or to now)
  };

  // dfa must outlive the job (until cancel() returns or it finished).
  static std::shared_ptr<MaskPrecompute> start(const Dfa& dfa,
                                               std::shared_ptr<const TokenVocabulary> vocab,
                                               Store store);
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
  MaskPrecompute(const Dfa& dfa, std::shared_ptr<const TokenVocabulary> vocab, Store store);
  friend class PrecomputePool;
  using Clock = std::chrono::steady_clock;

  const Dfa& dfa_;
  std::shared_ptr<const TokenVocabulary> vocab_;
  Store store_;
  uint64_t id_;  // tells jobs apart in the workers' scratch
  // Guarded by the pool's mutex:
  std::vector<uint8_t> queued_or_done_;  // per (state, first)
  size_t queued_ = 0, running_ = 0, states_ = 0;
  bool cancelled_ = false, finished_ = false, budget_spent_ = false;
  Clock::time_point started_, ended_;
};

}  // namespace pagoda::grammar
