#include "app/services/telemetry_service.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QTimer>
#include <memory>
#include <optional>

#include "app/services/app_settings.h"
#include "app/services/engine_service.h"
#include "app/services/key_store.h"
#include "app/telemetry/prometheus_text.h"

namespace pagoda::app {
namespace {

constexpr int kNvmlRetryTicks = 10;  // try to reopen a missing or vanished NVML every 10 samples

// http://host:8000/v1 -> http://host:8000/metrics (vLLM and Pagoda serve it beside /v1).
QUrl metricsUrl(const QString& base_url) {
  QString base = base_url.trimmed();
  while (base.endsWith('/')) base.chop(1);
  if (base.endsWith(QStringLiteral("/v1"))) base.chop(3);
  return QUrl(base + QStringLiteral("/metrics"));
}

double monotonicSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

// Lives on the telemetry thread; every slot runs there.
class TelemetryWorker : public QObject {
  Q_OBJECT
 public:
  explicit TelemetryWorker(const TelemetryOptions& options) : options_(options) {}

 public slots:
  void start() {
    if (options_.interval_ms <= 0) return;
    nvml_ = std::make_unique<telemetry::Nvml>(options_.nvml_library.isEmpty()
                                                  ? telemetry::Nvml::default_library()
                                                  : options_.nvml_library.toStdString());
    network_ = new QNetworkAccessManager(this);
    timer_ = new QTimer(this);
    timer_->setInterval(options_.interval_ms);
    connect(timer_, &QTimer::timeout, this, &TelemetryWorker::tick);
    timer_->start();
    tick();
  }

  void stop() {
    delete timer_;
    timer_ = nullptr;
    if (reply_) reply_->abort();
    nvml_.reset();  // null too when sampling is off
  }

  void useLocal() {
    remote_url_.clear();
    resetEngineSource();
  }

  void useRemote(const QUrl& url, const QString& api_key) {
    remote_url_ = url;
    remote_key_ = api_key;
    resetEngineSource();
  }

  void onLocalStats(const telemetry::EngineCounters& counters) {
    local_ = counters;
    local_age_.start();
  }

  void onLocalUnloaded() { local_.reset(); }

 signals:
  void ticked(const pagoda::app::TelemetryTick& tick);

 private:
  void resetEngineSource() {
    if (reply_) reply_->abort();
    remote_.reset();
    remote_error_.clear();
    recorder_.reset();
  }

  void tick() {
    TelemetryTick t;
    if (!nvml_->available() && ++since_retry_ >= kNvmlRetryTicks) {
      since_retry_ = 0;
      nvml_->reopen();
    }
    const bool have_gpus = nvml_->available() && nvml_->sample(t.gpus);
    t.nvml_available = have_gpus;
    if (!have_gpus) t.nvml_error = nvmlProblem();
    const telemetry::EngineCounters* counters = nullptr;
    if (remote_url_.isValid()) {
      fetch();
      if (remote_) counters = &*remote_;
      t.engine_error = remote_error_;
    } else if (local_ && local_age_.elapsed() < std::max(3000, 3 * options_.interval_ms)) {
      counters = &*local_;
    } else {
      t.engine_error = tr("No model is loaded. Load one on the Models page to see the engine.");
    }
    t.point = recorder_.record(QDateTime::currentMSecsSinceEpoch(), have_gpus ? &t.gpus : nullptr,
                               counters);
    emit ticked(t);
  }

  QString nvmlProblem() const {
    const QString detail = QString::fromStdString(nvml_->error());
    using Problem = telemetry::Nvml::Problem;
    switch (nvml_->problem()) {
      case Problem::NotInstalled:
        return tr(
            "No NVIDIA driver was found (NVML is not installed), so there are no GPU "
            "numbers. The engine's own numbers are shown.");
      case Problem::TooOld:
        return tr("The NVIDIA driver is too old for GPU telemetry (%1).").arg(detail);
      case Problem::StoppedAnswering:
      case Problem::InitFailed:
      case Problem::None:
        break;
    }
    return tr("GPU telemetry stopped: %1. Pagoda keeps trying; the engine's own numbers are "
              "shown meanwhile.")
        .arg(detail);
  }

  // One request at a time; its result is used by the next ticks.
  void fetch() {
    if (reply_) return;
    QNetworkRequest request(remote_url_);
    request.setTransferTimeout(std::max(2000, 3 * options_.interval_ms));
    if (!remote_key_.isEmpty())
      request.setRawHeader("Authorization", "Bearer " + remote_key_.toUtf8());
    reply_ = network_->get(request);
    const QUrl url = remote_url_;
    connect(reply_, &QNetworkReply::finished, this, [this, reply = reply_.data(), url] {
      reply->deleteLater();
      if (reply == reply_) reply_ = nullptr;
      if (url != remote_url_) return;  // the source changed meanwhile
      if (reply->error() != QNetworkReply::NoError) {
        if (reply->error() == QNetworkReply::OperationCanceledError && !remote_url_.isValid())
          return;
        remote_.reset();
        remote_error_ = tr("%1 did not answer: %2").arg(url.toString(), reply->errorString());
        return;
      }
      const QByteArray body = reply->readAll();
      auto counters = telemetry::engine_counters_from_prometheus(
          telemetry::parse_prometheus_text(std::string_view(body.constData(), body.size())));
      if (!counters) {
        remote_.reset();
        remote_error_ = tr("%1 has no vLLM-style engine metrics.").arg(url.toString());
        return;
      }
      counters->time_s = monotonicSeconds();
      remote_ = std::move(*counters);
      remote_error_.clear();
    });
  }

  TelemetryOptions options_;
  std::unique_ptr<telemetry::Nvml> nvml_;
  int since_retry_ = 0;
  telemetry::TelemetryRecorder recorder_;
  QTimer* timer_ = nullptr;
  std::optional<telemetry::EngineCounters> local_;
  QElapsedTimer local_age_;
  QNetworkAccessManager* network_ = nullptr;
  QUrl remote_url_;
  QString remote_key_;
  QPointer<QNetworkReply> reply_;
  std::optional<telemetry::EngineCounters> remote_;
  QString remote_error_;
};

TelemetryService::TelemetryService(AppSettings* settings, EngineService* engine, KeyStore* keys,
                                   TelemetryOptions options, QObject* parent)
    : QObject(parent),
      settings_(settings),
      engine_(engine),
      keys_(keys),
      options_(options),
      history_(static_cast<size_t>(
          std::max<qint64>(1, qint64(options.history_s) * 1000 /
                                  (options.interval_ms > 0 ? options.interval_ms : 1000)))) {
  qRegisterMetaType<TelemetryTick>();
  qRegisterMetaType<telemetry::TelemetryPoint>();
  qRegisterMetaType<telemetry::EngineCounters>();
  thread_.setObjectName(QStringLiteral("pagoda-telemetry"));
  worker_ = new TelemetryWorker(options_);
  worker_->moveToThread(&thread_);
  connect(worker_, &TelemetryWorker::ticked, this, &TelemetryService::record, Qt::QueuedConnection);
  if (engine_) {
    connect(engine_, &EngineService::statsUpdated, this, &TelemetryService::feedEngineStats);
    connect(engine_, &EngineService::unloaded, worker_, &TelemetryWorker::onLocalUnloaded,
            Qt::QueuedConnection);
  }
  connect(settings_, &AppSettings::remoteEndpointsChanged, this, [this] {
    if (source_.startsWith("remote:") && settings_->remoteEndpoint(source_.mid(7)).id.isEmpty())
      setSource(QStringLiteral("local"));
  });
  thread_.start();
  QMetaObject::invokeMethod(worker_, &TelemetryWorker::start, Qt::QueuedConnection);
  setSource(settings_->value("dashboard/source", "local").toString());
}

TelemetryService::~TelemetryService() {
  QMetaObject::invokeMethod(worker_, &TelemetryWorker::stop, Qt::BlockingQueuedConnection);
  thread_.quit();
  thread_.wait();
  delete worker_;
}

void TelemetryService::setSource(const QString& requested) {
  QString source = requested;
  const RemoteEndpoint endpoint =
      source.startsWith("remote:") ? settings_->remoteEndpoint(source.mid(7)) : RemoteEndpoint{};
  if (endpoint.id.isEmpty()) source = QStringLiteral("local");
  const bool changed = source != source_;
  source_ = source;
  settings_->setValue("dashboard/source", source);
  // The old source's points would mix with the new one's: start the engine history over.
  if (changed) history_.clear();
  if (endpoint.id.isEmpty()) {
    QMetaObject::invokeMethod(worker_, &TelemetryWorker::useLocal, Qt::QueuedConnection);
  } else {
    const QUrl url = metricsUrl(endpoint.base_url);
    keys_->readKey(endpoint.id, [this, source, url](const QString& key) {
      if (source != source_) return;  // changed again while the key was read
      QMetaObject::invokeMethod(
          worker_, [w = worker_, url, key] { w->useRemote(url, key); }, Qt::QueuedConnection);
    });
  }
  if (changed) emit sourceChanged(source_);
}

int TelemetryService::windowMinutes() const {
  const int m = settings_->value("dashboard/window_minutes", 5).toInt();
  return m == 1 || m == 15 ? m : 5;
}

void TelemetryService::setWindowMinutes(int minutes) {
  if (minutes != 1 && minutes != 5 && minutes != 15) return;
  if (minutes == windowMinutes()) return;
  settings_->setValue("dashboard/window_minutes", minutes);
  emit windowChanged(minutes);
}

void TelemetryService::feedEngineStats(const EngineStatsSnapshot& stats) {
  QMetaObject::invokeMethod(
      worker_, [w = worker_, c = stats.counters] { w->onLocalStats(c); }, Qt::QueuedConnection);
}

void TelemetryService::record(const TelemetryTick& tick) {
  history_.push(tick.point);
  latest_ = tick;
  ++samples_;
  emit sampled(tick.point);
}

}  // namespace pagoda::app

#include "telemetry_service.moc"
