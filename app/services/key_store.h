#pragma once
// API keys of remote endpoints, kept in the system keychain (QtKeychain) and in memory for this
// session; never in settings files or logs. Without a keychain service (e.g. a headless test)
// keys live in memory only and keychainError() says why.
#include <QHash>
#include <QObject>
#include <QString>
#include <functional>

namespace pagoda::app {

class KeyStore : public QObject {
  Q_OBJECT
 public:
  // use_keychain=false keeps keys in memory only (tests).
  explicit KeyStore(bool use_keychain = true, QObject* parent = nullptr);

  void storeKey(const QString& endpoint_id, const QString& key);
  // Calls back on the GUI thread with the key (empty when none).
  void readKey(const QString& endpoint_id, std::function<void(const QString&)> done);
  void removeKey(const QString& endpoint_id);
  QString keychainError() const { return keychain_error_; }

 private:
  bool use_keychain_;
  QHash<QString, QString> cache_;
  QString keychain_error_;
};

}  // namespace pagoda::app
