// Renders every page of the app at 1024x700 and 1600x1000 into a folder (docs/screenshots),
// with demo-chat loaded and a short conversation, in English and in Simplified Chinese, as
// <page>-<language>-<width>x<height>.png. tests/ui/take-screenshots.sh runs it under Xvfb. The Dashboard is
// taken during a burst of real CPU generations on demo-chat, with the fake NVML library
// (tests/app/fake_nvml.cpp) standing in for a GPU driver and following the engine's load.
// Usage: pagoda_screenshots <output folder>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QTimer>
#include <cmath>

#include "app/services/api_server_service.h"
#include "app/services/download_service.h"
#include "app/services/engine_service.h"
#include "app/services/hub_service.h"
#include "tests/app/fake_hub/fake_hub.h"
#include "tests/ui/screenshot_tool.h"
#include "ui/discover_page.h"

using pagoda::ui::MainWindow;
using namespace screenshots;

namespace {

// Many chat requests at once on the local engine for `seconds`, in waves, while the fake GPU
// follows the engine's load; the Dashboard then shows a real burst.
void generationBurst(AppHarness& app, pagoda::testing::FakeNvml& gpu, int seconds) {
  const char* questions[] = {"What is the capital of China?", "Hello!", "What is 7 + 5?",
                             "Tell me about the Great Wall.", "What is the capital of France?"};
  QObject context;
  int sent = 0, running = 0;
  QObject::connect(app.engine.get(), &pagoda::app::EngineService::finished, &context,
                   [&running] { --running; });
  QObject::connect(app.engine.get(), &pagoda::app::EngineService::statsUpdated, &context,
                   [&gpu](const pagoda::app::EngineStatsSnapshot& s) {
                     const unsigned util =
                         s.running ? std::min(97u, 38u + 14u * unsigned(s.running)) : 2u;
                     const unsigned long long used =
                         (16ull << 30) + static_cast<unsigned long long>(s.kv_usage * (4ull << 30));
                     gpu.set_load(0, util, used, 30 + 3 * util, 36 + util / 3,
                                  util > 10 ? 2520 : 210);
                   });
  QElapsedTimer clock;
  clock.start();
  while (clock.elapsed() < seconds * 1000) {
    // Keep a number of requests in flight that rises and falls over 20 s (3 to 21).
    const double phase = 2 * M_PI * (clock.elapsed() % 20000) / 20000.0;
    const int target = int(12 - 9 * std::cos(phase));
    for (; running < target; ++sent, ++running) {
      pagoda::app::SamplingSettings sampling = pagoda::app::SamplingSettings::preset("creative");
      sampling.max_tokens = 96;
      sampling.seed = sent;
      const QJsonArray messages{QJsonObject{
          {"role", "user"}, {"content", QString::fromUtf8(questions[sent % 5])}}};
      app.engine->chat(QStringLiteral("burst-%1").arg(sent), messages, sampling);
    }
    QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
  }
}

// Two more models in the library: one complete, one with a missing shard (shown with its reason).
void addLibraryModels(AppHarness& app) {
  const QString models = app.settings->modelsFolder();
  for (const QString& name : {QStringLiteral("tiny-qwen3"), QStringLiteral("tiny-qwen2")}) {
    const QDir from(QStringLiteral(PAGODA_TEST_DATA "/models/") + name);
    QDir().mkpath(models + "/" + name);
    for (const QString& file : from.entryList(QDir::Files))
      if (!file.contains("00002-of"))
        QFile::copy(from.filePath(file), models + "/" + name + "/" + file);
  }
  app.library->rescan();
}

// The fake hub's folder: the fixture models as pagoda/<name>, tiny-qwen3 with a model card.
void fillHub(const QString& root) {
  for (const char* name :
       {"tiny-qwen3", "tiny-llama3", "tiny-mistral", "tiny-qwen2", "tiny-yi-spm"}) {
    const QDir from(QStringLiteral(PAGODA_TEST_DATA "/models/") + name);
    const QString to = root + "/pagoda/" + name;
    QDir().mkpath(to);
    for (const QString& file : from.entryList(QDir::Files))
      QFile::copy(from.filePath(file), to + "/" + file);
  }
  {
    QFile readme(root + "/pagoda/tiny-qwen3/README.md");
    readme.open(QIODevice::WriteOnly);
    readme.write(
        "# tiny-qwen3\n\nA **tiny** Qwen3-architecture model with random weights, made for "
        "testing Pagoda's engine end to end.\n\n## Use\n\n```\npagoda-cli generate "
        "pagoda/tiny-qwen3 --prompt \"Hello\"\n```\n\n## Details\n\n- 2 layers, hidden size "
        "64\n- A context of 4096 tokens\n- License: Apache-2.0\n");
  }
}

// The Server page: the API on with a key, and a few requests in its log (one without the key).
void fillServerLog(AppHarness& app) {
  using ServerState = pagoda::app::ApiServerService::State;
  app.server->setApiKey(pagoda::app::ApiServerService::generateApiKey());
  app.server->setEnabled(true);
  const auto started = [&] {
    return app.server->state() == ServerState::Listening || app.server->state() == ServerState::Failed;
  };
  waitUntil(started, 10000);
  if (app.server->state() != ServerState::Listening) {  // 8000 is taken here: any free port
    app.server->setPort(0);
    waitUntil(started, 10000);
  }
  QNetworkAccessManager nam;
  nam.setProxy(QNetworkProxy::NoProxy);
  const auto call = [&](const char* route, const QByteArray& body, bool with_key) {
    QNetworkRequest request(QUrl(app.server->baseUrl() + QString::fromLatin1(route)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    if (with_key) request.setRawHeader("Authorization", "Bearer " + app.server->apiKey().toUtf8());
    QNetworkReply* reply = body.isEmpty() ? nam.get(request) : nam.post(request, body);
    waitUntil([reply] { return reply->isFinished(); }, 60000);
    reply->deleteLater();
  };
  call("/models", {}, false);
  call("/models", {}, true);
  for (const char* question : {"Hello!", "What is the capital of China?"})
    call("/chat/completions",
         QByteArray(R"({"model":"demo-chat","temperature":0,"messages":[{"role":"user",)") +
             R"("content":")" + question + R"("}]})",
         true);
}

// Downloads: one completed, two running slowly, one paused, one that failed.
void fillDownloads(AppHarness& app, pagoda::test::FakeHub& fake_hub) {
  auto item_for = [&](const QString& model) {
    for (const pagoda::app::DownloadItem& item : app.downloads->items())
      if (item.model_id == model) return item;
    return pagoda::app::DownloadItem{};
  };
  app.downloads->enqueue("pagoda/tiny-yi-spm");
  waitUntil([&] { return item_for("pagoda/tiny-yi-spm").state == "completed"; }, 30000);
  pagoda::test::FakeHubFaults slow;
  slow.bytes_per_second = 600 << 10;
  fake_hub.set_faults(slow);
  app.downloads->setMaxConcurrent(2);
  for (const char* model : {"pagoda/tiny-llama3", "pagoda/tiny-qwen2", "pagoda/tiny-mistral"})
    app.downloads->enqueue(model);
  waitUntil([&] { return item_for("pagoda/tiny-qwen2").bytes_done > (1 << 20); }, 30000);
  app.downloads->pause(item_for("pagoda/tiny-qwen2").id);
  app.downloads->enqueue("pagoda/no-such-model");
  waitUntil([&] { return item_for("pagoda/no-such-model").state == "failed"; }, 30000);
  waitUntil([&] { return item_for("pagoda/tiny-mistral").bytes_done > (1 << 20); }, 30000);
}

// Discover: all models on the hub, tiny-qwen3 open with its card and fit estimate.
void openDiscoverModel(AppHarness& app) {
  auto* discover = qobject_cast<pagoda::ui::DiscoverPage*>(app.window->page(MainWindow::Discover));
  discover->search("");
  discover->openModel("pagoda/tiny-qwen3");
  waitUntil([&] { return discover->openModelId() == "pagoda/tiny-qwen3"; }, 20000);
}

// Every page at two window sizes in both languages, the chat `chat` shown (in Chinese, a new one
// asked in Chinese). The Dashboard first gets a minute of a real burst of generations, then a
// short burst before each of its shots keeps it live.
void shootEveryPage(AppHarness& app, SimulatedGpu& gpu, const QString& out, qint64 chat) {
  const struct {
    MainWindow::Page page;
    const char* name;
  } pages[] = {{MainWindow::Chat, "chat"},           {MainWindow::Models, "models"},
               {MainWindow::Settings, "settings"},   {MainWindow::Discover, "discover"},
               {MainWindow::Downloads, "downloads"}, {MainWindow::Server, "server"},
               {MainWindow::Dashboard, "dashboard"}};
  app.window->showPage(MainWindow::Dashboard);
  app.telemetry->setWindowMinutes(1);
  generationBurst(app, gpu, 50);
  qint64 chat_shown = chat;
  for (const char* language : {"en", "zh_CN"}) {
    if (app.settings->language() != QLatin1String(language)) {
      app.settings->setLanguage(QString::fromLatin1(language));
      settle(300);
      openDiscoverModel(app);  // the pages were built again in the new language
    }
    if (QLatin1String(language) == QLatin1String("zh_CN"))
      chat_shown = askedChat(app, {"中国的首都是哪里?"});
    app.window->chatPage()->selectConversation(chat_shown);
    for (const QSize size : {QSize(1024, 700), QSize(1600, 1000)}) {
      app.window->resize(size);
      for (const auto& p : pages) {
        app.window->showPage(p.page);
        if (p.page == MainWindow::Dashboard) generationBurst(app, gpu, 3);
        settle(300);
        saveShot(app.window.get(), out,
                 QString::fromLatin1(p.name) + "-" + QString::fromLatin1(language), size);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  QApplication qapp(argc, argv);
  const QString out = startTool(argc, argv);
  if (out.isEmpty()) return 2;
  SimulatedGpu gpu("NVIDIA GeForce RTX 4090 (simulated)", 24ull << 30);
  gpu.set_load(0, 2, 16ull << 30, 30, 36, 210);
  gpu.clear_processes();
  gpu.add_process(0, static_cast<unsigned>(QCoreApplication::applicationPid()), "pagoda",
                  14ull << 30);
  gpu.add_process(0, 2817, "python3", 1900ull << 20);
  gpu.add_process(0, 1342, "Xorg", 310ull << 20);
  AppHarness app({}, fakeNvmlTelemetry());
  prepareApp(app);
  app.settings->saveRemoteEndpoint(
      {{}, "Office GPU server", "http://gpu-box:8000/v1", "Qwen/Qwen3-8B"});
  addLibraryModels(app);

  // Discover and Downloads talk to a fake hub on 127.0.0.1 serving the fixture models as
  // pagoda/<name>, one of them with a model card.
  QTemporaryDir hub_root;
  fillHub(hub_root.path());
  pagoda::test::FakeHub fake_hub(hub_root.path().toStdString());
  fake_hub.start();
  app.hub->setEndpointText(QString::fromStdString("ms+" + fake_hub.url()));
  app.window = std::make_unique<MainWindow>(app.services());  // Discover on the fake hub
  app.window->resize(1024, 700);
  app.window->show();
  waitUntil([&] { return !app.library->models().isEmpty(); }, 20000);
  app.engine->load(QStringLiteral(PAGODA_TEST_DATA "/models/demo-chat"), "cpu", 4096);
  waitUntil([&] { return app.engine->isLoaded(); }, 60000);

  // A conversation with a real reply, and a second one in the list.
  app.window->showPage(MainWindow::Chat);
  storedChat(app, "Arithmetic practice", "What is 7 + 5?", "7 + 5 = 12.");
  const qint64 chat = askedChat(app, {"Hello!", "What is the capital of China?"});
  fillServerLog(app);
  fillDownloads(app, fake_hub);
  openDiscoverModel(app);
  shootEveryPage(app, gpu, out, chat);
  app.settings->setLanguage("en");
  app.telemetry->setWindowMinutes(5);
  app.window.reset();  // before the hub and download services it shows
  return 0;
}
