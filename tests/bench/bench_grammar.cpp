// bench_grammar: what constrained decoding costs.
//   1. The per-token mask over a real vocabulary (default: the 152K Qwen vocabulary) for a
//      realistic schema, along random valid outputs: walk (every mask a full trie walk), cold
//      (no state's mask cached: the short tokens' mask shared per prefix class, the long
//      tokens walked) and warm (the grammar's per-state mask cache), mean / p50 / p99 us.
//   2. Throughput of 32 concurrent schema-constrained requests against 32 unconstrained ones on
//      the same engine: a model folder on the CPU (default: the tiny-qwen2 fixture), or, in a
//      CUDA build, a random-weight shape of pagoda-bench (--shape qwen2.5-0.5b) with the Qwen
//      tokenizer. Goal: constrained >= 80% of unconstrained tokens/s. Both go through the
//      engine's one step loop, pipelined: Backend::launch, then the grammar masks and the
//      previous step's callbacks while the forward pass runs, then Backend::finish.
//   bench_grammar [--tokenizer DIR] [--model DIR | --shape NAME] [--requests 32] [--tokens 128]
// Prints "RESULT key value" lines with every measured figure.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "engine/core/engine.h"
#include "engine/core/llm_engine.h"
#include "engine/grammar/grammar.h"
#ifdef PAGODA_BENCH_CUDA
#include "tests/bench/bench_engine.h"
#include "tests/bench/bench_shapes.h"
#endif

using namespace pagoda;
using Clock = std::chrono::steady_clock;

namespace {

// An order form: nested objects, arrays with bounds, enums, numbers, bounded strings, a date.
const char* kSchema = R"({
  "type": "object",
  "properties": {
    "order_id": {"type": "string", "pattern": "^ORD-[0-9]{6}$"},
    "customer": {"type": "object", "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 40},
        "email": {"type": "string", "maxLength": 60},
        "tier": {"enum": ["free", "pro", "enterprise"]}},
      "required": ["name", "email", "tier"], "additionalProperties": false},
    "items": {"type": "array", "minItems": 1, "maxItems": 5, "items": {
        "type": "object", "properties": {
          "sku": {"type": "string", "maxLength": 12},
          "quantity": {"type": "integer", "minimum": 1, "maximum": 100},
          "price": {"type": "number", "minimum": 0},
          "note": {"type": ["string", "null"], "maxLength": 30}},
        "required": ["sku", "quantity", "price"], "additionalProperties": false}},
    "shipped": {"type": "boolean"},
    "date": {"type": "string", "format": "date"}},
  "required": ["order_id", "customer", "items", "shipped"],
  "additionalProperties": false})";

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Stats {
  double mean = 0, p50 = 0, p99 = 0;
  size_t n = 0;
};
Stats stats(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  for (double x : v) s.mean += x;
  s.n = v.size();
  s.mean /= static_cast<double>(v.size());
  s.p50 = v[v.size() / 2];
  s.p99 = v[std::min(v.size() - 1, static_cast<size_t>(0.99 * static_cast<double>(v.size())))];
  return s;
}

// Random valid outputs: each step draws uniformly among the allowed tokens (as noise would).
void mask_cost(const std::filesystem::path& tokenizer_dir) {
  auto tok = Tokenizer::from_dir(tokenizer_dir);
  auto t0 = Clock::now();
  auto vocab = std::make_shared<grammar::TokenVocabulary>(*tok, tok->vocab_size());
  std::printf("vocabulary: %d tokens, trie built in %.1f ms\n", vocab->size(),
              seconds_since(t0) * 1e3);
  std::printf("RESULT vocab_build_ms %.1f\n", seconds_since(t0) * 1e3);
  t0 = Clock::now();
  const StructuredOutput so{StructuredOutput::Kind::json_schema, kSchema, {}};
  auto g = grammar::compile_grammar(so);
  std::printf("schema compiled in %.1f ms: %d DFA states, %d byte classes, %d prefix classes\n",
              seconds_since(t0) * 1e3, g->dfa().num_states(), g->dfa().num_classes(),
              g->dfa().num_prefix_classes());
  std::printf("RESULT schema_compile_ms %.1f\n", seconds_since(t0) * 1e3);
  t0 = Clock::now();
  auto any = grammar::compile_grammar({StructuredOutput::Kind::json_object, "", {}});
  std::printf("json_object compiled in %.1f ms: %d DFA states\n", seconds_since(t0) * 1e3,
              any->dfa().num_states());

  const int32_t eos = tok->eos_id().value_or(0);
  std::vector<uint32_t> words(vocab->mask_words());
  // walk: every mask a full trie walk; cold: no state's mask cached (each run starts with no
  // cached mask, the short tokens' mask shared per prefix class); warm: the per-state cache.
  struct Mode {
    const char* tag;
    const char* what;
    bool per_state, shared;
  };
  for (const Mode& mode : {Mode{"walk", "trie walk every token", false, false},
                           Mode{"cold", "no state cached, shared per prefix class", false, true},
                           Mode{"warm", "per-state cache", true, true}}) {
    grammar::Grammar::set_mask_cache_enabled(mode.per_state);
    grammar::Grammar::set_shared_masks_enabled(mode.shared);
    g->drop_cached_masks();
    std::vector<double> us;
    int outputs = 0, complete = 0;
    for (int run = 0; run < 2; ++run) {  // the cache's second pass finds every state
      if (!mode.per_state) g->drop_cached_masks();
      std::mt19937 rng(11);
      for (int seq = 0; seq < 8; ++seq, ++outputs) {
        grammar::GrammarMatcher m(g, vocab, {eos});
        for (int step = 0; step < 400 && !m.terminated(); ++step) {
          const auto s = Clock::now();
          m.fill_mask(words);
          const double t = seconds_since(s) * 1e6;
          if (!mode.per_state || run == 1) us.push_back(t);
          std::vector<int32_t> allowed;
          for (int32_t id = 0; id < vocab->size(); ++id)
            if ((words[id >> 5] >> (id & 31)) & 1) allowed.push_back(id);
          if (allowed.empty()) break;
          // Prefer the end when allowed, so that outputs finish like a real model's.
          const bool end = m.is_complete();
          m.accept(end ? eos : allowed[rng() % allowed.size()]);
        }
        complete += m.terminated();
      }
    }
    const Stats st = stats(us);
    std::printf("mask %s (%s): %zu masks, mean %.1f us, p50 %.1f us, p99 %.1f us (%d/%d outputs "
                "complete)\n",
                mode.tag, mode.what, st.n, st.mean, st.p50, st.p99, complete, outputs);
    std::printf("RESULT mask_%s_mean_us %.1f\nRESULT mask_%s_p99_us %.1f\n", mode.tag, st.mean,
                mode.tag, st.p99);
  }
  g->drop_cached_masks();
  grammar::Grammar::set_shared_masks_enabled(true);
  grammar::Grammar::set_mask_cache_enabled(true);
}

// Tokens/s of `requests` concurrent requests of up to `tokens` tokens each.
double throughput(Engine& engine, int requests, int tokens, bool constrained, int round) {
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  int64_t generated = 0, stopped = 0;
  const auto prompt = engine.tokenizer().encode("Here is the order as JSON:");
  const auto t0 = Clock::now();
  for (int i = 0; i < requests; ++i) {
    SamplingRequest r;
    r.temperature = 1.0f;
    r.seed = static_cast<uint64_t>(i);
    r.max_tokens = tokens;
    if (constrained) {
      r.structured_output = StructuredOutput{StructuredOutput::Kind::json_schema, kSchema, {}};
    } else {
      r.ignore_eos = true;  // noise would otherwise stop at random
    }
    engine.add_request("r" + std::to_string(round) + "-" + std::to_string(i), prompt,
                       SamplingParams::with_defaults({}, r), [&](const RequestOutput& out) {
                         std::lock_guard lock(mu);
                         generated += static_cast<int64_t>(out.token_ids.size());
                         if (out.finish == FinishReason::None) return;
                         stopped += out.finish == FinishReason::Stop;
                         ++done;
                         cv.notify_all();
                       });
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done == requests; });
  const double s = seconds_since(t0);
  std::printf("  %s: %lld tokens in %.2f s = %.1f tok/s (%lld of %d ended by the grammar)\n",
              constrained ? "constrained  " : "unconstrained", static_cast<long long>(generated),
              s, generated / s, static_cast<long long>(stopped), requests);
  return generated / s;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path tokenizer = std::filesystem::path(PAGODA_TEST_DATA) / "tokenizers/qwen3";
  std::filesystem::path model = std::filesystem::path(PAGODA_TEST_DATA) / "models/tiny-qwen2";
  std::string shape;
  int requests = 32, tokens = 128;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--tokenizer") tokenizer = argv[i + 1];
    else if (a == "--model") model = argv[i + 1];
    else if (a == "--shape") shape = argv[i + 1];
    else if (a == "--requests") requests = std::stoi(argv[i + 1]);
    else if (a == "--tokens") tokens = std::stoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  mask_cost(tokenizer);

  std::unique_ptr<Engine> engine;
  if (shape.empty()) {
    EngineConfig c;
    c.model_dir = model;
    c.device = "cpu";
    c.cpu_kv_cache_bytes = 256ull << 20;
    engine = Engine::load(c);
    std::printf("throughput on %s (%s), %d requests x up to %d tokens:\n",
                model.filename().c_str(), engine->stats().device.c_str(), requests, tokens);
  } else {
#ifdef PAGODA_BENCH_CUDA
    EngineConfig config;
    config.max_num_seqs = std::max(requests, 1);
    auto cuda_engine = bench::random_cuda_engine(bench::model_shape(shape), tokenizer, config);
    if (!cuda_engine) return 1;
    engine = std::move(cuda_engine);
    std::printf("throughput on %s random weights (%s), %d requests x up to %d tokens:\n",
                shape.c_str(), engine->stats().device.c_str(), requests, tokens);
#else
    std::fprintf(stderr, "--shape needs a CUDA build\n");
    return 2;
#endif
  }
  throughput(*engine, 4, 8, true, -1);  // warm-up: grammar, vocabulary, first masks
  const double free_tps = throughput(*engine, requests, tokens, false, 0);
  const double json_tps = throughput(*engine, requests, tokens, true, 1);
  std::printf("constrained / unconstrained: %.1f%% (goal >= 80%%)\n", 100.0 * json_tps / free_tps);
  std::printf("RESULT unconstrained_tok_s %.1f\nRESULT constrained_tok_s %.1f\n"
              "RESULT constrained_ratio %.3f\n",
              free_tps, json_tps, json_tps / free_tps);
  return 0;
}
