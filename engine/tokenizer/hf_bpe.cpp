#include "engine/tokenizer/hf_bpe.h"

#include <algorithm>

#include "engine/tokenizer/hf_pre_tokenizer.h"
#include "engine/util/error.h"
#include "engine/util/utf8.h"

namespace pagoda::tokenizer_detail {

void BpeModel::load(const Json& model, bool byte_level, const std::string& where) {
  std::string type = model.value("type", "BPE");
  if (type != "BPE") throw Error(where + ": model type " + type + " is not supported (only BPE)");
  auto nonempty = [&](const char* key) {
    return model.contains(key) && model[key].is_string() && !model[key].get<std::string>().empty();
  };
  if (nonempty("continuing_subword_prefix") || nonempty("end_of_word_suffix"))
    throw Error(where + ": BPE continuing_subword_prefix / end_of_word_suffix are not supported");
  byte_level_ = byte_level;
  byte_fallback_ = model.value("byte_fallback", false);
  ignore_merges_ = model.value("ignore_merges", false);
  fuse_unk_ = model.value("fuse_unk", false);

  const Json& v = model.at("vocab");
  vocab.reserve(v.size());
  for (auto it = v.begin(); it != v.end(); ++it) vocab.emplace(it.key(), it.value().get<int32_t>());
  if (model.contains("unk_token") && model["unk_token"].is_string()) {
    auto it = vocab.find(model["unk_token"].get<std::string>());
    if (it != vocab.end()) unk_id_ = it->second;
  }

  const Json& m = model.at("merges");
  merges_.reserve(m.size());
  std::string left, right;
  for (size_t rank = 0; rank < m.size(); ++rank) {
    const Json& e = m[rank];
    if (e.is_string()) {
      const std::string& s = e.get_ref<const std::string&>();
      size_t space = s.find(' ');
      if (space == std::string::npos) throw Error(where + ": bad merge \"" + s + "\"");
      left = s.substr(0, space);
      right = s.substr(space + 1);
    } else if (e.is_array() && e.size() == 2) {
      left = e[0].get<std::string>();
      right = e[1].get<std::string>();
    } else {
      throw Error(where + ": bad merge #" + std::to_string(rank));
    }
    auto a = vocab.find(left), b = vocab.find(right), ab = vocab.find(left + right);
    if (a == vocab.end() || b == vocab.end() || ab == vocab.end()) continue;  // as HF: unusable
    merges_.insert(pair_key(a->second, b->second), Merge{static_cast<int32_t>(rank), ab->second});
  }
  cut_before_metaspace_ =
      !byte_level_ && std::none_of(vocab.begin(), vocab.end(), [](const auto& entry) {
        const std::string& token = entry.first;
        for (size_t at = token.find(kMetaspace, 1); at != std::string::npos;
             at = token.find(kMetaspace, at + 3)) {
          if (metaspace_after_other(token, at)) return true;
        }
        return false;
      });

  char name[8];
  for (int b = 0; b < 256; ++b) {
    auto it = vocab.find(to_byte_level(std::string(1, static_cast<char>(b))));
    byte_ids_[b] = it == vocab.end() ? -1 : it->second;
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    it = vocab.find(name);
    byte_fallback_ids_[b] = it == vocab.end() ? -1 : it->second;
  }
}

void BpeModel::initial_symbols(std::string_view word, std::vector<int32_t>& ids) const {
  auto unknown = [&] {
    if (!unk_id_) return;  // as HF: dropped without an unk token
    if (fuse_unk_ && !ids.empty() && ids.back() == *unk_id_) return;
    ids.push_back(*unk_id_);
  };
  if (byte_level_) {
    for (char c : word) {
      int32_t id = byte_ids_[static_cast<unsigned char>(c)];
      if (id >= 0) {
        ids.push_back(id);
      } else {
        unknown();
      }
    }
    return;
  }
  for (size_t i = 0; i < word.size();) {
    size_t len = char_length(word, i);
    std::string_view ch = word.substr(i, len);
    auto it = vocab.find(ch);
    if (it != vocab.end()) {
      ids.push_back(it->second);
    } else if (byte_fallback_ && std::all_of(ch.begin(), ch.end(), [&](char c) {
                 return byte_fallback_ids_[static_cast<unsigned char>(c)] >= 0;
               })) {
      for (char c : ch) ids.push_back(byte_fallback_ids_[static_cast<unsigned char>(c)]);
    } else {
      unknown();
    }
    i += len;
  }
}

void BpeModel::merge(std::vector<int32_t>& ids) const {
  if (ids.size() < 2) return;
  struct Symbol {
    int32_t id, prev, next;
  };
  struct Candidate {
    int32_t rank, pos, left, right, merged;
  };
  auto later = [](const Candidate& a, const Candidate& b) {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  };
  int32_t n = static_cast<int32_t>(ids.size());
  std::vector<Symbol> symbols(n);
  for (int32_t i = 0; i < n; ++i) symbols[i] = {ids[i], i - 1, i + 1 < n ? i + 1 : -1};
  std::vector<Candidate> heap;
  auto consider = [&](int32_t pos) {
    if (pos < 0 || symbols[pos].next < 0) return;
    int32_t left = symbols[pos].id, right = symbols[symbols[pos].next].id;
    const Merge* m = merges_.find(pair_key(left, right));
    if (!m) return;
    heap.push_back({m->rank, pos, left, right, m->id});
    std::push_heap(heap.begin(), heap.end(), later);
  };
  for (int32_t i = 0; i + 1 < n; ++i) consider(i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    Candidate c = heap.back();
    heap.pop_back();
    Symbol& s = symbols[c.pos];
    if (s.id != c.left || s.next < 0 || symbols[s.next].id != c.right) continue;  // stale
    int32_t gone = s.next;
    s.id = c.merged;
    s.next = symbols[gone].next;
    if (s.next >= 0) symbols[s.next].prev = c.pos;
    symbols[gone].id = -1;
    consider(s.prev);
    consider(c.pos);
  }
  ids.clear();
  for (int32_t i = 0; i >= 0; i = symbols[i].next) ids.push_back(symbols[i].id);
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  bool cacheable = word.size() <= kMaxCachedWordBytes;
  if (!cacheable && cut_before_metaspace_) {
    size_t begin = 0;
    for (size_t at = word.find(kMetaspace, 1); at != std::string::npos;
         at = word.find(kMetaspace, at + 3)) {
      if (!metaspace_after_other(word, at)) continue;
      encode_piece(word.substr(begin, at - begin), out);
      begin = at;
    }
    encode_piece(word.substr(begin), out);
    return;
  }
  encode_piece(word, out);
}

void BpeModel::encode_piece(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  bool cacheable = word.size() <= kMaxCachedWordBytes;
  if (cacheable) {
    std::lock_guard lock(cache_mutex_);
    auto it = cache_.find(word);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> ids;
  if (ignore_merges_) {
    auto it = byte_level_ ? vocab.find(to_byte_level(word)) : vocab.find(word);
    if (it != vocab.end()) ids.push_back(it->second);
  }
  if (ids.empty()) {
    initial_symbols(word, ids);
    merge(ids);
  }
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable) {
    std::lock_guard lock(cache_mutex_);
    if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    cache_.emplace(std::string(word), std::move(ids));
  }
}

}  // namespace pagoda::tokenizer_detail
