// The Server page end to end: demo-chat on the CPU served by the real OpenAI-compatible server
// behind the page's switch, called over real HTTP; the request log, the API key (401 without it,
// kept out of the settings file), a port already in use, the network warning, following model
// unload/load, switching off, the refusal to listen on the network without a key and the
// allowed hosts (DNS rebinding protection).
#include <QCheckBox>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTcpServer>
#include <QTimer>
#include <QtTest>

#include "app/services/api_server_service.h"
#include "ui/server_page.h"
#include "ui/ui_util.h"
#include "tests/ui/ui_test_harness.h"

using namespace pagoda;
using app::ApiServerService;
using ui::MainWindow;

namespace {

struct HttpResult {
  int status = 0;
  QNetworkReply::NetworkError error = QNetworkReply::NoError;
  QByteArray body;
};

// One request on a local event loop (the GUI thread keeps running: the server's log arrives).
HttpResult http(const QString& method, const QString& url, const QByteArray& body = {},
                const QString& key = {}, const QByteArray& host = {}) {
  QNetworkAccessManager nam;
  nam.setProxy(QNetworkProxy::NoProxy);
  QNetworkRequest request{QUrl(url)};
  request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
  if (!key.isEmpty()) request.setRawHeader("Authorization", "Bearer " + key.toUtf8());
  if (!host.isEmpty()) request.setRawHeader("Host", host);
  request.setTransferTimeout(60000);
  QNetworkReply* reply = nam.sendCustomRequest(request, method.toLatin1(), body);
  QEventLoop loop;
  QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
  loop.exec();
  HttpResult out;
  out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
  out.error = reply->error();
  out.body = reply->readAll();
  reply->deleteLater();
  return out;
}

int freePort() {
  QTcpServer probe;
  if (!probe.listen(QHostAddress::LocalHost, 0)) return 0;
  return probe.serverPort();
}

// The golden greedy answer of demo-chat to a single question (golden/chat-demo.jsonl).
QString goldenAnswer(const QString& question) {
  QFile f(QStringLiteral(PAGODA_TEST_DATA "/golden/chat-demo.jsonl"));
  if (!f.open(QIODevice::ReadOnly)) return {};
  for (const QByteArray& line : f.readAll().split('\n')) {
    const QJsonObject o = QJsonDocument::fromJson(line).object();
    const QJsonArray messages = o.value("messages").toArray();
    if (messages.size() == 1 && messages[0].toObject().value("content").toString() == question)
      return o.value("text").toString();
  }
  return {};
}

}  // namespace

class TestUiServer : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void servesTheLoadedModel();
  void apiKeyIsRequiredAndNeverSaved();
  void portInUseIsReported();
  void networkExposureWarns();
  void followsModelUnloadAndLoad();
  void restartAndRequestsKeepTheGuiResponsive();
  void switchingOffRefusesConnections();
  void chineseTranslation();
  void cleanupTestCase();

 private:
  void setPort(int port);
  void waitForState(ApiServerService::State state);
  QString url(const QString& route) const {
    return QStringLiteral("http://127.0.0.1:%1%2").arg(server_->boundPort()).arg(route);
  }
  template <typename T>
  T* find(const char* name) const {
    T* w = page_->findChild<T*>(QString::fromLatin1(name));
    if (!w) qFatal("no widget %s", name);
    return w;
  }

  std::unique_ptr<AppHarness> app_;
  ApiServerService* server_ = nullptr;
  ui::ServerPage* page_ = nullptr;
};

void TestUiServer::initTestCase() {
  ui::applyStyle();
  app_ = std::make_unique<AppHarness>();
  server_ = app_->server.get();
  page_ = qobject_cast<ui::ServerPage*>(app_->window->page(MainWindow::Server));
  QVERIFY(page_);
  app_->window->show();
  app_->window->showPage(MainWindow::Server);
  QVERIFY(!server_->isEnabled());
  QCOMPARE(server_->port(), ApiServerService::kDefaultPort);
  app_->engine->load(QStringLiteral(PAGODA_TEST_DATA "/models/demo-chat"), "cpu", 4096);
  QTRY_VERIFY_WITH_TIMEOUT(app_->engine->isLoaded(), 60000);
}

void TestUiServer::cleanupTestCase() {
  app_.reset();  // main()'s order: the window (and this page), the server, then the rest
}

void TestUiServer::setPort(int port) {
  auto* spin = find<QSpinBox>("ServerPort");
  spin->setValue(port);
  emit spin->editingFinished();
  QCOMPARE(server_->port(), port);
}

void TestUiServer::waitForState(ApiServerService::State state) {
  QTRY_VERIFY_WITH_TIMEOUT(server_->state() == state, 10000);
}

void TestUiServer::servesTheLoadedModel() {
  const int port = freePort();
  QVERIFY(port > 0);
  setPort(port);
  auto* on = find<QPushButton>("Primary");
  QCOMPARE(on->text(), QString("Turn on"));
  QTest::mouseClick(on, Qt::LeftButton);
  QVERIFY(server_->isEnabled());
  waitForState(ApiServerService::State::Listening);
  QCOMPARE(server_->boundPort(), port);
  const QString base = QStringLiteral("http://127.0.0.1:%1/v1").arg(port);
  QCOMPARE(find<QLabel>("ServerState")->text(), "Listening on " + base);
  QCOMPARE(find<QLabel>("ServerBaseUrl")->text(), base);
  QVERIFY(find<QPlainTextEdit>("ServerCurl")->toPlainText().contains("\"model\": \"demo-chat\""));
  QVERIFY(find<QPlainTextEdit>("ServerPython")->toPlainText().contains(base));

  const HttpResult models = http("GET", url("/v1/models"));
  QCOMPARE(models.status, 200);
  const QJsonArray data = QJsonDocument::fromJson(models.body).object().value("data").toArray();
  QCOMPARE(data.size(), 1);
  QCOMPARE(data[0].toObject().value("id").toString(), QString("demo-chat"));

  const QString question = "What is the capital of China?";
  const QString expected = goldenAnswer(question);
  QVERIFY(!expected.isEmpty());
  const QJsonObject request{
      {"model", "demo-chat"},
      {"temperature", 0},
      {"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", question}}}}};
  const HttpResult chat = http("POST", url("/v1/chat/completions"),
                               QJsonDocument(request).toJson(QJsonDocument::Compact));
  QCOMPARE(chat.status, 200);
  const QJsonObject answer = QJsonDocument::fromJson(chat.body).object();
  QCOMPARE(answer.value("choices")[0].toObject().value("message").toObject().value("content"),
           expected);
  const int completion_tokens = answer.value("usage").toObject().value("completion_tokens").toInt();
  QVERIFY(completion_tokens > 0);

  // Newest first: the chat request, then the models request.
  QTableWidget* table = page_->requestTable();
  QTRY_COMPARE(table->rowCount(), 2);
  QCOMPARE(table->item(0, 1)->text(), QString("POST /v1/chat/completions"));
  QCOMPARE(table->item(0, 2)->text(), QString("200"));
  QVERIFY2(table->item(0, 3)->text().endsWith(QStringLiteral("/ %1").arg(completion_tokens)),
           qPrintable(table->item(0, 3)->text()));
  QCOMPARE(table->item(1, 1)->text(), QString("GET /v1/models"));
  QCOMPARE(server_->log().size(), 2);
}

void TestUiServer::apiKeyIsRequiredAndNeverSaved() {
  QVERIFY(server_->apiKey().isEmpty());
  QTest::mouseClick(find<QPushButton>("ServerGenerateKey"), Qt::LeftButton);
  const QString key = server_->apiKey();
  QVERIFY(key.startsWith("sk-pagoda-"));
  QCOMPARE(key.size(), 10 + 32);
  QVERIFY(key != ApiServerService::generateApiKey());
  auto* field = find<QLineEdit>("ServerKey");
  QCOMPARE(field->echoMode(), QLineEdit::Password);
  QTest::mouseClick(find<QPushButton>("ServerRevealKey"), Qt::LeftButton);
  QCOMPARE(field->echoMode(), QLineEdit::Normal);
  QCOMPARE(field->text(), key);
  QTest::mouseClick(find<QPushButton>("ServerRevealKey"), Qt::LeftButton);
  QCOMPARE(field->echoMode(), QLineEdit::Password);
  QVERIFY(find<QPlainTextEdit>("ServerCurl")->toPlainText().contains("$PAGODA_API_KEY"));
  QVERIFY(!find<QPlainTextEdit>("ServerCurl")->toPlainText().contains(key));

  // The server restarts with the key.
  waitForState(ApiServerService::State::Listening);
  QTRY_COMPARE_WITH_TIMEOUT(http("GET", url("/v1/models")).status, 401, 10000);
  QCOMPARE(http("GET", url("/v1/models"), {}, "sk-pagoda-wrong").status, 401);
  QCOMPARE(http("GET", url("/v1/models"), {}, key).status, 200);
  const auto newest = [this] {
    QTableWidget* t = page_->requestTable();
    return t->item(0, 1)->text() + " " + t->item(0, 2)->text();
  };
  QTRY_COMPARE(newest(), QString("GET /v1/models 200"));

  // In the keychain store (memory in tests) only: not in the settings file.
  app_->settings->setDevice("cpu");  // any write: the file exists and is synced
  QSettings(app_->settings->fileName(), QSettings::IniFormat).sync();
  QFile conf(app_->settings->fileName());
  QVERIFY(conf.open(QIODevice::ReadOnly));
  const QByteArray saved = conf.readAll();
  QVERIFY(saved.contains("enabled=true"));
  QVERIFY(!saved.contains(key.toUtf8()));
  QVERIFY(!saved.contains("sk-pagoda"));
  QString stored;
  bool read = false;
  app_->keys->readKey("local-api-server", [&](const QString& k) {
    stored = k;
    read = true;
  });
  QTRY_VERIFY(read);
  QCOMPARE(stored, key);

  // The next start of the app, with the key gone from the keychain: refuse rather than serve
  // without authentication.
  {
    app::EngineService other_engine;
    app::KeyStore empty_keychain(false);
    ApiServerService next_start(app_->settings.get(), &other_engine, &empty_keychain);
    QVERIFY(next_start.isEnabled());
    QTRY_COMPARE(next_start.state(), ApiServerService::State::Failed);
    QVERIFY2(next_start.errorString().contains("keychain"), qPrintable(next_start.errorString()));
  }

  // Off and on again: the key still applies.
  server_->setEnabled(false);
  waitForState(ApiServerService::State::Stopped);
  server_->setEnabled(true);
  waitForState(ApiServerService::State::Listening);
  QCOMPARE(http("GET", url("/v1/models")).status, 401);

  answerConfirmation("RemoveKeyConfirm", true);
  QTest::mouseClick(find<QPushButton>("ServerRemoveKey"), Qt::LeftButton);
  QVERIFY(server_->apiKey().isEmpty());
  waitForState(ApiServerService::State::Listening);
  QTRY_COMPARE_WITH_TIMEOUT(http("GET", url("/v1/models")).status, 200, 10000);
}

void TestUiServer::portInUseIsReported() {
  const int good_port = server_->boundPort();
  QTcpServer squatter;
  QVERIFY(squatter.listen(QHostAddress::LocalHost, 0));
  setPort(squatter.serverPort());
  waitForState(ApiServerService::State::Failed);
  auto* state = page_->findChild<QLabel*>("Problem");
  QVERIFY(state);
  QVERIFY2(state->text().contains("in use"), qPrintable(state->text()));
  QVERIFY(state->text().contains(QString::number(squatter.serverPort())));
  setPort(good_port);
  waitForState(ApiServerService::State::Listening);
  QCOMPARE(http("GET", url("/health")).status, 200);
}

void TestUiServer::networkExposureWarns() {
  auto* warning = page_->findChild<QFrame*>("ServerWarning");
  QVERIFY(warning);
  QVERIFY(!warning->isVisibleTo(page_));
  QVERIFY(server_->apiKey().isEmpty());
  const int port = server_->boundPort();
  // Without a key the page refuses to listen on the network, and says why.
  find<QCheckBox>("ServerLan")->click();
  QVERIFY(server_->lanExposed());
  QVERIFY(warning->isVisibleTo(page_));
  waitForState(ApiServerService::State::Failed);
  QVERIFY2(server_->errorString().contains("API key"), qPrintable(server_->errorString()));
  auto* state = page_->findChild<QLabel*>("Problem");
  QVERIFY(state);
  QVERIFY2(state->text().contains("API key"), qPrintable(state->text()));
  QTest::mouseClick(find<QPushButton>("ServerGenerateKey"), Qt::LeftButton);
  const QString key = server_->apiKey();
  QVERIFY(!key.isEmpty());
  waitForState(ApiServerService::State::Listening);
  QCOMPARE(server_->boundPort(), port);
  QCOMPARE(http("GET", url("/health")).status, 200);  // 0.0.0.0 includes the loopback
  QCOMPARE(http("GET", url("/v1/models"), {}, key).status, 200);
  // DNS rebinding protection: a Host the user has not allowed is refused until it is added.
  QCOMPARE(http("GET", url("/v1/models"), {}, key, "mybox.lan:8000").status, 403);
  auto* hosts = find<QLineEdit>("ServerAllowedHosts");
  hosts->setText("mybox.lan, .example.com");
  emit hosts->editingFinished();
  QCOMPARE(server_->allowedHosts(), QStringList({"mybox.lan", ".example.com"}));
  waitForState(ApiServerService::State::Listening);
  QTRY_COMPARE_WITH_TIMEOUT(
      http("GET", url("/v1/models"), {}, key, "mybox.lan:8000").status, 200, 10000);
  QCOMPARE(http("GET", url("/v1/models"), {}, key, "api.example.com").status, 200);
  QCOMPARE(http("GET", url("/v1/models"), {}, key, "attacker.example").status, 403);
  hosts->setText("");
  emit hosts->editingFinished();
  QVERIFY(server_->allowedHosts().isEmpty());
  find<QCheckBox>("ServerLan")->click();
  QVERIFY(!server_->lanExposed());
  QVERIFY(!warning->isVisibleTo(page_));
  answerConfirmation("RemoveKeyConfirm", true);
  QTest::mouseClick(find<QPushButton>("ServerRemoveKey"), Qt::LeftButton);
  QVERIFY(server_->apiKey().isEmpty());
  waitForState(ApiServerService::State::Listening);
  QTRY_COMPARE_WITH_TIMEOUT(http("GET", url("/v1/models")).status, 200, 10000);
}

void TestUiServer::followsModelUnloadAndLoad() {
  QCOMPARE(http("GET", url("/health")).status, 200);
  app_->engine->unload();
  QTRY_VERIFY_WITH_TIMEOUT(!app_->engine->isLoaded(), 10000);
  QCOMPARE(http("GET", url("/health")).status, 503);
  QVERIFY(find<QPlainTextEdit>("ServerCurl")->toPlainText().contains("\"model\": \"MODEL\""));
  app_->engine->load(QStringLiteral(PAGODA_TEST_DATA "/models/demo-chat"), "cpu", 4096);
  QTRY_VERIFY_WITH_TIMEOUT(app_->engine->isLoaded(), 60000);
  QCOMPARE(http("GET", url("/health")).status, 200);
  QVERIFY(find<QPlainTextEdit>("ServerCurl")->toPlainText().contains("\"model\": \"demo-chat\""));
}

void TestUiServer::restartAndRequestsKeepTheGuiResponsive() {
  // The longest gap between ticks of a 10 ms timer on the GUI thread.
  QElapsedTimer clock;
  qint64 max_gap_ms = 0;
  QTimer tick;
  tick.setInterval(10);
  tick.setTimerType(Qt::PreciseTimer);
  connect(&tick, &QTimer::timeout, this,
          [&] { max_gap_ms = std::max(max_gap_ms, clock.restart()); });
  clock.start();
  tick.start();
  setPort(freePort());  // a restart: stop (joining the HTTP threads) and bind
  waitForState(ApiServerService::State::Listening);
  const QJsonObject request{
      {"model", "demo-chat"},
      {"temperature", 0},
      {"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", "Hello!"}}}}};
  QCOMPARE(http("POST", url("/v1/chat/completions"),
                QJsonDocument(request).toJson(QJsonDocument::Compact))
               .status,
           200);
  tick.stop();
  qInfo() << "longest GUI event-loop gap over a restart and a chat request:" << max_gap_ms << "ms";
  QVERIFY2(max_gap_ms < 250, qPrintable(QString::number(max_gap_ms)));
}

void TestUiServer::switchingOffRefusesConnections() {
  const int port = server_->boundPort();
  auto* off = find<QPushButton>("ServerSwitch");
  QCOMPARE(off->text(), QString("Turn off"));
  QTest::mouseClick(off, Qt::LeftButton);
  QVERIFY(!server_->isEnabled());
  waitForState(ApiServerService::State::Stopped);
  const HttpResult refused = http("GET", QStringLiteral("http://127.0.0.1:%1/v1/models").arg(port));
  QCOMPARE(refused.error, QNetworkReply::ConnectionRefusedError);
  QVERIFY(find<QPushButton>("Primary")->text() == "Turn on");
  // The log outlives the server, and the page rebuilt from the service shows it again.
  QVERIFY(page_->requestTable()->rowCount() >= 5);
}

void TestUiServer::chineseTranslation() {
  ui::applyLanguage("zh_CN");
  ui::ServerPage page(app_->services());
  QVERIFY(page.findChild<QPushButton*>("Primary")->text() == QString::fromUtf8("开启"));
  QCOMPARE(page.requestTable()->horizontalHeaderItem(4)->text(), QString::fromUtf8("延迟"));
  ui::applyLanguage("en");
}

QTEST_MAIN(TestUiServer)
#include "test_ui_server.moc"
