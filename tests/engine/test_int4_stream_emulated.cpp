// The streaming int4 product's kernel source (kernels/quant_int4_stream.cu, copied at configure
// time without its PTX primitives and host launchers) run on the CPU through mma_emulation.h,
// against float64 on random weights in fragment order: checks its persistent walk over row
// blocks (grids smaller than the block count) and one block per CTA, the per-lane register
// pipeline (slots refilled across row-block boundaries, items of fewer positions than slots,
// padded positions), warps without k groups, partial k groups, multi-part linears, and the
// store, residual and SwiGLU epilogues, on machines without a GPU. The mma fragment layout itself is checked on the GPU (test_cuda_quant).
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "int4_stream_emulated.cpp"
#include "tests/engine/int4_frag_test_util.h"

namespace {

using namespace pagoda::cuda;
using namespace int4_frag_test;

// The kernel over grid CTAs, one at a time, a std::thread per CUDA thread.
// A: k groups ahead per lane.
template <int W, int A, int PARTS, int EPI, bool XS = false>
void run(const StreamParams& p, int grid) {
  std::vector<unsigned char> smem(partial_bytes(W, 2) + (XS ? staged_bytes(p.k, p.a.m) : 0));
  emu::grid_dim.x = grid;
  for (int bx = 0; bx < grid; ++bx)
    emu::run_block(W * 32, smem, bx, 0, 0, [&] { int4_stream_kernel<W, A, PARTS, EPI, XS, 1>(p); });
}

StreamParams params(const std::vector<const HostPart*>& parts, bool swiglu) {
  StreamParams p;
  p.parts.count = static_cast<int>(parts.size());
  int row0 = 0;
  for (int i = 0; i < p.parts.count; ++i) {
    p.parts.part[i] = parts[i]->device(swiglu ? 0 : row0);
    row0 += parts[i]->n;
    p.parts.first_block[i + 1] = p.parts.first_block[i] + (parts[i]->n + 15) / 16;
  }
  p.k = parts.front()->k;
  p.kgroups = (p.k + 63) / 64;
  p.items = swiglu ? (parts[0]->n + 15) / 16 : p.parts.first_block[p.parts.count];
  for (int i = p.parts.count; i < kInt4MaxParts; ++i) {  // as int4_stream_product fills them
    p.parts.part[i] = p.parts.part[0];
    p.parts.first_block[i + 1] = p.items;
  }
  return p;
}

// XS: the activations copied into shared memory once per CTA (the only way the kernel takes a
// partial last k group: the staged copy is zero-padded).
template <int W, int S, bool XS = false>
void test_store(const std::vector<const HostPart*>& parts, int grid, bool f32, const char* what) {
  int total = 0;
  for (const HostPart* h : parts) total += h->n;
  for (int m = 1; m <= kInt4StreamMaxRows; ++m) {
    std::vector<double> xd;
    const auto x = random_x(m, parts.front()->k, xd);
    StreamParams p = params(parts, false);
    p.a.x = x.data(), p.a.m = m, p.a.ldy = total, p.a.out_f32 = f32;
    std::vector<float> yf(static_cast<size_t>(m) * total, NAN);
    std::vector<bf16> yb(yf.size(), __float2bfloat16(NAN));
    p.a.y = f32 ? static_cast<void*>(yf.data()) : static_cast<void*>(yb.data());
    if (parts.size() > 1)
      run<W, S, 3, kStreamBf16, XS>(p, grid);
    else if (f32)
      run<W, S, 1, kStreamF32, XS>(p, grid);
    else
      run<W, S, 1, kStreamBf16, XS>(p, grid);
    std::vector<double> got(yf.size());
    for (size_t i = 0; i < got.size(); ++i) got[i] = f32 ? yf[i] : __bfloat162float(yb[i]);
    check(std::string(what) + (XS ? " staged" : "") + " m=" + std::to_string(m), got,
          reference(parts, xd, m), f32 ? 1e-5 : 8e-3);
  }
}

// The norm prologue staged per CTA (XS), q/k/v store: against float64 on the bf16 activations
// rms_normalize would give.
template <int W, int S>
void test_staged_norm(const std::vector<const HostPart*>& parts, int grid) {
  int total = 0;
  for (const HostPart* h : parts) total += h->n;
  const int k = parts.front()->k;
  const float eps = 1e-6f;
  for (int m = 1; m <= kInt4StreamMaxRows; ++m) {
    std::uniform_real_distribution<float> dist(-3.0f, 3.0f), wdist(0.5f, 1.5f);
    std::vector<float> res(static_cast<size_t>(m) * k), sumsq(m, 0.0f);
    std::vector<bf16> nw(k);
    for (float& r : res) r = dist(g_rng);
    for (bf16& v : nw) v = __float2bfloat16(wdist(g_rng));
    std::vector<double> xd(res.size());
    for (int t = 0; t < m; ++t) {
      double sq = 0;
      for (int c = 0; c < k; ++c) sq += double(res[t * k + c]) * res[t * k + c];
      sumsq[t] = static_cast<float>(sq);
      const float inv = 1.0f / std::sqrt(sumsq[t] / k + eps);
      for (int c = 0; c < k; ++c)
        xd[t * k + c] = __bfloat162float(__float2bfloat16(res[t * k + c] * inv * __bfloat162float(nw[c])));
    }
    StreamParams p = params(parts, false);
    p.a.m = m, p.a.ldy = total;
    p.a.norm_residual = res.data(), p.a.norm_sumsq = sumsq.data(), p.a.norm_weight = nw.data();
    p.a.eps = eps;
    std::vector<bf16> y(static_cast<size_t>(m) * total, __float2bfloat16(NAN));
    p.a.y = y.data();
    run<W, S, 3, kStreamBf16, true>(p, grid);
    std::vector<double> got(y.size());
    for (size_t i = 0; i < got.size(); ++i) got[i] = __bfloat162float(y[i]);
    check("staged norm, store 3 parts m=" + std::to_string(m), got, reference(parts, xd, m), 8e-3);
  }
}

template <int W, int S, bool XS = false>
void test_residual(const HostPart& part, int grid) {
  for (int m = 1; m <= kInt4StreamMaxRows; ++m) {
    std::vector<double> xd;
    const auto x = random_x(m, part.k, xd);
    std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
    std::vector<float> res(static_cast<size_t>(m) * part.n), sumsq(m, 0.0f);
    for (float& r : res) r = dist(g_rng);
    const std::vector<float> res0 = res;
    StreamParams p = params({&part}, false);
    p.a.x = x.data(), p.a.m = m, p.a.ldy = part.n;
    p.a.residual = res.data(), p.a.sumsq_out = sumsq.data();
    p.a.epilogue = Int4Epilogue::kResidual;
    run<W, S, 1, kStreamResidual, XS>(p, grid);
    const auto prod = reference({&part}, xd, m);
    std::vector<double> got(res.size()), want(res.size()), ss(m), ss_want(m, 0.0);
    for (size_t i = 0; i < res.size(); ++i) {
      got[i] = res[i] - res0[i];
      want[i] = prod[i];
      ss_want[i / part.n] += double(res[i]) * res[i];
    }
    for (int t = 0; t < m; ++t) ss[t] = sumsq[t];
    check(std::string(XS ? "staged " : "") + "residual [" + std::to_string(part.n) + "x" + std::to_string(part.k) + "] m=" +
              std::to_string(m), got, want, 8e-3);
    check("  its sums of squares", ss, ss_want, 1e-5);
  }
}

template <int W, int S, bool XS = false>
void test_swiglu(const HostPart& gate, const HostPart& up, int grid) {
  for (int m = 1; m <= kInt4StreamMaxRows; ++m) {
    std::vector<double> xd;
    const auto x = random_x(m, gate.k, xd);
    std::vector<bf16> y(static_cast<size_t>(m) * gate.n, __float2bfloat16(NAN));
    StreamParams p = params({&gate, &up}, true);
    p.a.x = x.data(), p.a.m = m, p.a.y = y.data(), p.a.ldy = gate.n;
    p.a.epilogue = Int4Epilogue::kSwiglu;
    run<W, S, 2, kStreamSwiglu, XS>(p, grid);
    const auto g = reference({&gate}, xd, m), u = reference({&up}, xd, m);
    std::vector<double> got(y.size()), want(y.size());
    for (size_t i = 0; i < y.size(); ++i) {
      got[i] = __bfloat162float(y[i]);
      want[i] = g[i] / (1.0 + std::exp(-g[i])) * u[i];
    }
    check(std::string(XS ? "staged " : "") + "SwiGLU [2x" + std::to_string(gate.n) + "x" + std::to_string(gate.k) + "] m=" +
              std::to_string(m), got, want, 1.5e-2);
  }
}

// The RoPE epilogue on staged copied activations: q into q_out, k and v into the cache rows of
// each token's slot (none for a slot < 0), against float64 of rope_store's steps on the
// bf16-rounded products.
template <int W, int S>
void test_rope(const std::vector<const HostPart*>& parts, int nh, int nkv, int hd, int grid) {
  const int k = parts.front()->k, total = (nh + 2 * nkv) * hd, half = hd / 2;
  const int block_slots = 8;  // cache rows
  for (int m = 1; m <= kInt4StreamMaxRows; ++m) {
    std::vector<double> xd;
    const auto x = random_x(m, k, xd);
    std::vector<bf16> bias(total);
    std::uniform_real_distribution<float> bdist(-0.5f, 0.5f);
    for (bf16& b : bias) b = __float2bfloat16(bdist(g_rng));
    std::vector<int32_t> positions(m), slots(m);
    for (int t = 0; t < m; ++t) {
      positions[t] = static_cast<int32_t>(g_rng() % 4000);
      slots[t] = t == 1 ? -1 : static_cast<int32_t>((3 * t + 5) % block_slots);
    }
    std::vector<float> inv_freq(half);
    for (int d = 0; d < half; ++d) inv_freq[d] = std::pow(10000.0f, -2.0f * d / hd);
    std::vector<bf16> q_out(static_cast<size_t>(m) * nh * hd, __float2bfloat16(NAN));
    std::vector<bf16> kc(static_cast<size_t>(block_slots) * nkv * hd, __float2bfloat16(NAN)),
        vc(kc.size(), __float2bfloat16(NAN));
    StreamParams p = params(parts, false);
    p.a.x = x.data(), p.a.m = m;
    p.a.epilogue = Int4Epilogue::kRope;
    RopeStoreParams& r = p.a.rope;
    r.bias = bias.data(), r.positions = positions.data(), r.slots = slots.data();
    r.inv_freq = inv_freq.data(), r.rope_scale = 0.75f;
    r.q_out = q_out.data(), r.k_cache = kc.data(), r.v_cache = vc.data();
    r.tokens = m, r.nh = nh, r.nkv = nkv, r.hd = hd;
    p.items = (nh + 2 * nkv) * (hd / 32);
    for (int i = p.parts.count; i < kInt4MaxParts; ++i) p.parts.first_block[i + 1] = p.items;
    run<W, S, 3, kStreamRope, true>(p, grid);
    const auto y = reference(parts, xd, m);
    std::vector<double> got, want;
    bool untouched = true;  // the cache rows of no slot keep their NaN
    for (int t = 0; t < m; ++t)
      for (int h = 0; h < nh + 2 * nkv; ++h)
        for (int d = 0; d < half; ++d) {
          const size_t at = static_cast<size_t>(t) * total + h * hd + d;
          double x0 = __bfloat162float(__float2bfloat16(static_cast<float>(y[at]))) +
                      __bfloat162float(bias[h * hd + d]);
          double x1 = __bfloat162float(__float2bfloat16(static_cast<float>(y[at + half]))) +
                      __bfloat162float(bias[h * hd + d + half]);
          if (h < nh + nkv) {
            const double a = positions[t] * double(inv_freq[d]);
            const double c = std::cos(a) * 0.75, s = std::sin(a) * 0.75;
            const double y0 = x0 * c - x1 * s, y1 = x1 * c + x0 * s;
            x0 = y0, x1 = y1;
          }
          const bf16* dst = nullptr;
          if (h < nh) {
            dst = q_out.data() + (static_cast<size_t>(t) * nh + h) * hd;
          } else {
            const bool is_k = h < nh + nkv;
            const int kvh = is_k ? h - nh : h - nh - nkv;
            if (slots[t] < 0) continue;
            dst = (is_k ? kc.data() : vc.data()) + (static_cast<size_t>(slots[t]) * nkv + kvh) * hd;
          }
          got.push_back(__bfloat162float(dst[d]));
          got.push_back(__bfloat162float(dst[d + half]));
          want.push_back(x0);
          want.push_back(x1);
        }
    // Slot rows no token wrote stay NaN (the token without a slot wrote nowhere).
    for (int slot = 0; slot < block_slots; ++slot) {
      bool used = false;
      for (int t = 0; t < m; ++t) used = used || slots[t] == slot;
      if (!used)
        for (int i = 0; i < nkv * hd; ++i)
          untouched = untouched && std::isnan(__bfloat162float(kc[slot * nkv * hd + i])) &&
                      std::isnan(__bfloat162float(vc[slot * nkv * hd + i]));
    }
    if (!untouched) {
      std::printf("FAIL: RoPE wrote a cache row of no token's slot\n");
      ++g_failures;
    }
    check("RoPE [" + std::to_string(nh) + "+2x" + std::to_string(nkv) + " heads of " +
              std::to_string(hd) + "] m=" + std::to_string(m),
          got, want, 8e-3);
  }
}

}  // namespace

int main() {
  const uint64_t seed = std::random_device{}();
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  g_rng.seed(seed);
  // q, k, v of odd row counts: 10 row blocks over 2 CTAs, 3 slots across block boundaries.
  const HostPart q = make_part(40, 320, 64), kp = make_part(24, 320, 64), v = make_part(72, 320, 64);
  test_store<4, 3>({&q, &kp, &v}, 2, false, "store bf16 3 parts [136x320] g64 4w x 3");
  test_store<8, 4>({&q, &kp, &v}, 10, false, "store bf16 3 parts, a CTA per row block 8w x 4");
  // One group, more warps (8) than k groups (6); a partial last k group (352 = 5.5 x 64) staged.
  const HostPart one = make_part(50, 384, 1 << 20), ragged = make_part(50, 352, 1 << 20);
  test_store<8, 4>({&one}, 3, true, "store f32 [50x384] one group 8w x 4");
  test_store<8, 4, true>({&one}, 3, true, "store f32 [50x384] one group 8w x 4");
  test_store<8, 4, true>({&ragged}, 3, true, "store f32 [50x352] one group 8w x 4");
  test_store<4, 2, true>({&ragged}, 1, false, "store bf16 [50x352] one group, 1 CTA x 2");
  const HostPart down = make_part(56, 256, 128);
  test_residual<4, 5>(down, 2);  // 5 slots, 1 position an item: slots span 5 items
  const HostPart gate = make_part(40, 192, 64), up = make_part(40, 192, 64);
  test_swiglu<4, 3>(gate, up, 2);
  // Activations staged once per CTA: normalized (q/k/v), copied (residual, SwiGLU; 352 = 5.5
  // k groups).
  test_staged_norm<4, 3>({&q, &kp, &v}, 2);
  test_residual<8, 4, true>(make_part(40, 352, 1 << 20), 2);
  test_swiglu<4, 3, true>(gate, up, 2);
  // RoPE: heads of 64 rows (two items a head) and 32 (one), GQA, a token without a cache slot.
  {
    const HostPart rq = make_part(4 * 64, 320, 64), rk = make_part(2 * 64, 320, 64),
                   rv = make_part(2 * 64, 320, 64);
    test_rope<4, 3>({&rq, &rk, &rv}, 4, 2, 64, 3);
    const HostPart sq = make_part(2 * 32, 192, 128), sk = make_part(32, 192, 128),
                   sv = make_part(32, 192, 128);
    test_rope<8, 2>({&sq, &sk, &sv}, 2, 1, 32, 64);  // a CTA per item
  }
  if (g_failures) {
    std::printf("%d check(s) FAILED (seed %llu)\n", g_failures, static_cast<unsigned long long>(seed));
    return 1;
  }
  std::printf("all emulated streaming-product checks passed\n");
  return 0;
}
