#pragma once
// A tokenizer's vocabulary as constrained decoding sees it: every id's raw bytes (after the
// decoder: byte-level BPE and SentencePiece byte fallback give single bytes), laid out as a trie
// in depth-first order so that one linear pass with subtree skips checks shared prefixes once.
// Tokens of at most Dfa::kPrefixClassBytes bytes and the (few) longer ones have separate tries,
// so that the short tokens' mask can be shared by the states of one prefix class.
// Special tokens and tokens without bytes are never allowed; EOS is the matcher's business.
// A cold walk can be split into parts (equal node ranges of the tries; a part that starts inside
// a subtree walks its ancestors first) that threads walk into their own buffers.
// Threading: immutable after construction; one instance serves every thread.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/grammar/automaton.h"
#include "engine/tokenizer/tokenizer.h"

namespace pagoda::grammar {

class TokenVocabulary {
 public:
  // vocab_size: the model's logits width (may exceed the tokenizer's).
  TokenVocabulary(const Tokenizer& tokenizer, int32_t vocab_size);

  int32_t size() const { return size_; }
  size_t mask_words() const { return (static_cast<size_t>(size_) + 31) / 32; }
  // A token's bytes as text after it; first: as the first output token (the SentencePiece
  // leading-space rule of the detokenizer applies). Empty for special / unusable tokens.
  std::string_view bytes(int32_t id, bool first) const;
  // Sets the bit of every token whose bytes the DFA accepts from `state` without dying (EOS
  // words must hold mask_words() and is overwritten.
  void fill_mask(const Dfa& dfa, int32_t state, bool first, std::span<uint32_t> words) const;
  // The same in two parts: fill_short_mask overwrites words with the tokens of at most
  // Dfa::kPrefixClassBytes bytes (equal for every state of one prefix class), add_long_tokens
  // sets the bits of the longer ones.
  void fill_short_mask(const Dfa& dfa, int32_t state, bool first,
                       std::span<uint32_t> words) const;
  void add_long_tokens(const Dfa& dfa, int32_t state, bool first,
                       std::span<uint32_t> words) const;
  // Distinguishes vocabularies in caches (never reused within a process).
  uint64_t serial() const { return serial_; }
  // The first output token has bytes of its own (a SentencePiece leading space stripped), so
  // masks with first = true differ from the others; else `first` changes nothing.
  bool distinguishes_first() const { return !first_bytes_.empty(); }

  // One part of a split walk: the nodes [begin, end) of the short and of the long tokens' trie
  // (depth-first order; a part starting inside a subtree walks its ancestors' bytes first).
  struct WalkPart {
    uint32_t short_begin, short_end, long_begin, long_end;
  };
  // Splits the walk from `state` (the short tokens' trie when with_short, and always the long
  // tokens' trie) into max_parts parts with as many nodes each; nothing (do not split) when the
  // root children the state does not kill hold fewer than min_nodes nodes in all, as waking
  // threads would cost more than the walk.
  std::vector<WalkPart> split_walk(const Dfa& dfa, int32_t state, bool first, bool with_short,
                                   int max_parts, uint32_t min_nodes) const;
  // Sets (ORs in) the bits of the part's tokens that the DFA accepts from `state`.
  void walk_part(const Dfa& dfa, int32_t state, bool first, const WalkPart& part,
                 std::span<uint32_t> words) const;

 private:
  struct Node {
    uint32_t skip;       // the next node outside this subtree
    uint32_t tok_begin;  // tokens ending here: ids[tok_begin, next node's tok_begin)
    uint16_t depth;      // 1 for a root child
    uint8_t byte;
  };
  struct Trie {
    std::vector<Node> nodes;  // depth-first order, plus one sentinel
    std::vector<int32_t> ids;
    std::vector<uint32_t> parent;  // per node: its parent, kRoot for a root child
    static constexpr uint32_t kRoot = ~0u;
    uint16_t max_depth = 0;
    // The ids whose bytes are non-empty and have a length in [min_len, max_len].
    void build(const std::vector<std::string>& bytes, size_t min_len, size_t max_len);
    // Sets the bits of the tokens ending at the nodes in [begin, end) that the DFA reaches
    // from `state` (a begin inside a subtree walks its ancestors' bytes first).
    void fill(const Dfa& dfa, int32_t state, std::span<uint32_t> words, uint32_t begin,
              uint32_t end) const;
    uint32_t end_node() const { return static_cast<uint32_t>(nodes.size()) - 1; }
    // The nodes of the root children whose first byte the DFA accepts from `state`.
    uint32_t live_nodes(const Dfa& dfa, int32_t state) const;
  };
  int32_t size_ = 0;
  std::vector<std::string> bytes_, first_bytes_;  // first_bytes_: only when spaces are stripped
  struct Tries {
    Trie short_tokens, long_tokens;
    void build(const std::vector<std::string>& bytes);
  };
  const Tries& tries(bool first) const { return first && !first_bytes_.empty() ? first_ : all_; }
  Tries all_, first_;
  uint64_t serial_ = 0;
};

}  // namespace pagoda::grammar
