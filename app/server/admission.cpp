#include "app/server/admission.h"

#include <algorithm>

namespace pagoda::server {

AdmissionQueue::Result AdmissionQueue::acquire(const std::function<bool()>& give_up,
                                               std::chrono::milliseconds poll) {
  std::unique_lock lock(mu_);
  if (running_ < slots_ && waiters_.empty()) {
    ++running_;
    return Result::Admitted;
  }
  if (static_cast<int>(waiters_.size()) >= queue_limit_) return Result::QueueFull;
  Waiter me;
  waiters_.push_back(&me);
  while (!me.granted) {
    cv_.wait_for(lock, poll);
    if (me.granted) break;
    lock.unlock();
    bool stop = give_up && give_up();
    lock.lock();
    if (stop && !me.granted) {
      waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &me));
      return Result::Abandoned;
    }
  }
  return Result::Admitted;  // release() counted the slot for us
}

void AdmissionQueue::release() {
  {
    std::lock_guard lock(mu_);
    if (!waiters_.empty()) {
      waiters_.front()->granted = true;  // the slot passes on: running_ stays
      waiters_.pop_front();
    } else {
      --running_;
    }
  }
  cv_.notify_all();
}

void AdmissionQueue::wake_all() {
  cv_.notify_all();
}

int AdmissionQueue::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

int AdmissionQueue::waiting() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(waiters_.size());
}

}  // namespace pagoda::server
