#pragma once
// The server's side of engine requests: a generation job (one HTTP request's engine requests,
// one per prompt) with the queue its outputs arrive in, and the registry of jobs in flight.
// The engine thread pushes outputs; one HTTP thread reads a job; cancel() and the registry may
// be called from any thread.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/core/engine.h"

namespace pagoda::server {

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

}  // namespace pagoda::server
