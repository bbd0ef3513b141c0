#pragma once
// Tensor-core (mma.sync m16n8k16 bf16, fp32 accumulate; sm_80+) flash attention over the paged KV
// cache: for prefill and chunked prefill, and for decode-only steps with KV splits. Drop-ins for
// attention(): same parameters, tiling metadata and semantics (causal mask from the chunk's
// context, GQA, scale applied in fp32). Host launchers on a stream; any thread.
#include "kernels/kernels.h"

namespace pagoda::cuda {

// head_dim values the tensor-core kernel handles.
bool attention_mma_supported(int hd);

// Launches the tensor-core kernel and returns true, or returns false (nothing launched) where it
// does not apply: head_dim other than 64, 80, 96, 128, or KV splits (p.splits > 1).
// p.tile_seq / p.tile_q0 must follow attention_queries_per_tile(p.nh, p.nkv), as for attention().
bool attention_mma(const AttentionParams& p, cudaStream_t stream);

// How the decode kernel splits and loads (CudaBackend sets them from its knobs).
struct DecodeOptions {
  int split_keys = 64;
  // The first tile's keys from earlier steps are requested before the wait for the previous
  // kernel (programmatic dependent launch): they are not written by this step.
  bool prefetch = true;
};
// The keys a split gets by default: few splits once the step has blocks enough to fill the GPU
// (measured on the H200, docs/cuda-notes.md "Decode attention on the tensor cores").
int decode_split_keys(int blocks, int num_sms);

// Decode-only steps (every sequence has one query, or none: a graph's padding rows; one tile per
// sequence). Each sequence's keys go in splits of about split_keys (a multiple of 64), at most
// p.splits of them (partials in p.partial_out / partial_ml), chosen from its own KV length when
// the kernel runs, so a captured graph fits every length; a sequence of one split is written
// directly, the others are merged by a second kernel. Returns false (nothing launched) where it
// does not apply: attention_decode_mma_init() not called or failed (no sm_80), head_dim not
// supported, p.splits above kAttentionMaxSplits, a bad split_keys.
bool attention_decode_mma(const AttentionParams& p, const DecodeOptions& o, cudaStream_t stream);
// The splits a sequence of max_kv keys takes (at most max_splits): a step's p.splits need not
// exceed it.
int decode_max_splits(int max_kv, int max_splits, int split_keys);
// Raises the decode kernel's shared-memory limit (once, before graph capture); false without
// an sm_80+ device.
bool attention_decode_mma_init();

}  // namespace pagoda::cuda
