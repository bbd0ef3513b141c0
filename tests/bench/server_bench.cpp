// bench_server [requests] [concurrency]: runs the same greedy chat requests on demo-chat (CPU)
// through the HTTP server (non-streaming and streaming) and directly through Engine::add_request,
// and prints requests/s, p50/p99 latency and the server's overhead per request.
#include <httplib.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <thread>

#include "engine/chat/prompt.h"
#include "engine/core/engine.h"
#include "app/server/api_server.h"

using namespace pagoda;
using Clock = std::chrono::steady_clock;

namespace {

struct Result {
  double wall = 0;
  std::vector<double> latency;
};

void report(const char* name, Result r) {
  std::sort(r.latency.begin(), r.latency.end());
  size_t n = r.latency.size();
  std::printf("%-22s %4zu requests  %7.1f req/s  p50 %7.2f ms  p99 %7.2f ms\n", name, n, n / r.wall,
              1e3 * r.latency[n / 2], 1e3 * r.latency[std::min(n - 1, n * 99 / 100)]);
}

template <typename Fn>
Result run_concurrent(int requests, int concurrency, Fn one) {
  Result r;
  std::vector<std::vector<double>> lat(concurrency);
  std::atomic<int> next{0};
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t)
    threads.emplace_back([&, t] {
      for (int i; (i = next++) < requests;) {
        auto s = Clock::now();
        one(t, i);
        lat[t].push_back(std::chrono::duration<double>(Clock::now() - s).count());
      }
    });
  for (auto& th : threads) th.join();
  r.wall = std::chrono::duration<double>(Clock::now() - t0).count();
  for (auto& l : lat) r.latency.insert(r.latency.end(), l.begin(), l.end());
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int requests = argc > 1 ? std::atoi(argv[1]) : 200;
  int concurrency = argc > 2 ? std::atoi(argv[2]) : 16;
  EngineConfig config;
  config.model_dir = std::filesystem::path(PAGODA_TEST_DATA) / "models/demo-chat";
  config.device = "cpu";
  std::shared_ptr<Engine> engine = Engine::load(config);
  server::ServerOptions o;
  o.port = 0;
  o.max_concurrent = std::max(64, concurrency);
  server::ApiServer srv(o);
  srv.set_engine(engine);
  srv.start();
  const std::vector<std::string> questions = {"What is the capital of China?", "What is 7 + 5?",
                                              "Who are you?", "What is 6 times 7?"};
  std::printf("demo-chat on %s, %d requests, %d concurrent\n", engine->backend_note().c_str(),
              requests, concurrency);

  // Direct: the same prompt ids and params the server would use.
  auto prompt_of = [&](int i) {
    ChatTemplateInputs in;
    in.messages =
        OrderedJson::array({{{"role", "user"}, {"content", questions[i % questions.size()]}}});
    return build_chat_prompt(engine->chat_template(), engine->tokenizer(), in).ids;
  };
  SamplingRequest greedy;
  greedy.temperature = 0;
  const SamplingParams params = SamplingParams::with_defaults(engine->generation_defaults(), greedy);
  auto direct_run = [&](int count, const std::string& tag) {
    return run_concurrent(count, concurrency, [&](int t, int i) {
      std::mutex mu;
      std::condition_variable cv;
      bool done = false;
      engine->add_request(tag + std::to_string(t) + "-" + std::to_string(i), prompt_of(i), params,
                          [&](const RequestOutput& out) {
                            if (out.finish == FinishReason::None) return;
                            std::lock_guard lock(mu);
                            done = true;
                            cv.notify_one();
                          });
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return done; });
    });
  };
  direct_run(std::max(8, requests / 4), "warmup-");  // caches, thread pools, prefix cache
  Result direct = direct_run(requests, "direct-");
  auto http_run = [&](bool stream) {
    return run_concurrent(requests, concurrency, [&](int, int i) {
      thread_local httplib::Client cli("127.0.0.1", srv.port());
      cli.set_read_timeout(120, 0);
      Json body = {{"messages", {{{"role", "user"}, {"content", questions[i % questions.size()]}}}},
                   {"temperature", 0},
                   {"stream", stream}};
      auto r = cli.Post("/v1/chat/completions", body.dump(), "application/json");
      if (!r || r->status != 200) std::fprintf(stderr, "request %d failed\n", i);
    });
  };
  Result http = http_run(false);
  Result sse = http_run(true);
  // Again at the end: the machine's load drifts; the better of the two direct runs is the base.
  Result direct2 = direct_run(requests, "direct2-");
  auto mean = [](const Result& r) {
    double s = 0;
    for (double v : r.latency) s += v;
    return s / r.latency.size();
  };
  if (mean(direct2) < mean(direct)) direct = direct2;
  report("engine direct", direct);
  report("HTTP", http);
  report("HTTP streaming (SSE)", sse);
  std::printf("server overhead per request (mean latency difference): HTTP %.2f ms, SSE %.2f ms\n",
              1e3 * (mean(http) - mean(direct)), 1e3 * (mean(sse) - mean(direct)));
  std::printf("KV blocks in use afterwards: %lld\n",
              static_cast<long long>(engine->stats().kv_blocks_used));
  srv.stop();
}
