// Engine::load: reads a model folder, picks the backend and sizes the KV cache.
#include <algorithm>

#include "engine/core/llm_engine.h"
#include "engine/device/backend_factory.h"
#include "engine/util/error.h"

namespace pagoda {

std::unique_ptr<Engine> Engine::load(const EngineConfig& config) {
  const auto& dir = config.model_dir;
  if (!std::filesystem::is_directory(dir))
    throw Error(dir.string() + ": not a model folder (it does not exist)");
  if (config.block_size < 1 || config.block_size > 256)
    throw InvalidArgument("block_size must be between 1 and 256, got " +
                          std::to_string(config.block_size));
  LlmEngine::Parts parts{.config = config,
                         .model = ModelConfig::from_dir(dir),
                         .defaults = GenerationDefaults::from_dir(dir),
                         .weights = WeightStore::open(dir),
                         .tokenizer = Tokenizer::from_dir(dir),
                         .chat_template = ChatTemplate::from_dir(dir),
                         .backend = nullptr,
                         .backend_note = {}};

  BackendOptions options;
  options.num_threads = config.num_threads;
  options.gpu_memory_utilization = config.gpu_memory_utilization;
  options.cpu_kv_cache_bytes = config.cpu_kv_cache_bytes;
  options.max_num_batched_tokens = config.max_num_batched_tokens;
  options.max_num_seqs = config.max_num_seqs;
  parts.backend = create_backend(config.device, options, &parts.backend_note);
  if (!parts.backend) throw Error("no backend available for device '" + config.device + "'");
  parts.backend->load(parts.model, parts.weights);

  const int64_t planned = config.num_kv_blocks_override > 0
                              ? config.num_kv_blocks_override
                              : parts.backend->plan_kv_blocks(config.block_size);
  if (planned < 1)
    throw Error(dir.filename().string() +
                ": no memory left for the KV cache after loading the weights");
  parts.backend->allocate_kv_cache(planned, config.block_size);
  parts.num_kv_blocks = planned;

  int64_t len = parts.model.max_position_embeddings > 0 ? parts.model.max_position_embeddings
                                                        : int64_t{1} << 30;
  const int64_t cache_tokens = planned * config.block_size;
  if (config.max_model_len > 0) {
    // An explicit context length that the cache cannot hold is an error, as in vLLM; without
    // one, the largest context that fits is chosen (users asked for that over a refusal).
    if (config.max_model_len > cache_tokens)
      throw Error(dir.filename().string() + ": a " + std::to_string(config.max_model_len) +
                  "-token sequence does not fit: the KV cache on " + parts.backend->device_name() +
                  " holds " + std::to_string(cache_tokens) +
                  " tokens (lower the context length or raise the memory budget)");
    len = std::min<int64_t>(len, config.max_model_len);
  }
  len = std::min<int64_t>(len, cache_tokens);  // one sequence must always fit
  parts.max_model_len = static_cast<int>(len);
  return std::make_unique<LlmEngine>(std::move(parts));
}

std::string LlmEngine::model_name() const {
  auto dir = parts_.config.model_dir;
  if (!dir.has_filename()) dir = dir.parent_path();  // "models/qwen/"
  return dir.filename().string();
}

EngineStats LlmEngine::stats() const {
  std::lock_guard lock(stats_mutex_);
  EngineStats s = stats_;
  const auto now = Clock::now();
  if (!window_.empty()) {
    const double span = std::chrono::duration<double>(now - window_.front().start).count();
    int64_t prompt = 0, gen = 0;
    for (const auto& e : window_) {
      prompt += e.prompt_tokens;
      gen += e.generation_tokens;
    }
    if (span > 0) {
      s.prompt_tokens_per_s = prompt / span;
      s.generation_tokens_per_s = gen / span;
    }
  }
  return s;
}

void LlmEngine::record_step(Clock::time_point start, int64_t prompt_tokens, int64_t gen_tokens) {
  constexpr auto kWindow = std::chrono::seconds(5);
  const auto now = Clock::now();
  // Reading memory figures can mean reading /proc: once a second is plenty.
  const bool refresh_memory = now - last_memory_refresh_ > std::chrono::seconds(1);
  BackendMemory memory;
  if (refresh_memory) {
    memory = parts_.backend->memory();
    last_memory_refresh_ = now;
  }
  std::lock_guard lock(stats_mutex_);
  if (prompt_tokens || gen_tokens) window_.push_back({start, now, prompt_tokens, gen_tokens});
  while (!window_.empty() && now - window_.front().end > kWindow) window_.pop_front();
  stats_.num_running = scheduler_.num_running();
  stats_.num_waiting = scheduler_.num_waiting();
  stats_.kv_blocks_total = blocks_.num_blocks();
  stats_.kv_blocks_used = blocks_.num_used_blocks();
  stats_.kv_usage = blocks_.usage();
  stats_.prefix_cache_queries = blocks_.prefix_cache_queries();
  stats_.prefix_cache_hits = blocks_.prefix_cache_hits();
  stats_.num_preemptions = scheduler_.num_preemptions();
  stats_.prompt_tokens_total += prompt_tokens;
  stats_.generation_tokens_total += gen_tokens;
  if (refresh_memory) {
    stats_.memory_total_bytes = memory.total_bytes;
    stats_.memory_used_bytes = memory.used_bytes;
  }
}

}  // namespace pagoda
