#include "cpu/cpu_backend.h"

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

#include "backend/sampler.h"
#include "cpu/thread_pool.h"
#include "model/quant_weights.h"
#include "util/error.h"

namespace pagoda {

namespace {

struct LayerWeights {
  std::vector<float> qkv, qkv_bias;  // [q_dim + 2 kv_dim, hidden]: one GEMM for q, k and v
  std::vector<float> o;              // [hidden, q_dim]
  std::vector<float> gate_up;        // [2 intermediate, hidden]: gate rows, then up rows
  std::vector<float> down;           // [hidden, intermediate]
  std::vector<float> input_norm, post_norm, q_norm, k_norm;
};

// The hot loops not in OpenBLAS, also compiled for AVX2 and picked at load time where available.
#if defined(__x86_64__) && defined(__GNUC__)
#define PAGODA_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define PAGODA_SIMD_CLONES
#endif

PAGODA_SIMD_CLONES float dot(const float* __restrict a, const float* __restrict b, int n) {
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

// Four dot products sharing w: independent accumulators hide the add latency and w is loaded
// once for four rows.
PAGODA_SIMD_CLONES void dot4(const float* __restrict w, const float* __restrict x, size_t ldx,
                             int n, float* out) {
  const float *x0 = x, *x1 = x + ldx, *x2 = x + 2 * ldx, *x3 = x + 3 * ldx;
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
  for (int i = 0; i < n; ++i) {
    s0 += w[i] * x0[i];
    s1 += w[i] * x1[i];
    s2 += w[i] * x2[i];
    s3 += w[i] * x3[i];
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
  out[3] = s3;
}

// One query head over the first len positions of a sequence in the paged K/V cache: each slot
// holds kv_stride floats, this head's part at head_offset. scores: len floats of scratch.
PAGODA_SIMD_CLONES void attend(const float* __restrict q, const float* k_cache,
                               const float* v_cache, const int32_t* block_table, int block_size,
                               int len, size_t kv_stride, size_t head_offset, int hd, float scale,
                               float* __restrict scores, float* __restrict out) {
  float max_score = -std::numeric_limits<float>::infinity();
  for (int start = 0, b = 0; start < len; start += block_size, ++b) {
    const int n = std::min(block_size, len - start);
    const float* k = k_cache + size_t(block_table[b]) * block_size * kv_stride + head_offset;
    for (int o = 0; o < n; ++o, k += kv_stride) {
      float s = 0;
#pragma omp simd reduction(+ : s)
      for (int d = 0; d < hd; ++d) s += q[d] * k[d];
      s *= scale;
      scores[start + o] = s;
      max_score = std::max(max_score, s);
    }
  }
  float sum = 0;
  for (int j = 0; j < len; ++j) {
    scores[j] = std::exp(scores[j] - max_score);
    sum += scores[j];
  }
  const float inv_sum = 1.0f / sum;
  for (int d = 0; d < hd; ++d) out[d] = 0;
  for (int start = 0, b = 0; start < len; start += block_size, ++b) {
    const int n = std::min(block_size, len - start);
    const float* v = v_cache + size_t(block_table[b]) * block_size * kv_stride + head_offset;
    for (int o = 0; o < n; ++o, v += kv_stride) {
      const float p = scores[start + o] * inv_sum;
#pragma omp simd
      for (int d = 0; d < hd; ++d) out[d] += p * v[d];
    }
  }
}

// Y[rows, n] (+)= X[rows, k] * W[n, k]^T, the layout of every nn.Linear weight. OpenBLAS's sgemm
// packs all of W on every call, which dominates decode steps of a few rows; there each weight
// row is read once and dotted with every (cached) row of X instead.
void linear(cpu::ThreadPool& pool, const float* x, int rows, int k, const float* w, int n, float* y,
            bool accumulate) {
  constexpr int kMaxSmallRows = 16;
  const float beta = accumulate ? 1.0f : 0.0f;
  if (rows == 1) {
    cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, w, k, x, 1, beta, y, 1);
  } else if (rows <= kMaxSmallRows) {
    pool.parallel_for(
        n,
        [&](int64_t begin, int64_t end) {
          for (int64_t j = begin; j < end; ++j) {
            const float* w_row = w + j * k;
            float v[kMaxSmallRows];
            int r = 0;
            for (; r + 4 <= rows; r += 4) dot4(w_row, x + size_t(r) * k, k, k, v + r);
            for (; r < rows; ++r) v[r] = dot(x + size_t(r) * k, w_row, k);
            for (r = 0; r < rows; ++r) {
              float& out = y[size_t(r) * n + j];
              out = accumulate ? out + v[r] : v[r];
            }
          }
        },
        2 * int64_t{rows} * k);
  } else {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n, k, 1.0f, x, k, w, k, beta, y, n);
  }
}

void rms_norm(const float* x, const float* weight, int n, double eps, float* out) {
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += double(x[i]) * x[i];
  float inv = static_cast<float>(1.0 / std::sqrt(sum / n + eps));
  for (int i = 0; i < n; ++i) out[i] = weight[i] * (x[i] * inv);
}

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

// Time per phase of execute(), printed at exit when PAGODA_CPU_PROFILE is set (for tuning).
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
  void execute(const StepInput& input, StepOutput& output) override;
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
  float* layer_k(int layer) { return kv_.data() + (2 * size_t(layer)) * kv_layer_floats_; }
  float* layer_v(int layer) { return kv_.data() + (2 * size_t(layer) + 1) * kv_layer_floats_; }

  BackendOptions options_;
  PhaseProfile profile_;
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
  for (size_t c = 0; c < input.chunks.size(); ++c) {
    const SeqChunk& chunk = input.chunks[c];
    const std::string where = "cpu backend: chunk " + std::to_string(c) + " (sequence " +
                              std::to_string(chunk.seq_id) + "): ";
    if (chunk.token_ids.empty()) throw InvalidArgument(where + "no tokens");
    if (chunk.context_len < 0) throw InvalidArgument(where + "negative context length");
    for (int32_t t : chunk.token_ids) {
      if (t < 0 || t >= config_.vocab_size) {
        throw InvalidArgument(where + "token id " + std::to_string(t) + " outside the vocabulary");
      }
    }
    int64_t total = int64_t{chunk.context_len} + static_cast<int64_t>(chunk.token_ids.size());
    int64_t needed = (total + block_size_ - 1) / block_size_;
    if (static_cast<int64_t>(chunk.block_table.size()) < needed) {
      throw InvalidArgument(where + "block table holds " +
                            std::to_string(chunk.block_table.size()) + " blocks, " +
                            std::to_string(needed) + " needed");
    }
    for (int64_t b = 0; b < needed; ++b) {
      int32_t id = chunk.block_table[b];
      if (id < 0 || id >= num_blocks_) {
        throw InvalidArgument(where + "block id " + std::to_string(id) + " outside the cache");
      }
    }
  }
}

void CpuBackend::execute(const StepInput& input, StepOutput& output) {
  validate(input);
  profile_.start();
  output.sampled.clear();
  output.logits.clear();
  const ModelConfig& c = config_;
  const int h = c.hidden_size, hd = c.head_dim, nh = c.num_heads, nkv = c.num_kv_heads;
  const int q_dim = nh * hd, kv_dim = nkv * hd, qkv_dim = q_dim + 2 * kv_dim;
  const int inter = c.intermediate_size, half = hd / 2, group = nh / nkv;

  int total = 0;
  for (const auto& chunk : input.chunks) total += static_cast<int>(chunk.token_ids.size());
  if (total == 0) return;
  positions_.resize(total);
  slots_.resize(total);
  chunk_of_.resize(total);
  x_.resize(size_t(total) * h);
  normed_.resize(size_t(total) * h);
  qkv_.resize(size_t(total) * qkv_dim);
  attn_.resize(size_t(total) * q_dim);
  gate_up_.resize(size_t(total) * 2 * inter);
  act_.resize(size_t(total) * inter);

  {
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
  }

  const double norm_eps = c.rms_norm_eps;
  int64_t mean_len = 0;  // attended positions per token, to size the attention's parallelism
  for (int32_t p : positions_) mean_len += p + 1;
  mean_len /= total;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (int layer = 0; layer < c.num_layers; ++layer) {
    const LayerWeights& w = layers_[layer];
    float* k_cache = layer_k(layer);
    float* v_cache = layer_v(layer);
    pool_.parallel_for(
        total,
        [&](int64_t b, int64_t e) {
          for (int64_t t = b; t < e; ++t) {
            rms_norm(&x_[t * h], w.input_norm.data(), h, norm_eps, &normed_[t * h]);
          }
        },
        4 * h);
    profile_.mark(PhaseProfile::kNorm);
    linear(pool_, normed_.data(), total, h, w.qkv.data(), qkv_dim, qkv_.data(), false);
    profile_.mark(PhaseProfile::kGemm);

    // Bias, per-head q/k norm, rotary embedding, then the new K/V into the cache.
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

    // Attention of each (token, head) over its sequence's cached context up to its position.
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
    linear(pool_, attn_.data(), total, q_dim, w.o.data(), h, x_.data(), true);
    profile_.mark(PhaseProfile::kGemm);

    pool_.parallel_for(
        total,
        [&](int64_t b, int64_t e) {
          for (int64_t t = b; t < e; ++t) {
            rms_norm(&x_[t * h], w.post_norm.data(), h, norm_eps, &normed_[t * h]);
          }
        },
        4 * h);
    profile_.mark(PhaseProfile::kNorm);
    linear(pool_, normed_.data(), total, h, w.gate_up.data(), 2 * inter, gate_up_.data(), false);
    profile_.mark(PhaseProfile::kGemm);
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
    linear(pool_, act_.data(), total, inter, w.down.data(), h, x_.data(), true);
    profile_.mark(PhaseProfile::kGemm);
  }

  // Final norm and lm_head only for the rows that sample.
  std::vector<int> rows;
  {
    int t = 0;
    for (const auto& chunk : input.chunks) {
      t += static_cast<int>(chunk.token_ids.size());
      if (chunk.sample) rows.push_back(t - 1);
    }
  }
  if (rows.empty()) return;
  const int num_rows = static_cast<int>(rows.size());
  final_rows_.resize(size_t(num_rows) * h);
  std::vector<float>& final_rows = final_rows_;
  for (int r = 0; r < num_rows; ++r) {
    rms_norm(&x_[size_t(rows[r]) * h], final_norm_.data(), h, norm_eps, &final_rows[size_t(r) * h]);
  }
  const int vocab = c.vocab_size;
  logits_.resize(size_t(num_rows) * vocab);
  std::vector<float>& logits = logits_;
  const float* head = lm_head_.empty() ? embed_.data() : lm_head_.data();
  linear(pool_, final_rows.data(), num_rows, h, head, vocab, logits.data(), false);
  profile_.mark(PhaseProfile::kLmHead);
  if (input.return_logits) output.logits = logits;
  output.sampled.resize(num_rows);
  std::vector<const SeqChunk*> sampling_chunks;
  for (const auto& chunk : input.chunks) {
    if (chunk.sample) sampling_chunks.push_back(&chunk);
  }
  // Rows sample independently; an error in one (bad parameters) is rethrown here, not in a worker.
  std::vector<std::exception_ptr> errors(num_rows);
  pool_.parallel_for(
      num_rows,
      [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
          try {
            output.sampled[r] =
                sample_row(std::span<float>(logits.data() + size_t(r) * vocab, vocab),
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
