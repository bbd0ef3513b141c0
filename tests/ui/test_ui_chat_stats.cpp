// The chat's numbers: a live tok/s and context-fill line while demo-chat streams a reply on the
// CPU, per-reply stats (prompt, cached, TTFT, tok/s) stored with each message and shown under it,
// and a database written before cached_tokens existed still reads.
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

#include "app/services/chat_store.h"
#include "tests/app/test_services_fake_openai.h"
#include "ui/chat_page.h"
#include "ui/message_view.h"
#include "ui/ui_util.h"
#include "tests/ui/ui_test_harness.h"

using namespace pagoda;
using ui::MainWindow;

class TestUiChatStats : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { ui::applyStyle(); }
  void liveLineAndStoredStats();
  void remoteRepliesShowTheirSpeed();
  void olderDatabasesKeepWorking();
};

void TestUiChatStats::liveLineAndStoredStats() {
  AppHarness app;
  app.window->show();
  app.engine->load(QStringLiteral(PAGODA_TEST_DATA "/models/demo-chat"), "cpu", 2048);
  QTRY_VERIFY_WITH_TIMEOUT(app.engine->isLoaded(), 60000);
  ui::ChatPage* page = app.window->chatPage();
  app.window->showPage(MainWindow::Chat);
  const qint64 chat = page->newConversation();
  app.store->setSampling(chat, app::SamplingSettings::preset("precise"));
  // What the page shows each time the reply's numbers move (the page's slot runs first).
  QStringList lines;
  QList<int> fills;
  connect(app.chat.get(), &app::ChatService::streamStats, this, [&] {
    lines << page->liveText();
    fills << page->liveContextPercent();
  });
  QSignalSpy finished(app.chat.get(), &app::ChatService::generationFinished);
  for (int turn = 0; turn < 2; ++turn) {
    QVERIFY(app.chat->send(chat, "What is the capital of China?"));
    QVERIFY(page->liveText().startsWith("Waiting for the first token"));
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), turn + 1, 60000);
  }
  QVERIFY2(lines.size() >= 4, qPrintable(lines.join('\n')));
  const QString last_line = lines.last();
  QVERIFY2(last_line.contains("tok/s") && last_line.contains("context ") &&
               last_line.contains(" / 2048 tokens"),
           qPrintable(last_line));
  QVERIFY(fills.last() >= 1 && fills.last() <= 100);
  QVERIFY(page->liveText().isEmpty());  // gone once the reply is done

  const QList<app::ChatMessage> messages = app.store->messages(chat);
  QCOMPARE(messages.size(), 4);
  const app::GenerationStats first = messages[1].stats, second = messages[3].stats;
  QCOMPARE(messages[1].content, QString("The capital of China is Beijing."));
  QVERIFY(first.prompt_tokens > 0 && first.completion_tokens > 0);
  QVERIFY(first.ttft_s > 0 && first.tokens_per_s > 0);
  // The second turn's prompt starts with the first one: the prefix cache serves part of it.
  QVERIFY(second.prompt_tokens > first.prompt_tokens);
  QVERIFY2(second.cached_tokens > 0 && second.cached_tokens < second.prompt_tokens,
           qPrintable(QString::number(second.cached_tokens)));
  // The live line's last count is the reply's final one.
  QVERIFY(last_line.contains(QString("Writing: %1 tokens").arg(second.completion_tokens)));
  // Shown under each reply, also after reopening the conversation.
  page->selectConversation(0);
  page->selectConversation(chat);
  QStringList shown;
  for (ui::MessageView* v : page->messageViews())
    if (v->role() == "assistant") shown << v->statsText();
  QCOMPARE(shown.size(), 2);
  QVERIFY2(shown[1].contains(QString("prompt %1 (%2 cached)")
                                 .arg(second.prompt_tokens)
                                 .arg(second.cached_tokens)),
           qPrintable(shown[1]));
  QVERIFY(shown[1].contains(QString("%1 tokens").arg(second.completion_tokens)));
  QVERIFY(shown[1].contains("tok/s") && shown[1].contains("first token"));
}

// A remote endpoint streams chunks (one token each for the count until its usage arrives); the
// context of a remote model is unknown, so no fill is shown.
void TestUiChatStats::remoteRepliesShowTheirSpeed() {
  FakeOpenAiServer server;
  for (int i = 0; i < 12; ++i) server.chunks << QString("w%1 ").arg(i);
  server.interval_ms = 40;
  AppHarness app;
  app.window->show();
  ui::ChatPage* page = app.window->chatPage();
  const qint64 chat = page->newConversation();
  app.store->setTarget(
      chat, "remote:" + app.settings->saveRemoteEndpoint({{}, "Fake", server.baseUrl(), "fake"}));
  page->selectConversation(chat);
  QStringList lines;
  QList<int> fills;
  connect(app.chat.get(), &app::ChatService::streamStats, this, [&] {
    lines << page->liveText();
    fills << page->liveContextPercent();
  });
  QVERIFY(app.chat->send(chat, "Hello"));
  QTRY_VERIFY_WITH_TIMEOUT(!app.chat->isGenerating(), 20000);
  QCOMPARE(lines.size(), 12);
  QVERIFY2(lines.last().startsWith("Writing: 12 tokens · ") && lines.last().contains("tok/s"),
           qPrintable(lines.last()));
  QVERIFY(!lines.last().contains("context"));
  QCOMPARE(fills.last(), -1);
  // 11 tokens after the first, 40 ms apart: about 25 tok/s.
  const double speed = lines.last().section(" · ", 1).section(' ', 0, 0).toDouble();
  QVERIFY2(speed > 12 && speed <= 26, qPrintable(lines.last()));
  QVERIFY(page->liveText().isEmpty());
}

void TestUiChatStats::olderDatabasesKeepWorking() {
  QTemporaryDir dir;
  const QString path = dir.path() + "/chats.sqlite3";
  qint64 conversation = 0, reply = 0;
  {
    app::ChatStore store(path);
    conversation = store.createConversation("Old chat");
    store.addMessage(conversation, "user", "Hello!");
    reply = store.addMessage(conversation, "assistant", "Hi.");
  }
  {
    // Rows as an earlier Pagoda wrote them: stats without cached_tokens.
    QSqlDatabase db = QSqlDatabase::addDatabase("QSQLITE", "old-writer");
    db.setDatabaseName(path);
    QVERIFY(db.open());
    QSqlQuery q(db);
    QVERIFY(q.exec(QString("UPDATE messages SET stats = '{\"prompt_tokens\":12,"
                           "\"completion_tokens\":3,\"tokens_per_s\":20.5,\"ttft_s\":0.25}' "
                           "WHERE id = %1")
                       .arg(reply)));
    db.close();
  }
  QSqlDatabase::removeDatabase("old-writer");
  AppHarness app(dir.path());
  QVERIFY(app.store->ok());
  const app::ChatMessage m = app.store->message(reply);
  QCOMPARE(m.stats.prompt_tokens, 12);
  QCOMPARE(m.stats.cached_tokens, 0);
  QCOMPARE(m.stats.completion_tokens, 3);
  app.window->show();
  app.window->chatPage()->selectConversation(conversation);
  QString shown;
  for (ui::MessageView* v : app.window->chatPage()->messageViews())
    if (v->role() == "assistant") shown = v->statsText();
  QCOMPARE(shown, QString("3 tokens · 20.5 tok/s · first token 0.25 s · prompt 12"));
  // New replies write the new field next to the old ones.
  app.store->updateMessage(reply, "Hi.", "complete", {12, 8, 3, 20.5, 0.25});
  QCOMPARE(app.store->message(reply).stats.cached_tokens, 8);
}

QTEST_MAIN(TestUiChatStats)
#include "test_ui_chat_stats.moc"
