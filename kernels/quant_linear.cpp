#include "kernels/quant_linear.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/model/dtype.h"
#include "engine/util/error.h"

namespace pagoda::cuda {

namespace {

QuantKind kind_of(QuantMatrix::Kind k) {
  switch (k) {
    case QuantMatrix::Kind::Int4:
      return QuantKind::Int4;
    case QuantMatrix::Kind::Int8:
      return QuantKind::Int8;
    case QuantMatrix::Kind::Fp8:
      break;
  }
  return QuantKind::Fp8;
}

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    throw Error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(e));
}

}  // namespace

QuantLinears::~QuantLinears() {
  for (void* p : allocations_) cudaFree(p);
}

void* QuantLinears::alloc(size_t bytes) {
  void* p = nullptr;
  if (cudaMalloc(&p, std::max<size_t>(bytes, 16)) != cudaSuccess) {
    cudaGetLastError();
    throw Error("Not enough GPU memory for the quantized weights (" + std::to_string(bytes) +
                " bytes more)");
  }
  allocations_.push_back(p);
  return p;
}

const __nv_bfloat16* QuantLinears::add(QuantLinear linear) {
  linear.frag = true;
  for (const QuantPart& p : linear.parts) {
    linear.permuted = linear.permuted || p.perm;
    linear.frag = linear.frag && p.frag;
  }
  if (linear.permuted) max_perm_k_ = std::max(max_perm_k_, linear.k);
  if (linear.frag) max_frag_k_ = std::max(max_frag_k_, (linear.k + 63) / 64 * 64);
  max_elems_ = std::max(max_elems_, static_cast<size_t>(linear.n) * linear.k);
  // The split products accumulate one part (quant_mma, the mma.sync tiles) or all of a linear's
  // parts (the wgmma tiles) in accum_.
  max_linear_rows_ = std::max(max_linear_rows_, linear.n);
  // The first part's packed data is a unique device address: the key.
  const QuantPart& first = linear.parts.front();
  const void* key = first.kind == QuantKind::Fp8 ? static_cast<const void*>(first.fp8)
                    : first.frag                  ? static_cast<const void*>(first.frag)
                                                  : static_cast<const void*>(first.packed);
  linears_.emplace(key, std::move(linear));
  return static_cast<const __nv_bfloat16*>(key);
}

const __nv_bfloat16* QuantLinears::upload(const std::vector<QuantMatrix>& parts) {
  QuantLinear linear;
  linear.k = static_cast<int>(parts.front().k);
  for (const QuantMatrix& m : parts) {
    if (m.k != linear.k) throw Error("quantized linear parts disagree on their input size");
    QuantPart p;
    p.kind = kind_of(m.kind);
    p.n = static_cast<int>(m.n);
    p.k = static_cast<int>(m.k);
    p.row0 = linear.n;
    auto copy = [&](const void* src, size_t bytes) {
      void* d = alloc(bytes);
      check(cudaMemcpy(d, src, bytes, cudaMemcpyHostToDevice), "quantized weights");
      return d;
    };
    if (m.kind == QuantMatrix::Kind::Fp8) {
      p.fp8 = static_cast<const uint8_t*>(copy(m.fp8.data(), m.fp8.size()));
      p.block_scales = static_cast<const float*>(
          copy(m.block_scales.data(), m.block_scales.size() * sizeof(float)));
      p.block_n = static_cast<int>(m.block_n);
      p.block_k = static_cast<int>(m.block_k);
      p.blocks_k = static_cast<int>(m.blocks_k);
    } else {
      p.group_size = static_cast<int>(m.group_size);
      if (p.kind == QuantKind::Int4 && use_frag() && int4_frag_supported(p.n, p.k, p.group_size)) {
        // Staged in a temporary buffer and repacked: only the fragment order stays resident.
        void* staged = nullptr;
        check(cudaMalloc(&staged, m.packed.size() * 4), "quantized weights staging");
        check(cudaMemcpy(staged, m.packed.data(), m.packed.size() * 4, cudaMemcpyHostToDevice),
              "quantized weights");
        auto* frag = static_cast<uint32_t*>(alloc(int4_frag_words(p.n, p.k) * 4));
        int4_repack_frag(static_cast<const uint32_t*>(staged), p.n, p.k, frag, nullptr);
        const cudaError_t e = cudaDeviceSynchronize();
        cudaFree(staged);
        check(e, "int4 repacking");
        p.frag = frag;
      } else {
        p.packed = static_cast<const uint32_t*>(copy(m.packed.data(), m.packed.size() * 4));
      }
      std::vector<uint16_t> sz(2 * m.scales.size());
      for (size_t i = 0; i < m.scales.size(); ++i) {
        sz[2 * i] = float_to_f16(m.scales[i]);
        sz[2 * i + 1] = float_to_f16(static_cast<float>(m.zeros[i]));
      }
      p.scale_zero = static_cast<const __half2*>(copy(sz.data(), sz.size() * 2));
      p.groups = static_cast<int>(m.groups);
      if (!m.perm.empty())
        p.perm = static_cast<const int32_t*>(copy(m.perm.data(), m.perm.size() * 4));
    }
    linear.n += p.n;
    linear.parts.push_back(p);
  }
  return add(std::move(linear));
}

const __nv_bfloat16* QuantLinears::random(const QuantConfig& config, const std::vector<int>& rows,
                                          int k, uint64_t seed, cudaStream_t stream) {
  QuantLinear linear;
  linear.k = k;
  for (int n : rows) {
    QuantPart p;
    p.n = n;
    p.k = k;
    p.row0 = linear.n;
    ++seed;
    // Scales so that a weight's spread is about 1/sqrt(k), like the bf16 benchmark weights.
    const float spread = 1.0f / std::sqrt(static_cast<float>(k));
    if (config.method == QuantMethod::Fp8) {
      p.kind = QuantKind::Fp8;
      p.block_n = config.fp8_block_n > 0 ? config.fp8_block_n : n;
      p.block_k = config.fp8_block_k > 0 ? config.fp8_block_k : k;
      p.blocks_k = (k + p.block_k - 1) / p.block_k;
      const size_t blocks = static_cast<size_t>((n + p.block_n - 1) / p.block_n) * p.blocks_k;
      auto* fp8 = static_cast<uint8_t*>(alloc(static_cast<size_t>(n) * k));
      auto* scales = static_cast<float*>(alloc(blocks * sizeof(float)));
      fill_random_fp8(fp8, static_cast<size_t>(n) * k, seed, stream);
      fill_random_f32(scales, blocks, seed + 7, 0.05f * spread, 0.1f * spread, stream);
      p.fp8 = fp8;
      p.block_scales = scales;
    } else {
      p.kind = config.bits == 4 ? QuantKind::Int4 : QuantKind::Int8;
      p.group_size = config.group_size > 0 ? config.group_size : k;
      p.groups = (k + p.group_size - 1) / p.group_size;
      const bool frag = p.kind == QuantKind::Int4 && use_frag() &&
                        int4_frag_supported(n, k, p.group_size);
      // Random words are random in either layout.
      const size_t words =
          frag ? int4_frag_words(n, k) : static_cast<size_t>(n) * k * config.bits / 32;
      const size_t groups = static_cast<size_t>(n) * p.groups;
      auto* packed = static_cast<uint32_t*>(alloc(words * 4));
      auto* sz = static_cast<__half2*>(alloc(groups * sizeof(__half2)));
      const int levels = 1 << config.bits;
      fill_random_u32(packed, words, seed, stream);
      fill_random_scale_zero(sz, groups, seed + 7, 0.5f * spread * 4 / levels,
                             spread * 4 / levels, levels - 1, stream);
      (frag ? p.frag : p.packed) = packed;
      p.scale_zero = sz;
    }
    check(cudaGetLastError(), "random quantized weights");
    linear.n += n;
    linear.parts.push_back(p);
  }
  return add(std::move(linear));
}

const QuantLinear* QuantLinears::find(const void* key) const {
  if (linears_.empty()) return nullptr;
  auto it = linears_.find(key);
  return it == linears_.end() ? nullptr : &it->second;
}

FragActOut QuantLinears::frag_input(const QuantLinear& w, int tokens) const {
  static const bool on = [] {
    const char* v = std::getenv("PAGODA_CUDA_INT4_FRAG_INPUT");
    return !(v && std::string(v) == "0");
  }();
  if (!on || !w.frag || w.permuted || !x_frag_ || w.k % 64 != 0 || w.k > max_frag_k_ ||
      tokens <= int4_tile_after() || tokens < int4_wgmma_from() || !fused_route(w, tokens) ||
      tokens > kQuantFragChunkedMaxRows ||
      !int4_wgmma_takes(w.parts.data(), static_cast<int>(w.parts.size())))
    return {};
  // The tile size the product would take for its own reorder: 64 tokens where they fit in one.
  const int n_tile = tokens <= 64 ? 64 : kQuantFragMaxRows;
  if ((tokens + n_tile - 1) / n_tile * n_tile > x_frag_rows_) return {};
  // The split tiles' accumulators of the kQuantFragMaxRows-token products one after another
  // (gemv's chunks), for the producer to zero before the first.
  size_t floats = 0;
  for (int t0 = 0; t0 < tokens; t0 += kQuantFragMaxRows)
    floats += frag_chunk_accum(w, std::min(kQuantFragMaxRows, tokens - t0), n_tile);
  if (floats > static_cast<size_t>(accum_rows_) * max_linear_rows_) return {};
  return {x_frag_, n_tile, floats ? accum_ : nullptr, static_cast<int>(floats)};
}

int QuantLinears::frag_chunk_accum(const QuantLinear& w, int m, int n_tile) const {
  if (m > accum_rows_) return 0;  // gemv passes no accumulator: no splits
  const int floats = int4_wgmma_accum_floats(w.parts.data(), static_cast<int>(w.parts.size()), m,
                                             n_tile, num_sms_);
  return (floats + 3) / 4 * 4;  // the next chunk's 16-byte aligned
}

bool QuantLinears::gemv(const QuantLinear& w, const __nv_bfloat16* x, void* y, int tokens,
                        bool out_f32, cudaStream_t stream, const FragActOut* pre) const {
  if (pre && pre->x) {
    // The producer's tiles, kQuantFragMaxRows tokens a product: chunk t0's tiles start at
    // element t0 * k (k % 64 == 0, frag_input).
    if (!w.frag || tokens < 1 || tokens > kQuantFragChunkedMaxRows) return false;
    // Each chunk adds into its own part of the accumulator, which the producer zeroed
    // (frag_input).
    const size_t out_bytes = out_f32 ? sizeof(float) : sizeof(__nv_bfloat16);
    size_t accum_at = 0;
    for (int t0 = 0; t0 < tokens; t0 += kQuantFragMaxRows) {
      const int m = std::min(kQuantFragMaxRows, tokens - t0);
      if (!int4_wgmma_product(w.parts.data(), static_cast<int>(w.parts.size()), nullptr,
                              static_cast<char*>(y) + static_cast<size_t>(t0) * w.n * out_bytes,
                              m, w.n, out_f32, m <= accum_rows_ ? accum_ + accum_at : nullptr,
                              pre->x + static_cast<size_t>(t0) * w.k, num_sms_, stream,
                              pre->n_tile))
        return false;  // only the first chunk can refuse (the others are no larger)
      accum_at += frag_chunk_accum(w, m, pre->n_tile);
    }
    return true;
  }
  if (w.frag) {
    if (tokens > kQuantFragMaxRows) {
      // The wgmma tiles kQuantFragMaxRows tokens at a time (q11: b256 faster than dequantizing
      // for cuBLAS); without them, dequantize.
      if (!int4_wgmma_ready() || tokens > kQuantFragChunkedMaxRows) return false;
      const size_t out_bytes = out_f32 ? sizeof(float) : sizeof(__nv_bfloat16);
      for (int t0 = 0; t0 < tokens; t0 += kQuantFragMaxRows)
        if (!gemv(w, x + static_cast<size_t>(t0) * w.k,
                  static_cast<char*>(y) + static_cast<size_t>(t0) * w.n * out_bytes,
                  std::min(kQuantFragMaxRows, tokens - t0), out_f32, stream))
          return false;  // only the first chunk can refuse (the others are no larger)
      return true;
    }
    if (tokens < 1 || (w.permuted && !w.x_perm)) return false;
    // The split product needs the accumulator prepare() sized (accum_rows_ tokens), the
    // register-A tiles the activations' scratch sized with it.
    float* accum = tokens <= accum_rows_ ? accum_ : nullptr;
    __nv_bfloat16* x_frag = tokens <= accum_rows_ ? x_frag_ : nullptr;
    if (!w.permuted) {
      int4_frag_product(w.parts.data(), static_cast<int>(w.parts.size()), x, y, tokens, w.n,
                        out_f32, accum, x_frag, num_sms_, stream, w.stream_for(tokens).variant);
      return true;
    }
    for (const QuantPart& p : w.parts) {  // each part its own permutation of the activations
      const __nv_bfloat16* xp = x;
      if (p.perm) {
        quant_permute_x(p.perm, x, w.x_perm, tokens, w.k, stream);
        xp = w.x_perm;
      }
      int4_frag_product(&p, 1, xp, y, tokens, w.n, out_f32, accum, x_frag, num_sms_, stream,
                        w.stream_for(tokens).variant);
    }
    return true;
  }
  if (tokens < 1 || tokens > kQuantGemvMaxRows || (w.permuted && !w.x_perm)) return false;
  for (const QuantPart& p : w.parts)
    if (!quant_gemv_supported(p)) return false;
  for (const QuantPart& p : w.parts)
    quant_gemv(p, x, w.x_perm, y, tokens, w.n, out_f32, stream);
  return true;
}

static_assert(kInt4StreamMaxRows == kFusedMaxTokens, "the fused decode layer's token limit");

bool QuantLinears::fused_supported(const QuantLinear& w, bool swiglu, bool residual) {
  if (!w.frag || !int4_stream_ready(int4_stream_variant())) return false;
  // The epilogues have no other kernel to fall back on (a store falls back on the q3 product).
  if (swiglu || residual)
    for (const QuantPart& part : w.parts)
      if (!int4_stream_takes(part)) return false;
  if (swiglu) return w.parts.size() == 2 && w.parts[0].n == w.parts[1].n && !w.permuted;
  return !residual || w.parts.size() == 1;
}

namespace {

Int4PartList part_list(const QuantLinear& w) {
  Int4PartList list;
  list.count = static_cast<int>(w.parts.size());
  for (int i = 0; i < list.count; ++i) {
    list.part[i] = w.parts[i];
    list.first_block[i + 1] = list.first_block[i] + (w.parts[i].n + 15) / 16;
  }
  return list;
}

// Whether the activations of p are normalized inside the streaming product (staged per CTA):
// not for permuted inputs, nor with PAGODA_CUDA_INT4_XS=0, nor where the pick found the
// rms_normalize kernel first faster (SwiGLU).
bool norm_in_product(const QuantLinear& w, const GemvParams& p) {
  return p.norm_residual && int4_stream_stage_mode() >= 1 && !w.permuted &&
         int4_stream_stageable(w.k, p.m) && !p.out_f32 &&
         !(p.swiglu && w.stream_for(p.m).norm_outside);
}

}  // namespace

bool QuantLinears::rope_in_product(const QuantLinear& w, const GemvParams& p) {
  return p.rope_epilogue && w.frag && norm_in_product(w, p) && p.rope.tokens == p.m &&
         int4_stream_rope_fits(part_list(w), p.rope);
}

bool QuantLinears::fused_product(const QuantLinear& w, const GemvParams& p, __nv_bfloat16* normed,
                                 cudaStream_t stream) const {
  if (!fused_supported(w, p.swiglu, p.residual != nullptr) || p.m < 1 ||
      p.m > kInt4StreamMaxRows || p.k != w.k || (w.permuted && !w.x_perm))
    return false;
  // RoPE: the product's epilogue where the kernel takes the heads (with the norm inside), else
  // the store into y (which rope_store reads: rope.qkv), then rope_store.
  if (p.rope_epilogue) {
    if (!p.y || p.y != p.rope.qkv || p.out_f32 || p.swiglu || p.residual) return false;
    GemvParams store = p;
    store.rope_epilogue = false;
    if (rope_in_product(w, p)) {
      Int4StreamArgs args;
      args.m = p.m, args.variant = w.stream_for(p.m).variant, args.epilogue = Int4Epilogue::kRope;
      args.norm_residual = p.norm_residual, args.norm_sumsq = p.norm_sumsq;
      args.norm_weight = p.norm_weight, args.eps = p.eps;
      args.rope = p.rope;
      if (int4_stream_product(part_list(w), args, num_sms_, stream)) return true;
    }
    if (!fused_product(w, store, normed, stream)) return false;
    rope_store(p.rope, stream);
    return true;
  }
  Int4StreamArgs args;
  args.x = p.x, args.m = p.m, args.y = p.y, args.ldy = p.n, args.out_f32 = p.out_f32;
  args.residual = p.residual, args.sumsq_out = p.sumsq_out;
  args.variant = w.stream_for(p.m).variant, args.stage_x = w.stream_for(p.m).stage_x;
  args.epilogue = p.swiglu     ? Int4Epilogue::kSwiglu
                  : p.residual ? Int4Epilogue::kResidual
                               : Int4Epilogue::kStore;
  // The norm inside the product (its activations staged per CTA) unless the inputs are permuted
  // or PAGODA_CUDA_INT4_XS=0 (norm_in_product); otherwise rms_normalize into normed first.
  auto normalize_first = [&] {
    if (!normed) return false;
    rms_normalize(p.norm_residual, p.norm_sumsq, p.norm_weight, normed, p.m, p.k, p.eps, stream);
    args.x = normed;
    args.norm_residual = nullptr, args.norm_sumsq = nullptr, args.norm_weight = nullptr;
    return true;
  };
  const bool norm_inside = norm_in_product(w, p);
  if (norm_inside) {
    args.x = nullptr;
    args.norm_residual = p.norm_residual, args.norm_sumsq = p.norm_sumsq;
    args.norm_weight = p.norm_weight, args.eps = p.eps;
  } else if (p.norm_residual && !normalize_first()) {
    return false;
  }
  const Int4PartList list = part_list(w);
  // Refused with the norm inside (the staged input does not fit this GPU's shared memory):
  // normalize first.
  if (norm_inside && int4_stream_product(list, args, num_sms_, stream)) return true;
  if (norm_inside && !normalize_first()) return false;
  if (args.epilogue == Int4Epilogue::kStore)
    return gemv(w, args.x, p.y, p.m, p.out_f32, stream);  // (each part its own permutation)
  if (w.parts[0].perm) {  // the residual epilogue's single part
    quant_permute_x(w.parts[0].perm, args.x, w.x_perm, p.m, w.k, stream);
    args.x = w.x_perm;
  }
  return int4_stream_product(list, args, num_sms_, stream);
}

void QuantLinears::prepare(int max_tokens) {
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  check(cudaDeviceGetAttribute(&num_sms_, cudaDevAttrMultiProcessorCount, device),
        "cudaDeviceGetAttribute");
  bool any_frag = false;
  for (const auto& [key, linear] : linears_) any_frag = any_frag || linear.frag;
  if (any_frag && !frag_ready_) {
    if (!int4_frag_setup()) check(cudaGetLastError(), "int4 product setup");
    frag_ready_ = true;
    if (int4_stream_autotune() && int4_stream_variant() > 0) {
      tune_stream_variants();
      if (std::getenv("PAGODA_CUDA_INT4_TUNE_LOG") && !tuning_.empty())
        std::fprintf(stderr, "int4 streaming variants per shape and tokens:\n%s\n", tuning_.c_str());
    }
  }
  if (max_perm_k_ > 0 && !x_perm_) {
    x_perm_ = static_cast<__nv_bfloat16*>(
        alloc(sizeof(__nv_bfloat16) * kQuantFragMaxRows * static_cast<size_t>(max_perm_k_)));
    for (auto& [key, linear] : linears_)
      if (linear.permuted) linear.x_perm = x_perm_;
  }
  const int rows = std::min(max_tokens, kQuantMmaMaxRows);
  if (linears_.empty() || rows <= 0 || accum_) return;
  accum_ = static_cast<float*>(
      alloc(sizeof(float) * rows * static_cast<size_t>(max_linear_rows_)));
  accum_rows_ = rows;
  // The register-A tiles' activations come padded to whole token tiles (up to
  // kQuantFragMaxRows tokens), however few tokens a step has.
  if (max_frag_k_ > 0) {
    x_frag_rows_ = (std::max(rows, kQuantFragMaxRows) + kQuantFragMaxRows - 1) /
                   kQuantFragMaxRows * kQuantFragMaxRows;
    x_frag_ = static_cast<__nv_bfloat16*>(
        alloc(sizeof(__nv_bfloat16) * x_frag_rows_ * static_cast<size_t>(max_frag_k_)));
  }
}

// The streaming product's launch variants timed on each distinct int4 linear shape at 1, 4 and
// 8 tokens (kStreamBucketTokens; zero inputs: the time does not depend on the values), the
// fastest kept per bucket: each variant's time is its store product plus the fused decode layer's
// product of that linear's role (SwiGLU with the norm inside or as an rms_normalize kernel first,
// the residual epilogue with its input read where used or staged per CTA, the norm inside for
// q/k/v: the faster of each pair kept, QuantLinear::stream), since the two run different kernels
// of the variant and the fused ones can keep more registers. A variant must beat variant 1 by 3%
// to replace it, so that close calls do not flip from run to run (variants of equal warp counts
// give bit-identical sums, others differ in rounding).
void QuantLinears::tune_stream_variants() {
  using Choices = std::array<StreamChoice, kStreamBuckets>;
  std::map<std::vector<int>, Choices> chosen;  // (k, part rows...) -> choices
  size_t max_x = 0, max_y = 0;
  for (const auto& [key, w] : linears_)
    if (w.frag) max_x = std::max<size_t>(max_x, w.k), max_y = std::max<size_t>(max_y, w.n);
  if (max_x == 0) return;
  // One zeroed scratch allocation, sliced: x, y, the norm weight and its output (bf16), the
  // residual, the norm's input and two sites of sums of squares (float), for the most tokens;
  // 256-byte aligned slices.
  constexpr size_t rows = kInt4StreamMaxRows;
  const size_t bf = sizeof(__nv_bfloat16), f = sizeof(float);
  auto round = [](size_t bytes) { return (bytes + 255) / 256 * 256; };
  const size_t sizes[] = {rows * max_x * bf, rows * max_y * bf, max_x * bf, rows * max_x * bf,
                          rows * max_y * f,  rows * max_x * f,  2 * rows * f};
  size_t total = 0;
  for (size_t bytes : sizes) total += round(bytes);
  unsigned char* scratch = nullptr;
  cudaEvent_t start = nullptr, stop = nullptr;
  const bool ok = cudaMalloc(&scratch, total) == cudaSuccess &&
                  cudaMemset(scratch, 0, total) == cudaSuccess &&
                  cudaEventCreate(&start) == cudaSuccess && cudaEventCreate(&stop) == cudaSuccess;
  void* slice[7] = {};
  for (size_t i = 0, at = 0; ok && i < 7; at += round(sizes[i]), ++i) slice[i] = scratch + at;
  auto* x = static_cast<__nv_bfloat16*>(slice[0]);
  auto* y = static_cast<__nv_bfloat16*>(slice[1]);
  auto* norm_weight = static_cast<__nv_bfloat16*>(slice[2]);
  auto* normed = static_cast<__nv_bfloat16*>(slice[3]);
  auto* residual = static_cast<float*>(slice[4]);
  auto* norm_residual = static_cast<float*>(slice[5]);
  auto* sums = static_cast<float*>(slice[6]);
  // Milliseconds per call of fn (2 warm-up calls, the mean of 10), or a negative on failure.
  auto time_ms = [&](const auto& fn) {
    for (int i = 0; i < 2; ++i) fn();
    constexpr int kReps = 10;
    cudaEventRecord(start, nullptr);
    for (int i = 0; i < kReps; ++i) fn();
    cudaEventRecord(stop, nullptr);
    float ms = 0.0f;
    if (cudaEventSynchronize(stop) != cudaSuccess ||
        cudaEventElapsedTime(&ms, start, stop) != cudaSuccess)
      return -1.0f;
    return ms / kReps;
  };
  for (auto& [key, w] : linears_) {
    if (!ok || !w.frag) continue;
    std::vector<int> shape{w.k};
    for (const QuantPart& p : w.parts) shape.push_back(p.n);
    if (auto it = chosen.find(shape); it != chosen.end()) {
      std::copy(it->second.begin(), it->second.end(), w.stream);
      continue;
    }
    // The linear's role in the fused decode layer.
    const bool swiglu = fused_supported(w, true, false);
    const bool one_part = w.parts.size() == 1;
    const bool fused = fused_supported(w, swiglu, one_part);
    for (int bucket = 0; bucket < kStreamBuckets; ++bucket) {
      const int m = kStreamBucketTokens[bucket];
      GemvParams role;
      role.m = m, role.k = w.k, role.eps = 1e-6f;
      if (one_part) {
        role.x = x, role.n = w.n, role.residual = residual, role.sumsq_out = sums;
      } else {
        role.norm_residual = norm_residual, role.norm_sumsq = sums + rows;
        role.norm_weight = norm_weight;
        role.y = y, role.swiglu = swiglu, role.n = swiglu ? w.n / 2 : w.n;
      }
      // The alternative of the role, timed too where it exists: the residual product's input
      // staged, or the SwiGLU product's norm as a kernel first.
      const bool try_stage = fused && one_part && !w.permuted && int4_stream_stageable(w.k, m);
      const bool try_norm_outside = fused && swiglu;
      StreamChoice best;
      float best_ms = 0.0f;
      std::string line = "[" + std::to_string(w.n) + " x " + std::to_string(w.k) + "] m=" +
                         std::to_string(m) + ":";
      StreamChoice& c = w.stream[bucket];
      for (int v = 1; v <= int4_stream_variants(); ++v) {
        if (!int4_stream_ready(v)) continue;
        c = StreamChoice{v, false, false};
        float ms = time_ms([&] {
          int4_frag_product(w.parts.data(), static_cast<int>(w.parts.size()), x, y, m, w.n, false,
                            nullptr, nullptr, num_sms_, nullptr, v);
        });
        auto role_ms = [&] { return time_ms([&] { fused_product(w, role, normed, nullptr); }); };
        float fused_ms = fused ? role_ms() : 0.0f;
        StreamChoice pick = c;
        if ((try_stage || try_norm_outside) && fused_ms >= 0.0f) {
          c.stage_x = try_stage, c.norm_outside = try_norm_outside;
          const float other_ms = role_ms();
          if (other_ms >= 0.0f && other_ms < fused_ms) fused_ms = other_ms, pick = c;
        }
        if (ms < 0.0f || fused_ms < 0.0f) break;
        char part[80];
        std::snprintf(part, sizeof part, " v%d %.1f", v, 1e3 * ms);
        line += part;
        if (fused) {
          std::snprintf(part, sizeof part, "+%.1f%s", 1e3 * fused_ms,
                        pick.stage_x ? " staged" : pick.norm_outside ? " norm first" : "");
          line += part;
        }
        line += " us";
        ms += fused_ms;
        if (best_ms == 0.0f || ms < (best.variant == 1 ? 0.97f : 1.0f) * best_ms)
          best = pick, best_ms = ms;
      }
      if (best.variant == 0) best.variant = 1;
      c = best;
      line += " -> v" + std::to_string(best.variant) +
              (best.stage_x ? " staged" : best.norm_outside ? " norm first" : "");
      tuning_ += (tuning_.empty() ? "" : "\n") + line;
    }
    std::copy(std::begin(w.stream), std::end(w.stream), chosen[shape].begin());
  }
  cudaGetLastError();  // a failed timing leaves the default variant, not an error
  if (start) cudaEventDestroy(start);
  if (stop) cudaEventDestroy(stop);
  cudaFree(scratch);
}

int QuantLinears::gemv_rows() {
  static const int rows = [] {
    const char* v = std::getenv("PAGODA_CUDA_QUANT_GEMV_ROWS");
    return v && *v ? std::clamp(std::atoi(v), 0, kQuantGemvMaxRows) : kDefaultGemvRows;
  }();
  return rows;
}

int QuantLinears::mma_rows() {
  static const int rows = [] {
    const char* v = std::getenv("PAGODA_CUDA_QUANT_MMA_ROWS");
    return v && *v ? std::clamp(std::atoi(v), 0, kQuantMmaMaxRows) : kDefaultMmaRows;
  }();
  return rows;
}

int QuantLinears::frag_rows() {
  static const int asked = [] {
    const char* v = std::getenv("PAGODA_CUDA_QUANT_FRAG_ROWS");
    return v && *v ? std::max(std::atoi(v), 0) : -1;
  }();
  // Not cached: int4_wgmma_ready() is known once the backend has set the kernels up.
  const bool chunks = int4_wgmma_ready();
  const int most = chunks ? kQuantFragChunkedMaxRows : kQuantFragMaxRows;
  return std::min(asked >= 0 ? asked : chunks ? kDefaultFragChunkedRows : kDefaultFragRows, most);
}

bool QuantLinears::use_frag() {
  static const bool on = [] {
    const char* v = std::getenv("PAGODA_CUDA_QUANT_FRAG");
    return !(v && std::string(v) == "0");
  }();
  return on;
}

bool QuantLinears::mma(const QuantLinear& w, const __nv_bfloat16* x, void* y, int tokens,
                       bool out_f32, cudaStream_t stream) const {
  if (tokens < 1 || tokens > kQuantMmaMaxRows || (accum_ && tokens > accum_rows_)) return false;
  for (const QuantPart& p : w.parts)
    if (!quant_mma_supported(p)) return false;
  for (const QuantPart& p : w.parts)
    quant_mma(p, x, y, tokens, w.n, out_f32, accum_, num_sms_, stream);
  return true;
}

void QuantLinears::dequantize(const QuantLinear& w, __nv_bfloat16* scratch,
                              cudaStream_t stream) const {
  for (const QuantPart& p : w.parts) quant_dequantize(p, scratch, stream);
}

}  // namespace pagoda::cuda
