#include "app/telemetry/engine_metrics.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <map>
#include <string>

namespace pagoda::telemetry {
namespace {

// The sum of every sample of the first family in `names` that the page has.
std::optional<double> sum_of(const PrometheusText& text, std::initializer_list<const char*> names,
                             bool average = false) {
  for (const char* name : names) {
    double total = 0;
    int n = 0;
    for (const PrometheusSample& s : text.samples)
      if (s.name == name && std::isfinite(s.value)) total += s.value, ++n;
    if (n) return average ? total / n : total;
  }
  return std::nullopt;
}

double parse_le(const std::string& le) {
  if (le == "+Inf" || le == "Inf") return INFINITY;
  double v = NAN;
  std::from_chars(le.data(), le.data() + le.size(), v);
  return v;
}

// family_bucket{le=...}, family_sum, family_count, summed over the other labels.
std::optional<HistogramCounts> histogram_of(const PrometheusText& text,
                                            std::initializer_list<const char*> families) {
  for (const char* family : families) {
    const std::string bucket = std::string(family) + "_bucket";
    const std::string sum = std::string(family) + "_sum";
    const std::string count = std::string(family) + "_count";
    std::map<double, double> by_bound;
    HistogramCounts h;
    bool found = false;
    for (const PrometheusSample& s : text.samples) {
      if (s.name == bucket) {
        const double le = parse_le(s.label("le"));
        if (!std::isnan(le)) by_bound[le] += s.value, found = true;
      } else if (s.name == sum) {
        h.sum += s.value;
      } else if (s.name == count) {
        h.count += s.value;
      }
    }
    if (!found) continue;
    if (!std::isinf(by_bound.rbegin()->first)) by_bound[INFINITY] = h.count;
    for (const auto& [le, c] : by_bound) {
      if (!std::isinf(le)) h.bounds.push_back(le);
      h.cumulative.push_back(c);
    }
    return h;
  }
  return std::nullopt;
}

}  // namespace

HistogramCounts histogram_delta(const HistogramCounts& now, const HistogramCounts& before) {
  if (now.bounds != before.bounds || now.cumulative.size() != before.cumulative.size() ||
      now.count < before.count)
    return now;
  HistogramCounts d = now;
  for (size_t i = 0; i < d.cumulative.size(); ++i) d.cumulative[i] -= before.cumulative[i];
  d.sum -= before.sum;
  d.count -= before.count;
  return d;
}

std::optional<double> histogram_quantile(const HistogramCounts& h, double q) {
  if (h.cumulative.empty() || h.cumulative.size() != h.bounds.size() + 1) return std::nullopt;
  const double total = h.cumulative.back();
  if (!(total > 0)) return std::nullopt;
  const double rank = std::clamp(q, 0.0, 1.0) * total;
  size_t i = 0;
  while (i < h.cumulative.size() && h.cumulative[i] < rank) ++i;
  if (i >= h.bounds.size()) return h.bounds.empty() ? std::nullopt : std::optional(h.bounds.back());
  const double lower = i == 0 ? std::min(0.0, h.bounds[0]) : h.bounds[i - 1];
  const double before = i == 0 ? 0 : h.cumulative[i - 1];
  const double in_bucket = h.cumulative[i] - before;
  if (in_bucket <= 0) return lower;
  return lower + (h.bounds[i] - lower) * (rank - before) / in_bucket;
}

const std::vector<double>& latency_bucket_bounds() {
  static const std::vector<double> bounds = [] {
    std::vector<double> b;
    for (double v = 0.001; v < 150; v *= 1.25) b.push_back(v);
    return b;
  }();
  return bounds;
}

std::optional<EngineCounters> engine_counters_from_prometheus(const PrometheusText& text) {
  const auto running = sum_of(text, {"vllm:num_requests_running"});
  const auto usage = sum_of(text, {"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"}, true);
  const auto generated = sum_of(text, {"vllm:generation_tokens_total"});
  if (!running && !usage && !generated) return std::nullopt;
  EngineCounters c;
  c.running = running.value_or(0);
  c.waiting = sum_of(text, {"vllm:num_requests_waiting"}).value_or(0);
  c.kv_usage = usage.value_or(0);
  c.prefix_cache_queries =
      sum_of(text, {"vllm:prefix_cache_queries_total", "vllm:gpu_prefix_cache_queries_total"})
          .value_or(0);
  c.prefix_cache_hits =
      sum_of(text, {"vllm:prefix_cache_hits_total", "vllm:gpu_prefix_cache_hits_total"})
          .value_or(0);
  c.preemptions = sum_of(text, {"vllm:num_preemptions_total"}).value_or(0);
  c.prompt_tokens = sum_of(text, {"vllm:prompt_tokens_total"}).value_or(0);
  c.generation_tokens = generated.value_or(0);
  // vLLM states its cache size as a label of an info gauge.
  double blocks = 0;
  for (const PrometheusSample& s : text.samples) {
    if (s.name != "vllm:cache_config_info") continue;
    const std::string n = s.label("num_gpu_blocks");
    double v = 0;
    if (std::from_chars(n.data(), n.data() + n.size(), v).ec == std::errc()) blocks += v;
  }
  if (blocks > 0) c.kv_blocks_total = blocks;
  if (auto h = histogram_of(text, {"vllm:time_to_first_token_seconds"})) c.ttft = std::move(*h);
  if (auto h = histogram_of(text, {"vllm:inter_token_latency_seconds",
                                   "vllm:time_per_output_token_seconds"}))
    c.itl = std::move(*h);
  return c;
}

void TelemetryRecorder::reset() {
  window_.clear();
  last_ = {};
}

TelemetryPoint TelemetryRecorder::record(int64_t wall_ms, const std::vector<GpuSample>* gpus,
                                         const EngineCounters* counters) {
  TelemetryPoint p;
  p.time_ms = wall_ms;
  if (gpus)
    for (const GpuSample& g : *gpus)
      p.gpus.push_back({g.utilization_percent.value_or(NAN),
                        static_cast<double>(g.memory_used_bytes),
                        static_cast<double>(g.memory_total_bytes)});
  if (!counters) {
    reset();
    return p;
  }
  const EngineCounters& c = *counters;
  if (!window_.empty() && c.time_s == window_.back().time_s) {  // no newer snapshot yet
    p.engine = last_;
    return p;
  }
  if (!window_.empty()) {
    const EngineCounters& b = window_.back();
    if (c.generation_tokens < b.generation_tokens || c.prompt_tokens < b.prompt_tokens ||
        c.ttft.count < b.ttft.count || c.itl.count < b.itl.count || c.time_s < b.time_s)
      window_.clear();
  }
  EngineFigures f;
  f.present = true;
  f.running = c.running;
  f.waiting = c.waiting;
  f.kv_usage_percent = 100 * c.kv_usage;
  if (c.kv_blocks_total) {
    f.kv_blocks_total = *c.kv_blocks_total;
    f.kv_blocks_used = c.kv_blocks_used ? *c.kv_blocks_used : std::round(c.kv_usage * f.kv_blocks_total);
  }
  f.preemptions = c.preemptions;
  if (!window_.empty()) {
    const EngineCounters& prev = window_.back();
    const double dt = c.time_s - prev.time_s;
    if (dt > 0) {
      f.prompt_tokens_per_s = (c.prompt_tokens - prev.prompt_tokens) / dt;
      f.generation_tokens_per_s = (c.generation_tokens - prev.generation_tokens) / dt;
    }
  }
  window_.push_back(c);
  // Keep, as the front, the newest snapshot that is at least window_s old.
  while (window_.size() >= 2 && window_[1].time_s <= c.time_s - window_s_) window_.pop_front();
  if (window_.size() >= 2) {
    const EngineCounters& start = window_.front();
    const double queries = c.prefix_cache_queries - start.prefix_cache_queries;
    if (queries > 0) f.prefix_hit_rate_percent = 100 * (c.prefix_cache_hits - start.prefix_cache_hits) / queries;
    const HistogramCounts ttft = histogram_delta(c.ttft, start.ttft);
    const HistogramCounts itl = histogram_delta(c.itl, start.itl);
    f.ttft_p50_s = histogram_quantile(ttft, 0.5).value_or(NAN);
    f.ttft_p90_s = histogram_quantile(ttft, 0.9).value_or(NAN);
    f.itl_p50_s = histogram_quantile(itl, 0.5).value_or(NAN);
    f.itl_p90_s = histogram_quantile(itl, 0.9).value_or(NAN);
  }
  last_ = f;
  p.engine = f;
  return p;
}

}  // namespace pagoda::telemetry
