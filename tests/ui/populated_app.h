#pragma once
// The whole app with something on every page, for tests that look at all of it (layout audit,
// untranslated text): a fake hub over the fixture models (Discover shows results and an open
// model; Downloads a completed and a failed download), a library model besides demo-chat, a
// remote endpoint and a server API key. GUI thread only.
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QListWidget>
#include <functional>

#include "app/services/download_service.h"
#include "app/services/hub_service.h"
#include "tests/app/fake_hub/fake_hub.h"
#include "tests/ui/ui_test_harness.h"
#include "ui/discover_page.h"
#include "ui/ui_util.h"

namespace pagoda::test {

inline bool waitUntil(const std::function<bool()>& done, int timeout_ms) {
  QElapsedTimer clock;
  clock.start();
  while (!done()) {
    if (clock.elapsed() > timeout_ms) return false;
    QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
  }
  return true;
}

// Lets layouts, deferred rebuilds and style polish run.
inline void settle(int ms = 150) {
  QElapsedTimer clock;
  clock.start();
  while (clock.elapsed() < ms) QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
}

struct PopulatedApp {
  PopulatedApp()
      : fake(PAGODA_TEST_DATA "/models"),
        app({}, {}, QString::fromStdString("ms+" + started(fake).url())) {
    QObject::connect(app.settings.get(), &pagoda::app::AppSettings::languageChanged,
                     &pagoda::ui::applyLanguage);
    const QDir from(QStringLiteral(PAGODA_TEST_DATA "/models/tiny-qwen3"));
    const QString to = app.settings->modelsFolder() + "/tiny-qwen3";
    QDir().mkpath(to);
    for (const QString& file : from.entryList(QDir::Files))
      QFile::copy(from.filePath(file), to + "/" + file);
    app.library->rescan();
    app.settings->saveRemoteEndpoint(
        {{}, "Office GPU server", "http://gpu-box:8000/v1", "Qwen/Qwen3-8B"});
    app.server->setApiKey(pagoda::app::ApiServerService::generateApiKey());
    app.downloads->enqueue("pagoda/tiny-yi-spm");
    waitUntil([&] { return state("pagoda/tiny-yi-spm") == "completed"; }, 30000);
    app.downloads->enqueue("pagoda/no-such-model");
    waitUntil([&] { return state("pagoda/no-such-model") == "failed"; }, 30000);
    app.window->show();
    waitUntil([&] { return app.library->models().size() >= 3; }, 20000);
    openDiscover();
  }
  static pagoda::test::FakeHub& started(pagoda::test::FakeHub& f) {
    f.start();
    return f;
  }
  QString state(const QString& model_id) const {
    for (const pagoda::app::DownloadItem& item : app.downloads->items())
      if (item.model_id == model_id) return item.state;
    return {};
  }
  pagoda::ui::DiscoverPage* discover() const {
    return qobject_cast<pagoda::ui::DiscoverPage*>(
        app.window->page(pagoda::ui::MainWindow::Discover));
  }
  // Discover with all results and one model open (again after a language switch rebuilt it).
  void openDiscover() {
    discover()->search("");
    auto* results = discover()->findChild<QListWidget*>("HubResults");
    waitUntil([&] { return results && results->count() > 0; }, 10000);
    discover()->openModel("pagoda/tiny-qwen3");
    waitUntil([&] { return discover()->openModelId() == "pagoda/tiny-qwen3"; }, 10000);
    settle(300);
  }
  // Switches the UI language and waits for the window to rebuild its pages in it.
  void setLanguage(const QString& language) {
    if (language == current_language) return;
    const QWidget* before = app.window->page(pagoda::ui::MainWindow::Discover);
    app.settings->setLanguage(language);
    pagoda::ui::applyLanguage(language);
    waitUntil([&] { return app.window->page(pagoda::ui::MainWindow::Discover) != before; }, 5000);
    current_language = language;
    openDiscover();
  }

  pagoda::test::FakeHub fake;  // first: the app's hub points at it, and it outlives the app
  AppHarness app;
  QString current_language = QStringLiteral("en");
};

}  // namespace pagoda::test
