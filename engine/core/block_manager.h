#pragma once
// The paged KV-cache manager: fixed-size blocks, one block table per sequence, reference counts and
// automatic prefix caching. Every change comes as a query (const, changes nothing) and a commit.
//
// Prefix caching: a FULL block whose KV has been computed gets a hash chained from its parent
// block's hash and its token ids. A freed block keeps its hash and joins the free queue's tail, so
// the free queue is the LRU cache; allocation takes blocks from its head and forgets their hash.
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

namespace pagoda {

// The prefix-cache lookup of one admission: the query's result, handed to the commit so that
// the lookup runs once (vLLM's get_computed_blocks, then allocate_slots).
struct PrefixMatch {
  std::vector<int32_t> blocks;  // cached blocks of the whole-block prefix, in order
  int64_t num_revived = 0;      // of those, blocks nobody holds (they leave the free queue)
  int num_tokens = 0;           // tokens they cover
};

class BlockManager {
 public:
  BlockManager(int64_t num_blocks, int block_size, bool enable_prefix_caching = true);

  int block_size() const { return block_size_; }
  int64_t num_blocks() const { return static_cast<int64_t>(blocks_.size()); }
  int64_t num_free_blocks() const { return num_free_; }
  int64_t num_used_blocks() const { return num_blocks() - num_free_; }
  double usage() const;  // 0..1; cached blocks nobody holds count as free
  int64_t prefix_cache_queries() const { return queries_; }  // tokens
  int64_t prefix_cache_hits() const { return hits_; }        // tokens

  // The query: leading tokens of `tokens` whose KV is cached, whole blocks, at most
  // tokens.size() - 1 (the last token is always recomputed so that it yields logits).
  PrefixMatch match_prefix(std::span<const int32_t> tokens) const;
  // Whether a new sequence with this match can get blocks covering its first num_tokens tokens.
  bool can_allocate(const PrefixMatch& match, int num_tokens) const;
  // The commit: creates seq_id's table from the match plus fresh blocks, covering num_tokens
  // tokens, and counts the prefix-cache query of num_query_tokens. Returns the cached tokens.
  // Requires can_allocate(match, num_tokens), with nothing allocated or freed in between.
  int allocate(int64_t seq_id, int num_query_tokens, const PrefixMatch& match, int num_tokens);
  // The same, each looking the prefix up itself (tests and one-off callers).
  int count_cached_tokens(std::span<const int32_t> tokens) const;
  bool can_allocate(std::span<const int32_t> tokens, int num_tokens) const;
  int allocate(int64_t seq_id, std::span<const int32_t> tokens, int num_tokens);
  // Whether seq_id's table can grow to cover num_tokens tokens.
  bool can_append(int64_t seq_id, int num_tokens) const;
  void append(int64_t seq_id, int num_tokens);
  // vLLM's allocate_slots: grows the table, or returns false (changing nothing) when the cache is
  // full and the caller has to preempt.
  bool allocate_slots(int64_t seq_id, int num_tokens);
  // Registers the full blocks among the first num_computed tokens (their KV now exists) in the
  // prefix cache.
  void cache_computed(int64_t seq_id, std::span<const int32_t> tokens, int num_computed);
  // Releases the sequence's blocks (last block first to the free queue's tail).
  void free(int64_t seq_id);
  // Forgets every cached hash (blocks held by sequences stay).
  void reset_prefix_cache();

  bool has(int64_t seq_id) const { return tables_.count(seq_id) != 0; }
  const std::vector<int32_t>& block_table(int64_t seq_id) const;
  size_t num_sequences() const { return tables_.size(); }
  // Sum of ref counts must equal table entries and the free queue must hold exactly the free
  // blocks (tests).
  bool check_invariants() const;

 private:
  static constexpr int32_t kNone = -1;
  struct Block {
    int32_t ref_count = 0;
    bool hashed = false;  // registered in cached_ under hash
    uint64_t hash = 0;
    uint64_t parent_hash = 0;
    int32_t prev = kNone, next = kNone;  // free-queue links
    bool in_free_queue = false;
  };
  struct SeqTable {
    std::vector<int32_t> blocks;
    int num_cached_blocks = 0;  // leading blocks already registered or taken from the cache
  };

  // Cached block ids for the whole-block prefix of tokens, limited to (size-1)/block_size.
  std::vector<int32_t> find_cached(std::span<const int32_t> tokens) const;
  uint64_t block_hash(uint64_t parent, std::span<const int32_t> block_tokens) const;
  int blocks_for(int num_tokens) const { return (num_tokens + block_size_ - 1) / block_size_; }
  void push_free_tail(int32_t id);
  void push_free_head(int32_t id);
  void unlink_free(int32_t id);
  int32_t pop_free_head();
  void forget_hash(int32_t id);

  int block_size_;
  bool prefix_caching_;
  std::vector<Block> blocks_;
  std::vector<int32_t> block_tokens_;  // block_size ids per block, valid while hashed
  int32_t free_head_ = kNone, free_tail_ = kNone;
  int64_t num_free_ = 0;
  std::unordered_map<uint64_t, int32_t> cached_;  // hash -> block
  std::unordered_map<int64_t, SeqTable> tables_;
  int64_t queries_ = 0, hits_ = 0;
};

}  // namespace pagoda
