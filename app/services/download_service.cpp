#include "services/download_service.h"

#include <QPointer>
#include <algorithm>
#include <exception>

#include "hub/download_queue.h"
#include "services/app_settings.h"
#include "services/hub_service.h"
#include "services/model_library.h"

namespace pagoda::app {
namespace {

QString q(const std::string& s) {
  return QString::fromStdString(s);
}

void copyProgress(const hub::DownloadProgress& p, DownloadItem& item) {
  item.bytes_done = p.bytes_done;
  item.bytes_total = p.bytes_total;
  item.bytes_per_second = p.bytes_per_second;
  item.eta_seconds = p.eta_seconds;
  item.files_done = p.files_done;
  item.files_total = p.files_total;
  item.current_file = q(p.current_file);
}

DownloadItem toQt(const hub::DownloadInfo& info) {
  DownloadItem item;
  item.id = q(info.id);
  item.model_id = q(info.request.model_id);
  item.endpoint = q(info.request.endpoint.str());
  item.revision = q(info.request.revision);
  for (const std::string& glob : info.request.include) item.include << q(glob);
  item.state = QString::fromLatin1(hub::download_state_name(info.state));
  copyProgress(info.progress, item);
  item.error = q(info.error);
  item.status_message = q(info.status_message);
  item.model_dir = QString::fromStdString(info.model_dir.string());
  return item;
}

}  // namespace

DownloadService::DownloadService(AppSettings* settings, HubService* hub, ModelLibrary* library,
                                 QObject* parent)
    : QObject(parent), settings_(settings), hub_(hub), library_(library) {
  qRegisterMetaType<DownloadItem>();
  queue_thread_.setMaxThreadCount(1);
  queue_thread_.setExpiryTimeout(-1);
  openQueue();
  connect(settings_, &AppSettings::modelsFoldersChanged, this, [this] {
    if (settings_->modelsFolder() != folder_) openQueue();
  });
}

DownloadService::~DownloadService() {
  // Stops the download threads (partial files stay and resume next time).
  queue_thread_.start([this] { queue_.reset(); });
  queue_thread_.waitForDone();
}

DownloadItem DownloadService::item(const QString& id) const {
  for (const DownloadItem& item : items_)
    if (item.id == id) return item;
  return {};
}

void DownloadService::openQueue() {
  folder_ = settings_->modelsFolder();
  error_.clear();
  items_.clear();
  emit listChanged();
  QPointer<DownloadService> self(this);
  // Qt's system proxy (read here, on the GUI thread) for the hub's requests.
  const hub::HttpOptions http =
      hub_ ? HubService::httpOptionsFor(hub::HubEndpoint::parse(hub_->endpointText().toStdString()))
           : hub::HttpOptions{};
  queue_thread_.start([self, target = this, folder = folder_.toStdString(), hub = hub_,
                       max_concurrent = max_concurrent_, http] {
    target->queue_.reset();
    hub::DownloadQueueOptions options;
    options.library_dir = folder;
    options.max_concurrent = max_concurrent;
    options.http = http;
    options.token_for = [hub](const hub::HubEndpoint& endpoint) {
      return hub ? hub->tokenFor(endpoint.str()) : std::string();
    };
    QString error;
    try {
      target->queue_ = std::make_shared<hub::DownloadQueue>(options);
    } catch (const std::exception& e) {
      error = q(e.what());
    }
    if (target->queue_) {
      // Worker threads: copy the values and hop to the GUI thread.
      target->queue_->set_callbacks(
          [self, target](const hub::DownloadInfo& info) {
            const DownloadItem item = toQt(info);
            QMetaObject::invokeMethod(
                target,
                [self, item] {
                  if (self) self->applyItem(item);
                },
                Qt::QueuedConnection);
          },
          [self, target](const std::string& id, const hub::DownloadProgress& p) {
            DownloadItem progress;
            progress.id = q(id);
            copyProgress(p, progress);
            QMetaObject::invokeMethod(
                target,
                [self, progress] {
                  if (!self) return;
                  DownloadItem item = self->item(progress.id);
                  // A last chunk may report after a pause; the state change carries the totals.
                  if (item.id.isEmpty() || item.state != "running") return;
                  item.bytes_done = progress.bytes_done;
                  item.bytes_total = progress.bytes_total;
                  item.bytes_per_second = progress.bytes_per_second;
                  item.eta_seconds = progress.eta_seconds;
                  item.files_done = progress.files_done;
                  item.files_total = progress.files_total;
                  item.current_file = progress.current_file;
                  self->applyItem(item);
                },
                Qt::QueuedConnection);
          });
    }
    QMetaObject::invokeMethod(
        target,
        [self, error] {
          if (!self) return;
          self->error_ = error;
          self->refreshList();
        },
        Qt::QueuedConnection);
  });
}

void DownloadService::onQueue(std::function<void(hub::DownloadQueue&)> fn) {
  QPointer<DownloadService> self(this);
  queue_thread_.start([self, target = this, fn = std::move(fn)] {
    if (!target->queue_) return;
    QString error;
    try {
      fn(*target->queue_);
    } catch (const std::exception& e) {
      error = q(e.what());
    }
    if (!error.isEmpty())
      QMetaObject::invokeMethod(
          target,
          [self, error] {
            if (self) self->error_ = error;
          },
          Qt::QueuedConnection);
  });
  refreshList();
}

// Reads the whole list on the queue thread (after the calls queued before it) and replaces the
// GUI copy.
void DownloadService::refreshList() {
  QPointer<DownloadService> self(this);
  queue_thread_.start([self, target = this] {
    QList<DownloadItem> items;
    if (target->queue_)
      for (const hub::DownloadInfo& info : target->queue_->list()) items << toQt(info);
    QMetaObject::invokeMethod(
        target,
        [self, items] {
          if (!self) return;
          self->items_ = items;
          emit self->listChanged();
        },
        Qt::QueuedConnection);
  });
}

void DownloadService::applyItem(const DownloadItem& item) {
  auto it = std::find_if(items_.begin(), items_.end(),
                         [&](const DownloadItem& known) { return known.id == item.id; });
  if (it == items_.end()) {
    refreshList();  // a download this copy has not seen yet
    return;
  }
  const bool finished_now = item.state == "completed" && it->state != "completed";
  *it = item;
  emit itemChanged(item);
  if (finished_now) {
    if (library_) library_->rescan();
    emit completed(item.id, item.model_dir);
  }
}

void DownloadService::enqueue(const QString& model_id, const QString& revision,
                              const QStringList& include, bool update) {
  hub::DownloadRequest request;
  request.model_id = model_id.trimmed().toStdString();
  request.endpoint = hub::HubEndpoint::parse(hub_->endpointText().toStdString());
  request.revision = revision.toStdString();
  for (const QString& glob : include) request.include.push_back(glob.toStdString());
  request.update = update;
  QPointer<DownloadService> self(this);
  queue_thread_.start([self, target = this, request, model_id] {
    QString id, error;
    if (!target->queue_) {
      error = tr("The download queue is not open.");
    } else {
      try {
        id = q(target->queue_->enqueue(request));
      } catch (const std::exception& e) {
        error = q(e.what());
      }
    }
    QMetaObject::invokeMethod(
        target,
        [self, id, error, model_id] {
          if (!self) return;
          if (error.isEmpty())
            emit self->enqueued(id, model_id);
          else
            emit self->enqueueFailed(model_id, error);
        },
        Qt::QueuedConnection);
  });
  refreshList();
}

void DownloadService::pause(const QString& id) {
  onQueue([id = id.toStdString()](hub::DownloadQueue& queue) { queue.pause(id); });
}

void DownloadService::resume(const QString& id) {
  onQueue([id = id.toStdString()](hub::DownloadQueue& queue) { queue.resume(id); });
}

void DownloadService::cancel(const QString& id) {
  onQueue([id = id.toStdString()](hub::DownloadQueue& queue) { queue.cancel(id); });
}

void DownloadService::retry(const QString& id) {
  onQueue([id = id.toStdString()](hub::DownloadQueue& queue) { queue.retry(id); });
}

void DownloadService::remove(const QString& id) {
  onQueue([id = id.toStdString()](hub::DownloadQueue& queue) { queue.remove(id); });
}

void DownloadService::moveBy(const QString& id, int delta) {
  onQueue([id = id.toStdString(), delta](hub::DownloadQueue& queue) {
    const std::vector<hub::DownloadInfo> list = queue.list();
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].id != id) continue;
      const long target =
          std::clamp<long>(static_cast<long>(i) + delta, 0, static_cast<long>(list.size()) - 1);
      queue.move_to(id, static_cast<size_t>(target));
      return;
    }
  });
}

void DownloadService::setMaxConcurrent(int n) {
  max_concurrent_ = n;
  onQueue([n](hub::DownloadQueue& queue) { queue.set_max_concurrent(n); });
}

}  // namespace pagoda::app
