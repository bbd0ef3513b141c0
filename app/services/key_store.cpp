#include "app/services/key_store.h"

#include <qt6keychain/keychain.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QStandardPaths>

namespace pagoda::app {
namespace {
constexpr auto kService = "pagoda-remote-endpoints";

// QtKeychain's own messages are English ("Unknown error"): the UI shows these instead.
QString describe(const QKeychain::Job* job) {
  // Without a session bus or keychain daemon QtKeychain says only "Unknown error" (OtherError).
  const bool unexplained =
      job->errorString().isEmpty() || job->errorString() == QLatin1String("Unknown error");
  if (job->error() == QKeychain::NoBackendAvailable || unexplained)
    return KeyStore::tr("no system keychain (Secret Service or KWallet) is running");
  switch (job->error()) {
    case QKeychain::AccessDenied:
    case QKeychain::AccessDeniedByUser:
      return KeyStore::tr("the system keychain refused access");
    default:
      return KeyStore::tr("the system keychain is not available (%1)").arg(job->errorString());
  }
}
}  // namespace

KeyStore::KeyStore(bool use_keychain, const QString& fallback_file, QObject* parent)
    : QObject(parent),
      use_keychain_(use_keychain),
      fallback_file_(fallback_file.isEmpty()
                         ? QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
                               QStringLiteral("/api-keys.json")
                         : fallback_file) {}

QHash<QString, QString> KeyStore::readFile() const {
  QHash<QString, QString> keys;
  QFile file(fallback_file_);
  if (!file.open(QIODevice::ReadOnly)) return keys;
  const QJsonObject object = QJsonDocument::fromJson(file.readAll()).object();
  for (auto it = object.begin(); it != object.end(); ++it) keys.insert(it.key(), it->toString());
  return keys;
}

bool KeyStore::writeFile(const QHash<QString, QString>& keys) {
  if (keys.isEmpty()) return !QFileInfo::exists(fallback_file_) || QFile::remove(fallback_file_);
  QDir().mkpath(QFileInfo(fallback_file_).absolutePath());
  QJsonObject object;
  for (auto it = keys.begin(); it != keys.end(); ++it) object.insert(it.key(), it.value());
  QSaveFile file(fallback_file_);
  if (!file.open(QIODevice::WriteOnly)) return false;
  // Owner only, before any key is written (the temporary file becomes the file).
  file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
  file.write(QJsonDocument(object).toJson(QJsonDocument::Compact));
  return file.commit();
}

void KeyStore::setFileKey(const QString& endpoint_id, const QString& key) {
  QHash<QString, QString> keys = readFile();
  if (key.isEmpty() ? !keys.contains(endpoint_id) : keys.value(endpoint_id) == key) return;
  if (key.isEmpty())
    keys.remove(endpoint_id);
  else
    keys.insert(endpoint_id, key);
  writeFile(keys);
}

void KeyStore::storeKey(const QString& endpoint_id, const QString& key) {
  cache_.insert(endpoint_id, key);
  if (!use_keychain_) {
    storage_.insert(endpoint_id, Storage::Memory);
    emit keyStored(endpoint_id);
    return;
  }
  storage_.insert(endpoint_id, Storage::Pending);
  auto* job = new QKeychain::WritePasswordJob(QString::fromLatin1(kService), this);
  job->setKey(endpoint_id);
  job->setTextData(key);
  connect(job, &QKeychain::Job::finished, this, [this, endpoint_id, key](QKeychain::Job* j) {
    if (cache_.value(endpoint_id) != key) return;  // replaced or removed meanwhile
    if (j->error() == QKeychain::NoError) {
      setFileKey(endpoint_id, {});  // a copy left from a session without a keychain
      storage_.insert(endpoint_id, Storage::Keychain);
    } else {
      keychain_error_ = describe(j);
      setFileKey(endpoint_id, key);
      storage_.insert(endpoint_id, Storage::File);
    }
    emit keyStored(endpoint_id);
  });
  job->start();
}

void KeyStore::readKey(const QString& endpoint_id, std::function<void(const QString&)> done) {
  const QHash<QString, QString> in_file = use_keychain_ ? readFile() : QHash<QString, QString>{};
  if (cache_.contains(endpoint_id) || !use_keychain_ || in_file.contains(endpoint_id)) {
    if (!cache_.contains(endpoint_id) && in_file.contains(endpoint_id)) {
      cache_.insert(endpoint_id, in_file.value(endpoint_id));
      storage_.insert(endpoint_id, Storage::File);
    }
    const QString key = cache_.value(endpoint_id);
    QMetaObject::invokeMethod(
        this, [done, key] { done(key); }, Qt::QueuedConnection);
    return;
  }
  auto* job = new QKeychain::ReadPasswordJob(QString::fromLatin1(kService), this);
  job->setKey(endpoint_id);
  connect(job, &QKeychain::Job::finished, this, [this, endpoint_id, done](QKeychain::Job* j) {
    auto* read = static_cast<QKeychain::ReadPasswordJob*>(j);
    QString key;
    if (read->error() == QKeychain::NoError) {
      key = read->textData();
      cache_.insert(endpoint_id, key);
      storage_.insert(endpoint_id, Storage::Keychain);
    } else if (read->error() != QKeychain::EntryNotFound) {
      keychain_error_ = describe(read);
    }
    done(key);
  });
  job->start();
}

void KeyStore::removeKey(const QString& endpoint_id) {
  cache_.remove(endpoint_id);
  storage_.remove(endpoint_id);
  if (!use_keychain_) return;
  setFileKey(endpoint_id, {});
  auto* job = new QKeychain::DeletePasswordJob(QString::fromLatin1(kService), this);
  job->setKey(endpoint_id);
  job->start();
}

}  // namespace pagoda::app
