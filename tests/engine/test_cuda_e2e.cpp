// End to end on every fixture model: the CUDA backend (bf16) against the CPU backend (float32),
// both driven through execute() with the golden prompts, teacher-forced with the golden greedy
// tokens so every step compares the same context. The first sampled token of each prompt must
// agree, and >= 95% of all steps. Decode steps (<= 4 rows) of the bf16 models run the fused
// decode layer, with RoPE and the cache write in the QKV product where there are no q/k norms
// (tiny-qwen2, -llama3, -mistral, -yi-spm, demo-chat; PAGODA_CUDA_FUSE_ROPE=0: rope_store).
// Exits 77 (skipped) without a GPU.
// Arguments, optional: model names to run instead of the fixture list; PAGODA_E2E_DATA: a folder
// with models/<name> and golden/model-<name>.safetensors to take them from (fixtures generated
// on the GPU machine, e.g. by tests/quant/make_quant_fixtures.py).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/cpu/cpu_backend.h"
#include "kernels/cuda_backend.h"
#include "engine/model/model_config.h"
#include "engine/model/weights.h"
#include "nlohmann/json.hpp"
#include "tests/fixture_files.h"

namespace {

std::vector<int32_t> read_ids(const pagoda::SafetensorsFile& f, const std::string& name) {
  const auto it = f.tensors().find(name);
  if (it == f.tensors().end()) return {};
  std::vector<int32_t> ids(it->second.numel());
  const auto* src = reinterpret_cast<const int64_t*>(it->second.data);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(src[i]);
  return ids;
}

struct Seq {
  std::vector<int32_t> tokens;  // prompt then the golden greedy tokens
  size_t prompt_len = 0;
  std::vector<int32_t> golden;
  std::vector<int32_t> blocks;
};

struct Tally {
  int steps = 0, agree_cpu = 0, agree_golden = 0, first_total = 0, first_agree = 0;
};

// Runs the same step on both backends and compares the sampled tokens.
void step_both(pagoda::Backend& gpu, pagoda::Backend& cpu, const pagoda::StepInput& in,
               pagoda::StepOutput& out_gpu, pagoda::StepOutput& out_cpu) {
  gpu.execute(in, out_gpu);
  cpu.execute(in, out_cpu);
}

double rel_error(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i])) return INFINITY;
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(b[i]) * b[i];
  }
  return std::sqrt(num / std::max(den, 1e-30));
}

std::string data_root() {
  const char* env = std::getenv("PAGODA_E2E_DATA");
  return env && *env ? env : PAGODA_TEST_DATA;
}

bool run_model(const std::string& name, bool graphs, Tally& tally) {
  const std::string dir = data_root() + "/models/" + name;
  const std::string golden = data_root() + "/golden/model-" + name + ".safetensors";
  const pagoda::ModelConfig config = pagoda::ModelConfig::from_dir(dir);
  const pagoda::WeightStore weights = pagoda::WeightStore::open(dir);
  pagoda::BackendOptions opts;
  opts.max_num_batched_tokens = 512;
  opts.max_num_seqs = 16;
  opts.gpu_memory_utilization = 0.3;
  opts.num_threads = 4;
  char err[256] = {0};
  std::unique_ptr<pagoda::Backend> gpu(pagoda_cuda_create_backend(&opts, err, sizeof err));
  if (!gpu) {
    std::printf("CUDA backend unavailable: %s\n", err);
    return false;
  }
  pagoda::cuda::set_cuda_graphs_enabled(*gpu, graphs);
  auto cpu = pagoda::create_cpu_backend(opts);
  gpu->load(config, weights);
  cpu->load(config, weights);
  const int block_size = 16;
  const int64_t planned = gpu->plan_kv_blocks(block_size);
  const int64_t num_blocks = 160;
  if (planned < num_blocks)
    std::printf("FAIL: plan_kv_blocks gave only %lld\n", (long long)planned);
  gpu->allocate_kv_cache(num_blocks, block_size);
  cpu->allocate_kv_cache(num_blocks, block_size);

  std::vector<Seq> seqs;
  std::vector<int32_t> perm(num_blocks);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), std::mt19937(42));
  std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>> prompts;
  if (std::filesystem::exists(golden)) {
    const pagoda::SafetensorsFile gf(golden);
    for (int p = 0; p < 3; ++p)
      prompts.emplace_back(read_ids(gf, "p" + std::to_string(p) + ".input_ids"),
                           read_ids(gf, "p" + std::to_string(p) + ".greedy"));
  } else {  // demo-chat: its chat goldens
    std::ifstream f(std::string(PAGODA_TEST_DATA) + "/golden/chat-demo.jsonl");
    std::string line;
    while (prompts.size() < 3 && std::getline(f, line)) {
      const auto j = nlohmann::json::parse(line);
      prompts.emplace_back(j.at("prompt_ids").get<std::vector<int32_t>>(),
                           j.at("output_ids").get<std::vector<int32_t>>());
    }
  }
  for (auto& [prompt, greedy] : prompts) {
    Seq s;
    s.tokens = prompt;
    s.golden = greedy;
    if (s.tokens.empty() || s.golden.empty()) continue;
    s.prompt_len = s.tokens.size();
    s.tokens.insert(s.tokens.end(), s.golden.begin(), s.golden.end());
    const size_t need = (s.tokens.size() + block_size - 1) / block_size;
    s.blocks.assign(perm.begin() + seqs.size() * 50, perm.begin() + seqs.size() * 50 + need);
    seqs.push_back(std::move(s));
  }
  bool ok = true;
  // Prefill each prompt; the long one in chunks of 128 tokens (chunked prefill over cached
  // context). The last chunk samples and returns logits.
  for (size_t i = 0; i < seqs.size(); ++i) {
    Seq& s = seqs[i];
    for (size_t at = 0; at < s.prompt_len; at += 128) {
      const size_t n = std::min<size_t>(128, s.prompt_len - at);
      pagoda::StepInput in;
      in.return_logits = true;
      pagoda::SeqChunk c;
      c.seq_id = static_cast<int64_t>(i);
      c.token_ids = std::span<const int32_t>(s.tokens.data() + at, n);
      c.context_len = static_cast<int32_t>(at);
      c.block_table = s.blocks;
      c.sample = at + n == s.prompt_len;
      c.sampling.num_logprobs = 0;
      in.chunks.push_back(c);
      pagoda::StepOutput og, oc;
      step_both(*gpu, *cpu, in, og, oc);
      if (!c.sample) continue;
      const int32_t g = og.sampled.at(0).token_id, cc = oc.sampled.at(0).token_id;
      const double e = rel_error(og.logits, oc.logits);
      std::printf(
          "  %s p%zu prefill: gpu %d cpu %d golden %d, logits rel err %.2e, logprob %.4f vs %.4f\n",
          name.c_str(), i, g, cc, s.golden[0], e, og.sampled[0].logprob, oc.sampled[0].logprob);
      ++tally.first_total;
      tally.first_agree += g == cc;
      ++tally.steps;
      tally.agree_cpu += g == cc;
      tally.agree_golden += g == s.golden[0];
      if (g != cc) ok = false;
      if (!(e < 5e-2)) {
        std::printf("FAIL: %s logits differ from the CPU backend (rel err %.3e)\n", name.c_str(),
                    e);
        ok = false;
      }
    }
  }
  // Decode all prompts together, teacher-forced with the golden tokens.
  size_t longest = 0;
  for (const Seq& s : seqs) longest = std::max(longest, s.golden.size());
  for (size_t k = 0; k + 1 < longest; ++k) {
    pagoda::StepInput in;
    for (size_t i = 0; i < seqs.size(); ++i) {
      Seq& s = seqs[i];
      if (k + 1 >= s.golden.size()) continue;
      pagoda::SeqChunk c;
      c.seq_id = static_cast<int64_t>(i);
      c.token_ids = std::span<const int32_t>(s.tokens.data() + s.prompt_len + k, 1);
      c.context_len = static_cast<int32_t>(s.prompt_len + k);
      c.block_table = s.blocks;
      c.sample = true;
      in.chunks.push_back(c);
    }
    in.return_logits = true;
    pagoda::StepOutput og, oc;
    step_both(*gpu, *cpu, in, og, oc);
    const size_t vocab = static_cast<size_t>(config.vocab_size);
    for (size_t j = 0; j < in.chunks.size(); ++j) {
      const Seq& s = seqs[in.chunks[j].seq_id];
      const int32_t g = og.sampled[j].token_id, c = oc.sampled[j].token_id;
      ++tally.steps;
      tally.agree_cpu += g == c;
      tally.agree_golden += g == s.golden[k + 1];
      if (g != c && oc.logits.size() >= (j + 1) * vocab)  // how close the float32 race was
        std::printf("  %s p%lld step %zu: gpu %d cpu %d, cpu logit gap %.4f\n", name.c_str(),
                    static_cast<long long>(in.chunks[j].seq_id), k + 1, g, c,
                    oc.logits[j * vocab + c] - oc.logits[j * vocab + g]);
    }
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  {
    pagoda::BackendOptions probe;
    char err[256] = {0};
    std::unique_ptr<pagoda::Backend> b(pagoda_cuda_create_backend(&probe, err, sizeof err));
    if (!b) {
      std::printf("SKIP: CUDA backend unavailable: %s\n", err);
      return 77;
    }
  }
  int failures = 0;
  // The golden models (quantized ones: docs/quantization.md), with demo-chat after the plain ones.
  std::vector<std::string> models = pagoda::testing::kGoldenModels;
  models.insert(models.begin() + 5, "demo-chat");
  if (argc > 1) models.assign(argv + 1, argv + argc);
  for (const std::string& model : models) {
    for (bool graphs : {true, false}) {
      Tally t;
      bool ok = false;
      try {
        ok = run_model(model, graphs, t);
      } catch (const std::exception& e) {
        std::printf("FAIL: %s: %s\n", model.c_str(), e.what());
      }
      const double rate = t.steps ? double(t.agree_cpu) / t.steps : 0;
      std::printf(
          "%-13s graphs=%d: %d steps, agree with CPU %.1f%%, with golden %.1f%%, first %d/%d\n",
          model.c_str(), graphs, t.steps, 100 * rate, t.steps ? 100.0 * t.agree_golden / t.steps : 0,
          t.first_agree, t.first_total);
      if (!ok || rate < 0.95 || t.first_agree != t.first_total) {
        std::printf("FAIL: %s (graphs=%d)\n", model.c_str(), graphs);
        ++failures;
      }
    }
  }
  if (failures) return 1;
  std::printf("all CUDA end-to-end checks passed\n");
  return 0;
}
