#pragma once
// Runs a bench_workload.h workload through any Engine (all requests added at once, greedy,
// ignore_eos, max_tokens each) and reduces the per-request traces to the figures serve_bench.py
// measures over HTTP: output tok/s, TTFT and inter-token latency percentiles, failed requests.
// run_engine() blocks the calling thread; the callbacks run on the engine's thread.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "engine/core/engine.h"
#include "tests/bench/bench_workload.h"

namespace pagoda::bench {

// One request: when each output that carried tokens arrived (seconds since the start).
struct EngineTrace {
  std::vector<double> token_times;
  int completion_tokens = 0;
  FinishReason finish = FinishReason::None;
  std::string error;
};

// Returns the wall time from the first add_request to the last request's end.
inline double run_engine(Engine& engine, const std::vector<WorkloadRequest>& work,
                         std::vector<EngineTrace>& traces) {
  using Clock = std::chrono::steady_clock;
  traces.assign(work.size(), {});
  std::mutex mu;
  std::condition_variable cv;
  size_t finished = 0;
  const auto t0 = Clock::now();
  for (size_t i = 0; i < work.size(); ++i) {
    SamplingParams p;
    p.temperature = 0;
    p.max_tokens = work[i].max_new_tokens;
    p.ignore_eos = true;
    engine.add_request(
        "bench-" + std::to_string(i), work[i].prompt, p, [&, i](const RequestOutput& out) {
          const double now = std::chrono::duration<double>(Clock::now() - t0).count();
          std::lock_guard lock(mu);
          EngineTrace& t = traces[i];
          if (!out.token_ids.empty()) t.token_times.push_back(now);
          t.completion_tokens = out.completion_tokens;
          if (out.finish == FinishReason::None) return;
          t.finish = out.finish;
          t.error = out.error;
          ++finished;
          cv.notify_all();
        });
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return finished == work.size(); });
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct WorkloadResult {
  long long tokens = 0;
  int errors = 0;  // requests that did not end by length with exactly max_new_tokens
  double ttft_p50 = 0, ttft_p99 = 0, itl_p50 = 0, itl_p99 = 0;  // seconds
  std::vector<std::string> failures;                            // the first ten, described
};

inline WorkloadResult summarize(const std::vector<WorkloadRequest>& work,
                                const std::vector<EngineTrace>& traces) {
  WorkloadResult r;
  std::vector<double> ttft, itl;
  for (size_t i = 0; i < work.size() && i < traces.size(); ++i) {
    const EngineTrace& t = traces[i];
    if (t.finish != FinishReason::Length || t.completion_tokens != work[i].max_new_tokens ||
        t.token_times.empty()) {
      if (++r.errors <= 10)
        r.failures.push_back("request " + std::to_string(i) + ": finish " +
                             finish_reason_name(t.finish) + ", " +
                             std::to_string(t.completion_tokens) + " of " +
                             std::to_string(work[i].max_new_tokens) + " tokens " + t.error);
      continue;
    }
    r.tokens += t.completion_tokens;
    ttft.push_back(t.token_times.front());
    for (size_t k = 1; k < t.token_times.size(); ++k)
      itl.push_back(t.token_times[k] - t.token_times[k - 1]);
  }
  r.ttft_p50 = percentile(ttft, 50), r.ttft_p99 = percentile(ttft, 99);
  r.itl_p50 = percentile(itl, 50), r.itl_p99 = percentile(itl, 99);
  return r;
}

}  // namespace pagoda::bench
