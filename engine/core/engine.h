#pragma once
// The Engine API that the app, the server and the CLI all use. An Engine owns a loaded model, a
// backend, the KV-cache manager and the scheduler, and runs its step loop on its own thread.
// Callbacks are invoked on the engine thread with plain values (copy them; hand them to Qt with a
// queued connection). Every public method is thread-safe.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/chat/chat_template.h"
#include "engine/core/sampling_params.h"
#include "engine/model/model_config.h"
#include "engine/tokenizer/tokenizer.h"

namespace pagoda {

struct EngineConfig {
  std::filesystem::path model_dir;
  std::string device = "auto";  // auto | cpu | cuda
  int block_size = 16;
  int max_num_seqs = 256;
  int max_num_batched_tokens = 8192;
  int max_model_len = 0;  // 0: the model's max_position_embeddings (capped by the KV cache)
  bool enable_prefix_caching = true;
  double gpu_memory_utilization = 0.90;
  size_t cpu_kv_cache_bytes = 1ull << 30;
  int num_threads = 0;  // CPU backend: 0 = all cores
  int64_t num_kv_blocks_override = 0;  // tests: force a small cache to exercise preemption
  bool start_thread = true;            // false: the caller drives step() (tests)
};

enum class FinishReason { None, Stop, Length, Abort, Error };
const char* finish_reason_name(FinishReason r);  // "stop", "length", "abort", "error"

struct TokenLogprob {
  int32_t token_id = 0;
  float logprob = 0.0f;
  std::vector<std::pair<int32_t, float>> top;  // top-k alternatives, best first
};

struct RequestTiming {
  double queued_s = 0;   // arrival to first scheduled
  double ttft_s = 0;     // arrival to first token
  double decode_s = 0;   // first token to last
  double e2e_s = 0;      // arrival to finish
};

// One streamed update of one output sequence (index < n) of a request.
struct RequestOutput {
  std::string request_id;
  int index = 0;
  std::string text_delta;              // new text (never half a UTF-8 character)
  std::vector<int32_t> token_ids;      // new token ids
  std::vector<TokenLogprob> logprobs;  // one per new token when requested
  FinishReason finish = FinishReason::None;
  std::string stop_reason;  // the stop string or token id that matched, if any
  std::string error;        // set with FinishReason::Error
  int prompt_tokens = 0;
  int completion_tokens = 0;  // so far, for this index
  int cached_prompt_tokens = 0;
  RequestTiming timing;       // filled when finish != None
};
using OutputCallback = std::function<void(const RequestOutput&)>;

struct EngineStats {
  std::string backend;  // "cpu" / "cuda"
  std::string device;
  int num_running = 0;
  int num_waiting = 0;
  int64_t kv_blocks_total = 0;
  int64_t kv_blocks_used = 0;
  double kv_usage = 0;  // 0..1
  int64_t prefix_cache_queries = 0;  // tokens
  int64_t prefix_cache_hits = 0;     // tokens
  int64_t num_preemptions = 0;
  int64_t prompt_tokens_total = 0;
  int64_t generation_tokens_total = 0;
  int64_t requests_finished = 0;
  double prompt_tokens_per_s = 0;      // recent window
  double generation_tokens_per_s = 0;  // recent window
  size_t memory_total_bytes = 0;
  size_t memory_used_bytes = 0;
  // Constrained decoding, since the engine started: steps that filled masks, the masks, those
  // computed rather than copied from the grammar's cache (cold), steps with a cold mask, the
  // most cold masks of one step, and the time the step's masks took (the step waits for them
  // when they outlast its forward pass): total and longest.
  int64_t mask_steps = 0;
  int64_t masks = 0;
  int64_t cold_masks = 0;
  int64_t cold_mask_steps = 0;
  int64_t max_cold_masks_per_step = 0;
  double mask_fill_ms_total = 0;
  double mask_fill_ms_max = 0;
};

class Engine {
 public:
  // Loads the model folder and picks a backend; blocking (call off the GUI thread).
  // Throws pagoda::Error with a reason a person can act on.
  static std::unique_ptr<Engine> load(const EngineConfig& config);
  virtual ~Engine() = default;

  // Queues a request; InvalidArgument for an empty prompt or one longer than the context. The
  // callback runs on the engine thread, in order, until each index got finish != None: a step's
  // outputs during the next step's forward pass, or before step() returns if no step follows.
  virtual void add_request(const std::string& request_id, std::vector<int32_t> prompt_ids,
                           const SamplingParams& params, OutputCallback callback) = 0;
  // Aborts (a finish=Abort output follows). Unknown ids are ignored.
  virtual void abort(const std::string& request_id) = 0;
  virtual EngineStats stats() const = 0;
  // Runs one scheduler step on the calling thread (only when start_thread was false).
  // Returns false when there was nothing to do.
  virtual bool step() = 0;
  virtual bool has_unfinished() const = 0;

  virtual const ModelConfig& model_config() const = 0;
  virtual const GenerationDefaults& generation_defaults() const = 0;
  virtual const Tokenizer& tokenizer() const = 0;
  virtual const ChatTemplate& chat_template() const = 0;
  virtual int max_model_len() const = 0;
  virtual std::string model_name() const = 0;  // folder name
  // Which backend was chosen and why (e.g. "CUDA unavailable: no NVIDIA driver; using CPU").
  virtual std::string backend_note() const = 0;

  // Raw logits of the last prompt position (tests and `pagoda-cli logits`); runs synchronously
  // through the scheduler like any request.
  virtual std::vector<float> prompt_logits(const std::vector<int32_t>& prompt_ids) = 0;
};

}  // namespace pagoda
