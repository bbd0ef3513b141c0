#pragma once
// nano-vllm's benchmark workload (random prompt token ids, prompt and output lengths uniform in
// a range, end-of-sequence ignored), drawn from a seeded generator that tests/bench/serve_bench.py
// repeats bit for bit, so that pagoda-bench's in-process runs and the HTTP measurement of
// `pagoda-cli serve` see the same requests (test_bench_workload checks that they agree).
// Header-only, no state shared between calls; safe on any thread.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace pagoda::bench {

// SplitMix64 (Steele, Lea, Flood 2014): tiny, fully specified, easy to repeat in Python.
class WorkloadRng {
 public:
  explicit WorkloadRng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi] by a 64x64->128-bit multiply (one draw per value, whatever the range,
  // so the lengths do not depend on the vocabulary size the ids are drawn from).
  int64_t uniform(int64_t lo, int64_t hi) {
    const auto span = static_cast<unsigned __int128>(hi - lo + 1);
    return lo + static_cast<int64_t>((static_cast<unsigned __int128>(next()) * span) >> 64);
  }

 private:
  uint64_t state_;
};

struct WorkloadRequest {
  std::vector<int32_t> prompt;
  int max_new_tokens = 0;
};

struct WorkloadSpec {
  int requests = 256;
  int min_prompt = 100, max_prompt = 1024;
  int min_output = 100, max_output = 1024;
  int vocab = 0;  // ids are drawn from [0, vocab)
  uint64_t seed = 0;
};

// Per request, in order: the prompt length, the output length, then the prompt's ids.
inline std::vector<WorkloadRequest> random_workload(const WorkloadSpec& s) {
  WorkloadRng rng(s.seed);
  std::vector<WorkloadRequest> out(s.requests);
  for (WorkloadRequest& r : out) {
    const auto len = static_cast<size_t>(rng.uniform(s.min_prompt, s.max_prompt));
    r.max_new_tokens = static_cast<int>(rng.uniform(s.min_output, s.max_output));
    r.prompt.resize(len);
    for (int32_t& t : r.prompt) t = static_cast<int32_t>(rng.uniform(0, s.vocab - 1));
  }
  return out;
}

// FNV-1a over every length and id: both programs print it, so a log shows they ran the same.
inline uint64_t workload_fingerprint(const std::vector<WorkloadRequest>& w) {
  uint64_t h = 0xCBF29CE484222325ull;
  auto mix = [&h](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xFF;
      h *= 0x100000001B3ull;
    }
  };
  for (const WorkloadRequest& r : w) {
    mix(r.prompt.size());
    mix(static_cast<uint64_t>(r.max_new_tokens));
    for (int32_t t : r.prompt) mix(static_cast<uint64_t>(t));
  }
  return h;
}

// "workload: N requests, P prompt tokens, O output tokens, fingerprint H" (serve_bench.py prints
// the same line).
inline std::string workload_summary(const std::vector<WorkloadRequest>& w) {
  long long prompt = 0, output = 0;
  for (const WorkloadRequest& r : w) {
    prompt += static_cast<long long>(r.prompt.size());
    output += r.max_new_tokens;
  }
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "workload: %zu requests, %lld prompt tokens, %lld output tokens, "
                "fingerprint %016llx",
                w.size(), prompt, output, static_cast<unsigned long long>(workload_fingerprint(w)));
  return buf;
}

// The value at nearest rank p (0..100) after sorting (serve_bench.py's percentile() too).
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * (v.size() - 1) + 0.5));
  return v[i];
}

}  // namespace pagoda::bench
