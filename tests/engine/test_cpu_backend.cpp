// The CPU backend against the golden logits of transformers (float32, eager attention): top-64
// logits and logsumexp at the last prompt position, argmax at every position and 32 greedy
// tokens, for the prompt prefilled whole or in chunks, block sizes 16 and 1, and batched.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>

#include "engine/backend/backend.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/device/backend_factory.h"
#include "engine/model/model_config.h"
#include "engine/model/weights.h"
#include "engine/util/error.h"
#include "tests/fixture_files.h"

namespace fs = std::filesystem;
using namespace pagoda;

namespace {

const fs::path kData = fs::path(PAGODA_TEST_DATA);
constexpr float kLogitTolerance = 1e-4f;

std::vector<int32_t> read_ids(const SafetensorsFile& f, const std::string& name) {
  const TensorView& t = f.tensors().at(name);
  EXPECT_EQ(t.dtype, DType::I64) << name;
  std::vector<int32_t> out(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t v;
    std::memcpy(&v, t.data + 8 * i, 8);
    out[i] = static_cast<int32_t>(v);
  }
  return out;
}

std::vector<float> read_floats(const SafetensorsFile& f, const std::string& name) {
  const TensorView& t = f.tensors().at(name);
  EXPECT_EQ(t.dtype, DType::F32) << name;
  std::vector<float> out(static_cast<size_t>(t.numel()));
  t.to_float(out);
  return out;
}

struct Golden {
  std::vector<int32_t> input_ids, argmax, top_ids, greedy;
  std::vector<float> top_logits;
  float logsumexp = 0;
};

int32_t argmax(std::span<const float> row) {
  return static_cast<int32_t>(std::max_element(row.begin(), row.end()) - row.begin());
}

// A model on the CPU backend with a simple block allocator: each sequence gets shuffled block
// ids so that the paged layout, not contiguity, is what the attention relies on.
class Harness {
 public:
  Harness(const std::string& model, int block_size, int64_t num_blocks, int num_threads = 1)
      : config_(ModelConfig::from_dir(kData / "models" / model)),
        weights_(WeightStore::open(kData / "models" / model)),
        block_size_(block_size) {
    BackendOptions opts;
    opts.num_threads = num_threads;
    backend_ = create_cpu_backend(opts);
    backend_->load(config_, weights_);
    backend_->allocate_kv_cache(num_blocks, block_size);
    free_.resize(num_blocks);
    std::iota(free_.begin(), free_.end(), 0);
    std::shuffle(free_.begin(), free_.end(), std::mt19937(42));
  }

  struct Seq {
    int64_t id;
    std::vector<int32_t> tokens;  // everything fed so far
    std::vector<int32_t> blocks;
    int32_t cached = 0;  // tokens already in the KV cache
  };

  Seq new_seq() { return Seq{next_id_++, {}, {}, 0}; }

  // Appends tokens to seq and returns the chunk computing them.
  SeqChunk chunk(Seq& seq, std::span<const int32_t> tokens, bool sample) {
    seq.tokens.insert(seq.tokens.end(), tokens.begin(), tokens.end());
    while (int64_t(seq.blocks.size()) * block_size_ < int64_t(seq.tokens.size())) {
      if (free_.empty()) throw std::runtime_error("test ran out of KV blocks");
      seq.blocks.push_back(free_.back());
      free_.pop_back();
    }
    SeqChunk c;
    c.seq_id = seq.id;
    c.context_len = seq.cached;
    c.token_ids = std::span<const int32_t>(seq.tokens).subspan(seq.cached, tokens.size());
    c.block_table = seq.blocks;
    c.sample = sample;
    seq.cached = static_cast<int32_t>(seq.tokens.size());
    return c;
  }

  StepOutput run(std::vector<SeqChunk> chunks) {
    StepInput in;
    in.chunks = std::move(chunks);
    in.return_logits = true;
    StepOutput out;
    backend_->execute(in, out);
    return out;
  }

  int vocab() const { return config_.vocab_size; }
  Backend& backend() { return *backend_; }

 private:
  ModelConfig config_;
  WeightStore weights_;
  std::unique_ptr<Backend> backend_;
  int block_size_;
  std::vector<int32_t> free_;
  int64_t next_id_ = 1;
};

void check_last_logits(std::span<const float> logits, const Golden& g, const std::string& what) {
  double max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float v : logits) sum += std::exp(double(v) - max);
  EXPECT_NEAR(max + std::log(sum), g.logsumexp, kLogitTolerance) << what;
  float worst = 0;
  for (size_t k = 0; k < g.top_ids.size(); ++k) {
    worst = std::max(worst, std::fabs(logits[g.top_ids[k]] - g.top_logits[k]));
  }
  EXPECT_LT(worst, kLogitTolerance) << what << ": largest top-64 logit difference";
}

class GoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    golden_file_ = std::make_unique<SafetensorsFile>(kData / "golden" /
                                                     ("model-" + GetParam() + ".safetensors"));
    for (int p = 0; p < 3; ++p) {
      const std::string k = "p" + std::to_string(p) + ".";
      Golden g;
      g.input_ids = read_ids(*golden_file_, k + "input_ids");
      g.argmax = read_ids(*golden_file_, k + "argmax");
      g.top_ids = read_ids(*golden_file_, k + "last_top64_ids");
      g.greedy = read_ids(*golden_file_, k + "greedy");
      g.top_logits = read_floats(*golden_file_, k + "last_top64_logits");
      g.logsumexp = read_floats(*golden_file_, k + "last_logsumexp").at(0);
      ASSERT_EQ(g.argmax.size(), g.input_ids.size());
      ASSERT_EQ(g.top_ids.size(), 64u);
      ASSERT_EQ(g.greedy.size(), 32u);
      goldens_.push_back(std::move(g));
    }
  }

  // Prefills prompt p in chunks of chunk_size (0: whole), checks the last logits, then decodes
  // 32 greedy tokens one step at a time.
  void prefill_and_greedy(int block_size, int chunk_size) {
    Harness h(GetParam(), block_size, 4096 / block_size);
    for (size_t p = 0; p < goldens_.size(); ++p) {
      const Golden& g = goldens_[p];
      const std::string what = GetParam() + " p" + std::to_string(p) + " block " +
                               std::to_string(block_size) + " chunk " + std::to_string(chunk_size);
      auto seq = h.new_seq();
      std::span<const int32_t> prompt(g.input_ids);
      size_t step = chunk_size > 0 ? size_t(chunk_size) : prompt.size();
      StepOutput out;
      for (size_t at = 0; at < prompt.size(); at += step) {
        size_t n = std::min(step, prompt.size() - at);
        bool last = at + n == prompt.size();
        out = h.run({h.chunk(seq, prompt.subspan(at, n), last)});
        ASSERT_EQ(out.sampled.size(), last ? 1u : 0u);
      }
      ASSERT_EQ(out.logits.size(), size_t(h.vocab()));
      check_last_logits(out.logits, g, what);
      std::vector<int32_t> generated;
      for (int i = 0; i < 32; ++i) {
        int32_t next = argmax(out.logits);
        EXPECT_EQ(out.sampled[0].token_id, next) << what << ": greedy sampler disagrees";
        generated.push_back(next);
        if (i + 1 < 32)
          out = h.run({h.chunk(seq, std::span<const int32_t>(&generated.back(), 1), true)});
      }
      EXPECT_EQ(generated, g.greedy) << what;
    }
  }

  std::unique_ptr<SafetensorsFile> golden_file_;
  std::vector<Golden> goldens_;
};

TEST_P(GoldenTest, WholePrefillBlock16) {
  prefill_and_greedy(16, 0);
}
TEST_P(GoldenTest, WholePrefillBlock1) {
  prefill_and_greedy(1, 0);
}
TEST_P(GoldenTest, ChunkedPrefillBlock16) {
  prefill_and_greedy(16, 7);
}
TEST_P(GoldenTest, ChunkedPrefillBlock1) {
  prefill_and_greedy(1, 64);
}

// Argmax at every prompt position: each position a 1-token step of its own.
TEST_P(GoldenTest, ArgmaxAtEveryPosition) {
  for (int block_size : {16, 1}) {
    Harness h(GetParam(), block_size, 4096 / block_size);
    for (size_t p = 0; p < goldens_.size(); ++p) {
      const Golden& g = goldens_[p];
      auto seq = h.new_seq();
      StepOutput out;
      for (size_t i = 0; i < g.input_ids.size(); ++i) {
        out = h.run({h.chunk(seq, std::span<const int32_t>(&g.input_ids[i], 1), true)});
        ASSERT_EQ(out.logits.size(), size_t(h.vocab()));
        EXPECT_EQ(argmax(out.logits), g.argmax[i])
            << GetParam() << " p" << p << " position " << i << " block " << block_size;
      }
      check_last_logits(out.logits, g, GetParam() + " token by token");
    }
  }
}

// All prompts in one step (different lengths and block tables), then batched greedy decoding.
TEST_P(GoldenTest, BatchedSequences) {
  Harness h(GetParam(), 16, 256, /*num_threads=*/3);  // the pool's parallel paths too
  std::vector<Harness::Seq> seqs;
  for (size_t p = 0; p < goldens_.size(); ++p) seqs.push_back(h.new_seq());
  // A non-sampling chunk in the middle: the first half of prompt 2's tokens, prefilled alone.
  const auto& long_prompt = goldens_[2].input_ids;
  size_t split = long_prompt.size() / 2;
  h.run({h.chunk(seqs[2], std::span<const int32_t>(long_prompt).first(split), false)});
  std::vector<SeqChunk> chunks;
  chunks.push_back(h.chunk(seqs[0], goldens_[0].input_ids, true));
  chunks.push_back(h.chunk(seqs[2], std::span<const int32_t>(long_prompt).subspan(split), true));
  chunks.push_back(h.chunk(seqs[1], goldens_[1].input_ids, true));
  const size_t order[] = {0, 2, 1};
  StepOutput out = h.run(chunks);
  ASSERT_EQ(out.sampled.size(), 3u);
  ASSERT_EQ(out.logits.size(), 3u * h.vocab());
  std::vector<std::vector<int32_t>> generated(3);
  for (int step = 0; step < 32; ++step) {
    std::vector<SeqChunk> next;
    for (size_t r = 0; r < 3; ++r) {
      size_t p = order[r];
      std::span<const float> row(out.logits.data() + r * h.vocab(), h.vocab());
      if (step == 0)
        check_last_logits(row, goldens_[p], GetParam() + " batched p" + std::to_string(p));
      generated[p].push_back(argmax(row));
      EXPECT_EQ(out.sampled[r].token_id, generated[p].back());
    }
    if (step + 1 == 32) break;
    for (size_t r = 0; r < 3; ++r) {
      size_t p = order[r];
      next.push_back(h.chunk(seqs[p], std::span<const int32_t>(&generated[p].back(), 1), true));
    }
    out = h.run(next);
  }
  for (size_t p = 0; p < 3; ++p) EXPECT_EQ(generated[p], goldens_[p].greedy) << "batched p" << p;
}

INSTANTIATE_TEST_SUITE_P(Models, GoldenTest,
                         ::testing::ValuesIn(pagoda::testing::kGoldenModels),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(CpuBackend, RejectsBadInputAndReportsItself) {
  Harness h("tiny-mistral", 16, 4);
  EXPECT_EQ(h.backend().name(), "cpu");
  EXPECT_NE(h.backend().device_name().find("threads"), std::string::npos);
  BackendMemory m = h.backend().memory();
  EXPECT_GT(m.total_bytes, 0u);
  EXPECT_GT(m.weights_bytes, 0u);
  auto config = ModelConfig::from_dir(kData / "models" / "tiny-mistral");
  EXPECT_EQ(m.kv_cache_bytes, 4 * 16 * config.kv_bytes_per_token(4));

  std::vector<int32_t> tokens = {1, 2, 3};
  std::vector<int32_t> blocks = {0};
  SeqChunk c;
  c.token_ids = tokens;
  c.block_table = blocks;
  c.sample = true;
  StepOutput out;
  auto expect_invalid = [&](SeqChunk bad) {
    StepInput in;
    in.chunks = {bad};
    EXPECT_THROW(h.backend().execute(in, out), InvalidArgument);
  };
  std::vector<int32_t> bad_tokens = {1, 32000};
  SeqChunk bad = c;
  bad.token_ids = bad_tokens;
  expect_invalid(bad);
  bad = c;
  bad.context_len = 14;  // needs 2 blocks
  expect_invalid(bad);
  std::vector<int32_t> bad_blocks = {4};
  bad = c;
  bad.block_table = bad_blocks;
  expect_invalid(bad);
}

// The two halves of a step: strictly paired, and the mask words written between launch() and
// finish() are the ones sampling obeys (the engine fills masks while the forward pass runs).
TEST(CpuBackend, LaunchFinishPairingAndMasksWrittenAfterLaunch) {
  Harness h("tiny-qwen2", 16, 4);
  Harness::Seq seq = h.new_seq();
  std::vector<int32_t> prompt = {1, 2, 3};
  StepInput in;
  in.chunks = {h.chunk(seq, prompt, true)};
  std::vector<uint32_t> mask((h.vocab() + 31) / 32, 0u);
  in.chunks[0].sampling.allowed_tokens = mask;
  StepOutput out;
  EXPECT_THROW(h.backend().finish(in, out), Error);  // nothing launched
  h.backend().launch(in);
  EXPECT_THROW(h.backend().launch(in), Error);  // launched twice
  StepInput other = in;
  EXPECT_THROW(h.backend().finish(other, out), Error);  // another input (ends the step)
  for (int32_t allowed : {7, 4242}) {
    h.backend().launch(in);
    std::fill(mask.begin(), mask.end(), 0u);
    mask[allowed / 32] |= 1u << (allowed % 32);
    h.backend().finish(in, out);
    ASSERT_EQ(out.sampled.size(), 1u);
    EXPECT_EQ(out.sampled[0].token_id, allowed);
  }
  EXPECT_THROW(h.backend().finish(in, out), Error);  // finished already
}

TEST(CpuBackend, PlansBlocksFromTheBudget) {
  BackendOptions opts;
  opts.num_threads = 1;
  opts.cpu_kv_cache_bytes = 1 << 20;
  auto backend = create_cpu_backend(opts);
  EXPECT_THROW(backend->plan_kv_blocks(16), Error);  // before load
  auto config = ModelConfig::from_dir(kData / "models" / "tiny-qwen3");
  auto weights = WeightStore::open(kData / "models" / "tiny-qwen3");
  backend->load(config, weights);
  EXPECT_EQ(backend->plan_kv_blocks(16),
            int64_t((1 << 20) / (16 * config.kv_bytes_per_token(sizeof(float)))));
  StepInput in;
  StepOutput out;
  EXPECT_THROW(backend->execute(in, out), Error);  // no cache yet
}

TEST(CreateBackend, CpuAndAutoFallback) {
  BackendOptions opts;
  opts.num_threads = 1;
  std::string why;
  auto cpu = create_backend("cpu", opts, &why);
  EXPECT_EQ(cpu->name(), "cpu");
  EXPECT_FALSE(why.empty());
  auto any = create_backend("auto", opts, &why);
  ASSERT_TRUE(any);
  if (any->name() == "cpu") {
    EXPECT_NE(why.find("CPU"), std::string::npos) << why;
    EXPECT_THROW(create_backend("cuda", opts, &why), Error);
  }
  EXPECT_THROW(create_backend("tpu", opts, &why), InvalidArgument);
}

}  // namespace
