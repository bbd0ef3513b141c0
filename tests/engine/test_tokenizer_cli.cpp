// The `pagoda-cli tokenize` contract, run on the built binary: JSON strings in, one
// {"ids":[...],"decoded":"..."} per line out, matching the goldens.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "engine/util/json.h"
#include "tests/engine/golden_test_util.h"

namespace fs = std::filesystem;
using pagoda::Json;

using namespace pagoda::testing;

namespace {

void check_golden(const char* golden, const char* folder) {
  auto expected = read_golden<Json>(std::string("tokenizer-") + golden);
  ASSERT_FALSE(expected.empty());
  std::string input;
  for (const Json& line : expected) input += Json(line["text"]).dump() + "\n";
  auto lines = run_cli_lines("tokenize", kData / folder, input, expected.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    Json out = Json::parse(lines[i]);
    EXPECT_EQ(out["ids"], expected[i]["ids"]) << expected[i]["text"];
    EXPECT_EQ(out["decoded"], expected[i]["decoded"]) << expected[i]["text"];
  }
}

TEST(TokenizeCli, ByteLevelGolden) {
  check_golden("qwen3", "tokenizers/qwen3");
}
TEST(TokenizeCli, SentencePieceStyleGolden) {
  check_golden("llama2", "tokenizers/mistral");
}
TEST(TokenizeCli, SentencePieceModelGolden) {
  check_golden("spm-tiny", "tokenizers/spm-tiny");
}

TEST(TokenizeCli, SpecialTokenTextIsMatchedAndBadLinesReportErrors) {
  int status = -1;
  auto lines = run_cli("tokenize", kData / "models/demo-chat",
                       "\"<|im_start|>hi<|im_end|>\"\nnot json\n42\n\"ok\"\n", status);
  EXPECT_EQ(status, 0);
  ASSERT_EQ(lines.size(), 4u);
  Json first = Json::parse(lines[0]);
  Json config = pagoda::read_json_file(kData / "models/demo-chat/tokenizer_config.json");
  int im_start = -1;
  for (auto& [id, token] : config["added_tokens_decoder"].items()) {
    if (token["content"] == "<|im_start|>") im_start = std::stoi(id);
  }
  EXPECT_EQ(first["ids"].front(), im_start);
  EXPECT_EQ(first["decoded"], "<|im_start|>hi<|im_end|>");
  EXPECT_TRUE(Json::parse(lines[1]).contains("error"));
  EXPECT_TRUE(Json::parse(lines[2]).contains("error"));
  EXPECT_EQ(Json::parse(lines[3])["decoded"], "ok");
}

TEST(TokenizeCli, MissingModelFails) {
  int status = 0;
  run_cli("tokenize", kData / "no-such-model", "\"x\"\n", status);
  EXPECT_NE(status, 0);
}

}  // namespace
