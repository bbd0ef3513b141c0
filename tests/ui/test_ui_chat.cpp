// The chat page end to end: demo-chat on the CPU backend answers from the golden conversations,
// streamed; regenerate, edit-and-resend, stop, switching conversation mid-reply, quitting mid-reply
// and reopening the history; the GUI thread's event loop never stalls while a reply streams.
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QTimer>
#include <QtTest>

#include "tests/app/test_services_fake_openai.h"
#include "ui/chat_page.h"
#include "ui/message_view.h"
#include "ui/models_page.h"
#include "ui/ui_util.h"
#include "tests/ui/ui_test_harness.h"

using namespace pagoda;
using ui::MainWindow;

namespace {

struct GoldenChat {
  QString question;
  QString answer;
};

// Single-turn conversations without a system prompt from golden/chat-demo.jsonl.
QList<GoldenChat> goldenChats() {
  QList<GoldenChat> out;
  QFile f(QStringLiteral(PAGODA_TEST_DATA "/golden/chat-demo.jsonl"));
  if (!f.open(QIODevice::ReadOnly)) return out;
  for (const QByteArray& line : f.readAll().split('\n')) {
    const QJsonObject o = QJsonDocument::fromJson(line).object();
    const QJsonArray messages = o.value("messages").toArray();
    if (messages.size() != 1) continue;
    out << GoldenChat{messages[0].toObject().value("content").toString(),
                      o.value("text").toString()};
  }
  return out;
}

// The longest gap between ticks of a 10 ms timer on the GUI thread.
class GapMeter : public QObject {
 public:
  GapMeter() {
    timer_.setInterval(10);
    timer_.setTimerType(Qt::PreciseTimer);
    QObject::connect(&timer_, &QTimer::timeout, this,
                     [this] { max_gap_ms_ = std::max(max_gap_ms_, clock_.restart()); });
  }
  void start() {
    clock_.start();
    timer_.start();
  }
  qint64 stop() {
    timer_.stop();
    return max_gap_ms_;
  }

 private:
  QTimer timer_;
  QElapsedTimer clock_;
  qint64 max_gap_ms_ = 0;
};

QList<ui::MessageView*> views(AppHarness& app) {
  return app.window->chatPage()->messageViews();
}

ui::MessageView* lastView(AppHarness& app) {
  ui::MessageView* last = nullptr;
  for (ui::MessageView* v : views(app))
    if (!last || v->messageId() > last->messageId()) last = v;
  return last;
}

void typeAndSend(AppHarness& app, const QString& text) {
  ui::Composer* composer = app.window->chatPage()->composer();
  composer->setFocus();
  QTest::keyClicks(composer, text);
  QTest::keyClick(composer, Qt::Key_Return, Qt::ShiftModifier);  // a newline, not a send
  QVERIFY(!app.chat->isGenerating());
  QTest::keyClick(composer, Qt::Key_Backspace);
  QTest::keyClick(composer, Qt::Key_Return);
}

void usePrecisePreset(AppHarness& app) {
  auto* preset = app.window->chatPage()->findChild<QComboBox*>("Preset");
  const int index = preset->findData("precise");
  preset->setCurrentIndex(index);
  emit preset->activated(index);
}

QString remoteTarget(AppHarness& app, const FakeOpenAiServer& server) {
  return "remote:" + app.settings->saveRemoteEndpoint({{}, "Fake", server.baseUrl(), "fake"});
}

}  // namespace

class TestUiChat : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { ui::applyStyle(); }
  void demoChatAnswersOnCpu();
  void stopSwitchAndStallWithRemote();
  void reopenFindsEverything();
};

void TestUiChat::demoChatAnswersOnCpu() {
  const QList<GoldenChat> golden = goldenChats();
  QVERIFY(golden.size() >= 2);
  QTemporaryDir dir;
  {
    AppHarness app(dir.path());
    app.settings->setDevice("cpu");
    app.window->show();
    app.window->showPage(MainWindow::Models);
    QTRY_VERIFY_WITH_TIMEOUT(!app.library->models().isEmpty(), 20000);
    QPushButton* load = nullptr;
    QTRY_VERIFY([&] {
      for (QWidget* card : app.window->modelsPage()->findChildren<QWidget*>("Card"))
        if (card->property("modelPath").toString().endsWith("demo-chat"))
          for (QPushButton* b : card->findChildren<QPushButton*>())
            if (b->property("role") == "load") load = b;
      return load != nullptr;
    }());
    QTest::mouseClick(load, Qt::LeftButton);
    QVERIFY(app.engine->isLoading());
    QSignalSpy failed(app.engine.get(), &app::EngineService::loadFailed);
    QTRY_VERIFY_WITH_TIMEOUT(app.engine->isLoaded() || !failed.isEmpty(), 60000);
    QVERIFY2(app.engine->isLoaded(),
             failed.isEmpty() ? "" : qPrintable(failed.first().at(1).toString()));
    QCOMPARE(app.engine->info().backend, QString("cpu"));
    QVERIFY(app.engine->workerThread()->objectName() == "pagoda-engine-worker");

    app.window->showPage(MainWindow::Chat);
    const qint64 conversation = app.window->chatPage()->newConversation();
    usePrecisePreset(app);
    QCOMPARE(app.store->conversation(conversation).sampling.temperature, 0.0);

    QSignalSpy updates(app.chat.get(), &app::ChatService::streamUpdated);
    QSignalSpy finished(app.chat.get(), &app::ChatService::generationFinished);
    typeAndSend(app, golden[0].question);
    QVERIFY(app.chat->isGenerating());
    GapMeter meter;
    meter.start();
    QVERIFY(finished.wait(60000));
    const qint64 local_gap = meter.stop();
    qInfo() << "demo-chat reply:" << updates.count() << "streamed updates; longest GUI gap"
            << local_gap << "ms";
    QVERIFY(updates.count() >= 2);  // streamed, not delivered at once
    QCOMPARE(finished.first().at(2).toString(), QString("complete"));
    QTRY_COMPARE(views(app).size(), 2);
    QCOMPARE(lastView(app)->answerText(), golden[0].answer);
    QVERIFY(app.window->chatPage()->footerText().contains("tokens/s"));
    QCOMPARE(app.store->conversation(conversation).title, golden[0].question);

    // Regenerate: greedy, so the same answer again, replacing the old one.
    finished.clear();
    QTest::mouseClick(app.window->chatPage()->findChild<QPushButton*>("RegenerateButton"),
                      Qt::LeftButton);
    QVERIFY(finished.wait(60000));
    QTRY_COMPARE(views(app).size(), 2);
    QCOMPARE(app.store->messages(conversation).size(), 2);
    QCOMPARE(lastView(app)->answerText(), golden[0].answer);

    // Edit the question and resend: the other golden question gets its answer.
    ui::MessageView* user_view = nullptr;
    for (ui::MessageView* v : views(app))
      if (v->role() == "user") user_view = v;
    user_view->startEdit();
    auto* editor = user_view->findChild<QPlainTextEdit*>("EditBox");
    editor->setPlainText(golden[1].question);
    QPushButton* resend = nullptr;
    for (QPushButton* b : user_view->findChildren<QPushButton*>())
      if (b->objectName() == "Primary") resend = b;
    finished.clear();
    QTest::mouseClick(resend, Qt::LeftButton);
    QVERIFY(finished.wait(60000));
    QTRY_COMPARE(views(app).size(), 2);
    const QList<app::ChatMessage> edited = app.store->messages(conversation);
    QCOMPARE(edited.size(), 2);
    QCOMPARE(edited[0].content, golden[1].question);
    QCOMPARE(edited[1].content, golden[1].answer);

    // Quit while a reply is being generated: no hang, no crash, the reply is kept.
    typeAndSend(app, golden[0].question);
    QVERIFY(app.chat->isGenerating());
  }
  app::ChatStore reopened(dir.filePath("chats.sqlite3"));
  const QList<app::ConversationInfo> conversations = reopened.conversations();
  QCOMPARE(conversations.size(), 1);
  const QList<app::ChatMessage> messages = reopened.messages(conversations.first().id);
  QCOMPARE(messages.size(), 4);
  QVERIFY(messages.last().state == app::kStateStopped ||
          messages.last().state == app::kStateComplete);
  QCOMPARE(reopened.recoveredInterrupted(), 0);
}

void TestUiChat::stopSwitchAndStallWithRemote() {
  FakeOpenAiServer server;
  for (int i = 0; i < 150; ++i)
    server.chunks << QStringLiteral("Word %1 ").arg(i)
                  << (i % 10 == 9 ? "\n\n```cpp\nint x = 1;\n```\n\n" : "");
  server.interval_ms = 10;
  AppHarness app;
  app.window->show();
  app.window->showPage(MainWindow::Chat);
  ui::ChatPage* page = app.window->chatPage();
  const QString target = remoteTarget(app, server);
  const qint64 first = page->newConversation();
  app.store->setTarget(first, target);
  page->selectConversation(first);
  QCOMPARE(page->findChild<QComboBox*>("Target")->currentData().toString(), target);

  // The same meter with nothing streaming: on a busy machine the scheduler alone causes gaps.
  GapMeter idle;
  idle.start();
  QTest::qWait(1000);
  const qint64 idle_gap = idle.stop();

  // Stop mid-stream.
  QSignalSpy updates(app.chat.get(), &app::ChatService::streamUpdated);
  QSignalSpy finished(app.chat.get(), &app::ChatService::generationFinished);
  typeAndSend(app, "Tell me a long story");
  // The meters run while replies stream, not during the test's own clicks.
  GapMeter meter;
  meter.start();
  QTRY_VERIFY(updates.count() >= 100);
  const qint64 gap_before_stop = meter.stop();
  auto* stop = page->findChild<QPushButton*>("StopButton");
  QVERIFY(stop->isVisible());
  QTest::mouseClick(stop, Qt::LeftButton);
  QTRY_COMPARE(finished.count(), 1);
  QCOMPARE(finished.first().at(2).toString(), QString(app::kStateStopped));
  const app::ChatMessage stopped = app.store->messages(first).last();
  QCOMPARE(stopped.state, QString(app::kStateStopped));
  QVERIFY(!stopped.content.isEmpty());
  QVERIFY(stopped.content.size() < server.chunks.join("").size());

  // Switch conversation while a reply streams: it completes in the background.
  finished.clear();
  updates.clear();
  QTest::mouseClick(page->findChild<QPushButton*>("RegenerateButton"), Qt::LeftButton);
  QTRY_VERIFY(updates.count() >= 5);
  const qint64 second = page->newConversation();
  QCOMPARE(page->currentConversation(), second);
  QVERIFY(app.chat->isGenerating());
  QVERIFY(views(app).isEmpty());
  GapMeter background_meter;
  background_meter.start();
  QVERIFY(finished.wait(20000));
  const qint64 remote_gap = std::max(gap_before_stop, background_meter.stop());
  QVERIFY(views(app).isEmpty());  // the other chat's reply did not leak into this one
  const app::ChatMessage done = app.store->messages(first).last();
  QCOMPARE(done.state, QString(app::kStateComplete));
  QCOMPARE(done.content, server.chunks.join(""));
  QCOMPARE(app.store->messages(first).size(), 2);  // regenerate replaced the stopped reply
  page->selectConversation(first);
  QCOMPARE(lastView(app)->answerText(), done.content.trimmed());
  qInfo() << "remote streaming: longest GUI event-loop gap" << remote_gap << "ms over"
          << server.chunks.size() << "chunks; idle baseline" << idle_gap << "ms";
  // 50 ms on a quiet machine; on an overloaded one, no more than 30 ms above what it does idle.
  const qint64 bound = std::max<qint64>(50, idle_gap + 30);
  QVERIFY2(remote_gap < bound,
           qPrintable(QString("GUI stalled for %1 ms (bound %2 ms)").arg(remote_gap).arg(bound)));
}

void TestUiChat::reopenFindsEverything() {
  QTemporaryDir dir;
  QString first_title;
  {
    AppHarness app(dir.path());
    app.window->show();
    ui::ChatPage* page = app.window->chatPage();
    const qint64 a = page->newConversation();
    app.store->addMessage(a, "user", "Question A");
    app.store->addMessage(a, "assistant", "<think>hmm</think>**Answer** A");
    app.store->renameConversation(a, "Chat A");
    const qint64 b = page->newConversation();
    app.store->addMessage(b, "user", "Question B");
    app.store->setSystemPrompt(b, "Be brief");
  }
  AppHarness app(dir.path());
  app.window->show();
  app.window->showPage(MainWindow::Chat);
  auto* list = app.window->findChild<QListWidget*>("Conversations");
  QCOMPARE(list->count(), 2);
  ui::ChatPage* page = app.window->chatPage();
  for (int i = 0; i < list->count(); ++i)
    if (list->item(i)->text() == "Chat A") list->setCurrentRow(i);
  QCOMPARE(app.store->conversation(page->currentConversation()).title, QString("Chat A"));
  QTRY_COMPARE(views(app).size(), 2);
  ui::MessageView* reply = lastView(app);
  QCOMPARE(reply->answerText(), QString("**Answer** A"));
  QCOMPARE(reply->reasoningText(), QString("hmm"));
  QVERIFY(!reply->reasoningExpanded());  // collapsed
  // Search by message text.
  auto* search = app.window->chatPage()->findChild<QLineEdit*>();
  QTest::keyClicks(search, "question b");
  QCOMPARE(list->count(), 1);
}

QTEST_MAIN(TestUiChat)
#include "test_ui_chat.moc"
