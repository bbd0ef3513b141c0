#include "engine/cpu/cpu_backend.h"

#include <cblas.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <limits>
#include <new>
#include <thread>

#include "engine/backend/sampler.h"
#include "engine/backend/step_check.h"
#include "engine/cpu/cpu_math.h"
#include "engine/cpu/thread_pool.h"
#include "engine/util/error.h"
#include "engine/model/quant_weights.h"

namespace pagoda {

namespace {

using cpu::attend;
using cpu::linear;
using cpu::rms_norm;

struct LayerWeights {
  std::vector<float> qkv, qkv_bias;  // [q_dim + 2 kv_dim, hidden]: one GEMM for q, k and v
  std::vector<float> o;              // [hidden, q_dim]
  std::vector<float> gate_up;        // [2 intermediate, hidden]: gate rows, then up rows
  std::vector<float> down;           // [hidden, intermediate]
  std::vector<float> input_norm, post_norm, q_norm, k_norm;
};

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        auto name = line.substr(colon + 1);
        name.erase(0, name.find_first_not_of(" \t"));
        if (!name.empty()) return name;
      }
    }
  }
  return "CPU";
}

// MemAvailable from /proc/meminfo, in bytes (0 if unknown).
size_t available_ram() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  size_t kb;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemAvailable:") return kb * 1024;
  }
  return 0;
}

// Time per phase of a step, printed at exit when PAGODA_CPU_PROFILE is set (for tuning).
class PhaseProfile {
 public:
  enum Phase { kNorm, kGemm, kRope, kAttention, kActivation, kLmHead, kSample, kCount };
  PhaseProfile() : enabled_(std::getenv("PAGODA_CPU_PROFILE") != nullptr) {}
  ~PhaseProfile() {
    if (!enabled_) return;
    static const char* const kNames[] = {"norm",    "gemm",    "rope+kv", "attention",
                                         "silu*up", "lm_head", "sample"};
    double total = 0;
    for (double t : seconds_) total += t;
    if (total == 0) return;  // never executed
    std::fprintf(stderr, "cpu backend profile (%.3f s):", total);
    for (int i = 0; i < kCount; ++i) std::fprintf(stderr, " %s %.3f", kNames[i], seconds_[i]);
    std::fprintf(stderr, "\n");
  }
  void start() {
    if (enabled_) last_ = std::chrono::steady_clock::now();
  }
  void mark(Phase p) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    seconds_[p] += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }

 private:
  bool enabled_;
  double seconds_[kCount] = {};
  std::chrono::steady_clock::time_point last_;
};

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const BackendOptions& options)
      : options_(options),
        num_threads_(options.num_threads > 0
                         ? options.num_threads
                         : std::max(1, static_cast<int>(std::thread::hardware_concurrency()))),
        pool_(num_threads_) {
    openblas_set_num_threads(num_threads_);
  }

  std::string name() const override { return "cpu"; }
  std::string device_name() const override {
    return cpu_model_name() + ", " + std::to_string(num_threads_) + " threads";
  }

  void load(const ModelConfig& config, const WeightStore& weights) override;
  int64_t plan_kv_blocks(int block_size) override;
  void allocate_kv_cache(int64_t num_blocks, int block_size) override;
  // launch() runs the forward pass through the last layer on the spot (the CPU is synchronous);
  // finish() runs the final norm, the LM head and sampling, which read the rows' masks.
  void launch(const StepInput& input) override;
  void finish(const StepInput& input, StepOutput& output) override;
  BackendMemory memory() const override;

 private:
  std::vector<float> widen(const WeightStore& weights, const std::string& name,
                           std::initializer_list<int64_t> shape) {
    const TensorView& t = weights.get(name, shape);
    std::vector<float> out(static_cast<size_t>(t.numel()));
    t.to_float(out);
    weights_bytes_ += out.size() * sizeof(float);
    return out;
  }
  // A linear layer's [n, k] weight: widened, or dequantized once when the checkpoint stores it
  // quantized (the float32 math is then the same as for a plain checkpoint).
  std::vector<float> widen_linear(const WeightStore& weights, const ModelConfig& config,
                                  const std::string& module, int64_t n, int64_t k) {
    if (!config.quant.converts(module)) return widen(weights, module + ".weight", {n, k});
    std::vector<float> out(static_cast<size_t>(n * k));
    dequantize(read_quant_matrix(config.quant, weights, module, n, k), out.data());
    weights_bytes_ += out.size() * sizeof(float);
    return out;
  }
  void validate(const StepInput& input) const;
  // The step in parts, in the order launch() and finish() run them.
  int gather_tokens(const StepInput& input);  // positions, cache slots, embeddings; token count
  void forward_layers(const StepInput& input, int total);  // every decoder layer, into x_
  void norm_rows(const std::vector<float>& weight, int total);  // normed_ = RMSNorm(x_)
  void rope_and_store(const LayerWeights& w, int layer, int total);
  void attention(const StepInput& input, int layer, int total, int64_t mean_len);
  void silu_mul(int total);
  void sample(const StepInput& input, StepOutput& output);
  int qkv_dim() const { return (config_.num_heads + 2 * config_.num_kv_heads) * config_.head_dim; }
  float* layer_k(int layer) { return kv_.data() + (2 * size_t(layer)) * kv_layer_floats_; }
  float* layer_v(int layer) { return kv_.data() + (2 * size_t(layer) + 1) * kv_layer_floats_; }

  BackendOptions options_;
  PhaseProfile profile_;
  StepInFlight in_flight_;
  int num_threads_;
  cpu::ThreadPool pool_;
  bool loaded_ = false;
  ModelConfig config_;
  std::vector<float> embed_, lm_head_, final_norm_;
  std::vector<LayerWeights> layers_;
  std::vector<float> inv_freq_;
  float rope_scale_ = 1.0f;
  size_t weights_bytes_ = 0;

  std::vector<float> kv_;  // per layer: K then V, each [blocks, block_size, kv_heads, head_dim]
  size_t kv_layer_floats_ = 0;
  int64_t num_blocks_ = 0;
  int block_size_ = 0;

  // Per-step workspace, kept between steps to avoid reallocating.
  std::vector<float> x_, normed_, qkv_, attn_, gate_up_, act_, final_rows_, logits_;
  std::vector<int32_t> positions_;
  std::vector<int64_t> slots_;
  std::vector<int> chunk_of_;
};

void CpuBackend::load(const ModelConfig& config, const WeightStore& weights) {
  const int64_t h = config.hidden_size, hd = config.head_dim;
  const int64_t q_dim = int64_t{config.num_heads} * hd, kv_dim = int64_t{config.num_kv_heads} * hd;
  const int64_t inter = config.intermediate_size, vocab = config.vocab_size;
  if (h <= 0 || hd <= 0 || hd % 2 || config.num_heads <= 0 || config.num_kv_heads <= 0 ||
      config.num_heads % config.num_kv_heads || inter <= 0 || vocab <= 0 ||
      config.num_layers <= 0) {
    throw Error("cpu backend: invalid model configuration for " + config.architecture);
  }
  loaded_ = false;
  weights_bytes_ = 0;
  layers_.clear();
  kv_.clear();
  kv_.shrink_to_fit();
  num_blocks_ = 0;
  try {
    config_ = config;
    embed_ = widen(weights, "model.embed_tokens.weight", {vocab, h});
    if (config.tie_word_embeddings) {
      lm_head_.clear();
    } else {
      lm_head_ = widen(weights, "lm_head.weight", {vocab, h});
    }
    final_norm_ = widen(weights, "model.norm.weight", {h});
    layers_.resize(config.num_layers);
    for (int i = 0; i < config.num_layers; ++i) {
      const std::string p = "model.layers." + std::to_string(i) + ".";
      LayerWeights& l = layers_[i];
      auto q = widen_linear(weights, config, p + "self_attn.q_proj", q_dim, h);
      auto k = widen_linear(weights, config, p + "self_attn.k_proj", kv_dim, h);
      auto v = widen_linear(weights, config, p + "self_attn.v_proj", kv_dim, h);
      l.qkv = std::move(q);
      l.qkv.insert(l.qkv.end(), k.begin(), k.end());
      l.qkv.insert(l.qkv.end(), v.begin(), v.end());
      if (config.attention_bias) {
        l.qkv_bias = widen(weights, p + "self_attn.q_proj.bias", {q_dim});
        auto kb = widen(weights, p + "self_attn.k_proj.bias", {kv_dim});
        auto vb = widen(weights, p + "self_attn.v_proj.bias", {kv_dim});
        l.qkv_bias.insert(l.qkv_bias.end(), kb.begin(), kb.end());
        l.qkv_bias.insert(l.qkv_bias.end(), vb.begin(), vb.end());
      }
      l.o = widen_linear(weights, config, p + "self_attn.o_proj", h, q_dim);
      l.gate_up = widen_linear(weights, config, p + "mlp.gate_proj", inter, h);
      auto up = widen_linear(weights, config, p + "mlp.up_proj", inter, h);
      l.gate_up.insert(l.gate_up.end(), up.begin(), up.end());
      l.down = widen_linear(weights, config, p + "mlp.down_proj", h, inter);
      l.input_norm = widen(weights, p + "input_layernorm.weight", {h});
      l.post_norm = widen(weights, p + "post_attention_layernorm.weight", {h});
      if (config.qk_norm) {
        l.q_norm = widen(weights, p + "self_attn.q_norm.weight", {hd});
        l.k_norm = widen(weights, p + "self_attn.k_norm.weight", {hd});
      }
    }
  } catch (const std::bad_alloc&) {
    layers_.clear();
    throw Error("cpu backend: not enough memory to load the weights of " + config.architecture);
  }
  inv_freq_ = rope_inv_freq(config);
  rope_scale_ = rope_attention_scaling(config);
  loaded_ = true;
}

int64_t CpuBackend::plan_kv_blocks(int block_size) {
  if (!loaded_) throw Error("cpu backend: plan_kv_blocks before load");
  if (block_size <= 0) throw InvalidArgument("cpu backend: block size must be positive");
  size_t per_block = config_.kv_bytes_per_token(sizeof(float)) * static_cast<size_t>(block_size);
  size_t budget = options_.cpu_kv_cache_bytes;
  // A budget beyond the free RAM would swap or be killed: keep a fifth of it for everything else.
  if (size_t available = available_ram(); available > 0)
    budget = std::min(budget, available / 5 * 4);
  return static_cast<int64_t>(budget / per_block);
}

void CpuBackend::allocate_kv_cache(int64_t num_blocks, int block_size) {
  if (!loaded_) throw Error("cpu backend: allocate_kv_cache before load");
  if (num_blocks <= 0 || block_size <= 0) {
    throw InvalidArgument("cpu backend: the KV cache needs a positive block count and size");
  }
  kv_.clear();
  kv_.shrink_to_fit();
  kv_layer_floats_ =
      static_cast<size_t>(num_blocks) * block_size * config_.num_kv_heads * config_.head_dim;
  try {
    kv_.assign(2 * kv_layer_floats_ * config_.num_layers, 0.0f);
  } catch (const std::bad_alloc&) {
    kv_layer_floats_ = 0;
    throw Error("cpu backend: not enough memory for " + std::to_string(num_blocks) +
                " KV blocks of " + std::to_string(block_size) + " tokens");
  }
  num_blocks_ = num_blocks;
  block_size_ = block_size;
}

void CpuBackend::validate(const StepInput& input) const {
  if (!loaded_) throw Error("cpu backend: execute before load");
  if (num_blocks_ == 0) throw Error("cpu backend: execute before allocate_kv_cache");
  check_step(input, {config_.vocab_size, num_blocks_, block_size_}, "cpu backend");
}

void CpuBackend::launch(const StepInput& input) {
  in_flight_.check_idle("cpu backend");
  validate(input);
  profile_.start();
  const int total = gather_tokens(input);
  if (total > 0) forward_layers(input, total);
  in_flight_.launched(input);
}

void CpuBackend::finish(const StepInput& input, StepOutput& output) {
  in_flight_.finish(input, "cpu backend");
  output.sampled.clear();
  output.logits.clear();
  sample(input, output);
}

void CpuBackend::forward_layers(const StepInput& input, int total) {
  int64_t mean_len = 0;  // attended positions per token, to size the attention's parallelism
  for (int32_t p : positions_) mean_len += p + 1;
  mean_len /= total;
  for (int layer = 0; layer < config_.num_layers; ++layer) {
    const LayerWeights& w = layers_[layer];
    const int h = config_.hidden_size, inter = config_.intermediate_size;
    const int q_dim = config_.num_heads * config_.head_dim;
    norm_rows(w.input_norm, total);
    linear(pool_, normed_.data(), total, h, w.qkv.data(), qkv_dim(), qkv_.data(), false);
    profile_.mark(PhaseProfile::kGemm);
    rope_and_store(w, layer, total);
    attention(input, layer, total, mean_len);
    linear(pool_, attn_.data(), total, q_dim, w.o.data(), h, x_.data(), true);
    profile_.mark(PhaseProfile::kGemm);
    norm_rows(w.post_norm, total);
    linear(pool_, normed_.data(), total, h, w.gate_up.data(), 2 * inter, gate_up_.data(), false);
    profile_.mark(PhaseProfile::kGemm);
    silu_mul(total);
    linear(pool_, act_.data(), total, inter, w.down.data(), h, x_.data(), true);
    profile_.mark(PhaseProfile::kGemm);
  }
}

int CpuBackend::gather_tokens(const StepInput& input) {
  const int h = config_.hidden_size, inter = config_.intermediate_size;
  const int q_dim = config_.num_heads * config_.head_dim;
  int total = 0;
  for (const auto& chunk : input.chunks) total += static_cast<int>(chunk.token_ids.size());
  positions_.resize(total);
  slots_.resize(total);
  chunk_of_.resize(total);
  x_.resize(size_t(total) * h);
  normed_.resize(size_t(total) * h);
  qkv_.resize(size_t(total) * qkv_dim());
  attn_.resize(size_t(total) * q_dim);
  gate_up_.resize(size_t(total) * 2 * inter);
  act_.resize(size_t(total) * inter);
  int t = 0;
  for (size_t ci = 0; ci < input.chunks.size(); ++ci) {
    const SeqChunk& chunk = input.chunks[ci];
    for (size_t i = 0; i < chunk.token_ids.size(); ++i, ++t) {
      int32_t pos = chunk.context_len + static_cast<int32_t>(i);
      positions_[t] = pos;
      slots_[t] = int64_t{chunk.block_table[pos / block_size_]} * block_size_ + pos % block_size_;
      chunk_of_[t] = static_cast<int>(ci);
      std::copy_n(embed_.data() + size_t(chunk.token_ids[i]) * h, h, x_.data() + size_t(t) * h);
    }
  }
  return total;
}

void CpuBackend::norm_rows(const std::vector<float>& weight, int total) {
  const int h = config_.hidden_size;
  const double eps = config_.rms_norm_eps;
  pool_.parallel_for(
      total,
      [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) rms_norm(&x_[t * h], weight.data(), h, eps, &normed_[t * h]);
      },
      4 * h);
  profile_.mark(PhaseProfile::kNorm);
}

// Bias, per-head q/k norm, rotary embedding, then the new K/V into the cache.
void CpuBackend::rope_and_store(const LayerWeights& w, int layer, int total) {
  const ModelConfig& c = config_;
  const int hd = c.head_dim, nh = c.num_heads, nkv = c.num_kv_heads, half = hd / 2;
  const int q_dim = nh * hd, kv_dim = nkv * hd, qkv_dim = this->qkv_dim();
  const double norm_eps = c.rms_norm_eps;
  float* k_cache = layer_k(layer);
  float* v_cache = layer_v(layer);
  pool_.parallel_for(
      total,
      [&](int64_t b, int64_t e) {
        std::vector<float> cos_t(half), sin_t(half), tmp(hd);
        for (int64_t t = b; t < e; ++t) {
          float* row = &qkv_[t * qkv_dim];
          if (!w.qkv_bias.empty()) {
            for (int i = 0; i < qkv_dim; ++i) row[i] += w.qkv_bias[i];
          }
          if (c.qk_norm) {
            for (int head = 0; head < nh; ++head) {
              rms_norm(row + head * hd, w.q_norm.data(), hd, norm_eps, tmp.data());
              std::copy(tmp.begin(), tmp.end(), row + head * hd);
            }
            for (int head = 0; head < nkv; ++head) {
              float* k = row + q_dim + head * hd;
              rms_norm(k, w.k_norm.data(), hd, norm_eps, tmp.data());
              std::copy(tmp.begin(), tmp.end(), k);
            }
          }
          // Angles in float32 like transformers (inv_freq * position).
          const float pos = static_cast<float>(positions_[t]);
          for (int i = 0; i < half; ++i) {
            float angle = inv_freq_[i] * pos;
            cos_t[i] = std::cos(angle) * rope_scale_;
            sin_t[i] = std::sin(angle) * rope_scale_;
          }
          // rotate_half pairs element i with i + head_dim/2.
          auto rotate = [&](float* v) {
            for (int i = 0; i < half; ++i) {
              float a = v[i], bb = v[i + half];
              v[i] = a * cos_t[i] - bb * sin_t[i];
              v[i + half] = bb * cos_t[i] + a * sin_t[i];
            }
          };
          for (int head = 0; head < nh + nkv; ++head) rotate(row + head * hd);
          const size_t dst = size_t(slots_[t]) * kv_dim;
          std::copy_n(row + q_dim, kv_dim, k_cache + dst);
          std::copy_n(row + q_dim + kv_dim, kv_dim, v_cache + dst);
        }
      },
      8 * qkv_dim + 40 * half);
  profile_.mark(PhaseProfile::kRope);
}

// Attention of each (token, head) over its sequence's cached context up to its position.
void CpuBackend::attention(const StepInput& input, int layer, int total, int64_t mean_len) {
  const int hd = config_.head_dim, nh = config_.num_heads, nkv = config_.num_kv_heads;
  const int q_dim = nh * hd, kv_dim = nkv * hd, qkv_dim = this->qkv_dim(), group = nh / nkv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const float* k_cache = layer_k(layer);
  const float* v_cache = layer_v(layer);
  pool_.parallel_for(
      int64_t{total} * nh,
      [&](int64_t b, int64_t e) {
        std::vector<float> scores;
        for (int64_t item = b; item < e; ++item) {
          const int t = static_cast<int>(item / nh), head = static_cast<int>(item % nh);
          const int kv_head = head / group;
          const SeqChunk& chunk = input.chunks[chunk_of_[t]];
          const int len = positions_[t] + 1;
          scores.resize(len);
          attend(&qkv_[size_t(t) * qkv_dim + size_t(head) * hd], k_cache, v_cache,
                 chunk.block_table.data(), block_size_, len, kv_dim, size_t(kv_head) * hd, hd,
                 scale, scores.data(), &attn_[size_t(t) * q_dim + size_t(head) * hd]);
        }
      },
      4 * int64_t{hd} * mean_len + 32);
  profile_.mark(PhaseProfile::kAttention);
}

void CpuBackend::silu_mul(int total) {
  const int inter = config_.intermediate_size;
  pool_.parallel_for(
      total,
      [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) {
          const float* g = &gate_up_[t * 2 * inter];
          const float* u = g + inter;
          float* a = &act_[t * inter];
          for (int i = 0; i < inter; ++i) a[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
        }
      },
      24 * inter);
  profile_.mark(PhaseProfile::kActivation);
}

// Final norm and lm_head only for the rows that sample, then the samplers.
void CpuBackend::sample(const StepInput& input, StepOutput& output) {
  const int h = config_.hidden_size;
  std::vector<int> rows;
  std::vector<const SeqChunk*> sampling_chunks;
  int t = 0;
  for (const auto& chunk : input.chunks) {
    t += static_cast<int>(chunk.token_ids.size());
    if (!chunk.sample) continue;
    rows.push_back(t - 1);
    sampling_chunks.push_back(&chunk);
  }
  if (rows.empty()) return;
  const int num_rows = static_cast<int>(rows.size());
  final_rows_.resize(size_t(num_rows) * h);
  for (int r = 0; r < num_rows; ++r)
    rms_norm(&x_[size_t(rows[r]) * h], final_norm_.data(), h, config_.rms_norm_eps,
             &final_rows_[size_t(r) * h]);
  const int vocab = config_.vocab_size;
  logits_.resize(size_t(num_rows) * vocab);
  const float* head = lm_head_.empty() ? embed_.data() : lm_head_.data();
  linear(pool_, final_rows_.data(), num_rows, h, head, vocab, logits_.data(), false);
  profile_.mark(PhaseProfile::kLmHead);
  if (input.return_logits) output.logits = logits_;
  output.sampled.resize(num_rows);
  // Rows sample independently; an error in one (bad parameters) is rethrown here, not in a worker.
  std::vector<std::exception_ptr> errors(num_rows);
  pool_.parallel_for(
      num_rows,
      [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
          try {
            output.sampled[r] =
                sample_row(std::span<float>(logits_.data() + size_t(r) * vocab, vocab),
                           sampling_chunks[r]->sampling);
          } catch (...) {
            errors[r] = std::current_exception();
          }
        }
      },
      int64_t{vocab} * 8);
  profile_.mark(PhaseProfile::kSample);
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

BackendMemory CpuBackend::memory() const {
  BackendMemory m;
  m.total_bytes =
      static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t available = available_ram();
  m.used_bytes = available && available < m.total_bytes ? m.total_bytes - available : 0;
  m.weights_bytes = weights_bytes_;
  m.kv_cache_bytes = kv_.size() * sizeof(float);
  return m;
}

}  // namespace

std::unique_ptr<Backend> create_cpu_backend(const BackendOptions& options) {
  return std::make_unique<CpuBackend>(options);
}

}  // namespace pagoda
