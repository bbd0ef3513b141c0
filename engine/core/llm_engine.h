#pragma once
// The concrete Engine, on its own thread (or on the caller's with start_thread=false). One step:
// schedule -> backend.launch (the forward pass starts) -> while it runs: deliver the previous
// step's outputs and stats, compute this step's grammar masks -> backend.finish (sampling) ->
// postprocess. A step's outputs go out during the next step's forward pass, or at once when no
// step follows. Other threads only touch the inbox (new requests, aborts) and the stats snapshot,
// each under its own mutex; everything else belongs to the step (the mask pool's threads only
// fill masks inside fill_masks).
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "engine/backend/backend.h"
#include "engine/core/block_manager.h"
#include "engine/core/engine.h"
#include "engine/core/scheduler.h"
#include "engine/core/sequence_output.h"
#include "engine/cpu/thread_pool.h"
#include "engine/grammar/grammar.h"
#include "engine/model/weights.h"

namespace pagoda {

class LlmEngine final : public Engine {
 public:
  struct Parts {  // what Engine::load gathered
    EngineConfig config;
    ModelConfig model;
    GenerationDefaults defaults;
    WeightStore weights;
    std::unique_ptr<Tokenizer> tokenizer;
    ChatTemplate chat_template;
    std::unique_ptr<Backend> backend;
    std::string backend_note;
    int64_t num_kv_blocks = 0;
    int max_model_len = 0;
  };
  explicit LlmEngine(Parts parts);
  ~LlmEngine() override;

  void add_request(const std::string& request_id, std::vector<int32_t> prompt_ids,
                   const SamplingParams& params, OutputCallback callback) override;
  void abort(const std::string& request_id) override;
  EngineStats stats() const override;
  bool step() override;
  bool has_unfinished() const override;

  const ModelConfig& model_config() const override { return parts_.model; }
  const GenerationDefaults& generation_defaults() const override { return parts_.defaults; }
  const Tokenizer& tokenizer() const override { return *parts_.tokenizer; }
  const ChatTemplate& chat_template() const override { return parts_.chat_template; }
  int max_model_len() const override { return parts_.max_model_len; }
  std::string model_name() const override;
  std::string backend_note() const override { return parts_.backend_note; }
  std::vector<float> prompt_logits(const std::vector<int32_t>& prompt_ids) override;

 private:
  using Clock = std::chrono::steady_clock;
  struct Request {
    std::string id;
    SamplingParams params;
    OutputCallback callback;
    std::vector<int32_t> prompt;
    uint64_t seed = 0;
    Clock::time_point arrival;
    int num_unfinished = 0;
    std::vector<int64_t> seq_ids;
    std::vector<float>* logits_out = nullptr;  // prompt_logits
    std::shared_ptr<const grammar::Grammar> grammar;  // structured output, compiled once
  };
  struct SeqState {
    std::shared_ptr<Request> request;
    int index = 0;
    std::unique_ptr<SequenceOutput> output;
    Clock::time_point first_scheduled, first_token;
    bool scheduled = false;
    std::unique_ptr<grammar::GrammarMatcher> matcher;  // structured output only
    std::vector<uint32_t> mask;                         // this step's allowed tokens
  };
  struct WindowEntry {
    Clock::time_point start, end;
    int64_t prompt_tokens, generation_tokens;
  };
  using Emit = std::pair<OutputCallback, RequestOutput>;

  void validate(const std::vector<int32_t>& prompt_ids, const SamplingParams& params) const;
  void enqueue(std::shared_ptr<Request> request);
  // A step's batch as the backend sees it, with the storage its spans point into.
  struct StepBatch {
    StepInput input;
    std::vector<std::vector<int32_t>> banned;  // per chunk
    std::vector<SeqState*> constrained;        // rows whose masks are filled after launch
    int64_t prompt_tokens = 0;
  };
  // What a step adds to the stats; recorded together with its outputs' delivery.
  struct StepTally {
    bool pending = false;
    Clock::time_point start;
    int64_t prompt_tokens = 0, gen_tokens = 0;
  };

  bool step_locked();
  void build_batch(const SchedulerOutput& sched, Clock::time_point start, StepBatch& batch);
  // launch, deliver the previous step's outputs, fill masks, finish, postprocess.
  void run_batch(const SchedulerOutput& sched, StepBatch& batch, StepTally& tally);
  // Records the undelivered step's stats, then runs the undelivered callbacks in order.
  void deliver();
  void record_tally();  // the undelivered step's stats, if not recorded yet
  void drain_inbox(std::vector<Emit>& emits);
  void admit(const std::shared_ptr<Request>& request);
  void abort_request(const std::string& request_id, FinishReason reason, const std::string& error,
                     std::vector<Emit>& emits);
  void postprocess(const SchedulerOutput& sched, const StepInput& input, const StepOutput& output,
                   std::vector<Emit>& emits);
  void finish_seq(int64_t seq_id, RequestOutput& out);
  RequestOutput make_output(const SeqState& state, const Sequence& seq) const;
  SamplingRow sampling_row(const Sequence& seq, const SeqState& state,
                           std::vector<int32_t>& banned_storage) const;
  // The token vocabulary of constrained decoding, built on first use (any thread).
  std::shared_ptr<const grammar::TokenVocabulary> token_vocabulary();
  // Fills the masks of the step's constrained rows (in parallel when there are many), in place:
  // the StepInput's allowed_tokens already point at them.
  void fill_masks(const std::vector<SeqState*>& states);
  // Advances a sequence's matcher by its sampled token; false when the grammar rejects it.
  bool advance_grammar(SeqState& state, int32_t token);
  void record_step(Clock::time_point start, int64_t prompt_tokens, int64_t gen_tokens);
  void run_loop();

  Parts parts_;
  std::vector<int32_t> eos_ids_;
  BlockManager blocks_;
  Scheduler scheduler_;
  std::unordered_map<std::string, std::shared_ptr<Request>> requests_;  // step-owned
  std::unordered_map<int64_t, SeqState> seqs_;                          // step-owned
  int64_t next_seq_id_ = 0;
  // Outputs made but not yet handed to their callbacks, in order (step-owned), and their stats.
  std::vector<Emit> undelivered_;
  StepTally unrecorded_;

  mutable std::mutex inbox_mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Request>> inbox_;
  std::vector<std::string> abort_inbox_;
  std::unordered_set<std::string> active_ids_;  // queued or running, for duplicate checks
  bool stopping_ = false;
  bool has_work_ = false;  // written by the step, read by the loop's wait

  std::mutex step_mutex_;  // one step at a time (the thread, or callers of step())

  mutable std::mutex stats_mutex_;
  EngineStats stats_;
  std::deque<WindowEntry> window_;
  Clock::time_point last_memory_refresh_{};  // step-owned
  std::atomic<int64_t> logits_counter_{0};
  std::mutex vocab_mutex_;
  std::shared_ptr<const grammar::TokenVocabulary> token_vocab_;
  std::unique_ptr<cpu::ThreadPool> mask_pool_;  // step-owned; made at the first constrained step
  std::thread thread_;
};

}  // namespace pagoda
