#pragma once
// Tensor-core (mma.sync m16n8k16 bf16, fp32 accumulate; sm_80+) flash attention over the paged KV
// cache, for prefill and chunked prefill. A drop-in for attention(): same parameters, tiling
// metadata and semantics (causal mask from the chunk's context, GQA, scale applied in fp32).
#include "kernels/kernels.h"

namespace pagoda::cuda {

// head_dim values the tensor-core kernel handles.
bool attention_mma_supported(int hd);

// Launches the tensor-core kernel and returns true, or returns false (nothing launched) where it
// does not apply: head_dim other than 64, 80, 96, 128, or KV splits (p.splits > 1).
// p.tile_seq / p.tile_q0 must follow attention_queries_per_tile(p.nh, p.nkv), as for attention().
bool attention_mma(const AttentionParams& p, cudaStream_t stream);

}  // namespace pagoda::cuda
