// Randomized inputs for every tokenizer: random bytes, random code points, malformed UTF-8, huge
// runs of one character and fragments of special tokens. No crash, no hang, ids in range, valid
// UTF-8 out, streaming equal to decode, and exact round trips where the tokenizer is lossless.
#include <gtest/gtest.h>
#include <sentencepiece_processor.h>

#include <chrono>
#include <filesystem>
#include <random>

#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/unicode.h"
#include "engine/util/utf8.h"

namespace fs = std::filesystem;
using pagoda::Tokenizer;

namespace {

const fs::path kData = PAGODA_TEST_DATA;

enum class RoundTrip {
  kExact,        // byte-level: decode(encode(x)) == x for valid UTF-8
  kNfc,          // byte-level after an NFC normalizer: == nfc(x)
  kNoMetaspace,  // SentencePiece-style BPE: exact unless x holds "▁" or added-token text
  kNone,         // libsentencepiece normalizes (NFKC, spaces)
};

struct FuzzCase {
  const char* name;
  const char* folder;
  RoundTrip round_trip;
};

class Generator {
 public:
  explicit Generator(uint32_t seed, std::vector<std::string> specials)
      : rng_(seed), specials_(std::move(specials)) {}

  size_t below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  std::string random_bytes() {
    std::string s(below(64), '\0');
    for (char& c : s) c = static_cast<char>(below(256));
    return s;
  }

  char32_t random_code_point() {
    static const std::pair<char32_t, char32_t> kRanges[] = {
        {0x20, 0x7E},       {0x0, 0x1F},      {0xA0, 0x24F},    {0x300, 0x36F},
        {0x370, 0x3FF},     {0x400, 0x4FF},   {0x590, 0x6FF},   {0x900, 0x97F},
        {0x1100, 0x11FF},   {0x2000, 0x206F}, {0x2100, 0x2BFF}, {0x3000, 0x30FF},
        {0x4E00, 0x9FFF},   {0xAC00, 0xD7A3}, {0xFB00, 0xFFFD}, {0x1F300, 0x1FAFF},
        {0x10000, 0x10FFFF}};
    auto [lo, hi] = kRanges[below(std::size(kRanges))];
    char32_t cp = lo + static_cast<char32_t>(below(hi - lo + 1));
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';
    return cp;
  }

  std::string random_unicode() {
    std::string s;
    for (size_t n = below(48); n > 0; --n) pagoda::utf8::append(s, random_code_point());
    return s;
  }

  std::string malformed() {
    std::string s = random_unicode() + "\xE4\xB8\xAD\xF0\x9F\x98\x80";
    switch (below(4)) {
      case 0:
        s.resize(s.size() - 1 - below(3));  // cut a character
        break;
      case 1:
        s[below(s.size())] = static_cast<char>(0x80 + below(64));  // stray continuation byte
        break;
      case 2:
        s.insert(below(s.size() + 1), 1, static_cast<char>(0xC0 + below(2)));  // overlong lead
        break;
      default:
        s.insert(below(s.size() + 1), "\xED\xA0\x80");  // a surrogate
    }
    return s;
  }

  std::string special_fragments() {
    std::string s;
    for (size_t n = 1 + below(8); n > 0; --n) {
      const std::string& sp = specials_[below(specials_.size())];
      switch (below(4)) {
        case 0:
          s += sp;
          break;
        case 1:
          s += sp.substr(0, below(sp.size() + 1));
          break;
        case 2:
          s += sp.substr(below(sp.size() + 1));
          break;
        default:
          s += random_unicode().substr(0, 6) + (below(2) ? " " : "");
      }
    }
    return s;
  }

 private:
  std::mt19937 rng_;
  std::vector<std::string> specials_;
};

std::string stream_decode(const Tokenizer& tok, const std::vector<int32_t>& ids, bool skip) {
  pagoda::IncrementalDetokenizer detok(tok, skip);
  std::string text;
  for (int32_t id : ids) {
    std::string delta = detok.push(id);
    EXPECT_EQ(pagoda::utf8::complete_prefix_length(delta), delta.size());
    text += delta;
  }
  return text + detok.flush();
}

class TokenizerFuzz : public testing::TestWithParam<FuzzCase> {};

TEST_P(TokenizerFuzz, RandomInputs) {
  const FuzzCase& c = GetParam();
  auto tok = Tokenizer::from_dir(kData / c.folder);
  std::vector<std::string> specials{"<|", "|>", "<s>", "</s>", "[INST]", "\xE2\x96\x81"};
  for (int32_t id = 0; id < tok->vocab_size(); ++id) {
    if (tok->is_special(id) && specials.size() < 64) specials.push_back(tok->id_to_token(id));
  }
  Generator gen(0x5eed + static_cast<uint32_t>(c.folder[12]), specials);

  auto check = [&](const std::string& text) {
    SCOPED_TRACE(testing::PrintToString(text.substr(0, 200)));
    auto start = std::chrono::steady_clock::now();
    std::vector<int32_t> ids = tok->encode(text);
    std::vector<int32_t> with_specials = tok->encode(text, true);
    EXPECT_GE(with_specials.size(), ids.size());
    for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < tok->vocab_size()) << id;
    std::string decoded = tok->decode(ids);
    EXPECT_TRUE(pagoda::utf8::is_valid(decoded));
    EXPECT_EQ(stream_decode(*tok, ids, false), decoded);
    EXPECT_EQ(stream_decode(*tok, ids, true), tok->decode(ids, true));
    bool valid = pagoda::utf8::is_valid(text);
    switch (c.round_trip) {
      case RoundTrip::kExact:
        EXPECT_EQ(decoded, pagoda::utf8::sanitize(text));
        break;
      case RoundTrip::kNfc:
        EXPECT_EQ(decoded, pagoda::utf8::sanitize(pagoda::unicode::nfc(text)));
        break;
      case RoundTrip::kNoMetaspace: {
        bool plain = valid;
        for (const auto& sp : specials) {
          if (sp.size() > 2 && text.find(sp) != std::string::npos) plain = false;
        }
        if (plain) {
          EXPECT_EQ(decoded, text);
        }
        break;
      }
      case RoundTrip::kNone:
        break;
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(seconds, 10.0) << "too slow for " << text.size() << " bytes";
  };

  for (int i = 0; i < 200; ++i) {
    check(gen.random_bytes());
    check(gen.random_unicode());
    check(gen.malformed());
    check(gen.special_fragments());
  }
  // Huge runs of one character: BPE must not go quadratic, the regex must not blow its stack.
  for (const char* unit :
       {"a", " ", "\n", "1", "\xE4\xB8\xAD", "\xCC\x81", "\xF0\x9F\x98\x80", "\xFF", "<|"}) {
    std::string text;
    while (text.size() < 100000) text += unit;
    check(text);
    check("x" + text + " y");
  }
  // Random ids decode to valid UTF-8, streamed identically.
  for (int i = 0; i < 200; ++i) {
    std::vector<int32_t> ids(gen.below(32));
    for (int32_t& id : ids) id = static_cast<int32_t>(gen.below(tok->vocab_size() + 2)) - 1;
    std::string decoded = tok->decode(ids);
    EXPECT_TRUE(pagoda::utf8::is_valid(decoded));
    EXPECT_EQ(stream_decode(*tok, ids, false), decoded);
    EXPECT_EQ(stream_decode(*tok, ids, true), tok->decode(ids, true));
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, TokenizerFuzz,
    testing::Values(FuzzCase{"qwen3", "tokenizers/qwen3", RoundTrip::kNfc},
                    FuzzCase{"llama3", "tokenizers/llama3", RoundTrip::kExact},
                    FuzzCase{"mistral", "tokenizers/mistral", RoundTrip::kNoMetaspace},
                    FuzzCase{"spm_tiny", "tokenizers/spm-tiny", RoundTrip::kNone},
                    FuzzCase{"demo_chat", "models/demo-chat", RoundTrip::kNfc}),
    [](const auto& info) { return std::string(info.param.name); });

// Our decoding of a tokenizer.model agrees with libsentencepiece's own.
TEST(TokenizerFuzz, SentencePieceDecodeMatchesLibrary) {
  fs::path dir = kData / "tokenizers/spm-tiny";
  auto tok = Tokenizer::from_dir(dir);
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load((dir / "tokenizer.model").string()).ok());
  Generator gen(7, {"<|im_start|>"});
  for (int i = 0; i < 500; ++i) {
    std::string text = i % 2 ? gen.random_unicode() : gen.special_fragments();
    std::vector<int> ids;
    ASSERT_TRUE(sp.Encode(text, &ids).ok());
    std::string expected;
    ASSERT_TRUE(sp.Decode(ids, &expected).ok());
    EXPECT_EQ(tok->decode(std::vector<int32_t>(ids.begin(), ids.end())), expected) << text;
  }
}

// NFC facts from the Unicode standard, and idempotence on random text.
TEST(TokenizerFuzz, NfcComposesReordersAndKeepsInvalidBytes) {
  using pagoda::unicode::nfc;
  EXPECT_EQ(nfc("e\xCC\x81"), "\xC3\xA9");                      // e + acute -> é
  EXPECT_EQ(nfc("\xE1\x84\x80\xE1\x85\xA1"), "\xEA\xB0\x80");   // Hangul L + V -> 가
  EXPECT_EQ(nfc("\xE2\x84\xAB"), "\xC3\x85");                   // Angstrom sign -> Å
  EXPECT_EQ(nfc("a\xCC\x87\xCC\xA3"), "\xE1\xBA\xA1\xCC\x87");  // dot above/below reordered
  EXPECT_EQ(nfc("abc \xFF\xC3"), "abc \xFF\xC3");
  EXPECT_EQ(nfc("\xC3\xA9t\xC3\xA9"), "\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(nfc("e\xCC\x81x x e\xCC\x81"), "\xC3\xA9x x \xC3\xA9");        // chunks at ASCII
  EXPECT_EQ(nfc("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8"), "\xEA\xB0\x81");  // L + V + T -> 각
  EXPECT_EQ(nfc("\xEA\xB0\x80\xE1\x86\xA8"), "\xEA\xB0\x81");              // LV + T -> 각
  EXPECT_EQ(nfc("A\xCC\x8A\xCC\x81 A\xCC\x81"), "\xC7\xBA \xC3\x81");      // Å + acute -> Ǻ
  EXPECT_EQ(nfc("\xCD\x84"), "\xCC\x88\xCC\x81");                          // decomposes only
  EXPECT_EQ(nfc("\xE4\xB8\xAD\xCC\x81"
                "a"),
            "\xE4\xB8\xAD\xCC\x81"
            "a");  // nothing composes
  Generator gen(11, {"x"});
  for (int i = 0; i < 2000; ++i) {
    std::string text = i % 3 ? gen.random_unicode() : gen.malformed();
    std::string once = nfc(text);
    EXPECT_EQ(nfc(once), once) << testing::PrintToString(text);
    EXPECT_EQ(pagoda::utf8::is_valid(once), pagoda::utf8::is_valid(text));
  }
}

}  // namespace
