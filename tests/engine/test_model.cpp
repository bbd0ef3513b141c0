// config.json / generation_config.json parsing, RoPE scaling, dtype conversions and the
// safetensors reader, including fuzzed headers and configs (clear errors, never a crash).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>

#include "engine/model/dtype.h"
#include "engine/model/model_config.h"
#include "engine/model/weights.h"
#include "engine/util/error.h"
#include "engine/util/json.h"
#include "tests/fixture_files.h"

namespace fs = std::filesystem;
using namespace pagoda;

namespace {

const fs::path kModels = fs::path(PAGODA_TEST_DATA) / "models";
const char* const kTinyModels[] = {"tiny-qwen2", "tiny-qwen3", "tiny-llama3", "tiny-mistral",
                                   "tiny-yi-spm"};

class TempDir {
 public:
  TempDir() {
    // Memory-backed when possible: the fuzz tests write thousands of small files.
    fs::path root = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    path_ = root /
            ("pagoda-test-model-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string safetensors_bytes(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

// A valid two-tensor file: a BF16 [2, 3] and an F32 [2].
std::string valid_safetensors() {
  std::string data(12 + 8, '\0');
  for (int i = 0; i < 6; ++i) {
    uint16_t v = float_to_bf16(static_cast<float>(i) - 2.5f);
    std::memcpy(&data[2 * i], &v, 2);
  }
  float f[2] = {1.5f, -3.0f};
  std::memcpy(&data[12], f, 8);
  std::string header =
      R"({"__metadata__":{"format":"pt"},"a":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,12]},)"
      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}})";
  return safetensors_bytes(header, data);
}

// Opens bytes as a safetensors file: returns "" on success or the pagoda::Error message. Any
// other exception (or a crash) fails the test.
std::string try_open(const fs::path& p, const std::string& bytes) {
  write_file(p, bytes);
  try {
    SafetensorsFile f(p);
    for (const auto& [name, t] : f.tensors()) {
      if (t.dtype == DType::F32 || t.dtype == DType::BF16 || t.dtype == DType::F16) {
        std::vector<float> out(static_cast<size_t>(t.numel()));
        t.to_float(out);  // touches every byte: offsets must be inside the map
      }
    }
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

}  // namespace

TEST(DType, F16RoundTripsEveryFiniteValue) {
  for (uint32_t v = 0; v < 0x10000; ++v) {
    uint16_t h = static_cast<uint16_t>(v);
    float f = f16_to_float(h);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(f16_to_float(float_to_f16(f))));
      continue;
    }
    EXPECT_EQ(float_to_f16(f), h) << "half bits " << v;
  }
  EXPECT_EQ(f16_to_float(0x3C00), 1.0f);
  EXPECT_EQ(f16_to_float(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(float_to_f16(1e6f), 0x7C00);                          // overflow to inf
  EXPECT_EQ(float_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);  // tie rounds to even
}

TEST(DType, Bf16RoundsToNearestEven) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3F80);
  uint32_t bits = 0x3F808000;  // exactly halfway between 0x3F80 and 0x3F81: even wins
  float f;
  std::memcpy(&f, &bits, 4);
  EXPECT_EQ(float_to_bf16(f), 0x3F80);
  bits = 0x3F818000;
  std::memcpy(&f, &bits, 4);
  EXPECT_EQ(float_to_bf16(f), 0x3F82);
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::nanf("")))));
  EXPECT_EQ(dtype_size(DType::BF16), 2u);
  EXPECT_EQ(dtype_name(DType::Bool), "BOOL");
}

TEST(ModelConfig, ReadsEveryFixture) {
  auto qwen2 = ModelConfig::from_dir(kModels / "tiny-qwen2");
  EXPECT_EQ(qwen2.architecture, "Qwen2ForCausalLM");
  EXPECT_TRUE(qwen2.attention_bias);
  EXPECT_FALSE(qwen2.qk_norm);
  EXPECT_TRUE(qwen2.tie_word_embeddings);
  EXPECT_EQ(qwen2.head_dim, 8);  // hidden / heads
  EXPECT_EQ(qwen2.rope.theta, 1e6);
  EXPECT_EQ(qwen2.rope.type, "default");
  EXPECT_EQ(qwen2.dtype, DType::BF16);
  EXPECT_EQ(qwen2.eos_token_ids, std::vector<int32_t>{151645});

  auto qwen3 = ModelConfig::from_dir(kModels / "tiny-qwen3");  // transformers 5.x spelling
  EXPECT_TRUE(qwen3.qk_norm);
  EXPECT_FALSE(qwen3.attention_bias);
  EXPECT_EQ(qwen3.head_dim, 16);  // explicit, != hidden / heads
  EXPECT_EQ(qwen3.rope.theta, 1e6);

  auto llama3 = ModelConfig::from_dir(kModels / "tiny-llama3");
  EXPECT_EQ(llama3.rope.type, "llama3");
  EXPECT_EQ(llama3.rope.factor, 32.0);
  EXPECT_EQ(llama3.rope.original_max_position_embeddings, 8192);
  EXPECT_EQ(llama3.rope.theta, 500000.0);

  auto mistral = ModelConfig::from_dir(kModels / "tiny-mistral");
  EXPECT_EQ(mistral.num_kv_heads, 1);
  EXPECT_FALSE(mistral.tie_word_embeddings);

  auto yi = ModelConfig::from_dir(kModels / "tiny-yi-spm");
  EXPECT_EQ(yi.rope.theta, 5e6);
  EXPECT_EQ(yi.num_heads / yi.num_kv_heads, 4);
}

TEST(ModelConfig, ParameterCountMatchesTheWeights) {
  for (const char* name : kTinyModels) {
    auto config = ModelConfig::from_dir(kModels / name);
    auto weights = WeightStore::open(kModels / name);
    int64_t numel = 0;
    for (const auto& n : weights.names()) numel += weights.get(n).numel();
    EXPECT_EQ(config.num_parameters(), numel) << name;
    EXPECT_EQ(config.kv_bytes_per_token(2),
              size_t(2) * config.num_layers * config.num_kv_heads * config.head_dim * 2);
  }
}

TEST(ModelConfig, VariantsAndErrors) {
  std::string base = pagoda::testing::read_all(kModels / "tiny-qwen2" / "config.json");
  auto with = [&](const std::function<void(Json&)>& edit) {
    Json j = Json::parse(base);
    edit(j);
    return j.dump();
  };
  // eos list, dtype spelling, Mistral without head_dim
  auto c = ModelConfig::from_json_text(with([](Json& j) {
    j["eos_token_id"] = {2, 7};
    j.erase("torch_dtype");
    j["dtype"] = "float16";
  }));
  EXPECT_EQ(c.eos_token_ids, (std::vector<int32_t>{2, 7}));
  EXPECT_EQ(c.dtype, DType::F16);

  auto expect_error = [&](const std::string& text, const std::string& needle) {
    try {
      ModelConfig::from_json_text(text);
      ADD_FAILURE() << "no error, expected one mentioning " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error(
      with([](Json& j) { j["architectures"] = {"GPT2LMHeadModel"}; }),
      "supported: Qwen2ForCausalLM, Qwen3ForCausalLM, LlamaForCausalLM, MistralForCausalLM");
  expect_error(with([](Json& j) { j.erase("hidden_size"); }), "'hidden_size' is missing");
  expect_error(with([](Json& j) { j["num_key_value_heads"] = 3; }), "num_key_value_heads");
  expect_error(with([](Json& j) { j["vocab_size"] = "big"; }), "'vocab_size' must be an integer");
  expect_error(with([](Json& j) {
                 j["rope_scaling"] = {{"type", "su"}, {"factor", 2}};
               }),
               "rope_scaling.rope_type");
  expect_error(with([](Json& j) { j["hidden_act"] = "gelu"; }), "hidden_act");
  expect_error("{not json", "config.json: invalid JSON");

  // 4.x rope_scaling with "type", 5.x rope_parameters with rope_type
  auto linear = ModelConfig::from_json_text(with([](Json& j) {
    j["rope_scaling"] = {{"type", "linear"}, {"factor", 4.0}};
  }));
  EXPECT_EQ(linear.rope.type, "linear");
  auto yarn = ModelConfig::from_json_text(with([](Json& j) {
    j.erase("rope_theta");
    j.erase("rope_scaling");
    j["rope_parameters"] = {{"rope_type", "yarn"},
                            {"rope_theta", 10000.0},
                            {"factor", 4.0},
                            {"original_max_position_embeddings", 1024}};
  }));
  EXPECT_EQ(yarn.rope.type, "yarn");
  EXPECT_EQ(yarn.rope.theta, 10000.0);
  EXPECT_EQ(yarn.rope.original_max_position_embeddings, 1024);
}

TEST(ModelConfig, FuzzedFieldsGiveErrorsNotCrashes) {
  std::string base = pagoda::testing::read_all(kModels / "tiny-llama3" / "config.json");
  Json original = Json::parse(base);
  const Json bad_values[] = {nullptr,
                             "x",
                             -1,
                             0,
                             1e30,
                             -1e30,
                             3.5,
                             Json::array(),
                             Json::object(),
                             true,
                             Json(uint64_t{18446744073709551615ull}),
                             2147483648ll};
  int errors = 0, successes = 0;
  for (auto it = original.begin(); it != original.end(); ++it) {
    for (const Json& v : bad_values) {
      for (int erase = 0; erase < 2; ++erase) {
        Json j = original;
        if (erase) {
          j.erase(it.key());
        } else {
          j[it.key()] = v;
        }
        try {
          auto c = ModelConfig::from_json_text(j.dump());
          rope_inv_freq(c);
          rope_attention_scaling(c);
          c.num_parameters();
          ++successes;
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos);
          ++errors;
        }
      }
    }
  }
  EXPECT_GT(errors, 50);
  EXPECT_GT(successes, 10);
  // Random byte damage of the text.
  std::mt19937 rng(7);
  for (int round = 0; round < 3000; ++round) {
    std::string text = base;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) text[rng() % text.size()] = static_cast<char>(rng() % 256);
    if (rng() % 5 == 0) text.resize(rng() % text.size());
    try {
      ModelConfig::from_json_text(text);
    } catch (const Error&) {
    }
  }
}

TEST(GenerationDefaults, ReadsFileAndToleratesAbsence) {
  auto g = GenerationDefaults::from_dir(kModels / "tiny-qwen2");
  EXPECT_EQ(g.eos_token_ids, std::vector<int32_t>{151645});
  EXPECT_FALSE(g.temperature.has_value());
  TempDir dir;
  EXPECT_TRUE(GenerationDefaults::from_dir(dir.path()).eos_token_ids.empty());
  write_file(dir.path() / "generation_config.json",
             R"({"temperature":0.7,"top_p":0.8,"top_k":20,"do_sample":true,"eos_token_id":[1,2],)"
             R"("repetition_penalty":1.05,"max_new_tokens":100})");
  g = GenerationDefaults::from_dir(dir.path());
  EXPECT_DOUBLE_EQ(*g.temperature, 0.7);
  EXPECT_EQ(*g.top_k, 20);
  EXPECT_TRUE(*g.do_sample);
  EXPECT_EQ(*g.max_new_tokens, 100);
  EXPECT_EQ(g.eos_token_ids, (std::vector<int32_t>{1, 2}));
  write_file(dir.path() / "generation_config.json", R"({"temperature":"hot"})");
  EXPECT_THROW(GenerationDefaults::from_dir(dir.path()), Error);
}

TEST(Rope, DefaultLinearLlama3YarnDynamic) {
  auto c = ModelConfig::from_dir(kModels / "tiny-qwen2");
  c.rope.theta = 10000.0;
  const int half = c.head_dim / 2;
  auto base = rope_inv_freq(c);
  ASSERT_EQ(base.size(), size_t(half));
  for (int i = 0; i < half; ++i) {
    EXPECT_FLOAT_EQ(base[i], static_cast<float>(1.0 / std::pow(10000.0, 2.0 * i / c.head_dim)));
  }
  EXPECT_EQ(rope_attention_scaling(c), 1.0f);

  c.rope.type = "linear";
  c.rope.factor = 4;
  auto linear = rope_inv_freq(c);
  for (int i = 0; i < half; ++i) EXPECT_FLOAT_EQ(linear[i], base[i] / 4);

  // llama3: wavelengths shorter than original/high_freq_factor unchanged, longer than
  // original/low_freq_factor divided by factor, between: blended.
  c.head_dim = 128;
  c.rope.theta = 500000.0;
  c.rope.type = "default";
  auto plain = rope_inv_freq(c);
  c.rope.type = "llama3";
  c.rope.factor = 8;
  c.rope.low_freq_factor = 1;
  c.rope.high_freq_factor = 4;
  c.rope.original_max_position_embeddings = 8192;
  auto llama3 = rope_inv_freq(c);
  int kept = 0, divided = 0, blended = 0;
  for (size_t i = 0; i < plain.size(); ++i) {
    double wavelen = 2 * std::numbers::pi / plain[i];
    if (wavelen < 8192 / 4.0) {
      EXPECT_FLOAT_EQ(llama3[i], plain[i]);
      ++kept;
    } else if (wavelen > 8192) {
      EXPECT_FLOAT_EQ(llama3[i], plain[i] / 8);
      ++divided;
    } else {
      EXPECT_LT(llama3[i], plain[i]);
      EXPECT_GT(llama3[i], plain[i] / 8);
      ++blended;
    }
  }
  EXPECT_GT(kept, 0);
  EXPECT_GT(divided, 0);
  EXPECT_GT(blended, 0);

  // yarn: highest frequencies extrapolated, lowest interpolated, mscale 0.1 ln(s) + 1.
  c.rope.type = "yarn";
  c.rope.factor = 4;
  c.rope.theta = 10000;
  c.rope.original_max_position_embeddings = 4096;
  c.rope.type = "default";
  plain = rope_inv_freq(c);
  c.rope.type = "yarn";
  auto yarn = rope_inv_freq(c);
  EXPECT_FLOAT_EQ(yarn.front(), plain.front());
  EXPECT_FLOAT_EQ(yarn.back(), plain.back() / 4);
  EXPECT_NEAR(rope_attention_scaling(c), 0.1 * std::log(4.0) + 1, 1e-6);
  c.rope.attention_factor = 1.25;
  EXPECT_FLOAT_EQ(rope_attention_scaling(c), 1.25f);

  // dynamic NTK at max_position_embeddings * factor: base * (f^2 - f + 1)^(d / (d - 2)).
  c.rope.type = "dynamic";
  c.rope.factor = 2;
  auto dynamic = rope_inv_freq(c);
  double new_base = 10000 * std::pow(3.0, 128.0 / 126.0);
  EXPECT_FLOAT_EQ(dynamic[1], static_cast<float>(1.0 / std::pow(new_base, 2.0 / 128)));
  EXPECT_FLOAT_EQ(dynamic[0], 1.0f);
}

TEST(Safetensors, ReadsValidFileAndIgnoresMetadata) {
  TempDir dir;
  auto p = dir.path() / "w.safetensors";
  ASSERT_EQ(try_open(p, valid_safetensors()), "");
  SafetensorsFile f(p);
  ASSERT_EQ(f.tensors().size(), 2u);
  const TensorView& a = f.tensors().at("a");
  EXPECT_EQ(a.dtype, DType::BF16);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(*a.file, p);
  std::vector<float> out(6);
  a.to_float(out);
  EXPECT_EQ(out[0], -2.5f);
  EXPECT_EQ(out[5], 2.5f);
  std::vector<float> b(2);
  f.tensors().at("b").to_float(b);
  EXPECT_EQ(b[1], -3.0f);
}

TEST(Safetensors, BadFilesGiveErrorsNamingFileAndTensor) {
  TempDir dir;
  auto p = dir.path() / "bad.safetensors";
  auto expect = [&](const std::string& bytes, const std::string& needle) {
    std::string err = try_open(p, bytes);
    EXPECT_NE(err, "") << "expected an error about " << needle;
    EXPECT_NE(err.find(p.string()), std::string::npos) << err;
    EXPECT_NE(err.find(needle), std::string::npos) << err;
  };
  std::string data(16, '\0');
  expect("abc", "shorter than");
  expect(std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}", "100 MB");
  expect(safetensors_bytes("{}", "").substr(0, 8) + "{", "runs past the end");
  expect(safetensors_bytes("{\"a\":", ""), "invalid header JSON");
  expect(safetensors_bytes("[1,2]", ""), "not a JSON object");
  expect(safetensors_bytes(R"({"w":{"dtype":"F8_E5M2","shape":[2],"data_offsets":[0,2]}})", data),
         "tensor w: unsupported dtype");
  expect(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[5],"data_offsets":[0,16]}})", data),
         "tensor w: shape [5]");
  expect(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})", data),
         "outside the data section");
  expect(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", data),
         "outside the data section");
  expect(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", data),
         "non-negative");
  expect(safetensors_bytes(R"({"w":{"dtype":"F32","data_offsets":[0,8]}})", data), "'shape'");
  expect(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2]}})", data), "data_offsets");
  expect(safetensors_bytes(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],)"
                           R"("data_offsets":[0,16]}})",
                           data),
         "does not match");
  expect(safetensors_bytes(R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},)"
                           R"("y":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                           data),
         "overlap");
}

TEST(Safetensors, FuzzedHeadersNeverCrash) {
  TempDir dir;
  auto p = dir.path() / "fuzz.safetensors";
  const std::string valid = valid_safetensors();
  // Every truncation.
  for (size_t n = 0; n < valid.size(); ++n) {
    EXPECT_NE(try_open(p, valid.substr(0, n)), "") << "truncated to " << n;
  }
  std::mt19937_64 rng(1234);
  int accepted = 0;
  for (int round = 0; round < 1500; ++round) {
    std::string bytes = valid;
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % std::min<size_t>(bytes.size(), 8 + 160);  // mostly the header
      switch (rng() % 3) {
        case 0:
          bytes[at] = static_cast<char>(rng());
          break;
        case 1:
          bytes[at] = "0123456789[]{},:\"-"[rng() % 18];
          break;
        default:
          bytes.erase(at, 1);
          break;
      }
    }
    if (try_open(p, bytes).empty()) ++accepted;
  }
  // Fully random files, including huge header lengths.
  for (int round = 0; round < 300; ++round) {
    std::string bytes(rng() % 64, '\0');
    for (auto& ch : bytes) ch = static_cast<char>(rng());
    if (try_open(p, bytes).empty()) ++accepted;
  }
  SUCCEED() << accepted << " mutated files were still valid";
}

TEST(WeightStore, OpensShardsAndSingleFiles) {
  auto qwen2 = WeightStore::open(kModels / "tiny-qwen2");  // 2 shards via the index
  EXPECT_TRUE(qwen2.has("model.embed_tokens.weight"));
  EXPECT_TRUE(qwen2.has("model.layers.1.self_attn.q_proj.bias"));
  EXPECT_NE(qwen2.get("model.embed_tokens.weight").file->filename(),
            qwen2.get("model.norm.weight").file->filename());
  // tiny-llama3 ships model.safetensors beside a stale index: the single file wins.
  auto llama3 = WeightStore::open(kModels / "tiny-llama3");
  EXPECT_TRUE(llama3.has("model.norm.weight"));
  EXPECT_GT(llama3.total_bytes(), 0u);

  try {
    qwen2.get("lm_head.weight");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing tensor lm_head.weight"), std::string::npos);
  }
  try {
    qwen2.get("model.norm.weight", {33});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model-0000"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("expected [33]"), std::string::npos) << e.what();
  }
}

TEST(WeightStore, BrokenIndexAndInMemoryTensors) {
  TempDir dir;
  EXPECT_THROW(WeightStore::open(dir.path()), Error);  // no weights at all
  write_file(dir.path() / "model.safetensors.index.json",
             R"({"weight_map":{"a":"model-1.safetensors"}})");
  try {
    WeightStore::open(dir.path());
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing weight shard model-1.safetensors"),
              std::string::npos)
        << e.what();
  }
  write_file(dir.path() / "model.safetensors.index.json",
             R"({"weight_map":{"a":"../../etc/passwd"}})");
  EXPECT_THROW(WeightStore::open(dir.path()), Error);

  WeightStore store;
  std::vector<std::byte> bytes(8);
  float v[2] = {1, 2};
  std::memcpy(bytes.data(), v, 8);
  store.add_owned("x", DType::F32, {2}, bytes);
  EXPECT_THROW(store.add_owned("x", DType::F32, {2}, bytes), Error);
  EXPECT_THROW(store.add_owned("y", DType::F32, {3}, bytes), Error);
  WeightStore moved = std::move(store);
  std::vector<float> out(2);
  moved.get("x", {2}).to_float(out);
  EXPECT_EQ(out[1], 2.0f);
}
