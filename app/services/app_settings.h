#pragma once
// The app's preferences (QSettings, INI format). API keys are never stored here: see KeyStore.
#include <QList>
#include <QLocale>
#include <QObject>
#include <QSettings>
#include <QString>
#include <QStringList>

namespace pagoda::app {

// An OpenAI-compatible server a chat can target. The key lives in the system keychain under id.
struct RemoteEndpoint {
  QString id;
  QString name;
  QString base_url;  // e.g. "http://localhost:8000/v1"
  QString model;
};

class AppSettings : public QObject {
  Q_OBJECT
 public:
  // An empty path uses the user's config dir (~/.config/pagoda/pagoda.conf).
  explicit AppSettings(const QString& file_path = {}, QObject* parent = nullptr);

  static QString defaultModelsFolder();  // <AppDataLocation>/models
  QString fileName() const { return settings_.fileName(); }
  // Keys that a service owns (e.g. "server/port", "hub/endpoint"): one QSettings for the file.
  QVariant value(const QString& key, const QVariant& fallback = {}) const {
    return settings_.value(key, fallback);
  }
  void setValue(const QString& key, const QVariant& value) { settings_.setValue(key, value); }

  QString modelsFolder() const;
  void setModelsFolder(const QString& folder);
  QStringList importedFolders() const;
  void addImportedFolder(const QString& folder);
  void removeImportedFolder(const QString& folder);
  QString device() const;  // auto | cpu | cuda
  void setDevice(const QString& device);
  int contextLength() const;
  void setContextLength(int tokens);
  QString language() const;  // "en" or "zh_CN"; until one is chosen, the system locale's
  static QString languageForLocale(const QLocale& locale);  // zh_CN for Chinese, else en
  QString theme() const;  // "system" (the default), "light" or "dark"
  void setTheme(const QString& theme);
  void setLanguage(const QString& language);
  // The folder of the model loaded last (empty before the first load): the chat offers it again.
  QString lastModelPath() const;
  void setLastModelPath(const QString& path);

  QList<RemoteEndpoint> remoteEndpoints() const;
  RemoteEndpoint remoteEndpoint(const QString& id) const;  // empty id when missing
  // Adds or replaces (by id; a new id is made when empty). Returns the id.
  QString saveRemoteEndpoint(RemoteEndpoint endpoint);
  void removeRemoteEndpoint(const QString& id);

 signals:
  void modelsFoldersChanged();
  void languageChanged(const QString& language);
  void themeChanged(const QString& theme);
  void remoteEndpointsChanged();
  void engineDefaultsChanged();

 private:
  // Replaces the stored list (stale entries of a longer old list are removed first).
  void writeRemoteEndpoints(const QList<RemoteEndpoint>& all);
  mutable QSettings settings_;
};

}  // namespace pagoda::app
