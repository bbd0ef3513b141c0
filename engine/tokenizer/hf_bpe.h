#pragma once
// The BPE model of tokenizer.json: the vocabulary, merges by rank over a linked list of symbols,
// byte fallback, and a word cache. Internal to engine/tokenizer. Immutable after load() except
// the cache, which is guarded by its own mutex; encode_word() is callable from any thread.
#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/tokenizer_internal.h"
#include "engine/util/json.h"

namespace pagoda::tokenizer_detail {

// Open addressing: the merge lookup is the hot loop of BPE.
class MergeTable {
 public:
  struct Merge {
    int32_t rank, id;
  };
  void reserve(size_t n) {
    size_t capacity = 16;
    while (capacity < 2 * n) capacity *= 2;
    slots_.assign(capacity, Slot{kEmpty, {0, 0}});
    mask_ = capacity - 1;
  }
  // Keeps the first (lowest-rank) entry of a pair.
  void insert(uint64_t key, Merge merge) {
    for (size_t i = hash(key);; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return;
      if (slots_[i].key == kEmpty) {
        slots_[i] = {key, merge};
        return;
      }
    }
  }
  const Merge* find(uint64_t key) const {
    for (size_t i = hash(key);; i = (i + 1) & mask_) {
      if (slots_[i].key == key) return &slots_[i].merge;
      if (slots_[i].key == kEmpty) return nullptr;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  struct Slot {
    uint64_t key;
    Merge merge;
  };
  size_t hash(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ull >> 20) & mask_; }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

// The BPE model: merges by rank over a linked list of symbols, with a cache of words.
class BpeModel {
 public:
  void load(const Json& model, bool byte_level, const std::string& where);
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

  StringMap<int32_t> vocab;

 private:
  using Merge = MergeTable::Merge;
  static uint64_t pair_key(int32_t a, int32_t b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
  }
  void initial_symbols(std::string_view word, std::vector<int32_t>& ids) const;
  void merge(std::vector<int32_t>& ids) const;
  void encode_piece(std::string_view word, std::vector<int32_t>& out) const;

  static constexpr size_t kMaxCachedWordBytes = 256;
  static constexpr size_t kMaxCacheEntries = 1 << 16;

  MergeTable merges_;
  bool byte_level_ = false;
  // SentencePiece-style vocabularies where no token has "▁" after another character: words
  // can be cut before such a "▁" without changing the result (and then be cached).
  bool cut_before_metaspace_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  bool fuse_unk_ = false;
  std::optional<int32_t> unk_id_;
  std::array<int32_t, 256> byte_ids_{};           // byte-level character of each byte
  std::array<int32_t, 256> byte_fallback_ids_{};  // <0xNN>
  mutable std::mutex cache_mutex_;
  mutable StringMap<std::vector<int32_t>> cache_;
};

}  // namespace pagoda::tokenizer_detail
