#pragma once
// The whole app (every service + the main window) on temporary files, as main() builds it.
// hub_endpoint: where Discover and Downloads go (a test's fake hub); empty: the default hub.
#include <QAbstractButton>
#include <QApplication>
#include <QMessageBox>
#include <QTemporaryDir>
#include <QTimer>
#include <memory>

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

struct AppHarness {
  explicit AppHarness(const QString& data_dir = {},
                      const pagoda::app::TelemetryOptions& telemetry_options = {},
                      const QString& hub_endpoint = {}) {
    const QString root = data_dir.isEmpty() ? temp.path() : data_dir;
    settings = std::make_unique<pagoda::app::AppSettings>(root + "/pagoda.conf");
    settings->setModelsFolder(root + "/models");
    store = std::make_unique<pagoda::app::ChatStore>(root + "/chats.sqlite3");
    keys = std::make_unique<pagoda::app::KeyStore>(false);
    remote = std::make_unique<pagoda::app::RemoteClient>();
    engine = std::make_unique<pagoda::app::EngineService>();
    library = std::make_unique<pagoda::app::ModelLibrary>(
        settings.get(), QStringList{QStringLiteral(PAGODA_TEST_DATA "/models/demo-chat")});
    chat = std::make_unique<pagoda::app::ChatService>(store.get(), engine.get(), remote.get(),
                                                      keys.get(), settings.get());
    server = std::make_unique<pagoda::app::ApiServerService>(settings.get(), engine.get(),
                                                             keys.get());
    hub = std::make_unique<pagoda::app::HubService>(settings.get(), keys.get());
    if (!hub_endpoint.isEmpty()) hub->setEndpointText(hub_endpoint);
    downloads = std::make_unique<pagoda::app::DownloadService>(settings.get(), hub.get(),
                                                               library.get());
    telemetry = std::make_unique<pagoda::app::TelemetryService>(settings.get(), engine.get(),
                                                                keys.get(), telemetry_options);
    library->rescan();
    window = std::make_unique<pagoda::ui::MainWindow>(services());
  }
  pagoda::ui::Services services() const {
    pagoda::ui::Services s{settings.get(), store.get(), library.get(),
                           engine.get(),   chat.get(),  keys.get()};
    s.server = server.get();
    s.hub = hub.get();
    s.downloads = downloads.get();
    s.telemetry = telemetry.get();
    return s;
  }
  ~AppHarness() {
    // main()'s order: the window, then the chat (stops a reply), the services that use the
    // engine, hub and library, then those.
    window.reset();
    chat.reset();
    telemetry.reset();
    downloads.reset();
    hub.reset();
    server.reset();
    library.reset();
    engine.reset();
    remote.reset();
    keys.reset();
    store.reset();
    settings.reset();
  }

  QTemporaryDir temp;
  std::unique_ptr<pagoda::app::AppSettings> settings;
  std::unique_ptr<pagoda::app::ChatStore> store;
  std::unique_ptr<pagoda::app::KeyStore> keys;
  std::unique_ptr<pagoda::app::RemoteClient> remote;
  std::unique_ptr<pagoda::app::EngineService> engine;
  std::unique_ptr<pagoda::app::ModelLibrary> library;
  std::unique_ptr<pagoda::app::ChatService> chat;
  std::unique_ptr<pagoda::app::ApiServerService> server;
  std::unique_ptr<pagoda::app::HubService> hub;
  std::unique_ptr<pagoda::app::DownloadService> downloads;
  std::unique_ptr<pagoda::app::TelemetryService> telemetry;
  std::unique_ptr<pagoda::ui::MainWindow> window;
};

// Answers the next confirmation box named `name` (ui::confirmDestructive) once it is open:
// its destructive button when `accept`, else Cancel. Returns the text it asked, once answered.
inline std::shared_ptr<QString> answerConfirmation(const QString& name, bool accept) {
  auto asked = std::make_shared<QString>();
  auto* poll = new QTimer(qApp);
  poll->setInterval(20);
  auto tries = std::make_shared<int>(0);
  QObject::connect(poll, &QTimer::timeout, poll, [poll, name, accept, asked, tries] {
    auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
    if (++*tries > 500) poll->deleteLater();  // 10 s: the box never came
    if (!box || box->objectName() != name) return;
    *asked = box->text();
    for (QAbstractButton* b : box->buttons())
      if ((box->buttonRole(b) == QMessageBox::DestructiveRole) == accept) {
        b->click();
        break;
      }
    poll->deleteLater();
  });
  poll->start();
  return asked;
}
