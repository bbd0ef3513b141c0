#pragma once
// Quantized linear weights read from a checkpoint (AWQ, GPTQ, FP8) into one canonical form that
// every backend consumes, with the checks that the packed tensors agree with quantization_config.
// Plain data; reading and dequantizing are pure functions (any thread).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/model/quant_config.h"
#include "engine/model/weights.h"

namespace pagoda {

// One [n, k] linear weight (nn.Linear layout: n outputs, k inputs).
//  Int4 / Int8: integer q of output row r at position j (0 <= j < k) lives in
//    packed[r * words_per_row() + j / per_word] at bit (j % per_word) * bits, per_word = 32 / bits.
//    Positions are input channels in the order perm (empty: identity), so that the groups of a
//    GPTQ act-order checkpoint are contiguous: position j belongs to group j / group_size and
//    holds input channel perm[j]. w[r, perm[j]] = (q - zero[r, g]) * scale[r, g].
//  Fp8: fp8[r * k + c] is e4m3; w[r, c] = fp8 * block_scales[(r / block_n) * blocks_k + c / block_k].
struct QuantMatrix {
  enum class Kind : uint8_t { Int4, Int8, Fp8 };
  Kind kind = Kind::Int4;
  int64_t n = 0, k = 0;
  // Int4 / Int8
  std::vector<uint32_t> packed;
  int64_t group_size = 0, groups = 0;
  std::vector<float> scales;     // [n, groups]
  std::vector<uint16_t> zeros;   // [n, groups]
  std::vector<int32_t> perm;     // [k] or empty
  // Fp8
  std::vector<uint8_t> fp8;      // [n, k]
  int64_t block_n = 0, block_k = 0, blocks_k = 0;
  std::vector<float> block_scales;  // [ceil(n / block_n), blocks_k]

  int bits() const { return kind == Kind::Int4 ? 4 : 8; }
  int64_t words_per_row() const { return k * bits() / 32; }
  // Bytes of the canonical form (what a backend keeps resident).
  int64_t stored_bytes() const;
};

// Reads module's packed tensors ("<module>.qweight", ".qzeros", ".scales", ".g_idx" for AWQ and
// GPTQ; ".weight" and ".weight_scale_inv" / ".weight_scale" for FP8) for an [n, k] weight.
// Throws pagoda::Error naming the tensor when a tensor is missing or its dtype, shape, group
// count or g_idx disagrees with the config.
QuantMatrix read_quant_matrix(const QuantConfig& config, const WeightStore& weights,
                              const std::string& module, int64_t n, int64_t k);

// out[r * k + c] = w[r, c] in float32 (input channels in their original order).
void dequantize(const QuantMatrix& m, float* out);

// Packs per-position integers q[n, k] (values < 2^bits, positions in perm order) the canonical way.
std::vector<uint32_t> pack_rows(const std::vector<uint8_t>& q, int64_t n, int64_t k, int bits);

}  // namespace pagoda
