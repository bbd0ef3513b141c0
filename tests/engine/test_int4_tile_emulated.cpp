// The int4 tile product's kernel source (kernels/quant_int4_mma.cu's int4_gemm_kernel, 33..128
// tokens; copied at configure time without its PTX primitives and host launchers) run on the CPU
// through mma_emulation.h, against float64 on random weights in fragment order: every tile shape
// the host launches (64 rows a CTA, two warps a row block; 128 rows, a warp a row block and all
// token tiles), partial token tiles and row blocks, a partial last k group, groups of 64 and 128
// channels and one group, and K split across CTAs into the float accumulator. The weights are
// rounded to bf16 as the dequantize route rounds them, hence the tolerance. The mma fragment
// layout itself is checked on the GPU (test_cuda_quant).
#include <barrier>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "int4_tile_emulated.cpp"
#include "tests/engine/int4_frag_test_util.h"

namespace {

using namespace pagoda::cuda;
using namespace int4_frag_test;

// The kernel over a ctas x splits grid, one CTA at a time, a std::thread per CUDA thread.
template <int NT, int TS, bool F32>
void run(const QuantPart& w, const bf16* x, int m, void* y, float* accum, int kg_per_split,
         int ctas, int splits) {
  std::vector<unsigned char> smem(sizeof(GemmStage<NT, TS>) * kStages);
  emu::grid_dim.x = ctas, emu::grid_dim.y = splits;
  for (int by = 0; by < splits; ++by)
    for (int bx = 0; bx < ctas; ++bx)
      emu::run_block(kGemmWarps * 32, smem, bx, by, 0, [&] {
        int4_gemm_kernel<NT, TS, F32>(w, x, m, y, w.n, accum, kg_per_split);
      });
}

// y = x w^T for m tokens through tile shape <NT, TS>, stored as bf16 (splits == 1) or
// accumulated in float over splits of the k groups (as launch_int4_gemm splits few rows).
template <int NT, int TS>
void test_tiles(const HostPart& part, int m, int splits, const char* what) {
  std::vector<double> xd;
  const auto x = random_x(m, part.k, xd);
  const QuantPart w = part.device(0);
  constexpr int rows = 16 * GemmStage<NT, TS>::kBlocks;
  const int ctas = (part.n + rows - 1) / rows, kgroups = (part.k + 63) / 64;
  const int kg_per_split = (kgroups + splits - 1) / splits;
  splits = (kgroups + kg_per_split - 1) / kg_per_split;
  std::vector<double> got(static_cast<size_t>(m) * part.n);
  if (splits == 1) {
    std::vector<bf16> y(got.size(), __float2bfloat16(NAN));
    run<NT, TS, false>(w, x.data(), m, y.data(), nullptr, kg_per_split, ctas, 1);
    for (size_t i = 0; i < y.size(); ++i) got[i] = __bfloat162float(y[i]);
  } else {
    std::vector<float> accum(got.size(), 0.0f);
    run<NT, TS, true>(w, x.data(), m, nullptr, accum.data(), kg_per_split, ctas, splits);
    for (size_t i = 0; i < accum.size(); ++i) got[i] = accum[i];
  }
  check(std::string(what) + " m=" + std::to_string(m) + " <" + std::to_string(NT) + ", " +
            std::to_string(TS) + ">" + (splits > 1 ? " " + std::to_string(splits) + " splits" : ""),
        got, reference({&part}, xd, m), 8e-3);
}

}  // namespace

int main() {
  const uint64_t seed = std::random_device{}();
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  g_rng.seed(seed);
  // 200 rows: a partial row block and a partial CTA; 352 channels: a partial last k group.
  const HostPart g64 = make_part(200, 352, 64), g128 = make_part(136, 512, 128),
                 one = make_part(72, 320, 1 << 20);
  test_tiles<4, 1>(g64, 24, 1, "[200x352] g64");   // 17..32 tokens (PAGODA_CUDA_INT4_TILE_ROWS)
  test_tiles<8, 1>(g64, 40, 1, "[200x352] g64");   // 33..64
  test_tiles<16, 1>(g64, 100, 1, "[200x352] g64");  // 65..128
  test_tiles<16, 1>(g128, 128, 3, "[136x512] g128");  // K split in three
  test_tiles<8, 1>(one, 64, 2, "[72x320] one group");
  test_tiles<4, 2>(g64, 50, 1, "[200x352] g64");   // q3's shapes (PAGODA_CUDA_INT4_GEMM=0)
  test_tiles<8, 2>(g128, 97, 2, "[136x512] g128");
  if (g_failures) {
    std::printf("%d check(s) FAILED (seed %llu)\n", g_failures, static_cast<unsigned long long>(seed));
    return 1;
  }
  std::printf("all emulated tile-product checks passed\n");
  return 0;
}
