#pragma once
// A stand-in Engine for server tests: the real tokenizer and chat template of a model folder,
// but canned replies ("You said: <last user message>") streamed one token per step, with
// n, max_tokens, stop strings, logprobs, abort and KV-block accounting like the real engine.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <optional>
#include <map>
#include <mutex>
#include <thread>

#include "engine/core/engine.h"

namespace pagoda::testing {

class FakeEngine : public Engine {
 public:
  explicit FakeEngine(const std::filesystem::path& model_dir,
                      std::chrono::microseconds step_delay = std::chrono::microseconds(500),
                      int max_model_len = 512);
  ~FakeEngine() override;

  void add_request(const std::string& request_id, std::vector<int32_t> prompt_ids,
                   const SamplingParams& params, OutputCallback callback) override;
  void abort(const std::string& request_id) override;
  EngineStats stats() const override;
  bool step() override { return false; }
  bool has_unfinished() const override;
  const ModelConfig& model_config() const override { return config_; }
  const GenerationDefaults& generation_defaults() const override { return defaults_; }
  const Tokenizer& tokenizer() const override { return *tokenizer_; }
  const ChatTemplate& chat_template() const override { return template_; }
  int max_model_len() const override { return max_model_len_; }
  std::string model_name() const override { return "fake-model"; }
  std::string backend_note() const override { return "fake"; }
  std::vector<float> prompt_logits(const std::vector<int32_t>&) override { return {}; }

  // The reply the fake gives to a prompt (text, before stop strings and max_tokens).
  std::string reply_for(const std::vector<int32_t>& prompt_ids) const;
  int aborted_count() const { return aborted_; }
  int added_count() const { return added_; }
  // Holds new requests in "waiting" until released (tests of queuing and disconnects).
  void pause(bool paused);
  // Scripted replies (what a real model would write, e.g. tool calls): given the prompt text
  // (special tokens written out), the reply, or nothing for the default "You said: ...". Set
  // before requests arrive.
  using Script = std::function<std::optional<std::string>(const std::string& prompt)>;
  void set_script(Script script) { script_ = std::move(script); }
  // The parameters of the latest request, as the engine received them.
  SamplingParams last_params() const {
    std::lock_guard lock(mu_);
    return last_params_;
  }

 private:
  struct Seq {
    int index = 0;
    std::vector<int32_t> reply;  // token ids, ending with the end-of-sequence id
    size_t pos = 0;
    std::string text;  // emitted so far
    bool done = false;
  };
  struct Req {
    std::string id;
    std::vector<int32_t> prompt;
    SamplingParams params;
    OutputCallback callback;
    std::vector<Seq> seqs;
    bool abort = false;
    std::chrono::steady_clock::time_point arrival;
  };
  void loop();
  int64_t blocks_for(const Req& r) const;

  std::unique_ptr<Tokenizer> tokenizer_;
  ChatTemplate template_;
  ModelConfig config_;
  GenerationDefaults defaults_;
  std::chrono::microseconds step_delay_;
  int max_model_len_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Req> requests_;
  std::atomic<bool> quit_{false};
  std::atomic<bool> paused_{false};
  std::atomic<int> aborted_{0}, added_{0};
  int64_t kv_used_ = 0, prompt_total_ = 0, gen_total_ = 0, finished_total_ = 0;
  Script script_;
  SamplingParams last_params_;
  std::thread thread_;
};

}  // namespace pagoda::testing
