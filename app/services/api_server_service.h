#pragma once
// The desktop app's "Local API switch": wraps the Qt-free OpenAI-compatible server
// (pagoda::server::ApiServer). Binding, stopping and restarting run on a thread of their own; the
// server always serves the engine that EngineService has loaded. Settings live in the app's
// settings file under [server]; the API key lives only in the system keychain (KeyStore), and is
// never written to the settings file or to the log.
#include <QDateTime>
#include <QList>
#include <QMutex>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QThread>
#include <memory>

namespace pagoda {
class Engine;
}
namespace pagoda::server {
class ApiServer;
}

namespace pagoda::app {

class AppSettings;
class EngineService;
class KeyStore;

struct ServerLogEntry {
  QDateTime time;
  QString method;
  QString route;
  int status = 0;
  int prompt_tokens = 0;
  int completion_tokens = 0;
  double latency_s = 0;
  QString remote_addr;
};

class ApiServerService : public QObject {
  Q_OBJECT
 public:
  enum class State { Stopped, WaitingForKey, Starting, Listening, Failed };
  static constexpr int kDefaultPort = 8000;
  static constexpr int kMaxLogEntries = 500;
  static constexpr auto kKeyId = "local-api-server";  // the KeyStore entry of the server's key

  ApiServerService(AppSettings* settings, EngineService* engine, KeyStore* keys,
                   QObject* parent = nullptr);
  // Stops the server (joining its threads) before returning.
  ~ApiServerService() override;

  // Each setter saves the setting and restarts the server when it is on.
  bool isEnabled() const;
  void setEnabled(bool enabled);
  int port() const;  // the setting; 0 picks a free port
  void setPort(int port);
  // Listen on 0.0.0.0 instead of 127.0.0.1. Refused (state Failed) while there is no API key.
  bool lanExposed() const;
  void setLanExposed(bool exposed);
  QStringList corsOrigins() const;
  void setCorsOrigins(const QStringList& origins);
  // Host names accepted besides loopback (and, on the network, this machine's addresses): the
  // DNS rebinding protection (see ServerOptions::allowed_hosts).
  QStringList allowedHosts() const;
  void setAllowedHosts(const QStringList& hosts);

  // The key in memory (read from the keychain at start-up); empty: no authentication.
  QString apiKey() const { return api_key_; }
  void setApiKey(const QString& key);  // empty removes it from the keychain
  // Why the saved key could not be read (translated); empty when it was, or none was saved.
  QString keyError() const { return key_error_; }
  // The model the API serves: empty follows whatever the app has loaded; a model folder is
  // loaded (with the Settings device and context) whenever the server is on and it is not.
  QString pinnedModel() const;
  void setPinnedModel(const QString& model_dir);
  // The name clients use and /v1/models reports; empty: the model's own name.
  QString publicModelName() const;
  void setPublicModelName(const QString& name);
  static QString generateApiKey();     // "sk-pagoda-" and 32 random hex digits

  State state() const { return state_; }
  QString errorString() const { return error_; }  // why the server could not start
  int boundPort() const { return bound_port_; }
  // http://127.0.0.1:<port>/v1 while listening, else empty.
  QString baseUrl() const;
  // The same on each IPv4 address of this machine, when exposed to the network.
  QStringList lanBaseUrls() const;

  // Newest last, at most kMaxLogEntries.
  const QList<ServerLogEntry>& log() const { return log_; }
  void clearLog();

 signals:
  void stateChanged();
  void settingsChanged();
  void apiKeyChanged();
  void requestLogged(const pagoda::app::ServerLogEntry& entry);
  void logCleared();

 private:
  void apply();  // (re)starts or stops the server on the server thread
  // Saves a list setting (entries trimmed, empty ones dropped) and restarts when it changed.
  void setList(const QString& key, const QStringList& items);
  void onEngineChanged(const std::shared_ptr<pagoda::Engine>& engine);
  void loadPinnedModel();  // when on and the pinned model is neither loaded nor loading

  AppSettings* settings_;
  EngineService* engine_service_;
  KeyStore* keys_;
  QString api_key_;
  bool key_ready_ = false;
  QString key_error_;  // the keychain failed to read the key: do not serve without it
  State state_ = State::Stopped;
  QString error_;
  int bound_port_ = 0;
  quint64 generation_ = 0;  // the latest apply(); older results are ignored
  QList<ServerLogEntry> log_;

  QThread thread_;
  QObject* thread_context_ = nullptr;  // lives on thread_; jobs run through it
  // Shared with the engine worker thread (engine observer) and the server thread.
  QMutex mutex_;
  std::unique_ptr<pagoda::server::ApiServer> server_;
  std::shared_ptr<pagoda::Engine> engine_;
};

}  // namespace pagoda::app

Q_DECLARE_METATYPE(pagoda::app::ServerLogEntry)
