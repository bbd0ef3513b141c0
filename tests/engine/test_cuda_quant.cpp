// The quantized-weight kernels against float64 references on fresh random packed data: every
// checkpoint format (AWQ groups 32/64/128, GPTQ 4/8-bit sym/asym, act order with a shuffled
// g_idx, group -1, both checkpoint formats, FP8 block-wise with partial blocks and per tensor),
// through the loader's repacking, the fused GEMV at 1..8 rows (bf16 and float32 outputs, a fused
// two-part linear), the tensor-core tiles at 9..130 rows and the dequantize kernel. Exits 77
// (skipped) without a GPU.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "tests/engine/cuda_test_util.h"
#include "engine/model/quant_weights.h"
#include "kernels/quant_linear.h"
#include "tests/engine/quant_test_pack.h"

using namespace cuda_test;
using bf16 = __nv_bfloat16;

namespace {

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

  for (int m : {1, 2, 3, 5, 8, 9, 33, 64, 100, 130}) {
    for (bool out_f32 : {true, false}) {
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
      // kQuantFragGemvRows on q - zero, exact in bf16, scaled in float), the
      // GEMV of the other layouts up to 8; above: tensor-core tiles of bf16-rounded weights
      // and activations, float32 accumulation (int4 in fragment order: dequantize + cuBLAS).
      const bool small = m <= (lin->frag ? pagoda::cuda::kQuantFragMaxRows
                                         : pagoda::cuda::kQuantGemvMaxRows);
      // Above kQuantFragGemvRows the fragment product rounds weights to bf16, as the tiles do.
      const bool exact = m <= (lin->frag ? pagoda::cuda::kQuantFragGemvRows
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
        const bool expected = expect_fused && (small || (k % 64 == 0 && !lin->frag));
        expect(ran == expected, (name + ": fused kernel taken/declined unexpectedly").c_str());
        if (!ran) return;
        CUDA_OK(cudaDeviceSynchronize());
        out = y.download();
      } else {
        DeviceBuffer<bf16> y(ref.size());
        y.poison();
        if (!run(y.ptr, false)) return;
        CUDA_OK(cudaDeviceSynchronize());
        const auto yb = y.download();
        for (size_t i = 0; i < out.size(); ++i) out[i] = __bfloat162float(yb[i]);
      }
      check(name + (small ? (lin->frag ? " frag m=" : " gemv m=") : " mma m=") + std::to_string(m) +
                (out_f32 ? " f32" : " bf16"),
            out, ref, out_f32 ? (exact ? 2e-5 : 6e-3) : 8e-3);
    }
  }
}

// Milliseconds per call of fn on the default stream: 3 warm-up calls, the mean of 50.
template <typename Fn>
double time_ms(const Fn& fn) {
  cudaEvent_t a, b;
  CUDA_OK(cudaEventCreate(&a));
  CUDA_OK(cudaEventCreate(&b));
  for (int i = 0; i < 3; ++i) fn();
  const int reps = 50;
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
  const bool fused = m <= (lin.frag ? pagoda::cuda::kQuantFragMaxRows
                                    : pagoda::cuda::kQuantGemvMaxRows);
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

// The int4 fragment product on the 7B linears, by the backend's entry point (printed, not
// checked): qkv and gate_up as the fused multi-part linears the model has.
void time_frag_shapes() {
  struct Shape {
    const char* name;
    std::vector<int> rows;
    int k;
  };
  const Shape shapes[] = {{"qkv", {3584, 512, 512}, 3584},
                          {"o_proj", {3584}, 3584},
                          {"gate_up", {18944, 18944}, 3584},
                          {"down", {3584}, 18944}};
  const pagoda::QuantConfig config = quant_test::awq(128);
  for (const Shape& sh : shapes) {
    pagoda::cuda::QuantLinears linears;
    const bf16* key = linears.random(config, sh.rows, sh.k, 7, nullptr);
    linears.prepare(256);
    const pagoda::cuda::QuantLinear& lin = *linears.find(key);
    if (!lin.frag) return;
    double bytes = 0;
    for (int n : sh.rows) bytes += static_cast<double>(config.linear_bytes(n, sh.k));
    for (int m : {1, 8, 16, 32, 64, 128}) {
      const auto x = random_bf16_values(static_cast<size_t>(m) * sh.k);
      std::vector<bf16> xb(x.size());
      for (size_t i = 0; i < x.size(); ++i) xb[i] = __float2bfloat16(x[i]);
      DeviceBuffer<bf16> dx(x.size()), y(static_cast<size_t>(m) * lin.n);
      dx.upload(xb);
      const double ms = time_ms([&] { linears.gemv(lin, dx.ptr, y.ptr, m, false, nullptr); });
      std::printf("  frag %s [%d x %d] m=%d: %.1f us, %.0f GB/s of packed weights\n", sh.name,
                  lin.n, sh.k, m, 1e3 * ms, bytes / (ms * 1e-3) / 1e9);
    }
  }
}

}  // namespace

int main() {
  if (!have_gpu()) return 77;
  const uint64_t seed = seed_rng();
  using quant_test::awq;
  using quant_test::Case;
  using quant_test::fp8;
  using quant_test::gptq;
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
