#include "engine/backend/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/backend/philox.h"

namespace pagoda {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Higher value first, ties by lower id: the one order every backend uses.
struct ByValueDesc {
  std::span<const float> values;
  bool operator()(int32_t a, int32_t b) const {
    return values[a] > values[b] || (values[a] == values[b] && a < b);
  }
};

// Sorts a token list in ByValueDesc order only as far as it is read: the tokens above a falling
// threshold are partitioned off and sorted, one segment after another, so that sampling from a
// 150k vocabulary rarely sorts more than a few hundred entries.
class LazyDescending {
 public:
  LazyDescending(std::vector<int32_t>& order, std::span<const float> values)
      : order_(order), desc_{values}, values_(values) {}
  void ensure(size_t n) {
    while (sorted_ < n && sorted_ < order_.size()) extend();
  }
  // top-k: the first k in order; the rest is never read.
  void partial(size_t k) {
    std::partial_sort(order_.begin(), order_.begin() + k, order_.end(), desc_);
    sorted_ = k;
  }

 private:
  void extend() {
    auto rest = order_.begin() + static_cast<long>(sorted_);
    float top = kNegInf;
    for (auto it = rest; it != order_.end(); ++it) top = std::max(top, values_[*it]);
    const float threshold = top - step_;
    step_ *= 2;
    auto mid =
        std::partition(rest, order_.end(), [&](int32_t id) { return values_[id] >= threshold; });
    std::sort(rest, mid, desc_);
    sorted_ = static_cast<size_t>(mid - order_.begin());
  }
  std::vector<int32_t>& order_;
  ByValueDesc desc_;
  std::span<const float> values_;
  size_t sorted_ = 0;
  float step_ = 4.0f;  // in logits: exp(-4) of the best remaining token, then wider
};

double log_sum_exp(std::span<const float> x) {
  float m = kNegInf;
  for (float v : x) m = std::max(m, v);
  if (m == kNegInf) return m;
  double s = 0;
  for (float v : x) s += std::exp(static_cast<double>(v - m));
  return m + std::log(s);
}

int32_t argmax(std::span<const float> x) {
  int32_t best = 0;
  for (int32_t i = 1; i < static_cast<int32_t>(x.size()); ++i)
    if (x[i] > x[best]) best = i;
  return best;
}

void apply_penalties(std::span<float> logits, const SamplingRow& row) {
  const int32_t vocab = static_cast<int32_t>(logits.size());
  if (row.repetition_penalty != 1.0f && row.repetition_penalty > 0.0f) {
    std::vector<char> seen(vocab, 0);
    auto penalize = [&](int32_t id) {
      if (id < 0 || id >= vocab || seen[id]) return;
      seen[id] = 1;
      float& l = logits[id];
      l = l > 0 ? l / row.repetition_penalty : l * row.repetition_penalty;
    };
    for (int32_t id : row.prompt_ids) penalize(id);
    for (int32_t id : row.output_ids) penalize(id);
  }
  if (row.presence_penalty != 0.0f || row.frequency_penalty != 0.0f) {
    std::vector<int32_t> counts(vocab, 0);
    for (int32_t id : row.output_ids)
      if (id >= 0 && id < vocab) ++counts[id];
    for (int32_t id = 0; id < vocab; ++id) {
      if (counts[id] == 0) continue;
      logits[id] -= row.frequency_penalty * counts[id] + row.presence_penalty;
    }
  }
  for (int32_t id : row.banned_ids)
    if (id >= 0 && id < vocab) logits[id] = kNegInf;
}

}  // namespace

SampledToken sample_row(std::span<float> logits, const SamplingRow& row) {
  SampledToken out;
  if (logits.empty()) return out;
  const int32_t vocab = static_cast<int32_t>(logits.size());
  // The grammar's mask comes first: masked tokens do not exist for anything below.
  if (!row.allowed_tokens.empty())
    for (int32_t id = 0; id < vocab; ++id)
      if (!token_allowed(row.allowed_tokens, id)) logits[id] = kNegInf;

  // Logprobs describe the model's distribution (after the mask), before any penalty or filter.
  const double raw_lse = log_sum_exp(logits);
  // Penalties and temperature rewrite logits in place; the sampled token's logprob needs the raw
  // one.
  const std::vector<float> raw_logits(logits.begin(), logits.end());
  if (row.num_logprobs >= 0) {
    const int k = std::min(row.num_logprobs, static_cast<int>(vocab));
    if (k > 0) {
      std::vector<int32_t> order(vocab);
      for (int32_t i = 0; i < vocab; ++i) order[i] = i;
      std::partial_sort(order.begin(), order.begin() + k, order.end(),
                        ByValueDesc{std::span<const float>(raw_logits)});
      for (int i = 0; i < k; ++i)
        out.top_logprobs.emplace_back(order[i], static_cast<float>(raw_logits[order[i]] - raw_lse));
    }
  }
  auto raw_logprob = [&](int32_t id) { return static_cast<float>(raw_logits[id] - raw_lse); };

  apply_penalties(logits, row);

  if (is_greedy(row.temperature)) {
    out.token_id = argmax(logits);
    out.logprob = raw_logprob(out.token_id);
    return out;
  }
  std::vector<int32_t> order;
  order.reserve(vocab);
  for (int32_t i = 0; i < vocab; ++i)
    if (logits[i] != kNegInf) order.push_back(i);
  if (order.empty()) {  // everything banned: fall back to the raw argmax
    out.token_id = argmax(raw_logits);
    out.logprob = raw_logprob(out.token_id);
    return out;
  }
  for (int32_t id : order) logits[id] /= row.temperature;
  const std::span<const float> scaled(logits.data(), logits.size());
  float max_logit = kNegInf;
  for (int32_t id : order) max_logit = std::max(max_logit, scaled[id]);
  // Unnormalised probability: the most likely token has 1.
  auto prob = [&](int32_t id) { return std::exp(static_cast<double>(scaled[id]) - max_logit); };

  LazyDescending sorted(order, scaled);
  size_t kept = order.size();  // the kept tokens are order[0, kept) in descending order
  double total = 0;
  if (row.top_k > 0 && static_cast<size_t>(row.top_k) < kept) {
    kept = static_cast<size_t>(row.top_k);
    sorted.partial(kept);
    for (size_t i = 0; i < kept; ++i) total += prob(order[i]);
  } else {
    for (int32_t id : order) total += prob(id);
  }
  bool cut = false;
  if (row.top_p < 1.0f) {
    // Smallest prefix whose mass reaches top_p (the first token always stays).
    const double target = static_cast<double>(row.top_p) * total;
    double cum = 0;
    size_t n = 0;
    while (n < kept && (n == 0 || cum < target)) {
      sorted.ensure(n + 1);
      cum += prob(order[n++]);
    }
    cut = cut || n < kept;
    kept = n;
  }
  if (row.min_p > 0.0f) {
    size_t n = 1;
    while (n < kept) {
      sorted.ensure(n + 1);
      if (prob(order[n]) < static_cast<double>(row.min_p)) break;
      ++n;
    }
    cut = cut || n < kept;
    kept = n;
  }
  if (cut) {
    total = 0;
    for (size_t i = 0; i < kept; ++i) total += prob(order[i]);
  }

  // The draw walks the kept tokens' cumulative distribution from the most likely one.
  const double target = static_cast<double>(uniform_draw(row.seed, row.step)) * total;
  double cum = 0;
  size_t pick = kept - 1;
  for (size_t i = 0; i < kept; ++i) {
    sorted.ensure(i + 1);
    cum += prob(order[i]);
    if (target < cum) {
      pick = i;
      break;
    }
  }
  out.token_id = order[pick];
  out.logprob = raw_logprob(out.token_id);
  return out;
}

}  // namespace pagoda
