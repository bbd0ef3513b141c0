#pragma once
// What the GPU tests share: CUDA error checks, a failure counter, one seeded generator, bf16
// inputs that host and device see identically, device buffers that can be poisoned (NaN) so
// that an unwritten output element fails, and the random rows (logits and sampling settings) of
// the GPU sampler tests with their checks against the reference sampler. Test threads only.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "engine/backend/backend.h"

#define CUDA_OK(x)                                                                            \
  do {                                                                                        \
    cudaError_t e_ = (x);                                                                     \
    if (e_ != cudaSuccess) {                                                                  \
      std::fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_)); \
      std::exit(1);                                                                           \
    }                                                                                         \
  } while (0)

namespace cuda_test {

inline int g_failures = 0;
inline std::mt19937_64 g_rng;

inline void expect(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAIL: %s\n", what);
    ++g_failures;
  }
}

// Random values already rounded to bf16, so host and device see the same inputs.
inline std::vector<float> random_bf16_values(size_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = __bfloat162float(__float2bfloat16(dist(g_rng)));
  return v;
}

template <typename T>
struct DeviceBuffer {
  T* ptr = nullptr;
  size_t n = 0;
  explicit DeviceBuffer(size_t count) : n(count) {
    CUDA_OK(cudaMalloc(&ptr, std::max<size_t>(1, n) * sizeof(T)));
  }
  ~DeviceBuffer() { cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  void poison() { CUDA_OK(cudaMemset(ptr, 0xFF, n * sizeof(T))); }  // NaN in bf16 and f32
  void upload(const std::vector<T>& v) {
    CUDA_OK(cudaMemcpy(ptr, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  }
  std::vector<T> download() const {
    std::vector<T> v(n);
    CUDA_OK(cudaMemcpy(v.data(), ptr, n * sizeof(T), cudaMemcpyDeviceToHost));
    return v;
  }
};

// Seeds g_rng afresh and prints (and returns) the seed, so that a failing run can be repeated.
inline uint64_t seed_rng() {
  const uint64_t seed = std::random_device{}();
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  g_rng.seed(seed);
  return seed;
}

// bf16 copies of float values on the device, and float values of downloaded bf16.
inline std::unique_ptr<DeviceBuffer<__nv_bfloat16>> to_device_bf16(const std::vector<float>& v) {
  auto d = std::make_unique<DeviceBuffer<__nv_bfloat16>>(v.size());
  std::vector<__nv_bfloat16> b(v.size());
  for (size_t i = 0; i < v.size(); ++i) b[i] = __float2bfloat16(v[i]);
  d->upload(b);
  return d;
}
inline std::vector<float> from_bf16(const std::vector<__nv_bfloat16>& b) {
  std::vector<float> v(b.size());
  for (size_t i = 0; i < b.size(); ++i) v[i] = __bfloat162float(b[i]);
  return v;
}

// Exit code 77 tells CTest the test was skipped (SKIP_RETURN_CODE).
inline bool have_gpu() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    std::printf("SKIP: no CUDA GPU (%s)\n", cudaGetErrorString(cudaGetDeviceCount(&count)));
    return false;
  }
  return true;
}

// Draws from g_rng.
inline double uniform(double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(g_rng);
}
inline int uniform_int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g_rng); }
inline bool chance(double p) { return uniform(0, 1) < p; }

// One row of random logits of a random spread, never exactly zero. `realistic` adds what real
// logits have: a random shift, a few confident tokens, and (in 30% of rows) bf16 rounding, so
// that ties occur.
inline std::vector<float> random_logits(int vocab, bool realistic = false) {
  std::vector<float> x(vocab);
  std::normal_distribution<float> normal(0.0f, static_cast<float>(uniform(0.5, 4.0)));
  if (!realistic) {
    for (float& v : x) v = normal(g_rng);
  } else {
    const float shift = static_cast<float>(uniform(-10, 10));
    for (float& v : x) v = normal(g_rng) + shift;
    const int peaks = uniform_int(0, 8);
    for (int i = 0; i < peaks; ++i)
      x[uniform_int(0, vocab - 1)] += static_cast<float>(uniform(2, 15));
  }
  const bool bf16 = realistic && chance(0.3);
  for (float& v : x) {
    if (bf16) v = __bfloat162float(__float2bfloat16(v));
    if (v == 0.0f) v = 0.001f;
  }
  return x;
}

// A test row of the GPU sampler: its settings and the id lists and mask its spans point at.
struct SamplerTestRow {
  pagoda::SamplingRow sampling;
  std::vector<int32_t> prompt, output, banned;
  std::vector<uint32_t> mask;
};

// Draws the row's seed, its step (0..max_step) and its logprob request: none, the sampled
// token's, or the top 1..max_top_logprobs, the last `top_weight` times as likely as each of the
// others; then points the row's spans at its lists.
inline void finish_random_row(SamplerTestRow& r, int max_step, int top_weight,
                              int max_top_logprobs) {
  pagoda::SamplingRow& s = r.sampling;
  s.seed = g_rng();
  s.step = uniform_int(0, max_step);
  const int lp = uniform_int(0, 1 + top_weight);
  s.num_logprobs = lp == 0 ? -1 : lp == 1 ? 0 : uniform_int(1, max_top_logprobs);
  s.prompt_ids = r.prompt;
  s.output_ids = r.output;
  s.banned_ids = r.banned;
  s.allowed_tokens = r.mask;
}

// Logprobs within 1e-3 of the reference's (equal infinities agree), top entries in the same order.
inline bool logprob_close(float got, float want) {
  return got == want || std::fabs(got - want) <= 1e-3f;
}
inline bool top_logprobs_match(const pagoda::SampledToken& got, const pagoda::SampledToken& want) {
  if (got.top_logprobs.size() != want.top_logprobs.size()) return false;
  for (size_t j = 0; j < want.top_logprobs.size(); ++j)
    if (got.top_logprobs[j].first != want.top_logprobs[j].first ||
        !logprob_close(got.top_logprobs[j].second, want.top_logprobs[j].second))
      return false;
  return true;
}

// The end of a sampler test: ids must agree with the reference in >= 99.9% of the rows (ties and
// rounding at a sampling boundary may flip a few); returns the exit code.
inline int sampler_test_result(int rows, int id_mismatches) {
  const double agree = 1.0 - static_cast<double>(id_mismatches) / rows;
  std::printf("%d id mismatches in %d rows (%.4f%% agree)\n", id_mismatches, rows, 100.0 * agree);
  if (agree < 0.999) {
    std::printf("FAIL: ids agree in fewer than 99.9%% of rows\n");
    ++g_failures;
  }
  if (g_failures) {
    std::printf("%d failures\n", g_failures);
    return 1;
  }
  std::printf("OK\n");
  return 0;
}

}  // namespace cuda_test
