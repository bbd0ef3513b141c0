#include "app/server/generation_job.h"

#include <iterator>
#include <utility>

#include "app/server/protocol.h"  // ApiError

namespace pagoda::server {

void OutputQueue::push(const RequestOutput& out) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    items_.push_back(out);
  }
  cv_.notify_one();
}

std::vector<RequestOutput> OutputQueue::pop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !items_.empty() || closed_; });
  std::vector<RequestOutput> out(std::make_move_iterator(items_.begin()),
                                 std::make_move_iterator(items_.end()));
  items_.clear();
  return out;
}

void OutputQueue::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool OutputQueue::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

GenerationJob::GenerationJob(std::shared_ptr<Engine> engine, std::string id)
    : engine_(std::move(engine)), id_(std::move(id)) {}

GenerationJob::~GenerationJob() {
  if (!done()) {
    for (const auto& eid : engine_ids_) engine_->abort(eid);
  }
}

void GenerationJob::submit(std::vector<int32_t> prompt_ids, const SamplingParams& params) {
  std::lock_guard lock(mu_);
  if (cancelled_)
    throw ApiError(503, "the request was aborted: the server is stopping or the model was unloaded",
                   "service_unavailable");
  std::string eid = id_ + "-" + std::to_string(engine_ids_.size());
  prompt_index_[eid] = static_cast<int>(engine_ids_.size());
  // The callback owns the queue, so outputs that arrive after the job is gone are harmless.
  std::shared_ptr<OutputQueue> queue = queue_;
  engine_->add_request(eid, std::move(prompt_ids), params,
                       [queue](const RequestOutput& out) { queue->push(out); });
  engine_ids_.push_back(eid);
  n_per_prompt_.push_back(params.n);
  expected_ += params.n;
}

int GenerationJob::prompt_of(const RequestOutput& out) const {
  auto it = prompt_index_.find(out.request_id);
  return it == prompt_index_.end() ? -1 : it->second;
}

int GenerationJob::choice_index(const RequestOutput& out) const {
  int p = prompt_of(out);
  if (p < 0) return -1;
  int base = 0;
  for (int i = 0; i < p; ++i) base += n_per_prompt_[i];
  return base + out.index;
}

void GenerationJob::mark_finished(const RequestOutput& out) {
  if (out.finish == FinishReason::None) return;
  if (finished_set_.insert(choice_index(out)).second) ++finished_;
}

void GenerationJob::cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  queue_->close();
  for (const auto& eid : engine_ids_) engine_->abort(eid);
}

void JobRegistry::add(const std::shared_ptr<GenerationJob>& job) {
  std::lock_guard lock(mu_);
  jobs_[job.get()] = job;
}

void JobRegistry::remove(const GenerationJob* job) {
  std::lock_guard lock(mu_);
  jobs_.erase(job);
}

void JobRegistry::cancel_all() {
  std::vector<std::shared_ptr<GenerationJob>> live;
  {
    std::lock_guard lock(mu_);
    for (auto& [k, w] : jobs_)
      if (auto j = w.lock()) live.push_back(j);
  }
  // cancel() only touches the engine's thread-safe abort and the queue; safe from here.
  for (auto& j : live) j->cancel();
}

int JobRegistry::size() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(jobs_.size());
}

}  // namespace pagoda::server
