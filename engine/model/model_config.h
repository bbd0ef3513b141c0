#pragma once
// config.json and generation_config.json of a Hugging Face model folder, in both the
// transformers 4.x (rope_theta, rope_scaling) and 5.x (rope_parameters) spellings.
// One decoder-only architecture family covers Qwen2/2.5/3, Llama 2/3, Yi and Mistral; the
// differences are flags here, read by every backend.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/model/dtype.h"
#include "engine/model/quant_config.h"

namespace pagoda {

struct RopeConfig {
  double theta = 10000.0;
  std::string type = "default";  // default | linear | dynamic | llama3 | yarn
  double factor = 1.0;
  // llama3
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int original_max_position_embeddings = 0;
  // yarn
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  std::optional<double> attention_factor;
  std::optional<double> mscale, mscale_all_dim;  // DeepSeek-style attention_factor inputs
  bool truncate = true;                          // floor/ceil the correction range
};

struct ModelConfig {
  std::string architecture;  // e.g. "Qwen2ForCausalLM"
  std::string model_type;    // e.g. "qwen2"
  int vocab_size = 0;
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;  // explicit (Qwen3) or hidden_size / num_heads
  int max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // q/k/v biases (Qwen2)
  bool qk_norm = false;         // per-head RMSNorm of q and k (Qwen3)
  std::string hidden_act = "silu";
  DType dtype = DType::BF16;  // torch_dtype / dtype
  RopeConfig rope;
  std::optional<int32_t> bos_token_id;
  std::vector<int32_t> eos_token_ids;
  QuantConfig quant;  // quantization_config (method None for plain checkpoints)

  // Throws pagoda::Error naming config.json and the field for an unknown architecture or a
  // missing/invalid field.
  static ModelConfig from_dir(const std::filesystem::path& dir);
  static ModelConfig from_json_text(const std::string& config_json);  // for the hub's fit estimate

  int64_t num_parameters() const;  // from the shapes, embeddings counted once when tied
  size_t kv_bytes_per_token(size_t element_size) const;  // all layers, K and V
};

// generation_config.json: the sampling defaults a model ships with.
struct GenerationDefaults {
  std::optional<double> temperature, top_p, min_p, repetition_penalty;
  std::optional<int> top_k, max_new_tokens;
  std::optional<bool> do_sample;
  std::vector<int32_t> eos_token_ids;
  static GenerationDefaults from_dir(const std::filesystem::path& dir);  // empty if no file
};

// Rotary inverse frequencies (head_dim/2 values) with the scaling of config.rope applied, and
// the attention/cos-sin scale (YaRN's mscale; 1 otherwise). Shared by every backend.
std::vector<float> rope_inv_freq(const ModelConfig& config);
float rope_attention_scaling(const ModelConfig& config);

}  // namespace pagoda
