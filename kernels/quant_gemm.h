#pragma once
// CUDA kernels for quantized linear weights (int4 AWQ/GPTQ, int8 GPTQ, FP8 e4m3) in the canonical
// layout of engine/model/quant_weights.h: a fused dequantize-and-multiply GEMV for decode-sized
// batches that reads each packed weight once, and a dequantize-into-bf16 kernel for cuBLAS.
// Host launchers on a stream; no state, any thread.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/kernels.h"

namespace pagoda::cuda {

enum class QuantKind : int { Int4 = 0, Int8 = 1, Fp8 = 2 };

// One part of a (possibly fused) linear layer on the device: rows [row0, row0 + n) of the output.
struct QuantPart {
  QuantKind kind = QuantKind::Int4;
  int n = 0, k = 0, row0 = 0;
  // Int4 / Int8: packed [n, k * bits / 32], scale_zero [n, groups] (fp16 scale, fp16 zero).
  const uint32_t* packed = nullptr;
  const __half2* scale_zero = nullptr;
  int group_size = 0, groups = 0;
  const int32_t* perm = nullptr;  // [k]: position j holds input channel perm[j]; null: identity
  // Int4 only: the weights in mma fragment order (quant_int4_mma.cu) instead of packed, which
  // is then null; int4_frag_words(n, k) words.
  const uint32_t* frag = nullptr;
  // Fp8: fp8 [n, k], block_scales [ceil(n / block_n), blocks_k].
  const uint8_t* fp8 = nullptr;
  const float* block_scales = nullptr;
  int block_n = 0, block_k = 0, blocks_k = 0;
};

// The largest batch the fused GEMV takes.
constexpr int kQuantGemvMaxRows = 8;

// Whether quant_gemv takes this part (k and the groups aligned to the 16-byte chunks it reads).
bool quant_gemv_supported(const QuantPart& w);

// y[i, row0 + r] = sum_c x[i, c] w[r, c] for i < m <= kQuantGemvMaxRows; x [m, k] bf16, y has
// ldy columns (bf16 or float32). With w.perm, x_perm (m * k bf16 of scratch) receives the
// permuted activations first.
void quant_gemv(const QuantPart& w, const __nv_bfloat16* x, __nv_bfloat16* x_perm, void* y, int m,
                int ldy, bool out_f32, cudaStream_t stream);

// x_perm[i, j] = x[i, perm[j]] for i < m (act-order weights multiply permuted activations).
void quant_permute_x(const int32_t* perm, const __nv_bfloat16* x, __nv_bfloat16* x_perm, int m,
                     int k, cudaStream_t stream);

// int4 in mma fragment order (quant_int4_mma.cu): one layout for every batch size. The product
// takes up to kQuantFragMaxRows tokens; larger steps run it kQuantFragMaxRows tokens at a time
// where the wgmma tiles run (QuantLinears::gemv, up to kQuantFragChunkedMaxRows), else dequantize
// it for cuBLAS.
constexpr int kQuantFragMaxRows = 128;
// The most tokens QuantLinears::gemv takes through the wgmma tiles, kQuantFragMaxRows at a time.
constexpr int kQuantFragChunkedMaxRows = 1024;
bool int4_frag_supported(int n, int k, int group_size);
size_t int4_frag_words(int n, int k);
// frag (int4_frag_words(n, k) words) from canonical packed [n, k / 8] words.
void int4_repack_frag(const uint32_t* packed, int n, int k, uint32_t* frag, cudaStream_t stream);
// Up to kInt4MaxParts parts of one linear (same k, consecutive row0) in one launch.
constexpr int kInt4MaxParts = 3;
struct Int4PartList {
  QuantPart part[kInt4MaxParts];
  int first_block[kInt4MaxParts + 1] = {};  // 16-row blocks before each part
  int count = 0;
};
// y[i, row0 + r] = sum_c x[i, c] w[r, c] for i < m <= kQuantFragMaxRows, over count parts (x
// already permuted; parts with different permutations go one at a time): up to
// kQuantFragGemvRows tokens one 16-row block per CTA with exact q - zero weights, all parts in
// one launch; above, per part, 64-row CTAs over activations staged in shared memory with
// bf16-rounded weights (as the dequantize route), the inputs split across CTAs through accum
// (m * n floats; null: no split) when the rows alone give num_sms SMs too little work.
constexpr int kQuantFragGemvRows = 32;
// x_frag: scratch for the activations in the weights' fragment channel order and the tiles'
// swizzle, kQuantFragMaxRows x (k rounded up to 64) (the register-A wgmma tiles' operand, padded
// to whole tiles of 64 or 128 tokens; null: those tiles are not taken).
// stream_variant: the streaming product's variant for m <= kInt4StreamMaxRows (0: the process-wide
// int4_stream_variant()).
void int4_frag_product(const QuantPart* parts, int count, const __nv_bfloat16* x, void* y, int m,
                       int ldy, bool out_f32, float* accum, __nv_bfloat16* x_frag, int num_sms,
                       cudaStream_t stream, int stream_variant = 0);
void int4_frag_dequantize(const QuantPart& w, __nv_bfloat16* out, cudaStream_t stream);
// The same product for more than int4_tile_after() tokens on the warpgroup tensor-core
// instructions (quant_int4_wgmma.cu, sm_90a): all parts in one launch (one k, contiguous columns),
// 128 rows by 64 or 128 tokens a CTA; the tiles left over after the whole waves of tiles have
// their k groups split across CTAs through accum (m times those tiles' columns, floats), to fill
// the SMs. False (nothing launched) where it does not run: not built for sm_90a, a GPU other
// than compute capability 9.0, PAGODA_CUDA_INT4_WGMMA=0, parts it does not take, or no x_frag;
// int4_frag_product then takes the mma.sync tiles. int4_wgmma_setup (within
// int4_frag_setup, before any graph capture) reads the device and sets the kernels' shared
// memory; where either fails, int4_wgmma_ready() is false and nothing else is affected.
void int4_wgmma_setup();
bool int4_wgmma_ready();
// x_frag_tile > 0: x_frag already holds the activations in the tiles' layout (int4_act_layout
// .cuh) in tiles of x_frag_tile (64 or kQuantFragMaxRows, >= m) tokens, written by the kernel
// that produced them (FragActOut), which also zeroed the int4_wgmma_accum_floats(...) floats of
// accum the product adds into: no reorder kernel, x unused, and any m >= 1.
bool int4_wgmma_product(const QuantPart* parts, int count, const __nv_bfloat16* x, void* y, int m,
                        int ldy, bool out_f32, float* accum, __nv_bfloat16* x_frag, int num_sms,
                        cudaStream_t stream, int x_frag_tile = 0);
// How many floats of accum (from its start) int4_wgmma_product of m tokens in tiles of n_tile
// adds into when given an accumulator (0: its plan splits no tile), so that the kernel producing
// its input in the tiles' layout can zero them (FragActOut): the plan the launch makes.
int int4_wgmma_accum_floats(const QuantPart* parts, int count, int m, int n_tile, int num_sms);
// Whether int4_wgmma_product takes these parts in one launch (int4_wgmma_ready, every part int4
// in fragment order of one k, contiguous columns).
bool int4_wgmma_takes(const QuantPart* parts, int count);
// The fewest tokens int4_wgmma_product takes from row-major x (PAGODA_CUDA_INT4_WGMMA_FROM,
// default 17: it beats the mma.sync tiles from 24 tokens, q8).
int int4_wgmma_from();
// The most tokens int4_frag_product takes through the exact one-block-per-CTA product before
// the tiles: kInt4TileAfterDefault, or PAGODA_CUDA_INT4_TILE_ROWS (8..kQuantFragGemvRows), read
// once.
constexpr int kInt4TileAfterDefault = 16;
int int4_tile_after();
// The streaming product for 1..kInt4StreamMaxRows tokens (quant_int4_stream.cu): warps that keep
// their next k groups in flight in registers across row blocks (most variants a persistent grid),
// with the fused decode layer's epilogues. int4_frag_product takes it for m <= kInt4StreamMaxRows
// unless int4_stream_variant() is 0 (PAGODA_CUDA_INT4_GEMV=0: the one-block-per-CTA product).
constexpr int kInt4StreamMaxRows = 8;  // the mma's 8 token columns
enum class Int4Epilogue {
  kStore,     // y[t, row0 + r] (bf16, or float32 with out_f32), ldy columns
  kResidual,  // one part: residual[t, r] += bf16(sum) (ldy columns), and sumsq_out[t] += the
              // new rows' squares
  kSwiglu,    // two parts (gate, up) of equal n: y[t, r] = bf16(silu(bf16(g)) * bf16(u)), as
              // silu_mul computes it from the stored products (bf16, ldy columns)
  kRope,      // three parts (q, k, v heads of rope.hd rows, hd % 32 == 0) with the norm prologue:
              // bias, RoPE and the cache write of rope_store() from the bf16 products (y unused)
};
// Whether the inputs of m tokens and k channels can be staged in shared memory once per CTA
// (the norm prologue needs it): their bytes (m rows of k rounded up to 64, and the k groups'
// sums) at most kInt4StreamStageMaxBytes, and with the partial sums within what this GPU lets
// one CTA have (99 KB on sm_86/sm_89).
constexpr int kInt4StreamStageMaxBytes = 96 * 1024;
bool int4_stream_stageable(int k, int m);
struct Int4StreamArgs {
  const __nv_bfloat16* x = nullptr;  // [m, k], already permuted (null with the norm prologue)
  int m = 0;
  // The norm prologue in place of x (int4_stream_stageable, no float32 store): x[t, c] =
  // bf16(norm_residual[t, c] * rsqrt(norm_sumsq[t] / k + eps) * norm_weight[c]), rms_normalize's
  // arithmetic, computed once per CTA into shared memory.
  const float* norm_residual = nullptr;
  const float* norm_sumsq = nullptr;
  const __nv_bfloat16* norm_weight = nullptr;
  float eps = 0.0f;
  void* y = nullptr;
  int ldy = 0;
  bool out_f32 = false;
  float* residual = nullptr;
  float* sumsq_out = nullptr;
  Int4Epilogue epilogue = Int4Epilogue::kStore;
  RopeStoreParams rope;  // kRope: tokens = m, nh + 2 nkv heads over the parts, no q/k norms
  int variant = 0;  // the launch variant tuned for this linear (0: int4_stream_variant())
  bool stage_x = false;  // stage x too where it fits (stage mode 1; tuned per linear)
};
// False (nothing launched) when the variant is 0, the setup has not run, or the parts or
// arguments are not ones it takes (kRope: whether int4_stream_rope_fits says so).
bool int4_stream_product(const Int4PartList& parts, const Int4StreamArgs& args, int num_sms,
                         cudaStream_t stream);
// Whether the streaming product takes this part at all: int4 in fragment order, one group or a
// power of two k groups per group (the kernel's group is a shift), and k a multiple of 64 or
// small enough to stage (a partial last k group is read from the zero-padded staged copy).
bool int4_stream_takes(const QuantPart& part);
// Whether the RoPE epilogue takes these parts and heads: q, k, v of nh, nkv, nkv heads of hd
// rows, hd % 32 == 0 (a 16-row block of each half of a head per item), no q/k norms.
bool int4_stream_rope_fits(const Int4PartList& parts, const RopeStoreParams& rope);
// Launch variants 1..int4_stream_variants() (warps, stages in flight, grid), for sweeps: the
// process-wide choice reads PAGODA_CUDA_INT4_GEMV once: unset or "auto" = 1 where a linear has
// no tuned variant of its own (int4_stream_autotune(): QuantLinears::prepare times the variants
// on each linear's shape and keeps the fastest), N = variant N for every linear, 0 = off.
// set_ overrides it and turns the per-linear choice off (tests).
int int4_stream_variants();
int int4_stream_variant();
bool int4_stream_autotune();
void set_int4_stream_variant(int v);
const char* int4_stream_variant_name(int v);
// Where the activations come from: 0 read from global memory where used (the fused layer then
// normalizes with rms_normalize first), 1 the same but the norm prologue staged in the product (default),
// 2 staged once per CTA for every product that int4_stream_stageable takes too (mode 1 stages x
// where Int4StreamArgs::stage_x asks). PAGODA_CUDA_INT4_XS
// read once; set_ overrides it (tests).
int int4_stream_stage_mode();
void set_int4_stream_stage_mode(int mode);
// Raises the kernels' shared-memory limits and records their occupancy, once (int4_frag_setup
// and int4_stream_ready run it; before any graph capture). A variant that does not fit the GPU
// is refused by int4_stream_product (the q3 product runs instead).
bool int4_stream_setup();
// Whether variant v's kernels all fit (runs the setup if it has not run).
bool int4_stream_ready(int v);
// Raises the product's shared-memory limit (once, before graph capture); false on failure.
bool int4_frag_setup();
// y[t, row0 + r] = accum[t * n + r] for t < m (the end of a product split across blocks).
// The accumulator is zeroed before each product by the kernel that runs right before it (a
// memset, the wgmma tiles' reorder kernel, or the producer of their input: FragActOut), not
// here: clearing what this pass had just read made it 5x slower (q12).
void quant_finish_split(const float* accum, int m, int n, void* y, int ldy, int row0,
                        bool out_f32, cudaStream_t stream);

// The tensor-core product (quant_gemm_mma.cu) for kQuantGemvMaxRows < m <= kQuantMmaMaxRows:
// y[i, row0 + r] = sum_c x[i, c] w[r, c], weights dequantized tile by tile in shared memory.
constexpr int kQuantMmaMaxRows = 256;
bool quant_mma_supported(const QuantPart& w);
// accum (m * w.n floats, or null: no split) receives partial sums when the inputs are split
// across blocks to give num_sms SMs enough work.
void quant_mma(const QuantPart& w, const __nv_bfloat16* x, void* y, int m, int ldy, bool out_f32,
               float* accum, int num_sms, cudaStream_t stream);

// out[(row0 + r) * k + c] = bf16(w[r, c]) (the part's rows of a bf16 [N, k] matrix).
void quant_dequantize(const QuantPart& w, __nv_bfloat16* out, cudaStream_t stream);

// Random contents for benchmarks and tests: words uniform, e4m3 bytes finite, scales uniform
// in [lo, hi) as fp16 with zeros in [0, zero_max], fp8 block scales uniform in [lo, hi).
void fill_random_u32(uint32_t* out, size_t n, uint64_t seed, cudaStream_t stream);
void fill_random_fp8(uint8_t* out, size_t n, uint64_t seed, cudaStream_t stream);
void fill_random_scale_zero(__half2* out, size_t n, uint64_t seed, float lo, float hi,
                            int zero_max, cudaStream_t stream);
void fill_random_f32(float* out, size_t n, uint64_t seed, float lo, float hi, cudaStream_t stream);

}  // namespace pagoda::cuda
