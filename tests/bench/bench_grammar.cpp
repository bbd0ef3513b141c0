// bench_grammar: what constrained decoding costs.
//   1. The per-token mask over a real vocabulary (default: the 152K Qwen vocabulary) for a
//      realistic schema, along random valid outputs: walk (every mask a full trie walk), cold
//      (no state's mask cached: the short tokens' mask shared per prefix class, the long
//      tokens walked), cold split (the same with each large walk split over --threads threads)
//      and warm (the grammar's per-state mask cache), mean / p50 / p99 us; then the background
//      precompute of the schema's and json_object's masks: its wall time, the states it stored,
//      and how many masks of the same outputs it left cold.
//   2. Throughput of 32 concurrent schema-constrained requests against 32 unconstrained ones on
//      the same engine: a model folder on the CPU (default: the tiny-qwen2 fixture), or, in a
//      CUDA build, a random-weight shape of pagoda-bench (--shape qwen2.5-0.5b) with the Qwen
//      tokenizer. Goal: constrained >= 80% of unconstrained tokens/s. Both go through the
//      engine's one step loop, pipelined: Backend::launch, then the grammar masks and the
//      previous step's callbacks while the forward pass runs, then Backend::finish.
//   The throughput runs also print the engine's mask counters: masks computed cold per step
//   and the time a step's masks took (the step waits for them past its forward pass).
//   bench_grammar [--tokenizer DIR] [--model DIR | --shape NAME] [--requests 32] [--tokens 128]
//                 [--threads N (split walk; default: the engine's mask pool size)]
//                 [--throughput 0 (the mask figures only)]
// Prints "RESULT key value" lines with every measured figure.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/engine.h"
#include "engine/core/llm_engine.h"
#include "engine/cpu/thread_pool.h"
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
// Returns the time of each fill_mask (us), whether it was warm, and the outputs' completion.
struct MaskRun {
  std::vector<double> us;
  std::vector<std::pair<int32_t, bool>> states;  // (DFA state, first) of each mask timed
  size_t cold = 0;
  int outputs = 0, complete = 0;
};
void walk_outputs(const std::shared_ptr<const grammar::Grammar>& g,
                  const std::shared_ptr<grammar::TokenVocabulary>& vocab, int32_t eos,
                  const grammar::ParallelFor* split, int parts, bool record, MaskRun& run) {
  std::vector<uint32_t> words(vocab->mask_words());
  std::mt19937 rng(11);
  for (int seq = 0; seq < 8; ++seq, ++run.outputs) {
    grammar::GrammarMatcher m(g, vocab, {eos});
    int32_t state = 0;
    for (int step = 0; step < 400 && !m.terminated(); ++step) {
      const auto s = Clock::now();
      const bool warm = m.fill_mask(words, split, parts);
      const double t = seconds_since(s) * 1e6;
      if (record) {
        run.us.push_back(t);
        run.states.emplace_back(state, step == 0);
        run.cold += !warm;
      }
      std::vector<int32_t> allowed;
      for (int32_t id = 0; id < vocab->size(); ++id)
        if ((words[id >> 5] >> (id & 31)) & 1) allowed.push_back(id);
      if (allowed.empty()) break;
      // Prefer the end when allowed, so that outputs finish like a real model's.
      const bool end = m.is_complete();
      const int32_t pick = end ? eos : allowed[rng() % allowed.size()];
      m.accept(pick);
      if (!end) state = g->dfa().walk(state, vocab->bytes(pick, step == 0));
    }
    run.complete += m.terminated();
  }
}

void print_stats(const char* tag, const char* what, const MaskRun& run) {
  const Stats st = stats(run.us);
  std::printf("mask %s (%s): %zu masks, mean %.1f us, p50 %.1f us, p99 %.1f us (%d/%d outputs "
              "complete)\n",
              tag, what, st.n, st.mean, st.p50, st.p99, run.complete, run.outputs);
  std::printf("RESULT mask_%s_mean_us %.1f\nRESULT mask_%s_p99_us %.1f\n", tag, st.mean, tag,
              st.p99);
}

// The costliest state of a run, walked whole (no cache) 30 times on one thread and split over
// the pool: the fastest and the median of each (the fastest shows the gain without the load of
// a shared machine).
void split_gain(const grammar::Grammar& g, const grammar::TokenVocabulary& vocab,
                const MaskRun& run, const grammar::ParallelFor& split, int parts) {
  if (run.us.empty() || parts < 2) return;
  const size_t worst = static_cast<size_t>(
      std::max_element(run.us.begin(), run.us.end()) - run.us.begin());
  const auto [state, first] = run.states[worst];
  std::vector<uint32_t> words(vocab.mask_words());
  // The parts one after the other on this thread, each timed: the longest part (plus the
  // merge) is what the split takes when the pool's cores are free.
  std::vector<double> part_us;
  const grammar::ParallelFor serial = [&](int n, const std::function<void(int)>& fn) {
    part_us.assign(n, 0);
    for (int k = 0; k < n; ++k) {
      const auto t = Clock::now();
      fn(k);
      part_us[k] = seconds_since(t) * 1e6;
    }
  };
  std::vector<double> fastest_parts;
  auto time = [&](const grammar::ParallelFor* par) {
    std::vector<double> us;
    double best = 1e30;
    for (int i = 0; i < 30; ++i) {
      const auto t = Clock::now();
      g.token_mask(vocab, state, first, words, par, parts);
      us.push_back(seconds_since(t) * 1e6);
      if (par == &serial && us.back() < best) best = us.back(), fastest_parts = part_us;
    }
    std::sort(us.begin(), us.end());
    return std::pair{us.front(), us[us.size() / 2]};
  };
  const uint32_t min_nodes = grammar::Grammar::split_min_nodes();
  grammar::Grammar::set_split_min_nodes(0);
  const auto one = time(nullptr);
  const auto many = time(&split);
  const auto in_series = time(&serial);
  grammar::Grammar::set_split_min_nodes(min_nodes);
  double sum = 0, longest = 0;
  for (double t : fastest_parts) sum += t, longest = std::max(longest, t);
  std::printf("split walk of the costliest state (%d): 1 thread fastest %.1f us, median %.1f us; "
              "split over %d threads fastest %.1f us, median %.1f us; its %zu parts in series "
              "(fastest) %.1f us, the longest %.1f us, buffers and merge %.1f us\n",
              state, one.first, one.second, parts, many.first, many.second,
              fastest_parts.size(), in_series.first, longest, in_series.first - sum);
  std::printf("RESULT split_walk_1_us %.1f\nRESULT split_walk_%d_us %.1f\n"
              "RESULT split_walk_longest_part_us %.1f\n",
              one.first, parts, many.first, longest);
}

// The precompute of g's masks from nothing: wall time, states stored, then the share of the
// random outputs' masks it left cold.
void precompute_cost(const char* tag, const std::shared_ptr<const grammar::Grammar>& g,
                     const std::shared_ptr<grammar::TokenVocabulary>& vocab, int32_t eos) {
  grammar::Grammar::set_precompute_enabled(true);
  g->drop_cached_masks();
  g->start_precompute(vocab);
  const auto p = g->wait_precompute(*vocab, 120);
  const auto cache = g->cache_stats();
  std::printf("precompute %s (%d threads): %zu of %d states in %.1f ms%s; cache: %zu masks, %zu "
              "distinct, %.1f MiB\n",
              tag, grammar::MaskPrecompute::pool_threads(), p.states, g->dfa().num_states(),
              p.wall_s * 1e3,
              p.budget_spent ? " (stopped at the cache budget)"
                             : p.finished ? " (every state)" : " (timed out)",
              cache.masks, cache.distinct, static_cast<double>(cache.bytes) / (1 << 20));
  std::printf("RESULT precompute_%s_ms %.1f\nRESULT precompute_%s_states %zu\n", tag,
              p.wall_s * 1e3, tag, p.states);
  MaskRun run;
  walk_outputs(g, vocab, eos, nullptr, 0, true, run);
  const Stats st = stats(run.us);
  std::printf("  after it, along the random outputs: %zu of %zu masks cold, mean %.1f us, p99 "
              "%.1f us\n",
              run.cold, st.n, st.mean, st.p99);
  std::printf("RESULT precompute_%s_cold_masks %zu\nRESULT precompute_%s_mask_p99_us %.1f\n",
              tag, run.cold, tag, st.p99);
  g->drop_cached_masks();
}

void mask_cost(const std::filesystem::path& tokenizer_dir, int threads) {
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
  cpu::ThreadPool pool(threads);
  const grammar::ParallelFor split = [&](int n, const std::function<void(int)>& fn) {
    pool.parallel_for(
        n, [&](int64_t b, int64_t e) {
          for (int64_t k = b; k < e; ++k) fn(static_cast<int>(k));
        },
        int64_t{1} << 30);
  };
  // walk: every mask a full trie walk; cold: no state's mask cached (each run starts with no
  // cached mask, the short tokens' mask shared per prefix class); split: cold with large walks
  // split over the pool; warm: the per-state cache. No precompute in any of them.
  struct Mode {
    const char* tag;
    const char* what;
    bool per_state, shared, split;
  };
  // The environment's settings (PAGODA_GRAMMAR_PRECOMPUTE, PAGODA_GRAMMAR_SPLIT_WALK) hold again
  // for the throughput runs.
  const bool precompute = grammar::Grammar::precompute_enabled();
  const bool split_walk = grammar::Grammar::split_walk_enabled();
  grammar::Grammar::set_precompute_enabled(false);
  grammar::Grammar::set_split_walk_enabled(true);
  const std::string split_what = "cold, large walks split over " + std::to_string(threads) +
                                 " threads from " + std::to_string(grammar::Grammar::split_min_nodes()) +
                                 " nodes";
  for (const Mode& mode :
       {Mode{"walk", "trie walk every token", false, false, false},
        Mode{"cold", "no state cached, shared per prefix class", false, true, false},
        Mode{"cold_split", split_what.c_str(), false, true, true},
        Mode{"warm", "per-state cache", true, true, false}}) {
    grammar::Grammar::set_mask_cache_enabled(mode.per_state);
    grammar::Grammar::set_shared_masks_enabled(mode.shared);
    g->drop_cached_masks();
    MaskRun run;
    for (int pass = 0; pass < 2; ++pass) {  // the cache's second pass finds every state
      if (!mode.per_state) g->drop_cached_masks();
      walk_outputs(g, vocab, eos, mode.split ? &split : nullptr, pool.size(),
                   !mode.per_state || pass == 1, run);
    }
    print_stats(mode.tag, mode.what, run);
    if (std::string(mode.tag) == "walk") split_gain(*g, *vocab, run, split, pool.size());
  }
  g->drop_cached_masks();
  grammar::Grammar::set_shared_masks_enabled(true);
  grammar::Grammar::set_mask_cache_enabled(true);
  precompute_cost("schema", g, vocab, eos);
  precompute_cost("json_object", any, vocab, eos);
  grammar::Grammar::set_precompute_enabled(precompute);
  grammar::Grammar::set_split_walk_enabled(split_walk);
  std::printf("throughput runs: precompute %s, split walk %s\n", precompute ? "on" : "off",
              split_walk ? "on" : "off");
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

// The engine's mask counters over one run (after - before).
void print_mask_steps(const char* tag, const EngineStats& a, const EngineStats& b) {
  const int64_t steps = b.mask_steps - a.mask_steps, cold = b.cold_masks - a.cold_masks;
  const double per_step = steps ? static_cast<double>(cold) / static_cast<double>(steps) : 0;
  const double fill_ms = steps ? (b.mask_fill_ms_total - a.mask_fill_ms_total) / steps : 0;
  std::printf("    masks: %lld in %lld steps, %lld cold (%.2f per step; %lld steps with one or "
              "more; at most %lld in a step since start); mask fill per step mean %.3f ms, "
              "longest %.3f ms since start\n",
              static_cast<long long>(b.masks - a.masks), static_cast<long long>(steps),
              static_cast<long long>(cold), per_step,
              static_cast<long long>(b.cold_mask_steps - a.cold_mask_steps),
              static_cast<long long>(b.max_cold_masks_per_step), fill_ms, b.mask_fill_ms_max);
  std::printf("RESULT %s_cold_masks_per_step %.3f\nRESULT %s_cold_mask_steps %lld\n"
              "RESULT %s_mask_fill_ms_mean %.3f\n",
              tag, per_step, tag, static_cast<long long>(b.cold_mask_steps - a.cold_mask_steps),
              tag, fill_ms);
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path tokenizer = std::filesystem::path(PAGODA_TEST_DATA) / "tokenizers/qwen3";
  std::filesystem::path model = std::filesystem::path(PAGODA_TEST_DATA) / "models/tiny-qwen2";
  std::string shape;
  int requests = 32, tokens = 128;
  int threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
  bool run_throughput = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--tokenizer") tokenizer = argv[i + 1];
    else if (a == "--model") model = argv[i + 1];
    else if (a == "--shape") shape = argv[i + 1];
    else if (a == "--requests") requests = std::stoi(argv[i + 1]);
    else if (a == "--tokens") tokens = std::stoi(argv[i + 1]);
    else if (a == "--threads") threads = std::max(1, std::stoi(argv[i + 1]));
    else if (a == "--throughput") run_throughput = std::stoi(argv[i + 1]) != 0;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  mask_cost(tokenizer, threads);
  if (!run_throughput) return 0;

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
  const StructuredOutput so{StructuredOutput::Kind::json_schema, kSchema, {}};
  throughput(*engine, 4, 8, true, -1);  // warm-up: grammar, vocabulary, first masks
  const double free_tps = throughput(*engine, requests, tokens, false, 0);
  EngineStats before = engine->stats();
  const double json_tps = throughput(*engine, requests, tokens, true, 1);
  EngineStats after = engine->stats();
  print_mask_steps("constrained", before, after);
  // The same with the grammar's masks forgotten first: the schema's first use (its precompute
  // starts with the run's first request).
  grammar::compile_grammar(so)->drop_cached_masks();
  before = engine->stats();
  const double fresh_tps = throughput(*engine, requests, tokens, true, 2);
  after = engine->stats();
  print_mask_steps("constrained_fresh", before, after);
  std::printf("constrained / unconstrained: %.1f%%, from no cached mask %.1f%% (goal >= 80%%)\n",
              100.0 * json_tps / free_tps, 100.0 * fresh_tps / free_tps);
  std::printf("RESULT unconstrained_tok_s %.1f\nRESULT constrained_tok_s %.1f\n"
              "RESULT constrained_ratio %.3f\nRESULT constrained_fresh_tok_s %.1f\n"
              "RESULT constrained_fresh_ratio %.3f\n",
              free_tps, json_tps, json_tps / free_tps, fresh_tps, fresh_tps / free_tps);
  return 0;
}
