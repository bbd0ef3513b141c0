// Renders the chat page and the first-run welcome at 1024x700 and 1600x1000, in English and
// Chinese, into a folder (docs/screenshots): the welcome as a fresh home shows it (a simulated
// GPU through the fake NVML library, nothing loaded yet), then demo-chat answering on the CPU, one
// reply regenerated ("< 2/2 >"), and a long reply with a code block and an unbreakable URL.
// Run it under a real X server (tests/ui/take-screenshots.sh does, with Xvfb when available).
#include "tests/ui/screenshot_tool.h"

using pagoda::ui::MainWindow;
using namespace screenshots;

namespace {

const QSize kSizes[] = {{1024, 700}, {1600, 1000}};

// <name>[-zh_CN]-<w>x<h>.png at each size.
void shoot(AppHarness& app, const QString& out, const QString& name, const QString& language) {
  for (QSize size : kSizes) {
    app.window->resize(size);
    settle(400);
    const QString suffix = language == "en" ? QString() : "-" + language;
    saveShot(app.window.get(), out, name + suffix, size);
  }
}

}  // namespace

int main(int argc, char** argv) {
  QApplication qapp(argc, argv);
  const QString out = startTool(argc, argv);
  if (out.isEmpty()) return 2;
  SimulatedGpu gpu("NVIDIA GeForce RTX 3080 (simulated)", 10ull << 30);
  pagoda::app::TelemetryOptions telemetry = fakeNvmlTelemetry();
  telemetry.interval_ms = 200;
  AppHarness app({}, telemetry);
  prepareApp(app);
  app.window->show();
  app.window->showPage(MainWindow::Chat);
  waitUntil([&] { return !app.library->models().isEmpty() && app.telemetry->samples() > 0; },
            20000);
  for (const char* language : {"en", "zh_CN"}) {
    app.settings->setLanguage(QString::fromLatin1(language));
    settle(400);
    app.window->showPage(MainWindow::Chat);
    shoot(app, out, "welcome", QString::fromLatin1(language));
  }
  app.settings->setLanguage("en");
  settle(400);

  app.engine->load(QStringLiteral(PAGODA_TEST_DATA "/models/demo-chat"), "cpu", 4096);
  waitUntil([&] { return app.engine->isLoaded(); }, 60000);
  pagoda::ui::ChatPage* page = app.window->chatPage();
  const qint64 older = storedChat(
      app, "A long answer with code", "Show me a long answer",
      QString("A paragraph that wraps over several lines at any width of the window. ").repeated(6) +
          "\n\n```cpp\nint main() {\n  return 0;\n}\n```\n\nSee https://example.com/" +
          QString("a-very-long-path-without-any-spaces").repeated(4));
  const qint64 chat =
      askedChat(app, {"What is the capital of China?", "What is 7 + 5?", "Count from 1 to 9."});
  app.chat->regenerate(chat);
  waitUntil([&] { return !app.chat->isGenerating(); }, 60000);
  page->selectConversation(chat);
  shoot(app, out, "chat", "en");
  page->selectConversation(older);
  shoot(app, out, "chat-long", "en");

  app.settings->setLanguage("zh_CN");
  settle(400);
  askedChat(app, {"中国的首都是哪里?"});
  shoot(app, out, "chat", "zh_CN");
  app.settings->setLanguage("en");
  app.window.reset();
  return 0;
}
