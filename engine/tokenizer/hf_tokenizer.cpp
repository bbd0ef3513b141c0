// tokenizer.json (Hugging Face `tokenizers`): BPE models, byte-level or SentencePiece-style.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <mutex>

#include "tokenizer/tokenizer_internal.h"
#include "tokenizer/unicode.h"
#include "util/error.h"
#include "util/utf8.h"

namespace pagoda::tokenizer_detail {

namespace fs = std::filesystem;

namespace {

// GPT-2's bytes_to_unicode: every byte gets a printable character.
struct ByteLevelAlphabet {
  std::array<char32_t, 256> byte_to_char{};
  std::unordered_map<char32_t, uint8_t> char_to_byte;
  ByteLevelAlphabet() {
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable =
          (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      byte_to_char[b] = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + extra++);
      char_to_byte[byte_to_char[b]] = static_cast<uint8_t>(b);
    }
  }
};
const ByteLevelAlphabet& byte_level_alphabet() {
  static const ByteLevelAlphabet alphabet;
  return alphabet;
}

std::string to_byte_level(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes)
    utf8::append(out, byte_level_alphabet().byte_to_char[static_cast<unsigned char>(c)]);
  return out;
}

// Length of the UTF-8 character at s[i] (1 for a byte that does not start a valid one).
size_t char_length(std::string_view s, size_t i) {
  size_t next = i;
  unicode::next_code_point(s, next);
  return next - i;
}

// A compiled PCRE2 pattern (UTF + UCP, JIT when available). Invalid UTF-8 in the subject never
// matches, so it ends up in the gaps between matches instead of failing the match.
class Regex {
 public:
  Regex(const std::string& pattern, const std::string& where) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    code_ =
        pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                      PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error, &offset, nullptr);
    if (!code_) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error, message, sizeof message);
      throw Error(where + ": bad regex at offset " + std::to_string(offset) + ": " +
                  reinterpret_cast<const char*>(message));
    }
    pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if absent
  }
  ~Regex() { pcre2_code_free(code_); }
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Byte ranges of all non-overlapping matches, left to right.
  void find_all(std::string_view s, std::vector<std::pair<size_t, size_t>>& matches) const {
    matches.clear();
    MatchState& state = match_state();
    auto subject = reinterpret_cast<PCRE2_SPTR>(s.data());
    size_t offset = 0;
    while (offset <= s.size()) {
      int rc = pcre2_match(code_, subject, s.size(), offset, 0, state.data, state.context);
      if (rc == PCRE2_ERROR_NOMATCH) break;
      if (rc < 0) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(rc, message, sizeof message);
        throw Error(std::string("tokenizer regex failed: ") +
                    reinterpret_cast<const char*>(message));
      }
      PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(state.data);
      size_t begin = ovector[0], end = ovector[1];
      if (end == begin) {  // an empty match: step over one character
        if (begin >= s.size()) break;
        offset = begin + char_length(s, begin);
        continue;
      }
      matches.emplace_back(begin, end);
      offset = end;
    }
  }

 private:
  // Per thread: one instance serves every thread.
  struct MatchState {
    pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
    pcre2_match_context* context = pcre2_match_context_create(nullptr);
    pcre2_jit_stack* stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
    MatchState() { pcre2_jit_stack_assign(context, nullptr, stack); }
    ~MatchState() {
      pcre2_jit_stack_free(stack);
      pcre2_match_context_free(context);
      pcre2_match_data_free(data);
    }
  };
  static MatchState& match_state() {
    thread_local MatchState state;
    return state;
  }
  pcre2_code* code_ = nullptr;
};

std::string escape_regex(std::string_view literal) {
  std::string out;
  for (char c : literal) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x80 && !std::isalnum(b)) out += '\\';
    out += c;
  }
  return out;
}

constexpr std::string_view kMetaspace = "\xE2\x96\x81";  // U+2581, SentencePiece's space

// True when s[at..] starts a "▁" that follows some other character.
bool metaspace_after_other(std::string_view s, size_t at) {
  return at > 0 && s.compare(at, 3, kMetaspace) == 0 &&
         (at < 3 || s.compare(at - 3, 3, kMetaspace) != 0);
}

const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

enum class SplitBehavior { kIsolated, kRemoved, kMergedWithPrevious, kMergedWithNext, kContiguous };
enum class PrependScheme { kAlways, kFirst, kNever };

struct Piece {
  std::string text;
  bool at_text_start;  // begins at offset 0 of the original text (Metaspace "first")
};

struct Normalizer {
  enum class Kind { kUnicode, kLowercase, kPrepend, kReplace, kStrip } kind;
  std::string text, content;  // Prepend: text; Replace: literal text -> content
  std::shared_ptr<Regex> regex;
  bool left = false, right = false;
  unicode::NormalForm form = unicode::NormalForm::kNfc;  // kUnicode
};

struct PreTokenizer {
  enum class Kind { kSplit, kByteLevel, kMetaspace } kind = Kind::kSplit;
  std::shared_ptr<Regex> regex;
  SplitBehavior behavior = SplitBehavior::kIsolated;
  bool invert = false;
  bool add_prefix_space = false;  // ByteLevel
  std::string replacement;        // Metaspace
  PrependScheme prepend_scheme = PrependScheme::kAlways;
};

std::vector<Piece> split_piece(const Piece& piece, const Regex& regex, SplitBehavior behavior,
                               bool invert) {
  thread_local std::vector<std::pair<size_t, size_t>> matches;
  regex.find_all(piece.text, matches);
  struct Part {
    size_t begin, end;
    bool is_match;
  };
  std::vector<Part> parts;
  size_t last = 0;
  for (auto [b, e] : matches) {
    if (b > last) parts.push_back({last, b, invert});
    parts.push_back({b, e, !invert});
    last = e;
  }
  if (last < piece.text.size()) parts.push_back({last, piece.text.size(), invert});

  std::vector<Piece> out;
  bool previous_was_match = false;
  for (const Part& p : parts) {
    std::string_view text = std::string_view(piece.text).substr(p.begin, p.end - p.begin);
    bool append = false;
    switch (behavior) {
      case SplitBehavior::kIsolated:
        break;
      case SplitBehavior::kRemoved:
        if (p.is_match) continue;
        break;
      case SplitBehavior::kMergedWithPrevious:
        append = p.is_match && !out.empty();
        break;
      case SplitBehavior::kMergedWithNext:
        append = !p.is_match && previous_was_match;
        break;
      case SplitBehavior::kContiguous:
        append = p.is_match && previous_was_match;
        break;
    }
    previous_was_match = p.is_match;
    if (append) {
      out.back().text += text;
    } else {
      out.push_back({std::string(text), piece.at_text_start && p.begin == 0});
    }
  }
  return out;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  std::string out;
  size_t i = 0;
  for (size_t j; (j = s.find(from, i)) != std::string::npos; i = j + from.size()) {
    out.append(s, i, j - i);
    out += to;
  }
  out.append(s, i);
  s = std::move(out);
}

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

class HfTokenizer final : public TokenizerBase {
 public:
  explicit HfTokenizer(const fs::path& dir);

  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const override;
  std::string token_bytes(int32_t id) const override {
    return id >= 0 && id < vocab_size() ? token_bytes_[id] : std::string();
  }
  int32_t vocab_size() const override { return static_cast<int32_t>(id_to_token_.size()); }
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  std::string id_to_token(int32_t id) const override {
    return id >= 0 && id < vocab_size() ? id_to_token_[id] : std::string();
  }

 private:
  void parse_normalizer(const Json& j, const std::string& where);
  void parse_pre_tokenizer(const Json& j, const std::string& where);
  void parse_post_processor(const Json& j, const std::string& where);
  void parse_decoder(const Json& j, const std::string& where);
  void encode_text(std::string_view text, bool at_text_start, std::vector<int32_t>& ids) const;
  // One token's text through the decoder steps (ByteLevel, Replace, ByteFallback).
  std::string apply_decoder(std::string token) const;

  BpeModel model_;
  bool byte_level_ = false;
  std::vector<Normalizer> normalizers_;
  std::vector<PreTokenizer> pre_tokenizers_;
  AddedTokenMatcher added_;
  StringMap<int32_t> added_ids_;
  std::vector<std::string> id_to_token_;
  std::vector<std::string> token_bytes_;
  // Decoder, applied token by token.
  struct DecodeStep {
    enum class Kind { kByteLevel, kReplace, kByteFallback } kind;
    std::string from, to;
  };
  std::vector<DecodeStep> decode_steps_;
};

bool uses_byte_level(const Json& pre) {
  if (!pre.is_object()) return false;
  std::string type = pre.value("type", "");
  if (type == "ByteLevel") return true;
  if (type == "Sequence") {
    for (const Json& p : pre.value("pretokenizers", Json::array())) {
      if (uses_byte_level(p)) return true;
    }
  }
  return false;
}

HfTokenizer::HfTokenizer(const fs::path& dir) {
  fs::path file = dir / "tokenizer.json";
  std::string where = file.string();
  Json j = read_json_file(file);
  try {
    byte_level_ = uses_byte_level(j.value("pre_tokenizer", Json()));
    model_.load(j.at("model"), byte_level_, where);
    parse_normalizer(j.value("normalizer", Json()), where);
    parse_pre_tokenizer(j.value("pre_tokenizer", Json()), where);

    std::vector<AddedToken> added;
    for (const Json& t : j.value("added_tokens", Json::array()))
      added.push_back(parse_added_token(t, t.at("id").get<int32_t>()));
    load_config_files(dir);
    if (config_.contains("added_tokens_decoder") && config_["added_tokens_decoder"].is_object()) {
      for (auto& [key, value] : config_["added_tokens_decoder"].items()) {
        int32_t id = std::stoi(key);
        if (std::none_of(added.begin(), added.end(),
                         [&](const AddedToken& t) { return t.id == id; }))
          added.push_back(parse_added_token(Json::parse(value.dump()), id));
      }
    }

    int32_t size = 0;
    for (auto& [token, id] : model_.vocab) size = std::max(size, checked_token_id(id, where));
    for (const AddedToken& t : added) size = std::max(size, checked_token_id(t.id, where));
    id_to_token_.resize(size);
    special_.assign(size, 0);
    for (auto& [token, id] : model_.vocab) id_to_token_[id] = token;
    for (const AddedToken& t : added) {
      added_.add(t);
      added_ids_.emplace(t.content, t.id);
      id_to_token_[t.id] = t.content;
      special_[t.id] = t.special;
    }

    parse_decoder(j.value("decoder", Json()), where);
    token_bytes_.resize(size);
    for (int32_t id = 0; id < size; ++id) token_bytes_[id] = apply_decoder(id_to_token_[id]);

    if (model_.vocab.empty()) throw Error(where + ": empty vocabulary");
    resolve_special_tokens();
    parse_post_processor(j.value("post_processor", Json()), where);
    apply_add_bos_eos_flags();
    for (const auto* ids : {&prefix_ids_, &suffix_ids_}) {
      for (int32_t id : *ids) {
        if (id < 0 || id >= size)
          throw Error(where + ": post_processor adds token id " + std::to_string(id) +
                      ", outside the vocabulary");
      }
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // a missing field, a wrong type, a bad number
    throw Error(where + ": " + e.what());
  }
}

void HfTokenizer::parse_normalizer(const Json& j, const std::string& where) {
  if (j.is_null()) return;
  std::string type = j.value("type", "");
  if (type == "Sequence") {
    for (const Json& n : j.at("normalizers")) parse_normalizer(n, where);
  } else if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
    Normalizer n{Normalizer::Kind::kUnicode, "", "", nullptr};
    n.form = type == "NFC"    ? unicode::NormalForm::kNfc
             : type == "NFD"  ? unicode::NormalForm::kNfd
             : type == "NFKC" ? unicode::NormalForm::kNfkc
                              : unicode::NormalForm::kNfkd;
    normalizers_.push_back(std::move(n));
  } else if (type == "Lowercase") {
    normalizers_.push_back({Normalizer::Kind::kLowercase, "", "", nullptr});
  } else if (type == "Prepend") {
    normalizers_.push_back(
        {Normalizer::Kind::kPrepend, j.at("prepend").get<std::string>(), "", nullptr});
  } else if (type == "Replace") {
    Normalizer n{Normalizer::Kind::kReplace, "", j.at("content").get<std::string>(), nullptr};
    const Json& pattern = j.at("pattern");
    if (pattern.contains("String")) {
      n.text = pattern["String"].get<std::string>();
    } else {
      n.regex =
          std::make_shared<Regex>(pattern.at("Regex").get<std::string>(), where + " normalizer");
    }
    normalizers_.push_back(std::move(n));
  } else if (type == "Strip") {
    Normalizer n{Normalizer::Kind::kStrip, "", "", nullptr};
    n.left = j.value("strip_left", true);
    n.right = j.value("strip_right", true);
    normalizers_.push_back(std::move(n));
  } else {
    throw Error(where + ": normalizer " + type + " is not supported");
  }
}

void HfTokenizer::parse_pre_tokenizer(const Json& j, const std::string& where) {
  if (j.is_null()) return;
  std::string type = j.value("type", "");
  auto regex = [&](const std::string& pattern) {
    return std::make_shared<Regex>(pattern, where + " pre_tokenizer " + type);
  };
  PreTokenizer p;
  if (type == "Sequence") {
    for (const Json& n : j.at("pretokenizers")) parse_pre_tokenizer(n, where);
    return;
  } else if (type == "Split") {
    const Json& pattern = j.at("pattern");
    p.regex =
        regex(pattern.contains("Regex") ? pattern["Regex"].get<std::string>()
                                        : escape_regex(pattern.at("String").get<std::string>()));
    static const std::pair<const char*, SplitBehavior> kBehaviors[] = {
        {"Isolated", SplitBehavior::kIsolated},
        {"Removed", SplitBehavior::kRemoved},
        {"MergedWithPrevious", SplitBehavior::kMergedWithPrevious},
        {"MergedWithNext", SplitBehavior::kMergedWithNext},
        {"Contiguous", SplitBehavior::kContiguous}};
    std::string behavior = j.value("behavior", "Isolated");
    auto it = std::find_if(std::begin(kBehaviors), std::end(kBehaviors),
                           [&](auto& b) { return behavior == b.first; });
    if (it == std::end(kBehaviors))
      throw Error(where + ": Split behavior " + behavior + " is not supported");
    p.behavior = it->second;
    p.invert = j.value("invert", false);
  } else if (type == "ByteLevel") {
    p.kind = PreTokenizer::Kind::kByteLevel;
    p.add_prefix_space = j.value("add_prefix_space", false);
    if (j.value("use_regex", true)) p.regex = regex(kGpt2Pattern);
  } else if (type == "Metaspace") {
    p.kind = PreTokenizer::Kind::kMetaspace;
    p.replacement = j.value("replacement", "\u2581");
    std::string scheme =
        j.value("prepend_scheme", j.value("add_prefix_space", true) ? "always" : "never");
    p.prepend_scheme = scheme == "first"   ? PrependScheme::kFirst
                       : scheme == "never" ? PrependScheme::kNever
                                           : PrependScheme::kAlways;
    if (j.value("split", true)) {
      p.regex = regex(escape_regex(p.replacement));
      p.behavior = SplitBehavior::kMergedWithNext;
    }
  } else if (type == "Digits") {
    p.regex = regex(j.value("individual_digits", false) ? R"(\p{N})" : R"(\p{N}+)");
  } else if (type == "Punctuation") {
    p.regex = regex(R"(\p{P}|[\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E])");
  } else if (type == "Whitespace") {
    p.regex = regex(R"(\w+|[^\w\s]+)");
    p.invert = true;
    p.behavior = SplitBehavior::kRemoved;
  } else if (type == "WhitespaceSplit") {
    p.regex = regex(R"(\s+)");
    p.behavior = SplitBehavior::kRemoved;
  } else {
    throw Error(where + ": pre_tokenizer " + type + " is not supported");
  }
  pre_tokenizers_.push_back(std::move(p));
}

void HfTokenizer::parse_post_processor(const Json& j, const std::string& where) {
  if (j.is_null()) return;
  std::string type = j.value("type", "");
  if (type == "Sequence") {
    for (const Json& p : j.at("processors")) parse_post_processor(p, where);
  } else if (type == "TemplateProcessing") {
    bool after_sequence = false;
    for (const Json& piece : j.at("single")) {
      if (piece.contains("Sequence")) {
        after_sequence = true;
        continue;
      }
      std::string name = piece.at("SpecialToken").at("id").get<std::string>();
      const Json& ids = j.at("special_tokens").at(name).at("ids");
      for (const Json& id : ids)
        (after_sequence ? suffix_ids_ : prefix_ids_).push_back(id.get<int32_t>());
    }
  } else if (type == "RobertaProcessing" || type == "BertProcessing") {
    prefix_ids_.push_back(j.at("cls").at(1).get<int32_t>());
    suffix_ids_.push_back(j.at("sep").at(1).get<int32_t>());
  } else if (type != "ByteLevel") {
    throw Error(where + ": post_processor " + type + " is not supported");
  }
}

void HfTokenizer::parse_decoder(const Json& j, const std::string& where) {
  if (j.is_null()) return;
  std::string type = j.value("type", "");
  if (type == "Sequence") {
    for (const Json& d : j.at("decoders")) parse_decoder(d, where);
  } else if (type == "ByteLevel") {
    decode_steps_.push_back({DecodeStep::Kind::kByteLevel, "", ""});
  } else if (type == "Replace") {
    const Json& pattern = j.at("pattern");
    if (!pattern.contains("String"))
      throw Error(where + ": Replace decoder with a regex is not supported");
    decode_steps_.push_back({DecodeStep::Kind::kReplace, pattern["String"].get<std::string>(),
                             j.at("content").get<std::string>()});
  } else if (type == "ByteFallback") {
    decode_steps_.push_back({DecodeStep::Kind::kByteFallback, "", ""});
  } else if (type == "Fuse") {
    // Tokens are concatenated anyway.
  } else if (type == "Strip") {
    if (j.value("content", " ") != " " || j.value("stop", 0) != 0)
      throw Error(where + ": Strip decoder is supported for leading spaces only");
    strip_leading_spaces_ = j.value("start", 0);
  } else if (type == "Metaspace") {
    decode_steps_.push_back({DecodeStep::Kind::kReplace, j.value("replacement", "\u2581"), " "});
    std::string scheme =
        j.value("prepend_scheme", j.value("add_prefix_space", true) ? "always" : "never");
    if (scheme != "never") strip_leading_spaces_ = 1;
  } else {
    throw Error(where + ": decoder " + type + " is not supported");
  }
}

std::string HfTokenizer::apply_decoder(std::string token) const {
  for (const DecodeStep& step : decode_steps_) {
    if (step.kind == DecodeStep::Kind::kReplace) {
      replace_all(token, step.from, step.to);
    } else if (step.kind == DecodeStep::Kind::kByteFallback) {
      unsigned value = 0;
      if (token.size() == 6 && token.starts_with("<0x") && token[5] == '>' &&
          std::sscanf(token.c_str() + 3, "%2X", &value) == 1)
        token = std::string(1, static_cast<char>(value));
    } else {  // byte-level characters back to bytes; other characters stay as they are
      const auto& alphabet = byte_level_alphabet();
      std::string bytes;
      for (size_t i = 0; i < token.size();) {
        size_t begin = i;
        auto it = alphabet.char_to_byte.find(unicode::next_code_point(token, i));
        if (it != alphabet.char_to_byte.end()) {
          bytes += static_cast<char>(it->second);
        } else {
          bytes.append(token, begin, i - begin);
        }
      }
      token = std::move(bytes);
    }
  }
  return token;
}

std::optional<int32_t> HfTokenizer::token_to_id(std::string_view token) const {
  if (auto it = added_ids_.find(token); it != added_ids_.end()) return it->second;
  if (auto it = model_.vocab.find(token); it != model_.vocab.end()) return it->second;
  return std::nullopt;
}

std::vector<int32_t> HfTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<int32_t> ids;
  for (const auto& segment : added_.split(text)) {
    if (segment.id >= 0) {
      ids.push_back(segment.id);
    } else {
      encode_text(text.substr(segment.begin, segment.end - segment.begin), segment.begin == 0, ids);
    }
  }
  if (add_special_tokens) add_special_ids(ids);
  return ids;
}

void HfTokenizer::encode_text(std::string_view text, bool at_text_start,
                              std::vector<int32_t>& ids) const {
  std::string normalized(text);
  for (const Normalizer& n : normalizers_) {
    switch (n.kind) {
      case Normalizer::Kind::kUnicode:
        normalized = unicode::normalize(normalized, n.form);
        break;
      case Normalizer::Kind::kLowercase:
        normalized = unicode::lowercase(normalized);
        break;
      case Normalizer::Kind::kPrepend:
        if (!normalized.empty()) normalized.insert(0, n.text);
        break;
      case Normalizer::Kind::kReplace:
        if (n.regex) {
          std::vector<std::pair<size_t, size_t>> matches;
          n.regex->find_all(normalized, matches);
          std::string out;
          size_t last = 0;
          for (auto [b, e] : matches) {
            out.append(normalized, last, b - last);
            out += n.content;
            last = e;
          }
          out.append(normalized, last);
          normalized = std::move(out);
        } else {
          replace_all(normalized, n.text, n.content);
        }
        break;
      case Normalizer::Kind::kStrip: {
        size_t b = 0, e = normalized.size();
        auto space = [](char c) {
          return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
        };
        if (n.left) {
          while (b < e && space(normalized[b])) ++b;
        }
        if (n.right) {
          while (e > b && space(normalized[e - 1])) --e;
        }
        normalized = normalized.substr(b, e - b);
        break;
      }
    }
  }

  std::vector<Piece> pieces{{std::move(normalized), at_text_start}};
  std::vector<Piece> next;
  for (const PreTokenizer& p : pre_tokenizers_) {
    next.clear();
    for (Piece& piece : pieces) {
      if (p.kind == PreTokenizer::Kind::kByteLevel && p.add_prefix_space &&
          !piece.text.starts_with(' '))
        piece.text.insert(0, 1, ' ');
      if (p.kind == PreTokenizer::Kind::kMetaspace) {
        replace_all(piece.text, " ", p.replacement);
        bool prepend = p.prepend_scheme == PrependScheme::kAlways ||
                       (p.prepend_scheme == PrependScheme::kFirst && piece.at_text_start);
        if (prepend && !piece.text.starts_with(p.replacement)) piece.text.insert(0, p.replacement);
      }
      if (!p.regex) {
        next.push_back(std::move(piece));
        continue;
      }
      for (Piece& q : split_piece(piece, *p.regex, p.behavior, p.invert))
        next.push_back(std::move(q));
    }
    pieces.swap(next);
  }
  for (const Piece& piece : pieces) model_.encode_word(piece.text, ids);
}

}  // namespace

std::unique_ptr<Tokenizer> load_hf_tokenizer(const fs::path& dir) {
  return std::make_unique<HfTokenizer>(dir);
}

}  // namespace pagoda::tokenizer_detail
