// In Simplified Chinese, no visible text stays English: every page (with content on it), a
// message box with Qt's standard buttons, the file dialog and the context menu of a line edit
// (Qt's own strings, from qtbase_zh_CN.qm). Only true names may stay Latin: the allow-list
// below, model names and ids, numbers, units, paths and URLs.
#include <QAbstractButton>
#include <QComboBox>
#include <QFileDialog>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMessageBox>
#include <QRegularExpression>
#include <QTabWidget>
#include <QTableWidget>
#include <QTextDocument>
#include <QTreeWidget>
#include <QPushButton>
#include <QTimer>
#include <QtTest>

#include "app/services/app_settings.h"
#include "app/services/engine_messages.h"
#include "tests/ui/layout_audit.h"
#include "tests/ui/populated_app.h"

using pagoda::ui::MainWindow;

namespace {

// Names that are the same in every language.
const QStringList kNames = {
    "Pagoda", "ModelScope", "Hugging Face", "HuggingFace", "GPU", "CUDA", "CPU", "API", "URL",
    "NVIDIA", "OpenAI", "openai", "Python", "curl", "JSON", "Markdown", "HTTP", "HTTPS", "CORS",
    "localhost", "RAM", "VRAM", "KV", "SIMD", "AVX", "BF16", "FP16", "F16", "F32", "FP32",
    "AWQ", "GPTQ", "safetensors", "Bearer", "Authorization", "PAGODA_API_KEY", "SentencePiece",
    "sha256", "Qwen", "Llama", "Mistral", "Yi", "GB", "MB", "kB", "KB", "B", "ms", "s", "MiB",
    "GiB", "tok", "RTX", "Xorg", "python3", "pagoda", "pagoda-cli", "README", "vLLM", "NVML",
    "Transformers", "Top-p", "Top-k", "English", "Ctrl", "Shift", "Alt", "Esc", "Del", "Enter",
    "Tab", "Backspace", "Home", "End", "PgUp", "PgDown", "Ins"};

// What is left of `text` once names, model names, numbers, units, paths and URLs are taken out.
QString englishIn(QString text, const QStringList& model_names) {
  if (Qt::mightBeRichText(text)) {
    QTextDocument doc;
    doc.setHtml(text);
    text = doc.toPlainText();
  }
  text.remove(QRegularExpression(QStringLiteral("(https?|ms\\+https?)://\\S+")));
  text.remove(QRegularExpression(QStringLiteral("(^|\\s|\\(|：|（)[~.]?/\\S*")));  // paths
  text.remove(QRegularExpression(QStringLiteral("\\b[\\w-]*(\\.[\\w-]+)+\\b")));  // host names
  text.remove(QRegularExpression(QStringLiteral("\\b[a-z]+(-[0-9.]+)+\\b")));  // apache-2.0
  text.remove(QRegularExpression(QStringLiteral("sk-pagoda-\\w+")));
  for (const QString& name : model_names) text.remove(name, Qt::CaseInsensitive);
  text.remove(QRegularExpression(QStringLiteral("\\b[\\w.-]+/[\\w.-]+\\b")));  // hub ids
  text.remove(QRegularExpression(QStringLiteral("\\b\\w*ForCausalLM\\b")));   // architectures
  text.remove(QRegularExpression(QStringLiteral("&(?=\\w)")));               // mnemonics
  for (const QString& name : kNames)
    text.remove(QRegularExpression("\\b" + QRegularExpression::escape(name) + "(?=\\d|\\b)"));
  QStringList words;
  for (auto it = QRegularExpression(QStringLiteral("[A-Za-z]{2,}")).globalMatch(text);
       it.hasNext();)
    words << it.next().captured();
  return words.join(' ');
}

struct Finding {
  QString where;
  QString text;
};

void check(const QString& where, const QString& text, const QStringList& names,
           QList<Finding>& out) {
  if (text.trimmed().isEmpty()) return;
  const QString left = englishIn(text, names);
  if (!left.isEmpty()) out << Finding{where, text.left(120) + "  [" + left + "]"};
}

// Every visible text of a widget tree: labels, buttons, group titles, placeholders, combo
// items, tabs, list items and table headers.
void walk(QWidget* root, const QStringList& names, QList<Finding>& out) {
  QList<QWidget*> widgets = root->findChildren<QWidget*>();
  widgets.prepend(root);
  for (QWidget* w : widgets) {
    if (!w->isVisible() || w->property(pagoda::ui::kDataText).toBool()) continue;
    const QString where = pagoda::test::widgetPath(w, root);
    if (w->inherits("QChartView") || w->inherits("QPlainTextEdit")) continue;  // data, code
    if (auto* label = qobject_cast<QLabel*>(w)) {
      // An eliding label's whole text is its tooltip.
      const bool elided = label->text().contains(QChar(0x2026)) && !label->toolTip().isEmpty();
      check(where, elided ? label->toolTip() : label->text(), names, out);
    }
    if (auto* button = qobject_cast<QAbstractButton*>(w)) check(where, button->text(), names, out);
    if (auto* group = qobject_cast<QGroupBox*>(w)) check(where, group->title(), names, out);
    if (auto* edit = qobject_cast<QLineEdit*>(w)) check(where, edit->placeholderText(), names, out);
    if (auto* combo = qobject_cast<QComboBox*>(w))
      for (int i = 0; i < combo->count(); ++i) check(where, combo->itemText(i), names, out);
    if (auto* tabs = qobject_cast<QTabWidget*>(w))
      for (int i = 0; i < tabs->count(); ++i) check(where, tabs->tabText(i), names, out);
    if (auto* list = qobject_cast<QListWidget*>(w))
      for (int i = 0; i < list->count(); ++i) check(where, list->item(i)->text(), names, out);
    if (auto* header = qobject_cast<QHeaderView*>(w)) {
      for (int i = 0; i < header->count(); ++i)
        check(where,
              header->model()->headerData(i, header->orientation(), Qt::DisplayRole).toString(),
              names, out);
    }
  }
}

QString report(const QList<Finding>& findings) {
  QStringList lines;
  for (const Finding& f : findings) lines << f.where + ": " + f.text;
  return lines.join('\n');
}

}  // namespace

class TestUiTranslation : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void cleanupTestCase() { populated.reset(); }
  void checkerFindsEnglish();
  void everyPageIsChinese_data();
  void everyPageIsChinese();
  void qtStringsAreChinese();
  void confirmationsAreChinese();
  void engineAndHubMessagesTranslated();
  void localeFollowsLanguage();
  void firstStartFollowsSystemLocale();

 private:
  QStringList modelNames() const;
  std::unique_ptr<pagoda::test::PopulatedApp> populated;
};

void TestUiTranslation::initTestCase() {
  pagoda::ui::applyStyle();
  populated = std::make_unique<pagoda::test::PopulatedApp>();
  populated->setLanguage("zh_CN");
}

QStringList TestUiTranslation::modelNames() const {
  QStringList names;
  for (const pagoda::app::ModelEntry& e : populated->app.library->models())
    names << e.name << QFileInfo(e.path).fileName() << e.architecture << e.dtype;
  for (const pagoda::app::DownloadItem& item : populated->app.downloads->items())
    names << item.model_id << item.revision;
  names << "Office GPU server" << "Qwen/Qwen3-8B";  // the user's own endpoint
  names.removeAll(QString());
  // Longest first, so that "tiny-qwen3" goes before "qwen3".
  std::sort(names.begin(), names.end(),
            [](const QString& a, const QString& b) { return a.size() > b.size(); });
  return names;
}

// The checker itself: English is found, names and numbers are not.
void TestUiTranslation::checkerFindsEnglish() {
  QCOMPARE(englishIn("Delete from disk", {}), QString("Delete from disk"));
  QCOMPARE(englishIn(QString::fromUtf8("在 GPU 上运行 demo-chat，需要 4.2 GB"), {"demo-chat"}),
           QString());
  QCOMPARE(englishIn(QString::fromUtf8("<b>模型</b> pagoda/tiny-qwen3 Cancel"), {}),
           QString("Cancel"));
  QCOMPARE(englishIn("http://127.0.0.1:8000/v1 /home/user/models", {}), QString());
}

void TestUiTranslation::everyPageIsChinese_data() {
  QTest::addColumn<int>("page");
  const char* names[] = {"discover", "downloads", "models", "chat",
                         "dashboard", "server", "settings"};
  for (int page = 0; page < MainWindow::PageCount; ++page) QTest::addRow("%s", names[page]) << page;
}

void TestUiTranslation::everyPageIsChinese() {
  QFETCH(int, page);
  MainWindow* window = populated->app.window.get();
  window->resize(1280, 800);
  window->showPage(MainWindow::Page(page));
  pagoda::test::settle();
  QList<Finding> findings;
  walk(window->page(MainWindow::Page(page)), modelNames(), findings);
  walk(window->findChild<QWidget*>("Sidebar"), modelNames(), findings);
  QVERIFY2(findings.isEmpty(), qPrintable("\n" + report(findings)));
}

// Qt's own strings: standard buttons, the line edit's context menu, the file dialog.
void TestUiTranslation::qtStringsAreChinese() {
  QList<Finding> findings;
  QMessageBox box(QMessageBox::Question, QString::fromUtf8("标题"), QString::fromUtf8("内容"),
                  QMessageBox::Yes | QMessageBox::No | QMessageBox::Cancel | QMessageBox::Save);
  box.show();
  pagoda::test::settle(50);
  walk(&box, {}, findings);
  box.hide();

  QLineEdit edit;
  edit.setText("x");
  std::unique_ptr<QMenu> menu(edit.createStandardContextMenu());
  for (QAction* action : menu->actions())
    if (!action->isSeparator()) check("QLineEdit context menu", action->text(), {}, findings);
  QVERIFY(menu->actions().size() > 3);

  QFileDialog dialog(nullptr, QString::fromUtf8("导入"));
  dialog.setOption(QFileDialog::DontUseNativeDialog);
  dialog.setFileMode(QFileDialog::Directory);
  dialog.show();
  pagoda::test::settle(100);
  walk(&dialog, {"tmp", "home", "root", "usr"}, findings);
  dialog.hide();
  QVERIFY2(findings.isEmpty(), qPrintable("\n" + report(findings)));
}

// The questions before destructive actions, with their buttons, as the pages open them.
void TestUiTranslation::confirmationsAreChinese() {
  MainWindow* window = populated->app.window.get();
  QList<Finding> findings;
  int seen = 0;
  auto walkNextBox = [&] {
    QTimer::singleShot(300, [&] {
      auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
      if (!box) return;
      ++seen;
      walk(box, modelNames(), findings);
      box->button(QMessageBox::Cancel)->click();
    });
  };
  window->showPage(MainWindow::Server);
  pagoda::test::settle();
  const QString key = populated->app.server->apiKey();
  walkNextBox();
  window->page(MainWindow::Server)->findChild<QPushButton*>("ServerGenerateKey")->click();
  QCOMPARE(populated->app.server->apiKey(), key);
  window->showPage(MainWindow::Models);
  pagoda::test::settle();
  for (QAbstractButton* b : window->page(MainWindow::Models)->findChildren<QAbstractButton*>())
    if (b->property("role").toString() == "delete" && b->isVisible()) {
      walkNextBox();
      b->click();
      break;
    }
  QCOMPARE(seen, 2);
  QVERIFY2(findings.isEmpty(), qPrintable("\n" + report(findings)));
}

// The engine's and the hub's English messages, in the UI language with their detail kept.
void TestUiTranslation::engineAndHubMessagesTranslated() {
  const QString detail = "libpagoda_cuda.so was not found (this build has no CUDA backend)";
  const QString cpu = pagoda::app::engineMessageText("Using the CPU backend because " + detail + ".");
  QVERIFY2(cpu.contains(detail) && englishIn(QString(cpu).remove(detail), {}).isEmpty(),
           qPrintable(cpu));
  const QString cuda = pagoda::app::engineMessageText("CUDA backend unavailable: no GPU");
  QVERIFY2(cuda.endsWith("no GPU") && englishIn(cuda.chopped(6), {}).isEmpty(), qPrintable(cuda));
  QCOMPARE(pagoda::app::engineMessageText("something new"), QString("something new"));
  for (const char* hub : {"file list of a/b@main: HTTP 404 (not found)",
                          "model.safetensors: sha256 mismatch (hub lists 1, downloaded file has 2)",
                          "retrying in 5 s: Could not resolve host: hub", "HTTP 403 (gated)"}) {
    const QString text = pagoda::app::hubMessageText(QString::fromLatin1(hub));
    QVERIFY2(!text.isEmpty() && englishIn(text, {}).isEmpty(), hub);
  }
  QVERIFY(pagoda::app::hubMessageText("something new").isEmpty());
}

// Sizes and dates follow the chosen language (QLocale::setDefault).
void TestUiTranslation::localeFollowsLanguage() {
  QCOMPARE(QLocale().language(), QLocale::Chinese);
  const QString chinese_date = QLocale().toString(QDate(2026, 12, 1), QLocale::LongFormat);
  QVERIFY2(chinese_date.contains(QString::fromUtf8("月")), qPrintable(chinese_date));
  populated->setLanguage("en");
  QCOMPARE(QLocale().language(), QLocale::English);
  QVERIFY(QLocale().toString(QDate(2026, 12, 1), QLocale::LongFormat).contains("December"));
  populated->setLanguage("zh_CN");
}

// No language stored yet: the system locale decides; once chosen, the choice wins.
void TestUiTranslation::firstStartFollowsSystemLocale() {
  QCOMPARE(pagoda::app::AppSettings::languageForLocale(QLocale(QLocale::Chinese, QLocale::China)),
           QString("zh_CN"));
  QCOMPARE(pagoda::app::AppSettings::languageForLocale(QLocale(QLocale::German)), QString("en"));
  QTemporaryDir dir;
  pagoda::app::AppSettings fresh(dir.path() + "/pagoda.conf");
  QCOMPARE(fresh.language(), pagoda::app::AppSettings::languageForLocale(QLocale::system()));
  const QString other = fresh.language() == "en" ? "zh_CN" : "en";
  fresh.setLanguage(other);
  QCOMPARE(pagoda::app::AppSettings(dir.path() + "/pagoda.conf").language(), other);
}

QTEST_MAIN(TestUiTranslation)
#include "test_ui_translation.moc"
