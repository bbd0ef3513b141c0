// The quantized-weight kernels against float64 references on fresh random packed data: every
// checkpoint format (AWQ groups 32/64/128, GPTQ 4/8-bit sym/asym, act order with a shuffled
// g_idx, group -1, both checkpoint formats, FP8 block-wise with partial blocks and per tensor),
// through the loader's repacking, the fused GEMV at 1..8 rows (bf16 and float32 outputs, a fused
// two-part linear), the tensor-core tiles at 9..130 rows and the dequantize kernel; for int4 in
// fragment order, every launch variant of the streaming product at 1..4 rows and its fused decode
// epilogues (residual, SwiGLU, norm prologue) bit for bit against the store epilogue. Prints the
// products' timings (every variant at 1, 2 and 4 rows on the 7B and 0.5B shapes). Exits 77
// (skipped) without a GPU.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tests/engine/cuda_test_util.h"
#include "engine/model/quant_weights.h"
#include "kernels/int4_act_layout.cuh"
#include "kernels/quant_linear.h"
#include "tests/engine/quant_test_pack.h"

using namespace cuda_test;
using bf16 = __nv_bfloat16;

namespace {

// The most tokens QuantLinears::gemv takes for int4 in fragment order on this GPU.
int frag_most() {
  return pagoda::cuda::int4_wgmma_ready() ? pagoda::cuda::kQuantFragChunkedMaxRows
                                          : pagoda::cuda::kQuantFragMaxRows;
}

// PAGODA_QUANT_SWEEP=0 (the memcheck run): the streaming product's default variant only.
bool full_sweep() {
  const char* v = std::getenv("PAGODA_QUANT_SWEEP");
  return !(v && std::string(v) == "0");
}

double rel_error(const std::vector<float>& out, const std::vector<double>& ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    if (!std::isfinite(out[i])) return INFINITY;
    num += (out[i] - ref[i]) * (out[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  return std::sqrt(num / std::max(den, 1e-30));
}

void check(const std::string& what, const std::vector<float>& out, const std::vector<double>& ref,
           double tol) {
  const double e = rel_error(out, ref);
  std::printf("  %-64s rel err %.2e\n", what.c_str(), e);
  char msg[256];
  std::snprintf(msg, sizeof msg, "%s: relative error %.3e > %.1e", what.c_str(), e, tol);
  expect(e <= tol, msg);
}

std::vector<bf16> to_bf16(const std::vector<float>& v) {
  std::vector<bf16> b(v.size());
  for (size_t i = 0; i < v.size(); ++i) b[i] = __float2bfloat16(v[i]);
  return b;
}

size_t bit_mismatches(const std::vector<bf16>& a, const std::vector<bf16>& b) {
  size_t bad = 0;
  for (size_t i = 0; i < a.size(); ++i)
    bad += std::memcmp(&a[i], &b[i], sizeof(bf16)) != 0;
  return bad;
}

// The RoPE epilogue of a q/k/v linear (three parts whose rows are whole heads) with the norm
// inside, bit for bit against the store of the same product (stored: the bf16 products of q,
// [m, n]) followed by rope_store; a token without a cache slot writes no cache row. Heads of
// 128, 64 or 32 rows, whichever divides the parts (none: nothing to check). normed: the
// backend's scratch for the norm where the product does not take it (permuted inputs).
void test_rope_epilogue(const pagoda::cuda::QuantLinears& linears,
                        const pagoda::cuda::QuantLinear& lin, const pagoda::cuda::GemvParams& q,
                        const std::vector<bf16>& stored, bf16* normed, const std::string& name) {
  using pagoda::cuda::QuantLinears;
  if (lin.parts.size() != 3 || lin.parts[1].n != lin.parts[2].n) return;
  int hd = 0;
  for (int d : {128, 64, 32})
    if (!hd && lin.parts[0].n % d == 0 && lin.parts[1].n % d == 0) hd = d;
  if (!hd) return;
  const int m = q.m, n = lin.n, nh = lin.parts[0].n / hd, nkv = lin.parts[1].n / hd;
  const int cache_rows = 8;
  std::vector<int32_t> positions(m), slots(m);
  for (int t = 0; t < m; ++t) {
    positions[t] = static_cast<int32_t>(g_rng() % 30000);
    slots[t] = t == 1 ? -1 : (5 * t + 3) % cache_rows;
  }
  std::vector<float> inv_freq(hd / 2);
  for (int d = 0; d < hd / 2; ++d) inv_freq[d] = std::pow(1e6f, -2.0f * d / hd);
  DeviceBuffer<int32_t> dpos(m), dslots(m);
  DeviceBuffer<float> dfreq(inv_freq.size());
  DeviceBuffer<bf16> bias(n), qkv(static_cast<size_t>(m) * n);
  dpos.upload(positions), dslots.upload(slots), dfreq.upload(inv_freq);
  bias.upload(to_bf16(random_bf16_values(n, -0.5f, 0.5f)));
  qkv.upload(stored);
  const size_t q_elems = static_cast<size_t>(m) * nh * hd, c_elems = static_cast<size_t>(cache_rows) * nkv * hd;
  std::vector<bf16> got[2][3];  // [in product][q, k cache, v cache]
  for (int in_product : {0, 1}) {
    DeviceBuffer<bf16> q_out(q_elems), kc(c_elems), vc(c_elems);
    q_out.poison(), kc.poison(), vc.poison();
    pagoda::cuda::RopeStoreParams r;
    r.qkv = qkv.ptr, r.bias = bias.ptr, r.positions = dpos.ptr, r.slots = dslots.ptr;
    r.inv_freq = dfreq.ptr, r.rope_scale = 1.25f, r.q_out = q_out.ptr;
    r.k_cache = kc.ptr, r.v_cache = vc.ptr, r.tokens = m, r.nh = nh, r.nkv = nkv, r.hd = hd;
    if (in_product) {
      pagoda::cuda::GemvParams p = q;
      p.n = n, p.swiglu = false, p.y = qkv.ptr, p.rope_epilogue = true, p.rope = r;
      expect(QuantLinears::rope_in_product(lin, p) == !lin.permuted,
             (name + ": RoPE inside the product where the norm is").c_str());
      expect(linears.fused_product(lin, p, normed, nullptr), "RoPE epilogue launched");
    } else {
      pagoda::cuda::rope_store(r, nullptr);  // on the stored products
    }
    CUDA_OK(cudaDeviceSynchronize());
    got[in_product][0] = q_out.download(), got[in_product][1] = kc.download();
    got[in_product][2] = vc.download();
  }
  const char* what[3] = {"q", "k cache", "v cache"};
  for (int i = 0; i < 3; ++i) {
    const size_t bad = bit_mismatches(got[0][i], got[1][i]);
    if (bad)
      std::printf("  %s RoPE %s: %zu of %zu values differ\n", name.c_str(), what[i], bad,
                  got[0][i].size());
    expect(bad == 0, (name + ": RoPE epilogue " + what[i] + " != store + rope_store").c_str());
  }
}

// The fused decode layer's uses of an int4 linear (QuantLinears::fused_product) for every
// streaming variant and 1..4 tokens: the residual epilogue (one part) and SwiGLU (two equal
// parts) bit for bit against the store epilogue followed by the unfused path's arithmetic
// (residual += bf16 product; silu_mul), the sums of squares against the host, and the norm
// prologue against float64.
void test_fused_epilogues(const pagoda::cuda::QuantLinears& linears,
                          const pagoda::cuda::QuantLinear& lin, const std::vector<double>& w,
                          const std::string& name) {
  using pagoda::cuda::QuantLinears;
  const int n = lin.n, k = lin.k;
  const int default_variant = pagoda::cuda::int4_stream_variant();
  pagoda::cuda::set_int4_stream_variant(1);  // (the support does not depend on which)
  const bool residual_ok = QuantLinears::fused_supported(lin, false, true);
  const bool swiglu_ok = QuantLinears::fused_supported(lin, true, false);
  expect(residual_ok == (lin.parts.size() == 1), (name + ": residual epilogue support").c_str());
  const float eps = 1e-6f;
  for (int variant = 1; variant <= pagoda::cuda::int4_stream_variants(); ++variant) {
    if (!full_sweep() && variant != std::max(default_variant, 1)) continue;
    pagoda::cuda::set_int4_stream_variant(variant);
    for (int m = 1; m <= pagoda::cuda::kInt4StreamMaxRows; ++m) {
      const std::string tag = " m=" + std::to_string(m) + " v" + std::to_string(variant);
      const auto xv = random_bf16_values(static_cast<size_t>(m) * k);
      DeviceBuffer<bf16> dx(xv.size());
      dx.upload(to_bf16(xv));
      pagoda::cuda::GemvParams p;
      p.x = dx.ptr, p.m = m, p.k = k;  // (p.w is lin's key in the backend; unused here)
      // Inputs read where used (stage mode 0) and staged per CTA where they fit (mode 2): the
      // epilogue and the store then run the same arithmetic (mode 1 follows the load-time pick).
      const int epilogue_mode = pagoda::cuda::int4_stream_stage_mode();
      for (int mode : {0, 2}) {
        pagoda::cuda::set_int4_stream_stage_mode(mode);
        const std::string mtag = tag + (mode ? " staged" : "");
        // The store epilogue, [m, n] bf16: what the unfused path's next kernel reads.
        DeviceBuffer<bf16> stored(static_cast<size_t>(m) * n);
        expect(linears.gemv(lin, dx.ptr, stored.ptr, m, false, nullptr), "store product");
        CUDA_OK(cudaDeviceSynchronize());
        const auto st = stored.download();
        if (residual_ok) {
          const auto res0 = random_bf16_values(static_cast<size_t>(m) * n, -4.0f, 4.0f);
          DeviceBuffer<float> res(res0.size()), sumsq(m);
          res.upload(res0);
          CUDA_OK(cudaMemset(sumsq.ptr, 0, m * sizeof(float)));
          p.n = n, p.residual = res.ptr, p.sumsq_out = sumsq.ptr;
          expect(linears.fused_product(lin, p, nullptr, nullptr), "residual epilogue launched");
          CUDA_OK(cudaDeviceSynchronize());
          const auto got = res.download(), ss = sumsq.download();
          size_t bad = 0;
          for (int t = 0; t < m; ++t) {
            double sq = 0;
            for (int r = 0; r < n; ++r) {
              const size_t i = static_cast<size_t>(t) * n + r;
              const float want = res0[i] + __bfloat162float(st[i]);
              bad += std::memcmp(&want, &got[i], sizeof(float)) != 0;
              sq += double(want) * want;
            }
            expect(std::fabs(ss[t] - sq) <= 1e-4 * sq, (name + mtag + ": sum of squares").c_str());
          }
          if (bad) std::printf("  %s residual%s: %zu of %d values differ\n", name.c_str(), mtag.c_str(), bad, m * n);
          expect(bad == 0, (name + mtag + ": residual epilogue != store + add").c_str());
          p.residual = nullptr, p.sumsq_out = nullptr;
        }
        if (swiglu_ok) {
          const int half = n / 2;
          DeviceBuffer<bf16> act(static_cast<size_t>(m) * half), want(static_cast<size_t>(m) * half);
          act.poison();
          pagoda::cuda::silu_mul(stored.ptr, want.ptr, m, half, nullptr);
          p.n = half, p.swiglu = true, p.y = act.ptr;
          expect(linears.fused_product(lin, p, nullptr, nullptr), "SwiGLU epilogue launched");
          CUDA_OK(cudaDeviceSynchronize());
          const size_t bad = bit_mismatches(act.download(), want.download());
          if (bad) std::printf("  %s SwiGLU%s: %zu of %d values differ\n", name.c_str(), mtag.c_str(), bad, m * half);
          expect(bad == 0, (name + mtag + ": SwiGLU epilogue != store + silu_mul").c_str());
          p.swiglu = false;
        }
      }
      pagoda::cuda::set_int4_stream_stage_mode(epilogue_mode);
      p.swiglu = false, p.y = nullptr;
      {  // the norm prologue: staged in the product (mode 1) and as rms_normalize (mode 0)
        const auto res = random_bf16_values(static_cast<size_t>(m) * k, -3.0f, 3.0f);
        const auto nw = random_bf16_values(k, 0.5f, 1.5f);
        std::vector<float> sumsq(m, 0.0f);
        std::vector<double> xn(res.size());
        for (int t = 0; t < m; ++t) {
          double sq = 0;
          for (int c = 0; c < k; ++c) sq += double(res[t * k + c]) * res[t * k + c];
          sumsq[t] = static_cast<float>(sq);
          const double inv = 1.0 / std::sqrt(sq / k + eps);
          for (int c = 0; c < k; ++c) xn[t * k + c] = res[t * k + c] * inv * nw[c];
        }
        DeviceBuffer<float> dres(res.size()), dss(m);
        DeviceBuffer<bf16> dnw(k), normed(res.size());
        dres.upload(res), dss.upload(sumsq), dnw.upload(to_bf16(nw));
        pagoda::cuda::GemvParams q = p;
        q.x = nullptr, q.norm_residual = dres.ptr, q.norm_sumsq = dss.ptr, q.norm_weight = dnw.ptr;
        q.eps = eps;
        const int default_mode = pagoda::cuda::int4_stream_stage_mode();
        for (bool swiglu : {false, true}) {
          if (swiglu && !swiglu_ok) continue;
          const int cols = swiglu ? n / 2 : n;
          q.n = cols, q.swiglu = swiglu;
          // outs[1]: the norm as the backend runs it (stage mode 1: inside the product where it
          // takes it); outs[0]: rms_normalize, then the product on the same kind of activations
          // (staged copies, stage mode 2, where the norm was inside: the staged kernels subtract
          // the zero after the mma, so only the same kernel gives the same bits).
          const bool inside = !lin.permuted && pagoda::cuda::int4_stream_stageable(k, m) &&
                              !(swiglu && lin.stream_for(m).norm_outside);
          std::vector<bf16> outs[2];
          for (int staged_norm : {0, 1}) {
            pagoda::cuda::set_int4_stream_stage_mode(staged_norm ? 1 : inside ? 2 : 1);
            DeviceBuffer<bf16> y(static_cast<size_t>(m) * cols);
            y.poison();
            pagoda::cuda::GemvParams r = q;
            r.y = y.ptr;
            if (!staged_norm) {
              pagoda::cuda::rms_normalize(dres.ptr, dss.ptr, dnw.ptr, normed.ptr, m, k, eps,
                                          nullptr);
              r.norm_residual = nullptr, r.norm_sumsq = nullptr, r.norm_weight = nullptr;
              r.x = normed.ptr;
            }
            expect(linears.fused_product(lin, r, normed.ptr, nullptr), "norm prologue launched");
            CUDA_OK(cudaDeviceSynchronize());
            outs[staged_norm] = y.download();
          }
          const std::string what = name + (swiglu ? " norm + SwiGLU" : " norm prologue") + tag;
          const size_t bad = bit_mismatches(outs[0], outs[1]);
          if (bad) std::printf("  %s: %zu of %d values differ\n", what.c_str(), bad, m * cols);
          expect(bad == 0, (what + ": staged norm != rms_normalize + product").c_str());
          if (!swiglu) test_rope_epilogue(linears, lin, q, outs[1], normed.ptr, name + tag);
          if (swiglu) continue;
          std::vector<double> ref(static_cast<size_t>(m) * n, 0.0);
          for (int t = 0; t < m; ++t)
            for (int r = 0; r < n; ++r) {
              double sum = 0;
              for (int c = 0; c < k; ++c) sum += xn[t * k + c] * w[static_cast<size_t>(r) * k + c];
              ref[t * n + r] = sum;
            }
          std::vector<float> out(ref.size());
          for (size_t i = 0; i < out.size(); ++i) out[i] = __bfloat162float(outs[1][i]);
          check(what, out, ref, 1.2e-2);
        }
        pagoda::cuda::set_int4_stream_stage_mode(default_mode);
      }
    }
  }
  pagoda::cuda::set_int4_stream_variant(default_variant);
}

// One linear of the given parts (same k, each its own format instance), checked end to end.
void test_linear(const std::vector<quant_test::Case>& parts, bool expect_fused) {
  pagoda::WeightStore store;
  std::vector<std::vector<double>> refs;
  std::vector<pagoda::QuantMatrix> host;
  const int64_t k = parts.front().k;
  int64_t n_total = 0;
  std::string name;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string module = "model.layers.0.part" + std::to_string(i);
    refs.push_back(quant_test::add_case(parts[i], module, store, g_rng));
    host.push_back(pagoda::read_quant_matrix(parts[i].config, store, module, parts[i].n, k));
    n_total += parts[i].n;
    name += (i ? " + " : "") + parts[i].name();
  }
  if (parts.front().shuffled_gidx) name += " act order";
  pagoda::cuda::QuantLinears linears;
  const bf16* key = linears.upload(host);
  linears.prepare(256);
  const pagoda::cuda::QuantLinear* lin = linears.find(key);
  expect(lin != nullptr, "uploaded linear not found by its key");
  if (!lin) return;
  std::vector<double> w;  // [n_total, k]
  for (const auto& r : refs) w.insert(w.end(), r.begin(), r.end());

  // Dequantize into a poisoned bf16 matrix.
  DeviceBuffer<bf16> dq(linears.max_dequant_elems());
  dq.poison();
  linears.dequantize(*lin, dq.ptr, nullptr);
  CUDA_OK(cudaDeviceSynchronize());
  std::vector<float> got(w.size());
  const auto raw = dq.download();
  for (size_t i = 0; i < w.size(); ++i) got[i] = __bfloat162float(raw[i]);
  check(name + " dequantize", got, w, 5e-3);

  const int default_variant = pagoda::cuda::int4_stream_variant();
  const int default_mode = pagoda::cuda::int4_stream_stage_mode();
  for (int m : {1, 2, 3, 4, 5, 8, 9, 24, 33, 64, 100, 130, 300}) {
    // int4 fragments at the streaming product's sizes: every launch variant (0: the old
    // product), with the activations read from global memory and (stage mode 2) staged per CTA.
    const bool sweep = lin->frag && m <= pagoda::cuda::kInt4StreamMaxRows;
    const int variants = pagoda::cuda::int4_stream_variants();
    for (int cfg = 0; cfg <= (sweep ? 2 * variants : 0); ++cfg)
    for (bool out_f32 : {true, false}) {
      const int variant = !sweep ? default_variant : cfg <= variants ? cfg : cfg - variants;
      if (sweep && !full_sweep() && variant != 0 && variant != std::max(default_variant, 1))
        continue;
      pagoda::cuda::set_int4_stream_variant(variant);
      pagoda::cuda::set_int4_stream_stage_mode(cfg > variants ? 2 : 1);
      const auto x = random_bf16_values(static_cast<size_t>(m) * k);
      DeviceBuffer<bf16> dx(x.size());
      std::vector<bf16> xb(x.size());
      for (size_t i = 0; i < x.size(); ++i) xb[i] = __float2bfloat16(x[i]);
      dx.upload(xb);
      std::vector<double> ref(static_cast<size_t>(m) * n_total, 0.0);
      for (int i = 0; i < m; ++i)
        for (int64_t r = 0; r < n_total; ++r) {
          double s = 0;
          for (int64_t c = 0; c < k; ++c) s += double(x[i * k + c]) * w[r * k + c];
          ref[i * n_total + r] = s;
        }
      // The fused product: int4 in fragment order up to kQuantFragMaxRows (tensor cores; up to
      // kQuantFragGemvRows on q - zero, exact in bf16, scaled in float), with the wgmma tiles
      // up to kQuantFragChunkedMaxRows in products of kQuantFragMaxRows tokens (m = 130, 300),
      // the GEMV of the other layouts up to 8; above: tensor-core tiles of bf16-rounded weights
      // and activations, float32 accumulation (int4 in fragment order: dequantize + cuBLAS).
      const bool small = m <= (lin->frag ? frag_most() : pagoda::cuda::kQuantGemvMaxRows);
      // Above kQuantFragGemvRows the fragment product rounds weights to bf16, as the tiles do.
      const bool exact = m <= (lin->frag ? pagoda::cuda::int4_tile_after()
                                         : pagoda::cuda::kQuantGemvMaxRows);
      auto run = [&](void* y, bool f32) {
        return small ? linears.gemv(*lin, dx.ptr, y, m, f32, nullptr)
                     : linears.mma(*lin, dx.ptr, y, m, f32, nullptr);
      };
      std::vector<float> out(ref.size());
      if (out_f32) {
        DeviceBuffer<float> y(ref.size());
        y.poison();
        const bool ran = run(y.ptr, true);
        // The tensor-core tiles need k % 64 == 0 (the shapes of real models).
        const bool expected =
            expect_fused && (small || (k % 64 == 0 && !lin->frag &&
                                       m <= pagoda::cuda::kQuantMmaMaxRows));
        expect(ran == expected, (name + ": fused kernel taken/declined unexpectedly").c_str());
        // (continue, not return: the fused epilogues' checks below still run; a return here at
        // the largest m had skipped them for every fragment-order linear)
        if (!ran) continue;
        CUDA_OK(cudaDeviceSynchronize());
        out = y.download();
      } else {
        DeviceBuffer<bf16> y(ref.size());
        y.poison();
        if (!run(y.ptr, false)) continue;
        CUDA_OK(cudaDeviceSynchronize());
        const auto yb = y.download();
        for (size_t i = 0; i < out.size(); ++i) out[i] = __bfloat162float(yb[i]);
      }
      check(name + (small ? (lin->frag ? " frag m=" : " gemv m=") : " mma m=") + std::to_string(m) +
                (out_f32 ? " f32" : " bf16") +
                (sweep ? " v" + std::to_string(variant) + (cfg > variants ? " staged" : "") : ""),
            out, ref, out_f32 ? (exact ? 2e-5 : 6e-3) : 8e-3);
      // The same product with its input written in the wgmma tiles' layout by its producer
      // (FragActOut: here from the host at frag_act_offset), the rest of the buffer NaN: offered
      // exactly where the wgmma tiles run on unpermuted weights with k % 64 == 0; within one
      // product (m <= kQuantFragMaxRows) bit for bit the row-major run's output.
      if (!small || !lin->frag || sweep) continue;
      const pagoda::cuda::FragActOut pre = linears.frag_input(*lin, m);
      const char* frag_input_env = std::getenv("PAGODA_CUDA_INT4_FRAG_INPUT");
      const bool offered = !(frag_input_env && std::string(frag_input_env) == "0") &&
                           pagoda::cuda::int4_wgmma_ready() && !lin->permuted && k % 64 == 0 &&
                           m > pagoda::cuda::int4_tile_after() &&
                           m >= pagoda::cuda::int4_wgmma_from() &&
                           m <= 256;  // the steps prepare() sized the tiles' buffer for
      expect((pre.x != nullptr) == offered,
             (name + ": frag_input offered/declined unexpectedly at m=" + std::to_string(m)).c_str());
      if (!pre.x) continue;
      const int kg = static_cast<int>(k / 64);
      const size_t elems = static_cast<size_t>((m + pre.n_tile - 1) / pre.n_tile) * pre.n_tile * k;
      std::vector<bf16> xf(elems);
      std::memset(static_cast<void*>(xf.data()), 0xFF, elems * sizeof(bf16));
      for (int i = 0; i < m; ++i)
        for (int64_t c = 0; c < k; ++c)
          xf[pagoda::cuda::frag_act_offset(i, static_cast<int>(c), kg, pre.n_tile)] =
              xb[i * k + c];
      CUDA_OK(cudaMemcpy(pre.x, xf.data(), elems * sizeof(bf16), cudaMemcpyHostToDevice));
      // The producer's other duty: the accumulator the products add into zeroed (the row-major
      // run left its sums there, so a region short of what they use gives wrong sums).
      if (pre.zero_floats > 0)
        CUDA_OK(cudaMemset(pre.zero, 0, sizeof(float) * static_cast<size_t>(pre.zero_floats)));
      std::vector<float> pre_out(ref.size());
      bool ran = false;
      if (out_f32) {
        DeviceBuffer<float> y(ref.size());
        y.poison();
        ran = linears.gemv(*lin, nullptr, y.ptr, m, true, nullptr, &pre);
        CUDA_OK(cudaDeviceSynchronize());
        pre_out = y.download();
      } else {
        DeviceBuffer<bf16> y(ref.size());
        y.poison();
        ran = linears.gemv(*lin, nullptr, y.ptr, m, false, nullptr, &pre);
        CUDA_OK(cudaDeviceSynchronize());
        const auto yb = y.download();
        for (size_t i = 0; i < pre_out.size(); ++i) pre_out[i] = __bfloat162float(yb[i]);
      }
      expect(ran, (name + ": the product refused frag_input's layout").c_str());
      if (!ran) continue;
      const std::string pre_name = name + " frag m=" + std::to_string(m) +
                                   (out_f32 ? " f32" : " bf16") + " input in the tiles' layout";
      check(pre_name, pre_out, ref, out_f32 ? 6e-3 : 8e-3);
      if (m <= pagoda::cuda::kQuantFragMaxRows)
        expect(std::memcmp(pre_out.data(), out.data(), out.size() * sizeof(float)) == 0,
               (pre_name + ": differs from the row-major input's output").c_str());
    }
  }
  pagoda::cuda::set_int4_stream_variant(default_variant);
  pagoda::cuda::set_int4_stream_stage_mode(default_mode);
  if (lin->frag && expect_fused) test_fused_epilogues(linears, *lin, w, name);
}

// PAGODA_QUANT_PROFILE=NAME (for ncu): only the fragment products of the shapes whose name
// contains NAME, at the tokens PAGODA_QUANT_PROFILE_M lists ("64,128"; 1 unless set), each
// called once, or timed as usual with PAGODA_QUANT_TIMED=1 (sweeps of the tile knobs).
const char* profile_shape() { return std::getenv("PAGODA_QUANT_PROFILE"); }
bool profile_tokens(int m) {
  const char* v = std::getenv("PAGODA_QUANT_PROFILE_M");
  const std::string list = v ? v : "1";
  return ("," + list + ",").find("," + std::to_string(m) + ",") != std::string::npos;
}

// Milliseconds per call of fn on the default stream: 3 warm-up calls, the mean of 50 (one call
// when profiling).
template <typename Fn>
double time_ms(const Fn& fn) {
  cudaEvent_t a, b;
  CUDA_OK(cudaEventCreate(&a));
  CUDA_OK(cudaEventCreate(&b));
  const bool once = profile_shape() != nullptr && !std::getenv("PAGODA_QUANT_TIMED");
  for (int i = 0; i < (once ? 0 : 3); ++i) fn();
  const int reps = once ? 1 : 50;
  CUDA_OK(cudaEventRecord(a));
  for (int i = 0; i < reps; ++i) fn();
  CUDA_OK(cudaEventRecord(b));
  CUDA_OK(cudaEventSynchronize(b));
  float ms = 0;
  CUDA_OK(cudaEventElapsedTime(&ms, a, b));
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return ms / reps;
}

// Effective bandwidth of the fused GEMV (m <= 8) or the tensor-core tiles on the 7B gate_up
// shape (printed, not checked).
void time_product(const pagoda::QuantConfig& config, const char* what, int m,
                  bool dequantize = false) {
  const int n = 2 * 18944, k = 3584;
  pagoda::cuda::QuantLinears linears;
  const bf16* key = linears.random(config, {n}, k, 99, nullptr);
  linears.prepare(256);
  const pagoda::cuda::QuantLinear& lin = *linears.find(key);
  const auto x = random_bf16_values(static_cast<size_t>(m) * k);
  std::vector<bf16> xb(x.size());
  for (size_t i = 0; i < x.size(); ++i) xb[i] = __float2bfloat16(x[i]);
  DeviceBuffer<bf16> dx(x.size()), y(static_cast<size_t>(m) * n);
  // The fused product where it takes m (whatever the backend's route), else the tiles; with
  // dequantize, the dequantization alone (what the cuBLAS route adds to a bf16 product).
  const bool fused = m <= (lin.frag ? frag_most() : pagoda::cuda::kQuantGemvMaxRows);
  DeviceBuffer<bf16> scratch(dequantize ? linears.max_dequant_elems() : 1);
  auto run = [&] {
    if (dequantize)
      linears.dequantize(lin, scratch.ptr, nullptr);
    else if (!fused || !linears.gemv(lin, dx.ptr, y.ptr, m, false, nullptr))
      linears.mma(lin, dx.ptr, y.ptr, m, false, nullptr);
  };
  dx.upload(xb);
  const double ms = time_ms(run);
  const double bytes = static_cast<double>(config.linear_bytes(n, k));
  std::printf("  %s m=%d %s [%d x %d]: %.1f us, %.0f GB/s of packed weights\n",
              dequantize ? "dequantize" : !fused ? "mma" : lin.frag ? "frag" : "gemv", m, what, n, k,
              1e3 * ms, bytes / (ms * 1e-3) / 1e9);
}

// The int4 fragment product on the 7B and 0.5B linears, by the backend's entry point (printed,
// not checked): qkv and gate_up as the fused multi-part linears the model has; at 1, 2 and 4
// tokens every streaming variant (v0: the one-block-per-CTA product) and the fused epilogues
// (gate_up with SwiGLU, o and down with the residual), then each shape's best variant.
void time_frag_shapes() {
  using pagoda::cuda::int4_stream_variant;
  using pagoda::cuda::int4_stream_variants;
  using pagoda::cuda::set_int4_stream_stage_mode;
  using pagoda::cuda::set_int4_stream_variant;
  struct Shape {
    const char* name;
    std::vector<int> rows;
    int k;
    bool residual;
  };
  const Shape shapes[] = {{"7B qkv", {3584, 512, 512}, 3584, false},
                          {"7B o_proj", {3584}, 3584, true},
                          {"7B gate_up", {18944, 18944}, 3584, false},
                          {"7B down", {3584}, 18944, true},
                          {"0.5B qkv", {896, 128, 128}, 896, false},
                          {"0.5B o_proj", {896}, 896, true},
                          {"0.5B gate_up", {4864, 4864}, 896, false},
                          {"0.5B down", {896}, 4864, true}};
  const pagoda::QuantConfig config = quant_test::awq(128);
  const int default_variant = int4_stream_variant();
  const int default_mode = pagoda::cuda::int4_stream_stage_mode();
  for (int v = 1; v <= int4_stream_variants(); ++v)
    std::printf("  streaming variant v%d: %s\n", v, pagoda::cuda::int4_stream_variant_name(v));
  std::vector<std::string> best;
  for (const Shape& sh : shapes) {
    if (profile_shape() && !std::strstr(sh.name, profile_shape())) continue;
    pagoda::cuda::QuantLinears linears;
    const bf16* key = linears.random(config, sh.rows, sh.k, 7, nullptr);
    linears.prepare(256);
    const pagoda::cuda::QuantLinear& lin = *linears.find(key);
    if (!lin.frag) return;
    double bytes = 0;
    for (int n : sh.rows) bytes += static_cast<double>(config.linear_bytes(n, sh.k));
    const bool swiglu = sh.rows.size() == 2;
    for (int m : {1, 2, 4, 8, 16, 32, 64, 128}) {
      if (profile_shape() && !profile_tokens(m)) continue;
      const auto x = random_bf16_values(static_cast<size_t>(m) * sh.k);
      std::vector<bf16> xb(x.size());
      for (size_t i = 0; i < x.size(); ++i) xb[i] = __float2bfloat16(x[i]);
      DeviceBuffer<bf16> dx(x.size()), y(static_cast<size_t>(m) * lin.n);
      DeviceBuffer<float> residual(static_cast<size_t>(m) * lin.n), sumsq(m);
      dx.upload(xb);
      CUDA_OK(cudaMemset(residual.ptr, 0, residual.n * sizeof(float)));
      const bool stream = m <= pagoda::cuda::kInt4StreamMaxRows;
      // The norm prologue's inputs (for qkv and gate_up).
      DeviceBuffer<float> norm_res(static_cast<size_t>(m) * sh.k), norm_ss(m);
      DeviceBuffer<bf16> norm_w(sh.k), normed(static_cast<size_t>(m) * sh.k);
      norm_res.upload(std::vector<float>(norm_res.n, 0.5f));
      norm_ss.upload(std::vector<float>(m, 0.25f * sh.k));
      norm_w.upload(std::vector<bf16>(sh.k, __float2bfloat16(1.0f)));
      auto report = [&](const std::string& what, double ms) {
        std::printf("  frag %s [%d x %d] m=%d%s: %.1f us, %.0f GB/s of packed weights\n", sh.name,
                    lin.n, sh.k, m, what.c_str(), 1e3 * ms, bytes / (ms * 1e-3) / 1e9);
      };
      double best_ms = 1e30;
      std::string best_what;
      const int variants = stream ? int4_stream_variants() : 0;
      for (int cfg = 0; cfg <= 2 * variants; ++cfg) {
        // cfg 0: v0 (or the default product above 4 tokens); 1..V: x from global; V+1..2V: staged x.
        const int v = !stream ? default_variant : cfg <= variants ? cfg : cfg - variants;
        const bool staged = cfg > variants;
        set_int4_stream_variant(v);
        set_int4_stream_stage_mode(staged ? 2 : 1);
        const std::string tag = stream ? " v" + std::to_string(v) + (staged ? " staged" : "") : "";
        const double ms = time_ms([&] { linears.gemv(lin, dx.ptr, y.ptr, m, false, nullptr); });
        report(tag, ms);
        if (ms < best_ms) best_ms = ms, best_what = tag;
        // The wgmma tiles with their input already in their layout (FragActOut: no reorder
        // kernel; the buffer's and the unzeroed accumulator's contents do not change the time).
        if (const pagoda::cuda::FragActOut pre = linears.frag_input(lin, m); pre.x && cfg == 0)
          report(" input in the tiles' layout",
                 time_ms([&] { linears.gemv(lin, nullptr, y.ptr, m, false, nullptr, &pre); }));
        if (!stream || v == 0 || staged) continue;
        pagoda::cuda::GemvParams p;
        p.x = dx.ptr, p.m = m, p.k = sh.k;
        if (sh.residual) {
          p.n = lin.n, p.residual = residual.ptr, p.sumsq_out = sumsq.ptr;
          report(tag + " residual epilogue",
                 time_ms([&] { linears.fused_product(lin, p, nullptr, nullptr); }));
          continue;
        }
        p.x = nullptr, p.norm_residual = norm_res.ptr, p.norm_sumsq = norm_ss.ptr;
        p.norm_weight = norm_w.ptr, p.y = y.ptr;
        p.n = swiglu ? lin.n / 2 : lin.n, p.swiglu = swiglu;
        for (int mode : {1, 0}) {
          set_int4_stream_stage_mode(mode);
          report(tag + (swiglu ? " SwiGLU" : "") +
                     (mode ? " + norm staged" : " + rms_normalize kernel"),
                 time_ms([&] { linears.fused_product(lin, p, normed.ptr, nullptr); }));
        }
      }
      set_int4_stream_stage_mode(default_mode);
      if (stream) {
        char line[160];
        std::snprintf(line, sizeof line, "  best %s m=%d:%s %.1f us, %.0f GB/s", sh.name, m,
                      best_what.c_str(), 1e3 * best_ms, bytes / (best_ms * 1e-3) / 1e9);
        best.push_back(line);
      }
    }
  }
  set_int4_stream_variant(default_variant);
  for (const std::string& line : best) std::printf("%s\n", line.c_str());
}

// With PAGODA_CUDA_INT4_GEMV unset (or "auto"), prepare() picks a streaming variant per int4
// linear shape by timing them: the 7B linears' picks (printed) must be real variants. Runs
// before anything turns the per-linear choice off.
void check_tuning() {
  if (!pagoda::cuda::int4_stream_autotune()) return;
  pagoda::cuda::QuantLinears linears;
  const pagoda::QuantConfig config = quant_test::awq(128);
  std::vector<const bf16*> keys;
  keys.push_back(linears.random(config, {3584, 512, 512}, 3584, 5, nullptr));
  keys.push_back(linears.random(config, {3584}, 3584, 6, nullptr));
  keys.push_back(linears.random(config, {18944, 18944}, 3584, 7, nullptr));
  keys.push_back(linears.random(config, {3584}, 18944, 8, nullptr));
  linears.prepare(256);
  std::printf("  tuned streaming variants (7B shapes):\n%s\n", linears.tuning().c_str());
  for (const bf16* key : keys)
    for (const pagoda::cuda::StreamChoice& c : linears.find(key)->stream)
      expect(c.variant >= 1 && c.variant <= pagoda::cuda::int4_stream_variants(),
             "tuned variant out of range");
}

}  // namespace

int main() {
  if (!have_gpu()) return 77;
  const uint64_t seed = seed_rng();
  using quant_test::awq;
  using quant_test::Case;
  using quant_test::fp8;
  using quant_test::gptq;
  if (profile_shape()) {
    time_frag_shapes();
    return 0;
  }
  check_tuning();
  // Which tiles take more than int4_tile_after() tokens (quant-checks.sh runs both).
  std::printf("int4 tiles above %d tokens: %s\n", pagoda::cuda::int4_tile_after(),
              pagoda::cuda::int4_wgmma_ready() ? "wgmma (sm_90a)" : "mma.sync");
  for (int g : {32, 64, 128}) test_linear({{awq(g), 200, 384}}, true);
  test_linear({{awq(128), 8, 128}}, true);
  test_linear({{awq(32), 72, 160}}, true);
  test_linear({{gptq(4, 128, true, false), 136, 384}}, true);
  test_linear({{gptq(4, 32, false, false), 104, 224}}, true);
  test_linear({{gptq(4, 128, false, false, true), 96, 256}}, true);  // gptq_v2 zeros
  test_linear({{gptq(4, -1, false, false), 64, 352}}, true);
  test_linear({{gptq(4, 64, true, true), 120, 320, true}}, true);
  test_linear({{gptq(4, 128, false, true), 88, 384, true}}, true);
  test_linear({{gptq(8, 128, true, false), 100, 256}}, true);
  test_linear({{gptq(8, 32, false, true), 52, 224, true}}, true);
  test_linear({{gptq(8, -1, false, false), 36, 208}}, true);
  test_linear({{gptq(4, 8, false, false), 40, 72}}, false);  // groups below a 32-value chunk
  test_linear({{fp8(128, 128), 200, 352}}, true);            // partial blocks both ways
  test_linear({{fp8(128, 128), 256, 256}}, true);
  test_linear({{fp8(0, 0), 77, 96}}, true);  // one scale per tensor
  // Fused linears (q, k, v), each part with its own act-order permutation.
  test_linear({{gptq(4, 64, false, true), 96, 256, true},
               {gptq(4, 64, false, true), 32, 256, true},
               {gptq(4, 64, false, true), 32, 256, true}},
              true);
  test_linear({{awq(64), 64, 192}, {awq(64), 128, 192}}, true);
  test_linear({{awq(128), 96, 256}, {awq(128), 40, 256}, {awq(128), 24, 256}}, true);  // one launch
  // q, k, v of whole heads: the RoPE epilogue (heads of 64, GQA 2; of 128 with act order,
  // which normalizes first and so stores + rope_store)
  test_linear({{awq(64), 192, 256}, {awq(64), 64, 256}, {awq(64), 64, 256}}, true);
  test_linear({{gptq(4, 128, true, true), 256, 384, true}, {gptq(4, 128, true, true), 128, 384, true},
               {gptq(4, 128, true, true), 128, 384, true}}, true);
  test_linear({{awq(128), 72, 256}, {awq(128), 72, 256}}, true);  // gate and up: SwiGLU epilogue
  test_linear({{fp8(128, 128), 130, 256}, {fp8(128, 128), 70, 256}}, true);
  CUDA_OK(cudaDeviceSynchronize());
  if (!std::getenv("PAGODA_SKIP_TIMING")) {
    time_frag_shapes();
    time_product(awq(128), "int4 g128", 1, true);
    for (int m : {1, 8, 32, 128}) {
      time_product(gptq(8, 128, true, false), "int8 g128", m);
      time_product(fp8(128, 128), "fp8 128x128", m);
    }
  }
  if (g_failures) {
    std::printf("%d check(s) FAILED (seed %llu)\n", g_failures,
                static_cast<unsigned long long>(seed));
    return 1;
  }
  std::printf("all quantized kernel checks passed\n");
  return 0;
}
