// Constrained decoding on the GPU sampler (kernels/gpu_sampler.h) against the reference
// pagoda::sample_row: rows carry allowed-token masks, from a real grammar over the Qwen
// vocabulary (the states along a valid JSON output) and random ones (dense, sparse, a single
// token, shorter than the vocabulary), mixed with greedy / sampled rows, top-k/top-p/min-p,
// penalties, bans and logprobs. Every GPU-sampled id must be allowed by its mask (no exception),
// ids must agree with the reference in >= 99.9% of rows, logprobs and top logprobs within 1e-3
// (they describe the masked distribution on both). Exits 77 (skipped) without a GPU.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <vector>

#include "engine/backend/sampler.h"
#include "engine/grammar/grammar.h"
#include "kernels/gpu_sampler.h"
#include "tests/engine/cuda_test_util.h"

using namespace cuda_test;

namespace {

std::vector<uint32_t> random_mask(int vocab) {
  const size_t words = (static_cast<size_t>(vocab) + 31) / 32;
  std::vector<uint32_t> m(uniform_int(0, 9) == 0 ? words / 2 + 1 : words, 0u);  // sometimes short
  const int kind = uniform_int(0, 3);
  auto set = [&](int id) {
    if (static_cast<size_t>(id >> 5) < m.size()) m[id >> 5] |= 1u << (id & 31);
  };
  if (kind == 0) {
    // A single allowed token, inside the (maybe short) mask: an empty mask is not a grammar's.
    set(uniform_int(0, std::min<int>(vocab, static_cast<int>(m.size()) * 32) - 1));
  } else {
    const double density = kind == 1 ? 0.001 : kind == 2 ? 0.1 : 0.9;
    for (int id = 0; id < vocab; ++id)
      if (uniform(0, 1) < density) set(id);
    set(uniform_int(0, vocab / 2));  // never empty
  }
  return m;
}

void random_params(SamplerTestRow& r, int vocab) {
  pagoda::SamplingRow& s = r.sampling;
  const int kind = uniform_int(0, 9);
  s.temperature = kind < 3 ? 0.0f : static_cast<float>(uniform(0.3, 1.5));
  if (uniform(0, 1) < 0.3) s.top_k = uniform_int(1, 200);
  if (uniform(0, 1) < 0.3) s.top_p = static_cast<float>(uniform(0.3, 0.99));
  if (uniform(0, 1) < 0.2) s.min_p = static_cast<float>(uniform(0.001, 0.2));
  if (uniform(0, 1) < 0.3) {
    for (int i = uniform_int(1, 50); i > 0; --i) r.output.push_back(uniform_int(0, vocab - 1));
    s.repetition_penalty = static_cast<float>(uniform(1.01, 1.8));
    s.presence_penalty = static_cast<float>(uniform(-0.5, 1.0));
  }
  if (uniform(0, 1) < 0.2)
    for (int i = uniform_int(1, 4); i > 0; --i) r.banned.push_back(uniform_int(0, vocab - 1));
  finish_random_row(r, 1000, 1, pagoda::cuda::kMaxTopLogprobs);
}

struct Totals {
  int rows = 0, mismatches = 0;
};

void run_batch(pagoda::cuda::GpuSampler& sampler, int vocab, std::vector<SamplerTestRow>& rows,
               Totals& totals) {
  const int n = static_cast<int>(rows.size());
  std::vector<std::vector<float>> logits(n);
  std::vector<float> flat(static_cast<size_t>(n) * vocab);
  std::vector<const pagoda::SamplingRow*> ptrs(n);
  for (int r = 0; r < n; ++r) {
    logits[r] = random_logits(vocab);
    std::copy(logits[r].begin(), logits[r].end(), flat.begin() + static_cast<size_t>(r) * vocab);
    ptrs[r] = &rows[r].sampling;
  }
  DeviceBuffer<float> dev(flat.size());
  dev.upload(flat);
  sampler.enqueue(dev.ptr, vocab, ptrs, nullptr);
  CUDA_OK(cudaStreamSynchronize(nullptr));
  for (int r = 0; r < n; ++r) {
    const pagoda::SamplingRow& s = rows[r].sampling;
    std::vector<float> cpu = logits[r];
    const pagoda::SampledToken want = pagoda::sample_row(cpu, s);
    const pagoda::SampledToken got = sampler.result(r);
    ++totals.rows;
    if (!pagoda::token_allowed(s.allowed_tokens, got.token_id)) {
      std::printf("FAIL: vocab %d row %d: GPU sampled %d, which the mask forbids\n", vocab, r,
                  got.token_id);
      ++g_failures;
    }
    if (got.token_id != want.token_id) {
      ++totals.mismatches;
      continue;
    }
    if (!logprob_close(got.logprob, want.logprob)) {
      std::printf("FAIL: vocab %d row %d: logprob %.6f, reference %.6f\n", vocab, r, got.logprob,
                  want.logprob);
      ++g_failures;
    }
    if (!top_logprobs_match(got, want)) {
      std::printf("FAIL: vocab %d row %d: top logprobs differ\n", vocab, r);
      ++g_failures;
    }
  }
}

// Masks of a real grammar: the matcher's states along a valid output, over the Qwen vocabulary.
std::vector<std::vector<uint32_t>> grammar_masks(int vocab) {
  using namespace pagoda;
  auto tok = Tokenizer::from_dir(std::filesystem::path(PAGODA_TEST_DATA) / "tokenizers/qwen3");
  auto words = std::make_shared<grammar::TokenVocabulary>(*tok, vocab);
  const auto g = grammar::compile_grammar(
      {StructuredOutput::Kind::json_schema,
       R"({"type":"object","properties":{"city":{"type":"string","maxLength":8},
           "temp":{"type":"number"},"ok":{"type":"boolean"}},"required":["city","temp","ok"]})",
       {}});
  grammar::GrammarMatcher m(g, words, {*tok->eos_id()});
  std::vector<std::vector<uint32_t>> out;
  for (const char* piece : {"{\"", "city", "\":\"", "Pa", "ris", "\",\"", "temp", "\":", "-3",
                            ".5", ",\"", "ok", "\":", "true", "}"}) {
    std::vector<uint32_t> mask(words->mask_words());
    m.fill_mask(mask);
    out.push_back(mask);
    const auto id = tok->token_to_id(piece);
    if (!id || !m.accept(*id)) {
      // The piece is not one token in this vocabulary: encode it.
      for (int32_t t : tok->encode(piece))
        if (!m.accept(t)) {
          std::printf("FAIL: the grammar path broke at '%s'\n", piece);
          ++g_failures;
          return out;
        }
    }
  }
  std::vector<uint32_t> mask(words->mask_words());
  m.fill_mask(mask);  // complete: EOS only
  out.push_back(mask);
  return out;
}

}  // namespace

int main() {
  if (!have_gpu()) return 77;
  seed_rng();
  constexpr int kQwenVocab = 151936;
  const auto masks = grammar_masks(kQwenVocab);
  pagoda::cuda::GpuSampler sampler;
  Totals totals;
  for (int b = 0; b < 4; ++b) {
    std::vector<SamplerTestRow> rows(masks.size() * 2);
    for (size_t r = 0; r < rows.size(); ++r) {
      rows[r].mask = masks[r % masks.size()];
      random_params(rows[r], kQwenVocab);
    }
    run_batch(sampler, kQwenVocab, rows, totals);
  }
  for (int vocab : {1000, 32000, kQwenVocab})
    for (int b = 0; b < 4; ++b) {
      std::vector<SamplerTestRow> rows(64);
      for (auto& r : rows) {
        if (uniform_int(0, 4) != 0) r.mask = random_mask(vocab);  // some rows unconstrained
        random_params(r, vocab);
      }
      run_batch(sampler, vocab, rows, totals);
    }
  return sampler_test_result(totals.rows, totals.mismatches);
}
