// Prefill and decode throughput of the CPU backend.
//   bench_cpu [--threads N] [--prompt N] [--decode N] [--batch N] [--no-large] [--only-large]
//   bench_cpu [--threads N] --gemm   (OpenBLAS GEMM shapes of a 0.5B model at small row counts)
// The large model has the shape of Qwen2.5-0.5B with random bf16 weights built in memory.
#include <cblas.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>

#include "engine/backend/backend.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/model/model_config.h"
#include "engine/model/weights.h"

using namespace pagoda;

namespace {

struct Options {
  int threads = 0;
  int prompt = 128;
  int decode = 32;
  int batch = 1;
  bool small = true;
  bool large = true;
  bool gemm = false;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Random bf16 weights (uniform +-scale), norms at 1, for every tensor the architecture reads.
WeightStore random_weights(const ModelConfig& c) {
  WeightStore store;
  std::mt19937_64 rng(1);
  auto add = [&](const std::string& name, std::vector<int64_t> shape, float scale, bool ones) {
    int64_t n = std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
    std::vector<std::byte> bytes(size_t(n) * 2);
    uint64_t state = rng();
    for (int64_t i = 0; i < n; ++i) {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      float u = static_cast<float>(state >> 40) * (1.0f / 16777216.0f) * 2 - 1;
      uint16_t v = float_to_bf16(ones ? 1.0f : u * scale);
      std::memcpy(&bytes[size_t(i) * 2], &v, 2);
    }
    store.add_owned(name, DType::BF16, std::move(shape), std::move(bytes));
  };
  const int64_t h = c.hidden_size, q = int64_t{c.num_heads} * c.head_dim,
                kv = int64_t{c.num_kv_heads} * c.head_dim, inter = c.intermediate_size;
  add("model.embed_tokens.weight", {c.vocab_size, h}, 0.02f, false);
  if (!c.tie_word_embeddings) add("lm_head.weight", {c.vocab_size, h}, 0.02f, false);
  add("model.norm.weight", {h}, 0, true);
  for (int i = 0; i < c.num_layers; ++i) {
    std::string p = "model.layers." + std::to_string(i) + ".";
    add(p + "self_attn.q_proj.weight", {q, h}, 0.02f, false);
    add(p + "self_attn.k_proj.weight", {kv, h}, 0.02f, false);
    add(p + "self_attn.v_proj.weight", {kv, h}, 0.02f, false);
    if (c.attention_bias) {
      add(p + "self_attn.q_proj.bias", {q}, 0.02f, false);
      add(p + "self_attn.k_proj.bias", {kv}, 0.02f, false);
      add(p + "self_attn.v_proj.bias", {kv}, 0.02f, false);
    }
    add(p + "self_attn.o_proj.weight", {h, q}, 0.02f, false);
    add(p + "mlp.gate_proj.weight", {inter, h}, 0.02f, false);
    add(p + "mlp.up_proj.weight", {inter, h}, 0.02f, false);
    add(p + "mlp.down_proj.weight", {h, inter}, 0.02f, false);
    add(p + "input_layernorm.weight", {h}, 0, true);
    add(p + "post_attention_layernorm.weight", {h}, 0, true);
  }
  return store;
}

void bench(const std::string& label, const ModelConfig& config, const WeightStore& weights,
           const Options& o) {
  BackendOptions bo;
  bo.num_threads = o.threads;
  auto backend = create_cpu_backend(bo);
  auto t0 = std::chrono::steady_clock::now();
  backend->load(config, weights);
  double load_s = seconds_since(t0);
  const int block_size = 16;
  const int per_seq = (o.prompt + o.decode + block_size - 1) / block_size;
  backend->allocate_kv_cache(int64_t{per_seq} * o.batch, block_size);

  std::mt19937 rng(3);
  std::vector<std::vector<int32_t>> tokens(o.batch), tables(o.batch);
  for (int s = 0; s < o.batch; ++s) {
    for (int i = 0; i < o.prompt + o.decode; ++i)
      tokens[s].push_back(int32_t(rng() % config.vocab_size));
    for (int b = 0; b < per_seq; ++b) tables[s].push_back(s * per_seq + b);
  }
  StepInput in;
  StepOutput out;
  for (int s = 0; s < o.batch; ++s) {
    SeqChunk c;
    c.seq_id = s;
    c.token_ids = std::span<const int32_t>(tokens[s]).first(o.prompt);
    c.block_table = tables[s];
    c.sample = true;
    in.chunks.push_back(c);
  }
  t0 = std::chrono::steady_clock::now();
  backend->execute(in, out);
  double prefill_s = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  for (int step = 0; step < o.decode; ++step) {
    for (int s = 0; s < o.batch; ++s) {
      in.chunks[s].context_len = o.prompt + step;
      in.chunks[s].token_ids = std::span<const int32_t>(tokens[s]).subspan(o.prompt + step, 1);
    }
    backend->execute(in, out);
  }
  double decode_s = seconds_since(t0);
  std::printf(
      "%-22s params %6.1fM  load %6.2f s  prefill %4d x %-3d %9.1f tok/s  decode x %-3d %8.1f "
      "tok/s (%.1f ms/step)\n",
      label.c_str(), config.num_parameters() / 1e6, load_s, o.batch, o.prompt,
      o.batch * o.prompt / prefill_s, o.batch, o.batch * o.decode / decode_s,
      1e3 * decode_s / o.decode);
  std::fflush(stdout);
}

// Times the two ways of computing Y[rows, n] = X[rows, k] W[n, k]^T with OpenBLAS for small row
// counts: X W^T directly, and (W X^T)^T, which streams W as the left operand.
void bench_gemm(int threads) {
  openblas_set_num_threads(threads > 0 ? threads : 1);
  std::mt19937 rng(1);
  for (auto [n, k] : {std::pair{151936, 896}, std::pair{9728, 896}, std::pair{896, 4864}}) {
    std::vector<float> w(size_t(n) * k), x(size_t(32) * k), y(size_t(32) * n), yt(size_t(32) * n);
    for (auto& v : w) v = float(rng() % 100) * 0.01f;
    for (auto& v : x) v = float(rng() % 100) * 0.01f;
    for (int rows : {1, 2, 4, 8, 16, 32}) {
      auto time = [&](auto fn) {
        fn();
        auto t0 = std::chrono::steady_clock::now();
        for (int r = 0; r < 5; ++r) fn();
        return seconds_since(t0) / 5 * 1e3;
      };
      double direct = time([&] {
        if (rows == 1) {
          cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1, w.data(), k, x.data(), 1, 0, y.data(),
                      1);
        } else {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n, k, 1, x.data(), k, w.data(),
                      k, 0, y.data(), n);
        }
      });
      double transposed = time([&] {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, rows, k, 1, w.data(), k, x.data(),
                    k, 0, yt.data(), rows);
      });
      std::printf("gemm n %6d k %5d rows %2d: X W^T %8.2f ms   (W X^T)^T %8.2f ms\n", n, k, rows,
                  direct, transposed);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> int {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return std::atoi(argv[++i]);
    };
    if (a == "--threads") {
      o.threads = value();
    } else if (a == "--prompt") {
      o.prompt = value();
    } else if (a == "--decode") {
      o.decode = value();
    } else if (a == "--batch") {
      o.batch = value();
    } else if (a == "--no-large") {
      o.large = false;
    } else if (a == "--only-large") {
      o.small = false;
    } else if (a == "--gemm") {
      o.gemm = true;
    } else {
      std::fprintf(stderr,
                   "usage: bench_cpu [--threads N] [--prompt N] [--decode N] [--batch N] "
                   "[--no-large] [--only-large] [--gemm]\n");
      return 2;
    }
  }
  if (o.prompt < 1 || o.decode < 0 || o.batch < 1) return 2;
  if (o.gemm) {
    bench_gemm(o.threads);
    return 0;
  }
  try {
    std::printf(
        "%s\n",
        create_cpu_backend(BackendOptions{.num_threads = o.threads})->device_name().c_str());
    if (o.small) {
      for (const char* name :
           {"tiny-qwen2", "tiny-qwen3", "tiny-llama3", "tiny-mistral", "tiny-yi-spm"}) {
        auto dir = std::filesystem::path(PAGODA_TEST_DATA) / "models" / name;
        bench(name, ModelConfig::from_dir(dir), WeightStore::open(dir), o);
      }
    }
    if (o.large) {
      auto config = ModelConfig::from_json_text(R"({
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 896,
        "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
        "intermediate_size": 4864, "vocab_size": 151936, "max_position_embeddings": 32768,
        "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": true,
        "torch_dtype": "bfloat16"})");
      auto t0 = std::chrono::steady_clock::now();
      WeightStore weights = random_weights(config);
      std::printf("(random 0.5B-shaped weights built in %.1f s)\n", seconds_since(t0));
      bench("qwen2.5-0.5b-shaped", config, weights, o);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_cpu: %s\n", e.what());
    return 1;
  }
  return 0;
}
