// Renders the chat page and the first-run welcome at 1024x700 and 1600x1000, in English and
// Chinese, into a folder (docs/screenshots): the welcome as a fresh home shows it (a simulated
// GPU through the fake NVML library, nothing loaded yet), then demo-chat answering on the CPU, one
// reply regenerated ("< 2/2 >"), and a long reply with a code block and an unbreakable URL.
// Run it under a real X server (tests/ui/take-screenshots.sh does, with Xvfb when available).
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QThread>

#include "tests/app/fake_nvml_control.h"
#include "app/services/chat_types.h"
#include "app/services/engine_service.h"
#include "app/services/telemetry_service.h"
#include "ui/chat_page.h"
#include "ui/ui_util.h"
#include "tests/ui/ui_test_harness.h"

using pagoda::ui::MainWindow;

namespace {

void waitUntil(const std::function<bool()>& done, int timeout_ms) {
  QElapsedTimer clock;
  clock.start();
  while (!done() && clock.elapsed() < timeout_ms) {
    QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    QThread::msleep(5);
  }
}

void settle() {
  QElapsedTimer clock;
  clock.start();
  while (clock.elapsed() < 400) QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
}

const QSize kSizes[] = {{1024, 700}, {1600, 1000}};

// <name>[-zh_CN]-<w>x<h>.png at each size.
void shoot(AppHarness& app, const QString& out, const QString& name, const QString& language) {
  for (QSize size : kSizes) {
    app.window->resize(size);
    settle();
    const QString suffix = language == "en" ? QString() : "-" + language;
    app.window->grab().save(QStringLiteral("%1/%2%3-%4x%5.png")
                                .arg(out, name, suffix)
                                .arg(size.width())
                                .arg(size.height()));
  }
}

}  // namespace

int main(int argc, char** argv) {
  QApplication qapp(argc, argv);
  if (argc < 2) return 2;
  const QString out = QString::fromLocal8Bit(argv[1]);
  QDir().mkpath(out);
  pagoda::ui::applyStyle();
  pagoda::testing::FakeNvml gpu;
  gpu.set_gpu_count(1);
  gpu.set_gpu(0, "NVIDIA GeForce RTX 3080 (simulated)", 10ull << 30);
  pagoda::app::TelemetryOptions telemetry;
  telemetry.nvml_library = QStringLiteral(PAGODA_FAKE_NVML);
  telemetry.interval_ms = 200;
  AppHarness app({}, telemetry);
  QObject::connect(app.settings.get(), &pagoda::app::AppSettings::languageChanged,
                   &pagoda::ui::applyLanguage);
  app.settings->setDevice("cpu");
  app.window->show();
  app.window->showPage(MainWindow::Chat);
  waitUntil([&] { return !app.library->models().isEmpty() && app.telemetry->samples() > 0; },
            20000);
  for (const char* language : {"en", "zh_CN"}) {
    app.settings->setLanguage(QString::fromLatin1(language));
    settle();
    app.window->showPage(MainWindow::Chat);
    shoot(app, out, "welcome", QString::fromLatin1(language));
  }
  app.settings->setLanguage("en");
  settle();

  app.engine->load(QStringLiteral(PAGODA_TEST_DATA "/models/demo-chat"), "cpu", 4096);
  waitUntil([&] { return app.engine->isLoaded(); }, 60000);
  pagoda::ui::ChatPage* page = app.window->chatPage();
  const qint64 older = page->newConversation();
  app.store->renameConversation(older, "A long answer with code");
  app.store->addMessage(older, "user", "Show me a long answer");
  app.store->addMessage(
      older, "assistant",
      QString("A paragraph that wraps over several lines at any width of the window. ").repeated(6) +
          "\n\n```cpp\nint main() {\n  return 0;\n}\n```\n\nSee https://example.com/" +
          QString("a-very-long-path-without-any-spaces").repeated(4));
  const qint64 chat = page->newConversation();
  app.store->setSampling(chat, pagoda::app::SamplingSettings::preset("precise"));
  page->selectConversation(chat);
  for (const char* question : {"What is the capital of China?", "What is 7 + 5?", "Count from 1 to 9."}) {
    app.chat->send(chat, QString::fromUtf8(question));
    waitUntil([&] { return !app.chat->isGenerating(); }, 60000);
  }
  app.chat->regenerate(chat);
  waitUntil([&] { return !app.chat->isGenerating(); }, 60000);
  page->selectConversation(chat);
  shoot(app, out, "chat", "en");
  page->selectConversation(older);
  shoot(app, out, "chat-long", "en");

  app.settings->setLanguage("zh_CN");
  settle();
  page = app.window->chatPage();
  const qint64 chinese = page->newConversation();
  app.store->setSampling(chinese, pagoda::app::SamplingSettings::preset("precise"));
  for (const char* question : {"中国的首都是哪里?"}) {
    app.chat->send(chinese, QString::fromUtf8(question));
    waitUntil([&] { return !app.chat->isGenerating(); }, 60000);
  }
  page->selectConversation(chinese);
  shoot(app, out, "chat", "zh_CN");
  app.settings->setLanguage("en");
  app.window.reset();
  return 0;
}
