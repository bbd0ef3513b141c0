#pragma once
// The one way the Qt services run short work off the GUI thread: run() executes `work` on a
// worker pool and hands what it returns to `deliver` on the owner's thread (queued), unless the
// owner is gone by then. Long-lived, stateful workers (the engine, the API server) keep a QThread
// of their own; everything one-shot (hub requests, library scans, queue calls) goes through here.
//
// Threading: construct, call run() and destroy on the owner's thread. `work` runs on a pool
// thread and must not touch the owner's GUI-thread state (a one-thread owner may keep state that
// only its work touches, as the download queue does); `deliver` runs on the owner's thread, only
// while it lives.
#include <QMetaObject>
#include <QObject>
#include <QThreadPool>
#include <functional>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

namespace pagoda::app {

class BackgroundTasks {
 public:
  enum class OnDestroy {
    Wait,    // the destructor waits for running work (it may use the owner's members' copies)
    Detach,  // running work finishes on its own (a network call stalled at quit); nothing is
             // delivered after the owner is gone
  };

  // max_threads 1 keeps the calls in the order they were made.
  BackgroundTasks(QObject* owner, int max_threads, OnDestroy on_destroy = OnDestroy::Wait);
  ~BackgroundTasks();
  BackgroundTasks(const BackgroundTasks&) = delete;
  BackgroundTasks& operator=(const BackgroundTasks&) = delete;

  // Runs work() on the pool, then deliver(result) on the owner's thread.
  template <class Work, class Deliver>
  void run(Work work, Deliver deliver) {
    using Result = std::invoke_result_t<Work>;
    post([line = line_, work = std::move(work), deliver = std::move(deliver)]() mutable {
      if constexpr (std::is_void_v<Result>) {
        work();
        line->deliver([deliver = std::move(deliver)]() mutable { deliver(); });
      } else {
        line->deliver(
            [deliver = std::move(deliver), r = work()]() mutable { deliver(std::move(r)); });
      }
    });
  }
  // Runs work() on the pool with nothing to deliver.
  void run(std::function<void()> work);

  // Waits for every started task (tests, shutdown).
  void waitForDone();

 private:
  // Whether the owner still lives; held while posting, so the owner cannot die mid-post.
  struct Lifeline {
    std::mutex mutex;
    QObject* owner = nullptr;
    void deliver(std::function<void()> call);
  };
  void post(std::function<void()> task);

  std::shared_ptr<Lifeline> line_ = std::make_shared<Lifeline>();
  QThreadPool* pool_;  // deleted (joined) on destruction unless detached, then leaked
  OnDestroy on_destroy_;
};

}  // namespace pagoda::app
