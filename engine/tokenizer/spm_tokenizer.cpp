// tokenizer.model (SentencePiece), as transformers' LlamaTokenizer uses it: the added tokens of
// tokenizer_config.json are matched first, the rest goes to libsentencepiece.
#include <sentencepiece_processor.h>

#include <algorithm>

#include "engine/tokenizer/tokenizer_internal.h"
#include "engine/util/error.h"

namespace pagoda::tokenizer_detail {

namespace fs = std::filesystem;

namespace {

class SpmTokenizer final : public TokenizerBase {
 public:
  explicit SpmTokenizer(const fs::path& dir);

  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const override;
  std::string token_bytes(int32_t id) const override {
    return id >= 0 && id < vocab_size() ? token_bytes_[id] : std::string();
  }
  int32_t vocab_size() const override { return static_cast<int32_t>(token_bytes_.size()); }
  std::optional<int32_t> token_to_id(std::string_view token) const override;
  std::string id_to_token(int32_t id) const override;

 private:
  std::string where_;
  sentencepiece::SentencePieceProcessor sp_;
  int32_t piece_count_ = 0;
  AddedTokenMatcher added_;
  StringMap<int32_t> added_ids_;
  std::unordered_map<int32_t, std::string> added_content_;
  std::vector<std::string> token_bytes_;
};

SpmTokenizer::SpmTokenizer(const fs::path& dir) : where_((dir / "tokenizer.model").string()) {
  auto status = sp_.Load((dir / "tokenizer.model").string());
  if (!status.ok()) throw Error(where_ + ": " + status.ToString());
  piece_count_ = sp_.GetPieceSize();
  load_config_files(dir);

  std::vector<AddedToken> added;
  if (config_.contains("added_tokens_decoder") && config_["added_tokens_decoder"].is_object()) {
    try {
      for (auto& [key, value] : config_["added_tokens_decoder"].items())
        added.push_back(parse_added_token(Json::parse(value.dump()), std::stoi(key)));
    } catch (const std::exception& e) {
      throw Error((dir / "tokenizer_config.json").string() + ": added_tokens_decoder: " + e.what());
    }
  }
  int32_t size = piece_count_;
  for (const AddedToken& t : added)
    size = std::max(size, checked_token_id(t.id, (dir / "tokenizer_config.json").string()));
  token_bytes_.resize(size);
  special_.assign(size, 0);
  for (int32_t id = 0; id < piece_count_; ++id) {
    std::string piece = sp_.IdToPiece(id);
    std::string& bytes = token_bytes_[id];
    if (sp_.IsControl(id)) {
      special_[id] = 1;  // decodes to nothing, as in SentencePiece
    } else if (sp_.IsUnknown(id)) {
      special_[id] = 1;
      bytes = " \xE2\x81\x87 ";  // SentencePiece's surface of <unk>
    } else if (sp_.IsByte(id)) {
      bytes = std::string(1, static_cast<char>(std::stoi(piece.substr(3, 2), nullptr, 16)));
    } else {
      for (size_t i = 0; i < piece.size();) {
        if (piece.compare(i, 3, "\xE2\x96\x81") == 0) {
          bytes += ' ';
          i += 3;
        } else {
          bytes += piece[i++];
        }
      }
    }
  }
  for (const AddedToken& t : added) {
    added_.add(t);
    added_ids_.emplace(t.content, t.id);
    added_content_[t.id] = t.content;
    token_bytes_[t.id] = t.content;
    special_[t.id] = t.special;
  }
  strip_leading_spaces_ = 1;  // the dummy prefix SentencePiece adds

  auto piece_or_none = [&](int id, std::optional<int32_t>& out_id, std::string& out_token) {
    if (id < 0 || id >= piece_count_) return;
    out_id = id;
    out_token = sp_.IdToPiece(id);
  };
  piece_or_none(sp_.bos_id(), bos_id_, bos_token_);
  piece_or_none(sp_.eos_id(), eos_id_, eos_token_);
  piece_or_none(sp_.pad_id(), pad_id_, pad_token_);
  std::optional<int32_t> unk_id;
  piece_or_none(sp_.unk_id(), unk_id, unk_token_);
  resolve_special_tokens();
  // LlamaTokenizer adds BOS unless add_bos_token says otherwise.
  if (bos_id_) prefix_ids_.push_back(*bos_id_);
  apply_add_bos_eos_flags();
}

std::optional<int32_t> SpmTokenizer::token_to_id(std::string_view token) const {
  if (auto it = added_ids_.find(token); it != added_ids_.end()) return it->second;
  int id = sp_.PieceToId(token);
  // PieceToId answers unk_id for unknown pieces.
  if (id < 0 || id >= piece_count_ || (id == sp_.unk_id() && sp_.IdToPiece(id) != token))
    return std::nullopt;
  return id;
}

std::string SpmTokenizer::id_to_token(int32_t id) const {
  if (auto it = added_content_.find(id); it != added_content_.end()) return it->second;
  if (id < 0 || id >= piece_count_) return {};
  return sp_.IdToPiece(id);
}

std::vector<int32_t> SpmTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<int32_t> ids;
  std::vector<int> piece_ids;
  for (const auto& segment : added_.split(text)) {
    if (segment.id >= 0) {
      ids.push_back(segment.id);
      continue;
    }
    auto status = sp_.Encode(text.substr(segment.begin, segment.end - segment.begin), &piece_ids);
    if (!status.ok()) throw Error(where_ + ": " + status.ToString());
    ids.insert(ids.end(), piece_ids.begin(), piece_ids.end());
  }
  if (add_special_tokens) add_special_ids(ids);
  return ids;
}

}  // namespace

std::unique_ptr<Tokenizer> load_spm_tokenizer(const fs::path& dir) {
  return std::make_unique<SpmTokenizer>(dir);
}

}  // namespace pagoda::tokenizer_detail
