#pragma once
// The named model shapes that the random-weight benchmarks run (pagoda-bench, bench_grammar):
// real architectures' sizes, no weights. Exits with status 2 on an unknown name.
// tests/gpu/make_random_checkpoint.py reads this file (keep the `if (name == "...") { c.x = v; }`
// layout): test_bench_workload checks that its config.json loads back as model_shape(name).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/model/model_config.h"

namespace pagoda::bench {

inline const std::vector<std::string>& model_shape_names() {
  static const std::vector<std::string> names = {"qwen2.5-0.5b", "qwen2.5-7b", "qwen3-0.6b",
                                                 "llama3-8b"};
  return names;
}

inline pagoda::ModelConfig model_shape(const std::string& name) {
  pagoda::ModelConfig c;
  c.architecture = "Qwen2ForCausalLM";
  c.model_type = "qwen2";
  c.rms_norm_eps = 1e-6;
  c.rope.theta = 1000000.0;
  c.max_position_embeddings = 32768;
  if (name == "qwen2.5-0.5b") {
    c.vocab_size = 151936, c.hidden_size = 896, c.intermediate_size = 4864, c.num_layers = 24;
    c.num_heads = 14, c.num_kv_heads = 2, c.head_dim = 64;
    c.tie_word_embeddings = true, c.attention_bias = true;
  } else if (name == "qwen2.5-7b") {
    c.vocab_size = 152064, c.hidden_size = 3584, c.intermediate_size = 18944, c.num_layers = 28;
    c.num_heads = 28, c.num_kv_heads = 4, c.head_dim = 128;
    c.attention_bias = true;
  } else if (name == "qwen3-0.6b") {
    c.architecture = "Qwen3ForCausalLM", c.model_type = "qwen3";
    c.vocab_size = 151936, c.hidden_size = 1024, c.intermediate_size = 3072, c.num_layers = 28;
    c.num_heads = 16, c.num_kv_heads = 8, c.head_dim = 128;
    c.tie_word_embeddings = true, c.qk_norm = true, c.max_position_embeddings = 40960;
  } else if (name == "llama3-8b") {
    c.architecture = "LlamaForCausalLM", c.model_type = "llama";
    c.vocab_size = 128256, c.hidden_size = 4096, c.intermediate_size = 14336, c.num_layers = 32;
    c.num_heads = 32, c.num_kv_heads = 8, c.head_dim = 128, c.rms_norm_eps = 1e-5;
    c.rope.theta = 500000.0, c.rope.type = "llama3", c.rope.factor = 8.0;
    c.rope.low_freq_factor = 1.0, c.rope.high_freq_factor = 4.0;
    c.rope.original_max_position_embeddings = 8192, c.max_position_embeddings = 131072;
  } else {
    std::string known;
    for (const std::string& n : model_shape_names()) known += (known.empty() ? "" : ", ") + n;
    std::fprintf(stderr, "unknown shape %s (%s)\n", name.c_str(), known.c_str());
    std::exit(2);
  }
  return c;
}

}  // namespace pagoda::bench
