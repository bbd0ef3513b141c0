#include "kernels/gpu_sampler.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "engine/backend/philox.h"
#include "kernels/cuda_check.h"
#include "engine/util/error.h"

namespace pagoda::cuda {

namespace {

// Result words per row: id, logprob, then kMaxTopLogprobs ids and as many logprobs.
constexpr size_t kResultWords = 2 + 2 * kMaxTopLogprobs;

// A device buffer and its pinned host twin, `bytes` each.
template <typename T>
void alloc_pair(T*& dev, T*& host, size_t bytes, const char* what) {
  check(cudaMalloc(&dev, bytes), what);
  check(cudaMallocHost(&host, bytes), what);
}
// Frees both (either may be null) and clears the pointers.
template <typename T>
void free_pair(T*& dev, T*& host) {
  cudaFree(dev);
  cudaFreeHost(host);
  dev = nullptr;
  host = nullptr;
}

// Grows a pair to hold `needed` elements (at least `minimum`, doubling), keeping nothing.
template <typename T>
void grow_pair(T*& dev, T*& host, size_t& capacity, size_t needed, size_t minimum,
               const char* what) {
  if (needed <= capacity) return;
  const size_t n = std::max<size_t>({needed, 2 * capacity, minimum});
  free_pair(dev, host);
  capacity = 0;
  alloc_pair(dev, host, n * sizeof(T), what);
  capacity = n;
}

}  // namespace

GpuSampler::~GpuSampler() {
  free_buffers();
}

void GpuSampler::free_buffers() {
  free_pair(params_dev_, params_host_);
  free_pair(entries_dev_, entries_host_);
  free_pair(results_dev_, results_host_);
  free_pair(masks_dev_, masks_host_);
  if (stats_dev_) cudaFree(stats_dev_);
  stats_dev_ = nullptr;
  row_capacity_ = entry_capacity_ = mask_capacity_ = 0;
}

void GpuSampler::reserve(size_t rows, size_t entries, size_t mask_words) {
  // cudaFree waits for the device, so buffers of an earlier step are never freed in use.
  if (rows > row_capacity_) {
    const size_t n = std::max<size_t>({rows, 2 * row_capacity_, 64});
    free_pair(params_dev_, params_host_);
    free_pair(results_dev_, results_host_);
    if (stats_dev_) cudaFree(stats_dev_);
    stats_dev_ = nullptr;
    row_capacity_ = 0;
    alloc_pair(params_dev_, params_host_, n * sizeof(SamplingRowParams),
               "GPU sampling: parameters");
    alloc_pair(results_dev_, results_host_, n * kResultWords * 4, "GPU sampling: results");
    check(cudaMalloc(&stats_dev_, n * kMaxRowSegments * sizeof(RowSegmentStats)),
          "GPU sampling: row statistics");
    row_capacity_ = n;
  }
  grow_pair(entries_dev_, entries_host_, entry_capacity_, entries, 1024,
            "GPU sampling: penalty ids");
  grow_pair(masks_dev_, masks_host_, mask_capacity_, mask_words, 8192,
            "GPU sampling: token masks");
}

void GpuSampler::enqueue(float* logits, int vocab, std::span<const SamplingRow* const> rows,
                         cudaStream_t stream) {
  const size_t n = rows.size();
  params_.clear();
  entries_.clear();
  masks_.clear();
  num_logprobs_.assign(n, -1);
  vocab_ = vocab;
  if (n == 0 || vocab <= 0) return;
  if (mark_.size() != static_cast<size_t>(vocab)) {
    mark_.assign(vocab, 0);
    slot_.assign(vocab, 0);
    epoch_ = 0;
  }
  for (size_t r = 0; r < n; ++r) {
    SamplingRowParams q;
    const SamplingRow* row = rows[r];
    if (!row) {
      q.skip = 1;
      params_.push_back(q);
      continue;
    }
    q.temperature = row->temperature;
    q.top_p = row->top_p;
    q.min_p = row->min_p;
    q.repetition_penalty = row->repetition_penalty;
    q.presence_penalty = row->presence_penalty;
    q.frequency_penalty = row->frequency_penalty;
    q.uniform = uniform_draw(row->seed, row->step);
    q.top_k = row->top_k;
    q.num_top_logprobs = std::clamp(row->num_logprobs, 0, kMaxTopLogprobs);
    num_logprobs_[r] = row->num_logprobs;

    // One entry per distinct id the row's penalties or bans touch (the kernel needs no dedup).
    if (++epoch_ == 0) {
      std::fill(mark_.begin(), mark_.end(), 0u);
      epoch_ = 1;
    }
    q.entry_begin = static_cast<int>(entries_.size());
    auto entry = [&](int32_t id) -> PenaltyEntry* {
      if (id < 0 || id >= vocab) return nullptr;
      if (mark_[id] != epoch_) {
        mark_[id] = epoch_;
        slot_[id] = static_cast<int32_t>(entries_.size());
        entries_.push_back(PenaltyEntry{id, 0, 0, 0.0f});
      }
      return &entries_[slot_[id]];
    };
    if (row->repetition_penalty != 1.0f && row->repetition_penalty > 0.0f) {
      for (int32_t id : row->prompt_ids)
        if (PenaltyEntry* e = entry(id)) e->flags |= kPenaltyRepeat;
      for (int32_t id : row->output_ids)
        if (PenaltyEntry* e = entry(id)) e->flags |= kPenaltyRepeat;
    }
    if (row->presence_penalty != 0.0f || row->frequency_penalty != 0.0f)
      for (int32_t id : row->output_ids)
        if (PenaltyEntry* e = entry(id)) ++e->output_count;
    for (int32_t id : row->banned_ids)
      if (PenaltyEntry* e = entry(id)) e->flags |= kPenaltyBan;
    q.entry_end = static_cast<int>(entries_.size());
    if (!row->allowed_tokens.empty()) {  // the whole vocabulary's words; missing ones stay 0
      const size_t words = (static_cast<size_t>(vocab) + 31) / 32;
      q.mask_offset = static_cast<long long>(masks_.size());
      q.mask_words = static_cast<int>(words);
      masks_.resize(masks_.size() + words, 0u);
      std::copy_n(row->allowed_tokens.begin(), std::min(words, row->allowed_tokens.size()),
                  masks_.begin() + q.mask_offset);
    }
    params_.push_back(q);
  }

  reserve(n, entries_.size(), masks_.size());
  std::memcpy(params_host_, params_.data(), n * sizeof(SamplingRowParams));
  check(cudaMemcpyAsync(params_dev_, params_host_, n * sizeof(SamplingRowParams),
                        cudaMemcpyHostToDevice, stream),
        "parameters");
  if (!entries_.empty()) {
    std::memcpy(entries_host_, entries_.data(), entries_.size() * sizeof(PenaltyEntry));
    check(cudaMemcpyAsync(entries_dev_, entries_host_, entries_.size() * sizeof(PenaltyEntry),
                          cudaMemcpyHostToDevice, stream),
          "penalty ids");
  }
  if (!masks_.empty()) {
    std::memcpy(masks_host_, masks_.data(), masks_.size() * sizeof(uint32_t));
    check(cudaMemcpyAsync(masks_dev_, masks_host_, masks_.size() * sizeof(uint32_t),
                          cudaMemcpyHostToDevice, stream),
          "token masks");
  }
  auto* words = static_cast<int32_t*>(results_dev_);
  int32_t* ids = words;
  auto* logprobs = reinterpret_cast<float*>(words + n);
  int32_t* top_ids = words + 2 * n;
  auto* top_logprobs = reinterpret_cast<float*>(words + 2 * n + n * kMaxTopLogprobs);
  sample_rows(logits, static_cast<int>(n), vocab, params_dev_, entries_dev_, masks_dev_, ids,
              logprobs, top_ids, top_logprobs, stats_dev_, stream);
  check(cudaGetLastError(), "GPU sampling: kernel launch");
  check(cudaMemcpyAsync(results_host_, results_dev_, n * kResultWords * 4, cudaMemcpyDeviceToHost,
                        stream),
        "results");
}

SampledToken GpuSampler::result(int i) const {
  const size_t n = num_logprobs_.size();
  const auto* words = static_cast<const int32_t*>(results_host_);
  SampledToken out;
  out.token_id = words[i];
  std::memcpy(&out.logprob, words + n + i, sizeof(float));
  const int k = std::min(num_logprobs_[i], vocab_);
  if (k > 0) {
    const int32_t* top_ids = words + 2 * n + static_cast<size_t>(i) * kMaxTopLogprobs;
    const int32_t* top_words = words + 2 * n + n * kMaxTopLogprobs + i * kMaxTopLogprobs;
    for (int j = 0; j < std::min(k, kMaxTopLogprobs); ++j) {
      float lp;
      std::memcpy(&lp, top_words + j, sizeof(float));
      out.top_logprobs.emplace_back(top_ids[j], lp);
    }
  }
  return out;
}

}  // namespace pagoda::cuda
