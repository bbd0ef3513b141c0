#pragma once
// The app's services as the pages see them: made in main() (or a test harness) and handed to
// the main window, which hands them to each page. Pages talk to the services through signals and
// slots only; everything here lives on the GUI thread.
namespace pagoda::app {
class ApiServerService;
class AppSettings;
class ChatService;
class ChatStore;
class DownloadService;
class EngineService;
class HubService;
class KeyStore;
class ModelLibrary;
class TelemetryService;
}  // namespace pagoda::app

namespace pagoda::ui {

// Every pointer is required (the window builds one page per service).
struct Services {
  app::AppSettings* settings = nullptr;
  app::ChatStore* store = nullptr;
  app::ModelLibrary* library = nullptr;
  app::EngineService* engine = nullptr;
  app::ChatService* chat = nullptr;
  app::KeyStore* keys = nullptr;
  app::ApiServerService* server = nullptr;
  app::HubService* hub = nullptr;
  app::DownloadService* downloads = nullptr;
  app::TelemetryService* telemetry = nullptr;
};

}  // namespace pagoda::ui
