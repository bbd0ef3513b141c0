// The pagoda-cli contracts of logits, generate and chat, run as a user would run them.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "engine/util/json.h"

namespace pagoda {
namespace {

const std::string kData = PAGODA_TEST_DATA;

struct Result {
  int status = -1;
  std::string out;
};

// Runs a shell command line (stdin from `input`), capturing stdout.
Result run(const std::string& args, const std::string& input = "") {
  std::string in_path = ::testing::TempDir() + "cli_stdin.txt";
  std::ofstream(in_path) << input;
  std::string cmd = std::string(PAGODA_CLI) + " " + args + " < " + in_path + " 2>/dev/null";
  Result r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  r.status = pclose(pipe);
  return r;
}

std::string join(const std::vector<int32_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s;
}

Json golden_prompt(const std::string& model, int i) {
  return read_json_file(kData + "/golden/model-" + model + ".json").at("prompts").at(i);
}

TEST(Cli, LogitsPrintsTheTopLogits) {
  Json g = golden_prompt("tiny-qwen2", 0);
  auto r = run("logits --device cpu --model " + kData + "/models/tiny-qwen2 --top 8 --ids " +
               join(g.at("input_ids").get<std::vector<int32_t>>()));
  ASSERT_EQ(r.status, 0) << r.out;
  Json out = Json::parse(r.out);
  EXPECT_EQ(out.at("top_ids"), g.at("last_top8_ids"));
  ASSERT_EQ(out.at("top_logits").size(), 8u);
  for (size_t i = 0; i < 8; ++i)
    EXPECT_NEAR(out["top_logits"][i].get<double>(), g["last_top8_logits"][i].get<double>(), 2e-3);
  EXPECT_NEAR(out.at("logsumexp").get<double>(), g.at("last_logsumexp").get<double>(), 2e-3);
}

TEST(Cli, GenerateJsonFromIdsIsGreedy) {
  Json g = golden_prompt("tiny-llama3", 1);
  auto r = run("generate --device cpu --model " + kData +
               "/models/tiny-llama3 --temperature 0 --max-tokens 32 --ignore-eos --json --ids " +
               join(g.at("input_ids").get<std::vector<int32_t>>()));
  ASSERT_EQ(r.status, 0) << r.out;
  Json out = Json::parse(r.out);
  EXPECT_EQ(out.at("prompt_ids"), g.at("input_ids"));
  EXPECT_EQ(out.at("output_ids"), g.at("greedy"));
  EXPECT_EQ(out.at("finish_reason"), "length");
  EXPECT_TRUE(out.at("text").is_string());
}

TEST(Cli, GenerateChatAnswersAndStreams) {
  const std::string model = " --device cpu --model " + kData + "/models/demo-chat";
  auto r =
      run("generate" + model + " --temperature 0 --json --chat 'What is the capital of China?'");
  ASSERT_EQ(r.status, 0) << r.out;
  Json out = Json::parse(r.out);
  EXPECT_EQ(out.at("text"), "The capital of China is Beijing.");
  EXPECT_EQ(out.at("finish_reason"), "stop");
  r = run("generate" + model + " --temperature 0 --chat 'What is the capital of China?'");
  ASSERT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "The capital of China is Beijing.\n");
  // Bad input is an error message and a non-zero status, not a crash.
  EXPECT_NE(run("generate" + model + " --ids 1,x").status, 0);
  EXPECT_NE(run("generate" + model).status, 0);
}

TEST(Cli, ChatKeepsHistoryUntilExit) {
  auto r = run("chat --device cpu --temperature 0 --model " + kData + "/models/demo-chat",
               "What is the capital of China?\n/reset\nWhat is the capital of China?\n/exit\n");
  ASSERT_EQ(r.status, 0) << r.out;
  size_t first = r.out.find("The capital of China is Beijing.");
  ASSERT_NE(first, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("The capital of China is Beijing.", first + 1), std::string::npos);
  EXPECT_NE(r.out.find("(conversation cleared)"), std::string::npos);
}

}  // namespace
}  // namespace pagoda
