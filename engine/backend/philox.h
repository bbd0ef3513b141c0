#pragma once
// A counter-based random draw shared by the CPU and CUDA samplers, so a seeded request gives the
// same tokens on either backend: u in [0, 1) from (seed, step) alone.
#include <cstdint>

#if defined(__CUDACC__)
#define PAGODA_HD __host__ __device__ __forceinline__
#else
#define PAGODA_HD inline
#endif

namespace pagoda {

PAGODA_HD uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

PAGODA_HD float uniform_draw(uint64_t seed, uint64_t step) {
  uint64_t r = splitmix64(splitmix64(seed) ^ (step * 0xD1B54A32D192ED03ull));
  return static_cast<float>(r >> 40) * (1.0f / 16777216.0f);  // 24 bits: exact in float
}

}  // namespace pagoda
