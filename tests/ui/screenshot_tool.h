#pragma once
// What the two screenshot tools share (take_screenshots.cpp: every page; take_chat_screenshots.cpp:
// the chat page and the first-run welcome): their start (the output folder, the style, a simulated
// GPU through the fake NVML library, the whole app on the CPU with languages switching live),
// waiting on the event loop, the chats they show and the file names of the shots.
// GUI thread only.
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QThread>
#include <functional>
#include <initializer_list>

#include "app/services/chat_types.h"
#include "app/services/telemetry_service.h"
#include "tests/app/fake_nvml_control.h"
#include "tests/ui/ui_test_harness.h"
#include "ui/chat_page.h"
#include "ui/ui_util.h"

namespace screenshots {

// Runs the event loop until done() or timeout_ms have passed.
inline void waitUntil(const std::function<bool()>& done, int timeout_ms) {
  QElapsedTimer clock;
  clock.start();
  while (!done() && clock.elapsed() < timeout_ms) {
    QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    QThread::msleep(5);
  }
}

// Lets layouts and repaints settle for `ms` before a shot.
inline void settle(int ms) {
  QElapsedTimer clock;
  clock.start();
  while (clock.elapsed() < ms) QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
}

// The output folder named by the first argument, made; empty without one (usage error). Also
// applies the app's style, as main() does before any window.
inline QString startTool(int argc, char** argv) {
  if (argc < 2) return {};
  const QString out = QString::fromLocal8Bit(argv[1]);
  QDir().mkpath(out);
  pagoda::ui::applyStyle();
  return out;
}

// The fake NVML library with one simulated GPU of `memory` bytes.
struct SimulatedGpu : pagoda::testing::FakeNvml {
  SimulatedGpu(const char* name, unsigned long long memory) {
    set_gpu_count(1);
    set_gpu(0, name, memory);
  }
};

// Telemetry reading the fake NVML library, loaded through the same path as the real driver's.
inline pagoda::app::TelemetryOptions fakeNvmlTelemetry() {
  pagoda::app::TelemetryOptions telemetry;
  telemetry.nvml_library = QStringLiteral(PAGODA_FAKE_NVML);
  return telemetry;
}

// The app as the shots show it: languages switch live, the engine runs on the CPU.
inline void prepareApp(AppHarness& app) {
  QObject::connect(app.settings.get(), &pagoda::app::AppSettings::languageChanged,
                   &pagoda::ui::applyLanguage);
  app.settings->setDevice("cpu");
}

// A new chat as stored, without asking a model: its title, a question and the answer.
inline qint64 storedChat(AppHarness& app, const QString& title, const QString& question,
                         const QString& answer) {
  const qint64 id = app.window->chatPage()->newConversation();
  app.store->renameConversation(id, title);
  app.store->addMessage(id, "user", question);
  app.store->addMessage(id, "assistant", answer);
  return id;
}

// A new chat with the "precise" preset, shown, the questions asked one after another of the
// loaded model (each answered before the next); shown again once answered.
inline qint64 askedChat(AppHarness& app, std::initializer_list<const char*> questions) {
  pagoda::ui::ChatPage* page = app.window->chatPage();
  const qint64 id = page->newConversation();
  app.store->setSampling(id, pagoda::app::SamplingSettings::preset("precise"));
  page->selectConversation(id);
  for (const char* question : questions) {
    app.chat->send(id, QString::fromUtf8(question));
    waitUntil([&] { return !app.chat->isGenerating(); }, 60000);
  }
  page->selectConversation(id);
  return id;
}

// Saves the window, resized to `size` before, as <out>/<name>-<width>x<height>.png.
inline void saveShot(QWidget* window, const QString& out, const QString& name, QSize size) {
  window->grab().save(
      QStringLiteral("%1/%2-%3x%4.png").arg(out, name).arg(size.width()).arg(size.height()));
}

}  // namespace screenshots
