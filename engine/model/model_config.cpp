#include "engine/model/model_config.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "engine/util/error.h"
#include "engine/util/json.h"

namespace pagoda {

namespace {

const char* const kSupportedArchitectures[] = {"Qwen2ForCausalLM", "Qwen3ForCausalLM",
                                               "LlamaForCausalLM", "MistralForCausalLM"};

// Reads fields of one JSON object and names the file and field in every error.
class FieldReader {
 public:
  FieldReader(const Json& object, std::string file) : object_(object), file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw Error(file_ + ": field '" + field + "' " + what);
  }

  const Json* find(const std::string& field) const {
    auto it = object_.find(field);
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  std::optional<int64_t> opt_int(const std::string& field, int64_t lo, int64_t hi) const {
    const Json* v = find(field);
    if (!v) return std::nullopt;
    int64_t value;
    if (v->is_number_integer()) {
      value = v->is_number_unsigned()
                  ? static_cast<int64_t>(std::min<uint64_t>(v->get<uint64_t>(), INT64_MAX))
                  : v->get<int64_t>();
    } else if (v->is_number_float() && std::isfinite(v->get<double>()) &&
               std::floor(v->get<double>()) == v->get<double>() &&
               std::fabs(v->get<double>()) < 9e18) {
      value = static_cast<int64_t>(v->get<double>());
    } else {
      fail(field, "must be an integer");
    }
    if (value < lo || value > hi) {
      fail(field, "is " + std::to_string(value) + ", outside [" + std::to_string(lo) + ", " +
                      std::to_string(hi) + "]");
    }
    return value;
  }

  int64_t req_int(const std::string& field, int64_t lo, int64_t hi) const {
    auto v = opt_int(field, lo, hi);
    if (!v) fail(field, "is missing");
    return *v;
  }

  std::optional<double> opt_double(const std::string& field) const {
    const Json* v = find(field);
    if (!v) return std::nullopt;
    if (!v->is_number() || !std::isfinite(v->get<double>())) fail(field, "must be a number");
    return v->get<double>();
  }

  std::optional<bool> opt_bool(const std::string& field) const {
    const Json* v = find(field);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) fail(field, "must be true or false");
    return v->get<bool>();
  }

  std::optional<std::string> opt_string(const std::string& field) const {
    const Json* v = find(field);
    if (!v) return std::nullopt;
    if (!v->is_string()) fail(field, "must be a string");
    return v->get<std::string>();
  }

  // An int or a list of ints (eos_token_id).
  std::vector<int32_t> int_list(const std::string& field) const {
    const Json* v = find(field);
    std::vector<int32_t> out;
    if (!v) return out;
    auto one = [&](const Json& x) {
      if (!x.is_number_integer() || x.get<int64_t>() < 0 || x.get<int64_t>() > INT32_MAX) {
        fail(field, "must be a token id or a list of token ids");
      }
      out.push_back(static_cast<int32_t>(x.get<int64_t>()));
    };
    if (v->is_array()) {
      for (const auto& x : *v) one(x);
    } else {
      one(*v);
    }
    return out;
  }

  const std::string& file() const { return file_; }

 private:
  const Json& object_;
  std::string file_;
};

DType parse_dtype(const FieldReader& r) {
  auto s = r.opt_string("dtype");
  const char* field = "dtype";
  if (!s) {
    s = r.opt_string("torch_dtype");
    field = "torch_dtype";
  }
  if (!s) return DType::BF16;
  if (*s == "bfloat16") return DType::BF16;
  if (*s == "float16" || *s == "half") return DType::F16;
  if (*s == "float32" || *s == "float") return DType::F32;
  r.fail(field, "is '" + *s + "'; supported: bfloat16, float16, float32");
}

RopeConfig parse_rope(const FieldReader& top, int max_position_embeddings) {
  RopeConfig rope;
  const Json* params = top.find("rope_parameters");  // transformers 5.x
  std::string prefix = "rope_parameters";
  if (!params) {
    params = top.find("rope_scaling");  // transformers 4.x
    prefix = "rope_scaling";
  }
  if (auto theta = top.opt_double("rope_theta")) rope.theta = *theta;
  if (!params) return rope;
  if (!params->is_object()) top.fail(prefix, "must be an object");
  FieldReader r(*params, top.file());
  try {
    if (auto theta = r.opt_double("rope_theta")) rope.theta = *theta;
    auto type = r.opt_string("rope_type");
    if (!type) type = r.opt_string("type");
    if (type) rope.type = *type;
    if (rope.type != "default" && rope.type != "linear" && rope.type != "dynamic" &&
        rope.type != "llama3" && rope.type != "yarn") {
      r.fail("rope_type",
             "is '" + rope.type + "'; supported: default, linear, dynamic, llama3, yarn");
    }
    if (auto f = r.opt_double("factor")) {
      rope.factor = *f;
    } else if (rope.type == "yarn" && r.find("original_max_position_embeddings")) {
      // As transformers: without an explicit factor, YaRN's is the context extension ratio.
      auto orig = r.opt_int("original_max_position_embeddings", 1, INT32_MAX);
      rope.factor = double(max_position_embeddings) / double(*orig);
    }
    if (auto f = r.opt_double("low_freq_factor")) rope.low_freq_factor = *f;
    if (auto f = r.opt_double("high_freq_factor")) rope.high_freq_factor = *f;
    if (auto n = r.opt_int("original_max_position_embeddings", 1, INT32_MAX)) {
      rope.original_max_position_embeddings = static_cast<int>(*n);
    }
    if (auto f = r.opt_double("beta_fast")) rope.beta_fast = *f;
    if (auto f = r.opt_double("beta_slow")) rope.beta_slow = *f;
    rope.attention_factor = r.opt_double("attention_factor");
    rope.mscale = r.opt_double("mscale");
    rope.mscale_all_dim = r.opt_double("mscale_all_dim");
    if (auto t = r.opt_bool("truncate")) rope.truncate = *t;
  } catch (const Error& e) {
    std::string msg = e.what();
    // Name the nested field: "config.json: field 'factor'" -> "field 'rope_scaling.factor'".
    auto pos = msg.find("field '");
    if (pos != std::string::npos) msg.insert(pos + 7, prefix + ".");
    throw Error(msg);
  }
  if (rope.theta <= 0) top.fail("rope_theta", "must be positive");
  if (rope.type != "default" && !(rope.factor > 0)) top.fail(prefix, "factor must be positive");
  if (rope.type == "llama3" && !(rope.high_freq_factor > rope.low_freq_factor)) {
    top.fail(prefix, "high_freq_factor must exceed low_freq_factor");
  }
  if (rope.type == "llama3" && rope.original_max_position_embeddings <= 0) {
    top.fail(prefix, "original_max_position_embeddings is required for llama3 scaling");
  }
  return rope;
}

ModelConfig parse_config(const Json& j, const std::string& file) {
  if (!j.is_object()) throw Error(file + ": expected a JSON object");
  FieldReader r(j, file);
  ModelConfig c;

  const Json* archs = r.find("architectures");
  if (!archs || !archs->is_array() || archs->empty() || !(*archs)[0].is_string()) {
    r.fail("architectures", "must list the model class (e.g. [\"Qwen2ForCausalLM\"])");
  }
  c.architecture = (*archs)[0].get<std::string>();
  if (std::find(std::begin(kSupportedArchitectures), std::end(kSupportedArchitectures),
                c.architecture) == std::end(kSupportedArchitectures)) {
    std::string list;
    for (const char* a : kSupportedArchitectures)
      list += (list.empty() ? "" : ", ") + std::string(a);
    throw Error(file + ": unsupported architecture '" + c.architecture + "'; supported: " + list);
  }
  c.model_type = r.opt_string("model_type").value_or("");

  constexpr int64_t kMaxDim = 1 << 20;
  c.vocab_size = static_cast<int>(r.req_int("vocab_size", 1, 1 << 24));
  c.hidden_size = static_cast<int>(r.req_int("hidden_size", 1, kMaxDim));
  c.intermediate_size = static_cast<int>(r.req_int("intermediate_size", 1, kMaxDim));
  c.num_layers = static_cast<int>(r.req_int("num_hidden_layers", 1, 4096));
  c.num_heads = static_cast<int>(r.req_int("num_attention_heads", 1, 4096));
  c.num_kv_heads =
      static_cast<int>(r.opt_int("num_key_value_heads", 1, 4096).value_or(c.num_heads));
  if (c.num_heads % c.num_kv_heads != 0) {
    r.fail("num_key_value_heads", "(" + std::to_string(c.num_kv_heads) +
                                      ") must divide num_attention_heads (" +
                                      std::to_string(c.num_heads) + ")");
  }
  if (auto hd = r.opt_int("head_dim", 1, 65536)) {
    c.head_dim = static_cast<int>(*hd);
  } else {
    if (c.hidden_size % c.num_heads != 0) {
      r.fail("hidden_size", "is not a multiple of num_attention_heads and head_dim is not given");
    }
    c.head_dim = c.hidden_size / c.num_heads;
  }
  if (c.head_dim % 2 != 0) r.fail("head_dim", "must be even for rotary embeddings");
  c.max_position_embeddings =
      static_cast<int>(r.opt_int("max_position_embeddings", 1, INT32_MAX).value_or(4096));
  c.rms_norm_eps = r.opt_double("rms_norm_eps").value_or(1e-6);
  if (!(c.rms_norm_eps >= 0)) r.fail("rms_norm_eps", "must not be negative");
  c.tie_word_embeddings = r.opt_bool("tie_word_embeddings").value_or(false);
  c.hidden_act = r.opt_string("hidden_act").value_or("silu");
  if (c.hidden_act != "silu" && c.hidden_act != "swish") {
    r.fail("hidden_act", "is '" + c.hidden_act + "'; only silu is supported");
  }
  c.hidden_act = "silu";
  if (c.architecture == "Qwen2ForCausalLM") {
    c.attention_bias = true;  // Qwen2 always has q/k/v biases
  } else {
    c.attention_bias = r.opt_bool("attention_bias").value_or(false);
  }
  c.qk_norm = c.architecture == "Qwen3ForCausalLM";
  c.dtype = parse_dtype(r);
  c.rope = parse_rope(r, c.max_position_embeddings);
  if (c.rope.type == "yarn" && c.rope.original_max_position_embeddings <= 0) {
    c.rope.original_max_position_embeddings = c.max_position_embeddings;
  }
  if (auto bos = r.opt_int("bos_token_id", 0, INT32_MAX))
    c.bos_token_id = static_cast<int32_t>(*bos);
  c.eos_token_ids = r.int_list("eos_token_id");
  c.quant = QuantConfig::from_json(j, file);
  return c;
}

}  // namespace

ModelConfig ModelConfig::from_dir(const std::filesystem::path& dir) {
  auto path = dir / "config.json";
  return parse_config(read_json_file(path), path.string());
}

ModelConfig ModelConfig::from_json_text(const std::string& config_json) {
  Json j;
  try {
    j = Json::parse(config_json);
  } catch (const Json::exception& e) {
    throw Error(std::string("config.json: invalid JSON: ") + e.what());
  }
  return parse_config(j, "config.json");
}

int64_t ModelConfig::num_parameters() const {
  int64_t h = hidden_size, q = int64_t{num_heads} * head_dim, kv = int64_t{num_kv_heads} * head_dim;
  int64_t per_layer = h * q + 2 * h * kv + q * h   // q, k, v, o
                      + 3 * h * intermediate_size  // gate, up, down
                      + 2 * h;                     // two norms
  if (attention_bias) per_layer += q + 2 * kv;
  if (qk_norm) per_layer += 2 * head_dim;
  int64_t embed = int64_t{vocab_size} * h;
  return embed * (tie_word_embeddings ? 1 : 2) + num_layers * per_layer + h;
}

size_t ModelConfig::kv_bytes_per_token(size_t element_size) const {
  return 2 * static_cast<size_t>(num_layers) * num_kv_heads * head_dim * element_size;
}

GenerationDefaults GenerationDefaults::from_dir(const std::filesystem::path& dir) {
  GenerationDefaults g;
  auto path = dir / "generation_config.json";
  if (!std::filesystem::exists(path)) return g;
  Json j = read_json_file(path);
  if (!j.is_object()) throw Error(path.string() + ": expected a JSON object");
  FieldReader r(j, path.string());
  g.temperature = r.opt_double("temperature");
  g.top_p = r.opt_double("top_p");
  g.min_p = r.opt_double("min_p");
  g.repetition_penalty = r.opt_double("repetition_penalty");
  if (auto k = r.opt_int("top_k", INT32_MIN, INT32_MAX)) g.top_k = static_cast<int>(*k);
  if (auto n = r.opt_int("max_new_tokens", 0, INT32_MAX)) g.max_new_tokens = static_cast<int>(*n);
  g.do_sample = r.opt_bool("do_sample");
  g.eos_token_ids = r.int_list("eos_token_id");
  return g;
}

std::vector<float> rope_inv_freq(const ModelConfig& config) {
  const RopeConfig& rope = config.rope;
  const int dim = config.head_dim;
  const int half = dim / 2;
  double base = rope.theta;
  if (rope.type == "dynamic") {
    // Dynamic NTK rescales the base with the sequence length. transformers recomputes it per
    // forward pass, which would make cached keys depend on later lengths; like vLLM we fix it
    // once at the longest supported length, max_position_embeddings * factor.
    double max_pos = config.max_position_embeddings;
    double seq_len = max_pos * rope.factor;
    base *= std::pow(rope.factor * seq_len / max_pos - (rope.factor - 1), double(dim) / (dim - 2));
  }
  std::vector<double> inv(half);
  for (int i = 0; i < half; ++i) inv[i] = 1.0 / std::pow(base, double(2 * i) / dim);

  if (rope.type == "linear") {
    for (auto& f : inv) f /= rope.factor;
  } else if (rope.type == "llama3") {
    // transformers' _compute_llama3_parameters: long wavelengths are divided by factor, short
    // ones kept, the band between blended smoothly.
    double old_len = rope.original_max_position_embeddings;
    double low_freq_wavelen = old_len / rope.low_freq_factor;
    double high_freq_wavelen = old_len / rope.high_freq_factor;
    for (auto& f : inv) {
      double wavelen = 2 * std::numbers::pi / f;
      if (wavelen > low_freq_wavelen) {
        f = f / rope.factor;
      } else if (wavelen >= high_freq_wavelen) {
        double smooth = (old_len / wavelen - rope.low_freq_factor) /
                        (rope.high_freq_factor - rope.low_freq_factor);
        f = (1 - smooth) * f / rope.factor + smooth * f;
      }
    }
  } else if (rope.type == "yarn") {
    // transformers' _compute_yarn_parameters: interpolation (f / factor) for low frequencies,
    // extrapolation (f) for high ones, a linear ramp between the correction dims.
    double orig = rope.original_max_position_embeddings > 0 ? rope.original_max_position_embeddings
                                                            : config.max_position_embeddings;
    auto correction_dim = [&](double rotations) {
      return dim * std::log(orig / (rotations * 2 * std::numbers::pi)) / (2 * std::log(base));
    };
    double low = correction_dim(rope.beta_fast), high = correction_dim(rope.beta_slow);
    if (rope.truncate) {
      low = std::floor(low);
      high = std::ceil(high);
    }
    low = std::max(low, 0.0);
    high = std::min(high, double(dim - 1));
    if (low == high) high += 0.001;
    for (int i = 0; i < half; ++i) {
      double ramp = std::clamp((i - low) / (high - low), 0.0, 1.0);
      double extrapolation = 1 - ramp;
      double interp = inv[i] / rope.factor;
      inv[i] = interp * (1 - extrapolation) + inv[i] * extrapolation;
    }
  }
  return std::vector<float>(inv.begin(), inv.end());
}

float rope_attention_scaling(const ModelConfig& config) {
  const RopeConfig& rope = config.rope;
  if (rope.type != "yarn") return 1.0f;
  if (rope.attention_factor) return static_cast<float>(*rope.attention_factor);
  auto get_mscale = [](double scale, double mscale) {
    return scale <= 1 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0;
  };
  if (rope.mscale && rope.mscale_all_dim && *rope.mscale != 0 && *rope.mscale_all_dim != 0) {
    return static_cast<float>(get_mscale(rope.factor, *rope.mscale) /
                              get_mscale(rope.factor, *rope.mscale_all_dim));
  }
  return static_cast<float>(get_mscale(rope.factor, 1.0));
}

}  // namespace pagoda
