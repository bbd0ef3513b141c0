#pragma once
// The counters of a steadily working engine, for the telemetry and Dashboard tests: `gen_rate`
// tokens/s generated and three times as many prompt tokens, two requests running and one waiting,
// a quarter of 400 KV blocks in use, 40 % prefix-cache hits; each snapshot observes one more
// request's TTFT and inter-token latency.
#include "app/telemetry/engine_metrics.h"

namespace pagoda::testing {

class FakeEngineCounters {
 public:
  double gen_rate = 50;
  double ttft_s = 0.12;
  double itl_s = 0.02;

  // `time_s`: the snapshot's monotonic time; `elapsed_s`: how long the engine has been working.
  telemetry::EngineCounters at(double time_s, double elapsed_s) {
    observe(ttft_, ttft_s);
    observe(itl_, itl_s);
    telemetry::EngineCounters c;
    c.time_s = time_s;
    c.running = 2;
    c.waiting = 1;
    c.kv_usage = 0.25;
    c.kv_blocks_total = 400;
    generated_ += gen_rate * (elapsed_s - last_elapsed_);
    last_elapsed_ = elapsed_s;
    c.generation_tokens = generated_;
    c.prompt_tokens = 3 * generated_;
    c.prefix_cache_queries = 1000 * elapsed_s;
    c.prefix_cache_hits = 400 * elapsed_s;
    c.ttft = ttft_;
    c.itl = itl_;
    return c;
  }

 private:
  static void observe(telemetry::HistogramCounts& h, double v) {
    const std::vector<double>& bounds = telemetry::latency_bucket_bounds();
    if (h.bounds.empty()) h.bounds = bounds, h.cumulative.assign(bounds.size() + 1, 0);
    for (size_t i = 0; i < h.cumulative.size(); ++i)
      if (i == bounds.size() || v <= bounds[i]) h.cumulative[i] += 1;
    h.sum += v;
    h.count += 1;
  }
  telemetry::HistogramCounts ttft_, itl_;
  double generated_ = 0;
  double last_elapsed_ = 0;
};

}  // namespace pagoda::testing
