// tokenizer.json (Hugging Face `tokenizers`): the pipeline. Normalizers and pre-tokenizers
// (hf_pre_tokenizer.h) cut the text into pieces, the BPE model (hf_bpe.h) turns each into ids,
// the post-processor adds special tokens and the decoder turns ids back into text.
#include <algorithm>
#include <mutex>

#include "engine/tokenizer/hf_bpe.h"
#include "engine/tokenizer/hf_pre_tokenizer.h"
#include "engine/tokenizer/tokenizer_internal.h"
#include "engine/tokenizer/unicode.h"
#include "engine/util/error.h"
#include "engine/util/utf8.h"

namespace pagoda::tokenizer_detail {

namespace fs = std::filesystem;

namespace {

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
