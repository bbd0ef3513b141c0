#pragma once
// Constrained decoding: a StructuredOutput (JSON schema, any JSON object, regex, choice) compiled
// once into an immutable Grammar (a byte DFA), and a GrammarMatcher per output sequence that
// gives the allowed next tokens as a bitset over the vocabulary, advances by sampled tokens and
// says when the output is complete (EOS is allowed then, and only EOS when nothing can follow).
// A grammar's masks are precomputed in the background once it meets a vocabulary
// (mask_precompute.h); a state not ready yet is computed by the caller, never waited for.
// Threading: compile_grammar and Grammar are thread-safe (the cache and the per-state mask cache
// lock inside; the precompute's threads store through the same lock and are cancelled and
// joined before the grammar goes away); a GrammarMatcher belongs to one sequence and one thread
// at a time.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/core/sampling_params.h"
#include "engine/grammar/automaton.h"
#include "engine/grammar/mask_precompute.h"
#include "engine/grammar/token_vocabulary.h"

namespace pagoda::grammar {

// Runs fn(i) for every i in [0, n), on several threads, and returns when all are done.
using ParallelFor = std::function<void(int n, const std::function<void(int)>& fn)>;

class Grammar {
 public:
  Grammar(Dfa dfa, std::string key) : dfa_(std::move(dfa)), key_(std::move(key)) {}
  ~Grammar();  // cancels the precompute and waits for its running walks
  const Dfa& dfa() const { return dfa_; }
  const std::string& key() const { return key_; }  // kind + spec, the cache key

  // The allowed tokens from `state` (EOS not included), from a cache per vocabulary and state
  // (32 MiB per grammar, 256 MiB for all; equal masks stored once, a further state with one
  // costs 64 bytes); states past the budget are computed each time.
  // A state not cached yet takes its short tokens' mask from the cache per prefix class (one
  // trie walk serves every state of the class) and walks only the long tokens itself; with
  // `split`, a walk large enough to pay is split over its threads. Returns true when the mask
  // came from the per-state cache (warm), false when it was computed (cold).
  bool token_mask(const TokenVocabulary& vocab, int32_t state, bool first,
                  std::span<uint32_t> words, const ParallelFor* split = nullptr,
                  int split_parts = 0) const;
  // The mask when the per-state cache has it (a copy); false, words untouched, when not.
  bool cached_mask(const TokenVocabulary& vocab, int32_t state, bool first,
                   std::span<uint32_t> words) const;

  // Starts the background precompute of this grammar's masks for vocab (once per vocabulary;
  // nothing when precompute is off). Called by the engine when a request is added, and by the
  // first mask of a vocabulary otherwise.
  void start_precompute(const std::shared_ptr<const TokenVocabulary>& vocab) const;
  // Stops every precompute of this grammar (when it leaves the grammar cache); masks already
  // stored stay. A later start_precompute does not restart it.
  void cancel_precompute() const;
  // Tests and benchmarks: waits (up to timeout_s) for the precompute for vocab to finish.
  MaskPrecompute::Progress wait_precompute(const TokenVocabulary& vocab, double timeout_s) const;

  // Tests and benchmarks: bypass the per-state cache / the per-prefix-class cache; turn the
  // precompute (PAGODA_GRAMMAR_PRECOMPUTE, default on) and the split walk
  // (PAGODA_GRAMMAR_SPLIT_WALK, default on) on or off.
  static void set_mask_cache_enabled(bool enabled);
  static void set_shared_masks_enabled(bool enabled);
  static void set_precompute_enabled(bool enabled);
  static void set_split_walk_enabled(bool enabled);
  static bool precompute_enabled();
  static bool split_walk_enabled();
  // A walk is split only when the nodes it may visit reach this many (PAGODA_GRAMMAR_SPLIT_NODES).
  static uint32_t split_min_nodes();
  static void set_split_min_nodes(uint32_t nodes);
  // The per-state and per-class masks cached (all vocabularies), the distinct ones among them
  // (equal masks are stored once), and the bytes charged to the budget.
  struct CacheStats {
    size_t masks = 0, distinct = 0, bytes = 0;
  };
  CacheStats cache_stats() const;
  // Tests and benchmarks: forget every cached mask of this grammar and its precompute (which
  // the next mask or start_precompute starts again).
  void drop_cached_masks() const;

 private:
  Dfa dfa_;
  std::string key_;
  mutable std::mutex mu_;
  // Looks up / stores a cached mask; store returns false when it does not fit in limit_bytes
  // (of this grammar) and all_limit_bytes (of every grammar).
  bool find_cached(uint64_t key, std::span<uint32_t> words) const;
  bool store_cached(uint64_t key, std::span<const uint32_t> words, size_t limit_bytes,
                    size_t all_limit_bytes) const;
  // The mask walked anew: the class's short mask (cached or walked), then the long tokens.
  void compute_mask(const TokenVocabulary& vocab, int32_t state, bool first,
                    std::span<uint32_t> words, const ParallelFor* split, int split_parts) const;
  static uint64_t mask_key(const TokenVocabulary& vocab, bool per_class, int32_t id, bool first);

  // Precompute jobs by vocabulary serial; cancelled ones stay, so that they are not restarted.
  mutable std::mutex jobs_mu_;
  mutable std::vector<std::pair<uint64_t, std::shared_ptr<MaskPrecompute>>> jobs_;
  mutable bool jobs_cancelled_ = false;

  // (vocab serial, per state or per prefix class, state or class, first) -> mask words
  mutable std::unordered_map<uint64_t, std::shared_ptr<const std::vector<uint32_t>>> masks_;
  // content hash -> the stored mask with it, so that equal masks share one copy
  mutable std::unordered_map<uint64_t, std::shared_ptr<const std::vector<uint32_t>>> contents_;
  mutable size_t cached_bytes_ = 0;
};

// Compiles (or finds in an LRU cache of recent grammars, keyed by kind and spec) the grammar of
// a structured output. Throws InvalidArgument naming the unsupported keyword or the bad pattern.
std::shared_ptr<const Grammar> compile_grammar(const StructuredOutput& spec);

class GrammarMatcher {
 public:
  // end_ids: the ids that end the output (EOS, stop token ids): allowed exactly when the output
  // is complete.
  GrammarMatcher(std::shared_ptr<const Grammar> grammar,
                 std::shared_ptr<const TokenVocabulary> vocab, std::vector<int32_t> end_ids);

  // Writes the allowed next tokens (vocab.mask_words() words): tokens that keep the output
  // valid, plus the end ids when it is complete; nothing once terminated. Returns false when
  // the mask was computed (cold) rather than copied from the grammar's cache. split: see
  // Grammar::token_mask.
  bool fill_mask(std::span<uint32_t> words, const ParallelFor* split = nullptr,
                 int split_parts = 0) const;
  // The mask when the grammar's cache has it (as fill_mask would give); false when not.
  bool fill_cached_mask(std::span<uint32_t> words) const;
  // Advances by a sampled token; false (state unchanged) when the token is not allowed.
  bool accept(int32_t token);
  bool is_complete() const { return !terminated_ && grammar_->dfa().accepting(state_); }
  // Some token can still extend the output (else only EOS is allowed).
  bool can_continue() const { return !terminated_ && grammar_->dfa().can_continue(state_); }
  bool terminated() const { return terminated_; }  // EOS accepted
  const TokenVocabulary& vocabulary() const { return *vocab_; }

 private:
  bool is_end(int32_t token) const;
  void apply_end_ids(std::span<uint32_t> words) const;

  std::shared_ptr<const Grammar> grammar_;
  std::shared_ptr<const TokenVocabulary> vocab_;
  std::vector<int32_t> end_ids_;
  int32_t state_ = 0;
  bool first_ = true;  // no token with bytes accepted yet
  bool terminated_ = false;
  mutable bool precompute_started_ = false;
};

}  // namespace pagoda::grammar
