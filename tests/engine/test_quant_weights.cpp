// The quantized-checkpoint loader: quantization_config parsing and its errors, each format's
// packing read back exactly (random data packed the way the published packers do), and the
// errors for packed tensors that disagree with the config.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/model/model_config.h"
#include "engine/model/quant_weights.h"
#include "tests/engine/quant_test_pack.h"
#include "engine/util/error.h"

using namespace pagoda;
using quant_test::Case;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

QuantConfig parse(const std::string& quantization_config) {
  return QuantConfig::from_json(Json::parse("{\"quantization_config\": " + quantization_config + "}"),
                                "config.json");
}

TEST(QuantConfig, ReadsPublishedConfigs) {
  QuantConfig awq = parse(R"({"bits": 4, "group_size": 128, "modules_to_not_convert": null,
                             "quant_method": "awq", "version": "gemm", "zero_point": true})");
  EXPECT_EQ(awq.method, QuantMethod::Awq);
  EXPECT_EQ(awq.describe(), "AWQ 4-bit, group 128");
  QuantConfig gptq = parse(R"({"bits": 8, "damp_percent": 0.01, "desc_act": true, "group_size": 128,
                              "quant_method": "gptq", "static_groups": false, "sym": true,
                              "true_sequential": true, "checkpoint_format": "gptq"})");
  EXPECT_EQ(gptq.bits, 8);
  EXPECT_TRUE(gptq.desc_act);
  EXPECT_FALSE(gptq.zero_point);
  EXPECT_FALSE(gptq.gptq_v2);
  EXPECT_EQ(gptq.describe(), "GPTQ 8-bit, act order, group 128");
  EXPECT_EQ(parse(R"({"quant_method": "gptq", "bits": 4, "group_size": -1, "format": "gptq_v2"})")
                .group_size, 0);
  QuantConfig fp8 = parse(R"({"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
                             "weight_block_size": [128, 128]})");
  EXPECT_EQ(fp8.fp8_block_n, 128);
  EXPECT_EQ(fp8.describe(), "FP8 e4m3, blocks 128x128");
  EXPECT_FALSE(QuantConfig::from_json(Json::parse("{}"), "config.json").quantized());
}

TEST(QuantConfig, RefusesWhatItCannotRunNamingFieldAndValue) {
  auto err = [](const std::string& q) { return error_of([&] { parse(q); }); };
  EXPECT_NE(err(R"({"quant_method": "bitsandbytes"})").find("quant_method is 'bitsandbytes'"),
            std::string::npos);
  EXPECT_NE(err(R"({"quant_method": "gptq", "bits": 3})").find("bits is 3"), std::string::npos);
  EXPECT_NE(err(R"({"quant_method": "awq", "bits": 8})").find("bits is 8"), std::string::npos);
  EXPECT_NE(err(R"({"quant_method": "awq", "version": "gemv"})").find("version is 'gemv'"),
            std::string::npos);
  EXPECT_NE(err(R"({"quant_method": "gptq", "checkpoint_format": "marlin"})")
                .find("checkpoint_format is 'marlin'"),
            std::string::npos);
  EXPECT_NE(err(R"({"quant_method": "fp8", "fmt": "e5m2"})").find("fmt is 'e5m2'"),
            std::string::npos);
  EXPECT_NE(err(R"({"quant_method": "fp8", "weight_block_size": [128]})").find("weight_block_size"),
            std::string::npos);
  EXPECT_NE(err(R"({"quant_method": "gptq", "group_size": 100})").find("group_size is 100"),
            std::string::npos);
}

TEST(QuantConfig, UnconvertedModulesStayPlain) {
  QuantConfig c = parse(R"({"quant_method": "awq", "modules_to_not_convert": ["mlp.down_proj"]})");
  EXPECT_TRUE(c.converts("model.layers.3.self_attn.q_proj"));
  EXPECT_FALSE(c.converts("model.layers.3.mlp.down_proj"));
  EXPECT_FALSE(c.converts("lm_head"));
  EXPECT_FALSE(c.converts("model.embed_tokens"));
}

TEST(QuantConfig, ModelConfigCarriesIt) {
  ModelConfig m = ModelConfig::from_json_text(R"({"architectures": ["Qwen2ForCausalLM"],
      "model_type": "qwen2", "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
      "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
      "quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 32}})");
  EXPECT_EQ(m.quant.method, QuantMethod::Gptq);
}

TEST(Fp8, E4m3Values) {
  EXPECT_EQ(fp8_e4m3_to_float(0x38), 1.0f);
  EXPECT_EQ(fp8_e4m3_to_float(0x7E), 448.0f);
  EXPECT_EQ(fp8_e4m3_to_float(0xC0), -2.0f);
  EXPECT_EQ(fp8_e4m3_to_float(0x01), std::ldexp(1.0f, -9));
  EXPECT_EQ(fp8_e4m3_to_float(0x07), 7 * std::ldexp(1.0f, -9));
  EXPECT_EQ(fp8_e4m3_to_float(0x0F), 1.875f * std::ldexp(1.0f, -6));
  EXPECT_TRUE(std::isnan(fp8_e4m3_to_float(0x7F)));
}

class QuantFormats : public ::testing::TestWithParam<Case> {};

TEST_P(QuantFormats, DequantizesExactly) {
  std::mt19937_64 rng(1234);
  const Case& c = GetParam();
  WeightStore store;
  const auto ref = quant_test::add_case(c, "model.layers.0.mlp.up_proj", store, rng);
  const QuantMatrix m = read_quant_matrix(c.config, store, "model.layers.0.mlp.up_proj", c.n, c.k);
  EXPECT_EQ(m.perm.empty(), !c.shuffled_gidx);
  std::vector<float> w(c.n * c.k);
  dequantize(m, w.data());
  double worst = 0;
  for (size_t i = 0; i < w.size(); ++i)
    worst = std::max(worst, std::fabs(w[i] - ref[i]) / (std::fabs(ref[i]) + 1e-6));
  EXPECT_LT(worst, 1e-6) << c.name();
}

INSTANTIATE_TEST_SUITE_P(
    All, QuantFormats,
    ::testing::Values(Case{quant_test::awq(32), 16, 64}, Case{quant_test::awq(64), 24, 128},
                      Case{quant_test::awq(128), 40, 256},
                      Case{quant_test::gptq(4, 128, true, false), 16, 256},
                      Case{quant_test::gptq(4, 32, false, false), 24, 96},
                      Case{quant_test::gptq(4, 32, false, false, true), 24, 96},
                      Case{quant_test::gptq(4, -1, false, false), 8, 40},
                      Case{quant_test::gptq(4, 16, false, true), 16, 80, true},
                      Case{quant_test::gptq(8, 32, true, false), 12, 64},
                      Case{quant_test::gptq(8, 16, false, true), 20, 48, true},
                      Case{quant_test::gptq(8, 16, false, true, true), 20, 48, true},
                      Case{quant_test::fp8(128, 128), 130, 200}, Case{quant_test::fp8(16, 32), 40, 72},
                      Case{quant_test::fp8(0, 0), 9, 17}));

// A checkpoint whose tensor has been replaced by one of another shape or content.
struct Tampered {
  WeightStore store;
  std::string module = "model.layers.1.self_attn.o_proj";
  Case c;
  explicit Tampered(Case cs, const std::string& replace = "", DType dtype = DType::I32,
                    std::vector<int64_t> shape = {}, std::vector<std::byte> data = {})
      : c(cs) {
    std::mt19937_64 rng(5);
    WeightStore full;
    quant_test::add_case(c, module, full, rng);
    for (const auto& name : full.names()) {
      const TensorView& t = *full.find(name);
      if (name == module + replace) {
        store.add_owned(name, dtype, shape, data);
      } else {
        store.add_owned(name, t.dtype, t.shape,
                        std::vector<std::byte>(t.data, t.data + t.nbytes));
      }
    }
  }
  std::string error() {
    return error_of([&] { read_quant_matrix(c.config, store, module, c.n, c.k); });
  }
};

TEST(QuantErrors, NameTheTensor) {
  const Case awq{quant_test::awq(32), 16, 64};
  EXPECT_NE(Tampered(awq, ".qweight", DType::I32, {64, 4}, std::vector<std::byte>(64 * 4 * 4))
                .error()
                .find("model.layers.1.self_attn.o_proj.qweight has shape [64, 4], expected [64, 2]"),
            std::string::npos);
  EXPECT_NE(Tampered(awq, ".qzeros", DType::I32, {3, 2}, std::vector<std::byte>(24)).error().find(
                "o_proj.qzeros has shape [3, 2], expected [2, 2]"),
            std::string::npos);
  EXPECT_NE(Tampered(awq, ".scales", DType::I32, {2, 16}, std::vector<std::byte>(128)).error().find(
                "o_proj.scales has dtype I32"),
            std::string::npos);
  const Case act{quant_test::gptq(4, 16, false, true), 16, 64, true};
  std::vector<int32_t> out_of_range(64, 0);
  out_of_range[5] = 9;
  EXPECT_NE(Tampered(act, ".g_idx", DType::I32, {64}, quant_test::bytes_of(out_of_range))
                .error()
                .find("o_proj.g_idx holds group 9 at input 5"),
            std::string::npos);
  std::vector<int32_t> lopsided(64, 0);
  for (int i = 32; i < 64; ++i) lopsided[i] = (i - 32) / 11 + 1;
  EXPECT_NE(Tampered(act, ".g_idx", DType::I32, {64}, quant_test::bytes_of(lopsided))
                .error()
                .find("o_proj.g_idx puts 32 input channels in group 0"),
            std::string::npos);
  Tampered no_gidx(act);
  WeightStore without;
  for (const auto& name : no_gidx.store.names()) {
    if (name.find("g_idx") != std::string::npos) continue;
    const TensorView& t = *no_gidx.store.find(name);
    without.add_owned(name, t.dtype, t.shape, std::vector<std::byte>(t.data, t.data + t.nbytes));
  }
  EXPECT_NE(error_of([&] { read_quant_matrix(act.config, without, no_gidx.module, 16, 64); })
                .find("missing tensor model.layers.1.self_attn.o_proj.g_idx"),
            std::string::npos);
  const Case f8{quant_test::fp8(128, 128), 130, 200};
  EXPECT_NE(Tampered(f8, ".weight_scale_inv", DType::F32, {1, 2}, std::vector<std::byte>(8))
                .error()
                .find("o_proj.weight_scale_inv has shape [1, 2], expected [2, 2]"),
            std::string::npos);
  EXPECT_NE(Tampered(f8, ".weight", DType::BF16, {130, 200}, std::vector<std::byte>(130 * 400))
                .error()
                .find("o_proj.weight has dtype BF16, expected F8_E4M3"),
            std::string::npos);
  // AWQ needs whole groups.
  EXPECT_NE(error_of([&] {
              WeightStore s;
              read_quant_matrix(quant_test::awq(128), s, "model.layers.0.mlp.down_proj", 16, 64);
            }).find("group_size 128"),
            std::string::npos);
}

}  // namespace
