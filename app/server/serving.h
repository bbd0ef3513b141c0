#pragma once
// The serving logic behind each route: functions from a request to a response that never throw
// (handle() maps exceptions to OpenAI error JSON). A streaming response is a `next` generator
// that the HTTP layer calls until it returns false.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/core/engine.h"
#include "app/server/metrics.h"
#include "app/server/protocol.h"

namespace pagoda::server {

using ChunkWriter = std::function<bool(const std::string& chunk)>;  // false: client gone

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Streaming (SSE): writes zero or more chunks; returns true while there is more to come.
  // Returning false after a failed write ends the stream; the generator's destruction aborts
  // whatever is still running.
  std::function<bool(const ChunkWriter& write)> next;
};

HttpResponse json_response(int status, const Json& j);
HttpResponse error_response(int status, const std::string& message,
                            const std::string& type = "invalid_request_error",
                            const std::string& param = "", const std::string& code = "");

// Token counts of the request being handled on this HTTP thread, for the request log.
struct RequestTokenCounts {
  int prompt = 0;
  int completion = 0;
};
RequestTokenCounts& thread_request_tokens();

// The outputs of one or more engine requests, from the engine thread to one HTTP thread.
class OutputQueue {
 public:
  void push(const RequestOutput& out);
  // Waits up to `timeout` for at least one output; returns what is queued (maybe nothing).
  std::vector<RequestOutput> pop(std::chrono::milliseconds timeout);
  void close();  // wakes the reader for good (server stopping, engine swapped)
  bool closed() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<RequestOutput> items_;
  bool closed_ = false;
};

// A request's engine requests (one per prompt, each with n sequences). Destruction aborts
// whatever is unfinished, so a dropped client frees its KV blocks.
class GenerationJob {
 public:
  GenerationJob(std::shared_ptr<Engine> engine, std::string id);
  ~GenerationJob();
  // Queues one prompt; throws what Engine::add_request throws.
  void submit(std::vector<int32_t> prompt_ids, const SamplingParams& params);
  std::vector<RequestOutput> wait(std::chrono::milliseconds timeout) {
    return queue_->pop(timeout);
  }
  // Choice index of an output: prompt index * n + sequence index.
  int choice_index(const RequestOutput& out) const;
  int prompt_of(const RequestOutput& out) const;
  void mark_finished(const RequestOutput& out);
  bool done() const { return finished_ == expected_; }
  bool closed() const { return queue_->closed(); }
  // Aborts the engine requests and wakes the reader (from another thread).
  void cancel();
  Engine& engine() const { return *engine_; }
  const std::string& id() const { return id_; }

 private:
  std::shared_ptr<Engine> engine_;
  std::string id_;
  std::mutex mu_;  // engine_ids_ and cancelled_: cancel() comes from other threads
  bool cancelled_ = false;
  std::shared_ptr<OutputQueue> queue_ = std::make_shared<OutputQueue>();
  std::vector<std::string> engine_ids_;
  std::vector<int> n_per_prompt_;
  std::map<std::string, int> prompt_index_;
  std::set<int> finished_set_;
  int expected_ = 0;
  int finished_ = 0;
};

// The in-flight jobs, so that stop() and an engine swap can cancel them.
class JobRegistry {
 public:
  void add(const std::shared_ptr<GenerationJob>& job);
  void remove(const GenerationJob* job);
  void cancel_all();
  int size() const;

 private:
  mutable std::mutex mu_;
  std::map<const GenerationJob*, std::weak_ptr<GenerationJob>> jobs_;
};

// What every route handler sees.
struct ServingContext {
  std::shared_ptr<Engine> engine;  // may be null
  std::string model_name;          // served name
  ServerMetrics* metrics = nullptr;
  JobRegistry* jobs = nullptr;
  const std::atomic<bool>* stopping = nullptr;
  ChatOutputOverrides chat_output;  // --tool-call-parser / --reasoning-parser
  int max_sequences = 256;  // prompts x n of one request
  // True once the client has gone away; polled by non-streaming waits every engine step, so an
  // abandoned request aborts and frees its KV blocks. Empty: never gone.
  std::function<bool()> client_gone;
  // Called once a generation request's input is parsed and tokenized (the HTTP layer limits how
  // many large bodies are parsed at once). Empty: nothing to tell.
  std::function<void()> input_ready;
};

using RouteHandler = std::function<HttpResponse(const ServingContext&, const std::string& body)>;

// Runs a handler and turns any exception into an OpenAI error response.
HttpResponse handle(const RouteHandler& handler, const ServingContext& ctx,
                    const std::string& body);

HttpResponse serve_models(const ServingContext& ctx, const std::string& body);
HttpResponse serve_chat(const ServingContext& ctx, const std::string& body);
HttpResponse serve_completions(const ServingContext& ctx, const std::string& body);
HttpResponse serve_tokenize(const ServingContext& ctx, const std::string& body);
HttpResponse serve_detokenize(const ServingContext& ctx, const std::string& body);
HttpResponse serve_health(const ServingContext& ctx, const std::string& body);
HttpResponse serve_version(const ServingContext& ctx, const std::string& body);
HttpResponse serve_metrics(const ServingContext& ctx, const std::string& body);

}  // namespace pagoda::server
