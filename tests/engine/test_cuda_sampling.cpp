// GPU sampling (kernels/gpu_sampler.h) against the reference pagoda::sample_row on random rows:
// random logits (never zero; some rounded to bf16 so that ties occur), random temperature,
// top-k/top-p/min-p, penalties over prompt and output ids, banned ids, seeds and steps, greedy
// rows and a skipped row in the same batch. The ids must agree in >= 99.9% of rows (mismatches
// are printed with their probability gap), logprobs and top logprobs within 1e-3, and the
// penalized logits the kernel leaves behind bit for bit. Exits 77 (skipped) without a GPU.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "engine/backend/sampler.h"
#include "kernels/gpu_sampler.h"
#include "tests/engine/cuda_test_util.h"

using namespace cuda_test;

namespace {

void random_row(SamplerTestRow& t, int vocab) {
  pagoda::SamplingRow& s = t.sampling;
  const int kind = uniform_int(0, 9);
  s.temperature = kind < 2 ? 0.0f : static_cast<float>(uniform(0.2, 1.8));
  if (kind == 2) s.temperature = 1e-4f;
  if (chance(0.4))
    s.top_k = chance(0.2) ? uniform_int(1, 3) : uniform_int(1, std::min(vocab, 2000));
  if (chance(0.05)) s.top_k = vocab + 5;
  if (chance(0.4)) s.top_p = static_cast<float>(uniform(0.3, 0.99));
  if (chance(0.05)) s.top_p = 0.0f;
  if (chance(0.3)) s.min_p = static_cast<float>(uniform(0.001, 0.3));
  if (chance(0.4)) {
    const int prompt = uniform_int(0, 400), output = uniform_int(0, 200);
    const int pool = uniform_int(1, vocab);  // a small pool gives repeated output ids
    for (int i = 0; i < prompt; ++i) t.prompt.push_back(uniform_int(0, vocab - 1));
    for (int i = 0; i < output; ++i) t.output.push_back(uniform_int(0, pool - 1));
    if (chance(0.7))
      s.repetition_penalty =
          static_cast<float>(chance(0.8) ? uniform(1.01, 2.0) : uniform(0.5, 0.99));
    if (chance(0.6)) s.presence_penalty = static_cast<float>(uniform(-1.0, 2.0));
    if (chance(0.6)) s.frequency_penalty = static_cast<float>(uniform(-0.5, 1.0));
  }
  if (chance(0.3))
    for (int i = uniform_int(1, 6); i > 0; --i) t.banned.push_back(uniform_int(0, vocab - 1));
  if (chance(0.05)) t.banned.push_back(-3);  // out of range: ignored
  if (chance(0.02))                          // everything banned: raw argmax
    for (int i = 0; i < vocab; ++i) t.banned.push_back(i);
  finish_random_row(t, 5000, 2, pagoda::cuda::kMaxTopLogprobs);
}

struct Totals {
  int rows = 0, sampled_rows = 0, id_mismatches = 0;
};

// One batch of rows of one vocabulary size; row skip_row is passed as null and must stay raw.
void run_batch(pagoda::cuda::GpuSampler& sampler, int vocab, int rows, Totals& totals) {
  std::vector<std::vector<float>> logits(rows);
  std::vector<SamplerTestRow> test_rows(rows);
  std::vector<float> flat(static_cast<size_t>(rows) * vocab);
  for (int r = 0; r < rows; ++r) {
    logits[r] = random_logits(vocab, true);
    random_row(test_rows[r], vocab);
    std::copy(logits[r].begin(), logits[r].end(), flat.begin() + static_cast<size_t>(r) * vocab);
  }
  const int skip_row = uniform_int(0, rows - 1);
  std::vector<const pagoda::SamplingRow*> row_ptrs(rows);
  for (int r = 0; r < rows; ++r) row_ptrs[r] = r == skip_row ? nullptr : &test_rows[r].sampling;

  float* dev = nullptr;
  CUDA_OK(cudaMalloc(&dev, flat.size() * sizeof(float)));
  CUDA_OK(cudaMemcpy(dev, flat.data(), flat.size() * sizeof(float), cudaMemcpyHostToDevice));
  cudaEvent_t start, stop;
  CUDA_OK(cudaEventCreate(&start));
  CUDA_OK(cudaEventCreate(&stop));
  CUDA_OK(cudaEventRecord(start, nullptr));
  sampler.enqueue(dev, vocab, row_ptrs, nullptr);
  CUDA_OK(cudaEventRecord(stop, nullptr));
  CUDA_OK(cudaStreamSynchronize(nullptr));
  float ms = 0;
  CUDA_OK(cudaEventElapsedTime(&ms, start, stop));
  std::vector<float> after(flat.size());
  CUDA_OK(cudaMemcpy(after.data(), dev, flat.size() * sizeof(float), cudaMemcpyDeviceToHost));
  CUDA_OK(cudaFree(dev));
  CUDA_OK(cudaEventDestroy(start));
  CUDA_OK(cudaEventDestroy(stop));
  std::printf("vocab %d: %d rows sampled in %.3f ms (GPU, with transfers)\n", vocab, rows, ms);

  int penalty_diffs = 0;
  for (int r = 0; r < rows; ++r) {
    const float* gpu_logits = after.data() + static_cast<size_t>(r) * vocab;
    if (r == skip_row) {
      if (!std::equal(gpu_logits, gpu_logits + vocab, logits[r].begin())) {
        std::printf("FAIL: vocab %d row %d was skipped but its logits changed\n", vocab, r);
        ++g_failures;
      }
      continue;
    }
    const pagoda::SamplingRow& s = test_rows[r].sampling;
    std::vector<float> cpu_logits = logits[r];
    const pagoda::SampledToken want = pagoda::sample_row(cpu_logits, s);
    const pagoda::SampledToken got = sampler.result(r);
    ++totals.rows;

    // The reference leaves the penalized logits, divided by the temperature where finite when
    // it sampled; the kernel leaves them penalized only.
    const bool sampled =
        s.temperature >= 1e-5f &&
        std::any_of(gpu_logits, gpu_logits + vocab, [](float v) { return v != -INFINITY; });
    totals.sampled_rows += sampled;
    for (int i = 0; i < vocab; ++i) {
      const float g =
          gpu_logits[i] == -INFINITY || !sampled ? gpu_logits[i] : gpu_logits[i] / s.temperature;
      if (g != cpu_logits[i] && !(std::isnan(g) && std::isnan(cpu_logits[i]))) ++penalty_diffs;
    }

    if (got.token_id != want.token_id) {
      ++totals.id_mismatches;
      // The gap: the two tokens' probabilities relative to the most likely token (p / p_max)
      // under the reference's penalized, temperature-scaled logits.
      double max_scaled = -INFINITY;
      for (int i = 0; i < vocab; ++i) max_scaled = std::max<double>(max_scaled, cpu_logits[i]);
      auto p = [&](int id) {
        return id >= 0 && id < vocab ? std::exp(cpu_logits[id] - max_scaled) : -1.0;
      };
      std::printf(
          "mismatch: vocab %d row %d T %.3f top_k %d top_p %.3f min_p %.3f: "
          "reference %d (p/p_max %.9g), GPU %d (p/p_max %.9g), gap %.3g\n",
          vocab, r, s.temperature, s.top_k, s.top_p, s.min_p, want.token_id, p(want.token_id),
          got.token_id, p(got.token_id), std::fabs(p(want.token_id) - p(got.token_id)));
    } else if (!logprob_close(got.logprob, want.logprob)) {
      std::printf("FAIL: vocab %d row %d: logprob %.6f, reference %.6f\n", vocab, r, got.logprob,
                  want.logprob);
      ++g_failures;
    }
    if (!top_logprobs_match(got, want)) {
      std::printf("FAIL: vocab %d row %d: top logprobs differ (%zu vs %zu entries)\n", vocab, r,
                  got.top_logprobs.size(), want.top_logprobs.size());
      ++g_failures;
    }
  }
  if (penalty_diffs) {
    std::printf("FAIL: vocab %d: %d penalized logits differ from the reference\n", vocab,
                penalty_diffs);
    ++g_failures;
  }
}

}  // namespace

int main() {
  if (!have_gpu()) return 77;
  seed_rng();

  pagoda::cuda::GpuSampler sampler;
  Totals totals;
  struct Case {
    int vocab, batches, rows;
  };
  for (const Case c : {Case{1000, 10, 200}, Case{32000, 8, 100}, Case{151936, 6, 64}})
    for (int b = 0; b < c.batches; ++b) run_batch(sampler, c.vocab, c.rows, totals);
  // Timing of a decode-sized batch: 256 rows of a 152K vocabulary.
  run_batch(sampler, 151936, 256, totals);

  std::printf("%d rows (%d sampled, the rest greedy or all banned)\n", totals.rows,
              totals.sampled_rows);
  return sampler_test_result(totals.rows, totals.id_mismatches);
}
