// The engine's pipelined step loop against a strict fake backend that logs every call:
// launch() then finish() strictly paired, grammar masks written after launch() and before
// finish(), the previous step's outputs delivered while the next step's forward pass runs (after
// its launch(), before its finish()), every sampled token delivered exactly once and in order
// with the finish reason on the last output, aborts between steps, a backend that fails in
// finish(), and no output left undelivered once the engine has nothing more to do.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>

#include "tests/engine/engine_test_util.h"
#include "engine/backend/step_check.h"
#include "engine/core/llm_engine.h"
#include "engine/grammar/grammar.h"
#include "engine/grammar/token_vocabulary.h"
#include "engine/util/error.h"

namespace pagoda {
namespace {

const std::string kModel = std::string(PAGODA_TEST_DATA) + "/models/tiny-qwen2";

// One entry of the shared log: a backend call or an output callback.
struct Event {
  enum Kind { Launch, Finish, Output } kind;
  int step = 0;            // Launch / Finish: the step number
  std::string request;     // Output
  size_t tokens_before = 0;  // Output: tokens the request had received before this output
  size_t num_tokens = 0;
  FinishReason finish = FinishReason::None;
};

// What the fake saw of one sampled row.
struct RowRecord {
  int step = 0;
  int32_t token = -1;
  std::vector<uint32_t> mask_at_launch, mask_at_finish;  // empty: unconstrained
};

// As strict as a real backend: check_step on every launch, launch/finish paired on the same
// input, the chunks' tokens unchanged between the two. Samples deterministically, inside the
// row's mask when it has one.
class StrictFakeBackend final : public Backend {
 public:
  explicit StrictFakeBackend(std::vector<Event>& log) : log_(log) {}
  std::string name() const override { return "fake"; }
  std::string device_name() const override { return "strict fake"; }
  void load(const ModelConfig& config, const WeightStore&) override { vocab_ = config.vocab_size; }
  int64_t plan_kv_blocks(int) override { return 256; }
  void allocate_kv_cache(int64_t num_blocks, int block_size) override {
    num_blocks_ = num_blocks;
    block_size_ = block_size;
  }
  BackendMemory memory() const override { return {}; }

  void launch(const StepInput& input) override {
    in_flight_.check_idle("fake");
    check_step(input, {vocab_, num_blocks_, block_size_}, "fake");
    ++step_;
    tokens_at_launch_.clear();
    masks_at_launch_.clear();
    for (const SeqChunk& c : input.chunks) {
      tokens_at_launch_.emplace_back(c.token_ids.begin(), c.token_ids.end());
      masks_at_launch_.emplace_back(c.sampling.allowed_tokens.begin(),
                                    c.sampling.allowed_tokens.end());
      if (c.context_len == 0) first_prompt_token_[c.seq_id] = c.token_ids[0];
    }
    log_.push_back({.kind = Event::Launch, .step = step_, .request = {}});
    in_flight_.launched(input);
  }

  void finish(const StepInput& input, StepOutput& output) override {
    in_flight_.finish(input, "fake");
    log_.push_back({.kind = Event::Finish, .step = step_, .request = {}});
    if (fail_finish_at_step == step_) throw Error("injected device failure");
    output.sampled.clear();
    output.logits.clear();
    for (size_t i = 0; i < input.chunks.size(); ++i) {
      const SeqChunk& c = input.chunks[i];
      if (!std::equal(c.token_ids.begin(), c.token_ids.end(), tokens_at_launch_[i].begin(),
                      tokens_at_launch_[i].end()))
        throw Error("fake: the chunk's tokens changed between launch() and finish()");
      if (c.sampling.allowed_tokens.size() != masks_at_launch_[i].size())
        throw Error("fake: the mask changed size between launch() and finish()");
      if (!c.sample) continue;
      RowRecord r;
      r.step = step_;
      r.mask_at_launch = masks_at_launch_[i];
      r.mask_at_finish.assign(c.sampling.allowed_tokens.begin(), c.sampling.allowed_tokens.end());
      r.token = pick(c, rows_[c.seq_id].size());
      rows_[c.seq_id].push_back(r);
      output.sampled.push_back({r.token, -1.0f, {}});
    }
  }

  // Rows of the sequence whose prompt starts with first_token, in sampling order.
  const std::vector<RowRecord>& rows_of(int32_t first_token) const {
    for (const auto& [seq, token] : first_prompt_token_)
      if (token == first_token) return rows_.at(seq);
    throw std::logic_error("no sequence with that prompt");
  }
  StepInFlight& pairing() { return in_flight_; }
  int fail_finish_at_step = -1;

 private:
  int32_t pick(const SeqChunk& c, size_t index) const {
    const uint64_t h = static_cast<uint64_t>(c.seq_id) * 7919 + index * 104729 + 17;
    if (c.sampling.allowed_tokens.empty()) return static_cast<int32_t>(200 + h % 500);
    std::vector<int32_t> allowed;
    for (int32_t id = 0; id < vocab_; ++id)
      if (token_allowed(c.sampling.allowed_tokens, id)) allowed.push_back(id);
    if (allowed.empty()) throw Error("fake: a constrained row allows nothing");
    return allowed[h % allowed.size()];
  }

  std::vector<Event>& log_;
  int32_t vocab_ = 0;
  int64_t num_blocks_ = 0;
  int block_size_ = 0;
  int step_ = 0;
  StepInFlight in_flight_;
  std::vector<std::vector<int32_t>> tokens_at_launch_;
  std::vector<std::vector<uint32_t>> masks_at_launch_;
  std::map<int64_t, int32_t> first_prompt_token_;
  std::map<int64_t, std::vector<RowRecord>> rows_;
};

struct Harness {
  std::vector<Event> log;
  StrictFakeBackend* fake = nullptr;
  std::unique_ptr<LlmEngine> engine;
  std::map<std::string, std::vector<int32_t>> tokens;
  std::map<std::string, std::string> text;
  std::map<std::string, RequestOutput> final_output;
  std::map<std::string, int> outputs_after_final;

  Harness() {
    EngineConfig config;
    config.model_dir = kModel;
    config.start_thread = false;
    LlmEngine::Parts parts{.config = config,
                           .model = ModelConfig::from_dir(kModel),
                           .defaults = {},
                           .weights = {},
                           .tokenizer = Tokenizer::from_dir(kModel),
                           .chat_template = ChatTemplate::from_dir(kModel),
                           .backend = nullptr,
                           .backend_note = {}};
    auto backend = std::make_unique<StrictFakeBackend>(log);
    fake = backend.get();
    backend->load(parts.model, parts.weights);
    parts.num_kv_blocks = backend->plan_kv_blocks(config.block_size);
    backend->allocate_kv_cache(parts.num_kv_blocks, config.block_size);
    parts.backend = std::move(backend);
    parts.max_model_len = 1024;
    engine = std::make_unique<LlmEngine>(std::move(parts));
  }

  void add(const std::string& id, int32_t first_token, SamplingParams p) {
    engine->add_request(id, {first_token, 11, 12, 13}, p, [this, id](const RequestOutput& o) {
      EXPECT_EQ(o.request_id, id);
      if (final_output.count(id)) ++outputs_after_final[id];
      log.push_back({Event::Output, 0, id, tokens[id].size(), o.token_ids.size(), o.finish});
      tokens[id].insert(tokens[id].end(), o.token_ids.begin(), o.token_ids.end());
      text[id] += o.text_delta;
      if (o.finish != FinishReason::None) final_output[id] = o;
    });
  }

  void run_until_done() {
    for (int i = 0; i < 10000 && engine->has_unfinished(); ++i) engine->step();
    ASSERT_FALSE(engine->has_unfinished());
  }

  size_t position(Event::Kind kind, int step) const {
    for (size_t i = 0; i < log.size(); ++i)
      if (log[i].kind == kind && log[i].step == step) return i;
    return SIZE_MAX;
  }
  int num_steps() const {
    return static_cast<int>(std::count_if(log.begin(), log.end(),
                                          [](const Event& e) { return e.kind == Event::Launch; }));
  }

  // Every sampled token reached the callback once, in order; one final output, last.
  void expect_delivered_once(const std::string& id, int32_t first_token) const {
    const auto& rows = fake->rows_of(first_token);
    std::vector<int32_t> sampled;
    for (const auto& r : rows) sampled.push_back(r.token);
    EXPECT_EQ(tokens.at(id), sampled) << id;
    ASSERT_TRUE(final_output.count(id)) << id << " never finished";
    EXPECT_EQ(outputs_after_final.count(id), 0u) << id << ": outputs after the final one";
  }

  // Each output with tokens went out after the launch() of the step after the one that sampled
  // them and before that step's finish(); or, when no step followed, right after its own.
  void expect_outputs_overlap_next_step(const std::string& id, int32_t first_token) const {
    const auto& rows = fake->rows_of(first_token);
    const int last_step = num_steps();
    for (size_t i = 0; i < log.size(); ++i) {
      const Event& e = log[i];
      if (e.kind != Event::Output || e.request != id || e.num_tokens == 0) continue;
      ASSERT_EQ(e.num_tokens, 1u);
      const int sampled_at = rows.at(e.tokens_before).step;
      EXPECT_GT(i, position(Event::Finish, sampled_at));
      if (sampled_at < last_step) {
        EXPECT_GT(i, position(Event::Launch, sampled_at + 1)) << id << " step " << sampled_at;
        EXPECT_LT(i, position(Event::Finish, sampled_at + 1)) << id << " step " << sampled_at;
      }
    }
  }
};

SamplingParams free_params(int max_tokens) { return pagoda::testing::greedy_params(max_tokens); }

SamplingParams regex_params(const std::string& pattern) {
  SamplingParams p;
  p.max_tokens = 64;
  p.structured_output = StructuredOutput{StructuredOutput::Kind::regex, pattern, {}};
  return p;
}

TEST(EnginePipeline, FakeBackendIsStrict) {
  std::vector<Event> log;
  StrictFakeBackend fake(log);
  ModelConfig config = ModelConfig::from_dir(kModel);
  fake.load(config, {});
  fake.allocate_kv_cache(4, 16);
  std::vector<int32_t> ids = {1, 2}, table = {0};
  StepInput in, other;
  in.chunks.push_back(
      {.seq_id = 0, .token_ids = ids, .block_table = table, .sample = true, .sampling = {}});
  other = in;
  StepOutput out;
  EXPECT_THROW(fake.finish(in, out), Error);  // nothing launched
  fake.launch(in);
  EXPECT_THROW(fake.launch(in), Error);        // launched twice
  EXPECT_THROW(fake.finish(other, out), Error);  // another input; ends the step
  fake.launch(in);
  fake.finish(in, out);
  EXPECT_EQ(out.sampled.size(), 1u);
  EXPECT_THROW(fake.finish(in, out), Error);  // finished twice
  fake.execute(in, out);                      // launch + finish
  EXPECT_EQ(out.sampled.size(), 1u);
}

TEST(EnginePipeline, OverlapsHostWorkWithTheForwardPass) {
  Harness h;
  const std::vector<std::string> literals = {"pagoda-42!", "Beijing;"};
  h.add("free", 1000, free_params(12));
  h.add("lit0", 1001, regex_params(literals[0]));
  h.add("lit1", 1002, regex_params(literals[1]));
  h.add("long", 1003, free_params(500));
  for (int i = 0; i < 5; ++i) h.engine->step();
  h.engine->abort("long");  // between steps, with its last token not delivered yet
  h.run_until_done();

  for (const auto& [id, first] :
       std::vector<std::pair<std::string, int32_t>>{{"free", 1000}, {"lit0", 1001},
                                                    {"lit1", 1002}, {"long", 1003}}) {
    h.expect_delivered_once(id, first);
    h.expect_outputs_overlap_next_step(id, first);
  }
  EXPECT_EQ(h.final_output["free"].finish, FinishReason::Length);
  EXPECT_EQ(h.tokens["free"].size(), 12u);
  EXPECT_EQ(h.final_output["long"].finish, FinishReason::Abort);
  EXPECT_GE(h.tokens["long"].size(), 5u);
  EXPECT_LT(h.tokens["long"].size(), 500u);

  // Constrained rows: at launch() the mask buffer did not hold this step's mask yet; at
  // finish() it held exactly the grammar's mask (computed here independently), and the output
  // is the literal.
  auto vocab = std::make_shared<grammar::TokenVocabulary>(h.engine->tokenizer(),
                                                          h.engine->model_config().vocab_size);
  std::vector<int32_t> end_ids = h.engine->tokenizer().stop_ids();
  for (int32_t id : h.engine->model_config().eos_token_ids) end_ids.push_back(id);
  for (int k = 0; k < 2; ++k) {
    const std::string id = "lit" + std::to_string(k);
    EXPECT_EQ(h.text[id], literals[k]);
    EXPECT_EQ(h.final_output[id].finish, FinishReason::Stop);
    grammar::GrammarMatcher m(
        grammar::compile_grammar({StructuredOutput::Kind::regex, literals[k], {}}), vocab,
        end_ids);
    std::vector<uint32_t> expected(vocab->mask_words());
    const auto& rows = h.fake->rows_of(1001 + k);
    ASSERT_GE(rows.size(), 2u);
    for (const auto& r : rows) {
      m.fill_mask(expected);
      EXPECT_EQ(r.mask_at_finish, expected) << id << " step " << r.step;
      EXPECT_NE(r.mask_at_launch, expected) << id << " step " << r.step << ": mask before launch";
      ASSERT_TRUE(m.accept(r.token));
    }
    EXPECT_TRUE(m.terminated());
  }
  // The unconstrained rows carried no mask.
  for (const auto& r : h.fake->rows_of(1000)) EXPECT_TRUE(r.mask_at_finish.empty());
  EXPECT_EQ(h.engine->stats().generation_tokens_total,
            static_cast<int64_t>(h.tokens["free"].size() + h.tokens["lit0"].size() +
                                 h.tokens["lit1"].size() + h.tokens["long"].size()));
  EXPECT_EQ(h.engine->stats().kv_blocks_used, 0);
}

TEST(EnginePipeline, BackendFailureInFinishEndsTheStepsRequestsOnce) {
  Harness h;
  h.fake->fail_finish_at_step = 4;
  h.add("a", 1000, free_params(50));
  h.add("b", 1001, regex_params("pagoda-42! is a literal longer than three tokens"));
  h.run_until_done();
  for (const auto& [id, first] : std::vector<std::pair<std::string, int32_t>>{{"a", 1000},
                                                                               {"b", 1001}}) {
    EXPECT_EQ(h.final_output[id].finish, FinishReason::Error) << id;
    EXPECT_NE(h.final_output[id].error.find("injected device failure"), std::string::npos);
    h.expect_delivered_once(id, first);  // the three tokens before the failure, once
    EXPECT_EQ(h.tokens[id].size(), 3u) << id;
  }
  EXPECT_FALSE(h.fake->pairing().busy());
  // The backend and the engine go on: a new request runs to its end.
  h.add("c", 1002, free_params(4));
  h.run_until_done();
  h.expect_delivered_once("c", 1002);
  EXPECT_EQ(h.final_output["c"].finish, FinishReason::Length);
}

TEST(EnginePipeline, ShutdownDeliversWhatIsLeftInOrder) {
  Harness h;
  h.add("x", 1000, free_params(100));
  for (int i = 0; i < 3; ++i) h.engine->step();
  // Three tokens sampled, the third not delivered yet: the destructor delivers it, then aborts.
  EXPECT_EQ(h.tokens["x"].size(), 2u);
  std::vector<int32_t> sampled;
  for (const auto& r : h.fake->rows_of(1000)) sampled.push_back(r.token);
  ASSERT_EQ(sampled.size(), 3u);
  h.fake = nullptr;  // owned by the engine
  h.engine.reset();
  EXPECT_EQ(h.tokens["x"], sampled);
  EXPECT_EQ(h.final_output["x"].finish, FinishReason::Abort);
  EXPECT_EQ(h.outputs_after_final.count("x"), 0u);
}

}  // namespace
}  // namespace pagoda
