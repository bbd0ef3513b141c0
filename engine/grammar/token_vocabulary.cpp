#include "engine/grammar/token_vocabulary.h"

#include <algorithm>
#include <atomic>
#include <numeric>

namespace pagoda::grammar {

namespace {
std::atomic<uint64_t> g_serial{0};
}

TokenVocabulary::TokenVocabulary(const Tokenizer& tokenizer, int32_t vocab_size)
    : size_(std::max(vocab_size, tokenizer.vocab_size())), serial_(++g_serial) {
  bytes_.resize(size_);
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id)
    if (!tokenizer.is_special(id)) bytes_[id] = tokenizer.token_bytes(id);
  all_.build(bytes_);
  if (const size_t strip = tokenizer.leading_spaces_stripped(); strip > 0) {
    first_bytes_ = bytes_;
    for (auto& b : first_bytes_) {
      size_t n = 0;
      while (n < strip && n < b.size() && b[n] == ' ') ++n;
      b.erase(0, n);
    }
    first_.build(first_bytes_);
  }
}

std::string_view TokenVocabulary::bytes(int32_t id, bool first) const {
  if (id < 0 || id >= size_) return {};
  return first && !first_bytes_.empty() ? first_bytes_[id] : bytes_[id];
}

void TokenVocabulary::fill_mask(const Dfa& dfa, int32_t state, bool first,
                                std::span<uint32_t> words) const {
  fill_short_mask(dfa, state, first, words);
  add_long_tokens(dfa, state, first, words);
}

void TokenVocabulary::fill_short_mask(const Dfa& dfa, int32_t state, bool first,
                                      std::span<uint32_t> words) const {
  std::fill(words.begin(), words.end(), 0u);
  if (state == Dfa::kDead) return;
  const Trie& trie = tries(first).short_tokens;
  trie.fill(dfa, state, words, 0, trie.end_node());
}

void TokenVocabulary::add_long_tokens(const Dfa& dfa, int32_t state, bool first,
                                      std::span<uint32_t> words) const {
  if (state == Dfa::kDead) return;
  const Trie& trie = tries(first).long_tokens;
  trie.fill(dfa, state, words, 0, trie.end_node());
}

void TokenVocabulary::Tries::build(const std::vector<std::string>& bytes) {
  const size_t cut = Dfa::kPrefixClassBytes;
  short_tokens.build(bytes, 1, cut);
  long_tokens.build(bytes, cut + 1, 65534);
}

void TokenVocabulary::Trie::build(const std::vector<std::string>& all, size_t min_len,
                                  size_t max_len) {
  std::vector<int32_t> order;
  for (int32_t id = 0; id < static_cast<int32_t>(all.size()); ++id)
    if (!all[id].empty() && all[id].size() >= min_len && all[id].size() <= max_len)
      order.push_back(id);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return all[a] < all[b] || (all[a] == all[b] && a < b);
  });
  std::vector<uint32_t> open;  // node index at each depth - 1 on the current path
  const std::string* prev = nullptr;
  auto close_from = [&](size_t depth) {  // nodes at depth >= depth end their subtree here
    while (open.size() > depth) {
      nodes[open.back()].skip = static_cast<uint32_t>(nodes.size());
      open.pop_back();
    }
  };
  for (int32_t id : order) {
    const std::string& s = all[id];
    size_t common = 0;
    if (prev)
      while (common < s.size() && common < prev->size() && s[common] == (*prev)[common]) ++common;
    close_from(common);
    for (size_t d = common; d < s.size(); ++d) {
      parent.push_back(open.empty() ? kRoot : open.back());
      open.push_back(static_cast<uint32_t>(nodes.size()));
      nodes.push_back({0, static_cast<uint32_t>(ids.size()), static_cast<uint16_t>(d + 1),
                       static_cast<uint8_t>(s[d])});
      max_depth = std::max<uint16_t>(max_depth, static_cast<uint16_t>(d + 1));
    }
    ids.push_back(id);  // ends at the deepest open node
    prev = &s;
  }
  close_from(0);
  nodes.push_back({0, static_cast<uint32_t>(ids.size()), 0, 0});  // sentinel: the last tok_end
}

void TokenVocabulary::Trie::fill(const Dfa& dfa, int32_t state, std::span<uint32_t> words,
                                 uint32_t begin, uint32_t end) const {
  std::vector<int32_t> at(max_depth + 1u);
  at[0] = state;
  uint32_t i = begin;
  if (i < end && nodes[i].depth > 1) {
    // A part that starts inside a subtree: the states of begin's ancestors, root first. A dead
    // ancestor skips its subtree; the nodes after it hang below the ancestors already walked.
    std::vector<uint32_t> path;
    for (uint32_t p = parent[i]; p != kRoot; p = parent[p]) path.push_back(p);
    for (size_t k = path.size(); k-- > 0;) {
      const Node& a = nodes[path[k]];
      const int32_t s = dfa.next(at[a.depth - 1], a.byte);
      if (s == Dfa::kDead) {
        i = a.skip;
        break;
      }
      at[a.depth] = s;
    }
  }
  while (i < end) {
    const Node& node = nodes[i];
    const int32_t s = dfa.next(at[node.depth - 1], node.byte);
    if (s == Dfa::kDead) {
      i = node.skip;
      continue;
    }
    at[node.depth] = s;
    for (uint32_t t = node.tok_begin, tok_end = nodes[i + 1].tok_begin; t < tok_end; ++t)
      words[static_cast<uint32_t>(ids[t]) >> 5] |= 1u << (ids[t] & 31);
    ++i;
  }
}

uint32_t TokenVocabulary::Trie::live_nodes(const Dfa& dfa, int32_t state) const {
  uint32_t live = 0;
  for (uint32_t i = 0, end = end_node(); i < end; i = nodes[i].skip)
    if (dfa.next(state, nodes[i].byte) != Dfa::kDead) live += nodes[i].skip - i;
  return live;
}

std::vector<TokenVocabulary::WalkPart> TokenVocabulary::split_walk(const Dfa& dfa, int32_t state,
                                                                   bool first, bool with_short,
                                                                   int max_parts,
                                                                   uint32_t min_nodes) const {
  if (state == Dfa::kDead || max_parts < 2) return {};
  const Tries& t = tries(first);
  const uint32_t short_nodes = with_short ? t.short_tokens.end_node() : 0;
  const uint32_t long_nodes = t.long_tokens.end_node();
  const uint32_t live =
      (with_short ? t.short_tokens.live_nodes(dfa, state) : 0) + t.long_tokens.live_nodes(dfa, state);
  if (live < min_nodes) return {};
  // Equal node counts over the short trie then the long one: the states worth splitting (inside
  // strings) keep nearly every node alive, so equal counts are equal work.
  const uint64_t total = uint64_t{short_nodes} + long_nodes;
  std::vector<WalkPart> parts;
  for (int k = 0; k < max_parts; ++k) {
    const uint64_t a = total * k / max_parts, b = total * (k + 1) / max_parts;
    auto clamp = [](uint64_t x, uint64_t lo, uint64_t hi) {
      return static_cast<uint32_t>(std::clamp(x, lo, hi) - lo);
    };
    WalkPart p{clamp(a, 0, short_nodes), clamp(b, 0, short_nodes),
               clamp(a, short_nodes, total), clamp(b, short_nodes, total)};
    if (p.short_begin < p.short_end || p.long_begin < p.long_end) parts.push_back(p);
  }
  return parts;
}

void TokenVocabulary::walk_part(const Dfa& dfa, int32_t state, bool first, const WalkPart& part,
                                std::span<uint32_t> words) const {
  if (state == Dfa::kDead) return;
  const Tries& t = tries(first);
  t.short_tokens.fill(dfa, state, words, part.short_begin, part.short_end);
  t.long_tokens.fill(dfa, state, words, part.long_begin, part.long_end);
}

}  // namespace pagoda::grammar
