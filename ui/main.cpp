// pagoda: the desktop app. Services are made here and handed to the window.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QMessageBox>
#include <QStandardPaths>
#include <cstdio>
#include <cstring>

#include "app/services/api_server_service.h"
#include "app/services/app_settings.h"
#include "app/services/chat_service.h"
#include "app/services/chat_store.h"
#include "app/services/download_service.h"
#include "app/services/engine_service.h"
#include "app/services/hub_service.h"
#include "app/services/key_store.h"
#include "app/services/model_library.h"
#include "app/services/remote_client.h"
#include "app/services/telemetry_service.h"
#include "ui/main_window.h"
#include "ui/self_test.h"
#include "ui/ui_util.h"

int main(int argc, char** argv) {
  bool self_test = false;
  // Answered before QApplication exists, so they work without a display.
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--self-test") == 0) self_test = true;
    if (std::strcmp(argv[i], "--version") == 0 || std::strcmp(argv[i], "-v") == 0) {
      std::printf("pagoda %s\n", PAGODA_VERSION);
      return 0;
    }
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf(
          "Usage: pagoda [--version] [--self-test]\nRun open LLMs privately on your own GPU.\n"
          "--self-test checks offscreen that the app, its icons and its bundled model work.\n");
      return 0;
    }
  }
  const std::unique_ptr<QTemporaryDir> self_test_home =
      self_test ? pagoda::ui::prepareSelfTest() : nullptr;
  QApplication app(argc, argv);
  QApplication::setApplicationName("pagoda");
  QApplication::setApplicationDisplayName("Pagoda");
  QApplication::setApplicationVersion(PAGODA_VERSION);
  // Matches the installed .desktop entry (Wayland takes the window's icon from it).
  QGuiApplication::setDesktopFileName(QStringLiteral("io.github.pagoda_app.Pagoda"));

  using namespace pagoda::app;
  AppSettings settings;
  pagoda::ui::applyStyle(settings.theme());
  QObject::connect(&settings, &AppSettings::themeChanged,
                   [](const QString& theme) { pagoda::ui::applyStyle(theme); });
  // A missing Qt SVG plugin leaves every icon blank: say so (buttons fall back to text).
  if (pagoda::ui::icon(QStringLiteral("pagoda")).pixmap(32, 32).isNull())
    qWarning("pagoda: SVG icons cannot be drawn (is libqt6svg6 installed?); buttons show text");
  pagoda::ui::applyLanguage(settings.language());
  QObject::connect(&settings, &AppSettings::languageChanged, &pagoda::ui::applyLanguage);
  ChatStore store(ChatStore::defaultPath());
  // The self-test reports it instead of waiting on a dialog nobody sees.
  if (!store.ok() && !self_test) QMessageBox::warning(nullptr, "Pagoda", store.errorString());
  KeyStore keys;
  RemoteClient remote;
  EngineService engine;
  const QString app_dir = QCoreApplication::applicationDirPath();
  // Installed: <prefix>/share/pagoda (or any XDG data dir); developing: the source tree.
  ModelLibrary library(&settings, {QDir::cleanPath(app_dir + "/../share/pagoda/models/demo-chat"),
                                   QStandardPaths::locate(QStandardPaths::GenericDataLocation,
                                                          QStringLiteral("pagoda/models/demo-chat"),
                                                          QStandardPaths::LocateDirectory),
                                   QStringLiteral(PAGODA_DEMO_MODEL_DIR)});
  QObject::connect(&engine, &EngineService::loaded, &library,
                   [&library](const LoadedModelInfo& info) {
                     library.setDeviceMemory(info.memory_total_bytes, info.device);
                   });
  ChatService chat(&store, &engine, &remote, &keys, &settings);
  ApiServerService server(&settings, &engine, &keys);  // destroyed before the engine
  HubService hub(&settings, &keys);
  DownloadService downloads(&settings, &hub, &library);  // destroyed before hub and library
  TelemetryService telemetry(&settings, &engine, &keys);  // NVML via $PAGODA_NVML_LIBRARY or the driver's
  library.rescan();

  pagoda::ui::Services services{&settings, &store, &library, &engine, &chat, &keys};
  services.server = &server;
  services.hub = &hub;
  services.downloads = &downloads;
  services.telemetry = &telemetry;
  pagoda::ui::MainWindow window(services);
  if (self_test) return pagoda::ui::runSelfTest(window, library, store);
  window.show();
  return app.exec();
  // Leaving scope stops a running reply (kept, marked stopped) and destroys the engine on its
  // own thread before the process exits.
}
