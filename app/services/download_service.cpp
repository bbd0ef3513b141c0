#include "app/services/download_service.h"

#include <QPointer>
#include <algorithm>
#include <exception>

#include "app/hub/download_queue.h"
#include "app/services/app_settings.h"
#include "app/services/hub_service.h"
#include "app/services/model_library.h"

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
  openQueue();
  connect(settings_, &AppSettings::modelsFoldersChanged, this, [this] {
    if (settings_->modelsFolder() != folder_) openQueue();
  });
}

DownloadService::~DownloadService() {
  // Stops the download threads (partial files stay and resume next time).
  queue_tasks_.run([this] { queue_.reset(); });
  queue_tasks_.waitForDone();
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
  queue_tasks_.run(
      [self, target = this, folder = folder_.toStdString(), hub = hub_,
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
                // hub::DownloadProgress holds plain values: a copy crosses threads.
                QMetaObject::invokeMethod(
                    target,
                    [self, id = q(id), p] {
                      if (!self) return;
                      DownloadItem item = self->item(id);
                      // A last chunk may report after a pause; the state change carries the totals.
                      if (item.id.isEmpty() || item.state != "running") return;
                      copyProgress(p, item);
                      self->applyItem(item);
                    },
                    Qt::QueuedConnection);
              });
        }
        return error;
      },
      [this](const QString& error) {
        error_ = error;
        refreshList();
      });
}

void DownloadService::onQueue(std::function<void(hub::DownloadQueue&)> fn) {
  queue_tasks_.run(
      [this, fn = std::move(fn)] {
        QString error;
        if (!queue_) return error;
        try {
          fn(*queue_);
        } catch (const std::exception& e) {
          error = q(e.what());
        }
        return error;
      },
      [this](const QString& error) {
        if (!error.isEmpty()) error_ = error;
      });
  refreshList();
}

// Reads the whole list on the queue thread (after the calls queued before it) and replaces the
// GUI copy.
void DownloadService::refreshList() {
  queue_tasks_.run(
      [this] {
        QList<DownloadItem> items;
        if (queue_)
          for (const hub::DownloadInfo& info : queue_->list()) items << toQt(info);
        return items;
      },
      [this](const QList<DownloadItem>& items) {
        items_ = items;
        emit listChanged();
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
  queue_tasks_.run(
      [this, request] {
        std::pair<QString, QString> id_or_error;
        if (!queue_) {
          id_or_error.second = tr("The download queue is not open.");
        } else {
          try {
            id_or_error.first = q(queue_->enqueue(request));
          } catch (const std::exception& e) {
            id_or_error.second = q(e.what());
          }
        }
        return id_or_error;
      },
      [this, model_id](const std::pair<QString, QString>& r) {
        if (r.second.isEmpty())
          emit enqueued(r.first, model_id);
        else
          emit enqueueFailed(model_id, r.second);
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
