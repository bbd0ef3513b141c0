// The benchmark inputs that two languages must agree on: the seeded workload of
// bench_workload.h against serve_bench.py's copy (request by request, id by id), and the random
// checkpoints' config.json (make_random_checkpoint.py, which parses bench_shapes.h) against
// bench_shapes.h's ModelConfig. Runs python3; single-threaded. And engine_workload.h (what
// pagoda-bench --engine runs on the GPU) through demo-chat on the CPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engine/chat/chat_template.h"
#include "engine/core/engine.h"
#include "engine/model/model_config.h"
#include "engine/model/weights.h"
#include "engine/tokenizer/tokenizer.h"
#include "tests/bench/bench_shapes.h"
#include "tests/bench/bench_workload.h"
#include "tests/bench/engine_workload.h"

namespace {

namespace fs = std::filesystem;
using pagoda::bench::WorkloadSpec;

// stdout of a command; fails the test on a non-zero exit.
std::string run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (!p) {
    ADD_FAILURE() << "cannot run " << command;
    return out;
  }
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  EXPECT_EQ(status, 0) << command << "\n" << out;
  return out;
}

std::string source(const std::string& rel) {
  return std::string(PAGODA_SOURCE_DIR) + "/" + rel;
}

// serve_bench.py --print-workload's format: "prompt_len max_new id id ..." per request, then the
// summary line.
std::string cpp_listing(const WorkloadSpec& s) {
  const auto w = pagoda::bench::random_workload(s);
  std::ostringstream os;
  for (const auto& r : w) {
    os << r.prompt.size() << ' ' << r.max_new_tokens;
    for (int32_t t : r.prompt) os << ' ' << t;
    os << '\n';
  }
  os << pagoda::bench::workload_summary(w) << '\n';
  return os.str();
}

std::string python_listing(const WorkloadSpec& s) {
  EXPECT_EQ(s.min_prompt, s.min_output);  // the script's --min-len/--max-len serve both
  EXPECT_EQ(s.max_prompt, s.max_output);
  return run("python3 " + source("tests/bench/serve_bench.py") + " --print-workload --requests " +
             std::to_string(s.requests) + " --min-len " + std::to_string(s.min_prompt) +
             " --max-len " + std::to_string(s.max_prompt) + " --vocab " + std::to_string(s.vocab) +
             " --seed " + std::to_string(s.seed));
}

TEST(BenchWorkload, PythonDrawsTheSameRequests) {
  const WorkloadSpec specs[] = {
      {.requests = 256, .vocab = 151665, .seed = 0},  // the benchmark's own
      {.requests = 8,
       .min_prompt = 10,
       .max_prompt = 40,
       .min_output = 10,
       .max_output = 40,
       .vocab = 8192,
       .seed = 3},
      {.requests = 5,
       .min_prompt = 1,
       .max_prompt = 1,
       .min_output = 1,
       .max_output = 1,
       .vocab = 2,
       .seed = 18446744073709551615ull},
  };
  for (const WorkloadSpec& s : specs) {
    const std::string cpp = cpp_listing(s), py = python_listing(s);
    ASSERT_FALSE(cpp.empty());
    EXPECT_EQ(cpp, py) << "seed " << s.seed;
  }
}

TEST(BenchWorkload, LengthsAndIdsAreUniformInTheirRanges) {
  const WorkloadSpec s{.requests = 4000,
                       .min_prompt = 3,
                       .max_prompt = 6,
                       .min_output = 100,
                       .max_output = 1024,
                       .vocab = 7,
                       .seed = 11};
  const auto w = pagoda::bench::random_workload(s);
  std::map<size_t, int> prompt_lens;
  std::map<int32_t, int> ids;
  double out_sum = 0;
  int out_lo = 1 << 30, out_hi = 0;
  for (const auto& r : w) {
    ++prompt_lens[r.prompt.size()];
    for (int32_t t : r.prompt) ++ids[t];
    out_sum += r.max_new_tokens;
    out_lo = std::min(out_lo, r.max_new_tokens), out_hi = std::max(out_hi, r.max_new_tokens);
  }
  ASSERT_EQ(prompt_lens.size(), 4u);  // 3..6, each about 1000 times
  EXPECT_EQ(prompt_lens.begin()->first, 3u);
  EXPECT_EQ(prompt_lens.rbegin()->first, 6u);
  for (const auto& [len, count] : prompt_lens) EXPECT_NEAR(count, 1000, 150) << len;
  ASSERT_EQ(ids.size(), 7u);
  EXPECT_EQ(ids.begin()->first, 0);
  EXPECT_EQ(ids.rbegin()->first, 6);
  EXPECT_GE(out_lo, 100);
  EXPECT_LE(out_hi, 1024);
  EXPECT_NEAR(out_sum / w.size(), 562, 20);
  // Another seed, other requests; the same seed, the same ones.
  WorkloadSpec other = s;
  other.seed = 12;
  EXPECT_NE(pagoda::bench::workload_fingerprint(w),
            pagoda::bench::workload_fingerprint(pagoda::bench::random_workload(other)));
  EXPECT_EQ(pagoda::bench::workload_fingerprint(w),
            pagoda::bench::workload_fingerprint(pagoda::bench::random_workload(s)));
}

TEST(EngineWorkload, EveryRequestRunsToItsLengthAndIsTimed) {
  pagoda::EngineConfig c;
  c.model_dir = std::string(PAGODA_TEST_DATA) + "/models/demo-chat";
  c.device = "cpu";
  c.num_threads = 2;
  c.cpu_kv_cache_bytes = 64ull << 20;
  auto engine = pagoda::Engine::load(c);
  const WorkloadSpec s{.requests = 6,
                       .min_prompt = 4,
                       .max_prompt = 30,
                       .min_output = 3,
                       .max_output = 24,
                       .vocab = engine->tokenizer().vocab_size(),
                       .seed = 5};
  const auto work = pagoda::bench::random_workload(s);
  std::vector<pagoda::bench::EngineTrace> traces;
  const double wall = pagoda::bench::run_engine(*engine, work, traces);
  ASSERT_EQ(traces.size(), work.size());
  long long want_tokens = 0;
  for (size_t i = 0; i < work.size(); ++i) {
    SCOPED_TRACE(i);
    want_tokens += work[i].max_new_tokens;
    EXPECT_EQ(traces[i].finish, pagoda::FinishReason::Length);
    EXPECT_EQ(traces[i].completion_tokens, work[i].max_new_tokens);
    // One output per decoded token on this engine, in time order, within the run.
    ASSERT_EQ(traces[i].token_times.size(), static_cast<size_t>(work[i].max_new_tokens));
    EXPECT_TRUE(std::is_sorted(traces[i].token_times.begin(), traces[i].token_times.end()));
    EXPECT_GT(traces[i].token_times.front(), 0);
    EXPECT_LE(traces[i].token_times.back(), wall);
  }
  const auto r = pagoda::bench::summarize(work, traces);
  EXPECT_EQ(r.errors, 0);
  EXPECT_EQ(r.tokens, want_tokens);
  EXPECT_GT(r.ttft_p50, 0);
  EXPECT_LE(r.ttft_p50, r.ttft_p99);
  EXPECT_GT(r.itl_p50, 0);
  EXPECT_LE(r.itl_p50, r.itl_p99);
  // A request cut short counts as failed.
  traces[2].completion_tokens -= 1;
  traces[4].finish = pagoda::FinishReason::Stop;
  const auto bad = pagoda::bench::summarize(work, traces);
  EXPECT_EQ(bad.errors, 2);
  EXPECT_EQ(bad.failures.size(), 2u);
}

// The script's tensor list for a fixture's config.json is the fixture's (written by
// transformers): biases (Qwen2), q/k norms (Qwen3), tied and untied (tiny-yi-spm) heads.
TEST(RandomCheckpoint, TensorsAreNamedAndShapedAsTransformersWritesThem) {
  for (const char* fixture : {"tiny-qwen2", "tiny-qwen3", "tiny-llama3", "tiny-yi-spm"}) {
    SCOPED_TRACE(fixture);
    const std::string dir = std::string(PAGODA_TEST_DATA) + "/models/" + fixture;
    std::istringstream listed(
        run("python3 " + source("tests/gpu/make_random_checkpoint.py") + " tensors " + dir));
    std::map<std::string, std::vector<int64_t>> script;
    std::string line;
    while (std::getline(listed, line)) {
      std::istringstream fields(line);
      std::string name;
      fields >> name;
      int64_t d;
      while (fields >> d) script[name].push_back(d);
    }
    const auto store = pagoda::WeightStore::open(dir);
    std::map<std::string, std::vector<int64_t>> real;
    for (const std::string& name : store.names()) real[name] = store.get(name).shape;
    EXPECT_EQ(script, real);
  }
}

TEST(RandomCheckpoint, ConfigLoadsBackAsTheBenchShape) {
  const std::string script = source("tests/gpu/make_random_checkpoint.py");
  std::string expected_list;
  for (const std::string& n : pagoda::bench::model_shape_names()) expected_list += n + "\n";
  EXPECT_EQ(run("python3 " + script + " list"), expected_list);

  const fs::path tmp =
      fs::temp_directory_path() / ("pagoda-random-ckpt-" + std::to_string(getpid()));
  for (const std::string& name : pagoda::bench::model_shape_names()) {
    SCOPED_TRACE(name);
    const fs::path dir = tmp / name;
    const std::string said =
        run("python3 " + script + " " + name + " " + dir.string() + " --config-only");
    const pagoda::ModelConfig want = pagoda::bench::model_shape(name);
    const pagoda::ModelConfig got = pagoda::ModelConfig::from_dir(dir);
    EXPECT_EQ(got.architecture, want.architecture);
    EXPECT_EQ(got.model_type, want.model_type);
    EXPECT_EQ(got.vocab_size, want.vocab_size);
    EXPECT_EQ(got.hidden_size, want.hidden_size);
    EXPECT_EQ(got.intermediate_size, want.intermediate_size);
    EXPECT_EQ(got.num_layers, want.num_layers);
    EXPECT_EQ(got.num_heads, want.num_heads);
    EXPECT_EQ(got.num_kv_heads, want.num_kv_heads);
    EXPECT_EQ(got.head_dim, want.head_dim);
    EXPECT_EQ(got.max_position_embeddings, want.max_position_embeddings);
    EXPECT_DOUBLE_EQ(got.rms_norm_eps, want.rms_norm_eps);
    EXPECT_EQ(got.tie_word_embeddings, want.tie_word_embeddings);
    EXPECT_EQ(got.attention_bias, want.attention_bias);
    EXPECT_EQ(got.qk_norm, want.qk_norm);
    EXPECT_EQ(got.dtype, pagoda::DType::BF16);
    EXPECT_DOUBLE_EQ(got.rope.theta, want.rope.theta);
    EXPECT_EQ(got.rope.type, want.rope.type);
    EXPECT_DOUBLE_EQ(got.rope.factor, want.rope.factor);
    EXPECT_DOUBLE_EQ(got.rope.low_freq_factor, want.rope.low_freq_factor);
    EXPECT_DOUBLE_EQ(got.rope.high_freq_factor, want.rope.high_freq_factor);
    EXPECT_EQ(got.rope.original_max_position_embeddings,
              want.rope.original_max_position_embeddings);
    EXPECT_FALSE(got.eos_token_ids.empty());
    // The script's tensor list (which the weights follow) has the shape's parameter count.
    EXPECT_NE(said.find(" " + std::to_string(want.num_parameters()) + " parameters"),
              std::string::npos)
        << said;
    // A tokenizer with a chat template that fits the vocabulary.
    auto tok = pagoda::Tokenizer::from_dir(dir);
    EXPECT_GT(tok->vocab_size(), 1000);
    EXPECT_LE(tok->vocab_size(), want.vocab_size);
    for (int32_t id : got.eos_token_ids) EXPECT_LT(id, tok->vocab_size());
    EXPECT_FALSE(pagoda::ChatTemplate::from_dir(dir).source().empty());
  }
  fs::remove_all(tmp);
}

}  // namespace
