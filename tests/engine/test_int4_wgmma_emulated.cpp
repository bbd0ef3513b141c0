// The wgmma int4 tile product's kernel source (kernels/quant_int4_wgmma.cu: int4_frag_order_kernel
// and int4_wgmma_rs_kernel, 17..128 tokens on sm_90a; copied at configure time without its PTX
// primitives and host launchers) run on the CPU through mma_emulation.h and wgmma_emulation.h,
// against float64 on random weights in fragment order: 64 and 128 tokens a CTA, one, two and four
// warpgroups, partial row blocks, token tiles and k groups, groups of 64 and 128 channels and one
// group, three parts in one launch (q, k, v). Each case runs with every tile in one CTA, with
// every tile's k groups split, and with whole tiles first and split ones after (plan_work's
// shapes); the splits add into the float accumulator (laid out from the first split tile's
// column, as launch_wgmma_rs lays it out, zeroed by the reorder kernel or, with the input written
// in the tiles' layout, by its producer's clear_split_accum, and finished here as
// quant_finish_split would), or,
// as clusters (PAGODA_CUDA_INT4_WGMMA_CLUSTER=1), add up their sums through each other's shared
// memory, the whole tiles and the clusters in a shuffled order; the output is poisoned with NaN
// first. The emulation lands cp.async copies only at their wait and checks that no wgmma operand
// changes before its wait, so the ring's reuse is checked too. The weights are rounded to bf16 as
// the dequantize route rounds them, hence the tolerance. The descriptor and fragment layouts
// themselves are checked on the GPU (test_cuda_quant). plan_work's CTAs must cover each tile's k
// groups once, on the 7B shapes and on random ones.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

#include "int4_wgmma_emulated.cpp"
#include "tests/engine/int4_frag_test_util.h"

namespace {

using namespace pagoda::cuda;
using namespace int4_frag_test;

// kernel() for each CTA of a one-dimensional grid in `order`, one CTA at a time, a std::thread
// per CUDA thread, with `bytes` of shared memory.
template <typename Kernel>
void run_ctas(const std::vector<int>& order, int threads, size_t bytes, const Kernel& kernel) {
  std::vector<unsigned char> smem(bytes);
  emu::grid_dim.x = static_cast<int>(order.size()), emu::grid_dim.y = 1, emu::grid_dim.z = 1;
  emu::block_dim.x = threads;
  for (int b : order) emu::run_block(threads, smem, b, 0, 0, kernel);
}
std::vector<int> in_order(int n) {
  std::vector<int> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// How the test spreads a launch's tiles over CTAs (WgmmaWork): every tile whole, every tile in
// `splits`, or the first half of the tiles whole and the rest in `splits`; the splits through
// the float accumulator (kSplit*) or as clusters (kCluster*).
enum class Plan { kWhole, kSplit, kHalfSplit, kCluster, kHalfCluster };

// The register-A kernel (N tokens a CTA, WG warpgroups of 64 weight rows) after the kernel that
// puts the activations in the fragment channel order, as launch_wgmma_rs runs them: the CTAs one
// at a time (clusters: each split tile's CTAs at once), in a shuffled order.
// With pre_ordered, the activations are written straight into the tiles' layout at
// frag_act_offset, as add_rmsnorm and silu_mul write them (FragActOut), for tokens below m only:
// the rest of the last token tile stays NaN, which must not reach any stored output, and the
// accumulator cleared as the producer clears it (clear_split_accum over a grid of 3 x 64 threads,
// so each thread takes several float4s).
template <int N, int WG, int kStages, bool F32>
void run_rs(const WgmmaParts& parts, const bf16* x, int m, void* y, int ldy, WgmmaWork work,
            bool pre_ordered) {
  const int k = parts.part[0].k;
  const int chunks = static_cast<int>(int4_frag_order_elems(m, k, N) / 8);
  std::vector<bf16> xf(static_cast<size_t>(chunks) * 8, __float2bfloat16(NAN));
  // The accumulator arrives poisoned with NaN (the caller).
  const int zero = work.accum ? m * work.ld_accum : 0;
  if (pre_ordered) {
    for (int t = 0; t < m; ++t)
      for (int c = 0; c < k; ++c)
        xf[frag_act_offset(t, c, k / 64, N)] = x[static_cast<size_t>(t) * k + c];
    if (zero > 0) {
      run_ctas(in_order(3), 64, 16, [&] {
        clear_split_accum(work.accum, zero, blockIdx.x * blockDim.x + threadIdx.x,
                          gridDim.x * blockDim.x);
      });
    }
  } else {
    run_ctas(in_order((int4_frag_order_threads(m, k, N, zero) + 255) / 256), 256, 16,
             [&] { int4_frag_order_kernel(x, m, k, N, xf.data(), work.accum, zero); });
  }
  using L = WgmmaRsLayout<N, WG, kStages>;
  auto kernel = [&] {
    int4_wgmma_rs_kernel<N, WG, kStages, 1, F32>(parts, xf.data(), m, y, ldy, work);
  };
  const int tiles = work.row_tiles * ((m + N - 1) / N), split_tiles = tiles - work.whole_tiles;
  std::vector<unsigned char> smem(L::kBytes);
  emu::block_dim.x = L::kThreads, emu::grid_dim.y = 1, emu::grid_dim.z = 1;
  if (work.accum || split_tiles == 0) {  // one launch of every item
    run_ctas(in_order(work.whole_tiles + split_tiles * work.splits), L::kThreads, L::kBytes,
             kernel);
    return;
  }
  // The whole tiles' launch and the clusters', their CTAs and clusters in one shuffled order.
  std::vector<int> order = in_order(work.whole_tiles + split_tiles);
  std::shuffle(order.begin(), order.end(), g_rng);
  for (int i : order) {
    if (i < work.whole_tiles) {
      work.first_item = 0;
      emu::grid_dim.x = work.whole_tiles;
      emu::run_block(L::kThreads, smem, i, 0, 0, kernel);
    } else {
      work.first_item = work.whole_tiles;
      emu::grid_dim.x = split_tiles * work.splits;
      emu::run_cluster(L::kThreads, L::kBytes, (i - work.whole_tiles) * work.splits, work.splits,
                       kernel);
    }
  }
}

// y = x [parts]^T for m tokens (bf16, or float32 with F32), the tiles spread over CTAs by plan.
template <int N, int WG, int kStages, bool F32 = false>
void test_rs(const std::vector<const HostPart*>& host, int m, Plan plan, int splits,
             const char* what, bool pre_ordered = false) {
  std::vector<double> xd;
  const int k = host.front()->k;
  const auto x = random_x(m, k, xd);
  WgmmaParts parts;
  parts.count = static_cast<int>(host.size());
  int cols = 0;
  for (int i = 0; i < parts.count; ++i) {
    parts.part[i] = host[i]->device(cols);
    parts.first_tile[i + 1] = parts.first_tile[i] + (host[i]->n + 64 * WG - 1) / (64 * WG);
    cols += host[i]->n;
  }
  const int kgroups = (k + 63) / 64, row_tiles = parts.first_tile[parts.count];
  const int tiles = row_tiles * ((m + N - 1) / N);
  WgmmaWork work;
  work.row_tiles = row_tiles;
  work.whole_tiles = tiles;
  work.kg_per_split = kgroups;
  std::vector<float> accum;
  if (plan != Plan::kWhole) {
    work.kg_per_split = (kgroups + splits - 1) / splits;
    work.splits = (kgroups + work.kg_per_split - 1) / work.kg_per_split;
    work.whole_tiles = plan == Plan::kSplit || plan == Plan::kCluster ? 0 : tiles / 2;
  }
  if (plan == Plan::kSplit || plan == Plan::kHalfSplit) {
    // The split tiles' sums, as launch_wgmma_rs lays them out.
    place_split_accum(parts, cols, 64 * WG, work);
    accum.assign(static_cast<size_t>(m) * work.ld_accum, NAN);  // zeroed before the product
    work.accum = accum.data();
  }
  std::vector<double> got(static_cast<size_t>(m) * cols);
  if constexpr (F32) {
    std::vector<float> y(got.size(), NAN);
    run_rs<N, WG, kStages, true>(parts, x.data(), m, y.data(), cols, work, pre_ordered);
    std::copy(y.begin(), y.end(), got.begin());
  } else {
    std::vector<bf16> y(got.size(), __float2bfloat16(NAN));
    run_rs<N, WG, kStages, false>(parts, x.data(), m, y.data(), cols, work, pre_ordered);
    for (size_t i = 0; i < y.size(); ++i) got[i] = __bfloat162float(y[i]);
  }
  // The split tiles' columns from the accumulator, as quant_finish_split takes them (NaN where
  // a split tile stored into y itself).
  for (int t = 0; t < m && work.accum; ++t)
    for (int c = 0; c < work.ld_accum; ++c) {
      double& g = got[static_cast<size_t>(t) * cols + work.accum_col0 + c];
      g = std::isnan(g) ? accum[static_cast<size_t>(t) * work.ld_accum + c] : NAN;
    }
  const std::string how = plan == Plan::kCluster || plan == Plan::kHalfCluster
                              ? " splits in clusters"
                              : " splits into the accumulator";
  const std::string plan_name =
      plan == Plan::kWhole ? "whole tiles"
      : plan == Plan::kSplit || plan == Plan::kCluster
          ? std::to_string(work.splits) + how
          : "half whole, half in " + std::to_string(work.splits) + how;
  const std::string name = std::string(what) + " m=" + std::to_string(m) + " " +
                           std::to_string(N) + " tokens, " + std::to_string(64 * WG) + " rows, " +
                           std::to_string(kStages) + " stages, " + plan_name +
                           (F32 ? ", float out" : "") +
                           (pre_ordered ? ", input written in the tiles' layout" : "");
  check(name, got, reference(host, xd, m), 8e-3);
}

// The reorder kernel and frag_act_offset (the producers' writes, FragActOut) put channel c of
// token t at the same element, every one at its own, and the reorder zeroes every other element
// (channels past k, tokens past m): m tokens of k channels in tiles of n_tile.
void test_layout(int m, int k, int n_tile) {
  std::vector<double> xd;
  const auto x = random_x(m, k, xd);
  const size_t elems = int4_frag_order_elems(m, k, n_tile);
  std::vector<bf16> xf(elems, __float2bfloat16(NAN));
  run_ctas(in_order((static_cast<int>(elems / 8) + 255) / 256), 256, 16,
           [&] { int4_frag_order_kernel(x.data(), m, k, n_tile, xf.data(), nullptr, 0); });
  std::vector<char> hit(elems, 0);
  int bad = 0;
  for (int t = 0; t < m; ++t)
    for (int c = 0; c < k; ++c) {
      const size_t at = frag_act_offset(t, c, (k + 63) / 64, n_tile);
      if (at >= elems || hit[at]++ ||
          __bfloat162float(xf[at]) != __bfloat162float(x[static_cast<size_t>(t) * k + c]))
        ++bad;
    }
  for (size_t i = 0; i < elems; ++i)
    if (!hit[i] && __bfloat162float(xf[i]) != 0.0f) ++bad;
  if (bad) ++g_failures;
  std::printf("%s layout: %d tokens x %d channels in tiles of %d (%d wrong)\n",
              bad ? "FAIL" : "ok  ", m, k, n_tile, bad);
}

// plan_work's CTAs for row_tiles x token_tiles tiles of kgroups k groups on `slots`, for the
// accumulator and for clusters: each tile's k groups exactly once (split s of a tile takes
// [s, s + 1) * kg_per_split, the last one cut at kgroups), no split without k groups, no more
// splits than allowed, whole tiles before split ones only with one token tile, none without
// capacity. Printed when `show` or wrong.
void check_plan(int row_tiles, int token_tiles, int slots, int kgroups, bool show) {
  // Clusters as the H200's GPCs of 16-18 SMs give them (a GPC a cluster), or the accumulator's
  // groups of CTAs anywhere.
  ClusterCapacity clusters, anywhere;
  for (int s = 2; s <= kMaxClusterSplits; ++s) clusters.of[s] = 8 * (slots / 8 / s);
  for (int s = 2; s <= kMaxSplits; ++s) anywhere.of[s] = slots / s;
  const WgmmaWork w = plan_work(row_tiles, token_tiles, slots, kgroups, clusters);
  const WgmmaWork a = plan_work(row_tiles, token_tiles, slots, kgroups, anywhere);
  const WgmmaWork none = plan_work(row_tiles, token_tiles, slots, kgroups, ClusterCapacity{});
  const int tiles = row_tiles * token_tiles;
  auto valid = [&](const WgmmaWork& v, int most) {
    return v.row_tiles == row_tiles && v.whole_tiles >= 0 && v.whole_tiles <= tiles &&
           v.splits >= 1 && v.splits <= most && (v.splits == 1) == (v.whole_tiles == tiles) &&
           (v.splits == 1 || ((v.splits - 1) * v.kg_per_split < kgroups &&
                              v.splits * v.kg_per_split >= kgroups &&
                              (token_tiles == 1 || v.whole_tiles == 0)));
  };
  const bool ok = valid(w, kMaxClusterSplits) && valid(a, kMaxSplits) &&
                  none.whole_tiles == tiles && none.splits == 1;
  if (!ok) ++g_failures;
  if (show || !ok)
    std::printf("%s %d tiles of %d k groups on %d slots: %d whole, the rest in %d splits "
                "(clusters: %d whole, the rest in %d)\n",
                ok ? "ok  " : "FAIL", tiles, kgroups, slots, a.whole_tiles, a.splits,
                w.whole_tiles, w.splits);
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
  const HostPart big = make_part(300, 256, 128), deep = make_part(200, 1024, 128);
  // kWgmmaShapes: 128 rows in 4 stages (the default) and in 6, 64 rows in 3, 256 rows in 4; the
  // ring wrapping (deep), three parts in one launch, 64- and 128-token tiles, partial ones.
  test_rs<128, 2, 4>({&deep}, 100, Plan::kWhole, 1, "[200x1024] g128");
  test_rs<128, 2, 4>({&deep}, 100, Plan::kHalfSplit, 3, "[200x1024] g128");
  test_rs<128, 2, 4>({&deep}, 100, Plan::kHalfCluster, 3, "[200x1024] g128");
  test_rs<128, 2, 4>({&g64}, 128, Plan::kSplit, 2, "[200x352] g64");
  test_rs<128, 2, 4>({&g64}, 128, Plan::kCluster, 2, "[200x352] g64");
  test_rs<64, 2, 4>({&g64}, 40, Plan::kWhole, 1, "[200x352] g64");
  test_rs<64, 2, 4, true>({&g64}, 40, Plan::kSplit, 3, "[200x352] g64");
  test_rs<64, 2, 4, true>({&g64}, 40, Plan::kCluster, 3, "[200x352] g64");
  test_rs<128, 2, 4>({&q, &kv, &kv}, 77, Plan::kWhole, 1, "q, k, v [128+40+40 x 384] g128");
  test_rs<128, 2, 4>({&q, &kv, &kv}, 128, Plan::kSplit, 2, "q, k, v [128+40+40 x 384] g128");
  test_rs<128, 2, 4, true>({&q, &kv, &kv}, 128, Plan::kHalfSplit, 3,
                           "q, k, v [128+40+40 x 384] g128");
  test_rs<128, 2, 4>({&q, &kv, &kv}, 128, Plan::kHalfCluster, 3,
                     "q, k, v [128+40+40 x 384] g128");
  test_rs<128, 1, 3>({&g128}, 128, Plan::kSplit, 3, "[136x512] g128");
  test_rs<64, 1, 3>({&one}, 64, Plan::kHalfSplit, 2, "[72x320] one group");
  test_rs<64, 1, 3>({&one}, 64, Plan::kCluster, 2, "[72x320] one group");
  test_rs<128, 2, 6>({&deep}, 128, Plan::kWhole, 1, "[200x1024] g128");
  test_rs<128, 4, 4>({&big}, 100, Plan::kSplit, 2, "[300x256] g128");
  test_rs<128, 4, 4>({&big}, 100, Plan::kCluster, 2, "[300x256] g128");
  // The input written in the tiles' layout by its producer (k % 64 == 0), the rest of the last
  // token tile NaN: partial token tiles, splits, clusters, three parts.
  test_rs<128, 2, 4>({&deep}, 100, Plan::kHalfSplit, 3, "[200x1024] g128", true);
  test_rs<128, 2, 4>({&deep}, 77, Plan::kHalfCluster, 3, "[200x1024] g128", true);
  test_rs<64, 2, 4, true>({&big}, 40, Plan::kSplit, 2, "[300x256] g128", true);
  test_rs<128, 2, 4>({&q, &kv, &kv}, 5, Plan::kSplit, 2, "q, k, v [128+40+40 x 384] g128", true);
  test_layout(100, 352, 128);
  test_layout(40, 1024, 64);
  test_layout(128, 384, 128);
  // plan_work on the 7B products at 128 tokens (row tiles of 128 on 2 x 132 slots: q/k/v, o,
  // gate/up, down), the 0.5B ones, and random shapes.
  check_plan(36, 1, 264, 56, true);
  check_plan(28, 1, 264, 56, true);
  check_plan(296, 1, 264, 56, true);
  check_plan(28, 1, 264, 296, true);
  check_plan(9, 2, 264, 14, true);
  check_plan(76, 1, 264, 14, true);
  for (int i = 0; i < 2000; ++i)
    check_plan(1 + static_cast<int>(g_rng() % 600), 1 + static_cast<int>(g_rng() % 2),
               1 + static_cast<int>(g_rng() % 400), 1 + static_cast<int>(g_rng() % 400), false);
  if (g_failures) {
    std::printf("%d check(s) FAILED (seed %llu)\n", g_failures,
                static_cast<unsigned long long>(seed));
    return 1;
  }
  std::printf("all emulated wgmma tile-product checks passed\n");
  return 0;
}
