#pragma once
// Constrained decoding: a StructuredOutput (JSON schema, any JSON object, regex, choice) compiled
// once into an immutable Grammar (a byte DFA), and a GrammarMatcher per output sequence that
// gives the allowed next tokens as a bitset over the vocabulary, advances by sampled tokens and
// says when the output is complete (EOS is allowed then, and only EOS when nothing can follow).
// Threading: compile_grammar and Grammar are thread-safe (the cache and the per-state mask cache
// lock inside); a GrammarMatcher belongs to one sequence and one thread at a time.
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/core/sampling_params.h"
#include "engine/grammar/automaton.h"
#include "engine/grammar/token_vocabulary.h"

namespace pagoda::grammar {

class Grammar {
 public:
  Grammar(Dfa dfa, std::string key) : dfa_(std::move(dfa)), key_(std::move(key)) {}
  ~Grammar();
  const Dfa& dfa() const { return dfa_; }
  const std::string& key() const { return key_; }  // kind + spec, the cache key

  // The allowed tokens from `state` (EOS not included), from a cache per vocabulary and state
  // (32 MiB per grammar, 256 MiB for all); states past the budget are computed each time.
  // A state not cached yet takes its short tokens' mask from the cache per prefix class (one
  // trie walk serves every state of the class) and walks only the long tokens itself.
  void token_mask(const TokenVocabulary& vocab, int32_t state, bool first,
                  std::span<uint32_t> words) const;
  // Tests and benchmarks: bypass the per-state cache / the per-prefix-class cache.
  static void set_mask_cache_enabled(bool enabled);
  static void set_shared_masks_enabled(bool enabled);
  // Tests and benchmarks: forget every cached mask of this grammar.
  void drop_cached_masks() const;

 private:
  Dfa dfa_;
  std::string key_;
  mutable std::mutex mu_;
  // Looks up / stores a cached mask (false / nothing once past the budget).
  bool find_cached(uint64_t key, std::span<uint32_t> words) const;
  void store_cached(uint64_t key, std::span<const uint32_t> words) const;

  // (vocab serial, per state or per prefix class, state or class, first) -> mask words
  mutable std::unordered_map<uint64_t, std::shared_ptr<const std::vector<uint32_t>>> masks_;
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
  // valid, plus the end ids when it is complete; nothing once terminated.
  void fill_mask(std::span<uint32_t> words) const;
  // Advances by a sampled token; false (state unchanged) when the token is not allowed.
  bool accept(int32_t token);
  bool is_complete() const { return !terminated_ && grammar_->dfa().accepting(state_); }
  // Some token can still extend the output (else only EOS is allowed).
  bool can_continue() const { return !terminated_ && grammar_->dfa().can_continue(state_); }
  bool terminated() const { return terminated_; }  // EOS accepted
  const TokenVocabulary& vocabulary() const { return *vocab_; }

 private:
  bool is_end(int32_t token) const;

  std::shared_ptr<const Grammar> grammar_;
  std::shared_ptr<const TokenVocabulary> vocab_;
  std::vector<int32_t> end_ids_;
  int32_t state_ = 0;
  bool first_ = true;  // no token with bytes accepted yet
  bool terminated_ = false;
};

}  // namespace pagoda::grammar
