#include "app/services/app_settings.h"

#include <QLocale>

#include <QDir>
#include <QStandardPaths>
#include <QUuid>

namespace pagoda::app {

AppSettings::AppSettings(const QString& file_path, QObject* parent)
    : QObject(parent),
      settings_(file_path.isEmpty()
                    ? QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation) +
                          QStringLiteral("/pagoda.conf")
                    : file_path,
                QSettings::IniFormat) {}

QString AppSettings::defaultModelsFolder() {
  return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
         QStringLiteral("/models");
}

QString AppSettings::modelsFolder() const {
  return settings_.value("models/folder", defaultModelsFolder()).toString();
}

void AppSettings::setModelsFolder(const QString& folder) {
  if (folder == modelsFolder()) return;
  settings_.setValue("models/folder", QDir::cleanPath(folder));
  emit modelsFoldersChanged();
}

QStringList AppSettings::importedFolders() const {
  return settings_.value("models/imported").toStringList();
}

void AppSettings::addImportedFolder(const QString& folder) {
  QStringList folders = importedFolders();
  const QString clean = QDir::cleanPath(folder);
  if (folders.contains(clean)) return;
  folders << clean;
  settings_.setValue("models/imported", folders);
  emit modelsFoldersChanged();
}

void AppSettings::removeImportedFolder(const QString& folder) {
  QStringList folders = importedFolders();
  if (folders.removeAll(QDir::cleanPath(folder)) == 0) return;
  settings_.setValue("models/imported", folders);
  emit modelsFoldersChanged();
}

QString AppSettings::device() const {
  return settings_.value("engine/device", "auto").toString();
}

void AppSettings::setDevice(const QString& device) {
  settings_.setValue("engine/device", device);
  emit engineDefaultsChanged();
}

int AppSettings::contextLength() const {
  return settings_.value("engine/context_length", 4096).toInt();
}

void AppSettings::setContextLength(int tokens) {
  settings_.setValue("engine/context_length", tokens);
  emit engineDefaultsChanged();
}

QString AppSettings::language() const {
  // Until the user picks one in Settings, the desktop's language.
  if (!settings_.contains("ui/language")) return languageForLocale(QLocale::system());
  return settings_.value("ui/language").toString();
}

QString AppSettings::languageForLocale(const QLocale& locale) {
  return locale.language() == QLocale::Chinese ? QStringLiteral("zh_CN") : QStringLiteral("en");
}

void AppSettings::setLanguage(const QString& language) {
  const bool changed = language != this->language();
  settings_.setValue("ui/language", language);  // stored even when equal: the choice now wins
  if (changed) emit languageChanged(language);
}

QString AppSettings::theme() const {
  const QString theme = settings_.value("ui/theme", "system").toString();
  return theme == "light" || theme == "dark" ? theme : QStringLiteral("system");
}

void AppSettings::setTheme(const QString& theme) {
  if (theme == this->theme()) return;
  settings_.setValue("ui/theme", theme);
  emit themeChanged(this->theme());
}

QString AppSettings::lastModelPath() const {
  return settings_.value("engine/last_model").toString();
}

void AppSettings::setLastModelPath(const QString& path) {
  settings_.setValue("engine/last_model", path);
}

QList<RemoteEndpoint> AppSettings::remoteEndpoints() const {
  QList<RemoteEndpoint> out;
  const int n = settings_.beginReadArray("remote");
  for (int i = 0; i < n; ++i) {
    settings_.setArrayIndex(i);
    out << RemoteEndpoint{settings_.value("id").toString(), settings_.value("name").toString(),
                          settings_.value("url").toString(), settings_.value("model").toString()};
  }
  settings_.endArray();
  return out;
}

RemoteEndpoint AppSettings::remoteEndpoint(const QString& id) const {
  for (const RemoteEndpoint& e : remoteEndpoints())
    if (e.id == id) return e;
  return {};
}

QString AppSettings::saveRemoteEndpoint(RemoteEndpoint endpoint) {
  if (endpoint.id.isEmpty()) endpoint.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
  QList<RemoteEndpoint> all = remoteEndpoints();
  bool replaced = false;
  for (RemoteEndpoint& e : all) {
    if (e.id == endpoint.id) {
      e = endpoint;
      replaced = true;
    }
  }
  if (!replaced) all << endpoint;
  writeRemoteEndpoints(all);
  emit remoteEndpointsChanged();
  return endpoint.id;
}

void AppSettings::removeRemoteEndpoint(const QString& id) {
  QList<RemoteEndpoint> all = remoteEndpoints();
  all.removeIf([&](const RemoteEndpoint& e) { return e.id == id; });
  writeRemoteEndpoints(all);
  emit remoteEndpointsChanged();
}

void AppSettings::writeRemoteEndpoints(const QList<RemoteEndpoint>& all) {
  settings_.remove("remote");
  settings_.beginWriteArray("remote", all.size());
  for (int i = 0; i < all.size(); ++i) {
    settings_.setArrayIndex(i);
    settings_.setValue("id", all[i].id);
    settings_.setValue("name", all[i].name);
    settings_.setValue("url", all[i].base_url);
    settings_.setValue("model", all[i].model);
  }
  settings_.endArray();
}

}  // namespace pagoda::app
