#pragma once
// What the GPU tests share: CUDA error checks, a failure counter, one seeded generator, bf16
// inputs that host and device see identically, and device buffers that can be poisoned (NaN) so
// that an unwritten output element fails.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

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

}  // namespace cuda_test
