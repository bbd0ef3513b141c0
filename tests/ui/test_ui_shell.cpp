// The shell: the window starts offscreen, every page can be reached, the language switches,
// `pagoda --version` needs no display and `pagoda --self-test` passes.
#include <QListWidget>
#include <QProcess>
#include <QProcessEnvironment>
#include <QtTest>

#include "ui/chat_page.h"
#include "ui/models_page.h"
#include "ui/settings_page.h"
#include "ui/ui_util.h"
#include "tests/ui/ui_test_harness.h"

using pagoda::ui::MainWindow;

class TestUiShell : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { pagoda::ui::applyStyle(); }
  void walksEveryPage();
  void modelsPageListsDemo();
  void switchesToChinese();
  void versionWithoutDisplay();
  void selfTestPasses();
};

void TestUiShell::walksEveryPage() {
  AppHarness app;
  app.window->show();
  QVERIFY(QTest::qWaitForWindowExposed(app.window.get()));
  auto* nav = app.window->findChild<QListWidget*>("Nav");
  QVERIFY(nav);
  QCOMPARE(nav->count(), int(MainWindow::PageCount));
  for (int page = 0; page < MainWindow::PageCount; ++page) {
    // Click the navigation entry like a user.
    const QRect rect = nav->visualItemRect(nav->item(page));
    QTest::mouseClick(nav->viewport(), Qt::LeftButton, {}, rect.center());
    QCOMPARE(int(app.window->currentPage()), page);
    QWidget* shown = app.window->page(MainWindow::Page(page));
    QVERIFY(shown->isVisible());
    QVERIFY(!shown->grab().isNull());
  }
  QVERIFY(qobject_cast<pagoda::ui::ModelsPage*>(app.window->page(MainWindow::Models)));
  QVERIFY(qobject_cast<pagoda::ui::ChatPage*>(app.window->page(MainWindow::Chat)));
  QVERIFY(qobject_cast<pagoda::ui::SettingsPage*>(app.window->page(MainWindow::Settings)));
}

void TestUiShell::modelsPageListsDemo() {
  AppHarness app;
  app.window->show();
  app.window->showPage(MainWindow::Models);
  QTRY_VERIFY_WITH_TIMEOUT(!app.library->models().isEmpty(), 20000);
  // The bundled model has a card with an enabled Load button.
  QTRY_VERIFY([&] {
    for (QWidget* card : app.window->modelsPage()->findChildren<QWidget*>("Card"))
      if (card->property("modelPath").toString().endsWith("demo-chat")) return true;
    return false;
  }());
}

void TestUiShell::switchesToChinese() {
  AppHarness app;
  app.window->show();
  QObject::connect(app.settings.get(), &pagoda::app::AppSettings::languageChanged,
                   &pagoda::ui::applyLanguage);
  auto nav_text = [&] {
    return app.window->findChild<QListWidget*>("Nav")->item(MainWindow::Chat)->text();
  };
  QCOMPARE(nav_text(), QString("Chat"));
  app.settings->setLanguage("zh_CN");
  QTRY_COMPARE(nav_text(), QString::fromUtf8("聊天"));
  QCOMPARE(int(app.window->currentPage()), int(MainWindow::Chat));
  app.settings->setLanguage("en");
  QTRY_COMPARE(nav_text(), QString("Chat"));
}

void TestUiShell::versionWithoutDisplay() {
  QProcess process;
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.remove("DISPLAY");
  env.remove("WAYLAND_DISPLAY");
  env.remove("QT_QPA_PLATFORM");
  process.setProcessEnvironment(env);
  process.start(PAGODA_APP, {"--version"});
  QVERIFY(process.waitForFinished(10000));
  QCOMPARE(process.exitCode(), 0);
  QCOMPARE(process.readAllStandardOutput().trimmed(), QByteArray("pagoda " PAGODA_VERSION));
}

// The check the package test runs in a clean Debian root; here on the build tree.
void TestUiShell::selfTestPasses() {
  QProcess process;
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.remove("DISPLAY");
  env.remove("QT_QPA_PLATFORM");  // --self-test picks offscreen itself
  process.setProcessEnvironment(env);
  process.start(PAGODA_APP, {"--self-test"});
  QVERIFY(process.waitForFinished(60000));
  const QByteArray out = process.readAllStandardOutput();
  QVERIFY2(process.exitCode() == 0, out.constData());
  QVERIFY2(out.contains("self-test: ok   icons:"), out.constData());
  QVERIFY2(out.contains("self-test: ok   bundled model:"), out.constData());
  QVERIFY2(out.trimmed().endsWith("self-test: passed"), out.constData());
}

QTEST_MAIN(TestUiShell)
#include "test_ui_shell.moc"
