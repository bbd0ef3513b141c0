// The tensor-core prefill attention (attention_mma) against a float64 CPU reference and against
// the CUDA-core kernel (attention), on fresh random inputs over the paged KV cache: head dims 64,
// 80, 96, 128, GQA ratios 1/4/7/8 and 40, block sizes 16 and 32, chunks with and without earlier
// context, several sequences of different lengths in one launch. Outputs are poisoned (NaN) first,
// so an unwritten element fails. Exits 77 (skipped) without a GPU of compute capability 8.0+.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/attention_mma.h"
#include "tests/engine/paged_tables.h"
#include "kernels/step_plan.h"
#include "kernels/kernels.h"
#include "kernels/kernel_args.h"
#include "tests/engine/cuda_test_util.h"

using pagoda::cuda::bf16;

using namespace cuda_test;

namespace {

// ||out - ref|| / ||ref|| over all elements and the worst over rows of hd elements; NaN fails.
struct RelError {
  double total = INFINITY, worst_row = INFINITY;
};
template <typename Ref>
RelError rel_error(const std::vector<float>& out, const std::vector<Ref>& ref, int hd) {
  RelError e;
  double num = 0, den = 0, worst = 0;
  for (size_t r = 0; r < ref.size() / hd; ++r) {
    double rn = 0, rd = 0;
    for (size_t i = r * hd; i < (r + 1) * hd; ++i) {
      if (std::isnan(out[i])) return e;
      const double d = out[i] - static_cast<double>(ref[i]);
      rn += d * d;
      rd += static_cast<double>(ref[i]) * ref[i];
    }
    num += rn;
    den += rd;
    worst = std::max(worst, std::sqrt(rn / std::max(rd, 1e-30)));
  }
  e.total = std::sqrt(num / std::max(den, 1e-30));
  e.worst_row = worst;
  return e;
}

void check(const char* name, const RelError& e) {
  // bf16 output and bf16 softmax weights in P.V: ~3e-3 typical; per row a looser bound.
  constexpr double kTol = 1e-2, kRowTol = 3e-2;
  std::printf("  %-72s rel err %.2e (worst row %.2e)\n", name, e.total, e.worst_row);
  char msg[200];
  std::snprintf(msg, sizeof msg, "%s: relative error %.3e > %.1e or worst row %.3e > %.1e", name,
                e.total, kTol, e.worst_row, kRowTol);
  expect(e.total <= kTol && e.worst_row <= kRowTol, msg);
}

using SeqSpec = pagoda::cuda::SeqShape;

// One launch's inputs on the device, laid out like the backend's step metadata.
struct AttentionCase {
  int hd, nh, nkv, block_size, stride = 0, tokens = 0;
  std::vector<SeqSpec> seqs;
  std::vector<int32_t> tables, q_start;
  std::vector<float> q, kc, vc;
  std::unique_ptr<DeviceBuffer<bf16>> d_q, d_k, d_v;
  std::unique_ptr<DeviceBuffer<int32_t>> d_ts, d_tq, d_qs, d_ql, d_kl, d_tab;
  int num_tiles = 0;

  AttentionCase(int hd_, int nh_, int nkv_, int block_size_, std::vector<SeqSpec> seqs_)
      : hd(hd_), nh(nh_), nkv(nkv_), block_size(block_size_), seqs(std::move(seqs_)) {
    const auto paged = pagoda::testing::shuffled_tables(seqs, block_size, g_rng);
    const int num_blocks = paged.num_blocks;
    stride = paged.stride;
    tokens = paged.tokens;
    tables = paged.tables;
    const size_t cache_elems = static_cast<size_t>(num_blocks) * block_size * nkv * hd;
    kc = random_bf16_values(cache_elems, -2, 2);
    vc = random_bf16_values(cache_elems, -1, 1);
    q = random_bf16_values(static_cast<size_t>(tokens) * nh * hd, -2, 2);
    const int qpt = pagoda::cuda::attention_queries_per_tile(nh, nkv);
    // The backend's own tiling (kernels/step_plan.h).
    const auto tiles = pagoda::cuda::attention_tiles(seqs, qpt);
    const auto& [tile_seq, tile_q0, starts, q_len, kv_len] = tiles;
    q_start = starts;
    num_tiles = static_cast<int>(tile_seq.size());
    d_q = to_device_bf16(q);
    d_k = to_device_bf16(kc);
    d_v = to_device_bf16(vc);
    auto ints = [](const std::vector<int32_t>& v) {
      auto d = std::make_unique<DeviceBuffer<int32_t>>(v.size());
      d->upload(v);
      return d;
    };
    d_ts = ints(tile_seq);
    d_tq = ints(tile_q0);
    d_qs = ints(q_start);
    d_ql = ints(q_len);
    d_kl = ints(kv_len);
    d_tab = ints(tables);
  }

  pagoda::cuda::AttentionParams params(bf16* out) const {
    return pagoda::cuda::attention_params(
        d_q->ptr, d_k->ptr, d_v->ptr, out,
        {d_ts->ptr, d_tq->ptr, d_qs->ptr, d_ql->ptr, d_kl->ptr, d_tab->ptr},
        {num_tiles, tokens, block_size, stride}, {nh, nkv, hd});
  }

  std::vector<double> reference() const {
    return pagoda::testing::reference_attention(seqs, q_start, tables, stride,
                                                {nh, nkv, hd, block_size}, q, kc, vc);
  }
};

// Runs the tensor-core kernel and the CUDA-core kernel on one case; compares both with each other
// and, when with_reference, with the float64 reference.
void test_case(int hd, int nh, int nkv, int block_size, const std::vector<SeqSpec>& seqs,
               bool with_reference = true) {
  AttentionCase c(hd, nh, nkv, block_size, seqs);
  const size_t n = static_cast<size_t>(c.tokens) * nh * hd;
  DeviceBuffer<bf16> out_mma(n), out_old(n);
  out_mma.poison();
  out_old.poison();
  const bool launched = pagoda::cuda::attention_mma(c.params(out_mma.ptr), 0);
  CUDA_OK(cudaGetLastError());
  pagoda::cuda::attention(c.params(out_old.ptr), 0);
  CUDA_OK(cudaGetLastError());
  CUDA_OK(cudaDeviceSynchronize());
  char name[160];
  std::snprintf(name, sizeof name, "hd=%d nh=%d nkv=%d bs=%d seqs=%zu tokens=%d", hd, nh, nkv,
                block_size, seqs.size(), c.tokens);
  char msg[200];
  std::snprintf(msg, sizeof msg, "%s: attention_mma did not launch", name);
  expect(launched, msg);
  if (!launched) return;
  const auto got = from_bf16(out_mma.download());
  const auto old = from_bf16(out_old.download());
  char what[200];
  std::snprintf(what, sizeof what, "mma vs old kernel   %s", name);
  check(what, rel_error(got, old, hd));
  if (with_reference) {
    std::snprintf(what, sizeof what, "mma vs float64 ref  %s", name);
    check(what, rel_error(got, c.reference(), hd));
  }
}

// Partial-state buffers for up to `splits` KV splits of a case (the backend's workspace).
struct SplitBuffers {
  DeviceBuffer<float> out, ml;
  SplitBuffers(const AttentionCase& c, int splits)
      : out(static_cast<size_t>(splits) * c.tokens * c.nh * c.hd),
        ml(static_cast<size_t>(splits) * c.tokens * c.nh * 2) {}
  pagoda::cuda::AttentionParams with(pagoda::cuda::AttentionParams p, int splits) const {
    p.splits = splits;
    p.partial_out = out.ptr;
    p.partial_ml = ml.ptr;
    return p;
  }
};

// Decode rows (one query each) through the tensor-core decode kernel with up to max_splits
// splits of about split_keys keys: against the float64 reference and the CUDA-core kernel.
void decode_case(int hd, int nh, int nkv, int block_size, const std::vector<int>& contexts,
                 int max_splits, int split_keys, bool prefetch = true) {
  std::vector<SeqSpec> seqs;
  for (int ctx : contexts) seqs.push_back({ctx, 1});
  AttentionCase c(hd, nh, nkv, block_size, seqs);
  const size_t n = static_cast<size_t>(c.tokens) * nh * hd;
  DeviceBuffer<bf16> out_mma(n), out_old(n);
  out_mma.poison();
  out_old.poison();
  SplitBuffers split(c, max_splits);
  split.out.poison();
  pagoda::cuda::DecodeOptions o;
  o.split_keys = split_keys;
  o.prefetch = prefetch;
  const bool launched =
      pagoda::cuda::attention_decode_mma(split.with(c.params(out_mma.ptr), max_splits), o, 0);
  CUDA_OK(cudaGetLastError());
  pagoda::cuda::attention(c.params(out_old.ptr), 0);
  CUDA_OK(cudaGetLastError());
  CUDA_OK(cudaDeviceSynchronize());
  char name[160];
  std::snprintf(name, sizeof name, "decode hd=%d nh=%d nkv=%d bs=%d seqs=%zu splits<=%d/%d keys%s",
                hd, nh, nkv, block_size, seqs.size(), max_splits, split_keys,
                prefetch ? "" : " no prefetch");
  char msg[200];
  std::snprintf(msg, sizeof msg, "%s: attention_decode_mma did not launch", name);
  expect(launched, msg);
  if (!launched) return;
  const auto got = from_bf16(out_mma.download());
  char what[200];
  std::snprintf(what, sizeof what, "vs old kernel   %s", name);
  check(what, rel_error(got, from_bf16(out_old.download()), hd));
  std::snprintf(what, sizeof what, "vs float64 ref  %s", name);
  check(what, rel_error(got, c.reference(), hd));
}

// Microseconds per decode attention call (one layer) of `seqs` sequences of `context` keys: the
// CUDA-core kernel and the tensor-core decode kernel, each with the split count the backend gives
// it (CudaBackend::splits_for over a graph's capacity), the decode kernel for several split_keys.
// Printed, not checked.
void time_decode(int hd, int nh, int nkv, int seqs, int context, int num_sms) {
  AttentionCase c(hd, nh, nkv, 16, std::vector<SeqSpec>(seqs, SeqSpec{context, 1}));
  DeviceBuffer<bf16> out(static_cast<size_t>(c.tokens) * nh * hd);
  const int kMax = pagoda::cuda::kAttentionMaxSplits;
  SplitBuffers split(c, kMax);
  const int blocks = seqs * nkv * ((nh / nkv + 31) / 32);
  const int splits = std::clamp((2 * num_sms + blocks - 1) / blocks, 1, kMax);
  cudaEvent_t start, stop;
  CUDA_OK(cudaEventCreate(&start));
  CUDA_OK(cudaEventCreate(&stop));
  auto time_us = [&](auto&& run) {
    run();  // warm-up
    CUDA_OK(cudaEventRecord(start));
    constexpr int kReps = 50;
    for (int r = 0; r < kReps; ++r) run();
    CUDA_OK(cudaEventRecord(stop));
    CUDA_OK(cudaEventSynchronize(stop));
    float ms = 0;
    CUDA_OK(cudaEventElapsedTime(&ms, start, stop));
    return ms * 1000.0f / kReps;
  };
  const auto p = split.with(c.params(out.ptr), splits);
  const float old_us = time_us([&] { pagoda::cuda::attention(p, 0); });
  std::printf("  decode timing hd=%d nh=%d nkv=%d b%d ctx%d splits %d: old %.1f us", hd, nh, nkv,
              seqs, context, splits, old_us);
  const double bytes = 2.0 * seqs * (context + 1) * nkv * hd * sizeof(bf16);
  for (int keys : {64, 128, 256, 512}) {
    pagoda::cuda::DecodeOptions o;
    o.split_keys = keys;
    const float us = time_us([&] { pagoda::cuda::attention_decode_mma(p, o, 0); });
    std::printf(", mma/%d %.1f us (%.0f GB/s)", keys, us, bytes / us * 1e-3);
  }
  std::printf("\n");
  CUDA_OK(cudaGetLastError());
  CUDA_OK(cudaEventDestroy(start));
  CUDA_OK(cudaEventDestroy(stop));
}

// Milliseconds per launch of each kernel on a prefill-sized step (printed, not checked).
void time_case(int hd, int nh, int nkv, int seqs, int len) {
  AttentionCase c(hd, nh, nkv, 16, std::vector<SeqSpec>(seqs, SeqSpec{0, len}));
  DeviceBuffer<bf16> out(static_cast<size_t>(c.tokens) * nh * hd);
  cudaEvent_t start, stop;
  CUDA_OK(cudaEventCreate(&start));
  CUDA_OK(cudaEventCreate(&stop));
  float ms[2] = {0, 0};
  for (int k = 0; k < 2; ++k) {
    const auto p = c.params(out.ptr);
    auto run = [&] {
      if (k == 0)
        pagoda::cuda::attention_mma(p, 0);
      else
        pagoda::cuda::attention(p, 0);
    };
    run();  // warm-up
    CUDA_OK(cudaEventRecord(start));
    constexpr int kReps = 5;
    for (int r = 0; r < kReps; ++r) run();
    CUDA_OK(cudaEventRecord(stop));
    CUDA_OK(cudaEventSynchronize(stop));
    CUDA_OK(cudaEventElapsedTime(&ms[k], start, stop));
    ms[k] /= kReps;
  }
  CUDA_OK(cudaGetLastError());
  const double flops = 4.0 * nh * hd * seqs * (static_cast<double>(len) * (len + 1) / 2);
  std::printf("  timing hd=%d nh=%d nkv=%d %dx%d: mma %.3f ms (%.0f TFLOP/s), old %.3f ms\n", hd,
              nh, nkv, seqs, len, ms[0], flops / ms[0] * 1e-9, ms[1]);
  CUDA_OK(cudaEventDestroy(start));
  CUDA_OK(cudaEventDestroy(stop));
}

}  // namespace

int main() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    std::printf("SKIP: no CUDA GPU\n");
    return 77;
  }
  int major = 0;
  CUDA_OK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, 0));
  if (major < 8) {
    std::printf("SKIP: the tensor-core attention needs compute capability 8.0+\n");
    return 77;
  }
  const uint64_t seed = seed_rng();
  pagoda::cuda::attention_init();
  expect(pagoda::cuda::attention_decode_mma_init(), "attention_decode_mma_init on sm_80+");

  // Where it does not apply it launches nothing (the caller falls back).
  {
    pagoda::cuda::AttentionParams p;
    p.nh = p.nkv = 1;
    p.hd = 112;
    expect(!pagoda::cuda::attention_mma(p, 0), "attention_mma declines head_dim 112");
    p.hd = 128;
    p.splits = 2;
    expect(!pagoda::cuda::attention_mma(p, 0), "attention_mma declines KV splits");
  }

  // Prefill from scratch, chunks after earlier context (not tile-aligned), and decode rows mixed
  // into the same launch; lengths not multiples of the 64-key or 64-row tiles.
  const std::vector<SeqSpec> mixed = {{0, 150}, {37, 70}, {100, 1}, {0, 1},
                                      {300, 5}, {15, 97}, {64, 64}};
  for (int hd : {64, 80, 96, 128})
    for (int gqa : {1, 4, 7, 8})
      for (int bs : {16, 32}) test_case(hd, 2 * gqa, 2, bs, mixed);
  test_case(128, 28, 4, 16, {{0, 257}, {300, 100}, {1000, 33}});  // Qwen2.5-7B shape
  test_case(64, 14, 2, 32, {{0, 1}, {0, 2}, {0, 63}, {0, 64}, {0, 65}, {0, 129}});
  test_case(64, 40, 1, 16, mixed);                // MQA with a group above 32 rows
  test_case(128, 80, 1, 16, {{0, 20}, {50, 9}});  // a group above 64 rows: head chunks
  test_case(128, 28, 4, 16, std::vector<SeqSpec>(8, SeqSpec{0, 1024}), false);  // full 7B step
  CUDA_OK(cudaDeviceSynchronize());

  // Decode: one split and several, capped split counts, lengths off the 64-key tiles, GQA 7
  // (Qwen2.5), 4 (Llama 3), 8, MHA, a group above 16 heads (head chunks), block size 32.
  decode_case(64, 14, 2, 16, {100, 0, 700, 37, 255, 256, 257, 4000}, 16, 256);
  decode_case(128, 28, 4, 16, {1000, 5, 64, 63, 65, 3000}, 16, 64);
  decode_case(128, 32, 8, 32, {500, 1, 129}, 16, 128);
  decode_case(80, 16, 2, 32, {300, 129}, 4, 64);
  decode_case(96, 8, 8, 16, {77, 1, 2000}, 2, 64);
  decode_case(128, 40, 2, 16, {90, 400}, 3, 128);
  decode_case(64, 14, 2, 16, std::vector<int>(256, 1000), 1, 256);  // batch 256, one split
  decode_case(128, 28, 4, 16, {1000, 5, 64, 63, 65, 3000}, 16, 64, false);
  CUDA_OK(cudaDeviceSynchronize());

  int num_sms = 0;
  CUDA_OK(cudaDeviceGetAttribute(&num_sms, cudaDevAttrMultiProcessorCount, 0));
  for (int ctx : {128, 1024, 4096})
    for (int b : {1, 8, 64, 256}) {
      if (ctx > 1024 && b > 8) continue;  // the host-side inputs would take long to generate
      time_decode(64, 14, 2, b, ctx, num_sms);   // Qwen2.5-0.5B, per layer
      time_decode(128, 28, 4, b, ctx, num_sms);  // Qwen2.5-7B
    }

  time_case(128, 28, 4, 8, 1024);  // Qwen2.5-7B prefill step, per layer
  time_case(64, 14, 2, 8, 1024);   // Qwen2.5-0.5B
  time_case(128, 32, 8, 8, 1024);  // Llama-3-8B

  if (g_failures) {
    std::printf("%d check(s) FAILED (seed %llu)\n", g_failures,
                static_cast<unsigned long long>(seed));
    return 1;
  }
  std::printf("all tensor-core attention checks passed\n");
  return 0;
}
