// End to end on demo-chat with the CPU backend: the in-process server, and `pagoda-cli serve`
// as a child process stopped with SIGTERM.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include "engine/core/engine.h"
#include "app/server/api_server.h"
#include "tests/app/test_server_util.h"

namespace pagoda::server {
namespace {

namespace fs = std::filesystem;
const fs::path kModel = fs::path(PAGODA_TEST_DATA) / "models/demo-chat";

Json ask(httplib::Client& c, const std::string& question, bool stream) {
  Json body = {{"model", "demo-chat"},
               {"messages", {{{"role", "user"}, {"content", question}}}},
               {"temperature", 0},
               {"stream", stream}};
  auto r = c.Post("/v1/chat/completions", body.dump(), "application/json");
  EXPECT_TRUE(r);
  if (!r) return {};
  EXPECT_EQ(r->status, 200) << r->body;
  if (!stream) return Json::parse(r->body);
  std::string text;
  for (const auto& e : testing::sse_events(r->body))
    if (e.is_object() && !e["choices"].empty() && e["choices"][0]["delta"].contains("content"))
      text += e["choices"][0]["delta"]["content"].get<std::string>();
  return text;
}

TEST(ServerE2E, DemoChatAnswersThroughHttp) {
  EngineConfig config;
  config.model_dir = kModel;
  config.device = "cpu";
  config.cpu_kv_cache_bytes = 64ull << 20;
  std::shared_ptr<Engine> engine = Engine::load(config);
  ServerOptions o;
  o.port = 0;
  ApiServer server(o);
  server.set_engine(engine);
  server.start();
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(60, 0);
  Json r = ask(c, "What is the capital of China?", false);
  EXPECT_EQ(r["choices"][0]["message"]["content"], "The capital of China is Beijing.");
  EXPECT_EQ(r["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(r["model"], "demo-chat");
  EXPECT_EQ(ask(c, "What is the capital of China?", true), "The capital of China is Beijing.");
  // Golden conversations of the fixture, through the server.
  std::ifstream golden(fs::path(PAGODA_TEST_DATA) / "golden/chat-demo.jsonl");
  std::string line;
  int checked = 0;
  while (std::getline(golden, line) && checked < 8) {
    Json g = Json::parse(line);
    Json body = {{"messages", g["messages"]}, {"temperature", 0}, {"max_tokens", 64}};
    auto rr = c.Post("/v1/chat/completions", body.dump(), "application/json");
    ASSERT_TRUE(rr);
    ASSERT_EQ(rr->status, 200) << rr->body;
    Json j = Json::parse(rr->body);
    EXPECT_EQ(j["usage"]["prompt_tokens"], g["prompt_ids"].size());
    EXPECT_EQ(j["choices"][0]["message"]["content"], g["text"]) << g["messages"].dump();
    ++checked;
  }
  EXPECT_EQ(checked, 8);
  for (int i = 0; i < 200 && engine->stats().kv_blocks_used != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(engine->stats().kv_blocks_used, 0);
  server.stop();
}

TEST(ServerE2E, CliServeStopsCleanlyOnSigterm) {
  int out_pipe[2];
  ASSERT_EQ(::pipe(out_pipe), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::close(out_pipe[0]);
    ::execl(PAGODA_CLI, PAGODA_CLI, "serve", "--model", kModel.c_str(), "--port", "0", "--device",
            "cpu", "--served-model-name", "demo", "--quiet", nullptr);
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  // The first stdout line is the URL.
  std::string url;
  char ch;
  while (::read(out_pipe[0], &ch, 1) == 1 && ch != '\n') url += ch;
  ASSERT_EQ(url.rfind("http://127.0.0.1:", 0), 0u) << url;
  int port = std::stoi(url.substr(url.rfind(':') + 1));
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(60, 0);
  Json body = {{"model", "demo"},
               {"messages", {{{"role", "user"}, {"content", "What is the capital of China?"}}}},
               {"temperature", 0}};
  auto r = c.Post("/v1/chat/completions", body.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(Json::parse(r->body)["choices"][0]["message"]["content"],
            "The capital of China is Beijing.");
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ::close(out_pipe[0]);
}

}  // namespace
}  // namespace pagoda::server
