// The tokenizers' Unicode normalizers (libutf8proc) against Python's unicodedata and
// str.lower(), generated at test time by unicode_reference.py: every assigned code point and its
// decomposition, random mark/letter/jamo runs, final-sigma words, the tokenizer corpus. Then a
// byte-level tokenizer.json with NFKC + Lowercase normalizers, which used to be refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/unicode.h"
#include "engine/util/json.h"

namespace fs = std::filesystem;
using pagoda::Json;
namespace unicode = pagoda::unicode;

namespace {

const fs::path kData = PAGODA_TEST_DATA;

std::vector<Json> reference_lines() {
  const std::string cmd = "python3 " PAGODA_SOURCE_DIR "/tests/engine/unicode_reference.py " +
                          (kData / "golden/tokenizer-corpus.json").string();
  std::vector<Json> lines;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return lines;
  std::string buf, line;
  std::array<char, 1 << 16> chunk;
  size_t n;
  while ((n = fread(chunk.data(), 1, chunk.size(), pipe)) > 0) buf.append(chunk.data(), n);
  if (pclose(pipe) != 0) return {};
  size_t start = 0;
  for (size_t end; (end = buf.find('\n', start)) != std::string::npos; start = end + 1)
    lines.push_back(Json::parse(buf.substr(start, end - start)));
  return lines;
}

const std::vector<Json>& reference() {
  static const std::vector<Json> lines = reference_lines();
  return lines;
}

TEST(Unicode, NormalFormsAndLowercaseMatchPython) {
  if (system("python3 -c 'import unicodedata' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3 is needed for the reference outputs";
  const auto& lines = reference();
  ASSERT_GT(lines.size(), 100000u);
  struct Form {
    const char* key;
    unicode::NormalForm form;
  };
  const Form forms[] = {{"nfc", unicode::NormalForm::kNfc},
                        {"nfd", unicode::NormalForm::kNfd},
                        {"nfkc", unicode::NormalForm::kNfkc},
                        {"nfkd", unicode::NormalForm::kNfkd}};
  int failures = 0;
  for (const Json& l : lines) {
    const std::string s = l["s"];
    for (const Form& f : forms)
      if (unicode::normalize(s, f.form) != l[f.key].get<std::string>() && ++failures < 20)
        ADD_FAILURE() << f.key << " of " << l["s"].dump() << " is "
                      << Json(unicode::normalize(s, f.form)).dump() << ", Python says "
                      << l[f.key].dump();
    if (unicode::lowercase(s) != l["lower"].get<std::string>() && ++failures < 20)
      ADD_FAILURE() << "lowercase of " << l["s"].dump() << " is "
                    << Json(unicode::lowercase(s)).dump() << ", Python says " << l["lower"].dump();
  }
  EXPECT_EQ(failures, 0);
}

TEST(Unicode, InvalidBytesPassThroughAndBlockComposition) {
  // e, an invalid byte, then a combining acute: nothing composes across the byte.
  const std::string s = "e\xFF\xCC\x81 \xC3";
  for (auto form : {unicode::NormalForm::kNfc, unicode::NormalForm::kNfkc})
    EXPECT_EQ(unicode::normalize(s, form), s);
  EXPECT_EQ(unicode::normalize("e\xCC\x81\xFF", unicode::NormalForm::kNfc), "\xC3\xA9\xFF");
  EXPECT_EQ(unicode::lowercase("\xC3\x89\xFF" "AB"), "\xC3\xA9\xFF" "ab");
}

TEST(Unicode, TokenizerJsonWithNfkcAndLowercaseNormalizers) {
  if (system("python3 -c 'import unicodedata' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3 is needed for the reference outputs";
  const fs::path source = kData / "tokenizers/qwen3";
  Json j = pagoda::read_json_file(source / "tokenizer.json");
  j["normalizer"] = {{"type", "Sequence"},
                     {"normalizers", Json::array({{{"type", "NFKC"}}, {{"type", "Lowercase"}}})}};
  const fs::path dir = fs::temp_directory_path() / ("pagoda_nfkc_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << j.dump();
  fs::copy_file(source / "tokenizer_config.json", dir / "tokenizer_config.json",
                fs::copy_options::overwrite_existing);
  auto normalized = pagoda::Tokenizer::from_dir(dir);
  fs::remove_all(dir);
  auto plain = pagoda::Tokenizer::from_dir(source);
  size_t compared = 0;
  for (const Json& l : reference()) {
    if (!l.contains("nfkc_lower")) continue;
    EXPECT_EQ(normalized->encode(l["s"].get<std::string>()),
              plain->encode(l["nfkc_lower"].get<std::string>()))
        << l["s"].dump();
    ++compared;
  }
  EXPECT_GT(compared, 100u);
}

}  // namespace
