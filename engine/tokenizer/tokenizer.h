#pragma once
// A model folder's tokenizer, loaded the way Hugging Face does it: tokenizer.json (byte-level or
// SentencePiece-style BPE) or tokenizer.model (libsentencepiece), plus tokenizer_config.json and
// generation_config.json for special tokens and BOS/EOS rules. Immutable after loading: one
// instance serves every thread.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/util/json.h"

namespace pagoda {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Loads from a model (or tokenizer-only) folder. Throws pagoda::Error naming the file.
  static std::unique_ptr<Tokenizer> from_dir(const std::filesystem::path& dir);

  // Special-token text in `text` is matched as special tokens (before the model runs).
  // add_special_tokens adds BOS/EOS as the tokenizer's post-processor / add_bos_token say.
  virtual std::vector<int32_t> encode(std::string_view text,
                                      bool add_special_tokens = false) const = 0;
  // Decodes to text; malformed UTF-8 is replaced by U+FFFD, as HF does.
  virtual std::string decode(std::span<const int32_t> ids,
                             bool skip_special_tokens = false) const = 0;
  // Raw bytes of a single token after the decoder (may be part of a UTF-8 character).
  // Used by IncrementalDetokenizer.
  virtual std::string token_bytes(int32_t id) const = 0;

  virtual int32_t vocab_size() const = 0;  // including added tokens
  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  virtual std::string id_to_token(int32_t id) const = 0;  // the vocabulary string
  virtual bool is_special(int32_t id) const = 0;

  std::optional<int32_t> bos_id() const { return bos_id_; }
  std::optional<int32_t> eos_id() const { return eos_id_; }
  std::optional<int32_t> pad_id() const { return pad_id_; }
  const std::string& bos_token() const { return bos_token_; }
  const std::string& eos_token() const { return eos_token_; }
  const std::string& pad_token() const { return pad_token_; }
  const std::string& unk_token() const { return unk_token_; }
  // Every id that ends generation: tokenizer eos plus generation_config.json's eos_token_id
  // (an int or a list).
  const std::vector<int32_t>& stop_ids() const { return stop_ids_; }
  // tokenizer_config.json as read (empty object if absent); holds chat_template.
  const OrderedJson& config() const { return config_; }
  // Leading spaces that decode() removes from the first decoded token (the space that
  // SentencePiece-style tokenizers prepend); IncrementalDetokenizer applies the same rule.
  size_t leading_spaces_stripped() const { return strip_leading_spaces_; }

 protected:
  std::optional<int32_t> bos_id_, eos_id_, pad_id_;
  std::string bos_token_, eos_token_, pad_token_, unk_token_;
  std::vector<int32_t> stop_ids_;
  OrderedJson config_ = OrderedJson::object();
  size_t strip_leading_spaces_ = 0;
};

// Turns a stream of token ids into text deltas: never emits half a UTF-8 character, and keeps
// leading-space and byte-fallback handling identical to decoding the whole sequence at once.
class IncrementalDetokenizer {
 public:
  IncrementalDetokenizer(const Tokenizer& tokenizer, bool skip_special_tokens = true);
  // Returns the newly completed text (possibly empty).
  std::string push(int32_t id);
  // Returns what is left (an incomplete character becomes U+FFFD).
  std::string flush();
  const std::vector<int32_t>& ids() const { return ids_; }

 private:
  const Tokenizer& tokenizer_;
  bool skip_special_;
  std::vector<int32_t> ids_;
  bool at_start_ = true;  // no decoded token yet: the leading-space rule still applies
  std::string pending_;   // decoded bytes not emitted yet (an incomplete UTF-8 character)
};

}  // namespace pagoda
