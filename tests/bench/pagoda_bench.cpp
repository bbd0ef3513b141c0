// pagoda-bench: measures the CUDA backend on random bf16 weights of a named model shape (or, with
//   --quant, random packed AWQ / GPTQ int4 / GPTQ int8 / FP8 linear weights, group or block 128).
//   decode tok/s at several batch sizes (prompt and generation lengths given), prefill tok/s,
//   and offline throughput on nano-vllm's workload (random ids, in/out lengths uniform in
//   [100, 1024], ignore EOS) with TTFT and inter-token latency percentiles.
//   --engine TOKENIZER_DIR: instead, serve_bench.py's batch-1 request and that workload through
//   the whole pagoda::LlmEngine (scheduler, sampling, detokenizing) on the same backend, with the
//   requests serve_bench.py sends to `pagoda-cli serve` (bench_workload.h): the in-process
//   figures the server is compared with (docs/benchmarks.md).
// Prints one "RESULT key value" line per number (the GPU script collects them).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/backend/backend.h"
#include "kernels/cuda_backend.h"
#include "engine/model/model_config.h"
#include "tests/bench/bench_engine.h"
#include "tests/bench/bench_shapes.h"
#include "tests/bench/bench_workload.h"
#include "tests/bench/engine_workload.h"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

pagoda::ModelConfig shape(const std::string& name) {
  return pagoda::bench::model_shape(name);
}

using pagoda::bench::percentile;

struct Request {
  std::vector<int32_t> tokens;  // prompt, then generated
  int prompt_len = 0, max_new = 0;
  int prefilled = 0;  // prompt tokens in the cache
  std::vector<int32_t> blocks;
  std::vector<double> token_times;  // seconds since start, per generated token
  bool done = false;
};

// A small continuous-batching driver: decodes every running request each step and fills the
// rest of the token budget with prompt chunks; blocks are reserved for the whole request on
// admission.
class Driver {
 public:
  Driver(pagoda::Backend& b, int64_t num_blocks, int block_size, int max_tokens, int max_seqs)
      : backend_(b), block_size_(block_size), max_tokens_(max_tokens), max_seqs_(max_seqs) {
    for (int64_t i = num_blocks - 1; i >= 0; --i) free_.push_back(static_cast<int32_t>(i));
  }

  // Called after every step with whether it had prompt tokens in it.
  std::function<void(bool)> after_step;

  // Runs all requests to completion; returns the wall time.
  double run(std::vector<Request>& reqs) {
    const auto t0 = Clock::now();
    size_t next = 0;
    std::vector<Request*> running;
    while (true) {
      // Admit.
      while (next < reqs.size() && static_cast<int>(running.size()) < max_seqs_) {
        Request& r = reqs[next];
        const int need = (r.prompt_len + r.max_new + block_size_ - 1) / block_size_;
        if (need > static_cast<int>(free_.size())) break;
        r.blocks.assign(free_.end() - need, free_.end());
        free_.resize(free_.size() - need);
        running.push_back(&r);
        ++next;
      }
      if (running.empty()) break;
      pagoda::StepInput in;
      int budget = max_tokens_;
      bool had_prompt = false;
      std::vector<Request*> owners;
      for (Request* r : running) {
        if (r->prefilled < r->prompt_len) continue;
        pagoda::SeqChunk c;
        c.token_ids = std::span<const int32_t>(&r->tokens.back(), 1);
        c.context_len = static_cast<int32_t>(r->tokens.size()) - 1;
        c.block_table = r->blocks;
        c.sample = true;
        in.chunks.push_back(c);
        owners.push_back(r);
        --budget;
      }
      for (Request* r : running) {
        if (r->prefilled >= r->prompt_len || budget <= 0) continue;
        const int n = std::min(budget, r->prompt_len - r->prefilled);
        pagoda::SeqChunk c;
        c.token_ids = std::span<const int32_t>(r->tokens.data() + r->prefilled, n);
        c.context_len = r->prefilled;
        c.block_table = r->blocks;
        c.sample = r->prefilled + n == r->prompt_len;
        had_prompt = true;
        in.chunks.push_back(c);
        owners.push_back(r);
        r->prefilled += n;
        budget -= n;
      }
      pagoda::StepOutput out;
      backend_.execute(in, out);
      if (after_step) after_step(had_prompt);
      const double now = seconds_since(t0);
      size_t k = 0;
      for (size_t i = 0; i < in.chunks.size(); ++i) {
        if (!in.chunks[i].sample) continue;
        Request* r = owners[i];
        r->tokens.push_back(out.sampled[k++].token_id);
        r->token_times.push_back(now);
        if (static_cast<int>(r->tokens.size()) - r->prompt_len >= r->max_new) r->done = true;
      }
      std::vector<Request*> still;
      for (Request* r : running) {
        if (r->done) {
          free_.insert(free_.end(), r->blocks.begin(), r->blocks.end());
          r->blocks.clear();
        } else {
          still.push_back(r);
        }
      }
      running.swap(still);
    }
    return seconds_since(t0);
  }

 private:
  pagoda::Backend& backend_;
  int block_size_, max_tokens_, max_seqs_;
  std::vector<int32_t> free_;
};

std::vector<Request> random_requests(int n, int in_lo, int in_hi, int out_lo, int out_hi, int vocab,
                                     std::mt19937& rng) {
  std::vector<Request> reqs(n);
  for (Request& r : reqs) {
    r.prompt_len = std::uniform_int_distribution<int>(in_lo, in_hi)(rng);
    r.max_new = std::uniform_int_distribution<int>(out_lo, out_hi)(rng);
    r.tokens.resize(r.prompt_len);
    for (int32_t& t : r.tokens) t = std::uniform_int_distribution<int>(0, vocab - 1)(rng);
  }
  return reqs;
}

// --engine: serve_bench.py's workload in-process. Returns the exit status.
int engine_offline(const std::string& model, const pagoda::ModelConfig& config,
                   const std::string& tokenizer_dir, int requests, int max_tokens, int max_seqs) {
  pagoda::EngineConfig ec;
  ec.max_num_seqs = max_seqs;
  ec.max_num_batched_tokens = max_tokens;
  const auto t_setup = Clock::now();
  auto engine = pagoda::bench::random_cuda_engine(config, tokenizer_dir, ec);
  if (!engine) return 1;
  const int vocab = engine->tokenizer().vocab_size();
  std::printf("%s through LlmEngine on %s, setup %.1f s; prompt ids in [0, %d)\n", model.c_str(),
              engine->stats().device.c_str(), seconds_since(t_setup), vocab);
  pagoda::bench::WorkloadSpec spec{.requests = requests, .vocab = vocab, .seed = 0};
  // serve_bench.py's warm-up: 16 requests of 16 tokens, seed + 2.
  pagoda::bench::WorkloadSpec warm = spec;
  warm.requests = 16, warm.min_output = warm.max_output = 16, warm.seed = spec.seed + 2;
  std::vector<pagoda::bench::EngineTrace> traces;
  pagoda::bench::run_engine(*engine, pagoda::bench::random_workload(warm), traces);
  // serve_bench.py's batch 1: 128 ids (seed + 1), 256 tokens, median of 3.
  pagoda::bench::WorkloadSpec b1{.requests = 1,
                                 .min_prompt = 128,
                                 .max_prompt = 128,
                                 .min_output = 1,
                                 .max_output = 1,
                                 .vocab = vocab,
                                 .seed = spec.seed + 1};
  auto b1_work = pagoda::bench::random_workload(b1);
  b1_work[0].max_new_tokens = 256;
  std::vector<double> b1_ttft, b1_rate;
  for (int rep = 0; rep < 3; ++rep) {
    pagoda::bench::run_engine(*engine, b1_work, traces);
    const auto r = pagoda::bench::summarize(b1_work, traces);
    const auto& times = traces[0].token_times;
    if (r.errors || times.size() < 2) {
      std::fprintf(stderr, "batch 1: %s\n",
                   r.failures.empty() ? "one output" : r.failures[0].c_str());
      return 1;
    }
    b1_ttft.push_back(times.front());
    b1_rate.push_back((traces[0].completion_tokens - 1) / (times.back() - times.front()));
  }
  std::printf("RESULT %s engine_b1_ttft_ms %.2f\nRESULT %s engine_b1_decode_tok_s %.1f\n",
              model.c_str(), 1e3 * percentile(b1_ttft, 50), model.c_str(), percentile(b1_rate, 50));
  const auto work = pagoda::bench::random_workload(spec);
  std::printf("%s\n", pagoda::bench::workload_summary(work).c_str());
  const double wall = pagoda::bench::run_engine(*engine, work, traces);
  const auto r = pagoda::bench::summarize(work, traces);
  for (const std::string& f : r.failures) std::fprintf(stderr, "%s\n", f.c_str());
  const char* m = model.c_str();
  std::printf("RESULT %s engine_errors %d\n", m, r.errors);
  if (r.errors) return 1;
  std::printf("RESULT %s engine_offline_tok_s %.1f\nRESULT %s engine_offline_s %.2f\n", m,
              r.tokens / wall, m, wall);
  std::printf("RESULT %s engine_ttft_p50_ms %.1f\nRESULT %s engine_ttft_p99_ms %.1f\n", m,
              1e3 * r.ttft_p50, m, 1e3 * r.ttft_p99);
  std::printf("RESULT %s engine_itl_p50_ms %.2f\nRESULT %s engine_itl_p99_ms %.2f\n", m,
              1e3 * r.itl_p50, m, 1e3 * r.itl_p99);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model = "qwen2.5-0.5b";
  std::vector<int> batches = {1, 8, 32, 128, 256};
  int prompt = 128, gen = 128, offline = 256, max_tokens = 8192, max_seqs = 256;
  bool graphs = true, prefill = true;
  std::string tag;  // suffix of the result keys (A/B variants)
  std::string quant;  // awq | gptq4 | gptq8 | fp8 (empty: bf16)
  // --engine: the offline workload through LlmEngine, with this folder's tokenizer
  std::string engine_tokenizer;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--model") {
      model = next();
    } else if (a == "--batches") {
      batches.clear();
      std::string s = next();
      for (size_t at = 0; at < s.size();) {
        const size_t comma = s.find(',', at);
        batches.push_back(std::atoi(s.substr(at, comma - at).c_str()));
        at = comma == std::string::npos ? s.size() : comma + 1;
      }
    } else if (a == "--prompt") {
      prompt = std::atoi(next().c_str());
    } else if (a == "--gen") {
      gen = std::atoi(next().c_str());
    } else if (a == "--offline") {
      offline = std::atoi(next().c_str());
    } else if (a == "--max-batched-tokens") {
      max_tokens = std::atoi(next().c_str());
    } else if (a == "--no-graphs") {
      graphs = false;
    } else if (a == "--no-prefill") {
      prefill = false;
    } else if (a == "--tag") {
      tag = "_" + next();
    } else if (a == "--quant") {
      quant = next();
    } else if (a == "--engine") {
      engine_tokenizer = next();
    } else {
      std::fprintf(stderr,
                   "usage: pagoda-bench [--model NAME] [--batches 1,8,32,128] [--prompt 128] "
                   "[--gen 128] [--offline 256 (0: skip)] [--max-batched-tokens 8192] "
                   "[--no-graphs] [--no-prefill] [--tag NAME] [--quant awq|gptq4|gptq8|fp8] "
                   "[--engine TOKENIZER_DIR]\n");
      return 2;
    }
  }
  pagoda::ModelConfig config = shape(model);
  if (!quant.empty()) {
    pagoda::QuantConfig& q = config.quant;
    q.group_size = 128;
    if (quant == "awq") {
      q.method = pagoda::QuantMethod::Awq, q.bits = 4;
    } else if (quant == "gptq4" || quant == "gptq8") {
      q.method = pagoda::QuantMethod::Gptq, q.bits = quant == "gptq4" ? 4 : 8;
    } else if (quant == "fp8") {
      q.method = pagoda::QuantMethod::Fp8, q.bits = 8, q.fp8_block_n = 128, q.fp8_block_k = 128;
    } else {
      std::fprintf(stderr, "unknown --quant %s (awq, gptq4, gptq8, fp8)\n", quant.c_str());
      return 2;
    }
    if (tag.empty()) tag = "_" + quant;
    std::printf("quantized linear weights: %s\n", q.describe().c_str());
  }
  if (!engine_tokenizer.empty()) {
    if (offline < 1) {
      std::fprintf(stderr, "--engine runs the offline workload: --offline must be positive\n");
      return 2;
    }
    return engine_offline(model, config, engine_tokenizer, offline, max_tokens, max_seqs);
  }
  // Room for the largest decode batch at once: with fewer sequences a batch would run in waves,
  // and the figure (b tokens a step over the last wave's span) would overstate it (q11: "b384"
  // and "b512" at 256 sequences). The offline workload's 256 requests run the same either way.
  for (int b : batches) max_seqs = std::max(max_seqs, b);
  pagoda::BackendOptions opts;
  opts.max_num_batched_tokens = max_tokens;
  opts.max_num_seqs = max_seqs;
  char err[256] = {0};
  std::unique_ptr<pagoda::Backend> backend(pagoda_cuda_create_backend(&opts, err, sizeof err));
  if (!backend) {
    std::fprintf(stderr, "CUDA backend unavailable: %s\n", err);
    return 1;
  }
  pagoda::cuda::set_cuda_graphs_enabled(*backend, graphs);
  auto t0 = Clock::now();
  pagoda::cuda::load_random_weights(*backend, config, 1234);
  const int block_size = 16;
  const int64_t blocks = backend->plan_kv_blocks(block_size);
  backend->allocate_kv_cache(blocks, block_size);
  const auto mem = backend->memory();
  std::printf("%s on %s: weights %.2f GiB, KV cache %lld blocks (%.2f GiB), setup %.1f s\n",
              model.c_str(), backend->device_name().c_str(), mem.weights_bytes / 1073741824.0,
              static_cast<long long>(blocks), mem.kv_cache_bytes / 1073741824.0, seconds_since(t0));
  std::mt19937 rng(7);
  Driver driver(*backend, blocks, block_size, max_tokens, max_seqs);

  // Decode: prefill B prompts, then time gen - 1 decode steps of the whole batch.
  for (int b : batches) {
    auto reqs = random_requests(b, prompt, prompt, gen, gen, config.vocab_size, rng);
    driver.run(reqs);  // warm-up (captures graphs)
    for (Request& r : reqs) {
      r.tokens.resize(r.prompt_len);
      r.prefilled = 0;
      r.token_times.clear();
      r.done = false;
    }
    driver.run(reqs);
    std::vector<double> first, last;
    for (const Request& r : reqs) {
      first.push_back(r.token_times.front());
      last.push_back(r.token_times.back());
    }
    const double t_first = *std::max_element(first.begin(), first.end());
    const double t_last = *std::max_element(last.begin(), last.end());
    const double tps = b * (gen - 1) / (t_last - t_first);
    std::printf("RESULT %s decode_b%d_tok_s%s %.1f\n", model.c_str(), b, tag.c_str(), tps);

    // Where a decode step's time goes: the same run again with device events around each step's
    // forward pass and sampling (prefill steps left out).
    for (Request& r : reqs) {
      r.tokens.resize(r.prompt_len);
      r.prefilled = 0;
      r.token_times.clear();
      r.done = false;
    }
    pagoda::cuda::StepTimings sum;
    pagoda::cuda::set_step_timing(*backend, true);
    driver.after_step = [&](bool had_prompt) {
      const pagoda::cuda::StepTimings t = pagoda::cuda::take_step_timings(*backend);
      if (had_prompt) return;
      sum.steps += t.steps, sum.execute_ms += t.execute_ms, sum.forward_ms += t.forward_ms;
      sum.sample_ms += t.sample_ms, sum.graph_steps += t.graph_steps;
      sum.graph_kernels += t.graph_kernels;
    };
    driver.run(reqs);
    driver.after_step = nullptr;
    pagoda::cuda::set_step_timing(*backend, false);
    if (sum.steps > 0) {
      const double n = static_cast<double>(sum.steps);
      const double period = 1e3 * b / tps;  // ms per decode step in the untimed run
      const char* m = model.c_str();
      const char* t = tag.c_str();
      std::printf("RESULT %s step_b%d_ms%s %.3f\n", m, b, t, period);
      std::printf("RESULT %s step_b%d_forward_gpu_ms%s %.3f\n", m, b, t, sum.forward_ms / n);
      std::printf("RESULT %s step_b%d_sample_gpu_ms%s %.3f\n", m, b, t, sum.sample_ms / n);
      std::printf("RESULT %s step_b%d_execute_ms%s %.3f\n", m, b, t, sum.execute_ms / n);
      std::printf("RESULT %s step_b%d_gpu_idle_ms%s %.3f\n", m, b, t,
                  period - (sum.forward_ms + sum.sample_ms) / n);
      if (sum.graph_steps > 0)
        std::printf("RESULT %s step_b%d_kernels%s %.0f\n", m, b, t,
                    static_cast<double>(sum.graph_kernels) / sum.graph_steps);
    }
  }

  // Prefill: steps of max_tokens prompt tokens (8 sequences of max_tokens / 8), median of 5.
  if (prefill) {
    const int per = max_tokens / 8;
    std::vector<double> times;
    for (int rep = 0; rep < 6; ++rep) {
      auto reqs = random_requests(8, per, per, 1, 1, config.vocab_size, rng);
      const double t = driver.run(reqs);
      if (rep > 0) times.push_back(t);
    }
    std::printf("RESULT %s prefill_tok_s%s %.1f\n", model.c_str(), tag.c_str(),
                8.0 * per / percentile(times, 50));
  }

  // Offline throughput on nano-vllm's workload.
  if (offline > 0) {
    auto warm = random_requests(16, 100, 1024, 16, 16, config.vocab_size, rng);
    driver.run(warm);
    // The requests of serve_bench.py and --engine (the same lengths; ids from the model's
    // vocabulary rather than the tokenizer's).
    auto work = pagoda::bench::random_workload(
        {.requests = offline, .vocab = config.vocab_size, .seed = 0});
    std::printf("%s\n", pagoda::bench::workload_summary(work).c_str());
    std::vector<Request> reqs(work.size());
    for (size_t i = 0; i < work.size(); ++i) {
      reqs[i].tokens = work[i].prompt;
      reqs[i].prompt_len = static_cast<int>(work[i].prompt.size());
      reqs[i].max_new = work[i].max_new_tokens;
    }
    const double t = driver.run(reqs);
    long long out_tokens = 0;
    std::vector<double> ttft, itl;
    for (const Request& r : reqs) {
      out_tokens += r.max_new;
      ttft.push_back(r.token_times.front());
      for (size_t i = 1; i < r.token_times.size(); ++i)
        itl.push_back(r.token_times[i] - r.token_times[i - 1]);
    }
    std::printf("RESULT %s offline_tok_s %.1f\n", model.c_str(), out_tokens / t);
    std::printf("RESULT %s offline_s %.2f\n", model.c_str(), t);
    std::printf("RESULT %s ttft_p50_ms %.1f\nRESULT %s ttft_p99_ms %.1f\n", model.c_str(),
                1e3 * percentile(ttft, 50), model.c_str(), 1e3 * percentile(ttft, 99));
    std::printf("RESULT %s itl_p50_ms %.2f\nRESULT %s itl_p90_ms %.2f\nRESULT %s itl_p99_ms %.2f\n",
                model.c_str(), 1e3 * percentile(itl, 50), model.c_str(), 1e3 * percentile(itl, 90),
                model.c_str(), 1e3 * percentile(itl, 99));
  }
  return 0;
}
