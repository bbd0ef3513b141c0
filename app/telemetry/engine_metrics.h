#pragma once
// The engine's numbers as the dashboard charts them, from either source: the local engine's
// stats (EngineStats plus latency histograms) or a remote /metrics page (vLLM or Pagoda).
// Both become EngineCounters (cumulative, as Prometheus exports them); TelemetryRecorder turns
// successive counters into rates and windowed percentiles. Pure values; any thread.
#include <cmath>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "app/telemetry/nvml.h"
#include "app/telemetry/prometheus_text.h"

namespace pagoda::telemetry {

// A cumulative histogram: `cumulative` has one count per bound, then the +Inf bucket.
struct HistogramCounts {
  std::vector<double> bounds;
  std::vector<double> cumulative;
  double sum = 0;
  double count = 0;
};
// Observations between two snapshots of one histogram (`now` itself after a reset).
HistogramCounts histogram_delta(const HistogramCounts& now, const HistogramCounts& before);
// The q-quantile (0..1) by linear interpolation inside the bucket, as Prometheus'
// histogram_quantile() does; nullopt without observations.
std::optional<double> histogram_quantile(const HistogramCounts& h, double q);
// Log-spaced latency bounds from 1 ms to ~2 min (ratio 1.25: quantiles within ~12%).
const std::vector<double>& latency_bucket_bounds();

struct EngineCounters {
  double time_s = 0;  // monotonic time of the snapshot; equal times mean the same snapshot
  double running = 0;
  double waiting = 0;
  double kv_usage = 0;  // 0..1
  std::optional<double> kv_blocks_used;
  std::optional<double> kv_blocks_total;
  double prefix_cache_queries = 0;  // tokens, cumulative
  double prefix_cache_hits = 0;
  double preemptions = 0;
  double prompt_tokens = 0;
  double generation_tokens = 0;
  HistogramCounts ttft;  // seconds
  HistogramCounts itl;   // seconds per output token
};

// The engine families of a vLLM-style /metrics page (vLLM V1 names, V0's as fallbacks), summed
// over label sets (several models or engines; KV usage is averaged). nullopt when the page has
// none of them (not a vLLM-style server).
std::optional<EngineCounters> engine_counters_from_prometheus(const PrometheusText& text);

// One GPU in the history.
struct GpuFigures {
  double utilization_percent = NAN;
  double memory_used_bytes = 0;
  double memory_total_bytes = 0;
};

// The engine in the history; NAN where there is nothing to say (no requests in the window).
struct EngineFigures {
  bool present = false;
  double running = 0;
  double waiting = 0;
  double kv_usage_percent = 0;
  double kv_blocks_used = NAN;
  double kv_blocks_total = NAN;
  double prompt_tokens_per_s = 0;
  double generation_tokens_per_s = 0;
  double prefix_hit_rate_percent = NAN;  // over the latency window
  double preemptions = 0;                // cumulative
  double ttft_p50_s = NAN, ttft_p90_s = NAN;
  double itl_p50_s = NAN, itl_p90_s = NAN;
};

struct TelemetryPoint {
  int64_t time_ms = 0;  // wall clock, the charts' x axis
  std::vector<GpuFigures> gpus;
  EngineFigures engine;
};

// Turns samples into history points: token rates between successive counters, hit rate and
// latency percentiles over the last `window_s` seconds. Counter resets (an engine reloaded)
// start over. One owner thread.
class TelemetryRecorder {
 public:
  explicit TelemetryRecorder(double window_s = 60) : window_s_(window_s) {}
  // gpus / counters may be null (no NVML, no engine).
  TelemetryPoint record(int64_t wall_ms, const std::vector<GpuSample>* gpus,
                        const EngineCounters* counters);
  void reset();  // the engine source changed
  double window_s() const { return window_s_; }

 private:
  double window_s_;
  std::deque<EngineCounters> window_;  // front: the newest snapshot older than the window
  EngineFigures last_;
};

}  // namespace pagoda::telemetry
