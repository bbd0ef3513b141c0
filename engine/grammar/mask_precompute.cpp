#include "engine/grammar/mask_precompute.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace pagoda::grammar {

// One queue of (job, state) for every grammar, served by pool_threads() threads that start with
// the first job and run at a lower priority (nice 10), so that a busy step keeps its cores.
class PrecomputePool {
 public:
  // Never destroyed: grammars in static caches cancel their jobs at exit, after the statics
  // made later (the pool among them) would be gone.
  static PrecomputePool& get() {
    static PrecomputePool* pool = new PrecomputePool;
    return *pool;
  }
  void submit(const std::shared_ptr<MaskPrecompute>& job, int32_t state, bool first) {
    {
      std::lock_guard lock(mu_);
      if (!started_) {  // detached: at exit they only wait for work
        started_ = true;
        for (int i = 0; i < MaskPrecompute::pool_threads(); ++i)
          std::thread([this] { work(); }).detach();
      }
      push(job, state, first);
    }
    work_cv_.notify_all();
  }

  void cancel(MaskPrecompute& job) {
    std::unique_lock lock(mu_);
    job.cancelled_ = true;
    drop_queued(job);
    done_cv_.wait(lock, [&] { return job.running_ == 0; });
    finish(job);
  }

  MaskPrecompute::Progress progress(const MaskPrecompute& job) {
    std::lock_guard lock(mu_);
    return progress_locked(job);
  }

  MaskPrecompute::Progress wait(const MaskPrecompute& job, double timeout_s) {
    std::unique_lock lock(mu_);
    done_cv_.wait_for(lock, std::chrono::duration<double>(timeout_s),
                      [&] { return job.finished_; });
    return progress_locked(job);
  }

 private:
  struct Item {
    std::shared_ptr<MaskPrecompute> job;
    int32_t state;
    bool first;
  };

  void push(const std::shared_ptr<MaskPrecompute>& job, int32_t state, bool first) {
    uint8_t& seen = job->queued_or_done_[static_cast<size_t>(state) * 2 + first];
    if (seen) return;
    seen = 1;
    ++job->queued_;
    queue_.push_back({job, state, first});
  }

  void drop_queued(MaskPrecompute& job) {
    std::erase_if(queue_, [&](const Item& it) { return it.job.get() == &job; });
    job.queued_ = 0;
  }

  void finish(MaskPrecompute& job) {
    if (job.finished_ || job.queued_ != 0 || job.running_ != 0) return;
    job.finished_ = true;
    job.ended_ = MaskPrecompute::Clock::now();
    done_cv_.notify_all();
  }

  MaskPrecompute::Progress progress_locked(const MaskPrecompute& job) const {
    const auto end = job.finished_ ? job.ended_ : MaskPrecompute::Clock::now();
    return {job.states_, job.finished_, job.budget_spent_,
            std::chrono::duration<double>(end - job.started_).count()};
  }

  void work() {
#ifdef __linux__
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);  // best effort
#endif
    std::vector<int32_t> successors;
    for (;;) {
      Item item;
      {
        std::unique_lock lock(mu_);
        work_cv_.wait(lock, [&] { return !queue_.empty(); });
        item = std::move(queue_.front());
        queue_.pop_front();
        --item.job->queued_;
        ++item.job->running_;
      }
      run(item, successors);
    }
  }

  void run(const Item& item, std::vector<int32_t>& successors) {
    MaskPrecompute& job = *item.job;
    const Dfa& dfa = job.dfa_;
    successors.clear();
    for (int c = 0; c < dfa.num_classes(); ++c)
      if (const int32_t next = dfa.next_by_class(item.state, c); next != Dfa::kDead)
        successors.push_back(next);
    // cancel() waits for running_ to reach 0, so compute (and the grammar behind it) is alive.
    const bool stored = job.compute_(item.state, item.first);
    bool pushed = false;
    {
      std::lock_guard lock(mu_);
      --job.running_;
      ++job.states_;
      if (!stored) {
        job.budget_spent_ = true;
        drop_queued(job);
      } else if (!job.cancelled_) {
        for (int32_t next : successors) push(item.job, next, false);
        pushed = !successors.empty();
      }
      if (job.running_ == 0) done_cv_.notify_all();  // cancel() may wait for it
      finish(job);
    }
    if (pushed) work_cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<Item> queue_;
  bool started_ = false;
};

MaskPrecompute::MaskPrecompute(const Dfa& dfa, std::shared_ptr<const TokenVocabulary> vocab,
                               Compute compute)
    : dfa_(dfa),
      vocab_(std::move(vocab)),
      compute_(std::move(compute)),
      queued_or_done_(static_cast<size_t>(dfa.num_states()) * 2, 0),
      started_(Clock::now()) {}

MaskPrecompute::~MaskPrecompute() = default;

std::shared_ptr<MaskPrecompute> MaskPrecompute::start(const Dfa& dfa,
                                                      std::shared_ptr<const TokenVocabulary> vocab,
                                                      Compute compute) {
  const bool first = vocab->distinguishes_first();
  std::shared_ptr<MaskPrecompute> job(
      new MaskPrecompute(dfa, std::move(vocab), std::move(compute)));
  PrecomputePool::get().submit(job, 0, first);
  return job;
}

void MaskPrecompute::cancel() {
  PrecomputePool::get().cancel(*this);
}

MaskPrecompute::Progress MaskPrecompute::progress() const {
  return PrecomputePool::get().progress(*this);
}

MaskPrecompute::Progress MaskPrecompute::wait(double timeout_s) const {
  return PrecomputePool::get().wait(*this, timeout_s);
}

int MaskPrecompute::pool_threads() {
  if (const char* env = std::getenv("PAGODA_GRAMMAR_PRECOMPUTE_THREADS"))
    if (const int n = std::atoi(env); n > 0) return std::min(n, 64);
  return static_cast<int>(std::clamp(std::thread::hardware_concurrency() / 2, 1u, 8u));
}

}  // namespace pagoda::grammar
