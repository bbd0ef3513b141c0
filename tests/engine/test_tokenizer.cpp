// Tokenizers against the goldens of Hugging Face tokenizers (tokenizer.json) and SentencePiece
// (tokenizer.model), plus the special-token rules of every fixture model folder.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/tokenizer/tokenizer.h"
#include "engine/util/error.h"
#include "engine/util/json.h"
#include "tests/engine/golden_test_util.h"
#include "engine/util/utf8.h"

namespace fs = std::filesystem;
using pagoda::IncrementalDetokenizer;
using pagoda::Json;
using pagoda::Tokenizer;

using namespace pagoda::testing;

namespace {

std::string stream_decode(const Tokenizer& tok, const std::vector<int32_t>& ids, bool skip) {
  IncrementalDetokenizer detok(tok, skip);
  std::string text;
  for (int32_t id : ids) {
    std::string delta = detok.push(id);
    EXPECT_TRUE(pagoda::utf8::is_valid(delta)) << "half a character in a delta";
    text += delta;
  }
  return text + detok.flush();
}

struct GoldenCase {
  const char* golden;  // golden/tokenizer-<golden>.jsonl
  const char* folder;  // under PAGODA_TEST_DATA
};

class TokenizerGolden : public testing::TestWithParam<GoldenCase> {};

TEST_P(TokenizerGolden, EncodesAndDecodesEveryLine) {
  auto tok = Tokenizer::from_dir(kData / GetParam().folder);
  auto lines =
      read_golden<Json>(std::string("tokenizer-") + GetParam().golden);
  ASSERT_GT(lines.size(), 100u);
  for (const Json& line : lines) {
    std::string text = line["text"];
    auto expected = line["ids"].get<std::vector<int32_t>>();
    auto ids = tok->encode(text);
    EXPECT_EQ(ids, expected) << "text: " << text;
    std::string decoded = tok->decode(expected);
    EXPECT_EQ(decoded, line["decoded"].get<std::string>()) << "text: " << text;
    EXPECT_EQ(stream_decode(*tok, expected, false), decoded) << "text: " << text;
    EXPECT_EQ(stream_decode(*tok, expected, true), tok->decode(expected, true)) << "text: " << text;
  }
}

INSTANTIATE_TEST_SUITE_P(All, TokenizerGolden,
                         testing::Values(GoldenCase{"qwen3", "tokenizers/qwen3"},
                                         GoldenCase{"llama3", "tokenizers/llama3"},
                                         GoldenCase{"llama2", "tokenizers/mistral"},
                                         GoldenCase{"spm-tiny", "tokenizers/spm-tiny"},
                                         GoldenCase{"demo-chat", "models/demo-chat"}),
                         [](const auto& info) {
                           std::string name = info.param.golden;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// bos_token / eos_token are a string, an {"content": ...} object or null.
std::string config_token(const Json& config, const char* key) {
  if (!config.contains(key)) return {};
  const Json& v = config[key];
  if (v.is_string()) return v;
  if (v.is_object()) return v.value("content", "");
  return {};
}

TEST(TokenizerModels, SpecialTokensFollowConfigFiles) {
  int folders = 0;
  for (const auto& entry : fs::directory_iterator(kData / "models")) {
    SCOPED_TRACE(entry.path().string());
    // The quantized fixtures (tests/quant) carry weights only: their goldens use token ids.
    if (!fs::exists(entry.path() / "tokenizer_config.json")) continue;
    ++folders;
    auto tok = Tokenizer::from_dir(entry.path());
    Json config = pagoda::read_json_file(entry.path() / "tokenizer_config.json");
    std::string bos = config_token(config, "bos_token"), eos = config_token(config, "eos_token");
    EXPECT_EQ(tok->bos_token(), bos);
    EXPECT_EQ(tok->eos_token(), eos);
    if (bos.empty()) {
      EXPECT_FALSE(tok->bos_id());
    } else {
      ASSERT_TRUE(tok->bos_id());
      EXPECT_EQ(tok->id_to_token(*tok->bos_id()), bos);
    }
    ASSERT_TRUE(tok->eos_id());
    EXPECT_EQ(tok->id_to_token(*tok->eos_id()), eos);
    EXPECT_TRUE(tok->is_special(*tok->eos_id()));

    std::vector<int32_t> expected_stops{*tok->eos_id()};
    Json generation = pagoda::read_json_file(entry.path() / "generation_config.json");
    const Json& e = generation["eos_token_id"];
    for (const Json& id : e.is_array() ? e : Json::array({e})) {
      if (std::find(expected_stops.begin(), expected_stops.end(), id.get<int32_t>()) ==
          expected_stops.end())
        expected_stops.push_back(id.get<int32_t>());
    }
    EXPECT_EQ(tok->stop_ids(), expected_stops);

    // add_special_tokens adds BOS exactly when tokenizer_config.json asks for it.
    auto plain = tok->encode("Hello world");
    auto with_specials = tok->encode("Hello world", true);
    if (config.value("add_bos_token", false)) {
      ASSERT_EQ(with_specials.size(), plain.size() + 1);
      EXPECT_EQ(with_specials.front(), *tok->bos_id());
    } else {
      EXPECT_EQ(with_specials, plain);
    }
    EXPECT_TRUE(tok->config().is_object());
    EXPECT_GT(tok->vocab_size(), 0);
  }
  EXPECT_GE(folders, 6);
}

TEST(Tokenizer, SkipSpecialTokensAndIdLookups) {
  auto tok = Tokenizer::from_dir(kData / "tokenizers/qwen3");
  auto im_start = tok->token_to_id("<|im_start|>");
  ASSERT_TRUE(im_start);
  EXPECT_TRUE(tok->is_special(*im_start));
  auto ids = tok->encode("<|im_start|>user\nhi<|im_end|>");
  EXPECT_EQ(ids.front(), *im_start);
  EXPECT_EQ(tok->decode(ids, true), "user\nhi");
  EXPECT_EQ(tok->decode(ids, false), "<|im_start|>user\nhi<|im_end|>");
  EXPECT_EQ(stream_decode(*tok, ids, true), "user\nhi");
  EXPECT_EQ(tok->id_to_token(*im_start), "<|im_start|>");
  EXPECT_FALSE(tok->token_to_id("no such token"));
  // Ids outside the vocabulary are ignored, as Hugging Face does.
  std::vector<int32_t> bad{-1, tok->vocab_size(), ids[1]};
  EXPECT_EQ(tok->decode(bad), tok->decode(std::vector<int32_t>{ids[1]}));
}

TEST(Tokenizer, SentencePieceStyleStreamingKeepsInnerSpaces) {
  auto tok = Tokenizer::from_dir(kData / "tokenizers/mistral");
  auto ids = tok->encode("Hello world, how are you?", true);
  EXPECT_EQ(tok->decode(ids, true), "Hello world, how are you?");
  EXPECT_EQ(stream_decode(*tok, ids, true), "Hello world, how are you?");
  EXPECT_EQ(tok->decode(ids, false), "<s> Hello world, how are you?");
}

TEST(Tokenizer, ByteFallbackStreamsWholeCharacters) {
  auto tok = Tokenizer::from_dir(kData / "tokenizers/mistral");
  std::string text =
      "\xE4\xB8\xAD \xF0\x93\x80\x80";  // a CJK character, a hieroglyph (byte fallback)
  auto ids = tok->encode(text);
  IncrementalDetokenizer detok(*tok, true);
  std::string streamed;
  for (int32_t id : ids) {
    std::string delta = detok.push(id);
    EXPECT_EQ(pagoda::utf8::complete_prefix_length(delta), delta.size());
    EXPECT_TRUE(pagoda::utf8::is_valid(delta));
    streamed += delta;
  }
  EXPECT_EQ(streamed + detok.flush(), text);
  // A cut-off character becomes U+FFFD on flush.
  IncrementalDetokenizer cut(*tok, true);
  std::string partial;
  for (size_t i = 0; i + 1 < ids.size(); ++i) partial += cut.push(ids[i]);
  partial += cut.flush();
  EXPECT_EQ(partial, tok->decode(std::span(ids).first(ids.size() - 1), true));
  EXPECT_NE(partial.find("\xEF\xBF\xBD"), std::string::npos);
}

TEST(Tokenizer, MissingFolderNamesThePath) {
  try {
    Tokenizer::from_dir(kData / "no-such-folder");
    FAIL() << "expected an error";
  } catch (const pagoda::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-folder"), std::string::npos);
  }
}

}  // namespace

namespace {

// The Llama 2 vocabulary with a Metaspace pre-tokenizer instead of the Prepend + Replace
// normalizers (the newer form of the same tokenizer.json), written to a temporary folder.
fs::path metaspace_variant(const std::string& prepend_scheme) {
  fs::path source = kData / "tokenizers/mistral";
  Json j = pagoda::read_json_file(source / "tokenizer.json");
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {{"type", "Metaspace"},
                        {"replacement", "\u2581"},
                        {"prepend_scheme", prepend_scheme},
                        {"split", false}};
  fs::path dir = fs::temp_directory_path() /
                 ("pagoda_metaspace_" + prepend_scheme + "_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << j.dump();
  fs::copy_file(source / "tokenizer_config.json", dir / "tokenizer_config.json",
                fs::copy_options::overwrite_existing);
  return dir;
}

TEST(Tokenizer, MetaspacePreTokenizerMatchesLegacyNormalizer) {
  auto lines = read_jsonl<Json>(kData / "golden/tokenizer-llama2.jsonl");
  for (const char* scheme : {"always", "first"}) {
    SCOPED_TRACE(scheme);
    fs::path dir = metaspace_variant(scheme);
    auto tok = Tokenizer::from_dir(dir);
    fs::remove_all(dir);
    size_t compared = 0;
    for (const Json& line : lines) {
      std::string text = line["text"];
      // Metaspace adds no "▁" before a text that starts with one (Prepend does).
      if (text.starts_with(' ')) continue;
      // "first" prepends "▁" only at the start of the text, not after an added token.
      if (std::string(scheme) == "first" && text.find("</s>") != std::string::npos) continue;
      if (std::string(scheme) == "first" && text.find("<s>") != std::string::npos) {
        EXPECT_NE(tok->encode(text), line["ids"].get<std::vector<int32_t>>()) << text;
        continue;
      }
      EXPECT_EQ(tok->encode(text), line["ids"].get<std::vector<int32_t>>()) << text;
      ++compared;
    }
    EXPECT_GT(compared, 90u);
  }
}

}  // namespace

namespace {

// demo-chat's tokenizer with <|im_end|> given lstrip/rstrip, <|im_start|> single_word, and a
// shorter added token "<|im" that must lose to the longer matches.
TEST(Tokenizer, AddedTokenFlagsAndLongestMatch) {
  fs::path source = kData / "models/demo-chat";
  Json j = pagoda::read_json_file(source / "tokenizer.json");
  int32_t next_id = 0;
  for (Json& t : j["added_tokens"]) {
    next_id = std::max(next_id, t["id"].get<int32_t>() + 1);
    if (t["content"] == "<|im_end|>") t["lstrip"] = t["rstrip"] = true;
    if (t["content"] == "<|im_start|>") t["single_word"] = true;
  }
  j["added_tokens"].push_back({{"id", next_id}, {"content", "<|im"}, {"special", false}});
  fs::path dir = fs::temp_directory_path() / ("pagoda_added_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << j.dump();
  auto tok = Tokenizer::from_dir(dir);
  fs::remove_all(dir);

  int32_t im_end = *tok->token_to_id("<|im_end|>"), im_start = *tok->token_to_id("<|im_start|>");
  auto concat = [](std::vector<int32_t> a, const std::vector<int32_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  // lstrip/rstrip: the spaces around <|im_end|> belong to it.
  EXPECT_EQ(tok->encode("a  <|im_end|>\n b"),
            concat(concat(tok->encode("a"), {im_end}), tok->encode("b")));
  // single_word: not matched inside a word.
  EXPECT_EQ(tok->encode("<|im_start|> x").front(), im_start);
  auto inside = tok->encode("x<|im_start|>");
  EXPECT_EQ(std::count(inside.begin(), inside.end(), im_start), 0);
  EXPECT_EQ(std::count(inside.begin(), inside.end(), next_id), 1);  // "<|im" still matches
  // Longest first: "<|im_end|>" wins over "<|im".
  EXPECT_EQ(tok->encode("<|im_end|>"), std::vector<int32_t>{im_end});
  EXPECT_EQ(tok->encode("<|imx").front(), next_id);
  EXPECT_FALSE(tok->is_special(next_id));
  EXPECT_EQ(tok->decode(tok->encode("<|imx"), true), "<|imx");
}

}  // namespace
