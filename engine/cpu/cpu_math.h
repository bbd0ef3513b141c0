#pragma once
// The CPU backend's hot loops: dot products (also compiled for AVX2, picked at load time),
// paged attention of one query row, nn.Linear products on OpenBLAS or the thread pool, RMSNorm.
// Pure functions over caller memory; linear() runs on the given pool.
#include <cstddef>
#include <cstdint>

#include "engine/cpu/thread_pool.h"

namespace pagoda::cpu {

float dot(const float* a, const float* b, int n);
// out[r] = dot(w, x + r * ldx) for r < 4.
void dot4(const float* w, const float* x, size_t ldx, int n, float* out);
// One query head over the first len positions of a sequence in the paged K/V cache: each slot
// holds kv_stride floats, this head's part at head_offset. scores: len floats of scratch.
void attend(const float* q, const float* k_cache, const float* v_cache, const int32_t* block_table,
            int block_size, int len, size_t kv_stride, size_t head_offset, int hd, float scale,
            float* scores, float* out);
// Y[rows, n] (+)= X[rows, k] * W[n, k]^T.
void linear(ThreadPool& pool, const float* x, int rows, int k, const float* w, int n, float* y,
            bool accumulate);
void rms_norm(const float* x, const float* weight, int n, double eps, float* out);

}  // namespace pagoda::cpu
