#pragma once
// /metrics: vLLM's metric names in the Prometheus text exposition format (version 0.0.4),
// written by hand (no client library in Debian). Engine counters come from Engine::stats();
// latency histograms are observed by the server as outputs stream out.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/core/engine.h"

namespace pagoda::server {

// Cumulative-bucket histogram with fixed upper bounds (+Inf is implicit).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  std::vector<uint64_t> cumulative_counts() const;  // one per bound, then +Inf
  double sum() const { return sum_; }
  uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, non-cumulative; last is +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

// Writes metric families: "# HELP", "# TYPE" and samples with escaped label values.
class PrometheusWriter {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;
  void gauge(const std::string& name, const std::string& help, const Labels& labels, double v);
  // `name` without the _total suffix; the family and sample are written as name_total.
  void counter(const std::string& name, const std::string& help,
               const std::vector<std::pair<Labels, double>>& samples);
  void histogram(const std::string& name, const std::string& help, const Labels& labels,
                 const Histogram& h);
  const std::string& text() const { return out_; }

 private:
  void header(const std::string& name, const std::string& help, const char* type);
  void sample(const std::string& name, const Labels& labels, double v);
  std::string out_;
};

// Server-side request metrics (thread-safe).
class ServerMetrics {
 public:
  ServerMetrics();
  void observe_ttft(double s);
  void observe_inter_token(double s);
  void observe_e2e(double s);
  void count_finished(FinishReason r);
  // The whole /metrics page; stats may be null (no model loaded).
  std::string render(const std::string& model_name, const EngineStats* stats) const;

 private:
  mutable std::mutex mu_;
  Histogram ttft_, itl_, e2e_;
  std::map<std::string, uint64_t> finished_;  // by finished_reason
};

}  // namespace pagoda::server
