#pragma once
// CPU emulation of kernels/wgmma_primitives.cuh (include after mma_emulation.h, whose threads,
// shared memory and deferred cp.async it uses): wgmma.mma_async with A from registers (the warp's
// lanes exchange their fragments at issue; a register changed before the wait that retires the
// product aborts) and B read from shared memory through its descriptor, in the PTX ISA's layouts
// (K-major tiles with the 128-byte swizzle; the m64nNk16 fragments). Stricter than the hardware
// needs to be: a thread's products are computed when issued and again when wgmma_wait retires
// their group, and only added to the accumulators then; shared memory written in between (a tile
// refilled while its product may still be reading it) aborts the test, and accumulators read
// before the wait hold their old values. Each thread computes only its own accumulator elements,
// and a thread's retirement covers only its warp: another warp's part of the same product (its A
// rows, and all of B) may still be read until that warp waits, as on the hardware, where each
// warp's quarter runs on its own sub-partition's tensor core. Warps sometimes sleep before
// retiring (a late product). A cluster's barrier and its CTAs' shared memory by rank come from
// mma_emulation.h's run_cluster.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace emu {
struct WgmmaOp {
  float* d;
  int n;
  uint64_t desc_b;
  std::vector<float> product;
  // A: the warp's fragments when issued, and this thread's registers, which must still hold
  // them when the wait retires the product.
  uint32_t warp_a[32][4] = {};
  const uint32_t* own_a = nullptr;
  uint32_t own_a_issued[4] = {};
};
inline thread_local std::vector<WgmmaOp> wgmma_open;
inline thread_local std::deque<std::vector<WgmmaOp>> wgmma_groups;

// Element (r, k), k < 16, of a K-major tile with the 128-byte swizzle whose slice starts at the
// descriptor's address.
inline float wgmma_operand(uint64_t desc, int r, int k) {
  if ((desc >> 62) != 1) {
    std::fprintf(stderr, "wgmma emulation: only the 128-byte swizzle is emulated\n");
    std::abort();
  }
  const uint32_t start = static_cast<uint32_t>(desc & 0x3FFF) << 4;
  const uint32_t stride = static_cast<uint32_t>((desc >> 32) & 0x3FFF) << 4;
  const uint32_t logical = start + (r / 8) * stride + (r % 8) * 128 + 2 * k;
  const uint32_t physical = logical ^ (((logical >> 7) & 7) << 4);
  return bf16_bits_to_float(smem_bf16(physical));
}

// Element (r, k) of the warp's 16 x 16 slice of A from its lanes' registers: lane 4 g + t holds
// a[0] = (g, 2 t..), a[1] = (g + 8, 2 t..), a[2] = (g, 2 t + 8..), a[3] = (g + 8, 2 t + 8..).
inline float register_operand(const WgmmaOp& op, int r, int k) {
  const int g = r % 8, t = (k % 8) / 2, reg = (r / 8) + 2 * (k / 8);
  return bf16_bits_to_float(op.warp_a[4 * g + t][reg] >> (16 * (k % 2)));
}

// This thread's elements of the 64 x n product: d[4 i + 2 h + e] = row 16 w + g + 8 h, column
// 8 i + 2 t + e, for warp w of the warpgroup and lane 4 g + t.
inline std::vector<float> wgmma_product(const WgmmaOp& op) {
  const int w = (thread_index.x % 128) / 32, l = lane(), g = l / 4, t = l % 4;
  std::vector<float> out(op.n / 2);
  for (int i = 0; i < op.n / 8; ++i)
    for (int h = 0; h < 2; ++h)
      for (int e = 0; e < 2; ++e) {
        const int row = 16 * w + g + 8 * h, col = 8 * i + 2 * t + e;
        float s = 0.0f;
        for (int k = 0; k < 16; ++k)
          s += register_operand(op, row % 16, k) * wgmma_operand(op.desc_b, col, k);
        out[4 * i + 2 * h + e] = s;
      }
  return out;
}
}  // namespace emu

// The cluster primitives (run_cluster's CTAs): the barrier over all of the cluster's threads,
// and another CTA's shared memory at the same offset.
inline void cluster_sync() {
  emu::cluster_barrier->arrive_and_wait();
}
inline float4 ld_shared_cluster_f4(uint32_t addr, uint32_t rank) {
  float4 v;
  std::memcpy(&v, emu::cluster_smem[rank] + addr, sizeof(v));
  return v;
}

inline uint64_t wgmma_desc_sw128(uint32_t start) {
  return static_cast<uint64_t>((start & 0x3FFFF) >> 4) | (uint64_t{1} << 16) |
         (uint64_t{1024 >> 4} << 32) | (uint64_t{1} << 62);
}
inline void fence_proxy_async() {}
inline void wgmma_fence() {}
template <int J>
inline void wgmma_fence(uint32_t (&)[J][4]) {}
template <int J>
inline void wgmma_keep(const uint32_t (&)[J][4], int, uint32_t) {}
inline void wgmma_commit() {
  emu::wgmma_groups.push_back(std::move(emu::wgmma_open));
  emu::wgmma_open.clear();
}
// .sync.aligned: the lanes of a warp leave the wait together (each thread retires its own
// elements; a warp's lanes may not run ahead of one another's retirement).
// A product may finish late: now and then a warp sleeps before retiring, so that a write the
// kernel makes too early (a slot handed back before its products were retired) lands while the
// product is still pending, where the check sees it.
template <int N>
inline void wgmma_wait() {
  thread_local std::minstd_rand delays(static_cast<unsigned>(emu::thread_index.x) * 7919u + 1u);
  if (emu::lane() == 0 && delays() % 8 == 0)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  emu::warp().bar.arrive_and_wait();
  while (emu::wgmma_groups.size() > static_cast<size_t>(N)) {
    for (emu::WgmmaOp& op : emu::wgmma_groups.front()) {
      if (!std::equal(op.own_a_issued, op.own_a_issued + 4, op.own_a)) {
        std::fprintf(stderr,
                     "wgmma emulation: an A register changed between the wgmma and the wait that "
                     "retires it (thread %d, block %d)\n",
                     emu::thread_index.x, emu::block_index.x);
        std::abort();
      }
      // Bitwise: a token column past m may hold NaN activations (FragActOut), NaN != NaN.
      const auto now = emu::wgmma_product(op);
      if (now.size() != op.product.size() ||
          std::memcmp(now.data(), op.product.data(), now.size() * sizeof(now[0])) != 0) {
        std::fprintf(stderr,
                     "wgmma emulation: an operand in shared memory changed between the wgmma "
                     "and the wait that retires it (thread %d, block %d)\n",
                     emu::thread_index.x, emu::block_index.x);
        std::abort();
      }
      for (int i = 0; i < op.n / 2; ++i) op.d[i] += op.product[i];
    }
    emu::wgmma_groups.pop_front();
  }
  emu::warp().bar.arrive_and_wait();
}
template <int R>
inline void wgmma_pin(float (&)[R]) {}
// A from this thread's registers (the warp's lanes exchange theirs, as the hardware reads them).
template <int N>
inline void wgmma_m64k16_rs(float (&d)[N / 2], const uint32_t (&a)[4], uint64_t desc_b) {
  emu::WgmmaOp op{d, N, desc_b, {}};
  emu::Warp& w = emu::warp();
  const int l = emu::lane();
  for (int i = 0; i < 4; ++i) w.a[l][i] = a[i];
  w.bar.arrive_and_wait();
  std::memcpy(op.warp_a, w.a, sizeof(op.warp_a));
  w.bar.arrive_and_wait();
  op.own_a = a;
  std::copy(a, a + 4, op.own_a_issued);
  op.product = emu::wgmma_product(op);
  emu::wgmma_open.push_back(std::move(op));
}
