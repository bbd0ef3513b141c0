#include "app/services/api_server_service.h"

#include <QHostAddress>
#include <QMutexLocker>
#include <QNetworkInterface>
#include <QRandomGenerator>
#include <exception>

#include "app/server/api_server.h"
#include "app/services/app_settings.h"
#include "app/services/engine_service.h"
#include "app/services/key_store.h"

namespace pagoda::app {
namespace {

ServerLogEntry toLogEntry(const server::RequestLogEntry& e) {
  ServerLogEntry out;
  out.time = QDateTime::fromMSecsSinceEpoch(
      std::chrono::duration_cast<std::chrono::milliseconds>(e.time.time_since_epoch()).count());
  out.method = QString::fromStdString(e.method);
  out.route = QString::fromStdString(e.route);
  out.status = e.status;
  out.prompt_tokens = e.prompt_tokens;
  out.completion_tokens = e.completion_tokens;
  out.latency_s = e.latency_s;
  out.remote_addr = QString::fromStdString(e.remote_addr);
  return out;
}

}  // namespace

ApiServerService::ApiServerService(AppSettings* settings, EngineService* engine, KeyStore* keys,
                                   QObject* parent)
    : QObject(parent),
      settings_(settings),
      engine_service_(engine),
      keys_(keys) {
  qRegisterMetaType<ServerLogEntry>();
  thread_.setObjectName(QStringLiteral("pagoda-api-server"));
  thread_context_ = new QObject;
  thread_context_->moveToThread(&thread_);
  thread_.start();
  engine_service_->setEngineObserver(
      [this](const std::shared_ptr<Engine>& engine) { onEngineChanged(engine); });
  // Never serve without the key while it is still being read from the keychain.
  keys_->readKey(QString::fromLatin1(kKeyId), [this](const QString& key) {
    if (key_ready_) return;  // a key set meanwhile wins
    api_key_ = key;
    key_ready_ = true;
    // A key that was set but cannot be read must not turn into "no authentication".
    if (key.isEmpty() && settings_->value("server/api_key_set", false).toBool())
      key_error_ =
          keys_->keychainError().isEmpty() ? tr("the key is missing") : keys_->keychainError();
    emit apiKeyChanged();
    apply();
  });
  apply();
}

ApiServerService::~ApiServerService() {
  engine_service_->setEngineObserver(nullptr);
  QMetaObject::invokeMethod(
      thread_context_,
      [this] {
        std::unique_ptr<server::ApiServer> old;
        {
          QMutexLocker lock(&mutex_);
          old = std::move(server_);
          engine_.reset();
        }
        if (old) old->stop();
      },
      Qt::BlockingQueuedConnection);
  thread_.quit();
  thread_.wait();
  delete thread_context_;
}

bool ApiServerService::isEnabled() const {
  return settings_->value("server/enabled", false).toBool();
}

void ApiServerService::setEnabled(bool enabled) {
  if (enabled == isEnabled()) return;
  settings_->setValue("server/enabled", enabled);
  emit settingsChanged();
  apply();
}

QString ApiServerService::pinnedModel() const {
  return settings_->value("server/model_path").toString();
}

void ApiServerService::setPinnedModel(const QString& model_dir) {
  if (model_dir == pinnedModel()) return;
  settings_->setValue("server/model_path", model_dir);
  emit settingsChanged();
  loadPinnedModel();
}

QString ApiServerService::publicModelName() const {
  return settings_->value("server/model_name").toString();
}

void ApiServerService::setPublicModelName(const QString& name) {
  if (name.trimmed() == publicModelName()) return;
  settings_->setValue("server/model_name", name.trimmed());
  emit settingsChanged();
  if (isEnabled()) apply();
}

void ApiServerService::loadPinnedModel() {
  const QString pinned = pinnedModel();
  if (!isEnabled() || pinned.isEmpty() || engine_service_->isLoading()) return;
  if (engine_service_->isLoaded() && engine_service_->info().path == pinned) return;
  engine_service_->load(pinned, settings_->device(), settings_->contextLength());
}

int ApiServerService::port() const {
  return settings_->value("server/port", kDefaultPort).toInt();
}

void ApiServerService::setPort(int port) {
  if (port == this->port() || port < 0 || port > 65535) return;
  settings_->setValue("server/port", port);
  emit settingsChanged();
  if (isEnabled()) apply();
}

bool ApiServerService::lanExposed() const {
  return settings_->value("server/lan", false).toBool();
}

void ApiServerService::setLanExposed(bool exposed) {
  if (exposed == lanExposed()) return;
  settings_->setValue("server/lan", exposed);
  emit settingsChanged();
  if (isEnabled()) apply();
}

QStringList ApiServerService::corsOrigins() const {
  return settings_->value("server/cors_origins").toStringList();
}

void ApiServerService::setCorsOrigins(const QStringList& origins) {
  setList("server/cors_origins", origins);
}

QStringList ApiServerService::allowedHosts() const {
  return settings_->value("server/allowed_hosts").toStringList();
}

void ApiServerService::setAllowedHosts(const QStringList& hosts) {
  setList("server/allowed_hosts", hosts);
}

void ApiServerService::setList(const QString& key, const QStringList& items) {
  QStringList clean;
  for (const QString& item : items)
    if (!item.trimmed().isEmpty()) clean << item.trimmed();
  if (clean == settings_->value(key).toStringList()) return;
  settings_->setValue(key, clean);
  emit settingsChanged();
  if (isEnabled()) apply();
}

void ApiServerService::setApiKey(const QString& key) {
  key_ready_ = true;
  key_error_.clear();
  if (key == api_key_) return;
  api_key_ = key;
  settings_->setValue("server/api_key_set", !key.isEmpty());  // whether, never what
  if (key.isEmpty())
    keys_->removeKey(QString::fromLatin1(kKeyId));
  else
    keys_->storeKey(QString::fromLatin1(kKeyId), key);
  emit apiKeyChanged();
  if (isEnabled()) apply();
}

QString ApiServerService::generateApiKey() {
  QString key = QStringLiteral("sk-pagoda-");
  QRandomGenerator* random = QRandomGenerator::system();  // cryptographically secure
  for (int i = 0; i < 4; ++i)
    key += QStringLiteral("%1").arg(random->generate(), 8, 16, QLatin1Char('0'));
  return key;
}

QString ApiServerService::baseUrl() const {
  if (state_ != State::Listening) return {};
  return QStringLiteral("http://127.0.0.1:%1/v1").arg(bound_port_);
}

QStringList ApiServerService::lanBaseUrls() const {
  QStringList urls;
  if (state_ != State::Listening || !lanExposed()) return urls;
  for (const QHostAddress& a : QNetworkInterface::allAddresses())
    if (a.protocol() == QAbstractSocket::IPv4Protocol && !a.isLoopback())
      urls << QStringLiteral("http://%1:%2/v1").arg(a.toString()).arg(bound_port_);
  return urls;
}

void ApiServerService::clearLog() {
  log_.clear();
  emit logCleared();
}

void ApiServerService::onEngineChanged(const std::shared_ptr<Engine>& engine) {
  // On the engine worker thread (or the GUI thread once, from setEngineObserver).
  QMutexLocker lock(&mutex_);
  engine_ = engine;
  if (server_) server_->set_engine(engine);
}

void ApiServerService::apply() {
  const quint64 generation = ++generation_;
  const bool enabled = isEnabled();
  if (enabled && !key_ready_) {
    state_ = State::WaitingForKey;
    emit stateChanged();
    return;
  }
  loadPinnedModel();
  server::ServerOptions options;
  options.host = lanExposed() ? "0.0.0.0" : "127.0.0.1";
  options.port = port();
  options.api_key = api_key_.toStdString();
  options.served_model_name = publicModelName().toStdString();
  for (const QString& o : corsOrigins()) options.cors_origins.push_back(o.toStdString());
  for (const QString& h : allowedHosts()) options.allowed_hosts.push_back(h.toStdString());
  QString refusal;
  if (!key_error_.isEmpty())
    refusal = tr("cannot read the API key from the system keychain (%1). Generate a new key to "
                 "serve.")
                  .arg(key_error_);
  else if (lanExposed() && api_key_.isEmpty())
    refusal = tr("listening on the network needs an API key, or any device on it could use the "
                 "model. Generate a key, or turn off \"Allow other devices\".");
  if (enabled) {
    state_ = State::Starting;
    error_.clear();
    emit stateChanged();
  }
  // The result comes back to the GUI thread; a later apply() makes it stale.
  auto report = [this, generation](State state, int port, const QString& error) {
    QMetaObject::invokeMethod(
        this,
        [this, generation, state, port, error] {
          if (generation != generation_) return;
          state_ = state;
          bound_port_ = port;
          error_ = error;
          emit stateChanged();
        },
        Qt::QueuedConnection);
  };
  QMetaObject::invokeMethod(
      thread_context_,
      [this, options, enabled, refusal, report] {
        std::unique_ptr<server::ApiServer> old;
        {
          QMutexLocker lock(&mutex_);
          old = std::move(server_);
        }
        if (old) old->stop();  // joins its HTTP threads; its engine reference goes with it
        old.reset();
        if (!enabled || !refusal.isEmpty()) {
          report(enabled ? State::Failed : State::Stopped, 0, enabled ? refusal : QString());
          return;
        }
        try {
          auto fresh = std::make_unique<server::ApiServer>(options);
          fresh->on_request_log([this](const server::RequestLogEntry& e) {
            // On an HTTP thread: hand a copy to the GUI thread.
            QMetaObject::invokeMethod(
                this,
                [this, entry = toLogEntry(e)] {
                  log_.append(entry);
                  if (log_.size() > kMaxLogEntries) log_.removeFirst();
                  emit requestLogged(entry);
                },
                Qt::QueuedConnection);
          });
          QMutexLocker lock(&mutex_);
          fresh->set_engine(engine_);
          fresh->start();
          const int port = fresh->port();
          server_ = std::move(fresh);
          report(State::Listening, port, {});
        } catch (const std::exception& e) {
          report(State::Failed, 0, QString::fromStdString(e.what()));
        }
      },
      Qt::QueuedConnection);
}

}  // namespace pagoda::app
