// The Server page's API key on a desktop without a keychain (a fresh HOME with no session bus,
// as under offscreen: QtKeychain has no backend), the served model and its public name, the
// one context-length control, confirmations before destructive actions, refusing to import a
// folder that is not a model, the export file name, and the theme choice.
#include <QCheckBox>
#include <QComboBox>
#include <QListWidget>
#include <QVBoxLayout>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QtTest>

#include "app/services/api_server_service.h"
#include "app/services/engine_service.h"
#include "app/services/key_store.h"
#include "ui/models_page.h"
#include "ui/server_page.h"
#include "ui/settings_page.h"
#include "ui/ui_util.h"
#include "tests/ui/ui_test_harness.h"

using pagoda::app::ApiServerService;
using pagoda::app::KeyStore;
using pagoda::ui::MainWindow;

namespace {

QByteArray get(const QString& url, const QString& key) {
  QNetworkAccessManager nam;
  nam.setProxy(QNetworkProxy::NoProxy);
  QNetworkRequest request{QUrl(url)};
  if (!key.isEmpty()) request.setRawHeader("Authorization", "Bearer " + key.toUtf8());
  QNetworkReply* reply = nam.get(request);
  QEventLoop loop;
  QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
  QTimer::singleShot(20000, &loop, &QEventLoop::quit);
  loop.exec();
  const QByteArray body = QByteArray::number(
                              reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt()) +
                          " " + reply->readAll();
  reply->deleteLater();
  return body;
}

}  // namespace

class TestUiKeysAndSettings : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void keyWithoutKeychainSurvivesRestart();
  void replacingKeyAsksFirst();
  void servedModelPinnedWithPublicName();
  void contextLengthIsOneCappedControl();
  void importRefusesNonModelFolder();
  void exportProposesSafeName();
  void themeChoice();
  void focusIsVisible();

 private:
  QTemporaryDir home_;
};

void TestUiKeysAndSettings::initTestCase() {
  // A fresh home and no session bus: no Secret Service, no KWallet, like a bare desktop.
  qputenv("HOME", home_.path().toUtf8());
  qputenv("XDG_DATA_HOME", (home_.path() + "/.local/share").toUtf8());
  qputenv("XDG_CONFIG_HOME", (home_.path() + "/.config").toUtf8());
  qunsetenv("DBUS_SESSION_BUS_ADDRESS");
  qunsetenv("DISPLAY");
  QStandardPaths::setTestModeEnabled(false);
  pagoda::ui::applyStyle();
}

void TestUiKeysAndSettings::keyWithoutKeychainSurvivesRestart() {
  AppHarness app;  // its own KeyStore keeps keys in memory; this test uses the real one
  const QString settings_file = app.settings->fileName();
  QString key;
  {
    KeyStore keys(true);
    QVERIFY2(keys.fallbackFile().startsWith(home_.path()), qPrintable(keys.fallbackFile()));
    pagoda::app::EngineService engine;
    ApiServerService server(app.settings.get(), &engine, &keys);
    QSignalSpy stored(&keys, &KeyStore::keyStored);
    server.setApiKey(ApiServerService::generateApiKey());
    key = server.apiKey();
    QVERIFY(stored.wait(30000));
    // The keychain refused it (no backend): the key went to the file, readable by the user only.
    QCOMPARE(keys.storage(QString::fromLatin1(ApiServerService::kKeyId)), KeyStore::Storage::File);
    QVERIFY(!keys.keychainError().isEmpty());
    QVERIFY2(!keys.keychainError().contains("Unknown error"), qPrintable(keys.keychainError()));
    QFile file(keys.fallbackFile());
    QVERIFY(file.exists());
    QCOMPARE(file.permissions() & ~(QFileDevice::ReadUser | QFileDevice::WriteUser),
             QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    // The Server page says where the key is.
    pagoda::ui::Services services = app.services();
    services.keys = &keys;
    services.server = &server;
    services.engine = &engine;
    pagoda::ui::ServerPage page(services);
    auto* storage = page.findChild<QLabel*>("ServerKeyStorage");
    QVERIFY(storage && !storage->isHidden());
    QVERIFY2(storage->text().contains(keys.fallbackFile()), qPrintable(storage->text()));
  }
  // A restart of the service objects: the key is read back and the server starts with it.
  KeyStore keys(true);
  pagoda::app::EngineService engine;
  pagoda::app::AppSettings settings(settings_file);
  ApiServerService server(&settings, &engine, &keys);
  QTRY_COMPARE_WITH_TIMEOUT(server.apiKey(), key, 30000);
  QVERIFY(server.keyError().isEmpty());
  server.setPort(0);
  server.setEnabled(true);
  QTRY_VERIFY_WITH_TIMEOUT(server.state() == ApiServerService::State::Listening ||
                               server.state() == ApiServerService::State::Failed,
                           30000);
  QVERIFY2(server.state() == ApiServerService::State::Listening, qPrintable(server.errorString()));
  const QString models = server.baseUrl() + "/models";
  QVERIFY(get(models, {}).startsWith("401"));
  QVERIFY(get(models, key).startsWith("200"));
  server.setEnabled(false);
}

void TestUiKeysAndSettings::replacingKeyAsksFirst() {
  AppHarness app;
  app.window->show();
  app.window->showPage(MainWindow::Server);
  auto* generate = app.window->page(MainWindow::Server)->findChild<QPushButton*>("ServerGenerateKey");
  QVERIFY(generate);
  generate->click();  // no key yet: nothing to lose, no question
  const QString first = app.server->apiKey();
  QVERIFY(!first.isEmpty());
  auto asked = answerConfirmation("ReplaceKeyConfirm", false);
  generate->click();
  QVERIFY(!asked->isEmpty());
  QCOMPARE(app.server->apiKey(), first);  // said no: the working key stays
  asked = answerConfirmation("ReplaceKeyConfirm", true);
  generate->click();
  QVERIFY(!asked->isEmpty());
  QVERIFY(app.server->apiKey() != first);
}

// A pinned model is loaded when the API is on; /v1/models reports the public name.
void TestUiKeysAndSettings::servedModelPinnedWithPublicName() {
  AppHarness app;
  QTRY_VERIFY_WITH_TIMEOUT(!app.library->models().isEmpty(), 20000);
  app.window->show();
  app.window->showPage(MainWindow::Server);
  QWidget* page = app.window->page(MainWindow::Server);
  auto* model = page->findChild<QComboBox*>("ServerModel");
  auto* name = page->findChild<QLineEdit*>("ServerPublicName");
  QVERIFY(model && name);
  QTRY_VERIFY(model->count() >= 2);  // "the loaded model" and demo-chat
  const QString demo = model->itemData(1).toString();
  model->setCurrentIndex(1);
  emit model->activated(1);
  QCOMPARE(app.server->pinnedModel(), demo);
  QVERIFY(!app.engine->isLoading());  // the API is off: nothing is loaded yet
  name->setText("house-model");
  emit name->editingFinished();
  QCOMPARE(app.server->publicModelName(), QString("house-model"));
  app.server->setPort(0);
  app.server->setEnabled(true);
  QTRY_VERIFY_WITH_TIMEOUT(app.engine->isLoaded(), 60000);
  QCOMPARE(app.engine->info().path, demo);
  QTRY_COMPARE_WITH_TIMEOUT(int(app.server->state()), int(ApiServerService::State::Listening),
                            20000);
  const QByteArray models = get(app.server->baseUrl() + "/models", {});
  QVERIFY2(models.startsWith("200") && models.contains("\"house-model\""), models.constData());
  app.server->setEnabled(false);
}

// One control (Models page), named, stored in the settings; the estimate and the load use the
// value capped at the model's max_position_embeddings.
void TestUiKeysAndSettings::contextLengthIsOneCappedControl() {
  AppHarness app;
  app.window->show();
  QCOMPARE(app.window->settingsPage()->findChildren<QSpinBox*>("ContextLength").size(), 0);
  auto* control = app.window->modelsPage()->findChild<QSpinBox*>("ContextLength");
  QVERIFY(control);
  QTRY_VERIFY_WITH_TIMEOUT(!app.library->models().isEmpty(), 20000);
  const pagoda::app::ModelEntry demo = app.library->models().first();
  QVERIFY(demo.context_length > 0);
  control->setValue(demo.context_length * 4);
  QCOMPARE(app.settings->contextLength(), demo.context_length * 4);
  QCOMPARE(pagoda::app::ModelLibrary::cappedContext(demo, demo.context_length * 4),
           demo.context_length);
  QCOMPARE(pagoda::app::ModelLibrary::estimateBytes(demo, demo.context_length * 4),
           pagoda::app::ModelLibrary::estimateBytes(demo, demo.context_length));
  QVERIFY(pagoda::app::ModelLibrary::estimateBytes(demo, 256) <
          pagoda::app::ModelLibrary::estimateBytes(demo, demo.context_length));
  app.window->modelsPage()->loadModel(demo.path);
  QTRY_VERIFY_WITH_TIMEOUT(app.engine->isLoaded(), 60000);
  QCOMPARE(app.engine->info().max_model_len, demo.context_length);
  // Another window of the same settings shows the same value.
  app.settings->setContextLength(1024);
  QCOMPARE(control->value(), 1024);
  app.engine->unload();
}

void TestUiKeysAndSettings::importRefusesNonModelFolder() {
  AppHarness app;
  QTemporaryDir not_a_model;
  QFile(not_a_model.path() + "/notes.txt").open(QIODevice::WriteOnly);
  pagoda::ui::ModelsPage* page = app.window->modelsPage();
  QVERIFY(!page->importFolder(not_a_model.path()));
  QVERIFY(app.settings->importedFolders().isEmpty());
  auto* notice = page->findChild<QLabel*>("ModelsNotice");
  QVERIFY2(notice->text().contains("config.json"), qPrintable(notice->text()));
  QVERIFY(page->importFolder(PAGODA_TEST_DATA "/models/tiny-qwen3"));
  QCOMPARE(app.settings->importedFolders().size(), 1);
}

void TestUiKeysAndSettings::exportProposesSafeName() {
  QCOMPARE(pagoda::ui::safeFileName(" a/b\\c:d*e?f\"g<h>i|j ", "chat"), QString("a b c d e f g h i j"));
  QCOMPARE(pagoda::ui::safeFileName("../..", "chat"), QString("chat"));
  QCOMPARE(pagoda::ui::safeFileName(QString::fromUtf8("北京 旅行"), "chat"),
           QString::fromUtf8("北京 旅行"));
  const QString path = pagoda::ui::proposedSavePath("What is 7 / 5?", ".md");
  QCOMPARE(QFileInfo(path).fileName(), QString("What is 7 5.md"));
  QCOMPARE(QFileInfo(path).absolutePath(),
           QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation));
}

void TestUiKeysAndSettings::themeChoice() {
  AppHarness app;
  QObject::connect(app.settings.get(), &pagoda::app::AppSettings::themeChanged,
                   [](const QString& theme) { pagoda::ui::applyStyle(theme); });
  QCOMPARE(app.settings->theme(), QString("system"));
  auto* theme = app.window->settingsPage()->findChild<QComboBox*>("Theme");
  QVERIFY(theme);
  QCOMPARE(theme->count(), 3);
  app.settings->setTheme("dark");
  QVERIFY(pagoda::ui::isDarkTheme());
  QVERIFY(qApp->palette().color(QPalette::Window).lightness() < 100);
  QVERIFY(qApp->styleSheet().contains("#0f172a"));
  app.settings->setTheme("light");
  QVERIFY(!pagoda::ui::isDarkTheme());
  QVERIFY(qApp->palette().color(QPalette::Window).lightness() > 200);
  app.settings->setTheme("system");
  QCOMPARE(pagoda::ui::isDarkTheme(), pagoda::ui::systemPrefersDark());
  QCOMPARE(pagoda::app::AppSettings(app.settings->fileName()).theme(), QString("system"));
}

// Keyboard focus changes how a button, a check box and a list look, in both themes.
void TestUiKeysAndSettings::focusIsVisible() {
  for (const QString theme : {QStringLiteral("light"), QStringLiteral("dark")}) {
    pagoda::ui::applyStyle(theme);
    QWidget window;
    auto* layout = new QVBoxLayout(&window);
    auto* other = new QLineEdit;
    QList<QWidget*> focusable = {new QPushButton("Load"), new QCheckBox("Allow"),
                                 new QListWidget};
    layout->addWidget(other);
    for (QWidget* w : focusable) layout->addWidget(w);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    for (QWidget* w : focusable) {
      other->setFocus();
      QTRY_VERIFY(other->hasFocus());
      const QImage before = w->grab().toImage();
      w->setFocus(Qt::TabFocusReason);
      QTRY_VERIFY(w->hasFocus());
      QCoreApplication::processEvents();
      QVERIFY2(w->grab().toImage() != before,
               qPrintable(theme + ": no focus ring on " + w->metaObject()->className()));
    }
  }
  pagoda::ui::applyStyle("light");
}

QTEST_MAIN(TestUiKeysAndSettings)
#include "test_ui_keys_and_settings.moc"
