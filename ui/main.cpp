// pagoda: the desktop app. Services are made here and handed to the window.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QMessageBox>
#include <cstdio>
#include <cstring>

#include "services/api_server_service.h"
#include "services/app_settings.h"
#include "services/chat_service.h"
#include "services/chat_store.h"
#include "services/download_service.h"
#include "services/engine_service.h"
#include "services/hub_service.h"
#include "services/key_store.h"
#include "services/model_library.h"
#include "services/remote_client.h"
#include "services/telemetry_service.h"
#include "ui/main_window.h"
#include "ui/ui_util.h"

int main(int argc, char** argv) {
  // Answered before QApplication exists, so they work without a display.
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0 || std::strcmp(argv[i], "-v") == 0) {
      std::printf("pagoda %s\n", PAGODA_VERSION);
      return 0;
    }
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("Usage: pagoda [--version]\nRun open LLMs privately on your own GPU.\n");
      return 0;
    }
  }
  QApplication app(argc, argv);
  QApplication::setApplicationName("pagoda");
  QApplication::setApplicationDisplayName("Pagoda");
  QApplication::setApplicationVersion(PAGODA_VERSION);
  pagoda::ui::applyStyle();

  using namespace pagoda::app;
  AppSettings settings;
  pagoda::ui::applyLanguage(settings.language());
  QObject::connect(&settings, &AppSettings::languageChanged, &pagoda::ui::applyLanguage);
  ChatStore store(ChatStore::defaultPath());
  if (!store.ok()) QMessageBox::warning(nullptr, "Pagoda", store.errorString());
  KeyStore keys;
  RemoteClient remote;
  EngineService engine;
  const QString app_dir = QCoreApplication::applicationDirPath();
  ModelLibrary library(&settings, {QDir::cleanPath(app_dir + "/../share/pagoda/models/demo-chat"),
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
  window.show();
  return app.exec();
  // Leaving scope stops a running reply (kept, marked stopped) and destroys the engine on its
  // own thread before the process exits.
}
