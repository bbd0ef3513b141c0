// The `pagoda-cli render-template` contract, run on the built binary: one JSON request per stdin
// line, one {"rendered": ...} or {"error": ...} per line out, matching the goldens; a bad line
// does not stop the lines after it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "engine/util/json.h"
#include "tests/engine/golden_test_util.h"

namespace fs = std::filesystem;
using pagoda::OrderedJson;

using namespace pagoda::testing;

namespace {

void check_golden(const std::string& golden, const fs::path& folder) {
  auto cases = read_golden<OrderedJson>("chat-template-" + golden);
  ASSERT_FALSE(cases.empty());
  std::string input;
  for (const OrderedJson& c : cases) {
    OrderedJson request = {{"messages", c["messages"]},
                           {"tools", c["tools"]},
                           {"add_generation_prompt", c["add_generation_prompt"]},
                           {"extra", c["extra"]}};
    input += request.dump() + "\n";
  }
  auto lines = run_cli_lines("render-template", folder, input, cases.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(golden + " / " + cases[i].value("case", ""));
    OrderedJson out = OrderedJson::parse(lines[i]);
    if (cases[i].contains("rendered")) {
      EXPECT_EQ(out.value("rendered", "<missing>"), cases[i]["rendered"].get<std::string>())
          << lines[i];
    } else {
      EXPECT_TRUE(out.contains("error")) << lines[i];
      EXPECT_FALSE(out.contains("rendered")) << lines[i];
    }
  }
}

TEST(ChatTemplateCli, GoldensQwen3) {
  check_golden("qwen3", kData / "models" / "tiny-qwen3");
}
TEST(ChatTemplateCli, GoldensLlama3) {
  check_golden("llama3", kData / "tokenizers" / "llama3");
}
TEST(ChatTemplateCli, GoldensMistral) {
  check_golden("mistral", kData / "models" / "tiny-mistral");
}
TEST(ChatTemplateCli, GoldensYi) {
  check_golden("yi", kData / "models" / "tiny-yi-spm");
}

TEST(ChatTemplateCli, BadLinesGetAnErrorAndTheRestGoOn) {
  std::string input =
      "not json\n"
      "[1, 2]\n"
      "{\"messages\": \"hi\"}\n"
      "{\"messages\": [{\"role\": \"user\", \"content\": \"A\"}], \"add_generation_prompt\": "
      "\"yes\"}\n"
      "{\"messages\": [{\"role\": \"assistant\", \"content\": \"A\"}]}\n"  // template raises
      "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"tools\": null, "
      "\"add_generation_prompt\": true}\n";
  int status = -1;
  auto lines = run_cli("render-template", kData / "tokenizers" / "mistral", input, status);
  EXPECT_EQ(status, 0);
  ASSERT_EQ(lines.size(), 6u);
  for (size_t i = 0; i < 4; ++i) {
    OrderedJson out = OrderedJson::parse(lines[i]);
    EXPECT_EQ(out.value("error", "").rfind("bad input line: ", 0), 0u) << lines[i];
  }
  EXPECT_EQ(OrderedJson::parse(lines[4]).value("error", ""),
            "Conversation roles must alternate user/assistant/user/assistant/...");
  EXPECT_EQ(OrderedJson::parse(lines[5]).value("rendered", ""), "<s>[INST] Hi [/INST]");
}

TEST(ChatTemplateCli, MissingModelFolderFails) {
  int status = -1;
  run_cli("render-template", kData / "models" / "no-such-model", "", status);
  EXPECT_NE(status, 0);
}

}  // namespace
