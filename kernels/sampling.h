#pragma once
// Sampling of whole rows of logits on the GPU: the steps of pagoda::sample_row
// (engine/backend/sampler.h) in one block per row, without sorting the vocabulary. Plain structs
// only (nvcc compiles the kernels as C++17); gpu_sampler.h packs SamplingRow into them.
#include <cuda_runtime.h>

#include <cstdint>

namespace pagoda::cuda {

constexpr int kMaxTopLogprobs = 20;

// One vocabulary id a row's penalties or bans touch; ids of a row are distinct.
struct PenaltyEntry {
  int32_t id = 0;
  int32_t output_count = 0;  // occurrences in the output ids (presence/frequency), 0 = none
  int32_t flags = 0;         // kPenaltyRepeat | kPenaltyBan
  float raw_logit = 0.0f;    // written by the kernel: the logit before penalties
};
constexpr int32_t kPenaltyRepeat = 1;  // in the prompt or output ids: repetition penalty applies
constexpr int32_t kPenaltyBan = 2;     // banned: -inf after the penalties

struct SamplingRowParams {
  float temperature = 0.0f;  // is_greedy() (backend/greedy.h): argmax
  float top_p = 1.0f;
  float min_p = 0.0f;
  float repetition_penalty = 1.0f;
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  float uniform = 0.0f;  // uniform_draw(seed, step)
  int top_k = 0;
  int num_top_logprobs = 0;  // 0..kMaxTopLogprobs
  int entry_begin = 0, entry_end = 0;
  int skip = 0;  // 1: leave the row alone (sampled elsewhere)
  // Constrained decoding: the row's allowed-token bitset is masks[mask_offset, + mask_words);
  // ids past it are masked too. 0 words: unconstrained.
  int mask_words = 0;
  long long mask_offset = 0;
};

// A segment of a row's masked logits: its maximum (lowest id on ties) and sum of exp(x - max).
// The mask and these statistics are one pass over the row spread over many blocks, so that a
// few rows (batch-1 decode) do not leave one block per row reading the whole vocabulary.
struct RowSegmentStats {
  double sum = 0;
  float max = 0;
  int argmax = 0;
};
constexpr int kMaxRowSegments = 64;
// Segments per row for a step of rows rows (1..kMaxRowSegments).
int row_segments(int rows);

// For each row r of logits [rows, vocab] (overwritten with the masked, penalized logits):
// first the row's mask (masked ids become -inf), then ids[r], the log-softmax logprobs[r] of
// that id, and the top num_top_logprobs logprobs in top_ids/top_logprobs[r * kMaxTopLogprobs ...]
// (descending, ties by lower id), all of the masked logits before penalties. stats holds
// rows * row_segments(rows) entries.
void sample_rows(float* logits, int rows, int vocab, const SamplingRowParams* params,
                 PenaltyEntry* entries, const uint32_t* masks, int32_t* ids, float* logprobs,
                 int32_t* top_ids, float* top_logprobs, RowSegmentStats* stats,
                 cudaStream_t stream);

}  // namespace pagoda::cuda
