#include "engine/cpu/cpu_math.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace pagoda::cpu {

// The hot loops not in OpenBLAS, also compiled for AVX2 and picked at load time where available.
#if defined(__x86_64__) && defined(__GNUC__)
#define PAGODA_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define PAGODA_SIMD_CLONES
#endif

PAGODA_SIMD_CLONES float dot(const float* __restrict a, const float* __restrict b, int n) {
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

// Four dot products sharing w: independent accumulators hide the add latency and w is loaded
// once for four rows.
PAGODA_SIMD_CLONES void dot4(const float* __restrict w, const float* __restrict x, size_t ldx,
                             int n, float* out) {
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
  for (int i = 0; i < n; ++i) {
    s0 += w[i] * x0[i];
    s1 += w[i] * x1[i];
    s2 += w[i] * x2[i];
    s3 += w[i] * x3[i];
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
  out[3] = s3;
}

// One query head over the first len positions of a sequence in the paged K/V cache: each slot
// holds kv_stride floats, this head's part at head_offset. scores: len floats of scratch.
PAGODA_SIMD_CLONES void attend(const float* __restrict q, const float* k_cache,
                               const float* v_cache, const int32_t* block_table, int block_size,
                               int len, size_t kv_stride, size_t head_offset, int hd, float scale,
                               float* __restrict scores, float* __restrict out) {
  float max_score = -std::numeric_limits<float>::infinity();
  for (int start = 0, b = 0; start < len; start += block_size, ++b) {
    const int n = std::min(block_size, len - start);
    const float* k = k_cache + size_t(block_table[b]) * block_size * kv_stride + head_offset;
    for (int o = 0; o < n; ++o, k += kv_stride) {
      float s = 0;
#pragma omp simd reduction(+ : s)
      for (int d = 0; d < hd; ++d) s += q[d] * k[d];
      s *= scale;
      scores[start + o] = s;
      max_score = std::max(max_score, s);
    }
  }
  float sum = 0;
  for (int j = 0; j < len; ++j) {
    scores[j] = std::exp(scores[j] - max_score);
    sum += scores[j];
  }
  const float inv_sum = 1.0f / sum;
  for (int d = 0; d < hd; ++d) out[d] = 0;
  for (int start = 0, b = 0; start < len; start += block_size, ++b) {
    const int n = std::min(block_size, len - start);
    const float* v = v_cache + size_t(block_table[b]) * block_size * kv_stride + head_offset;
    for (int o = 0; o < n; ++o, v += kv_stride) {
      const float p = scores[start + o] * inv_sum;
#pragma omp simd
      for (int d = 0; d < hd; ++d) out[d] += p * v[d];
    }
  }
}

// Y[rows, n] (+)= X[rows, k] * W[n, k]^T, the layout of every nn.Linear weight. OpenBLAS's sgemm
// packs all of W on every call, which dominates decode steps of a few rows; there each weight
// row is read once and dotted with every (cached) row of X instead.
void linear(cpu::ThreadPool& pool, const float* x, int rows, int k, const float* w, int n, float* y,
            bool accumulate) {
  constexpr int kMaxSmallRows = 16;
  const float beta = accumulate ? 1.0f : 0.0f;
  if (rows == 1) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, w, k, x, 1, beta, y, 1);
  } else if (rows <= kMaxSmallRows) {
    pool.parallel_for(
        n,
        [&](int64_t begin, int64_t end) {
          for (int64_t j = begin; j < end; ++j) {
            const float* w_row = w + j * k;
            float v[kMaxSmallRows];
            int r = 0;
            for (; r + 4 <= rows; r += 4) dot4(w_row, x + size_t(r) * k, k, k, v + r);
            for (; r < rows; ++r) v[r] = dot(x + size_t(r) * k, w_row, k);
            for (r = 0; r < rows; ++r) {
              float& out = y[size_t(r) * n + j];
              out = accumulate ? out + v[r] : v[r];
            }
          }
        },
        2 * int64_t{rows} * k);
  } else {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n, k, 1.0f, x, k, w, k, beta, y, n);
  }
}

void rms_norm(const float* x, const float* weight, int n, double eps, float* out) {
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += double(x[i]) * x[i];
  float inv = static_cast<float>(1.0 / std::sqrt(sum / n + eps));
  for (int i = 0; i < n; ++i) out[i] = weight[i] * (x[i] * inv);
}

}  // namespace pagoda::cpu
