#include "app/hub/model_fit.h"

#include <cctype>

namespace pagoda::hub {

int64_t estimate_weight_bytes(const ModelConfig& c) {
  const int64_t element = static_cast<int64_t>(dtype_size(c.dtype));
  const int64_t h = c.hidden_size, inter = c.intermediate_size;
  const int64_t q = int64_t{c.num_heads} * c.head_dim, kv = int64_t{c.num_kv_heads} * c.head_dim;
  auto linear = [&](const char* module, int64_t n, int64_t k) {
    return c.quant.converts(std::string("model.layers.0.") + module) ? c.quant.linear_bytes(n, k)
                                                                      : n * k * element;
  };
  int64_t layer = linear("self_attn.q_proj", q, h) + 2 * linear("self_attn.k_proj", kv, h) +
                  linear("self_attn.o_proj", h, q) + 2 * linear("mlp.gate_proj", inter, h) +
                  linear("mlp.down_proj", h, inter) + 2 * h * element;
  if (c.attention_bias) layer += (q + 2 * kv) * element;
  if (c.qk_norm) layer += 2 * int64_t{c.head_dim} * element;
  const int64_t embed = int64_t{c.vocab_size} * h * element;
  return embed * (c.tie_word_embeddings ? 1 : 2) + c.num_layers * layer + h * element;
}

std::vector<std::string> quantized_variant_ids(const std::string& model_id) {
  static const char* const kSuffixes[] = {"-AWQ", "-GPTQ-Int4", "-GPTQ-Int8", "-FP8"};
  auto ends_with_nocase = [](const std::string& s, const std::string& suffix) {
    if (s.size() < suffix.size()) return false;
    for (size_t i = 0; i < suffix.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) !=
          std::tolower(static_cast<unsigned char>(suffix[i])))
        return false;
    return true;
  };
  std::string base = model_id;
  for (const char* suffix : kSuffixes) {
    if (ends_with_nocase(base, suffix)) {
      base.resize(base.size() - std::string(suffix).size());
      break;
    }
  }
  std::vector<std::string> out = {base};
  for (const char* suffix : kSuffixes) out.push_back(base + suffix);
  return out;
}

ModelFootprint fetch_footprint(const HubClient& client, const std::string& model_id,
                               const std::string& revision) {
  ModelFootprint fp;
  std::string text = client.fetch_text(model_id, revision, "config.json", 4u << 20);
  try {
    fp.config = ModelConfig::from_json_text(text);
  } catch (const Error& e) {
    throw Error(model_id + " (from the hub): " + e.what());
  }
  fp.num_parameters = fp.config.num_parameters();
  fp.estimated_weight_bytes = estimate_weight_bytes(fp.config);
  fp.kv_bytes_per_token = fp.config.kv_bytes_per_token(dtype_size(fp.config.dtype));
  for (const RepoFile& f : client.list_files(model_id, revision)) {
    int64_t size = std::max<int64_t>(f.size, 0);
    fp.download_bytes += size;
    if (f.path.size() > 12 && f.path.ends_with(".safetensors")) fp.weight_bytes += size;
  }
  return fp;
}

}  // namespace pagoda::hub
