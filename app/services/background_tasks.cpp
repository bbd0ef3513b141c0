#include "app/services/background_tasks.h"

namespace pagoda::app {

BackgroundTasks::BackgroundTasks(QObject* owner, int max_threads, OnDestroy on_destroy)
    : pool_(new QThreadPool), on_destroy_(on_destroy) {
  line_->owner = owner;
  pool_->setMaxThreadCount(max_threads);
}

BackgroundTasks::~BackgroundTasks() {
  {
    std::lock_guard lock(line_->mutex);
    line_->owner = nullptr;
  }
  if (on_destroy_ == OnDestroy::Wait) {
    delete pool_;  // waits for running tasks
    return;
  }
  // Detached: the pool is never destroyed, so never joined; its idle threads expire after the
  // pool's expiry timeout, and nothing reaches the gone owner (see Lifeline).
}

void BackgroundTasks::run(std::function<void()> work) {
  post(std::move(work));
}

void BackgroundTasks::waitForDone() {
  pool_->waitForDone();
}

void BackgroundTasks::post(std::function<void()> task) {
  pool_->start(std::move(task));
}

void BackgroundTasks::Lifeline::deliver(std::function<void()> call) {
  std::lock_guard lock(mutex);
  if (!owner) return;
  // A posted call dies with its receiver, so the owner is alive whenever it runs.
  QMetaObject::invokeMethod(owner, std::move(call), Qt::QueuedConnection);
}

}  // namespace pagoda::app
