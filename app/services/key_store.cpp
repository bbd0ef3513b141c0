#include "app/services/key_store.h"

#include <qt6keychain/keychain.h>

#include <QPointer>

namespace pagoda::app {
namespace {
constexpr auto kService = "pagoda-remote-endpoints";
}

KeyStore::KeyStore(bool use_keychain, QObject* parent)
    : QObject(parent), use_keychain_(use_keychain) {}

void KeyStore::storeKey(const QString& endpoint_id, const QString& key) {
  cache_.insert(endpoint_id, key);
  if (!use_keychain_) return;
  auto* job = new QKeychain::WritePasswordJob(QString::fromLatin1(kService), this);
  job->setKey(endpoint_id);
  job->setTextData(key);
  connect(job, &QKeychain::Job::finished, this, [this](QKeychain::Job* j) {
    if (j->error() != QKeychain::NoError) keychain_error_ = j->errorString();
  });
  job->start();
}

void KeyStore::readKey(const QString& endpoint_id, std::function<void(const QString&)> done) {
  if (cache_.contains(endpoint_id) || !use_keychain_) {
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
    } else if (read->error() != QKeychain::EntryNotFound) {
      keychain_error_ = read->errorString();
    }
    done(key);
  });
  job->start();
}

void KeyStore::removeKey(const QString& endpoint_id) {
  cache_.remove(endpoint_id);
  if (!use_keychain_) return;
  auto* job = new QKeychain::DeletePasswordJob(QString::fromLatin1(kService), this);
  job->setKey(endpoint_id);
  job->start();
}

}  // namespace pagoda::app
