#pragma once
// Builders of the kernels' parameter structs (kernels.h) from what every call has: the backend's
// step (kernels/cuda_step.cpp) and the kernel tests fill them here, once. Host C++20 only (the
// .cu files, compiled as C++17, do not include it). Pure functions; any thread.
#include <cmath>
#include <cstdint>

#include "kernels/kernels.h"

namespace pagoda::cuda {

// One attention layer's heads: query heads, KV heads, head dim.
struct HeadShape {
  int nh = 0, nkv = 0, hd = 0;
};

// rope_store()'s arguments that every call sets; bias, q/k norms, eps and rope_scale keep their
// defaults for the caller to set.
inline RopeStoreParams rope_store_params(const bf16* qkv, const int32_t* positions,
                                         const int32_t* slots, const float* inv_freq,
                                         bf16* q_out, bf16* k_cache, bf16* v_cache, int tokens,
                                         HeadShape heads) {
  return {.qkv = qkv, .positions = positions, .slots = slots, .inv_freq = inv_freq,
          .q_out = q_out, .k_cache = k_cache, .v_cache = v_cache, .tokens = tokens,
          .nh = heads.nh, .nkv = heads.nkv, .hd = heads.hd};
}

// Where an attention call's tiling lives on the device (the arrays of step_plan.h's
// AttentionTiles, in that order, then the block tables), and its sizes.
struct AttentionTileArrays {
  const int32_t* tile_seq = nullptr;
  const int32_t* tile_q0 = nullptr;
  const int32_t* q_start = nullptr;
  const int32_t* q_len = nullptr;
  const int32_t* kv_len = nullptr;
  const int32_t* block_tables = nullptr;
};
struct AttentionSizes {
  int num_tiles = 0, tokens = 0, block_size = 0, block_table_stride = 0;
};

// attention()'s arguments, unsplit, with the softmax scale 1/sqrt(hd); the caller sets splits
// and the partials of a split call.
inline AttentionParams attention_params(const bf16* q, const bf16* k_cache, const bf16* v_cache,
                                        bf16* out, const AttentionTileArrays& t,
                                        const AttentionSizes& sizes, HeadShape heads) {
  return {.q = q, .k_cache = k_cache, .v_cache = v_cache, .out = out, .tile_seq = t.tile_seq,
          .tile_q0 = t.tile_q0, .seq_q_start = t.q_start, .seq_q_len = t.q_len,
          .seq_kv_len = t.kv_len, .block_tables = t.block_tables,
          .block_table_stride = sizes.block_table_stride, .num_tiles = sizes.num_tiles,
          .tokens = sizes.tokens, .nh = heads.nh, .nkv = heads.nkv, .hd = heads.hd,
          .block_size = sizes.block_size,
          .scale = 1.0f / std::sqrt(static_cast<float>(heads.hd))};
}

}  // namespace pagoda::cuda
