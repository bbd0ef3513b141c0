#pragma once
// Pieces shared by the tokenizer.json and tokenizer.model implementations (not a public API).
#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace pagoda::tokenizer_detail {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
};

// Reads one entry of tokenizer.json's added_tokens or tokenizer_config.json's
// added_tokens_decoder (the id is passed separately there).
AddedToken parse_added_token(const Json& j, int32_t id);

// id + 1 (the vocabulary size it implies); throws pagoda::Error naming `where` for an id that
// is negative or absurdly large.
int32_t checked_token_id(int64_t id, const std::string& where);

// Finds added tokens in text before the model runs: leftmost match first, the longest one at
// that position, honouring lstrip/rstrip/single_word as Hugging Face does.
class AddedTokenMatcher {
 public:
  struct Segment {
    size_t begin, end;  // byte range in the text
    int32_t id;         // the added token, or -1 for text the model encodes
  };
  void add(const AddedToken& token);
  bool empty() const { return tokens_.empty(); }
  std::vector<Segment> split(std::string_view text) const;

 private:
  std::vector<AddedToken> tokens_;
  std::array<std::vector<uint32_t>, 256> by_first_byte_;  // indices, longest content first
};

// What Tokenizer subclasses share: special-token bookkeeping, the BOS/EOS rules of
// tokenizer_config.json / generation_config.json, and decoding through token_bytes().
class TokenizerBase : public Tokenizer {
 public:
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens) const override;
  bool is_special(int32_t id) const override {
    return id >= 0 && static_cast<size_t>(id) < special_.size() && special_[id];
  }

 protected:
  // Reads tokenizer_config.json and generation_config.json of dir (both optional).
  void load_config_files(const std::filesystem::path& dir);
  // Sets bos/eos/pad/unk from tokenizer_config.json (a missing entry keeps the given default),
  // marks them special as transformers does, and collects stop_ids. Call once the vocabulary
  // is known, so that token_to_id works.
  void resolve_special_tokens();
  // Applies add_bos_token / add_eos_token of tokenizer_config.json, when present, to the ids
  // the post-processor adds.
  void apply_add_bos_eos_flags();
  void add_special_ids(std::vector<int32_t>& ids) const;

  std::vector<int32_t> prefix_ids_, suffix_ids_;  // what add_special_tokens adds
  std::vector<uint8_t> special_;                  // by id
  Json generation_config_;                        // generation_config.json, or null
};

std::unique_ptr<Tokenizer> load_hf_tokenizer(const std::filesystem::path& dir);
std::unique_ptr<Tokenizer> load_spm_tokenizer(const std::filesystem::path& dir);

}  // namespace pagoda::tokenizer_detail
