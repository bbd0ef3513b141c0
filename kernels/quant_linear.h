#pragma once
// The quantized linear layers of a model on the GPU: uploads canonical QuantMatrix parts
// (engine/model/quant_weights.h) or random ones (benchmarks), and runs a product either through
// the fused GEMV (decode-sized batches) or by dequantizing into a bf16 scratch for cuBLAS.
// Used from the backend's thread only; owns its device memory.
#include <cuda_runtime.h>

#include <map>
#include <string>
#include <vector>

#include "engine/model/quant_config.h"
#include "engine/model/quant_weights.h"
#include "kernels/kernels.h"
#include "kernels/quant_gemm.h"

namespace pagoda::cuda {

// How the streaming product runs a linear for steps of some token counts (QuantLinears::prepare
// times the choices): the launch variant (0: int4_stream_variant()), the residual epilogue's
// input staged per CTA, and the SwiGLU product's norm as an rms_normalize kernel first instead
// of inside the product (measured: inside wins at 1 token, loses at 8, where each CTA would
// normalize 8 rows of float residuals).
struct StreamChoice {
  int variant = 0;
  bool stage_x = false;
  bool norm_outside = false;
};
// Steps of 1..2, 3..4 and 5..8 tokens, tuned at 1, 4 and 8 (kStreamBucketTokens).
constexpr int kStreamBuckets = 3;
constexpr int kStreamBucketTokens[kStreamBuckets] = {1, 4, 8};
inline int stream_bucket(int tokens) { return tokens <= 2 ? 0 : tokens <= 4 ? 1 : 2; }

// A linear layer [n, k] made of parts concatenated along n (q, k and v; gate and up).
struct QuantLinear {
  int n = 0, k = 0;
  std::vector<QuantPart> parts;
  // When a part has a permutation: the permuted activations, [kQuantFragMaxRows, k] (one
  // buffer shared by every linear, set by QuantLinears::prepare).
  __nv_bfloat16* x_perm = nullptr;
  bool permuted = false;
  bool frag = false;  // every part is int4 in fragment order (int4_frag_product)
  StreamChoice stream[kStreamBuckets];  // per stream_bucket(tokens) (prepare)
  const StreamChoice& stream_for(int tokens) const { return stream[stream_bucket(tokens)]; }
};

class QuantLinears {
 public:
  QuantLinears() = default;
  QuantLinears(const QuantLinears&) = delete;
  QuantLinears& operator=(const QuantLinears&) = delete;
  ~QuantLinears();

  // Uploads parts (same k) as one linear; returns the key the backend keeps in place of a bf16
  // weight pointer. Throws pagoda::Error when the GPU has no room.
  const __nv_bfloat16* upload(const std::vector<QuantMatrix>& parts);
  // Random packed weights of config's format for parts of the given row counts (benchmarks).
  const __nv_bfloat16* random(const QuantConfig& config, const std::vector<int>& rows, int k,
                              uint64_t seed, cudaStream_t stream);

  // Allocates the split-K accumulator of the tensor-core tiles for steps of up to max_tokens
  // and the permuted-activation buffers, and times the streaming product's variants on each
  // int4 linear's shape (int4_stream_autotune(); a few ms a shape) (after every upload, before
  // graph capture).
  void prepare(int max_tokens);
  // "shape: variant (us), ..." for each tuned shape (empty: none tuned).
  const std::string& tuning() const { return tuning_; }

  // The linear registered under key, or null for a bf16 weight.
  const QuantLinear* find(const void* key) const;
  // Elements of the largest bf16 [n, k] matrix a product dequantizes into.
  size_t max_dequant_elems() const { return max_elems_; }

  // y[t, :] = x[t, :] w^T through the fused product that reads each packed weight once:
  // int4 in fragment order for tokens <= kQuantFragMaxRows (with the wgmma tiles up to
  // kQuantFragChunkedMaxRows, kQuantFragMaxRows tokens a product), the other layouts' GEMV for
  // tokens <= kQuantGemvMaxRows (false: not launched, the layout is not one it takes).
  // With pre (frag_input(w, tokens), its buffer written by the input's producer): the input is
  // already in the wgmma tiles' layout, x is unused, and only those tiles run.
  bool gemv(const QuantLinear& w, const __nv_bfloat16* x, void* y, int tokens, bool out_f32,
            cudaStream_t stream, const FragActOut* pre = nullptr) const;
  // Where the kernel that produces w's input for a step of `tokens` tokens should write it so
  // that gemv runs the wgmma tiles without their reorder kernel (q12): the tiles' activation
  // buffer and tile size when this step's product is those tiles (fused_route, more than
  // int4_tile_after() and at least int4_wgmma_from() tokens) on unpermuted int4 with k % 64 == 0
  // and the buffer holds the step, with the split tiles' accumulator the products will add into
  // (for the producer to zero); else {} (row-major, the product reorders).
  // PAGODA_CUDA_INT4_FRAG_INPUT=0: always {}.
  FragActOut frag_input(const QuantLinear& w, int tokens) const;
  // The same through tensor-core tiles for tokens <= kQuantMmaMaxRows (and the steps prepare()
  // sized for) (false: not launched).
  bool mma(const QuantLinear& w, const __nv_bfloat16* x, void* y, int tokens, bool out_f32,
           cudaStream_t stream) const;

  // The fused decode layer's product (kernels.h's GemvParams, p.w being w's key) on int4 in
  // fragment order: the norm prologue as rms_normalize into normed ([p.m, p.k] bf16 scratch),
  // then the streaming product with the store, residual or SwiGLU epilogue (quant_gemm.h,
  // Int4Epilogue). False (nothing launched) when fused_supported would say no or p.m is above
  // kInt4StreamMaxRows.
  // With p.rope_epilogue (q, k, v parts; y == rope.qkv): bias, RoPE and the cache write in the
  // product's epilogue where rope_in_product says so, else the store into y and rope_store().
  bool fused_product(const QuantLinear& w, const GemvParams& p, __nv_bfloat16* normed,
                     cudaStream_t stream) const;
  // Whether fused_product runs p's RoPE inside the product (the norm staged in it, heads of a
  // multiple of 32 rows, no q/k norms: int4_stream_rope_fits).
  static bool rope_in_product(const QuantLinear& w, const GemvParams& p);
  // Whether fused_product takes w for that epilogue: int4 in fragment order with the streaming
  // product on (int4_stream_variant() > 0 and its kernels fit: int4_stream_ready); SwiGLU needs
  // two parts of equal rows and no permutation, the residual epilogue one part, and both parts
  // the streaming product takes (int4_stream_takes).
  static bool fused_supported(const QuantLinear& w, bool swiglu, bool residual);

  // Which route the backend takes for a step of t tokens, from the H200 measurements in
  // docs/cuda-notes.md (q2): t <= gemv_rows() the GEMV, t <= mma_rows() the tensor-core tiles,
  // larger steps dequantize into bf16 for cuBLAS. PAGODA_CUDA_QUANT_GEMV_ROWS and
  // PAGODA_CUDA_QUANT_MMA_ROWS override them (0: never).
  static constexpr int kDefaultGemvRows = 4;
  static constexpr int kDefaultMmaRows = 16;
  static int gemv_rows();
  static int mma_rows();
  // The same for int4 in fragment order: its product up to frag_rows() tokens (measured on the
  // H200, docs/cuda-notes.md q3 and q6: the 128-row tiles beat dequantize + cuBLAS at 64 and
  // 128 tokens; PAGODA_CUDA_QUANT_FRAG_ROWS overrides), dequantize above. With the wgmma tiles
  // (int4_wgmma_ready) up to kDefaultFragChunkedRows, kQuantFragMaxRows tokens a product (q11,
  // 7B AWQ: b256 22.05K tok/s against 16.57K dequantizing; b512 22.06K against 22.45K).
  static constexpr int kDefaultFragRows = 128, kDefaultFragChunkedRows = 256;
  static int frag_rows();
  // Whether the backend should take the fused product (gemv) for a step of t tokens.
  static bool fused_route(const QuantLinear& w, int tokens) {
    return tokens <= (w.frag ? frag_rows() : gemv_rows());
  }
  // Whether int4 weights are stored in fragment order (PAGODA_CUDA_QUANT_FRAG=0: canonical,
  // the q2 kernels).
  static bool use_frag();
  // Writes the whole bf16 weight into scratch (max_dequant_elems() elements).
  void dequantize(const QuantLinear& w, __nv_bfloat16* scratch, cudaStream_t stream) const;

 private:
  void* alloc(size_t bytes);
  const __nv_bfloat16* add(QuantLinear linear);

  std::vector<void*> allocations_;
  std::map<const void*, QuantLinear> linears_;
  size_t max_elems_ = 0;
  int max_perm_k_ = 0;
  bool frag_ready_ = false;
  __nv_bfloat16* x_perm_ = nullptr;
  int max_linear_rows_ = 0;  // the most output columns of one linear (all its parts)
  float* accum_ = nullptr;  // [accum_rows_, max_linear_rows_]
  int accum_rows_ = 0;
  int max_frag_k_ = 0;  // the most input channels of an int4 linear in fragment order, 64-aligned
  // [x_frag_rows_, max_frag_k_]: the register-A tiles' input, x_frag_rows_ = accum_rows_ or
  // kQuantFragMaxRows, whichever is more, rounded up to a whole tile
  __nv_bfloat16* x_frag_ = nullptr;
  int x_frag_rows_ = 0;
  int num_sms_ = 1;
  std::string tuning_;

  void tune_stream_variants();
  // The floats of the accumulator one wgmma product of m tokens (tiles of n_tile) adds into,
  // rounded up to 16 bytes: the products of a step's chunks take consecutive ones.
  int frag_chunk_accum(const QuantLinear& w, int m, int n_tile) const;
};

}  // namespace pagoda::cuda
