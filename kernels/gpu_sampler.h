#pragma once
// The host side of GPU sampling (sampling.h): packs SamplingRow parameters, the ids that
// penalties and bans touch and the rows' allowed-token masks into device buffers (uploaded each
// step, outside any CUDA graph), launches the kernel, and unpacks the sampled ids and logprobs.
// Only those (a few bytes a row) come back to the host.
#include <cuda_runtime.h>

#include <cstdint>
#include <span>
#include <vector>

#include "engine/backend/backend.h"
#include "kernels/sampling.h"

namespace pagoda::cuda {

class GpuSampler {
 public:
  GpuSampler() = default;
  ~GpuSampler();
  GpuSampler(const GpuSampler&) = delete;
  GpuSampler& operator=(const GpuSampler&) = delete;

  // Rows asking for more top logprobs than the kernel returns are sampled on the host.
  static bool supports(const SamplingRow& row) { return row.num_logprobs <= kMaxTopLogprobs; }

  // Enqueues the sampling of logits rows [0, rows.size()) ([rows, vocab] on the device; the
  // sampled rows are rewritten with their penalized logits). A null row is left untouched.
  void enqueue(float* logits, int vocab, std::span<const SamplingRow* const> rows,
               cudaStream_t stream);
  // The sampled token of rows[i] of the last enqueue, once its stream has been synchronized.
  SampledToken result(int i) const;

 private:
  void reserve(size_t rows, size_t entries, size_t mask_words);
  void free_buffers();

  std::vector<SamplingRowParams> params_;
  std::vector<PenaltyEntry> entries_;
  std::vector<uint32_t> masks_;
  std::vector<int> num_logprobs_;  // per row of the last enqueue: -1 none, else how many
  int vocab_ = 0;
  // Which entry of the current row holds an id: valid where mark_[id] == epoch_.
  std::vector<uint32_t> mark_;
  std::vector<int32_t> slot_;
  uint32_t epoch_ = 0;

  size_t row_capacity_ = 0, entry_capacity_ = 0, mask_capacity_ = 0;
  SamplingRowParams* params_dev_ = nullptr;
  SamplingRowParams* params_host_ = nullptr;  // pinned
  PenaltyEntry* entries_dev_ = nullptr;
  PenaltyEntry* entries_host_ = nullptr;  // pinned
  uint32_t* masks_dev_ = nullptr;
  uint32_t* masks_host_ = nullptr;  // pinned
  // [ids | logprobs | top ids | top logprobs], 4-byte elements, one copy back per step.
  void* results_dev_ = nullptr;
  void* results_host_ = nullptr;  // pinned
  RowSegmentStats* stats_dev_ = nullptr;  // [rows][kMaxRowSegments]
};

}  // namespace pagoda::cuda
