#include "app/telemetry/prometheus_text.h"

#include <charconv>
#include <cmath>
#include <optional>

namespace pagoda::telemetry {
namespace {

bool is_name_char(char c, bool first) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  return alpha || (!first && c >= '0' && c <= '9');
}

void skip_blanks(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}

std::optional<double> parse_value(std::string_view s) {
  if (s == "+Inf" || s == "Inf") return INFINITY;
  if (s == "-Inf") return -INFINITY;
  if (s == "NaN") return NAN;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// name{label="value",...} value [timestamp]
std::optional<PrometheusSample> parse_sample(std::string_view line) {
  PrometheusSample out;
  size_t i = 0;
  while (i < line.size() && is_name_char(line[i], i == 0)) ++i;
  if (i == 0) return std::nullopt;
  out.name = std::string(line.substr(0, i));
  skip_blanks(line, i);
  if (i < line.size() && line[i] == '{') {
    ++i;
    for (;;) {
      skip_blanks(line, i);
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      const size_t key_start = i;
      while (i < line.size() && is_name_char(line[i], i == key_start)) ++i;
      if (i == key_start) return std::nullopt;
      std::string key(line.substr(key_start, i - key_start));
      skip_blanks(line, i);
      if (i >= line.size() || line[i] != '=') return std::nullopt;
      ++i;
      skip_blanks(line, i);
      if (i >= line.size() || line[i] != '"') return std::nullopt;
      ++i;
      std::string value;
      bool closed = false;
      while (i < line.size()) {
        const char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < line.size()) {
          const char e = line[i++];
          value += e == 'n' ? '\n' : e;  // \\ and \" stand for themselves
        } else {
          value += c;
        }
      }
      if (!closed) return std::nullopt;
      out.labels.emplace_back(std::move(key), std::move(value));
      skip_blanks(line, i);
      if (i < line.size() && line[i] == ',') ++i;
    }
  }
  skip_blanks(line, i);
  const size_t value_start = i;
  while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
  const auto value = parse_value(line.substr(value_start, i - value_start));
  if (!value) return std::nullopt;
  out.value = *value;
  skip_blanks(line, i);
  if (i < line.size()) {  // a timestamp (integer milliseconds), then nothing
    const size_t ts_start = i;
    while (i < line.size() && (line[i] == '-' || (line[i] >= '0' && line[i] <= '9'))) ++i;
    skip_blanks(line, i);
    if (i == ts_start || i != line.size()) return std::nullopt;
  }
  return out;
}

}  // namespace

std::string PrometheusSample::label(std::string_view key) const {
  for (const auto& [k, v] : labels)
    if (k == key) return v;
  return {};
}

std::string PrometheusText::type_of(std::string_view family) const {
  for (const auto& [f, t] : types)
    if (f == family) return t;
  return {};
}

PrometheusText parse_prometheus_text(std::string_view text) {
  PrometheusText out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t i = 0;
    skip_blanks(line, i);
    line.remove_prefix(i);
    if (line.empty()) continue;
    if (line.front() == '#') {
      // "# TYPE name type"; HELP and other comments carry nothing we need.
      constexpr std::string_view kType = "# TYPE ";
      if (line.substr(0, kType.size()) == kType) {
        std::string_view rest = line.substr(kType.size());
        const size_t sp = rest.find(' ');
        const size_t type_start =
            sp == std::string_view::npos ? sp : rest.find_first_not_of(' ', sp);
        if (type_start != std::string_view::npos)
          out.types.emplace_back(std::string(rest.substr(0, sp)),
                                 std::string(rest.substr(type_start)));
      }
      continue;
    }
    if (auto sample = parse_sample(line))
      out.samples.push_back(std::move(*sample));
    else
      ++out.skipped_lines;
  }
  return out;
}

}  // namespace pagoda::telemetry
