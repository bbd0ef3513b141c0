#include "engine/tokenizer/tokenizer.h"

#include <algorithm>

#include "engine/tokenizer/tokenizer_internal.h"
#include "engine/util/error.h"
#include "engine/util/utf8.h"

namespace pagoda {

namespace fs = std::filesystem;
using namespace tokenizer_detail;

namespace {
// The leading-space rule of SentencePiece-style decoders, shared by decode() and streaming.
void strip_leading_spaces(std::string& token, size_t count) {
  size_t strip = 0;
  while (strip < count && strip < token.size() && token[strip] == ' ') ++strip;
  token.erase(0, strip);
}
}  // namespace

std::unique_ptr<Tokenizer> Tokenizer::from_dir(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw Error("tokenizer folder not found: " + dir.string());
  if (fs::exists(dir / "tokenizer.json")) return load_hf_tokenizer(dir);
  if (fs::exists(dir / "tokenizer.model")) return load_spm_tokenizer(dir);
  throw Error("no tokenizer.json or tokenizer.model in " + dir.string());
}

namespace tokenizer_detail {

AddedToken parse_added_token(const Json& j, int32_t id) {
  AddedToken t;
  t.id = id;
  t.content = j.at("content").get<std::string>();
  t.special = j.value("special", false);
  t.lstrip = j.value("lstrip", false);
  t.rstrip = j.value("rstrip", false);
  t.single_word = j.value("single_word", false);
  return t;
}

int32_t checked_token_id(int64_t id, const std::string& where) {
  constexpr int64_t kMaxVocabulary = 1 << 24;
  if (id < 0 || id >= kMaxVocabulary) throw Error(where + ": bad token id " + std::to_string(id));
  return static_cast<int32_t>(id + 1);
}

void AddedTokenMatcher::add(const AddedToken& token) {
  if (token.content.empty()) return;
  for (auto& t : tokens_) {
    if (t.content == token.content) return;  // the first definition wins
  }
  tokens_.push_back(token);
  auto& bucket = by_first_byte_[static_cast<unsigned char>(token.content[0])];
  bucket.push_back(static_cast<uint32_t>(tokens_.size() - 1));
  std::stable_sort(bucket.begin(), bucket.end(), [&](uint32_t a, uint32_t b) {
    return tokens_[a].content.size() > tokens_[b].content.size();
  });
}

namespace {
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
// Bytes of non-ASCII characters count as word characters (letters of most scripts).
bool is_word_byte(char c) {
  auto b = static_cast<unsigned char>(c);
  return b >= 0x80 || std::isalnum(b) || c == '_';
}
}  // namespace

std::vector<AddedTokenMatcher::Segment> AddedTokenMatcher::split(std::string_view text) const {
  std::vector<Segment> out;
  size_t text_start = 0, i = 0;
  while (i < text.size()) {
    const auto& bucket = by_first_byte_[static_cast<unsigned char>(text[i])];
    bool matched = false;
    for (uint32_t index : bucket) {
      const AddedToken& t = tokens_[index];
      if (text.compare(i, t.content.size(), t.content) != 0) continue;
      size_t begin = i, end = i + t.content.size();
      if (t.single_word && ((begin > 0 && is_word_byte(text[begin - 1])) ||
                            (end < text.size() && is_word_byte(text[end]))))
        continue;
      if (t.lstrip) {
        while (begin > text_start && is_space(text[begin - 1])) --begin;
      }
      if (t.rstrip) {
        while (end < text.size() && is_space(text[end])) ++end;
      }
      if (begin > text_start) out.push_back({text_start, begin, -1});
      out.push_back({begin, end, t.id});
      text_start = i = end;
      matched = true;
      break;
    }
    if (!matched) ++i;
  }
  if (text_start < text.size()) out.push_back({text_start, text.size(), -1});
  return out;
}

std::string TokenizerBase::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  std::string bytes;
  bool first = true;
  int32_t n = vocab_size();
  for (int32_t id : ids) {
    if (id < 0 || id >= n || (skip_special_tokens && is_special(id))) continue;
    std::string b = token_bytes(id);
    if (first && !b.empty()) {
      first = false;
      strip_leading_spaces(b, strip_leading_spaces_);
    }
    bytes += b;
  }
  return utf8::sanitize(bytes);
}

namespace {
// bos_token etc. are a string, an {"content": ...} object or null.
std::optional<std::string> token_name(const OrderedJson& config, const char* key) {
  auto it = config.find(key);
  if (it == config.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
    return (*it)["content"].get<std::string>();
  return std::string();
}
}  // namespace

void TokenizerBase::load_config_files(const fs::path& dir) {
  if (fs::exists(dir / "tokenizer_config.json"))
    config_ = read_ordered_json_file(dir / "tokenizer_config.json");
  if (!config_.is_object())
    throw Error((dir / "tokenizer_config.json").string() + ": expected a JSON object");
  if (fs::exists(dir / "generation_config.json"))
    generation_config_ = read_json_file(dir / "generation_config.json");
}

void TokenizerBase::resolve_special_tokens() {
  auto resolve = [&](const char* key, std::string& token, std::optional<int32_t>& id) {
    if (auto name = token_name(config_, key)) {
      token = *name;
      id = token.empty() ? std::nullopt : token_to_id(token);
    }
  };
  resolve("bos_token", bos_token_, bos_id_);
  resolve("eos_token", eos_token_, eos_id_);
  resolve("pad_token", pad_token_, pad_id_);
  std::optional<int32_t> unk_id = unk_token_.empty() ? std::nullopt : token_to_id(unk_token_);
  resolve("unk_token", unk_token_, unk_id);
  for (const auto& id : {bos_id_, eos_id_, pad_id_, unk_id}) {
    if (id && *id >= 0 && static_cast<size_t>(*id) < special_.size()) special_[*id] = 1;
  }

  stop_ids_.clear();
  auto add_stop = [&](int32_t id) {
    if (std::find(stop_ids_.begin(), stop_ids_.end(), id) == stop_ids_.end())
      stop_ids_.push_back(id);
  };
  if (eos_id_) add_stop(*eos_id_);
  if (generation_config_.is_object() && generation_config_.contains("eos_token_id")) {
    const Json& e = generation_config_["eos_token_id"];
    if (e.is_number_integer()) add_stop(e.get<int32_t>());
    if (e.is_array()) {
      for (const Json& v : e) {
        if (v.is_number_integer()) add_stop(v.get<int32_t>());
      }
    }
  }
}

void TokenizerBase::apply_add_bos_eos_flags() {
  auto apply = [](const OrderedJson& flag, const std::optional<int32_t>& id,
                  std::vector<int32_t>& ids, bool front) {
    if (!flag.is_boolean() || !id) return;
    auto it = std::find(ids.begin(), ids.end(), *id);
    if (flag.get<bool>() && it == ids.end()) ids.insert(front ? ids.begin() : ids.end(), *id);
    if (!flag.get<bool>() && it != ids.end()) ids.erase(it);
  };
  apply(config_.value("add_bos_token", OrderedJson()), bos_id_, prefix_ids_, true);
  apply(config_.value("add_eos_token", OrderedJson()), eos_id_, suffix_ids_, false);
}

void TokenizerBase::add_special_ids(std::vector<int32_t>& ids) const {
  ids.insert(ids.begin(), prefix_ids_.begin(), prefix_ids_.end());
  ids.insert(ids.end(), suffix_ids_.begin(), suffix_ids_.end());
}

}  // namespace tokenizer_detail

IncrementalDetokenizer::IncrementalDetokenizer(const Tokenizer& tokenizer, bool skip_special_tokens)
    : tokenizer_(tokenizer), skip_special_(skip_special_tokens) {}

std::string IncrementalDetokenizer::push(int32_t id) {
  ids_.push_back(id);
  if (id < 0 || id >= tokenizer_.vocab_size() || (skip_special_ && tokenizer_.is_special(id)))
    return {};
  std::string b = tokenizer_.token_bytes(id);
  if (at_start_ && !b.empty()) {
    at_start_ = false;
    strip_leading_spaces(b, tokenizer_.leading_spaces_stripped());
  }
  pending_ += b;
  size_t complete = utf8::complete_prefix_length(pending_);
  std::string out = utf8::sanitize(std::string_view(pending_).substr(0, complete));
  pending_.erase(0, complete);
  return out;
}

std::string IncrementalDetokenizer::flush() {
  std::string out = utf8::sanitize(pending_);
  pending_.clear();
  return out;
}

}  // namespace pagoda
