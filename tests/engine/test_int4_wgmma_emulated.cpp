// The wgmma int4 tile product's kernel source (kernels/quant_int4_wgmma.cu's int4_wgmma_kernel,
// 33..128 tokens on sm_90a; copied at configure time without its PTX primitives and host
// launchers) run on the CPU through mma_emulation.h and wgmma_emulation.h, against float64 on
// random weights in fragment order: one and two warpgroups, partial token tiles, row tiles and
// k groups, groups of 64 and 128 channels and one group, three parts in one launch (q, k, v),
// and K split across CTAs into the float accumulator. The emulation lands cp.async copies only
// at their wait and checks that no wgmma operand changes before its wait, so the ring's and the
// decoded tiles' reuse is checked too. The weights are rounded to bf16 as the dequantize route
// rounds them, hence the tolerance. The descriptor and fragment layouts themselves are checked
// on the GPU (test_cuda_quant). The split-roles kernel (int4_wgmma_specialized_kernel) the same
// way, its mbarrier hand-offs included.
#include <barrier>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "int4_wgmma_emulated.cpp"
#include "tests/engine/int4_frag_test_util.h"

namespace {

using namespace pagoda::cuda;
using namespace int4_frag_test;


// kernel() over a tiles x token_tiles x splits grid, one CTA at a time, a std::thread per CUDA
// thread, with `bytes` of shared memory.
template <typename Kernel>
void run_grid(int tiles, int token_tiles, int splits, int threads, size_t bytes,
              const Kernel& kernel) {
  std::vector<unsigned char> smem(bytes);
  emu::grid_dim.x = tiles, emu::grid_dim.y = token_tiles, emu::grid_dim.z = splits;
  for (int bz = 0; bz < splits; ++bz)
    for (int by = 0; by < token_tiles; ++by)
      for (int bx = 0; bx < tiles; ++bx) emu::run_block(threads, smem, bx, by, bz, kernel);
}

template <int kRows, int KSTEP, int kStages, int WG, bool F32>
void run(const WgmmaParts& parts, const bf16* x, int m, void* y, int ldy, float* accum,
         int ld_accum, int kg_per_split, int splits) {
  using L = WgmmaLayout<kRows, WG, kStages, KSTEP>;
  run_grid(parts.first_tile[parts.count], (m + 64 * WG - 1) / (64 * WG), splits, L::kThreads,
           L::kBytes, [&] {
             int4_wgmma_kernel<kRows, WG, kStages, KSTEP, 1, F32>(parts, x, m, y, ldy, accum,
                                                                  ld_accum, kg_per_split);
           });
}

// The split-roles kernel (384 threads: one copying and decoding warpgroup, two multiplying).
template <int kStages, bool F32>
void run_specialized(const WgmmaParts& parts, const bf16* x, int m, void* y, int ldy,
                     float* accum, int ld_accum, int kg_per_split, int splits) {
  using L = WgmmaSpecializedLayout<kStages>;
  run_grid(parts.first_tile[parts.count], (m + 127) / 128, splits, L::kThreads, L::kBytes, [&] {
    int4_wgmma_specialized_kernel<kStages, F32>(parts, x, m, y, ldy, accum, ld_accum,
                                                kg_per_split);
  });
}

// The register-A kernel (N tokens a CTA, WG warpgroups of 64 weight rows) after the kernel that
// puts the activations in the fragment channel order, as launch_wgmma_rs runs them.
template <int N, int WG, int kStages, bool F32>
void run_rs(const WgmmaParts& parts, const bf16* x, int m, void* y, int ldy, float* accum,
            int ld_accum, int kg_per_split, int splits) {
  const int k = parts.part[0].k;
  const int chunks = static_cast<int>(int4_frag_order_elems(m, k, N) / 8);
  std::vector<bf16> xf(static_cast<size_t>(chunks) * 8, __float2bfloat16(NAN));
  emu::block_dim.x = 256;
  run_grid((chunks + 255) / 256, 1, 1, 256, 16,
           [&] { int4_frag_order_kernel(x, m, k, N, xf.data()); });
  using L = WgmmaRsLayout<N, WG, kStages>;
  emu::block_dim.x = L::kThreads;
  run_grid(parts.first_tile[parts.count], (m + N - 1) / N, splits, L::kThreads, L::kBytes, [&] {
    int4_wgmma_rs_kernel<N, WG, kStages, 1, F32>(parts, xf.data(), m, y, ldy, accum, ld_accum,
                                                 kg_per_split);
  });
}

// y = x [parts]^T for m tokens, stored as bf16 (splits == 1) or accumulated in float over splits
// of the k groups (as launch_wgmma splits few rows).
// kRows 0: the split-roles kernel (kStages deep). RS_N > 0: the register-A kernel with RS_N
// tokens a CTA (kRows = 64 WG).
template <int kRows, int WG, int KSTEP, int kStages, int RS_N = 0>
void test_wgmma(const std::vector<const HostPart*>& host, int m, int splits, const char* what) {
  std::vector<double> xd;
  const int k = host.front()->k;
  const auto x = random_x(m, k, xd);
  WgmmaParts parts;
  parts.count = static_cast<int>(host.size());
  int cols = 0;
  for (int i = 0; i < parts.count; ++i) {
    parts.part[i] = host[i]->device(cols);
    constexpr int kTileRows = RS_N ? 64 * WG : kRows ? kRows : 128;
    parts.first_tile[i + 1] = parts.first_tile[i] + (host[i]->n + kTileRows - 1) / kTileRows;
    cols += host[i]->n;
  }
  const int kgroups = (k + 63) / 64, kg_per_split = (kgroups + splits - 1) / splits;
  splits = (kgroups + kg_per_split - 1) / kg_per_split;
  std::vector<double> got(static_cast<size_t>(m) * cols);
  auto launch = [&](auto f32, void* y, float* accum) {
    constexpr bool kF32 = decltype(f32)::value;
    if constexpr (RS_N > 0)
      run_rs<RS_N, WG, kStages, kF32>(parts, x.data(), m, y, cols, accum, cols, kg_per_split,
                                      splits);
    else if constexpr (kRows == 0)
      run_specialized<kStages, kF32>(parts, x.data(), m, y, cols, accum, cols, kg_per_split,
                                     splits);
    else
      run<kRows, KSTEP, kStages, WG, kF32>(parts, x.data(), m, y, cols, accum, cols,
                                           kg_per_split, splits);
  };
  if (splits == 1) {
    std::vector<bf16> y(got.size(), __float2bfloat16(NAN));
    launch(std::false_type{}, y.data(), nullptr);
    for (size_t i = 0; i < y.size(); ++i) got[i] = __bfloat162float(y[i]);
  } else {
    std::vector<float> accum(got.size(), 0.0f);
    launch(std::true_type{}, nullptr, accum.data());
    for (size_t i = 0; i < accum.size(); ++i) got[i] = accum[i];
  }
  check(std::string(what) + " m=" + std::to_string(m) + " " +
            (RS_N ? "register A, " + std::to_string(RS_N) + " tokens, " + std::to_string(64 * WG) +
                        " rows, "
             : kRows ? std::to_string(kRows) + " rows, "
                     : std::string("split roles, ")) +
            (KSTEP > 1 ? std::to_string(KSTEP) + " k groups a barrier, " : "") +
            std::to_string(kStages) + " stages, " + std::to_string(WG) + " warpgroup(s)" +
            (splits > 1 ? ", " + std::to_string(splits) + " splits" : ""),
        got, reference(host, xd, m), 8e-3);
}

}  // namespace

int main() {
  const uint64_t seed = std::random_device{}();
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  g_rng.seed(seed);
  // 200 rows: a partial row block and a partial row tile; 352 channels: a partial last k group.
  const HostPart g64 = make_part(200, 352, 64), g128 = make_part(136, 512, 128),
                 one = make_part(72, 320, 1 << 20);
  const HostPart q = make_part(128, 384, 128), kv = make_part(40, 384, 128);
  const HostPart big = make_part(300, 256, 128);
  // The shapes of kWgmmaShapes: 128 rows in 3 stages (the default) and in 5, 256 rows in 4,
  // two k groups a barrier in 3.
  test_wgmma<128, 1, 1, 3>({&g64}, 40, 1, "[200x352] g64");      // 33..64 tokens: one warpgroup
  test_wgmma<128, 2, 1, 3>({&g64}, 100, 1, "[200x352] g64");     // 65..128: two
  test_wgmma<128, 2, 1, 3>({&g128}, 128, 3, "[136x512] g128");   // K split in three
  test_wgmma<128, 1, 1, 3>({&one}, 64, 2, "[72x320] one group");
  test_wgmma<128, 2, 1, 3>({&q, &kv, &kv}, 77, 1, "q, k, v [128+40+40 x 384] g128");  // one launch
  test_wgmma<128, 2, 1, 3>({&q, &kv, &kv}, 128, 2, "q, k, v [128+40+40 x 384] g128");
  test_wgmma<128, 2, 1, 5>({&g64}, 100, 1, "[200x352] g64");
  test_wgmma<128, 2, 1, 5>({&g128}, 128, 3, "[136x512] g128");
  test_wgmma<256, 2, 1, 4>({&big}, 128, 2, "[300x256] g128");    // 256 rows a CTA
  test_wgmma<256, 1, 1, 4>({&g64, &g64}, 50, 1, "[200+200 x 352] g64");
  // Two k groups a barrier: an odd count of k groups, and splits ending mid-step.
  test_wgmma<128, 2, 2, 3>({&g64}, 100, 1, "[200x352] g64");
  test_wgmma<128, 2, 2, 3>({&g128}, 128, 3, "[136x512] g128");
  test_wgmma<128, 1, 2, 3>({&q, &kv, &kv}, 60, 2, "q, k, v [128+40+40 x 384] g128");
  // The split-roles kernel: more k groups than stages (its ring wraps), partial tiles, splits.
  const HostPart deep = make_part(200, 1024, 128);
  test_wgmma<0, 2, 1, 5>({&deep}, 100, 1, "[200x1024] g128");
  test_wgmma<0, 2, 1, 5>({&g64}, 128, 2, "[200x352] g64");
  test_wgmma<0, 2, 1, 5>({&q, &kv, &kv}, 77, 1, "q, k, v [128+40+40 x 384] g128");
  test_wgmma<0, 2, 1, 5>({&one}, 40, 1, "[72x320] one group");
  // The register-A kernel: 64 and 128 tokens a CTA, one, two and four warpgroups, partial
  // row blocks and k groups, the ring wrapping, three parts in one launch, splits.
  test_wgmma<0, 2, 1, 4, 128>({&deep}, 100, 1, "[200x1024] g128");
  test_wgmma<0, 2, 1, 4, 128>({&g64}, 128, 2, "[200x352] g64");
  test_wgmma<0, 2, 1, 4, 64>({&g64}, 40, 1, "[200x352] g64");
  test_wgmma<0, 2, 1, 4, 128>({&q, &kv, &kv}, 77, 1, "q, k, v [128+40+40 x 384] g128");
  test_wgmma<0, 2, 1, 4, 128>({&q, &kv, &kv}, 128, 2, "q, k, v [128+40+40 x 384] g128");
  test_wgmma<0, 1, 1, 3, 128>({&g128}, 128, 3, "[136x512] g128");
  test_wgmma<0, 1, 1, 3, 64>({&one}, 64, 2, "[72x320] one group");
  test_wgmma<0, 2, 1, 6, 128>({&deep}, 128, 1, "[200x1024] g128");
  test_wgmma<0, 4, 1, 4, 128>({&big}, 100, 2, "[300x256] g128");
  if (g_failures) {
    std::printf("%d check(s) FAILED (seed %llu)\n", g_failures,
                static_cast<unsigned long long>(seed));
    return 1;
  }
  std::printf("all emulated wgmma tile-product checks passed\n");
  return 0;
}
