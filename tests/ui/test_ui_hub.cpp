// The Discover and Downloads pages against the fake hub on 127.0.0.1 serving the fixture
// models: search, open a model, download it and find it in the library; pause, resume and
// cancel a throttled download from the page's buttons; and how long the GUI thread's event
// loop stalls while several downloads run.
#include <QAbstractButton>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QSignalSpy>
#include <QProgressBar>
#include <QTimer>
#include <QTreeWidget>
#include <QtTest>
#include <cstdio>
#include <memory>

#include "tests/app/fake_hub/fake_hub.h"
#include "app/services/download_service.h"
#include "app/services/hub_service.h"
#include "ui/discover_page.h"
#include "ui/downloads_page.h"
#include "ui/models_page.h"
#include "ui/ui_util.h"
#include "tests/ui/ui_test_harness.h"

using pagoda::app::DownloadItem;
using pagoda::ui::MainWindow;

namespace {

bool waitFor(const std::function<bool()>& done, int timeout_ms) {
  QElapsedTimer clock;
  clock.start();
  while (!done()) {
    if (clock.elapsed() > timeout_ms) return false;
    QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    QTest::qWait(5);
  }
  return true;
}

// The app as main() builds it, with the hub pointed at a fake hub over the fixture models.
struct HubHarness {
  HubHarness()
      : fake(PAGODA_TEST_DATA "/models"),
        app({}, {}, QString::fromStdString("ms+" + started(fake).url())),
        hub(app.hub.get()),
        downloads(app.downloads.get()) {
    app.window->resize(1280, 800);
    app.window->show();
  }
  static pagoda::test::FakeHub& started(pagoda::test::FakeHub& f) {
    f.start();
    return f;
  }
  pagoda::ui::DiscoverPage* discover() const {
    return qobject_cast<pagoda::ui::DiscoverPage*>(app.window->page(MainWindow::Discover));
  }
  QWidget* downloadsPage() const { return app.window->page(MainWindow::Downloads); }
  DownloadItem itemFor(const QString& model_id) const {
    for (const DownloadItem& item : downloads->items())
      if (item.model_id == model_id) return item;
    return {};
  }
  // A button of the download's card on the Downloads page (role: pause, resume, cancel, ...).
  QAbstractButton* cardButton(const QString& id, const QString& role) const {
    for (QFrame* card : downloadsPage()->findChildren<QFrame*>("Card")) {
      if (card->property("downloadId").toString() != id || !card->isVisible()) continue;
      for (QAbstractButton* b : card->findChildren<QAbstractButton*>())
        if (b->property("role").toString() == role) return b;
    }
    return nullptr;
  }

  pagoda::test::FakeHub fake;  // first: the app's hub points at it, and it outlives the app
  AppHarness app;
  pagoda::app::HubService* hub;
  pagoda::app::DownloadService* downloads;
};

QAbstractButton* buttonWithRole(QWidget* root, const QString& role) {
  for (QAbstractButton* b : root->findChildren<QAbstractButton*>())
    if (b->property("role").toString() == role) return b;
  return nullptr;
}

}  // namespace

class HubUiTest : public QObject {
  Q_OBJECT
 private slots:
  void searchOpenDownloadAndFindInLibrary();
  void pauseResumeCancelThrottled();
  void eventLoopStaysResponsiveWhileDownloading();
  void tokenFromKeyStoreNeverInSettings();
  void installedBadgePartialAndDeleteFromDisk();
};

void HubUiTest::searchOpenDownloadAndFindInLibrary() {
  HubHarness h;
  QVERIFY(h.discover());
  QCOMPARE(h.hub->endpointText(), QString::fromStdString("ms+" + h.fake.url()));
  h.app.window->showPage(MainWindow::Discover);
  h.discover()->search("tiny");
  auto* results = h.discover()->findChild<QListWidget*>("HubResults");
  QVERIFY(results);
  QVERIFY(waitFor([&] { return results->count() > 0; }, 10000));
  QListWidgetItem* wanted = nullptr;
  QStringList ids;
  for (int i = 0; i < results->count(); ++i) {
    ids << results->item(i)->data(Qt::UserRole).toString();
    if (ids.last() == "pagoda/tiny-yi-spm") wanted = results->item(i);
  }
  QVERIFY2(wanted, qPrintable(ids.join(", ")));

  // Choosing a result opens it: card, files with sizes and hashes, and the fit estimate.
  results->setCurrentItem(wanted);
  auto* files = h.discover()->findChild<QTreeWidget*>("HubFiles");
  QVERIFY(waitFor([&] { return h.discover()->openModelId() == "pagoda/tiny-yi-spm"; }, 10000));
  QVERIFY(files->topLevelItemCount() >= 3);
  bool saw_weights = false;
  for (int i = 0; i < files->topLevelItemCount(); ++i) {
    QTreeWidgetItem* item = files->topLevelItem(i);
    if (item->text(0) != "model.safetensors") continue;
    saw_weights = true;
    QVERIFY(!item->text(1).isEmpty());
    QVERIFY2(item->toolTip(0).startsWith("sha256 "), qPrintable(item->toolTip(0)));
  }
  QVERIFY(saw_weights);
  auto* fit = h.discover()->findChild<QLabel*>("HubFit");
  QVERIFY(waitFor([&] { return fit->text().contains("token context"); }, 10000));
  QVERIFY2(fit->text().startsWith("Fits"), qPrintable(fit->text()));  // a tiny model fits

  // Download the whole model; it completes and the library lists it, ready to load.
  QAbstractButton* download = buttonWithRole(h.discover(), "download-all");
  QVERIFY(download && download->isEnabled());
  download->click();
  QVERIFY(waitFor([&] { return h.itemFor("pagoda/tiny-yi-spm").state == "completed"; }, 30000));
  const DownloadItem done = h.itemFor("pagoda/tiny-yi-spm");
  QVERIFY(QDir(done.model_dir).exists("model.safetensors"));
  QVERIFY(waitFor(
      [&] {
        for (const pagoda::app::ModelEntry& e : h.app.library->models())
          if (e.path == QDir(done.model_dir).absolutePath()) return e.loadable;
        return false;
      },
      10000));
  // The Downloads page shows it completed.
  h.app.window->showPage(MainWindow::Downloads);
  QVERIFY(waitFor([&] { return h.cardButton(done.id, "models") != nullptr; }, 5000));
}

void HubUiTest::pauseResumeCancelThrottled() {
  HubHarness h;
  pagoda::test::FakeHubFaults faults;
  faults.bytes_per_second = 1 << 20;  // tiny-qwen3 (16 MB) takes ~16 s
  h.fake.set_faults(faults);
  h.app.window->showPage(MainWindow::Downloads);
  h.downloads->enqueue("pagoda/tiny-qwen3");
  QVERIFY(waitFor([&] { return h.itemFor("pagoda/tiny-qwen3").bytes_done > 0; }, 15000));
  const QString id = h.itemFor("pagoda/tiny-qwen3").id;
  QCOMPARE(h.itemFor("pagoda/tiny-qwen3").state, QString("running"));

  QAbstractButton* pause = h.cardButton(id, "pause");
  QVERIFY(pause);
  pause->click();
  QVERIFY(waitFor([&] { return h.itemFor("pagoda/tiny-qwen3").state == "paused"; }, 10000));
  QTest::qWait(300);  // a chunk in flight when pausing may still land
  const qint64 paused_at = h.itemFor("pagoda/tiny-qwen3").bytes_done;
  QTest::qWait(800);
  QCOMPARE(h.itemFor("pagoda/tiny-qwen3").bytes_done, paused_at);

  QVERIFY(waitFor([&] { return h.cardButton(id, "resume") != nullptr; }, 5000));
  h.cardButton(id, "resume")->click();
  QVERIFY(waitFor(
      [&] {
        const DownloadItem item = h.itemFor("pagoda/tiny-qwen3");
        return item.state == "running" && item.bytes_done > paused_at;
      },
      15000));
  QVERIFY(h.fake.stats().range_requests > 0);  // resumed where it stopped

  QVERIFY(waitFor([&] { return h.cardButton(id, "cancel") != nullptr; }, 5000));
  // Canceling asks first (the partial files are deleted); the test says yes.
  const auto asked = answerConfirmation("CancelDownloadConfirm", true);
  h.cardButton(id, "cancel")->click();
  QVERIFY2(asked->contains("pagoda/tiny-qwen3"), qPrintable(*asked));
  QVERIFY(waitFor([&] { return h.itemFor("pagoda/tiny-qwen3").state == "canceled"; }, 10000));
  QVERIFY(waitFor([&] { return h.cardButton(id, "retry") != nullptr; }, 5000));
  QVERIFY(!QDir(h.app.settings->modelsFolder()).exists("pagoda--tiny-qwen3"));
}

void HubUiTest::eventLoopStaysResponsiveWhileDownloading() {
  HubHarness h;
  pagoda::test::FakeHubFaults faults;
  faults.bytes_per_second = 6 << 20;
  h.fake.set_faults(faults);
  h.app.window->showPage(MainWindow::Downloads);
  h.downloads->setMaxConcurrent(3);
  const QStringList models{"pagoda/tiny-mistral", "pagoda/tiny-llama3", "pagoda/tiny-qwen2"};
  for (const QString& model : models) h.downloads->enqueue(model);

  // A 10 ms timer on the GUI thread: the longest gap between its ticks is the worst stall.
  QElapsedTimer clock;
  clock.start();
  qint64 last = 0, worst = 0;
  int ticks = 0;
  QTimer timer;
  timer.setTimerType(Qt::PreciseTimer);
  QObject::connect(&timer, &QTimer::timeout, [&] {
    const qint64 now = clock.elapsed();
    worst = std::max(worst, now - last);
    last = now;
    ++ticks;
  });
  int max_running = 0;
  timer.start(10);
  QEventLoop loop;
  QTimer poll;
  QObject::connect(&poll, &QTimer::timeout, [&] {
    int running = 0, completed = 0;
    for (const DownloadItem& item : h.downloads->items()) {
      running += item.state == "running";
      completed += item.state == "completed";
    }
    max_running = std::max(max_running, running);
    if (completed == models.size() || clock.elapsed() > 60000) loop.quit();
  });
  poll.start(50);
  loop.exec();
  timer.stop();
  for (const QString& model : models)
    QVERIFY2(h.itemFor(model).state == "completed",
             qPrintable(model + " " + h.itemFor(model).error));
  std::printf(
      "GUI event loop while %d downloads ran (max %d at once) for %.1f s: longest gap "
      "%lld ms between 10 ms ticks (%d ticks)\n",
      static_cast<int>(models.size()), max_running, clock.elapsed() / 1000.0,
      static_cast<long long>(worst), ticks);
  QVERIFY(max_running >= 2);
  QVERIFY2(worst < 250, qPrintable(QString("longest gap %1 ms").arg(worst)));
}

void HubUiTest::tokenFromKeyStoreNeverInSettings() {
  HubHarness h;
  pagoda::test::FakeHubFaults faults;
  faults.require_token = "s3cret-hub-token";
  h.fake.set_faults(faults);
  auto* results = h.discover()->findChild<QListWidget*>("HubResults");
  h.discover()->search("tiny");
  auto failed = [&] {
    for (QLabel* label : h.discover()->findChildren<QLabel*>())
      if (label->text().startsWith("Search failed")) return true;
    return false;
  };
  QVERIFY(waitFor(failed, 10000));

  h.hub->setToken("s3cret-hub-token");
  QVERIFY(h.hub->hasToken());
  h.discover()->search("tiny");
  QVERIFY(waitFor([&] { return results->count() > 0; }, 10000));
  // Downloads use it too (DownloadQueueOptions::token_for).
  h.downloads->enqueue("pagoda/tiny-yi-spm");
  QVERIFY(waitFor([&] { return h.itemFor("pagoda/tiny-yi-spm").state == "completed"; }, 30000));

  QFile settings(h.app.settings->fileName());
  QVERIFY(settings.open(QIODevice::ReadOnly));
  const QByteArray text = settings.readAll();
  QVERIFY(text.contains("ms+http://127.0.0.1"));  // the endpoint is a preference
  QVERIFY(!text.contains("s3cret"));
  QFile queue(h.app.settings->modelsFolder() + "/.downloads/queue.json");
  if (queue.open(QIODevice::ReadOnly)) QVERIFY(!queue.readAll().contains("s3cret"));
}

namespace {

pagoda::app::ModelEntry libraryEntry(const HubHarness& h, const QString& model_id) {
  for (const pagoda::app::ModelEntry& e : h.app.library->models())
    if (e.model_id == model_id) return e;
  return {};
}

QString installedBadge(pagoda::ui::DiscoverPage* page) {
  QLabel* badge = page->findChild<QLabel*>("InstalledBadge");
  return badge && badge->isVisible() ? badge->text() : QString();
}

}  // namespace

void HubUiTest::installedBadgePartialAndDeleteFromDisk() {
  HubHarness h;
  const QString id = "pagoda/tiny-yi-spm";
  // Selected files only: listed by hub id, marked partial, never loadable.
  h.downloads->enqueue(id, {}, {"*.json"});
  QVERIFY(waitFor([&] { return h.itemFor(id).state == "completed"; }, 30000));
  QVERIFY(waitFor([&] { return !libraryEntry(h, id).path.isEmpty(); }, 10000));
  pagoda::app::ModelEntry partial = libraryEntry(h, id);
  QCOMPARE(partial.name, id);
  QVERIFY(partial.partial);
  QVERIFY(!partial.loadable);
  QVERIFY2(partial.problem.contains("Partial"), qPrintable(partial.problem));
  h.app.window->showPage(MainWindow::Models);
  QWidget* models = h.app.window->page(MainWindow::Models);
  auto cardOf = [&](const QString& path) -> QFrame* {
    for (QFrame* card : models->findChildren<QFrame*>("Card"))
      if (card->property("modelPath").toString() == path) return card;
    return nullptr;
  };
  QVERIFY(waitFor([&] { return cardOf(partial.path) != nullptr; }, 5000));
  QAbstractButton* load = buttonWithRole(cardOf(partial.path), "load");
  QVERIFY(load && !load->isEnabled());

  h.app.window->showPage(MainWindow::Discover);
  h.discover()->openModel(id);
  QVERIFY(waitFor([&] { return installedBadge(h.discover()) == "Partly downloaded"; }, 10000));

  // The full download completes the folder; Discover then says "Installed", and asking again
  // says so before anything is transferred.
  h.downloads->remove(h.itemFor(id).id);
  QVERIFY(waitFor([&] { return h.itemFor(id).id.isEmpty(); }, 5000));
  buttonWithRole(h.discover(), "download-all")->click();
  QVERIFY(waitFor([&] { return h.itemFor(id).state == "completed"; }, 30000));
  QVERIFY(waitFor([&] { return libraryEntry(h, id).loadable; }, 10000));
  QCOMPARE(libraryEntry(h, id).path, partial.path);
  QVERIFY(waitFor([&] { return installedBadge(h.discover()) == "Installed"; }, 10000));
  QSignalSpy refused(h.downloads, &pagoda::app::DownloadService::enqueueFailed);
  h.fake.reset_stats();
  h.downloads->remove(h.itemFor(id).id);
  QVERIFY(waitFor([&] { return h.itemFor(id).id.isEmpty(); }, 5000));
  buttonWithRole(h.discover(), "download-all")->click();
  QVERIFY(waitFor([&] { return refused.count() == 1; }, 10000));
  QVERIFY2(refused.at(0).at(1).toString().contains("already in the library"),
           qPrintable(refused.at(0).at(1).toString()));
  QCOMPARE(h.fake.stats().file_requests, 0);

  // The hub's commit moved on (here: the library copy records an older one): "Update".
  {
    const QString marker_path = partial.path + "/.pagoda-download.json";
    QFile marker(marker_path);
    QVERIFY(marker.open(QIODevice::ReadOnly));
    QByteArray text = marker.readAll();
    marker.close();
    QVERIFY(text.contains("fakecommit0001"));
    text.replace("fakecommit0001", "oldcommit0000");
    QVERIFY(marker.open(QIODevice::WriteOnly | QIODevice::Truncate));
    marker.write(text);
    marker.close();
  }
  h.app.library->rescan();
  QVERIFY(waitFor([&] { return libraryEntry(h, id).commit == "oldcommit0000"; }, 10000));
  h.discover()->openModel(id);
  QAbstractButton* update = buttonWithRole(h.discover(), "download-all");
  QVERIFY(waitFor([&] { return update->text().startsWith("Update"); }, 10000));
  update->click();
  QVERIFY(waitFor([&] { return h.itemFor(id).state == "completed"; }, 30000));
  QVERIFY(waitFor([&] { return libraryEntry(h, id).commit == "fakecommit0001"; }, 10000));
  QVERIFY(waitFor([&] { return !update->text().startsWith("Update"); }, 10000));

  // Delete from disk: a confirmation that names the size, then the folder is gone.
  h.app.window->showPage(MainWindow::Models);
  const pagoda::app::ModelEntry full = libraryEntry(h, id);
  QVERIFY(waitFor([&] { return cardOf(full.path) != nullptr; }, 5000));
  QAbstractButton* remove = buttonWithRole(cardOf(full.path), "delete");
  QVERIFY(remove && remove->isEnabled());
  QString asked;
  QTimer::singleShot(200, [&] {
    auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
    if (!box) return;
    asked = box->text();
    for (QAbstractButton* b : box->buttons())
      if (box->buttonRole(b) == QMessageBox::DestructiveRole) b->click();
  });
  remove->click();
  QVERIFY2(asked.contains(pagoda::ui::formatBytes(full.disk_bytes)), qPrintable(asked));
  QVERIFY(waitFor([&] { return !QDir(full.path).exists(); }, 10000));
  QVERIFY(waitFor([&] { return libraryEntry(h, id).path.isEmpty(); }, 10000));
  auto* notice = models->findChild<QLabel*>("ModelsNotice");
  QVERIFY(notice && notice->text().contains("freed"));
}

QTEST_MAIN(HubUiTest)
#include "test_ui_hub.moc"
