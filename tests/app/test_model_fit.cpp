// estimate_weight_bytes: the weight size the fit estimate uses when the hub lists no sizes.
#include <gtest/gtest.h>

#include <filesystem>

#include "app/hub/model_fit.h"
#include "engine/model/weights.h"

using namespace pagoda;

namespace {

const char* kQwen7b = R"({"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
  "vocab_size": 152064, "hidden_size": 3584, "intermediate_size": 18944,
  "num_hidden_layers": 28, "num_attention_heads": 28, "num_key_value_heads": 4,
  "tie_word_embeddings": false, "torch_dtype": "bfloat16" QUANT})";

ModelConfig qwen7b(const std::string& quant) {
  std::string text = kQwen7b;
  text.replace(text.find("QUANT"), 5, quant.empty() ? "" : ", \"quantization_config\": " + quant);
  return ModelConfig::from_json_text(text);
}

TEST(ModelFit, PlainWeightsAreParametersAtTheDtype) {
  const ModelConfig c = qwen7b("");
  EXPECT_EQ(hub::estimate_weight_bytes(c), c.num_parameters() * 2);
}

TEST(ModelFit, QuantizedWeightsAreThePackedSize) {
  // Qwen2.5-7B-Instruct-AWQ lists 5.58 GB of safetensors; the FP8 and GPTQ-Int8 repos ~8.7 GB.
  const double awq = hub::estimate_weight_bytes(
      qwen7b(R"({"quant_method": "awq", "bits": 4, "group_size": 128, "version": "gemm"})"));
  EXPECT_GT(awq, 5.4e9);
  EXPECT_LT(awq, 5.8e9);
  const double int8 = hub::estimate_weight_bytes(
      qwen7b(R"({"quant_method": "gptq", "bits": 8, "group_size": 128, "sym": true})"));
  EXPECT_GT(int8, 8.5e9);
  EXPECT_LT(int8, 9.0e9);
  const double fp8 = hub::estimate_weight_bytes(
      qwen7b(R"({"quant_method": "fp8", "fmt": "e4m3", "weight_block_size": [128, 128]})"));
  EXPECT_GT(fp8, 8.5e9);
  EXPECT_LT(fp8, 8.9e9);
}

// The quantized fixtures: the estimate from config.json equals the bytes of their tensors.
TEST(ModelFit, MatchesTheQuantizedFixturesExactly) {
  namespace fs = std::filesystem;
  int checked = 0;
  for (const auto& e : fs::directory_iterator(fs::path(PAGODA_TEST_DATA) / "models")) {
    const ModelConfig c = ModelConfig::from_dir(e.path());
    if (!c.quant.quantized()) continue;
    const WeightStore w = WeightStore::open(e.path());
    EXPECT_EQ(hub::estimate_weight_bytes(c), static_cast<int64_t>(w.total_bytes()))
        << e.path().filename();
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

}  // namespace

namespace {

TEST(ModelFit, QuantizedVariantsOfAModel) {
  const std::vector<std::string> expected = {
      "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B-Instruct-AWQ",
      "Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4", "Qwen/Qwen2.5-7B-Instruct-GPTQ-Int8",
      "Qwen/Qwen2.5-7B-Instruct-FP8"};
  EXPECT_EQ(hub::quantized_variant_ids("Qwen/Qwen2.5-7B-Instruct"), expected);
  EXPECT_EQ(hub::quantized_variant_ids("Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4"), expected);
  EXPECT_EQ(hub::quantized_variant_ids("Qwen/Qwen2.5-7B-Instruct-awq"), expected);
  EXPECT_EQ(hub::quantized_variant_ids("Qwen/Qwen3-8B-FP8").front(), "Qwen/Qwen3-8B");
}

}  // namespace
