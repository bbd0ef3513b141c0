#include "ui/self_test.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QIcon>
#include <QImage>
#include <QImageReader>
#include <QSqlDatabase>
#include <QThread>
#include <QTranslator>
#include <QWidget>
#include <QWindow>
#include <cstdio>
#include <functional>

#include "app/services/chat_store.h"
#include "app/services/model_library.h"
#include "ui/main_window.h"

namespace pagoda::ui {
namespace {

class Checks {
 public:
  void check(const char* name, bool ok, const QString& detail) {
    std::printf("self-test: %-4s %s: %s\n", ok ? "ok" : "FAIL", name, qPrintable(detail));
    std::fflush(stdout);
    if (!ok) ++failed_;
  }
  int failed() const { return failed_; }

 private:
  int failed_ = 0;
};

bool waitUntil(const std::function<bool()>& done, int timeout_ms) {
  QElapsedTimer timer;
  timer.start();
  while (!done()) {
    if (timer.elapsed() > timeout_ms) return false;
    QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    QThread::msleep(10);
  }
  return true;
}

// A blank icon is what a missing SVG plugin looks like: a null pixmap, or one with no pixel drawn.
bool rendersVisibly(const QString& path) {
  const QImage image = QIcon(path).pixmap(32, 32).toImage();
  if (image.isNull()) return false;
  for (int y = 0; y < image.height(); ++y)
    for (int x = 0; x < image.width(); ++x)
      if (qAlpha(image.pixel(x, y)) > 0) return true;
  return false;
}

void checkIcons(Checks& checks, const MainWindow& window) {
  checks.check("svg image format", QImageReader::supportedImageFormats().contains("svg"),
               QStringLiteral("Qt image formats: %1")
                   .arg(QString::fromLatin1(QImageReader::supportedImageFormats().join(' '))));
  const QStringList names = QDir(QStringLiteral(":/icons")).entryList({"*.svg"}, QDir::Files);
  QStringList blank;
  for (const QString& name : names)
    if (!rendersVisibly(QStringLiteral(":/icons/") + name)) blank << name;
  checks.check("icons", !names.isEmpty() && blank.isEmpty(),
               blank.isEmpty() ? QStringLiteral("%1 SVG icons render").arg(names.size())
                               : QStringLiteral("blank: %1").arg(blank.join(", ")));
  checks.check("window icon", !window.windowIcon().pixmap(64, 64).isNull(),
               QStringLiteral("pagoda.svg"));
}

void checkPages(Checks& checks, MainWindow& window) {
  window.show();
  const bool exposed = waitUntil(
      [&window] { return window.windowHandle() && window.windowHandle()->isExposed(); }, 10000);
  checks.check("main window", exposed,
               QStringLiteral("platform %1").arg(QGuiApplication::platformName()));
  if (!exposed) return;
  QStringList broken;
  int shown = 0;
  for (int p = 0; p < MainWindow::PageCount; ++p) {
    // Showing Discover searches the hub online; the self-test stays offline.
    if (p == MainWindow::Discover) continue;
    window.showPage(MainWindow::Page(p));
    QCoreApplication::processEvents();
    QWidget* page = window.page(MainWindow::Page(p));
    if (page && page->isVisible() && !page->grab().isNull())
      ++shown;
    else
      broken << QString::number(p);
  }
  checks.check("pages", broken.isEmpty(),
               broken.isEmpty() ? QStringLiteral("%1 pages shown").arg(shown)
                                : QStringLiteral("not shown: %1").arg(broken.join(", ")));
}

void checkBundledModel(Checks& checks, const app::ModelLibrary& library) {
  auto bundled = [&library]() -> app::ModelEntry {
    for (const app::ModelEntry& e : library.models())
      if (e.source == QLatin1String("bundled")) return e;
    return {};
  };
  waitUntil([&] { return !library.isScanning() && !bundled().path.isEmpty(); }, 20000);
  const app::ModelEntry demo = bundled();
  checks.check("bundled model", demo.loadable,
               demo.path.isEmpty() ? QStringLiteral("not found")
                                   : demo.path + (demo.loadable ? QString() : ": " + demo.problem));
}

}  // namespace

std::unique_ptr<QTemporaryDir> prepareSelfTest() {
  auto dir = std::make_unique<QTemporaryDir>(QDir::tempPath() + "/pagoda-self-test-XXXXXX");
  for (const char* var : {"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"})
    qputenv(var, QFile::encodeName(dir->path() + "/" + QString::fromLatin1(var).toLower()));
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  return dir;
}

int runSelfTest(MainWindow& window, app::ModelLibrary& library, const app::ChatStore& store) {
  Checks checks;
  checks.check("fonts", !QFontDatabase::families().isEmpty(),
               QStringLiteral("%1 font families").arg(QFontDatabase::families().size()));
  checkIcons(checks, window);
  checks.check("sqlite", QSqlDatabase::isDriverAvailable(QStringLiteral("QSQLITE")) && store.ok(),
               store.ok() ? QStringLiteral("chat history schema %1, %2")
                                .arg(store.migration().to_version)
                                .arg(store.path())
                          : store.errorString());
  QTranslator chinese;
  checks.check("translations", chinese.load(QStringLiteral(":/i18n/pagoda_zh_CN.qm")),
               QStringLiteral("zh_CN"));
  checkPages(checks, window);
  checkBundledModel(checks, library);
  std::printf("self-test: %s\n", checks.failed() == 0 ? "passed" : "FAILED");
  return checks.failed() == 0 ? 0 : 1;
}

}  // namespace pagoda::ui
