// The CPU backend against a plain double-precision reference of the same architecture, on small
// random models with shapes the fixtures lack: GQA ratios 3 and 7, head_dim != hidden/heads,
// biases with q/k norms, untied heads, and every RoPE scaling type.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include "engine/backend/backend.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/model/model_config.h"
#include "engine/model/weights.h"
#include "engine/util/json.h"

using namespace pagoda;

namespace {

struct Shape {
  const char* name;
  int hidden, heads, kv_heads, head_dim, inter, layers, vocab;
  bool bias, qk_norm, tied;
  const char* rope;  // rope_scaling JSON or ""
};

void PrintTo(const Shape& s, std::ostream* os) {
  *os << s.name;
}

ModelConfig make_config(const Shape& s) {
  Json j = {{"architectures", {s.qk_norm ? "Qwen3ForCausalLM" : "LlamaForCausalLM"}},
            {"hidden_size", s.hidden},
            {"num_attention_heads", s.heads},
            {"num_key_value_heads", s.kv_heads},
            {"head_dim", s.head_dim},
            {"intermediate_size", s.inter},
            {"num_hidden_layers", s.layers},
            {"vocab_size", s.vocab},
            {"attention_bias", s.bias},
            {"tie_word_embeddings", s.tied},
            {"rope_theta", 10000.0},
            {"max_position_embeddings", 64},
            {"rms_norm_eps", 1e-5}};
  if (*s.rope) j["rope_scaling"] = Json::parse(s.rope);
  return ModelConfig::from_json_text(j.dump());
}

struct RandomModel {
  std::map<std::string, std::vector<float>> tensors;
  WeightStore store;
};

RandomModel make_weights(const ModelConfig& c, uint32_t seed) {
  RandomModel m;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-0.5f, 0.5f);
  auto add = [&](const std::string& name, std::vector<int64_t> shape, bool norm) {
    size_t n = 1;
    for (auto d : shape) n *= size_t(d);
    std::vector<float> v(n);
    for (auto& x : v) x = norm ? 1.0f + 0.3f * dist(rng) : dist(rng);
    std::vector<std::byte> bytes(n * 4);
    std::memcpy(bytes.data(), v.data(), n * 4);
    m.store.add_owned(name, DType::F32, shape, std::move(bytes));
    m.tensors[name] = std::move(v);
  };
  const int64_t h = c.hidden_size, q = int64_t{c.num_heads} * c.head_dim,
                kv = int64_t{c.num_kv_heads} * c.head_dim;
  add("model.embed_tokens.weight", {c.vocab_size, h}, false);
  if (!c.tie_word_embeddings) add("lm_head.weight", {c.vocab_size, h}, false);
  add("model.norm.weight", {h}, true);
  for (int i = 0; i < c.num_layers; ++i) {
    std::string p = "model.layers." + std::to_string(i) + ".";
    add(p + "self_attn.q_proj.weight", {q, h}, false);
    add(p + "self_attn.k_proj.weight", {kv, h}, false);
    add(p + "self_attn.v_proj.weight", {kv, h}, false);
    if (c.attention_bias) {
      add(p + "self_attn.q_proj.bias", {q}, false);
      add(p + "self_attn.k_proj.bias", {kv}, false);
      add(p + "self_attn.v_proj.bias", {kv}, false);
    }
    if (c.qk_norm) {
      add(p + "self_attn.q_norm.weight", {c.head_dim}, true);
      add(p + "self_attn.k_norm.weight", {c.head_dim}, true);
    }
    add(p + "self_attn.o_proj.weight", {h, q}, false);
    add(p + "mlp.gate_proj.weight", {c.intermediate_size, h}, false);
    add(p + "mlp.up_proj.weight", {c.intermediate_size, h}, false);
    add(p + "mlp.down_proj.weight", {h, c.intermediate_size}, false);
    add(p + "input_layernorm.weight", {h}, true);
    add(p + "post_attention_layernorm.weight", {h}, true);
  }
  return m;
}

using Mat = std::vector<std::vector<double>>;

// y = W x (+ b) for W [out, in].
std::vector<double> matvec(const std::vector<float>& w, const std::vector<double>& x, size_t out,
                           const std::vector<float>* bias = nullptr) {
  std::vector<double> y(out);
  for (size_t o = 0; o < out; ++o) {
    double s = bias ? (*bias)[o] : 0;
    for (size_t i = 0; i < x.size(); ++i) s += double(w[o * x.size() + i]) * x[i];
    y[o] = s;
  }
  return y;
}

std::vector<double> rms(const std::vector<double>& x, const std::vector<float>& w, double eps,
                        size_t offset = 0, size_t n = 0) {
  if (n == 0) n = x.size();
  double ss = 0;
  for (size_t i = 0; i < n; ++i) ss += x[offset + i] * x[offset + i];
  double inv = 1 / std::sqrt(ss / n + eps);
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = x[offset + i] * inv * w[i];
  return out;
}

// Logits at every position of tokens, recomputing everything (no cache).
Mat reference_logits(const ModelConfig& c, RandomModel& m, const std::vector<int32_t>& tokens) {
  const size_t T = tokens.size(), h = c.hidden_size, hd = c.head_dim;
  const size_t q_dim = size_t(c.num_heads) * hd, kv_dim = size_t(c.num_kv_heads) * hd;
  auto inv_freq = rope_inv_freq(c);
  double scale = rope_attention_scaling(c);
  Mat x(T);
  for (size_t t = 0; t < T; ++t) {
    auto& e = m.tensors["model.embed_tokens.weight"];
    x[t].assign(e.begin() + tokens[t] * h, e.begin() + (tokens[t] + 1) * h);
  }
  for (int l = 0; l < c.num_layers; ++l) {
    std::string p = "model.layers." + std::to_string(l) + ".";
    auto* bq = c.attention_bias ? &m.tensors[p + "self_attn.q_proj.bias"] : nullptr;
    auto* bk = c.attention_bias ? &m.tensors[p + "self_attn.k_proj.bias"] : nullptr;
    auto* bv = c.attention_bias ? &m.tensors[p + "self_attn.v_proj.bias"] : nullptr;
    Mat q(T), k(T), v(T);
    for (size_t t = 0; t < T; ++t) {
      auto n = rms(x[t], m.tensors[p + "input_layernorm.weight"], c.rms_norm_eps);
      q[t] = matvec(m.tensors[p + "self_attn.q_proj.weight"], n, q_dim, bq);
      k[t] = matvec(m.tensors[p + "self_attn.k_proj.weight"], n, kv_dim, bk);
      v[t] = matvec(m.tensors[p + "self_attn.v_proj.weight"], n, kv_dim, bv);
      auto rope = [&](std::vector<double>& vec, size_t heads, const std::vector<float>* norm) {
        for (size_t head = 0; head < heads; ++head) {
          if (norm) {
            auto r = rms(vec, *norm, c.rms_norm_eps, head * hd, hd);
            std::copy(r.begin(), r.end(), vec.begin() + head * hd);
          }
          double* a = &vec[head * hd];
          for (size_t i = 0; i < hd / 2; ++i) {
            double angle = double(inv_freq[i]) * double(t);
            double cs = std::cos(angle) * scale, sn = std::sin(angle) * scale;
            double x0 = a[i], x1 = a[i + hd / 2];
            a[i] = x0 * cs - x1 * sn;
            a[i + hd / 2] = x1 * cs + x0 * sn;
          }
        }
      };
      rope(q[t], c.num_heads, c.qk_norm ? &m.tensors[p + "self_attn.q_norm.weight"] : nullptr);
      rope(k[t], c.num_kv_heads, c.qk_norm ? &m.tensors[p + "self_attn.k_norm.weight"] : nullptr);
    }
    const size_t group = c.num_heads / c.num_kv_heads;
    for (size_t t = 0; t < T; ++t) {
      std::vector<double> attn(q_dim, 0.0);
      for (size_t head = 0; head < size_t(c.num_heads); ++head) {
        size_t kvh = head / group;
        std::vector<double> s(t + 1);
        double mx = -1e300;
        for (size_t j = 0; j <= t; ++j) {
          double d = 0;
          for (size_t i = 0; i < hd; ++i) d += q[t][head * hd + i] * k[j][kvh * hd + i];
          s[j] = d / std::sqrt(double(hd));
          mx = std::max(mx, s[j]);
        }
        double sum = 0;
        for (auto& e : s) sum += (e = std::exp(e - mx));
        for (size_t j = 0; j <= t; ++j) {
          for (size_t i = 0; i < hd; ++i) attn[head * hd + i] += s[j] / sum * v[j][kvh * hd + i];
        }
      }
      auto o = matvec(m.tensors[p + "self_attn.o_proj.weight"], attn, h);
      for (size_t i = 0; i < h; ++i) x[t][i] += o[i];
      auto n = rms(x[t], m.tensors[p + "post_attention_layernorm.weight"], c.rms_norm_eps);
      auto g = matvec(m.tensors[p + "mlp.gate_proj.weight"], n, c.intermediate_size);
      auto u = matvec(m.tensors[p + "mlp.up_proj.weight"], n, c.intermediate_size);
      for (size_t i = 0; i < g.size(); ++i) g[i] = g[i] / (1 + std::exp(-g[i])) * u[i];
      auto d = matvec(m.tensors[p + "mlp.down_proj.weight"], g, h);
      for (size_t i = 0; i < h; ++i) x[t][i] += d[i];
    }
  }
  Mat logits(T);
  auto& head = m.tensors[c.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight"];
  for (size_t t = 0; t < T; ++t) {
    logits[t] =
        matvec(head, rms(x[t], m.tensors["model.norm.weight"], c.rms_norm_eps), c.vocab_size);
  }
  return logits;
}

class ShapeTest : public ::testing::TestWithParam<Shape> {};

TEST_P(ShapeTest, MatchesReferenceAtEveryPosition) {
  const Shape& s = GetParam();
  ModelConfig config = make_config(s);
  RandomModel model = make_weights(config, 11);
  std::mt19937 rng(5);
  const int T = 37;
  std::vector<int32_t> tokens(T);
  for (auto& t : tokens) t = int32_t(rng() % config.vocab_size);
  Mat expected = reference_logits(config, model, tokens);

  for (int block_size : {1, 4, 16}) {
    BackendOptions opts;
    opts.num_threads = 2;
    auto backend = create_cpu_backend(opts);
    backend->load(config, model.store);
    const int blocks = (T + block_size - 1) / block_size;
    backend->allocate_kv_cache(blocks + 3, block_size);
    std::vector<int32_t> table(blocks + 3);  // scattered block ids
    std::iota(table.begin(), table.end(), 0);
    std::shuffle(table.begin(), table.end(), std::mt19937(block_size));
    table.resize(blocks);
    // Chunks of 1, 2, 3, ... tokens, each sampling its last row.
    int at = 0, len = 1;
    while (at < T) {
      int n = std::min(len++, T - at);
      StepInput in;
      in.return_logits = true;
      SeqChunk c;
      c.token_ids = std::span<const int32_t>(tokens).subspan(at, n);
      c.context_len = at;
      c.block_table = table;
      c.sample = true;
      in.chunks.push_back(c);
      StepOutput out;
      backend->execute(in, out);
      at += n;
      double worst = 0;
      for (int v = 0; v < config.vocab_size; ++v) {
        worst = std::max(worst, std::fabs(out.logits[v] - expected[at - 1][v]));
      }
      EXPECT_LT(worst, 2e-4) << s.name << " block " << block_size << " position " << at - 1;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ShapeTest,
    ::testing::Values(
        Shape{"gqa3_bias_linear", 20, 6, 2, 6, 24, 2, 50, true, false, false,
              R"({"type":"linear","factor":2.0})"},
        Shape{"gqa7_qknorm_tied", 28, 14, 2, 4, 40, 2, 40, false, true, true, ""},
        Shape{"mha_dynamic", 16, 2, 2, 8, 32, 1, 30, false, false, false,
              R"({"rope_type":"dynamic","factor":2.0})"},
        Shape{"mqa_yarn", 24, 4, 1, 10, 32, 2, 33, true, true, false,
              R"({"rope_type":"yarn","factor":4.0,"original_max_position_embeddings":16})"},
        Shape{"gqa2_llama3", 32, 4, 2, 16, 48, 2, 45, false, false, true,
              R"({"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,)"
              R"("original_max_position_embeddings":16})"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
