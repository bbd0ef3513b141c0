#pragma once
// The PTX primitives of the warpgroup tensor-core kernel (sm_90a: quant_int4_wgmma.cu): shared
// memory matrix descriptors, wgmma.mma_async with A in registers and B in shared memory, its
// fences and group waits, the proxy fence between ordinary shared stores and the tensor cores'
// reads, and a thread-block cluster's barrier and loads from another CTA's shared memory.
// tests/engine/quant.cmake swaps this include for a CPU emulation (tests/engine/wgmma_emulation.h)
// that reads the operands at issue and again at the wait (a write in between is reported), so
// these keep the emulation's names and signatures. Every wgmma call is collective over the
// warpgroup (128 consecutive threads starting at a multiple of 128).
// Internal linkage: every .cu compiles its own inline copy.
#include <cuda_runtime.h>

#include <cstdint>

namespace pagoda::cuda {
namespace {

// A K-major operand tile in shared memory with the 128-byte swizzle: rows of 64 bf16 (128 bytes,
// one k group), row r's 16-byte chunk c stored at chunk c ^ (r % 8), 8-row groups 1024 bytes
// apart, the tile 1024-byte aligned. `start` is the shared address of k slice j's first element
// (tile + 32 j): the hardware applies the swizzle to the address bits, so slices are offsets.
__device__ __forceinline__ uint64_t wgmma_desc_sw128(uint32_t start) {
  constexpr uint64_t kStrideBytes = 1024, kLeadingBytes = 16;  // the latter unused by SW128 K-major
  return static_cast<uint64_t>((start & 0x3FFFF) >> 4) | ((kLeadingBytes >> 4) << 16) |
         ((kStrideBytes >> 4) << 32) | (1ull << 62);
}

// Orders this thread's earlier ordinary (and cp.async) shared-memory writes before later reads
// by the tensor cores (the async proxy); a barrier after it publishes them to the warpgroup.
__device__ __forceinline__ void fence_proxy_async() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}
// Before the first wgmma that reads registers (accumulators) written by other instructions.
__device__ __forceinline__ void wgmma_fence() {
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
// The same fence, after which the A fragments in registers are what the following wgmmas read:
// their definitions (the decode) cannot be moved past it, which would make ptxas serialize the
// wgmmas (C7513: "non wgmma instructions defining input registers" inside the stage).
template <int J>
__device__ __forceinline__ void wgmma_fence(uint32_t (&a)[J][4]) {
#pragma unroll
  for (int j = 0; j < J; ++j)
    asm volatile("" : "+r"(a[j][0]), "+r"(a[j][1]), "+r"(a[j][2]), "+r"(a[j][3])::"memory");
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void wgmma_commit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
// Until at most N committed groups of this warpgroup are in flight; only then may their
// accumulators be read, or the shared memory they read be written.
template <int N>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}
// Keeps the accumulators in place across code between wgmmas (an empty asm that "uses" them),
// so the compiler neither moves nor spills them while a wgmma is in flight.
template <int R>
__device__ __forceinline__ void wgmma_pin(float (&d)[R]) {
#pragma unroll
  for (int i = 0; i < R; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

// Every thread of every CTA of the cluster: this thread's earlier shared-memory writes are
// visible to the cluster's threads after it (release / acquire).
__device__ __forceinline__ void cluster_sync() {
  asm volatile("barrier.cluster.arrive.release.aligned;\nbarrier.cluster.wait.acquire.aligned;\n" ::
                   : "memory");
}
// The 16 bytes at shared address `addr` of the cluster's CTA `rank` (the same offset as in this
// CTA's shared memory).
__device__ __forceinline__ float4 ld_shared_cluster_f4(uint32_t addr, uint32_t rank) {
  uint32_t remote;
  asm volatile("mapa.shared::cluster.u32 %0, %1, %2;\n" : "=r"(remote) : "r"(addr), "r"(rank));
  float4 v;
  asm volatile("ld.shared::cluster.v4.f32 {%0, %1, %2, %3}, [%4];\n"
               : "=f"(v.x), "=f"(v.y), "=f"(v.z), "=f"(v.w)
               : "r"(remote)
               : "memory");
  return v;
}

// The accumulator operands of the wgmma asm below, written out once: inline asm takes no loops.
// PAGODA_WGMMA_D32(d, i) is "+f"(d[i]) .. "+f"(d[i + 31]); the _OPS strings the matching
// placeholders of the instruction's template.
#define PAGODA_WGMMA_D8(d, i)                                                                  \
  "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), \
      "+f"(d[i + 6]), "+f"(d[i + 7])
#define PAGODA_WGMMA_D32(d, i) \
  PAGODA_WGMMA_D8(d, i), PAGODA_WGMMA_D8(d, i + 8), PAGODA_WGMMA_D8(d, i + 16), \
      PAGODA_WGMMA_D8(d, i + 24)
#define PAGODA_WGMMA_OPS_0_31 \
  "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, " \
  "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31"
#define PAGODA_WGMMA_OPS_32_63 \
  "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, " \
  "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"

// d (64 x N, f32) += a (64 x 16, bf16, from registers) * b (16 x N, bf16, K-major in shared
// memory through a wgmma_desc_sw128 descriptor). Thread (warp w of the warpgroup, lane g * 4 + t)
// holds a[0] = A[16 w + g][2 t, 2 t + 1], a[1] = A[16 w + g + 8][2 t, ..], a[2] = A[16 w + g][2 t
// + 8, ..], a[3] = A[16 w + g + 8][2 t + 8, ..] (the m16n8k16 A fragment of its warp's 16 rows),
// and d[4 i + 2 h + e] = D[16 w + g + 8 h][8 i + 2 t + e]. The registers of a are read while the
// product runs: they must keep their values until the wgmma_wait that retires it (wgmma_keep).
template <int N>
__device__ __forceinline__ void wgmma_m64k16_rs(float (&d)[N / 2], const uint32_t (&a)[4],
                                                uint64_t desc_b);

template <>
__device__ __forceinline__ void wgmma_m64k16_rs<64>(float (&d)[32], const uint32_t (&a)[4],
                                                   uint64_t desc_b) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {" PAGODA_WGMMA_OPS_0_31
      "}, {%32, %33, %34, %35}, %36, p, 1, 1, 0;\n}\n"
      : PAGODA_WGMMA_D32(d, 0)
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(1));
}

template <>
__device__ __forceinline__ void wgmma_m64k16_rs<128>(float (&d)[64], const uint32_t (&a)[4],
                                                   uint64_t desc_b) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {" PAGODA_WGMMA_OPS_0_31
      ", " PAGODA_WGMMA_OPS_32_63 "}, {%64, %65, %66, %67}, %68, p, 1, 1, 0;\n}\n"
      : PAGODA_WGMMA_D32(d, 0), PAGODA_WGMMA_D32(d, 32)
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "r"(1));
}

// Keeps A fragments live up to this point (after the wait that retires the products reading
// them) for ptxas too, so that it does not give their registers to the next fragments while
// those products run (which it would then serialize: C7513). An empty asm is invisible to
// ptxas, so this is a store predicated on never_negative < 0: never taken, but ptxas cannot
// know. smem: any shared address. One predicate for the four k slices (one asm).
__device__ __forceinline__ void wgmma_keep(const uint32_t (&a)[4][4], int never_negative,
                                           uint32_t smem) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.lt.s32 p, %16, 0;\n"
      "@p st.shared.v4.b32 [%17], {%0, %1, %2, %3};\n"
      "@p st.shared.v4.b32 [%17], {%4, %5, %6, %7};\n"
      "@p st.shared.v4.b32 [%17], {%8, %9, %10, %11};\n"
      "@p st.shared.v4.b32 [%17], {%12, %13, %14, %15};\n}\n" ::"r"(a[0][0]),
      "r"(a[0][1]), "r"(a[0][2]), "r"(a[0][3]), "r"(a[1][0]), "r"(a[1][1]), "r"(a[1][2]),
      "r"(a[1][3]), "r"(a[2][0]), "r"(a[2][1]), "r"(a[2][2]), "r"(a[2][3]), "r"(a[3][0]),
      "r"(a[3][1]), "r"(a[3][2]), "r"(a[3][3]), "r"(never_negative), "r"(smem)
      : "memory");
}

}  // namespace
}  // namespace pagoda::cuda
