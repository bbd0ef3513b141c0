// The reference sampler on hand-made logits: each filter, penalties, logprobs, seeded
// reproducibility and the sampled distribution.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "engine/backend/philox.h"
#include "engine/backend/sampler.h"

namespace pagoda {
namespace {

std::vector<float> logits_for_probs(const std::vector<double>& probs) {
  std::vector<float> l;
  for (double p : probs) l.push_back(static_cast<float>(std::log(p)));
  return l;
}

SampledToken sample(std::vector<float> logits, const SamplingRow& row) {
  return sample_row(logits, row);
}

SamplingRow random_row(uint64_t seed, uint64_t step) {
  SamplingRow row;
  row.temperature = 1.0f;
  row.seed = seed;
  row.step = step;
  return row;
}

// Pearson chi-square of observed counts against expected probabilities.
double chi_square(const std::map<int32_t, int>& counts, const std::vector<double>& probs, int n) {
  double chi = 0;
  for (size_t i = 0; i < probs.size(); ++i) {
    if (probs[i] == 0) continue;
    double expected = probs[i] * n;
    double observed =
        counts.count(static_cast<int32_t>(i)) ? counts.at(static_cast<int32_t>(i)) : 0;
    chi += (observed - expected) * (observed - expected) / expected;
  }
  return chi;
}

TEST(Sampler, GreedyTakesTheArgmaxLowestIdOnTies) {
  SamplingRow row;  // temperature 0
  EXPECT_EQ(sample({0.1f, 2.0f, -1.0f, 2.0f}, row).token_id, 1);
  row.temperature = 1e-7f;  // tiny counts as greedy
  EXPECT_EQ(sample({0.1f, 2.0f, -1.0f, 3.0f}, row).token_id, 3);
}

TEST(Sampler, LogprobsAreOfTheRawLogits) {
  SamplingRow row;
  row.num_logprobs = 2;
  row.repetition_penalty = 2.0f;  // changes the choice, not the reported logprobs
  row.output_ids = std::span<const int32_t>();
  std::vector<int32_t> prompt = {0};
  row.prompt_ids = prompt;
  std::vector<float> logits = {3.0f, 2.0f, 1.0f};
  double lse = std::log(std::exp(3.0) + std::exp(2.0) + std::exp(1.0));
  auto t = sample(logits, row);
  EXPECT_EQ(t.token_id, 1);  // 3/2 = 1.5 < 2
  EXPECT_NEAR(t.logprob, 2.0 - lse, 1e-5);
  ASSERT_EQ(t.top_logprobs.size(), 2u);
  EXPECT_EQ(t.top_logprobs[0].first, 0);
  EXPECT_NEAR(t.top_logprobs[0].second, 3.0 - lse, 1e-5);
  EXPECT_EQ(t.top_logprobs[1].first, 1);
}

TEST(Sampler, RepetitionPenaltyDividesPositiveMultipliesNegative) {
  SamplingRow row;
  row.repetition_penalty = 2.0f;
  std::vector<int32_t> prompt = {0, 0, 0}, output = {1};  // once per token, however often seen
  row.prompt_ids = prompt;
  row.output_ids = output;
  // 0: 4 -> 2;  1: -1 -> -2;  2: 1.9 stays.
  EXPECT_EQ(sample({4.0f, -1.0f, 1.9f}, row).token_id, 0);
  EXPECT_EQ(sample({3.0f, -1.0f, 1.9f}, row).token_id, 2);
  EXPECT_EQ(sample({-3.0f, -1.0f, -2.5f}, row).token_id, 1);  // -6, -2, -2.5
}

TEST(Sampler, PresenceAndFrequencyCountOutputTokensOnly) {
  SamplingRow row;
  std::vector<int32_t> prompt = {1, 1, 1}, output = {0, 0};
  row.prompt_ids = prompt;
  row.output_ids = output;
  row.frequency_penalty = 0.5f;  // token 0: -1.0
  EXPECT_EQ(sample({2.0f, 1.5f}, row).token_id, 1);
  EXPECT_EQ(sample({2.6f, 1.5f}, row).token_id, 0);
  row.frequency_penalty = 0;
  row.presence_penalty = 0.7f;  // token 0: -0.7 once
  EXPECT_EQ(sample({2.0f, 1.5f}, row).token_id, 1);
  EXPECT_EQ(sample({2.3f, 1.5f}, row).token_id, 0);
}

TEST(Sampler, BannedIdsAreNeverChosen) {
  std::vector<int32_t> banned = {2};
  for (uint64_t s = 0; s < 200; ++s) {
    auto row = random_row(s, 0);
    row.banned_ids = banned;
    EXPECT_NE(sample({0.0f, 0.0f, 5.0f}, row).token_id, 2);
  }
  SamplingRow greedy;
  greedy.banned_ids = banned;
  EXPECT_EQ(sample({0.0f, 1.0f, 5.0f}, greedy).token_id, 1);
}

// Constrained decoding: the mask comes before everything, logprobs included; ids past the
// mask's words are masked too.
TEST(Sampler, AllowedTokensMaskComesFirst) {
  std::vector<float> logits(40, 0.0f);
  logits[3] = 9.0f;   // the best token, masked
  logits[5] = 1.0f;
  logits[7] = 2.0f;
  logits[35] = 8.0f;  // past the mask's one word: masked
  const std::vector<uint32_t> mask = {(1u << 5) | (1u << 7)};
  SamplingRow greedy;
  greedy.allowed_tokens = mask;
  greedy.num_logprobs = 3;
  const SampledToken g = sample(logits, greedy);
  EXPECT_EQ(g.token_id, 7);
  // log-softmax over the allowed tokens only: e^2 / (e^1 + e^2)
  EXPECT_NEAR(g.logprob, std::log(std::exp(2.0) / (std::exp(1.0) + std::exp(2.0))), 1e-5);
  ASSERT_EQ(g.top_logprobs.size(), 3u);
  EXPECT_EQ(g.top_logprobs[0].first, 7);
  EXPECT_EQ(g.top_logprobs[1].first, 5);
  EXPECT_TRUE(std::isinf(g.top_logprobs[2].second));
  std::set<int32_t> seen;
  const std::vector<int32_t> output = {3, 35};
  for (uint64_t s = 0; s < 300; ++s) {
    auto row = random_row(s, s);
    row.allowed_tokens = mask;
    row.output_ids = output;
    row.presence_penalty = -2.0f;  // raises 3 and 35, after the mask: they stay masked
    seen.insert(sample(logits, row).token_id);
  }
  EXPECT_EQ(seen, (std::set<int32_t>{5, 7}));
}

std::set<int32_t> support(const std::vector<float>& logits, SamplingRow row, int draws = 2000) {
  std::set<int32_t> seen;
  for (int i = 0; i < draws; ++i) {
    row.step = static_cast<uint64_t>(i);
    seen.insert(sample(logits, row).token_id);
  }
  return seen;
}

TEST(Sampler, TopKTopPMinPKeepTheRightTokens) {
  auto logits = logits_for_probs({0.1, 0.5, 0.2, 0.15, 0.05});
  auto row = random_row(9, 0);
  EXPECT_EQ(support(logits, row), (std::set<int32_t>{0, 1, 2, 3, 4}));
  row.top_k = 1;
  EXPECT_EQ(support(logits, row), (std::set<int32_t>{1}));
  row.top_k = 3;
  EXPECT_EQ(support(logits, row), (std::set<int32_t>{1, 2, 3}));
  row.top_k = 0;
  row.top_p = 0.7f;  // 0.5 < 0.7, 0.5 + 0.2 reaches it
  EXPECT_EQ(support(logits, row), (std::set<int32_t>{1, 2}));
  row.top_p = 0.75f;
  EXPECT_EQ(support(logits, row), (std::set<int32_t>{1, 2, 3}));
  row.top_p = 1.0f;
  row.min_p = 0.28f;  // floor 0.14
  EXPECT_EQ(support(logits, row), (std::set<int32_t>{1, 2, 3}));
  row.min_p = 0.35f;
  EXPECT_EQ(support(logits, row), (std::set<int32_t>{1, 2}));
}

TEST(Sampler, SeededDrawsAreReproducible) {
  std::vector<float> logits(1000);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(std::sin(i * 0.37));
  std::vector<int32_t> a, b, c;
  for (uint64_t step = 0; step < 50; ++step) {
    a.push_back(sample(logits, random_row(1234, step)).token_id);
    b.push_back(sample(logits, random_row(1234, step)).token_id);
    c.push_back(sample(logits, random_row(1235, step)).token_id);
  }
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(Sampler, DistributionMatchesSoftmax) {
  const std::vector<double> probs = {0.4, 0.3, 0.15, 0.1, 0.05};
  auto logits = logits_for_probs(probs);
  const int n = 20000;
  std::map<int32_t, int> counts;
  for (int i = 0; i < n; ++i) ++counts[sample(logits, random_row(77, i)).token_id];
  // 4 degrees of freedom: 18.47 is the 0.1% critical value.
  EXPECT_LT(chi_square(counts, probs, n), 18.47);

  // Temperature 0.5 squares the probabilities (renormalised).
  auto row = random_row(78, 0);
  row.temperature = 0.5f;
  std::vector<double> sharp;
  double z = 0;
  for (double p : probs) z += p * p;
  for (double p : probs) sharp.push_back(p * p / z);
  counts.clear();
  for (int i = 0; i < n; ++i) {
    row.step = static_cast<uint64_t>(i);
    ++counts[sample(logits, row).token_id];
  }
  EXPECT_LT(chi_square(counts, sharp, n), 18.47);

  // top-k 2 renormalises over the two kept tokens.
  row = random_row(79, 0);
  row.top_k = 2;
  counts.clear();
  for (int i = 0; i < n; ++i) {
    row.step = static_cast<uint64_t>(i);
    ++counts[sample(logits, row).token_id];
  }
  EXPECT_LT(chi_square(counts, {4.0 / 7, 3.0 / 7}, n), 10.83);  // 1 dof
}

// The plain definition the sampler implements: sort every token, filter, walk the CDF.
int32_t reference_pick(std::vector<float> logits, const SamplingRow& row) {
  std::vector<int32_t> order(logits.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  for (auto& l : logits) l /= row.temperature;
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  if (row.top_k > 0) order.resize(std::min<size_t>(order.size(), row.top_k));
  std::vector<double> p;
  for (int32_t id : order) p.push_back(std::exp(double(logits[id]) - logits[order[0]]));
  double total = 0;
  for (double v : p) total += v;
  size_t kept = p.size(), n = 0;
  double cum = 0;
  while (n < kept && (n == 0 || cum < row.top_p * total)) cum += p[n++];
  kept = n;
  n = 1;
  while (n < kept && p[n] >= row.min_p) ++n;
  kept = n;
  total = 0;
  for (size_t i = 0; i < kept; ++i) total += p[i];
  double target = uniform_draw(row.seed, row.step) * total;
  cum = 0;
  for (size_t i = 0; i < kept; ++i) {
    cum += p[i];
    if (target < cum) return order[i];
  }
  return order[kept - 1];
}

TEST(Sampler, LargeVocabularyMatchesTheFullSortDefinition) {
  std::vector<float> logits(50000);
  uint64_t x = 99;
  for (auto& l : logits) {
    x = splitmix64(x);
    l = static_cast<float>((x >> 40) % 2000) / 200.0f;  // many ties on purpose
  }
  struct Case {
    float temperature, top_p, min_p;
    int top_k;
  };
  for (const Case& c :
       {Case{1.0f, 1.0f, 0.0f, 0}, Case{0.7f, 0.9f, 0.0f, 0}, Case{1.3f, 1.0f, 0.05f, 0},
        Case{1.0f, 0.8f, 0.0f, 500}, Case{2.0f, 0.95f, 0.001f, 40}}) {
    for (uint64_t step = 0; step < 40; ++step) {
      auto row = random_row(5, step);
      row.temperature = c.temperature;
      row.top_p = c.top_p;
      row.min_p = c.min_p;
      row.top_k = c.top_k;
      EXPECT_EQ(sample(logits, row).token_id, reference_pick(logits, row))
          << "T=" << c.temperature << " top_p=" << c.top_p << " step " << step;
    }
  }
}

}  // namespace
}  // namespace pagoda
