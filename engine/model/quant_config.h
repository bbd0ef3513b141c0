#pragma once
// The quantization_config of a Hugging Face config.json: AWQ (GEMM packing), GPTQ (both
// checkpoint formats) and FP8 (e4m3, per-tensor or block-wise). Plain data, no threading concerns.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/util/json.h"

namespace pagoda {

enum class QuantMethod : uint8_t { None, Awq, Gptq, Fp8 };

struct QuantConfig {
  QuantMethod method = QuantMethod::None;
  int bits = 16;         // 4 (AWQ), 4 or 8 (GPTQ), 8 (FP8)
  int group_size = 0;    // input channels per scale group; 0: the whole row (GPTQ group_size -1)
  bool zero_point = true;  // AWQ zero_point; GPTQ: !sym
  bool desc_act = false;   // GPTQ act order: g_idx permutes the groups
  bool gptq_v2 = false;    // GPTQ zeros stored as is; "gptq" (v1) stores them minus one
  int fp8_block_n = 0, fp8_block_k = 0;  // FP8 weight_block_size; 0: one scale per tensor
  std::vector<std::string> modules_to_not_convert;

  bool quantized() const { return method != QuantMethod::None; }
  // Whether the linear layer named module ("model.layers.0.self_attn.q_proj") is stored
  // quantized: every linear of the decoder layers unless listed in modules_to_not_convert.
  bool converts(const std::string& module) const;
  // "AWQ 4-bit, group 128", "GPTQ 8-bit, act order, group 128", "FP8 e4m3, blocks 128x128".
  std::string describe() const;
  // Bytes of one [n, k] linear weight as stored (packed weights, scales, zeros, g_idx).
  int64_t linear_bytes(int64_t n, int64_t k) const;

  // Reads config["quantization_config"] (absent: method None). Throws pagoda::Error naming
  // where, the field and its value for a method, bit width or layout that is not supported.
  static QuantConfig from_json(const Json& config, const std::string& where);
};

}  // namespace pagoda
