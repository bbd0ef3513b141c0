#pragma once
// CPU emulation of the device primitives kernels/attention_mma.cu and quant_int4_stream.cu use,
// for running their kernel source on the host: one std::thread per CUDA thread, warp collectives through per-warp exchange
// slots and barriers, shared memory as one buffer (blocks run one at a time). The fragment layouts
// are those of the PTX ISA for ldmatrix m8n8 (.trans) and mma m16n8k16 (.row.col, bf16).
// The CUDA headers first: the macros below (threadIdx, gridDim) must not reach their declarations.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#ifndef __launch_bounds__
#define __launch_bounds__(...)
#endif
using std::max;
using std::min;

namespace emu {
struct Index {
  int x = 0, y = 0, z = 0;
};
inline thread_local Index thread_index, block_index;
inline Index grid_dim, block_dim;
// The running block's shared memory, warps and barrier (each thread its own block's: the CTAs
// of a cluster run at once, run_cluster).
inline thread_local unsigned char* smem = nullptr;
struct Warp {
  std::barrier<> bar{32};
  uint32_t addr[32];
  uint32_t a[32][4], b[32][2];
  float f[32];
};
inline thread_local Warp* warps = nullptr;
inline thread_local std::barrier<>* block_barrier = nullptr;
// A thread-block cluster's barrier over all of its threads, and its CTAs' shared memories by
// rank (run_cluster).
inline thread_local std::barrier<>* cluster_barrier = nullptr;
inline thread_local unsigned char* const* cluster_smem = nullptr;
inline Warp& warp() {
  return warps[thread_index.x >> 5];
}
inline int lane() {
  return thread_index.x & 31;
}
inline float bf16_bits_to_float(uint32_t bits16) {
  const uint32_t u = (bits16 & 0xffffu) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint16_t smem_bf16(uint32_t byte_offset) {
  uint16_t h;
  std::memcpy(&h, smem + byte_offset, 2);
  return h;
}
inline void ldmatrix(uint32_t (&r)[4], uint32_t addr, bool trans) {
  Warp& w = warp();
  const int l = lane();
  w.addr[l] = addr;  // lanes 8i..8i+7 give the row addresses of matrix i
  w.bar.arrive_and_wait();
  for (int i = 0; i < 4; ++i) {
    uint16_t lo, hi;
    if (!trans) {  // lane l gets row l/4, elements 2(l%4), 2(l%4)+1
      const uint32_t row = w.addr[8 * i + l / 4];
      lo = smem_bf16(row + 2 * (2 * (l % 4)));
      hi = smem_bf16(row + 2 * (2 * (l % 4) + 1));
    } else {  // lane l gets rows 2(l%4), 2(l%4)+1 of column l/4
      lo = smem_bf16(w.addr[8 * i + 2 * (l % 4)] + 2 * (l / 4));
      hi = smem_bf16(w.addr[8 * i + 2 * (l % 4) + 1] + 2 * (l / 4));
    }
    r[i] = uint32_t(lo) | (uint32_t(hi) << 16);
  }
  w.bar.arrive_and_wait();
}
// Runs block (bx, by, bz) of a kernel as `threads` std::threads over shared memory poisoned
// with 0xff (NaN: a stage read before it was filled or landed shows); body() is the kernel
// call. Blocks run one at a time.
template <typename Body>
void run_block(int threads, std::vector<unsigned char>& shared, int bx, int by, int bz,
               const Body& body) {
  std::barrier<> block(threads);
  std::vector<Warp> block_warps(threads / 32);
  std::memset(shared.data(), 0xff, shared.size());
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      smem = shared.data(), warps = block_warps.data(), block_barrier = &block;
      thread_index.x = t;
      block_index.x = bx, block_index.y = by, block_index.z = bz;
      body();
    });
  for (auto& th : pool) th.join();
}
// Runs the `size` CTAs of a one-dimensional cluster, blocks first_block .. + size (x), at once:
// each its own shared memory (`bytes`, poisoned as above), warps and barrier, one barrier over
// all of them (cluster_sync) and each other's shared memory by rank.
template <typename Body>
void run_cluster(int threads, size_t bytes, int first_block, int size, const Body& body) {
  std::vector<std::vector<unsigned char>> shared(size, std::vector<unsigned char>(bytes, 0xff));
  std::vector<unsigned char*> by_rank(size);
  for (int r = 0; r < size; ++r) by_rank[r] = shared[r].data();
  std::deque<std::barrier<>> blocks;  // not movable: a deque constructs them in place
  for (int r = 0; r < size; ++r) blocks.emplace_back(threads);
  std::vector<std::vector<Warp>> block_warps(size);
  for (auto& w : block_warps) w = std::vector<Warp>(threads / 32);
  std::barrier<> cluster(static_cast<std::ptrdiff_t>(threads) * size);
  std::vector<std::thread> pool;
  for (int r = 0; r < size; ++r)
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, r, t] {
        smem = by_rank[r], warps = block_warps[r].data(), block_barrier = &blocks[r];
        cluster_barrier = &cluster, cluster_smem = by_rank.data();
        thread_index.x = t;
        block_index.x = first_block + r, block_index.y = 0, block_index.z = 0;
        body();
      });
  for (auto& th : pool) th.join();
}
}  // namespace emu

#define threadIdx emu::thread_index
#define blockIdx emu::block_index
#define gridDim emu::grid_dim
#define blockDim emu::block_dim

inline void __syncthreads() {
  emu::block_barrier->arrive_and_wait();
}
inline void __trap() {
  std::abort();
}
inline float __shfl_xor_sync(unsigned, float v, int lane_mask) {
  emu::Warp& w = emu::warp();
  const int l = emu::lane();
  w.f[l] = v;
  w.bar.arrive_and_wait();
  const float r = w.f[l ^ lane_mask];
  w.bar.arrive_and_wait();
  return r;
}
inline float __expf(float x) {
  return std::exp(x);
}
template <typename T>
inline T __ldcg(const T* p) {
  return *p;
}
template <typename T>
inline T __ldg(const T* p) {
  return *p;
}
inline uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(static_cast<const unsigned char*>(p) - emu::smem);
}
// cp.async as the hardware may run it at the latest: a thread's copies land only when a
// cp_async_wait retires their group, so a stage read before its wait reads stale bytes (and the
// tests' first stages, filled with 0xff, read NaN) instead of passing by luck.
namespace emu {
struct PendingCopy {
  uint32_t dst;
  const void* src;  // null: zero fill
  int bytes;
};
inline thread_local std::vector<PendingCopy> cp_open;
inline thread_local std::deque<std::vector<PendingCopy>> cp_groups;
inline void cp_async(uint32_t dst, const void* src, int bytes, bool valid) {
  cp_open.push_back({dst, valid ? src : nullptr, bytes});
}
inline void cp_land(const std::vector<PendingCopy>& group) {
  for (const PendingCopy& c : group)
    if (c.src)
      std::memcpy(smem + c.dst, c.src, c.bytes);
    else
      std::memset(smem + c.dst, 0, c.bytes);
}
}  // namespace emu
inline void cp_async16(uint32_t dst, const void* src, bool valid) {
  emu::cp_async(dst, src, 16, valid);
}
inline void cp_async16_l1(uint32_t dst, const void* src, bool valid) {
  emu::cp_async(dst, src, 16, valid);
}
inline void cp_async4(uint32_t dst, const void* src, bool valid) {
  emu::cp_async(dst, src, 4, valid);
}
inline float atomicAdd(float* p, float v) {
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  const float old = *p;
  *p = old + v;
  return old;
}
inline float2 atomicAdd(float2* p, float2 v) {
  const float2 old = *p;
  atomicAdd(&p->x, v.x);
  atomicAdd(&p->y, v.y);
  return old;
}
inline float4 atomicAdd(float4* p, float4 v) {
  const float4 old = *p;
  atomicAdd(&p->x, v.x);
  atomicAdd(&p->y, v.y);
  atomicAdd(&p->z, v.z);
  atomicAdd(&p->w, v.w);
  return old;
}
inline void cp_async_commit() {
  emu::cp_groups.push_back(std::move(emu::cp_open));
  emu::cp_open.clear();
}
template <int N>
inline void cp_async_wait() {
  while (emu::cp_groups.size() > static_cast<size_t>(N)) {
    emu::cp_land(emu::cp_groups.front());
    emu::cp_groups.pop_front();
  }
}
inline void ldmatrix_x4(uint32_t (&r)[4], uint32_t addr) {
  emu::ldmatrix(r, addr, false);
}
inline void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t addr) {
  emu::ldmatrix(r, addr, true);
}
// A (16x16): a0a1 (row g, cols 2t..), a2a3 (row g+8), a4a5 (row g, cols 8+2t..), a6a7 (row g+8);
// B (16x8): b0b1 (rows 2t.., col g), b2b3 (rows 8+2t..); C: c0c1 (row g, cols 2t..), c2c3 (g+8).
inline void mma_bf16(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  emu::Warp& w = emu::warp();
  const int l = emu::lane();
  for (int i = 0; i < 4; ++i) w.a[l][i] = a[i];
  w.b[l][0] = b0;
  w.b[l][1] = b1;
  w.bar.arrive_and_wait();
  float A[16][16], B[16][8];
  for (int x = 0; x < 32; ++x) {
    const int g = x / 4, t = x % 4;
    for (int h = 0; h < 2; ++h) {
      A[g][2 * t + h] = emu::bf16_bits_to_float(w.a[x][0] >> (16 * h));
      A[g + 8][2 * t + h] = emu::bf16_bits_to_float(w.a[x][1] >> (16 * h));
      A[g][8 + 2 * t + h] = emu::bf16_bits_to_float(w.a[x][2] >> (16 * h));
      A[g + 8][8 + 2 * t + h] = emu::bf16_bits_to_float(w.a[x][3] >> (16 * h));
      B[2 * t + h][g] = emu::bf16_bits_to_float(w.b[x][0] >> (16 * h));
      B[8 + 2 * t + h][g] = emu::bf16_bits_to_float(w.b[x][1] >> (16 * h));
    }
  }
  const int g = l / 4, t = l % 4;
  for (int i = 0; i < 4; ++i) {
    const int row = g + 8 * (i >> 1), col = 2 * t + (i & 1);
    float s = 0;
    for (int k = 0; k < 16; ++k) s += A[row][k] * B[k][col];
    c[i] += s;
  }
  w.bar.arrive_and_wait();
}
