// The whole engine on the CPU backend against the golden references of the fixture models:
// greedy tokens single and batched, chunked prefill, block sizes 16 and 1, warm and cold prefix
// cache, preemption, seeded n>1, stop strings, aborts, and demo-chat's answers.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include "tests/engine/engine_test_util.h"
#include "engine/core/engine.h"
#include "engine/util/error.h"
#include "engine/util/json.h"

namespace pagoda {
namespace {

const std::string kData = PAGODA_TEST_DATA;
const std::vector<std::string> kModels = {"tiny-qwen2", "tiny-qwen3", "tiny-llama3", "tiny-mistral",
                                          "tiny-yi-spm"};

struct Golden {
  std::vector<int32_t> input_ids, greedy, top8_ids;
  std::vector<float> top8_logits;
  double logsumexp = 0;
};

std::vector<Golden> read_golden(const std::string& model) {
  Json j = read_json_file(kData + "/golden/model-" + model + ".json");
  std::vector<Golden> out;
  for (const auto& p : j.at("prompts"))
    out.push_back(
        {p.at("input_ids").get<std::vector<int32_t>>(), p.at("greedy").get<std::vector<int32_t>>(),
         p.at("last_top8_ids").get<std::vector<int32_t>>(),
         p.at("last_top8_logits").get<std::vector<float>>(), p.at("last_logsumexp").get<double>()});
  return out;
}

EngineConfig test_config(const std::string& model) {
  EngineConfig c;
  c.model_dir = kData + "/models/" + model;
  c.device = "cpu";
  c.num_threads = 2;
  c.cpu_kv_cache_bytes = 64ull << 20;
  c.start_thread = false;
  return c;
}

SamplingParams greedy(int max_tokens) { return pagoda::testing::greedy_params(max_tokens); }

// Collects every output of every request; the caller drives step().
struct Collector {
  std::map<std::pair<std::string, int>, std::vector<int32_t>> ids;
  std::map<std::pair<std::string, int>, std::string> text;
  std::map<std::pair<std::string, int>, RequestOutput> last;
  OutputCallback callback() {
    return [this](const RequestOutput& o) {
      auto key = std::make_pair(o.request_id, o.index);
      ids[key].insert(ids[key].end(), o.token_ids.begin(), o.token_ids.end());
      text[key] += o.text_delta;
      last[key] = o;
    };
  }
  const std::vector<int32_t>& of(const std::string& id, int index = 0) { return ids[{id, index}]; }
  const std::string& text_of(const std::string& id, int index = 0) { return text[{id, index}]; }
  const RequestOutput& last_of(const std::string& id, int index = 0) { return last[{id, index}]; }
};

void run_until_done(Engine& engine) {
  for (int i = 0; i < 100000 && engine.has_unfinished(); ++i) engine.step();
  ASSERT_FALSE(engine.has_unfinished());
}

// Adds every golden prompt of a model (copies times), runs, and checks the greedy tokens.
void expect_golden(EngineConfig config, const std::string& model, int copies = 1,
                   int64_t* preemptions = nullptr) {
  auto engine = Engine::load(config);
  auto golden = read_golden(model);
  Collector c;
  for (int k = 0; k < copies; ++k)
    for (size_t i = 0; i < golden.size(); ++i)
      engine->add_request("p" + std::to_string(i) + "-" + std::to_string(k), golden[i].input_ids,
                          greedy(32), c.callback());
  run_until_done(*engine);
  for (int k = 0; k < copies; ++k)
    for (size_t i = 0; i < golden.size(); ++i)
      EXPECT_EQ(c.of("p" + std::to_string(i) + "-" + std::to_string(k)), golden[i].greedy)
          << model << " prompt " << i << " copy " << k;
  auto stats = engine->stats();
  EXPECT_EQ(stats.kv_blocks_used, 0) << "blocks leaked";
  EXPECT_EQ(stats.num_running + stats.num_waiting, 0);
  if (preemptions) *preemptions = stats.num_preemptions;
}

TEST(Engine, GreedyMatchesGoldenOneAtATime) {
  for (const auto& model : kModels) {
    auto engine = Engine::load(test_config(model));
    for (const auto& g : read_golden(model)) {
      Collector c;
      engine->add_request("r", g.input_ids, greedy(32), c.callback());
      run_until_done(*engine);
      EXPECT_EQ(c.of("r"), g.greedy) << model;
      EXPECT_EQ(c.last_of("r", 0).finish, FinishReason::Length);
    }
  }
}

TEST(Engine, GreedyMatchesGoldenBatchedChunkedBlockSize1) {
  for (const auto& model : kModels) {
    auto config = test_config(model);
    config.max_num_batched_tokens = 16;  // forces chunked prefill of every prompt
    config.block_size = 1;
    expect_golden(config, model, 2);
  }
}

TEST(Engine, GreedyMatchesGoldenUnderPreemption) {
  for (const std::string model : {"tiny-qwen2", "tiny-llama3"}) {
    auto config = test_config(model);
    // The 300-token prompt plus 32 outputs needs 21 blocks of 16: leave room for little else.
    config.num_kv_blocks_override = 24;
    int64_t preemptions = 0;
    expect_golden(config, model, 2, &preemptions);
    EXPECT_GT(preemptions, 0) << model;
  }
}

TEST(Engine, PrefixCacheWarmAndCold) {
  const std::string model = "tiny-qwen3";
  auto golden = read_golden(model);
  const auto& g = golden[2];  // the long prompt
  for (bool caching : {true, false}) {
    auto config = test_config(model);
    config.enable_prefix_caching = caching;
    auto engine = Engine::load(config);
    Collector c;
    engine->add_request("first", g.input_ids, greedy(32), c.callback());
    run_until_done(*engine);
    engine->add_request("second", g.input_ids, greedy(32), c.callback());
    run_until_done(*engine);
    EXPECT_EQ(c.of("first"), g.greedy);
    EXPECT_EQ(c.of("second"), g.greedy);
    EXPECT_EQ(c.last_of("first", 0).cached_prompt_tokens, 0);
    const int expected = caching ? static_cast<int>((g.input_ids.size() - 1) / 16 * 16) : 0;
    EXPECT_EQ(c.last_of("second", 0).cached_prompt_tokens, expected);
    EXPECT_EQ(engine->stats().prefix_cache_hits, expected);
  }
}

TEST(Engine, PromptLogitsMatchGolden) {
  for (const auto& model : kModels) {
    auto engine = Engine::load(test_config(model));
    for (const auto& g : read_golden(model)) {
      auto logits = engine->prompt_logits(g.input_ids);
      ASSERT_EQ(logits.size(), static_cast<size_t>(engine->model_config().vocab_size));
      for (size_t i = 0; i < g.top8_ids.size(); ++i)
        EXPECT_NEAR(logits[g.top8_ids[i]], g.top8_logits[i], 2e-3) << model;
    }
  }
}

TEST(Engine, SeededSamplesAreReproducibleAndDiffer) {
  auto golden = read_golden("tiny-qwen2");
  SamplingParams p;
  p.n = 3;
  p.seed = 1234;
  p.temperature = 1.0f;
  p.max_tokens = 16;
  p.ignore_eos = true;
  std::vector<std::vector<int32_t>> runs[2];
  for (int run = 0; run < 2; ++run) {
    auto engine = Engine::load(test_config("tiny-qwen2"));
    Collector c;
    engine->add_request("n3", golden[2].input_ids, p, c.callback());
    run_until_done(*engine);
    for (int i = 0; i < 3; ++i) runs[run].push_back(c.of("n3", i));
    // Siblings share the prompt through the prefix cache.
    EXPECT_GT(c.last_of("n3", 1).cached_prompt_tokens, 0);
  }
  EXPECT_EQ(runs[0], runs[1]);
  std::set<std::vector<int32_t>> distinct(runs[0].begin(), runs[0].end());
  EXPECT_EQ(distinct.size(), 3u);
  for (const auto& r : runs[0]) EXPECT_EQ(r.size(), 16u);
}

TEST(Engine, RejectsBadRequests) {
  auto engine = Engine::load(test_config("tiny-qwen2"));
  Collector c;
  EXPECT_THROW(engine->add_request("e", {}, greedy(4), c.callback()), InvalidArgument);
  std::vector<int32_t> too_long(engine->max_model_len(), 1);
  EXPECT_THROW(engine->add_request("l", too_long, greedy(4), c.callback()), InvalidArgument);
  EXPECT_THROW(engine->add_request("v", {-1}, greedy(4), c.callback()), InvalidArgument);
  engine->add_request("dup", {1, 2}, greedy(4), c.callback());
  EXPECT_THROW(engine->add_request("dup", {1, 2}, greedy(4), c.callback()), InvalidArgument);
  run_until_done(*engine);
}

TEST(Engine, AbortWaitingAndRunning) {
  auto engine = Engine::load(test_config("tiny-llama3"));
  auto golden = read_golden("tiny-llama3");
  Collector c;
  engine->add_request("running", golden[0].input_ids, greedy(1000), c.callback());
  engine->step();
  engine->step();
  engine->add_request("waiting", golden[1].input_ids, greedy(1000), c.callback());
  engine->abort("running");
  engine->abort("waiting");
  engine->abort("unknown");
  run_until_done(*engine);
  EXPECT_EQ(c.last_of("running", 0).finish, FinishReason::Abort);
  EXPECT_EQ(c.last_of("waiting", 0).finish, FinishReason::Abort);
  EXPECT_GE(c.of("running").size(), 1u);
  EXPECT_EQ(engine->stats().kv_blocks_used, 0);
}

std::vector<Json> read_chat_demo() {
  std::ifstream in(kData + "/golden/chat-demo.jsonl");
  std::vector<Json> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(Json::parse(line));
  return lines;
}

TEST(Engine, DemoChatAnswersLikeTheReference) {
  auto engine = Engine::load(test_config("demo-chat"));
  auto convs = read_chat_demo();
  ASSERT_EQ(convs.size(), 41u);
  Collector c;
  int template_matches = 0;
  for (size_t i = 0; i < convs.size(); ++i) {
    auto prompt = convs[i].at("prompt_ids").get<std::vector<int32_t>>();
    ChatTemplateInputs inputs;
    inputs.messages = OrderedJson::parse(convs[i].at("messages").dump());
    if (engine->tokenizer().encode(engine->chat_template().render(inputs)) == prompt)
      ++template_matches;
    SamplingParams p = greedy(64);
    p.ignore_eos = false;
    engine->add_request(std::to_string(i), prompt, p, c.callback());
  }
  run_until_done(*engine);
  int matches = 0, text_matches = 0;
  for (size_t i = 0; i < convs.size(); ++i) {
    auto expected = convs[i].at("output_ids").get<std::vector<int32_t>>();
    if (c.of(std::to_string(i)) == expected) ++matches;
    if (c.text_of(std::to_string(i), 0) == convs[i].at("text").get<std::string>()) ++text_matches;
  }
  std::cout << "demo-chat: " << matches << " of " << convs.size() << " outputs match ("
            << text_matches << " texts, " << template_matches << " prompts rendered alike)\n";
  EXPECT_EQ(c.text_of("0", 0), "The capital of China is Beijing.");
  EXPECT_EQ(c.last_of("0", 0).finish, FinishReason::Stop);
  EXPECT_GE(matches, 39);
  EXPECT_EQ(template_matches, 41);
}

TEST(Engine, StopStringsAreNotEmitted) {
  auto engine = Engine::load(test_config("demo-chat"));
  auto prompt = read_chat_demo()[0].at("prompt_ids").get<std::vector<int32_t>>();
  Collector c;
  SamplingParams p = greedy(64);
  p.stop = {"Beij"};  // ends inside a token: matched across the token boundary
  engine->add_request("stop", prompt, p, c.callback());
  p.stop = {"Beij", "China is"};
  p.include_stop_str_in_output = true;
  p.logprobs = 2;
  engine->add_request("include", prompt, p, c.callback());
  run_until_done(*engine);
  EXPECT_EQ(c.text_of("stop", 0), "The capital of China is ");
  EXPECT_EQ(c.last_of("stop", 0).stop_reason, "Beij");
  EXPECT_EQ(c.last_of("stop", 0).finish, FinishReason::Stop);
  EXPECT_EQ(c.text_of("include", 0), "The capital of China is");
  EXPECT_EQ(c.last_of("include", 0).stop_reason, "China is");
  ASSERT_EQ(c.last_of("include", 0).logprobs.size(), 1u);
  EXPECT_EQ(c.last_of("include", 0).logprobs[0].top.size(), 2u);
}

TEST(Engine, MinTokensAndTheContextLimit) {
  auto config = test_config("demo-chat");
  config.num_kv_blocks_override = 8;  // 128 tokens of context
  auto engine = Engine::load(config);
  EXPECT_EQ(engine->max_model_len(), 128);
  auto prompt = read_chat_demo()[0].at("prompt_ids").get<std::vector<int32_t>>();
  Collector c;
  SamplingParams p = greedy(-1);  // up to the context limit
  engine->add_request("limit", prompt, p, c.callback());
  p.ignore_eos = false;
  p.min_tokens = 20;  // the answer alone is 10 tokens: EOS must wait
  p.max_tokens = 40;
  engine->add_request("min", prompt, p, c.callback());
  run_until_done(*engine);
  EXPECT_EQ(c.of("limit").size(), 128 - prompt.size());
  EXPECT_EQ(c.last_of("limit").finish, FinishReason::Length);
  const auto& min_ids = c.of("min");
  ASSERT_GE(min_ids.size(), 20u);
  const auto& eos = engine->tokenizer().stop_ids();
  for (size_t i = 0; i < 20; ++i)
    EXPECT_EQ(std::count(eos.begin(), eos.end(), min_ids[i]), 0) << "EOS before min_tokens";
}

TEST(Engine, BackgroundThreadServesRequests) {
  auto config = test_config("tiny-mistral");
  config.start_thread = true;
  auto golden = read_golden("tiny-mistral");
  auto engine = Engine::load(config);
  std::mutex m;
  std::condition_variable cv;
  std::vector<int32_t> got;
  bool done = false;
  engine->add_request("t", golden[1].input_ids, greedy(32), [&](const RequestOutput& o) {
    std::lock_guard lock(m);
    got.insert(got.end(), o.token_ids.begin(), o.token_ids.end());
    if (o.finish != FinishReason::None) {
      done = true;
      cv.notify_all();
    }
  });
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return done; }));
  }
  EXPECT_EQ(got, golden[1].greedy);
  EXPECT_FALSE(engine->step());  // the thread drives itself
  auto stats = engine->stats();
  EXPECT_EQ(stats.backend, "cpu");
  EXPECT_EQ(stats.generation_tokens_total, 32);
  EXPECT_GT(stats.generation_tokens_per_s, 0);
  // An unfinished request is aborted by the destructor.
  bool aborted = false;
  engine->add_request("late", golden[2].input_ids, greedy(100000 / 2), [&](const RequestOutput& o) {
    if (o.finish == FinishReason::Abort) aborted = true;
  });
  engine.reset();
  EXPECT_TRUE(aborted);
}

}  // namespace
}  // namespace pagoda
