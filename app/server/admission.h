#pragma once
// Admission of generation and tokenizer requests: at most `slots` run at once; the next `queue`
// wait their turn in arrival order (as vLLM queues requests instead of refusing them); beyond
// that the caller answers 429. Thread-safe; acquire() blocks the calling HTTP thread.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

namespace pagoda::server {

class AdmissionQueue {
 public:
  AdmissionQueue(int slots, int queue) : slots_(slots), queue_limit_(queue) {}

  enum class Result { Admitted, QueueFull, Abandoned };
  // Waits for a slot. `give_up` is polled while waiting (client gone, server stopping): when it
  // returns true the wait ends with Abandoned and no slot is held.
  Result acquire(const std::function<bool()>& give_up,
                 std::chrono::milliseconds poll = std::chrono::milliseconds(50));
  void release();   // gives the slot to the oldest waiter, if any
  void wake_all();  // makes waiters poll give_up now (stop)

  int running() const;
  int waiting() const;

 private:
  struct Waiter {
    bool granted = false;
  };
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int slots_;
  int queue_limit_;
  int running_ = 0;
  std::deque<Waiter*> waiters_;
};

// Holds one slot; releases it when destroyed or on release().
class AdmissionSlot {
 public:
  explicit AdmissionSlot(AdmissionQueue* q = nullptr) : queue_(q) {}
  ~AdmissionSlot() { release(); }
  AdmissionSlot(const AdmissionSlot&) = delete;
  AdmissionSlot& operator=(const AdmissionSlot&) = delete;
  void release() {
    if (queue_) queue_->release();
    queue_ = nullptr;
  }

 private:
  AdmissionQueue* queue_;
};

}  // namespace pagoda::server
