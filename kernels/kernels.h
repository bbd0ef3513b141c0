#pragma once
// The CUDA kernels of the backend, as host launchers on a stream. Activations and weights are
// bf16; the residual stream and logits are float32. Shared by the backend and the kernel tests;
// kernels/kernel_args.h builds the parameter structs.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace pagoda::cuda {

using bf16 = __nv_bfloat16;

// Whether the forward pass's kernels are launched as programmatic dependent launches (each may
// be scheduled while the previous one drains; sm_90 and later). Set once per process by the
// backend before it captures graphs (PAGODA_CUDA_PDL=0 turns it off).
void set_programmatic_launch(bool enabled);
bool programmatic_launch_enabled();

// The most tokens a fused decode step takes (QuantLinears' int4 products; bf16 weights stop at
// kGemvMaxTokens), and the stride of its sums of squares per norm site.
constexpr int kFusedMaxTokens = 8;

// residual[t, :] = table[ids[t], :] (ids outside [0, vocab) give zeros). With sumsq (fused decode,
// tokens <= kFusedMaxTokens): sumsq[t] = the row's sum of squares, and
// sumsq[s * kFusedMaxTokens + t] = 0 for the other sites s < sumsq_sites (the norms' accumulators
// for this step).
void embedding(const int32_t* ids, const bf16* table, float* residual, int tokens, int hidden,
               int vocab, cudaStream_t stream, float* sumsq = nullptr, int sumsq_sites = 0);

// A quantized product's input written by the kernel that produces it straight into the
// register-A wgmma tiles' layout (kernels/int4_act_layout.cuh) instead of row-major, so the
// product runs without its reorder kernel (q12). QuantLinears::frag_input says whether and where
// for a step; x null: row-major as usual. Channels must be a multiple of 64 (no padding). The
// producer also zeroes the product's split-tile accumulator (what its reorder kernel would have
// zeroed): zero_floats floats at zero (16-byte aligned), none when 0.
struct FragActOut {
  bf16* x = nullptr;
  int n_tile = 0;  // tokens a tile: 64 or 128
  float* zero = nullptr;
  int zero_floats = 0;
};

// With rows == nullptr: residual[r] += delta[r] (delta may be null), out[r] = rmsnorm(residual[r])
// (with frag.x, into frag.x in that layout instead; out unused). With rows: out[i] =
// rmsnorm(residual[rows[i]] + delta[rows[i]]), residual untouched (the final norm, for sampled
// rows only; no frag).
void add_rmsnorm(const bf16* delta, float* residual, const bf16* weight, bf16* out,
                 const int32_t* rows, int num_rows, int hidden, float eps, cudaStream_t stream,
                 FragActOut frag = {});

struct RopeStoreParams {
  const bf16* qkv = nullptr;     // [tokens, (nh + 2 nkv) * hd], q then k then v
  const bf16* bias = nullptr;    // [(nh + 2 nkv) * hd] or null
  const bf16* q_norm = nullptr;  // [hd] or null (Qwen3)
  const bf16* k_norm = nullptr;
  float eps = 1e-6f;
  const int32_t* positions = nullptr;  // [tokens]
  const int32_t* slots = nullptr;      // [tokens] block * block_size + offset; < 0: no write
  const float* inv_freq = nullptr;     // [hd / 2]
  float rope_scale = 1.0f;             // multiplies cos and sin (YaRN mscale)
  bf16* q_out = nullptr;               // [tokens, nh, hd]
  bf16* k_cache = nullptr;             // [num_blocks * block_size, nkv, hd]
  bf16* v_cache = nullptr;
  int tokens = 0, nh = 0, nkv = 0, hd = 0;
};
// Bias, per-head q/k RMSNorm, rotary embedding (rotate-half pairs), and the K/V cache write.
void rope_store(const RopeStoreParams& p, cudaStream_t stream);
// Whether a product's RoPE epilogue can do rope_store's work from p (the products' own shape
// checks aside): heads of an even size, no q/k norms (a norm needs the whole head), and every
// pointer it reads or writes set.
inline bool rope_epilogue_params_ok(const RopeStoreParams& p) {
  if (p.hd <= 0 || p.hd % 2 != 0 || p.nh <= 0 || p.nkv <= 0 || p.q_norm || p.k_norm) return false;
  return p.positions && p.slots && p.inv_freq && p.q_out && p.k_cache && p.v_cache;
}

// Paged attention over the KV cache for a batch of sequence chunks (prefill, chunked prefill
// with earlier context, and decode alike). The host splits each chunk's queries into tiles.
constexpr int kAttentionMaxSplits = 16;
struct AttentionParams {
  const bf16* q = nullptr;  // [tokens, nh, hd]
  const bf16* k_cache = nullptr;
  const bf16* v_cache = nullptr;
  bf16* out = nullptr;                    // [tokens, nh, hd]
  const int32_t* tile_seq = nullptr;      // [num_tiles]
  const int32_t* tile_q0 = nullptr;       // [num_tiles] first query of the tile within its chunk
  const int32_t* seq_q_start = nullptr;   // [seqs] first token row of the chunk
  const int32_t* seq_q_len = nullptr;     // [seqs] 0 for padding
  const int32_t* seq_kv_len = nullptr;    // [seqs] context + chunk tokens
  const int32_t* block_tables = nullptr;  // [seqs, block_table_stride]
  int block_table_stride = 0;
  int num_tiles = 0, tokens = 0, nh = 0, nkv = 0, hd = 0, block_size = 0;
  float scale = 1.0f;
  int splits = 1;                // KV split count (flash-decoding); > 1 needs the partials
  float* partial_out = nullptr;  // [splits, tokens, nh, hd]
  float* partial_ml = nullptr;   // [splits, tokens, nh, 2]; splits <= kAttentionMaxSplits merge
                                 // in one round trip to memory
};

// Queries per tile for a GQA group size (the kernel holds 32 query rows of one KV head).
int attention_queries_per_tile(int nh, int nkv);
// Raises shared-memory limits once (call before graph capture).
void attention_init();
void attention(const AttentionParams& p, cudaStream_t stream);

// out[t, i] = silu(gate_up[t, i]) * gate_up[t, I + i] (with frag.x, into frag.x in the wgmma
// tiles' layout instead, out unused).
void silu_mul(const bf16* gate_up, bf16* out, int tokens, int inter, cudaStream_t stream,
              FragActOut frag = {});

// Greedy rows: ids[r] = argmax(logits[r] with banned ids at -inf) (lowest id on ties), and
// logprobs[r] = raw logit - logsumexp(raw logits). banned ids of row r are
// banned[banned_offsets[r] .. banned_offsets[r + 1]). Writes -inf into banned logits.
void greedy_sample(float* logits, int rows, int vocab, const int32_t* banned,
                   const int32_t* banned_offsets, int32_t* ids, float* logprobs,
                   cudaStream_t stream);

// y[i, j] = sum_c x[i, c] w[j, c] for decode-sized m (1..4) with k % 8 == 0, y bf16 or float32.
// Returns false (nothing launched) for other shapes.
bool gemm_small_m(const bf16* x, const bf16* w, void* y, int m, int n, int k, bool out_f32,
                  cudaStream_t stream);

// The decode-sized product with the layer's neighbours fused in (m = 1..kGemvMaxTokens token
// rows, k % 8 == 0), so a decode layer is six kernels instead of ten (five without q/k norms):
// - an RMSNorm prologue in place of x: x[t, c] = bf16(norm_residual[t, c] *
//   rsqrt(norm_sumsq[t] / k + eps) * norm_weight[c]) (add_rmsnorm's arithmetic, with the sum of
//   squares summed by the kernel that last wrote the residual);
// - a SwiGLU epilogue: w holds 2 n rows (gate, then up) and y[t, j] = silu(g) * u as silu_mul()
//   computes it from the bf16-rounded products;
// - a residual epilogue in place of y: residual[t, j] += bf16(product), and the new rows' sums of
//   squares added into sumsq_out[t] (for the next norm);
// - a RoPE epilogue in place of y (rope_epilogue, w the QKV weight of rope's heads): rope_store()
//   on the bf16-rounded products, bit for bit, without the q/k norms; one warp computes the rows
//   h hd + d and h hd + d + hd / 2 of a head, so the pair it rotates never leaves its registers.
constexpr int kGemvMaxTokens = 4;
struct GemvParams {
  const bf16* x = nullptr;  // [m, k]; null with the norm prologue
  const float* norm_residual = nullptr;  // [m, k]
  const float* norm_sumsq = nullptr;     // [m]
  const bf16* norm_weight = nullptr;     // [k]
  float eps = 1e-6f;
  const bf16* w = nullptr;  // [n, k], or [2 n, k] with swiglu
  int m = 0, n = 0, k = 0;
  void* y = nullptr;  // [m, n] bf16, or float32 with out_f32
  bool out_f32 = false;
  bool swiglu = false;
  float* residual = nullptr;   // [m, n]: the residual epilogue (y unused)
  float* sumsq_out = nullptr;  // [m], zeroed before the first kernel that adds into it
  bool early_weights = false;  // the first weight loads before the programmatic-launch wait
  // With the norm prologue: the block normalizes its input once into shared memory (m k bf16, at
  // most kGemvStageMaxBytes) instead of every warp for its rows.
  bool stage_norm = false;
  // The RoPE epilogue (y null): n = (nh + 2 nkv) hd, tokens = m, no q/k norms; rope.qkv unused.
  bool rope_epilogue = false;
  RopeStoreParams rope;
};
// Returns false (nothing launched) for shapes it does not take and inconsistent parameters.
bool gemv(const GemvParams& p, cudaStream_t stream);
// Without stage_norm the norm prologue renormalizes the input for every weight row: past this
// many weight elements (64 MB of bf16) the input is normalized once by rms_normalize() instead
// (measured on the H200: 7B gate/up on the fly cost ~5% of a batch-1 step, docs/cuda-notes.md).
constexpr int64_t kGemvNormFuseMaxElems = int64_t{32} << 20;
// The staged input's limit (the default dynamic shared memory of a block), and the size up to
// which the fused decode stages it: above, the shared memory a block holds costs more resident
// blocks than staging saves (H200: 7B at 4 tokens, 28 KiB staged, 510 tok/s against 528 with
// rms_normalize; 0.5B at 4 tokens, 7 KiB, 3,670 against 3,023).
constexpr size_t kGemvStageMaxBytes = size_t{48} << 10;
constexpr size_t kGemvStagePreferBytes = size_t{16} << 10;
// out[t, c] = bf16(residual[t, c] * rsqrt(sumsq[t] / k + eps) * weight[c]), the prologue's
// arithmetic as a kernel of its own.
void rms_normalize(const float* residual, const float* sumsq, const bf16* weight, bf16* out,
                   int tokens, int k, float eps, cudaStream_t stream);

// Fills n bf16 values with uniform(-scale, scale) from a counter hash (benchmarks).
void fill_random_bf16(bf16* out, size_t n, uint64_t seed, float scale, float offset,
                      cudaStream_t stream);

}  // namespace pagoda::cuda
