// The QKV product's RoPE epilogue (GemvParams::rope_epilogue) against the two kernels it
// replaces, gemv() then rope_store(), on fresh random weights and inputs: q_out and the whole KV
// cache (slots that no token maps, and tokens without a slot, included) must be identical bit for
// bit, with the norm prologue and with the input normalized beforehand by rms_normalize (the
// large-product fallback). Also: gemv() refuses inconsistent RoPE parameters. Exits 77 (skipped)
// without a GPU.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/kernel_args.h"
#include "kernels/kernels.h"
#include "tests/engine/cuda_test_util.h"

using pagoda::cuda::bf16;
using pagoda::cuda::GemvParams;
using pagoda::cuda::RopeStoreParams;

using namespace cuda_test;

namespace {

constexpr int kHidden = 904;  // k: 113 chunks of 8, so the lanes' last batch is partial
constexpr int kBlockSize = 16, kNumBlocks = 5;
constexpr int kSlots = kBlockSize * kNumBlocks;

// Elements whose bits differ, and the largest difference of their values.
struct BitDiff {
  size_t count = 0;
  float max_abs = 0.0f;
};
BitDiff bit_diff(const std::vector<bf16>& a, const std::vector<bf16>& b) {
  BitDiff d;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::memcmp(&a[i], &b[i], sizeof(bf16)) == 0) continue;
    ++d.count;
    d.max_abs = std::max(d.max_abs, std::fabs(__bfloat162float(a[i]) - __bfloat162float(b[i])));
  }
  return d;
}

int count_nan(const std::vector<bf16>& v) {
  int n = 0;
  for (bf16 x : v) n += std::isnan(__bfloat162float(x)) ? 1 : 0;
  return n;
}

// One model shape's QKV weights, bias, norm weights, and rotary frequencies.
struct QkvLayer {
  int nh, nkv, hd, n;
  std::unique_ptr<DeviceBuffer<bf16>> w, bias, norm_w;
  DeviceBuffer<float> inv_freq;
  QkvLayer(int nh_, int nkv_, int hd_)
      : nh(nh_), nkv(nkv_), hd(hd_), n((nh_ + 2 * nkv_) * hd_), inv_freq(hd_ / 2) {
    w = to_device_bf16(random_bf16_values(static_cast<size_t>(n) * kHidden, -0.1f, 0.1f));
    bias = to_device_bf16(random_bf16_values(n, -2.0f, 2.0f));
    norm_w = to_device_bf16(random_bf16_values(kHidden, 0.5f, 1.5f));
    std::vector<float> f(hd / 2);
    const float theta = hd == 64 ? 1e6f : 5e5f;
    for (int i = 0; i < hd / 2; ++i) f[i] = std::pow(theta, -2.0f * i / hd);
    inv_freq.upload(f);
  }
};

// The outputs of one path: q_out [m, nh, hd] and both caches, downloaded.
struct RopeOutputs {
  std::vector<bf16> q, k, v;
};

struct Case {
  int m = 1;
  bool bias = false, norm_prologue = true;
  float rope_scale = 1.0f;
};

// Runs the case both ways from the same inputs and compares; returns whether all matched.
bool run_case(const QkvLayer& L, const Case& c) {
  const int m = c.m, k = kHidden;
  const float eps = 1e-6f;
  const auto res = random_bf16_values(static_cast<size_t>(m) * k, -3, 3);
  std::vector<float> sumsq(m);
  for (int t = 0; t < m; ++t) {
    double ss = 0;
    for (int i = 0; i < k; ++i) ss += double(res[t * k + i]) * res[t * k + i];
    sumsq[t] = static_cast<float>(ss);
  }
  // Distinct random slots and positions; token 1 (when there is one) has no slot.
  std::vector<int> perm(kSlots);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), g_rng);
  std::vector<int32_t> pos(m), slots(m);
  for (int t = 0; t < m; ++t) {
    pos[t] = t == 2 ? 30000 + uniform_int(0, 2000) : uniform_int(0, 5000);
    slots[t] = t == 1 ? -1 : perm[t];
  }
  DeviceBuffer<float> d_res(res.size()), d_ss(m);
  d_res.upload(res);
  d_ss.upload(sumsq);
  DeviceBuffer<int32_t> d_pos(m), d_slots(m);
  d_pos.upload(pos);
  d_slots.upload(slots);
  DeviceBuffer<bf16> normed(static_cast<size_t>(m) * k), qkv(static_cast<size_t>(m) * L.n);
  const size_t cache_elems = static_cast<size_t>(kSlots) * L.nkv * L.hd;
  std::vector<bf16> cache0;  // what untouched slots must keep
  for (float x : random_bf16_values(cache_elems)) cache0.push_back(__float2bfloat16(x));

  auto run_path = [&](bool fused) {
    DeviceBuffer<bf16> q(static_cast<size_t>(m) * L.nh * L.hd), kc(cache_elems), vc(cache_elems);
    q.poison();
    kc.upload(cache0);
    vc.upload(cache0);
    RopeStoreParams rp = pagoda::cuda::rope_store_params(
        qkv.ptr, d_pos.ptr, d_slots.ptr, L.inv_freq.ptr, q.ptr, kc.ptr, vc.ptr, m,
        {L.nh, L.nkv, L.hd});
    rp.bias = c.bias ? L.bias->ptr : nullptr;
    rp.eps = eps;
    rp.rope_scale = c.rope_scale;
    GemvParams p;
    if (c.norm_prologue) {
      p.norm_residual = d_res.ptr, p.norm_sumsq = d_ss.ptr, p.norm_weight = L.norm_w->ptr;
    } else {  // forward_fused's fallback for products too large for the prologue
      pagoda::cuda::rms_normalize(d_res.ptr, d_ss.ptr, L.norm_w->ptr, normed.ptr, m, k, eps, 0);
      p.x = normed.ptr;
    }
    p.eps = eps, p.w = L.w->ptr, p.m = m, p.n = L.n, p.k = k;
    if (fused) {
      p.rope_epilogue = true;
      p.rope = rp;
      expect(pagoda::cuda::gemv(p, 0), "gemv takes the RoPE epilogue");
    } else {
      qkv.poison();
      p.y = qkv.ptr;
      expect(pagoda::cuda::gemv(p, 0), "gemv takes the QKV product");
      pagoda::cuda::rope_store(rp, 0);
    }
    CUDA_OK(cudaGetLastError());
    CUDA_OK(cudaDeviceSynchronize());
    return RopeOutputs{q.download(), kc.download(), vc.download()};
  };
  const RopeOutputs ref = run_path(false), got = run_path(true);

  char what[200];
  std::snprintf(what, sizeof what, "hd=%d nh=%d nkv=%d m=%d bias=%d %s rope_scale=%g", L.hd, L.nh,
                L.nkv, m, c.bias, c.norm_prologue ? "norm prologue" : "rms_normalize input",
                c.rope_scale);
  bool ok = true;
  auto check = [&](bool cond, const char* part) {
    if (cond) return;
    char msg[480];
    std::snprintf(msg, sizeof msg, "%s: %s", what, part);
    expect(false, msg);
    ok = false;
  };
  auto same = [&](const std::vector<bf16>& g, const std::vector<bf16>& r, const char* part) {
    const BitDiff d = bit_diff(g, r);
    char msg[160];
    std::snprintf(msg, sizeof msg, "%s: %zu of %zu elements differ from gemv + rope_store (max %g)",
                  part, d.count, r.size(), d.max_abs);
    check(g.size() == r.size() && d.count == 0, msg);
  };
  same(got.q, ref.q, "q_out");
  same(got.k, ref.k, "k cache");
  same(got.v, ref.v, "v cache");
  check(count_nan(got.q) == 0, "q_out has unwritten elements");
  // The reference itself: exactly the mapped slots changed (rows of random bf16 values can
  // coincide with the written ones only by chance, so count rows that differ anywhere).
  const size_t row = static_cast<size_t>(L.nkv) * L.hd;
  int changed = 0, mapped = 0;
  for (int s = 0; s < kSlots; ++s)
    changed += std::memcmp(ref.k.data() + s * row, cache0.data() + s * row, row * sizeof(bf16)) !=
               0;
  for (int t = 0; t < m; ++t) mapped += slots[t] >= 0;
  check(changed == mapped, "gemv + rope_store changed other cache slots than the mapped ones");
  return ok;
}

// gemv() refuses RoPE parameters that do not describe the product.
void test_refusals() {
  // A product of 32 rows (nh 2, nkv 1, hd 8), k 64, two tokens; q_out, k and v caches in `out`.
  DeviceBuffer<bf16> x(2 * 64), w(32 * 64), out(3 * 128);
  DeviceBuffer<int32_t> ints(8);
  DeviceBuffer<float> freq(8);
  // Zero inputs, positions and slots: the one consistent call below really runs.
  x.upload(std::vector<bf16>(x.n, __float2bfloat16(0.0f)));
  w.upload(std::vector<bf16>(w.n, __float2bfloat16(0.0f)));
  CUDA_OK(cudaMemset(ints.ptr, 0, 8 * sizeof(int32_t)));
  CUDA_OK(cudaMemset(freq.ptr, 0, 8 * sizeof(float)));
  auto good = [&] {
    GemvParams p;
    p.x = x.ptr, p.w = w.ptr, p.m = 2, p.k = 64;
    p.rope_epilogue = true;
    p.rope = pagoda::cuda::rope_store_params(nullptr, ints.ptr, ints.ptr, freq.ptr, out.ptr,
                                             out.ptr + 128, out.ptr + 256, 2, {2, 1, 8});
    p.n = (2 + 2 * 1) * 8;
    return p;
  };
  struct Bad {
    const char* what;
    void (*spoil)(GemvParams&);
  };
  const Bad bad[] = {
      {"odd head dim", [](GemvParams& p) { p.rope.hd = 7, p.n = 4 * 7; }},
      {"n other than (nh + 2 nkv) hd", [](GemvParams& p) { p.n += 16; }},
      {"tokens other than m", [](GemvParams& p) { p.rope.tokens = 3; }},
      {"no kv heads", [](GemvParams& p) { p.rope.nkv = 0, p.n = 16; }},
      {"q/k norms", [](GemvParams& p) { p.rope.q_norm = p.x; }},
      {"y as well", [](GemvParams& p) { p.y = p.rope.q_out; }},
      {"SwiGLU as well", [](GemvParams& p) { p.swiglu = true; }},
      {"float32 output", [](GemvParams& p) { p.out_f32 = true; }},
      {"the residual epilogue as well",
       [](GemvParams& p) {
         p.residual = reinterpret_cast<float*>(p.rope.q_out);
         p.sumsq_out = reinterpret_cast<float*>(p.rope.k_cache);
       }},
      {"no slots", [](GemvParams& p) { p.rope.slots = nullptr; }},
      {"no positions", [](GemvParams& p) { p.rope.positions = nullptr; }},
      {"no rotary frequencies", [](GemvParams& p) { p.rope.inv_freq = nullptr; }},
      {"no v cache", [](GemvParams& p) { p.rope.v_cache = nullptr; }},
  };
  for (const Bad& b : bad) {
    GemvParams p = good();
    b.spoil(p);
    char msg[120];
    std::snprintf(msg, sizeof msg, "gemv refuses the RoPE epilogue with %s", b.what);
    expect(!pagoda::cuda::gemv(p, 0), msg);
  }
  GemvParams p = good();
  expect(pagoda::cuda::gemv(p, 0), "gemv takes the consistent RoPE parameters of the refusals");
  CUDA_OK(cudaDeviceSynchronize());
  std::printf("  gemv rope refusals: %zu inconsistent parameter sets checked\n", std::size(bad));
}

}  // namespace

int main() {
  if (!have_gpu()) return 77;
  const uint64_t seed = seed_rng();
  test_refusals();
  struct Heads {
    int nh, nkv;
  };
  for (int hd : {64, 128}) {
    for (Heads h : {Heads{14, 2}, Heads{28, 4}, Heads{32, 8}}) {
      const QkvLayer layer(h.nh, h.nkv, hd);
      int cases = 0, passed = 0;
      for (int m = 1; m <= pagoda::cuda::kGemvMaxTokens; ++m)
        for (bool bias : {false, true})
          for (bool norm : {true, false})
            for (float scale : {1.0f, 1.1386f}) {
              ++cases;
              passed += run_case(layer, {m, bias, norm, scale});
            }
      std::printf("  gemv rope epilogue hd=%d nh=%d nkv=%d: %d/%d cases bit-identical\n", hd,
                  h.nh, h.nkv, passed, cases);
    }
  }
  if (g_failures) {
    std::printf("%d check(s) FAILED (seed %llu)\n", g_failures,
                static_cast<unsigned long long>(seed));
    return 1;
  }
  std::printf("all gemv RoPE epilogue checks passed\n");
  return 0;
}
