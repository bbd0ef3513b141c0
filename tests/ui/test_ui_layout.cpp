// Every page at 1024x700 and 1600x1000, in English and Simplified Chinese, through the layout
// audit (tests/ui/layout_audit.h): nothing outside its parent, overlapping or clipped; and the
// window's minimum size fits a 1024x700 screen.
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QtTest>

#include "tests/ui/layout_audit.h"
#include "tests/ui/populated_app.h"

using pagoda::ui::MainWindow;

class TestUiLayout : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void cleanupTestCase() { populated.reset(); }
  void auditFindsBrokenLayouts();
  void minimumSizeFitsSmallScreen();
  void pageLayout_data();
  void pageLayout();

 private:
  std::unique_ptr<pagoda::test::PopulatedApp> populated;
};

void TestUiLayout::initTestCase() {
  pagoda::ui::applyStyle();
  populated = std::make_unique<pagoda::test::PopulatedApp>();
}

// The audit itself, on widgets broken on purpose: each kind of problem is found, and a clean
// layout (an eliding label, a wrapped label with room) passes.
void TestUiLayout::auditFindsBrokenLayouts() {
  QWidget root;
  root.resize(400, 300);
  auto* clipped = new QLabel(QStringLiteral("A label much longer than its width"), &root);
  clipped->setGeometry(0, 0, 60, 20);
  auto* button = new QPushButton(QStringLiteral("Download selected files"), &root);
  button->setGeometry(0, 30, 70, 30);
  auto* outside = new QLabel(QStringLiteral("x"), &root);
  outside->setGeometry(380, 280, 50, 50);
  auto* wrapped = new QLabel(QStringLiteral("word ").repeated(40), &root);
  wrapped->setWordWrap(true);
  wrapped->setGeometry(0, 70, 120, 20);
  auto* elided = new pagoda::ui::ElidedLabel(QStringLiteral("/a/very/long/path/").repeated(8),
                                             Qt::ElideMiddle, &root);
  elided->setGeometry(0, 100, 120, 20);
  auto* box = new QWidget(&root);
  box->setGeometry(0, 130, 300, 60);
  auto* row = new QHBoxLayout(box);
  auto* a = new QLabel(QStringLiteral("a"));
  auto* b = new QLabel(QStringLiteral("b"));
  row->addWidget(a);
  row->addWidget(b);
  auto* scroll = new QScrollArea(&root);
  scroll->setGeometry(0, 200, 200, 90);
  auto* wide = new QWidget;
  wide->setMinimumWidth(600);
  scroll->setWidget(wide);
  scroll->setWidgetResizable(true);
  root.show();
  QVERIFY(QTest::qWaitForWindowExposed(&root));
  b->setGeometry(a->geometry().translated(a->width() / 2, 0));  // overlap
  const QString found = pagoda::test::auditLayout(&root).join('\n');
  for (const char* expected :
       {"clipped text: QWidget/QLabel 'A label much", "clipped text: QWidget/QPushButton",
        "outside its parent: QWidget/QLabel 'x'", "needs height", "overlap:", "scrolls sideways"})
    QVERIFY2(found.contains(QLatin1String(expected)), qPrintable(expected + ("\n" + found)));
  QVERIFY2(!found.contains("/a/very"), qPrintable(found));  // elides on purpose
  wrapped->setGeometry(0, 70, 120, wrapped->heightForWidth(120));
  QVERIFY(!pagoda::test::auditLayout(&root).join('\n').contains("needs height"));
}

void TestUiLayout::minimumSizeFitsSmallScreen() {
  const QSize minimum = populated->app.window->minimumSize();
  QVERIFY2(minimum.width() > 0 && minimum.width() <= 1024 && minimum.height() <= 700,
           qPrintable(QStringLiteral("%1x%2").arg(minimum.width()).arg(minimum.height())));
  // The laid-out window cannot be made smaller than its pages allow: it must still reach it.
  for (const QString& language : {QStringLiteral("en"), QStringLiteral("zh_CN")}) {
    populated->setLanguage(language);
    MainWindow* window = populated->app.window.get();
    window->resize(minimum);
    pagoda::test::settle();
    QVERIFY2(window->size() == minimum,
             qPrintable(QStringLiteral("%1: the window stays %2x%3")
                            .arg(language)
                            .arg(window->width())
                            .arg(window->height())));
  }
}

void TestUiLayout::pageLayout_data() {
  QTest::addColumn<QString>("language");
  QTest::addColumn<QSize>("size");
  QTest::addColumn<int>("page");
  const char* names[] = {"discover", "downloads", "models", "chat",
                         "dashboard", "server", "settings"};
  for (const char* language : {"en", "zh_CN"})
    for (const QSize size : {QSize(1024, 700), QSize(1600, 1000)})
      for (int page = 0; page < MainWindow::PageCount; ++page)
        QTest::addRow("%s %dx%d %s", language, size.width(), size.height(), names[page])
            << QString::fromLatin1(language) << size << page;
}

void TestUiLayout::pageLayout() {
  QFETCH(QString, language);
  QFETCH(QSize, size);
  QFETCH(int, page);
  populated->setLanguage(language);
  MainWindow* window = populated->app.window.get();
  window->resize(size);
  window->showPage(MainWindow::Page(page));
  pagoda::test::settle();
  QCOMPARE(window->size(), size);
  const QStringList problems = pagoda::test::auditLayout(window->page(MainWindow::Page(page)));
  // The sidebar is part of every page's view.
  const QStringList shell = pagoda::test::auditLayout(window->findChild<QWidget*>("Sidebar"));
  QVERIFY2(problems.isEmpty() && shell.isEmpty(), qPrintable((problems + shell).join('\n')));
}

QTEST_MAIN(TestUiLayout)
#include "test_ui_layout.moc"
