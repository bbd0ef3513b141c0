#pragma once
// The download queue of the library folder for the GUI. Every queue call runs on one worker
// thread in order (the queue writes its state file with fsync), and the queue's callbacks,
// which come on its download threads, arrive here as queued signals. A finished download makes
// the ModelLibrary rescan, so the model shows up on the Models page ready to load.
#include <QList>
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>
#include <functional>
#include <memory>

#include "app/services/background_tasks.h"

namespace pagoda::hub {
class DownloadQueue;
}

namespace pagoda::app {

class AppSettings;
class HubService;
class ModelLibrary;

struct DownloadItem {
  QString id;
  QString model_id;
  QString endpoint;  // HubEndpoint::str()
  QString revision;
  QStringList include;
  QString state;  // queued | running | paused | completed | failed | canceled
  qint64 bytes_done = 0;
  qint64 bytes_total = -1;
  double bytes_per_second = 0;
  double eta_seconds = -1;
  int files_done = 0;
  int files_total = 0;
  QString current_file;
  QString error;
  QString status_message;
  QString model_dir;
};

class DownloadService : public QObject {
  Q_OBJECT
 public:
  DownloadService(AppSettings* settings, HubService* hub, ModelLibrary* library,
                  QObject* parent = nullptr);
  ~DownloadService() override;

  // Why the queue could not be opened (e.g. another process drives this library); empty when ok.
  QString errorString() const { return error_; }
  QString libraryFolder() const { return folder_; }
  QList<DownloadItem> items() const { return items_; }  // in queue order
  DownloadItem item(const QString& id) const;

  // Adds a download from the current hub; the id arrives with enqueued().
  // update: replace a complete library copy (see hub::DownloadRequest::update); without it a
  // complete copy gives enqueueFailed("... is already in the library ...") at once.
  void enqueue(const QString& model_id, const QString& revision = {},
               const QStringList& include = {}, bool update = false);
  void pause(const QString& id);
  void resume(const QString& id);
  void cancel(const QString& id);
  void retry(const QString& id);
  void remove(const QString& id);
  void moveBy(const QString& id, int delta);  // -1: up, +1: down
  void setMaxConcurrent(int n);
  int maxConcurrent() const { return max_concurrent_; }

 signals:
  void enqueued(const QString& id, const QString& model_id);
  void enqueueFailed(const QString& model_id, const QString& error);
  // One item's state or progress changed.
  void itemChanged(const pagoda::app::DownloadItem& item);
  // Items were added, removed or reordered, or the queue was (re)opened.
  void listChanged();
  void completed(const QString& id, const QString& model_dir);

 private:
  void openQueue();
  // Runs fn on the queue thread when the queue is open; fn may throw pagoda::Error.
  void onQueue(std::function<void(hub::DownloadQueue&)> fn);
  void refreshList();
  void applyItem(const DownloadItem& item);

  AppSettings* settings_;
  HubService* hub_;
  ModelLibrary* library_;
  QString folder_;
  QString error_;
  std::shared_ptr<hub::DownloadQueue> queue_;  // touched on the queue thread only
  QList<DownloadItem> items_;
  int max_concurrent_ = 2;  // DownloadQueueOptions' default
  // One thread, so queue calls stay in order; declared last, so it is joined first.
  BackgroundTasks queue_tasks_{this, 1};
};

}  // namespace pagoda::app

Q_DECLARE_METATYPE(pagoda::app::DownloadItem)
