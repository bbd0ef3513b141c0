// The chat page as a new user meets it (issue 19): icons and accessible names, bubble heights
// against the text's own layout at many widths, focus after Send and Stop, no duplicate message
// when sending with no model loaded, the first-run welcome (fake NVML GPU, no GPU, demo-chat's
// example prompts answered by the real model), narrow layouts, rename, delete with undo, keys
// (Esc, Enter in the composer and the edit box, Ctrl+N, Ctrl+1..7) and reply versions.
#include <QAbstractButton>
#include <QAbstractTextDocumentLayout>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTextDocument>
#include <QToolButton>
#include <QtTest>
#include <cmath>
#include <memory>

#include "tests/app/fake_nvml_control.h"
#include "tests/app/test_services_fake_openai.h"
#include "tests/ui/ui_test_harness.h"
#include "ui/chat_page.h"
#include "ui/chat_welcome.h"
#include "ui/message_text.h"
#include "ui/message_view.h"
#include "ui/ui_util.h"

using namespace pagoda;
using ui::MainWindow;

namespace {

QString remoteTarget(AppHarness& app, const FakeOpenAiServer& server) {
  return "remote:" + app.settings->saveRemoteEndpoint({{}, "Fake", server.baseUrl(), "fake"});
}

void showActive(AppHarness& app, QSize size) {
  app.window->resize(size);
  app.window->show();
  QApplication::setActiveWindow(app.window.get());
  QVERIFY(QTest::qWaitForWindowActive(app.window.get()));
  QCoreApplication::processEvents();
}

// The chat page shown at `size` on a new conversation that talks to the fake server.
qint64 remoteChat(AppHarness& app, const FakeOpenAiServer& server, QSize size) {
  showActive(app, size);
  app.window->showPage(MainWindow::Chat);
  ui::ChatPage* page = app.window->chatPage();
  const qint64 id = page->newConversation();
  app.store->setTarget(id, remoteTarget(app, server));
  page->selectConversation(id);
  return id;
}

// A stored conversation (a question and its answer), shown on the chat page at `size`.
qint64 showStoredChat(AppHarness& app, const QString& title, const QString& question,
                      const QString& answer, QSize size) {
  const qint64 id = app.store->createConversation(title);
  app.store->addMessage(id, "user", question);
  app.store->addMessage(id, "assistant", answer);
  showActive(app, size);
  app.window->showPage(MainWindow::Chat);
  app.window->chatPage()->selectConversation(id);
  return id;
}

// Telemetry on a computer without NVIDIA's driver (its library is not there), polled often.
app::TelemetryOptions telemetryWithoutGpu() {
  app::TelemetryOptions options;
  options.nvml_library = QDir::temp().filePath("no-such-libnvidia-ml.so.1");
  options.interval_ms = 50;
  return options;
}

// The chat page at 1280x800 with the engine on the CPU, once the library lists demo-chat.
void showLocalChat(AppHarness& app) {
  app.settings->setDevice("cpu");
  showActive(app, {1280, 800});
  app.window->showPage(MainWindow::Chat);
  QTRY_VERIFY_WITH_TIMEOUT(!app.library->models().isEmpty(), 20000);
}

// The fixture of the streaming tests: the app on a new conversation at `size` that streams a
// reply of `chunks` (one every `interval_ms`) from a fake OpenAI server, with the composer
// focused and spies on the chat's stream updates and finished replies.
struct StreamingChat {
  StreamingChat(QStringList chunks, int interval_ms, QSize size) {
    server.chunks = std::move(chunks);
    server.interval_ms = interval_ms;
    id = remoteChat(app, server, size);
    page = app.window->chatPage();
    composer = page->composer();
    composer->setFocus();
  }
  FakeOpenAiServer server;
  AppHarness app;
  qint64 id = 0;
  ui::ChatPage* page = nullptr;
  ui::Composer* composer = nullptr;
  QSignalSpy updates{app.chat.get(), &app::ChatService::streamUpdated};
  QSignalSpy finished{app.chat.get(), &app::ChatService::generationFinished};
};

// "<prefix>0 ", "<prefix>1 ", ... : `count` chunks of a long reply.
QStringList numberedWords(const QString& prefix, int count) {
  QStringList words;
  for (int i = 0; i < count; ++i) words << QStringLiteral("%1%2 ").arg(prefix).arg(i);
  return words;
}

QList<ui::MessageView*> views(AppHarness& app) {
  QList<ui::MessageView*> out = app.window->chatPage()->messageViews();
  std::sort(out.begin(), out.end(),
            [](auto* a, auto* b) { return a->messageId() < b->messageId(); });
  return out;
}

// The height the text's own layout needs at the body's width: its document (the formats as
// painted) laid out again apart from the widget, and checked to hold the message's text.
int layoutHeight(ui::MessageText* body, const QString& markdown) {
  QTextDocument expected;
  expected.setMarkdown(markdown);
  if (body->document()->toPlainText() != expected.toPlainText()) return -1;
  std::unique_ptr<QTextDocument> copy(body->document()->clone());
  copy->documentLayout()->setPaintDevice(body->viewport());
  copy->setTextWidth(body->viewport()->width());
  return int(std::ceil(copy->size().height()));
}

// Every bubble: tall enough for its text, no large gap under its last line, nothing wider than
// the bubble, the bubble inside the transcript.
void checkBubbles(AppHarness& app, const QString& where) {
  QScrollArea* area = app.window->chatPage()->transcriptArea();
  for (ui::MessageView* view : views(app)) {
    ui::MessageText* body = view->body();
    const QString shown = view->answerText().isEmpty() ? QStringLiteral("…") : view->answerText();
    const int needed = layoutHeight(body, shown);
    const QString what = QStringLiteral("%1, message %2 (%3 chars): body %4x%5, text needs %6 "
                                        "(its own document: width %7, height %8)")
                             .arg(where)
                             .arg(view->messageId())
                             .arg(view->answerText().size())
                             .arg(body->viewport()->width())
                             .arg(body->viewport()->height())
                             .arg(needed)
                             .arg(body->document()->textWidth())
                             .arg(body->document()->size().height());
    QVERIFY2(needed > 0, qPrintable("the body does not show the message: " + what));
    QVERIFY2(body->viewport()->height() >= needed, qPrintable("cut: " + what));
    QVERIFY2(body->viewport()->height() <= needed + 4, qPrintable("gap in the body: " + what));
    // Below the body only the actions row (and the margins).
    const int below = view->height() - (body->geometry().bottom() + 1);
    const int actions = view->layout()->contentsMargins().bottom() +
                        view->layout()->spacing() + 40;
    QVERIFY2(below <= actions, qPrintable(QString("gap of %1 px under: ").arg(below) + what));
    QVERIFY2(body->document()->idealWidth() <= body->viewport()->width() + 1,
             qPrintable("text wider than its bubble: " + what));
    const QRect in_area(view->mapTo(area->widget(), QPoint(0, 0)), view->size());
    QVERIFY2(in_area.right() <= area->viewport()->width(),
             qPrintable("bubble runs past the transcript: " + what));
  }
}

// demo-chat's recorded reply to a one-message chat, and how many tokens were recorded (a reply
// that long may go on past the record; the record may end inside a character).
struct Golden {
  QString text;
  int tokens = 0;
};
Golden golden(const QString& question) {
  QFile f(QStringLiteral(PAGODA_TEST_DATA "/golden/chat-demo.jsonl"));
  if (!f.open(QIODevice::ReadOnly)) return {};
  for (const QByteArray& line : f.readAll().split('\n')) {
    const QJsonObject o = QJsonDocument::fromJson(line).object();
    const QJsonArray messages = o.value("messages").toArray();
    if (messages.size() == 1 && messages[0].toObject().value("content").toString() == question) {
      QString text = o.value("text").toString();
      while (text.endsWith(QChar(0xFFFD))) text.chop(1);
      return {text, int(o.value("output_ids").toArray().size())};
    }
  }
  return {};
}

}  // namespace

class TestUiChatLayout : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { ui::applyStyle(); }
  void iconsAndAccessibleNames();
  void bubbleHeightsAtManyWidths();
  void stoppedLongReplyKeepsBottomAndFocus();
  void noModelKeepsMessageOnce();
  void welcomeSaysWhichGpu();
  void welcomeWithoutGpu();
  void welcomeInChinese();
  void welcomePromptsAnswered();
  void narrowWindowFoldsPanels();
  void renameAndElide();
  void deleteCanBeUndone();
  void keyboard();
  void replyVersions();
};

void TestUiChatLayout::iconsAndAccessibleNames() {
  const QStringList names = QDir(":/icons").entryList({"*.svg"}, QDir::Files);
  QVERIFY(names.size() >= 10);
  for (const QString& name : names)
    QVERIFY2(!QIcon(":/icons/" + name).pixmap(16, 16).isNull(), qPrintable(name));
  AppHarness app;
  showStoredChat(app, "Icons", "Show code", "Here:\n\n```cpp\nint x = 1;\n```\n", {1280, 800});
  QCOMPARE(views(app).size(), 2);
  int icon_only = 0;
  for (QAbstractButton* b : app.window->findChildren<QAbstractButton*>()) {
    auto* tool = qobject_cast<QToolButton*>(b);
    const bool shows_no_text =
        b->text().isEmpty() || (tool && tool->toolButtonStyle() == Qt::ToolButtonIconOnly);
    if (!shows_no_text || b->icon().isNull()) continue;
    // A line edit's own action icons (search, clear) are described by the line edit.
    if (qobject_cast<QLineEdit*>(b->parentWidget())) continue;
    ++icon_only;
    QVERIFY2(!b->accessibleName().isEmpty(),
             qPrintable(QString("icon-only button without a name: %1 %2 in %3")
                            .arg(b->metaObject()->className(), b->objectName(),
                                 b->parentWidget()->metaObject()->className())));
    QVERIFY2(!b->toolTip().isEmpty(), qPrintable(b->accessibleName()));
  }
  QVERIFY(icon_only >= 3);  // copy, edit, regenerate at least
}

void TestUiChatLayout::bubbleHeightsAtManyWidths() {
  AppHarness app;
  const qint64 id = app.store->createConversation("Lengths");
  QStringList texts = {"Hi", "What is the capital of China?",
                       "A reply of three lines. " + QString("Words that wrap around. ").repeated(9),
                       "https://example.com/" + QString("averyveryverylongpathsegment").repeated(8),
                       QString("Paragraph with **bold** and `code`. ").repeated(40),
                       "Code:\n\n```\n" + QString("line of code\n").repeated(12) + "```\n\nDone.",
                       QString::fromUtf8("中文的回答,会自动换行。").repeated(30)};
  for (int i = 0; i < texts.size(); ++i)
    app.store->addMessage(id, i % 2 ? "assistant" : "user", texts[i]);
  for (QSize size : {QSize(1024, 700), QSize(1280, 800), QSize(1600, 1000), QSize(1100, 760)}) {
    showActive(app, size);
    app.window->showPage(MainWindow::Chat);
    app.window->chatPage()->selectConversation(id);
    QTest::qWait(50);
    QCOMPARE(views(app).size(), texts.size());
    checkBubbles(app, QStringLiteral("%1x%2").arg(size.width()).arg(size.height()));
    if (QTest::currentTestFailed()) return;
  }
  // A resize without reloading: the heights follow.
  app.window->resize(1300, 700);
  QTest::qWait(50);
  checkBubbles(app, "after a resize");
}

void TestUiChatLayout::stoppedLongReplyKeepsBottomAndFocus() {
  StreamingChat fx(numberedWords("word", 400), 5, {1024, 700});
  AppHarness& app = fx.app;
  QCOMPARE(fx.page->currentConversation(), fx.id);
  QTest::keyClicks(fx.composer, "Tell me a long story");
  QTest::keyClick(fx.composer, Qt::Key_Return);
  QVERIFY(app.chat->isGenerating());
  QCOMPARE(QApplication::focusWidget(), fx.composer);  // Send left focus in the composer
  QTRY_VERIFY_WITH_TIMEOUT(fx.updates.count() >= 250, 20000);
  auto* stop = fx.page->findChild<QPushButton*>("StopButton");
  QTest::mouseClick(stop, Qt::LeftButton);
  QTRY_COMPARE(fx.finished.count(), 1);
  QCOMPARE(fx.finished.first().at(2).toString(), QString(app::kStateStopped));
  QTest::qWait(100);
  QCOMPARE(QApplication::focusWidget(), fx.composer);  // not the system prompt editor
  QScrollBar* bar = fx.page->transcriptArea()->verticalScrollBar();
  QVERIFY(bar->maximum() > 0);
  QVERIFY2(bar->value() >= bar->maximum() - 40,
           qPrintable(QString("view at %1 of %2 after Stop").arg(bar->value()).arg(bar->maximum())));
  checkBubbles(app, "stopped reply");
}

void TestUiChatLayout::noModelKeepsMessageOnce() {
  AppHarness app;
  showLocalChat(app);
  if (QTest::currentTestFailed()) return;
  ui::ChatPage* page = app.window->chatPage();
  const qint64 id = page->newConversation();
  ui::Composer* composer = page->composer();
  QTest::keyClicks(composer, "What is 7 + 5?");
  QTest::keyClick(composer, Qt::Key_Return);
  QVERIFY(app.store->messages(id).isEmpty());  // not stored
  QCOMPARE(composer->toPlainText(), QString("What is 7 + 5?"));
  auto* banner = page->findChild<QWidget*>("NoModelBanner");
  QVERIFY(banner->isVisible());
  QPushButton* load = nullptr;
  for (QPushButton* b : banner->findChildren<QPushButton*>())
    if (b->property("role") == "loadOffered") load = b;
  QVERIFY(load && load->isVisible());
  QCOMPARE(load->text(), QString("Load demo-chat"));
  QTest::mouseClick(load, Qt::LeftButton);
  QTRY_VERIFY_WITH_TIMEOUT(app.engine->isLoaded(), 60000);
  QTRY_VERIFY(!banner->isVisible());
  QSignalSpy finished(app.chat.get(), &app::ChatService::generationFinished);
  composer->setFocus();
  QTest::keyClick(composer, Qt::Key_Return);
  QVERIFY(finished.wait(60000));
  const QList<app::ChatMessage> messages = app.store->messages(id);
  QCOMPARE(messages.size(), 2);
  QCOMPARE(messages[0].content, QString("What is 7 + 5?"));
  QCOMPARE(messages[1].role, QString("assistant"));
  QVERIFY(composer->toPlainText().isEmpty());
  // Next start: the last model is offered by name.
  QCOMPARE(app.settings->lastModelPath(), app.engine->info().path);
  QCOMPARE(ui::offeredModel(app.services()).last_used, true);
}

void TestUiChatLayout::welcomeSaysWhichGpu() {
  testing::FakeNvml fake;
  fake.set_gpu_count(1);
  const qint64 memory = 10ll << 30;
  fake.set_gpu(0, "NVIDIA GeForce RTX 3080", memory);
  app::TelemetryOptions options;
  options.nvml_library = QStringLiteral(PAGODA_FAKE_NVML);
  options.interval_ms = 50;
  AppHarness app({}, options);
  showActive(app, {1280, 800});
  app.window->showPage(MainWindow::Chat);
  ui::ChatWelcome* welcome = app.window->chatPage()->welcome();
  QVERIFY(welcome->isVisible());  // a fresh home: no chat yet, the welcome instead
  const qint64 fits =
      app::ModelLibrary::largestFitting4Bit(memory, app.settings->contextLength());
  // A 7B model in 4-bit fits a 10 GB card with its KV cache; a 14B one (Qwen2.5-14B-AWQ is
  // 9.98 GB of weights alone) does not.
  QVERIFY2(fits >= 7'000'000'000 && fits < 14'000'000'000, qPrintable(QString::number(fits)));
  QTRY_VERIFY(welcome->hardwareText().startsWith("NVIDIA GeForce RTX 3080, 10 GB — models up to ~"));
  const QString size = welcome->hardwareText().section('~', 1).section(' ', 0, 0);
  QVERIFY2(size == QStringLiteral("%1B").arg(fits / 1'000'000'000), qPrintable(size));
  QVERIFY(welcome->hardwareText().endsWith("in 4-bit fit"));
  // A smaller GPU: a smaller figure, from the same estimate.
  fake.set_gpu(0, "NVIDIA GeForce GTX 1650", 4ll << 30);
  QTRY_VERIFY(welcome->hardwareText().startsWith("NVIDIA GeForce GTX 1650, 4 GB"));
  const qint64 small = app::ModelLibrary::largestFitting4Bit(4ll << 30, app.settings->contextLength());
  QVERIFY(small < fits);
  QVERIFY2(welcome->hardwareText().contains(QStringLiteral("~%1B").arg(small / 1e9, 0, 'f', 1)),
           qPrintable(welcome->hardwareText()));
  // The driver reports no GPU at all.
  fake.set_gpu_count(0);
  QTRY_COMPARE(welcome->hardwareText(),
               QString("No NVIDIA GPU found — Pagoda runs on the CPU, slowly"));
}

void TestUiChatLayout::welcomeWithoutGpu() {
  AppHarness app({}, telemetryWithoutGpu());
  showActive(app, {1024, 700});
  app.window->showPage(MainWindow::Chat);
  ui::ChatWelcome* welcome = app.window->chatPage()->welcome();
  QTRY_COMPARE(welcome->hardwareText(),
               QString("No NVIDIA GPU found — Pagoda runs on the CPU, slowly"));
  QVERIFY(!welcome->hardwareText().contains("CUDA"));
}

void TestUiChatLayout::welcomeInChinese() {
  AppHarness app({}, telemetryWithoutGpu());
  showActive(app, {1024, 700});
  app.window->showPage(MainWindow::Chat);
  ui::applyLanguage("zh_CN");
  // The window rebuilds its pages in the new language.
  QTRY_VERIFY(app.window->chatPage()->welcome()->hardwareText() ==
              QString::fromUtf8("未找到 NVIDIA GPU — Pagoda 将在 CPU 上运行，速度较慢"));
  ui::ChatPage* page = app.window->chatPage();
  QCOMPARE(page->findChild<QPushButton*>("ChatListToggle")->text(), QString::fromUtf8("对话"));
  QPushButton* load = nullptr;
  for (QPushButton* b : page->welcome()->findChildren<QPushButton*>())
    if (b->property("role") == "loadOffered") load = b;
  QTRY_VERIFY(load && load->text() == QString::fromUtf8("加载 demo-chat"));
  ui::applyLanguage("en");
  QTRY_VERIFY(app.window->chatPage()->findChild<QPushButton*>("ChatListToggle")->text() == "Chats");
}

void TestUiChatLayout::welcomePromptsAnswered() {
  AppHarness app;
  showLocalChat(app);
  if (QTest::currentTestFailed()) return;
  ui::ChatPage* page = app.window->chatPage();
  ui::ChatWelcome* welcome = page->welcome();
  QPushButton* load = nullptr;
  for (QPushButton* b : welcome->findChildren<QPushButton*>())
    if (b->property("role") == "loadOffered") load = b;
  QTRY_VERIFY(load && load->isVisible());
  QCOMPARE(load->text(), QString("Load demo-chat"));
  QTest::mouseClick(load, Qt::LeftButton);  // one click
  QTRY_VERIFY_WITH_TIMEOUT(app.engine->isLoaded(), 60000);
  QTRY_VERIFY(!load->isVisible());
  const QStringList prompts = ui::ChatWelcome::examplePrompts();
  QCOMPARE(welcome->findChildren<QPushButton*>("ExampleChip").size(), prompts.size());
  for (const QString& prompt : prompts) {
    const Golden expected = golden(prompt);
    QVERIFY2(!expected.text.isEmpty(), qPrintable("no known answer for the chip " + prompt));
    const qint64 id = page->newConversation();
    app.store->setSampling(id, app::SamplingSettings::preset("precise"));
    page->selectConversation(id);
    QVERIFY(welcome->isVisible());
    QPushButton* chip = nullptr;
    for (QPushButton* b : welcome->findChildren<QPushButton*>("ExampleChip"))
      if (b->text() == prompt) chip = b;
    QVERIFY(chip);
    QSignalSpy finished(app.chat.get(), &app::ChatService::generationFinished);
    QTest::mouseClick(chip, Qt::LeftButton);
    QVERIFY(finished.wait(60000));
    const QList<app::ChatMessage> messages = app.store->messages(id);
    QCOMPARE(messages.size(), 2);
    QCOMPARE(messages[0].content, prompt);
    if (messages[1].stats.completion_tokens < expected.tokens)
      QCOMPARE(messages[1].content, expected.text);  // the whole reply was recorded
    else
      QVERIFY2(messages[1].content.startsWith(expected.text), qPrintable(messages[1].content));
    QVERIFY(!welcome->isVisible());
  }
}

void TestUiChatLayout::narrowWindowFoldsPanels() {
  AppHarness app;
  showStoredChat(app, "Layout", "Question", "Answer", {1024, 700});
  ui::ChatPage* page = app.window->chatPage();
  QTest::qWait(50);
  QScrollArea* transcript = page->transcriptArea();
  QVERIFY(!page->chatListShown());
  QVERIFY(!page->optionsShown());
  qInfo() << "1024x700: the transcript is" << transcript->width() << "px of"
          << app.window->width() << "px";
  QVERIFY2(transcript->width() >= 0.6 * app.window->width(),
           qPrintable(QString("transcript %1 px of %2").arg(transcript->width()).arg(app.window->width())));
  // The toggles bring them back.
  QTest::mouseClick(page->findChild<QPushButton*>("ChatListToggle"), Qt::LeftButton);
  QVERIFY(page->chatListShown());
  QTest::mouseClick(page->findChild<QPushButton*>("OptionsToggle"), Qt::LeftButton);
  QVERIFY(page->optionsShown());
  // Wide: both shown, the transcript still the widest part.
  showActive(app, {1600, 1000});
  QTest::qWait(50);
  QVERIFY(page->chatListShown());
  QVERIFY(page->optionsShown());
  QVERIFY(transcript->width() >= 0.45 * app.window->width());
}

void TestUiChatLayout::renameAndElide() {
  AppHarness app;
  const qint64 id = app.store->createConversation("Old name");
  showActive(app, {1280, 800});
  app.window->showPage(MainWindow::Chat);
  ui::ChatPage* page = app.window->chatPage();
  page->selectConversation(id);
  auto* title = page->findChild<QLabel*>("PageTitle");
  QCOMPARE(title->text(), QString("Old name"));
  app.store->renameConversation(id, "New name");
  QCOMPARE(page->titleText(), QString("New name"));
  QCOMPARE(title->text(), QString("New name"));
  const QString long_name = QString("A very long chat title that goes on ").repeated(6);
  app.store->renameConversation(id, long_name);
  QCOMPARE(page->titleText(), long_name);
  QVERIFY(title->text().endsWith(QChar(0x2026)));
  QVERIFY(title->fontMetrics().horizontalAdvance(title->text()) <= title->width());
}

void TestUiChatLayout::deleteCanBeUndone() {
  AppHarness app;
  const qint64 keep = app.store->createConversation("Keep");
  const qint64 id = app.store->createConversation("Delete me");
  showActive(app, {1600, 1000});
  app.window->showPage(MainWindow::Chat);
  ui::ChatPage* page = app.window->chatPage();
  page->selectConversation(id);
  auto* list = page->findChild<QListWidget*>("Conversations");
  QCOMPARE(list->count(), 2);
  page->deleteWithUndo(id);
  QCOMPARE(list->count(), 1);
  QVERIFY(page->currentConversation() != id);
  QVERIFY(app.store->conversation(id).id != 0);  // not yet
  auto* undo = page->findChild<QPushButton*>("UndoButton");
  QVERIFY(undo->isVisible());
  QTest::mouseClick(undo, Qt::LeftButton);
  QCOMPARE(list->count(), 2);
  QVERIFY(app.store->conversation(id).id != 0);
  // Without Undo it is gone after a few seconds.
  page->deleteWithUndo(id);
  QTRY_VERIFY_WITH_TIMEOUT(app.store->conversation(id).id == 0, 10000);
  QVERIFY(!undo->isVisible());
  QVERIFY(app.store->conversation(keep).id != 0);
}

void TestUiChatLayout::keyboard() {
  StreamingChat fx(numberedWords("w", 300), 10, {1280, 800});
  AppHarness& app = fx.app;
  // Shift+Enter: a new line; Enter: sends.
  QTest::keyClicks(fx.composer, "one");
  QTest::keyClick(fx.composer, Qt::Key_Return, Qt::ShiftModifier);
  QTest::keyClicks(fx.composer, "two");
  QCOMPARE(fx.composer->toPlainText(), QString("one\ntwo"));
  QTest::keyClick(fx.composer, Qt::Key_Return);
  QCOMPARE(app.store->messages(fx.id).first().content, QString("one\ntwo"));
  QTRY_VERIFY(fx.updates.count() >= 5);
  // Esc stops.
  QTest::keyClick(fx.composer, Qt::Key_Escape);
  QTRY_COMPARE(fx.finished.count(), 1);
  QCOMPARE(fx.finished.first().at(2).toString(), QString(app::kStateStopped));
  QCOMPARE(QApplication::focusWidget(), fx.composer);
  // The edit box: Shift+Enter a new line, Enter saves and resends.
  ui::MessageView* question = views(app).first();
  question->startEdit();
  auto* editor = question->findChild<QPlainTextEdit*>("EditBox");
  QVERIFY(editor->isVisible());
  editor->selectAll();
  QTest::keyClicks(editor, "three");
  QTest::keyClick(editor, Qt::Key_Return, Qt::ShiftModifier);
  QTest::keyClicks(editor, "four");
  QVERIFY(!app.chat->isGenerating());
  fx.finished.clear();
  QTest::keyClick(editor, Qt::Key_Return);
  QVERIFY(app.chat->isGenerating());
  QCOMPARE(app.store->messages(fx.id).first().content, QString("three\nfour"));
  QVERIFY(fx.finished.wait(20000));
  // After the edit box is gone, focus is back in the composer, and no stray window took it.
  QCOMPARE(QApplication::activeWindow(), app.window.get());
  QCOMPARE(QApplication::focusWidget(), fx.composer);
  const QWidgetList windows = QApplication::topLevelWidgets();
  QCOMPARE(std::count_if(windows.begin(), windows.end(), [](QWidget* w) { return w->isVisible(); }),
           1);
  // Ctrl+N: a new chat; Ctrl+1 ... Ctrl+7: the pages.
  QTest::keyClick(fx.composer, Qt::Key_N, Qt::ControlModifier);
  QVERIFY(fx.page->currentConversation() != fx.id);
  QTest::keyClick(fx.composer, Qt::Key_F, Qt::ControlModifier);
  QCOMPARE(QApplication::focusWidget()->objectName(), QString("ChatSearch"));
  QTest::keyClick(app.window.get(), Qt::Key_3, Qt::ControlModifier);
  QCOMPARE(app.window->currentPage(), MainWindow::Models);
  QTest::keyClick(app.window.get(), Qt::Key_4, Qt::ControlModifier);
  QCOMPARE(app.window->currentPage(), MainWindow::Chat);
}

void TestUiChatLayout::replyVersions() {
  StreamingChat fx({"First ", "answer."}, 1, {1280, 800});
  AppHarness& app = fx.app;
  QVERIFY(app.chat->send(fx.id, "Question"));
  QVERIFY(fx.finished.wait(10000));
  fx.server.chunks = {"Second ", "answer."};
  QVERIFY(app.chat->regenerate(fx.id));
  QVERIFY(fx.finished.wait(10000));
  QTRY_COMPARE(views(app).size(), 2);
  ui::MessageView* reply = views(app).last();
  QCOMPARE(reply->answerText(), QString("Second answer."));
  QCOMPARE(reply->versionText(), QString("2/2"));
  // Flip back: the first answer shows, and the next request sends it.
  QToolButton* previous = nullptr;
  for (QToolButton* b : reply->findChildren<QToolButton*>())
    if (b->property("role") == "previousVersion") previous = b;
  QVERIFY(previous && previous->isEnabled());
  QTest::mouseClick(previous, Qt::LeftButton);
  QTRY_COMPARE(views(app).last()->answerText(), QString("First answer."));
  QCOMPARE(views(app).last()->versionText(), QString("1/2"));
  const QJsonArray history = app.chat->history(fx.id);
  QCOMPARE(history.last().toObject().value("content").toString(), QString("First answer."));
  // Edit the question: a second version of it, with its own reply; the old one keeps its two.
  fx.server.chunks = {"Edited ", "answer."};
  QVERIFY(app.chat->editAndResend(fx.id, views(app).first()->messageId(), "Question, edited"));
  QVERIFY(fx.finished.wait(10000));
  QTRY_COMPARE(views(app).first()->versionText(), QString("2/2"));
  QCOMPARE(views(app).last()->answerText(), QString("Edited answer."));
  QCOMPARE(views(app).last()->versionText(), QString());  // one reply to the edited question
  QVERIFY(
      app.chat->selectVersion(fx.id, app.store->siblings(views(app).first()->messageId()).first()));
  QTRY_COMPARE(views(app).first()->answerText(), QString("Question"));
  QCOMPARE(views(app).last()->answerText(), QString("First answer."));  // its chosen reply
  // Reopened, the versions are still there.
  QCOMPARE(app.store->messages(fx.id).size(), 2);
  QCOMPARE(app.store->messages(fx.id).last().sibling_count, 2);
}

QTEST_MAIN(TestUiChatLayout)
#include "test_ui_chat_layout.moc"
