#include "app/server/metrics.h"

#include <charconv>
#include <cmath>

namespace pagoda::server {

namespace {

// Shortest round-trip form, with Prometheus' spelling of infinities.
std::string format_number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, p);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// Bucket bounds of vLLM's V1 loggers.
const std::vector<double> kTtftBuckets = {0.001, 0.005, 0.01, 0.02,  0.04,  0.06,  0.08, 0.1,
                                          0.25,  0.5,   0.75, 1.0,   2.5,   5.0,   7.5,  10.0,
                                          20.0,  40.0,  80.0, 160.0, 640.0, 2560.0};
const std::vector<double> kItlBuckets = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
                                         0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};
const std::vector<double> kE2eBuckets = {0.3,  0.5,   0.8,   1.0,   1.5,   2.0,    2.5,
                                         5.0,  10.0,  15.0,  20.0,  30.0,  40.0,   50.0,
                                         60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += v;
  ++count_;
}

std::vector<uint64_t> Histogram::cumulative_counts() const {
  std::vector<uint64_t> c(counts_.size());
  uint64_t acc = 0;
  for (size_t i = 0; i < counts_.size(); ++i) c[i] = acc += counts_[i];
  return c;
}

void PrometheusWriter::header(const std::string& name, const std::string& help, const char* type) {
  out_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void PrometheusWriter::sample(const std::string& name, const Labels& labels, double v) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i) out_ += ',';
      out_ += labels[i].first + "=\"" + escape_label(labels[i].second) + "\"";
    }
    out_ += '}';
  }
  out_ += ' ' + format_number(v) + '\n';
}

void PrometheusWriter::gauge(const std::string& name, const std::string& help, const Labels& labels,
                             double v) {
  header(name, help, "gauge");
  sample(name, labels, v);
}

void PrometheusWriter::counter(const std::string& name, const std::string& help,
                               const std::vector<std::pair<Labels, double>>& samples) {
  header(name + "_total", help, "counter");
  for (const auto& [labels, v] : samples) sample(name + "_total", labels, v);
}

void PrometheusWriter::histogram(const std::string& name, const std::string& help,
                                 const Labels& labels, const Histogram& h) {
  header(name, help, "histogram");
  auto cum = h.cumulative_counts();
  for (size_t i = 0; i < cum.size(); ++i) {
    Labels l = labels;
    double le = i < h.bounds().size() ? h.bounds()[i] : INFINITY;
    l.emplace_back("le", format_number(le));
    sample(name + "_bucket", l, static_cast<double>(cum[i]));
  }
  sample(name + "_sum", labels, h.sum());
  sample(name + "_count", labels, static_cast<double>(h.count()));
}

ServerMetrics::ServerMetrics() : ttft_(kTtftBuckets), itl_(kItlBuckets), e2e_(kE2eBuckets) {}

void ServerMetrics::observe_ttft(double s) {
  std::lock_guard lock(mu_);
  ttft_.observe(s);
}
void ServerMetrics::observe_inter_token(double s) {
  std::lock_guard lock(mu_);
  itl_.observe(s);
}
void ServerMetrics::observe_e2e(double s) {
  std::lock_guard lock(mu_);
  e2e_.observe(s);
}
void ServerMetrics::count_finished(FinishReason r) {
  std::lock_guard lock(mu_);
  ++finished_[finish_reason_name(r)];
}

std::string ServerMetrics::render(const std::string& model_name, const EngineStats* stats) const {
  PrometheusWriter w;
  const PrometheusWriter::Labels labels = {{"model_name", model_name}, {"engine", "0"}};
  EngineStats s = stats ? *stats : EngineStats{};
  w.gauge("vllm:num_requests_running", "Number of requests in model execution batches.", labels,
          s.num_running);
  w.gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.", labels,
          s.num_waiting);
  w.gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", labels,
          s.kv_usage);
  w.counter("vllm:prefix_cache_queries",
            "Prefix cache queries, in terms of number of queried tokens.",
            {{labels, static_cast<double>(s.prefix_cache_queries)}});
  w.counter("vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens.",
            {{labels, static_cast<double>(s.prefix_cache_hits)}});
  w.counter("vllm:num_preemptions", "Cumulative number of preemption from the engine.",
            {{labels, static_cast<double>(s.num_preemptions)}});
  w.counter("vllm:prompt_tokens", "Number of prefill tokens processed.",
            {{labels, static_cast<double>(s.prompt_tokens_total)}});
  w.counter("vllm:generation_tokens", "Number of generation tokens processed.",
            {{labels, static_cast<double>(s.generation_tokens_total)}});
  std::lock_guard lock(mu_);
  std::vector<std::pair<PrometheusWriter::Labels, double>> finished;
  for (const char* reason : {"stop", "length", "abort", "error"}) {
    auto l = labels;
    l.emplace_back("finished_reason", reason);
    auto it = finished_.find(reason);
    finished.emplace_back(l, it == finished_.end() ? 0.0 : static_cast<double>(it->second));
  }
  w.counter("vllm:request_success", "Count of successfully processed requests.", finished);
  w.histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
              labels, ttft_);
  w.histogram("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.",
              labels, itl_);
  w.histogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.",
              labels, e2e_);
  return w.text();
}

}  // namespace pagoda::server
