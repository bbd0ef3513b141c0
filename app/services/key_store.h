#pragma once
// API keys (remote endpoints, the hub token, the local server's key), kept in the system keychain
// (QtKeychain) and in memory for this session; never in settings files or logs. Where the desktop
// has no keychain service (no Secret Service, no KWallet) the keychain refuses the key when it is
// stored: the key then goes to a file readable only by the user (mode 0600, in the app's data
// folder), and storage() says so. Everything runs on the GUI thread; keychain jobs are async.
#include <QHash>
#include <QObject>
#include <QString>
#include <functional>

namespace pagoda::app {

class KeyStore : public QObject {
  Q_OBJECT
 public:
  enum class Storage { None, Memory, Keychain, File, Pending };
  // use_keychain=false keeps keys in memory only (tests). fallback_file: where keys go when the
  // keychain refuses them; empty: <AppDataLocation>/api-keys.json.
  explicit KeyStore(bool use_keychain = true, const QString& fallback_file = {},
                    QObject* parent = nullptr);

  // Stores in the keychain, or in the fallback file when the keychain fails; keyStored() follows.
  void storeKey(const QString& endpoint_id, const QString& key);
  // Calls back on the GUI thread with the key (empty when none).
  void readKey(const QString& endpoint_id, std::function<void(const QString&)> done);
  void removeKey(const QString& endpoint_id);
  // Why the keychain failed last, in the UI language (empty: it did not).
  QString keychainError() const { return keychain_error_; }
  // Where the key of endpoint_id is kept now (known once it was stored or read).
  Storage storage(const QString& endpoint_id) const { return storage_.value(endpoint_id); }
  QString fallbackFile() const { return fallback_file_; }

 signals:
  // The key of endpoint_id reached its place (storage() tells which).
  void keyStored(const QString& endpoint_id);

 private:
  QHash<QString, QString> readFile() const;
  bool writeFile(const QHash<QString, QString>& keys);
  void setFileKey(const QString& endpoint_id, const QString& key);  // empty key: removes it

  bool use_keychain_;
  QString fallback_file_;
  QHash<QString, QString> cache_;
  QHash<QString, Storage> storage_;
  QString keychain_error_;
};

}  // namespace pagoda::app
