#pragma once
// A reader of the Prometheus text exposition format (version 0.0.4), the /metrics page of vLLM
// and of Pagoda's own server (app/server/metrics.h writes it). Small on purpose: samples with
// labels, # TYPE lines, escapes, +Inf/-Inf/NaN and optional timestamps; anything else is skipped
// and counted. Pure functions; any thread.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pagoda::telemetry {

struct PrometheusSample {
  std::string name;  // e.g. "vllm:time_to_first_token_seconds_bucket"
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  // The value of a label, or empty.
  std::string label(std::string_view key) const;
};

struct PrometheusText {
  std::vector<PrometheusSample> samples;
  std::vector<std::pair<std::string, std::string>> types;  // family -> counter | gauge | ...
  int skipped_lines = 0;  // lines that were neither samples nor comments
  std::string type_of(std::string_view family) const;
};

PrometheusText parse_prometheus_text(std::string_view text);

}  // namespace pagoda::telemetry
