// Bounded load test on loopback: 64 concurrent streaming clients, 256 requests, against the
// FakeEngine's continuous batching. Every request is answered with exactly its own tokens (none
// lost, duplicated or interleaved), and every KV block is back afterwards. Prints requests/s and
// latency percentiles.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <thread>

#include "app/server/api_server.h"
#include "tests/app/test_server_fake_engine.h"
#include "tests/app/test_server_util.h"

namespace pagoda::server {
namespace {

using namespace pagoda::testing;
using namespace std::chrono_literals;
const std::filesystem::path kModel = std::filesystem::path(PAGODA_TEST_DATA) / "models/demo-chat";

TEST(ServerLoad, ConcurrentStreamingClients) {
  constexpr int kClients = 64, kPerClient = 4;
  ServerOptions o;
  o.port = 0;
  o.max_concurrent = kClients;
  ApiServer server(o);
  auto engine = std::make_shared<FakeEngine>(kModel, 1ms);
  server.set_engine(engine);
  server.start();

  std::vector<std::vector<double>> latencies(kClients);
  std::vector<std::string> failures(kClients);
  std::atomic<int> answered{0};
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", server.port());
      cli.set_read_timeout(60, 0);
      for (int k = 0; k < kPerClient; ++k) {
        std::string question =
            "client " + std::to_string(c) + " asks question " + std::to_string(k);
        Json body = {{"messages", {{{"role", "user"}, {"content", question}}}}, {"stream", true}};
        if (k % 2) body["stream_options"] = {{"include_usage", true}};
        auto start = std::chrono::steady_clock::now();
        auto r = cli.Post("/v1/chat/completions", body.dump(), "application/json");
        latencies[c].push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        if (!r || r->status != 200) {
          failures[c] +=
              "no 200 answer (" +
              (r ? std::to_string(r->status) + " " + r->body : httplib::to_string(r.error())) +
              "); ";
          continue;
        }
        auto events = sse_events(r->body);
        std::string text, id;
        int finishes = 0, roles = 0;
        bool done_last = !events.empty() && events.back() == "[DONE]";
        for (size_t i = 0; i + 1 < events.size(); ++i) {
          const Json& e = events[i];
          if (id.empty()) id = e["id"];
          if (e["id"] != id) failures[c] += "mixed ids; ";
          if (e["choices"].empty()) continue;
          const Json& d = e["choices"][0]["delta"];
          if (d.contains("role")) ++roles;
          if (d.contains("content")) text += d["content"].get<std::string>();
          if (!e["choices"][0]["finish_reason"].is_null()) ++finishes;
        }
        if (text != "You said: " + question) failures[c] += "wrong text '" + text + "'; ";
        if (finishes != 1 || roles != 1 || !done_last) failures[c] += "bad stream framing; ";
        ++answered;
      }
    });
  }
  for (auto& t : clients) t.join();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (int c = 0; c < kClients; ++c)
    EXPECT_TRUE(failures[c].empty()) << "client " << c << ": " << failures[c];
  EXPECT_EQ(answered.load(), kClients * kPerClient);
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  std::printf(
      "load: %d requests from %d concurrent streaming clients in %.2f s: %.1f req/s, "
      "latency p50 %.1f ms, p99 %.1f ms\n",
      static_cast<int>(all.size()), kClients, wall, all.size() / wall, 1e3 * all[all.size() / 2],
      1e3 * all[all.size() * 99 / 100]);
  for (int i = 0; i < 400 && engine->stats().kv_blocks_used != 0; ++i)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(engine->stats().kv_blocks_used, 0);
  EXPECT_FALSE(engine->has_unfinished());
  EXPECT_EQ(engine->added_count(), kClients * kPerClient);
  EXPECT_EQ(engine->aborted_count(), 0);
  for (int i = 0; i < 200 && server.active_requests() > 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(server.active_requests(), 0);
  server.stop();
}

}  // namespace
}  // namespace pagoda::server
