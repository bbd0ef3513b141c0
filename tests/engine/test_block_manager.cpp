// BlockManager on its own: allocation, prefix-cache hits counted exactly, LRU eviction order.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "engine/core/block_manager.h"
#include "engine/util/error.h"

namespace pagoda {
namespace {

std::vector<int32_t> iota_tokens(int n, int start = 100) {
  std::vector<int32_t> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

TEST(BlockManager, AllocatesWholeBlocksAndFreesEverything) {
  BlockManager bm(10, 16);
  auto tokens = iota_tokens(40);
  ASSERT_TRUE(bm.can_allocate(tokens, 40));
  EXPECT_EQ(bm.allocate(1, tokens, 40), 0);
  EXPECT_EQ(bm.block_table(1).size(), 3u);  // waste below one block
  EXPECT_EQ(bm.num_used_blocks(), 3);
  EXPECT_DOUBLE_EQ(bm.usage(), 0.3);
  EXPECT_TRUE(bm.allocate_slots(1, 48));
  EXPECT_EQ(bm.block_table(1).size(), 3u);
  EXPECT_TRUE(bm.allocate_slots(1, 49));
  EXPECT_EQ(bm.block_table(1).size(), 4u);
  EXPECT_FALSE(bm.allocate_slots(1, 16 * 11));  // more than the cache: null, nothing changes
  EXPECT_EQ(bm.block_table(1).size(), 4u);
  EXPECT_TRUE(bm.check_invariants());
  bm.free(1);
  EXPECT_EQ(bm.num_free_blocks(), 10);
  EXPECT_TRUE(bm.check_invariants());
}

TEST(BlockManager, PrefixHitsCountedExactly) {
  BlockManager bm(16, 4);
  auto tokens = iota_tokens(10);  // blocks: [0..3] [4..7] [8,9]
  bm.allocate(1, tokens, 10);
  EXPECT_EQ(bm.count_cached_tokens(tokens), 0);  // nothing computed yet
  bm.cache_computed(1, tokens, 10);
  EXPECT_EQ(bm.count_cached_tokens(tokens), 8);
  // Same first block, different second: one block hit.
  auto other = tokens;
  other[5] = 999;
  EXPECT_EQ(bm.count_cached_tokens(other), 4);
  // Exactly two full blocks: the last token is recomputed, so only one block can hit.
  std::vector<int32_t> eight(tokens.begin(), tokens.begin() + 8);
  EXPECT_EQ(bm.count_cached_tokens(eight), 4);
  std::vector<int32_t> nine(tokens.begin(), tokens.begin() + 9);
  EXPECT_EQ(bm.count_cached_tokens(nine), 8);
  // The chain hash covers the parent: the same block after a different prefix does not hit.
  std::vector<int32_t> shifted = {1, 2, 3, 4, 104, 105, 106, 107, 5};
  EXPECT_EQ(bm.count_cached_tokens(shifted), 0);

  EXPECT_EQ(bm.allocate(2, tokens, 10), 8);  // shares two blocks with seq 1
  EXPECT_EQ(bm.block_table(2)[0], bm.block_table(1)[0]);
  EXPECT_EQ(bm.block_table(2)[1], bm.block_table(1)[1]);
  EXPECT_NE(bm.block_table(2)[2], bm.block_table(1)[2]);
  EXPECT_EQ(bm.num_used_blocks(), 4);
  EXPECT_EQ(bm.prefix_cache_queries(), 20);
  EXPECT_EQ(bm.prefix_cache_hits(), 8);
  EXPECT_TRUE(bm.check_invariants());

  // Freed blocks keep their hash: a later request still hits.
  bm.free(1);
  bm.free(2);
  EXPECT_EQ(bm.num_free_blocks(), 16);
  EXPECT_EQ(bm.allocate(3, tokens, 10), 8);
  EXPECT_EQ(bm.prefix_cache_hits(), 16);
  EXPECT_TRUE(bm.check_invariants());
}

TEST(BlockManager, EvictsLeastRecentlyUsedFirst) {
  BlockManager bm(4, 2);
  std::vector<int32_t> a = {1, 2, 3, 4, 5}, b = {7, 8, 9, 10, 11};
  bm.allocate(1, a, 5);
  bm.cache_computed(1, a, 5);
  bm.free(1);  // a's two full blocks cached, its partial block unhashed
  bm.allocate(2, b, 5);
  bm.cache_computed(2, b, 5);
  // b took 3 of 4 blocks: a's unhashed one, the unused one, then the LRU head (a's 2nd block).
  EXPECT_TRUE(bm.check_invariants());
  bm.free(2);
  // ...and the LRU order means a's remaining cached block is evicted before b's.
  EXPECT_EQ(bm.count_cached_tokens(b), 4);
  std::vector<int32_t> c = {20, 21, 22};
  bm.allocate(3, c, 3);  // takes 2 blocks from the head
  EXPECT_EQ(bm.count_cached_tokens(b), 4);
  EXPECT_EQ(bm.count_cached_tokens(a), 0);
  bm.free(3);
  EXPECT_TRUE(bm.check_invariants());
}

TEST(BlockManager, DisabledPrefixCachingNeverHits) {
  BlockManager bm(8, 4, false);
  auto tokens = iota_tokens(9);
  bm.allocate(1, tokens, 9);
  bm.cache_computed(1, tokens, 9);
  EXPECT_EQ(bm.count_cached_tokens(tokens), 0);
  EXPECT_EQ(bm.allocate(2, tokens, 9), 0);
  EXPECT_EQ(bm.num_used_blocks(), 6);
}

TEST(BlockManager, CanAllocateCountsRevivedBlocks) {
  BlockManager bm(3, 2);
  std::vector<int32_t> a = {1, 2, 3, 4, 5};
  bm.allocate(1, a, 5);
  bm.cache_computed(1, a, 5);
  bm.free(1);
  // Hits revive two free blocks and need one more: exactly the three free blocks.
  EXPECT_TRUE(bm.can_allocate(a, 5));
  EXPECT_FALSE(bm.can_allocate(a, 7));
  EXPECT_EQ(bm.allocate(2, a, 5), 4);
  EXPECT_EQ(bm.num_free_blocks(), 0);
  EXPECT_TRUE(bm.check_invariants());
}

TEST(BlockManager, RejectsEmptyCache) {
  EXPECT_THROW(BlockManager(0, 16), InvalidArgument);
}

}  // namespace
}  // namespace pagoda
