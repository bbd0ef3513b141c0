#include "engine/core/block_manager.h"

#include <xxhash.h>

#include <algorithm>
#include <cassert>
#include <cstring>

#include "engine/util/error.h"

namespace pagoda {

namespace {
// Parent "hash" of a sequence's first block.
constexpr uint64_t kRootHash = 0x9E3779B97F4A7C15ull;
}  // namespace

BlockManager::BlockManager(int64_t num_blocks, int block_size, bool enable_prefix_caching)
    : block_size_(block_size), prefix_caching_(enable_prefix_caching) {
  if (num_blocks <= 0 || block_size <= 0)
    throw InvalidArgument("KV cache: need at least one block of at least one token");
  blocks_.resize(static_cast<size_t>(num_blocks));
  block_tokens_.resize(static_cast<size_t>(num_blocks) * block_size_);
  for (int32_t id = 0; id < num_blocks; ++id) push_free_tail(id);
}

double BlockManager::usage() const {
  return blocks_.empty() ? 0.0 : static_cast<double>(num_used_blocks()) / num_blocks();
}

uint64_t BlockManager::block_hash(uint64_t parent, std::span<const int32_t> block_tokens) const {
  return XXH3_64bits_withSeed(block_tokens.data(), block_tokens.size_bytes(), parent);
}

std::vector<int32_t> BlockManager::find_cached(std::span<const int32_t> tokens) const {
  std::vector<int32_t> hits;
  if (!prefix_caching_ || tokens.empty()) return hits;
  const size_t max_blocks = (tokens.size() - 1) / block_size_;
  uint64_t parent = kRootHash;
  for (size_t b = 0; b < max_blocks; ++b) {
    auto chunk = tokens.subspan(b * block_size_, block_size_);
    uint64_t h = block_hash(parent, chunk);
    auto it = cached_.find(h);
    if (it == cached_.end()) break;
    const Block& blk = blocks_[it->second];
    // A hash collision must not alias two different prefixes.
    const int32_t* stored = &block_tokens_[static_cast<size_t>(it->second) * block_size_];
    if (blk.parent_hash != parent || std::memcmp(stored, chunk.data(), chunk.size_bytes()) != 0)
      break;
    hits.push_back(it->second);
    parent = h;
  }
  return hits;
}

PrefixMatch BlockManager::match_prefix(std::span<const int32_t> tokens) const {
  PrefixMatch m;
  m.blocks = find_cached(tokens);
  m.num_revived = std::count_if(m.blocks.begin(), m.blocks.end(),
                                [&](int32_t id) { return blocks_[id].ref_count == 0; });
  m.num_tokens = static_cast<int>(m.blocks.size()) * block_size_;
  return m;
}

bool BlockManager::can_allocate(const PrefixMatch& m, int num_tokens) const {
  int64_t fresh =
      std::max<int64_t>(0, blocks_for(num_tokens) - static_cast<int64_t>(m.blocks.size()));
  return m.num_revived + fresh <= num_free_;
}

int BlockManager::allocate(int64_t seq_id, int num_query_tokens, const PrefixMatch& m,
                           int num_tokens) {
  assert(!has(seq_id));
  SeqTable& table = tables_[seq_id];
  for (int32_t id : m.blocks) {
    assert(blocks_[id].hashed);  // still cached: nothing changed since the query
    if (blocks_[id].ref_count++ == 0) unlink_free(id);
    table.blocks.push_back(id);
  }
  table.num_cached_blocks = static_cast<int>(m.blocks.size());
  append(seq_id, std::max(num_tokens, m.num_tokens));
  queries_ += num_query_tokens;
  hits_ += m.num_tokens;
  return m.num_tokens;
}

int BlockManager::count_cached_tokens(std::span<const int32_t> tokens) const {
  return static_cast<int>(find_cached(tokens).size()) * block_size_;
}

bool BlockManager::can_allocate(std::span<const int32_t> tokens, int num_tokens) const {
  return can_allocate(match_prefix(tokens), num_tokens);
}

int BlockManager::allocate(int64_t seq_id, std::span<const int32_t> tokens, int num_tokens) {
  return allocate(seq_id, static_cast<int>(tokens.size()), match_prefix(tokens), num_tokens);
}

bool BlockManager::can_append(int64_t seq_id, int num_tokens) const {
  const auto& table = tables_.at(seq_id);
  int64_t need = blocks_for(num_tokens) - static_cast<int64_t>(table.blocks.size());
  return need <= num_free_;
}

void BlockManager::append(int64_t seq_id, int num_tokens) {
  auto& table = tables_.at(seq_id);
  while (static_cast<int>(table.blocks.size()) < blocks_for(num_tokens)) {
    int32_t id = pop_free_head();
    assert(id != kNone);
    blocks_[id].ref_count = 1;
    table.blocks.push_back(id);
  }
}

bool BlockManager::allocate_slots(int64_t seq_id, int num_tokens) {
  if (!can_append(seq_id, num_tokens)) return false;
  append(seq_id, num_tokens);
  return true;
}

void BlockManager::cache_computed(int64_t seq_id, std::span<const int32_t> tokens,
                                  int num_computed) {
  if (!prefix_caching_) return;
  auto& table = tables_.at(seq_id);
  const int full = std::min<int>(num_computed / block_size_, static_cast<int>(table.blocks.size()));
  if (table.num_cached_blocks >= full) return;
  uint64_t parent = kRootHash;
  // The chain needs the parent's hash: recompute it from the tokens (cheap, hashing is fast).
  for (int b = 0; b < table.num_cached_blocks; ++b)
    parent = block_hash(parent, tokens.subspan(static_cast<size_t>(b) * block_size_, block_size_));
  for (int b = table.num_cached_blocks; b < full; ++b) {
    auto chunk = tokens.subspan(static_cast<size_t>(b) * block_size_, block_size_);
    uint64_t h = block_hash(parent, chunk);
    int32_t id = table.blocks[b];
    Block& blk = blocks_[id];
    // An identical block already cached (V1 tables are append-only, duplicates are not merged).
    if (!blk.hashed && !cached_.count(h)) {
      blk.hashed = true;
      blk.hash = h;
      blk.parent_hash = parent;
      std::copy(chunk.begin(), chunk.end(), &block_tokens_[static_cast<size_t>(id) * block_size_]);
      cached_.emplace(h, id);
    }
    parent = h;
  }
  table.num_cached_blocks = full;
}

void BlockManager::free(int64_t seq_id) {
  auto it = tables_.find(seq_id);
  if (it == tables_.end()) return;
  const auto& ids = it->second.blocks;
  for (auto b = ids.rbegin(); b != ids.rend(); ++b) {
    Block& blk = blocks_[*b];
    assert(blk.ref_count > 0);
    if (--blk.ref_count > 0) continue;
    // Cached blocks join the LRU tail; blocks without a hash are worth nothing, reuse them first.
    if (blk.hashed)
      push_free_tail(*b);
    else
      push_free_head(*b);
  }
  tables_.erase(it);
}

void BlockManager::reset_prefix_cache() {
  for (int32_t id = 0; id < static_cast<int32_t>(blocks_.size()); ++id) blocks_[id].hashed = false;
  cached_.clear();
  for (auto& [seq, table] : tables_) table.num_cached_blocks = 0;
}

const std::vector<int32_t>& BlockManager::block_table(int64_t seq_id) const {
  return tables_.at(seq_id).blocks;
}

void BlockManager::push_free_tail(int32_t id) {
  Block& blk = blocks_[id];
  assert(!blk.in_free_queue);
  blk.prev = free_tail_;
  blk.next = kNone;
  if (free_tail_ != kNone) blocks_[free_tail_].next = id;
  free_tail_ = id;
  if (free_head_ == kNone) free_head_ = id;
  blk.in_free_queue = true;
  ++num_free_;
}

void BlockManager::push_free_head(int32_t id) {
  Block& blk = blocks_[id];
  assert(!blk.in_free_queue);
  blk.prev = kNone;
  blk.next = free_head_;
  if (free_head_ != kNone) blocks_[free_head_].prev = id;
  free_head_ = id;
  if (free_tail_ == kNone) free_tail_ = id;
  blk.in_free_queue = true;
  ++num_free_;
}

void BlockManager::unlink_free(int32_t id) {
  Block& blk = blocks_[id];
  assert(blk.in_free_queue);
  if (blk.prev != kNone)
    blocks_[blk.prev].next = blk.next;
  else
    free_head_ = blk.next;
  if (blk.next != kNone)
    blocks_[blk.next].prev = blk.prev;
  else
    free_tail_ = blk.prev;
  blk.prev = blk.next = kNone;
  blk.in_free_queue = false;
  --num_free_;
}

int32_t BlockManager::pop_free_head() {
  int32_t id = free_head_;
  if (id == kNone) return kNone;
  unlink_free(id);
  forget_hash(id);  // eviction
  return id;
}

void BlockManager::forget_hash(int32_t id) {
  Block& blk = blocks_[id];
  if (!blk.hashed) return;
  auto it = cached_.find(blk.hash);
  if (it != cached_.end() && it->second == id) cached_.erase(it);
  blk.hashed = false;
}

bool BlockManager::check_invariants() const {
  std::vector<int32_t> refs(blocks_.size(), 0);
  for (const auto& [seq, table] : tables_)
    for (int32_t id : table.blocks) ++refs[id];
  int64_t free_count = 0;
  for (int32_t id = free_head_; id != kNone; id = blocks_[id].next) {
    if (blocks_[id].ref_count != 0 || !blocks_[id].in_free_queue) return false;
    ++free_count;
  }
  if (free_count != num_free_) return false;
  for (size_t id = 0; id < blocks_.size(); ++id) {
    if (blocks_[id].ref_count != refs[id]) return false;
    if ((refs[id] == 0) != blocks_[id].in_free_queue) return false;
  }
  for (const auto& [h, id] : cached_)
    if (!blocks_[id].hashed || blocks_[id].hash != h) return false;
  return true;
}

}  // namespace pagoda
