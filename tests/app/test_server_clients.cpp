// Real, unmodified clients against the server running demo-chat on the CPU backend: the official
// `openai` npm package (openai-client/client.mjs) and curl (including SSE with -N).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "engine/core/engine.h"
#include "app/server/api_server.h"
#include "tests/app/test_server_util.h"

namespace pagoda::server {
namespace {

namespace fs = std::filesystem;
const fs::path kModel = fs::path(PAGODA_TEST_DATA) / "models/demo-chat";
const std::string kKey = "test-key-123";

using pagoda::testing::run_command;
std::pair<int, std::string> run(const std::string& cmd) { return run_command(cmd); }

bool have(const std::string& tool) {
  return run("command -v " + tool).first == 0;
}

class ClientsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    EngineConfig config;
    config.model_dir = kModel;
    config.device = "cpu";
    config.cpu_kv_cache_bytes = 64ull << 20;
    engine_ = Engine::load(config);
    ServerOptions o;
    o.port = 0;
    o.api_key = kKey;
    server_ = new ApiServer(o);
    server_->set_engine(engine_);
    server_->start();
  }
  static void TearDownTestSuite() {
    server_->stop();
    delete server_;
    engine_.reset();
  }
  std::string url(const std::string& path) { return server_->url() + path; }
  std::string curl(const std::string& args) {
    return "curl -sS --max-time 60 -H 'Authorization: Bearer " + kKey + "' " + args;
  }
  static std::shared_ptr<Engine> engine_;
  static ApiServer* server_;
};
std::shared_ptr<Engine> ClientsTest::engine_;
ApiServer* ClientsTest::server_ = nullptr;

TEST_F(ClientsTest, OpenAiNpmClient) {
  if (!have("node") || !have("npm"))
    GTEST_SKIP() << "node/npm not installed: openai client test skipped";
  // Installed into the build tree from the committed lock file, never into the sources.
  fs::path dir = fs::path(PAGODA_TEST_DATA).parent_path() / "openai-client";
  fs::create_directories(dir);
  for (const char* f : {"package.json", "package-lock.json", "client.mjs"})
    fs::copy_file(fs::path(PAGODA_OPENAI_CLIENT_DIR) / f, dir / f,
                  fs::copy_options::overwrite_existing);
  if (!fs::exists(dir / "node_modules/openai")) {
    auto [rc, out] = run("cd '" + dir.string() + "' && npm ci --no-audit --no-fund");
    ASSERT_EQ(rc, 0) << out;
  }
  auto [rc, out] = run("cd '" + dir.string() + "' && node client.mjs '" + url("/v1") + "' '" +
                       kKey + "' demo-chat");
  std::cout << out;
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("PASS 17 checks"), std::string::npos) << out;
  EXPECT_EQ(engine_->stats().kv_blocks_used, 0);
}

TEST_F(ClientsTest, Curl) {
  if (!have("curl")) GTEST_SKIP() << "curl not installed";
  const std::string chat =
      R"({"model":"demo-chat","messages":[{"role":"user","content":"What is the capital of China?"}],"temperature":0})";
  auto [rc, out] = run(
      curl("-H 'Content-Type: application/json' -d '" + chat + "' " + url("/v1/chat/completions")));
  ASSERT_EQ(rc, 0) << out;
  Json j = Json::parse(out);
  EXPECT_EQ(j["choices"][0]["message"]["content"], "The capital of China is Beijing.");
  EXPECT_EQ(j["object"], "chat.completion");

  // SSE, unbuffered.
  std::string stream_body = chat.substr(0, chat.size() - 1) + R"(,"stream":true})";
  auto [rc2, sse] = run(curl("-N -H 'Content-Type: application/json' -d '" + stream_body + "' " +
                             url("/v1/chat/completions")));
  ASSERT_EQ(rc2, 0) << sse;
  auto events = testing::sse_events(sse);
  ASSERT_GE(events.size(), 3u) << sse;
  EXPECT_EQ(events.front()["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text;
  for (size_t i = 0; i + 1 < events.size(); ++i)
    if (events[i]["choices"][0]["delta"].contains("content"))
      text += events[i]["choices"][0]["delta"]["content"].get<std::string>();
  EXPECT_EQ(text, "The capital of China is Beijing.");
  EXPECT_EQ(events[events.size() - 2]["choices"][0]["finish_reason"], "stop");

  // Status codes.
  auto status = [&](const std::string& args) {
    return run("curl -s -o /dev/null -w '%{http_code}' --max-time 30 " + args).second;
  };
  EXPECT_EQ(status(url("/v1/models")), "401");
  EXPECT_EQ(status("-H 'Authorization: Bearer " + kKey + "' " + url("/v1/models")), "200");
  EXPECT_EQ(status(url("/health")), "200");
  EXPECT_EQ(status("-H 'Authorization: Bearer " + kKey + "' " + url("/v1/nope")), "404");
  EXPECT_EQ(status("-X DELETE -H 'Authorization: Bearer " + kKey + "' " + url("/v1/models")),
            "405");
  EXPECT_EQ(
      status("-H 'Authorization: Bearer " + kKey +
             "' -H 'Content-Type: application/json' -d '{bad' " + url("/v1/chat/completions")),
      "400");
  auto [rc3, metrics] = run(curl(url("/metrics")));
  EXPECT_NE(metrics.find("vllm:generation_tokens_total{model_name=\"demo-chat\""),
            std::string::npos)
      << metrics;
  auto [rc4, tok] = run(curl("-H 'Content-Type: application/json' -d '{\"prompt\":\"Beijing\"}' " +
                             url("/tokenize")));
  Json t = Json::parse(tok);
  EXPECT_EQ(t["tokens"].get<std::vector<int32_t>>(), engine_->tokenizer().encode("Beijing", true));
  for (int i = 0; i < 200 && engine_->stats().kv_blocks_used != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(engine_->stats().kv_blocks_used, 0);
}

}  // namespace
}  // namespace pagoda::server
