// The Dashboard with a fake NVML (tests/app/fake_nvml.cpp, loaded through the same dlopen path)
// and a fake engine stats source: figures and series update, the page survives NVML vanishing and
// a machine without NVML, the window setting works, the GUI thread never stalls over 50 ms while
// the charts update at full rate, and a real server's /metrics feeds the same charts.
#include <httplib.h>
#include <unistd.h>

#include <QAbstractButton>
#include <QDateTimeAxis>
#include <QLineSeries>
#include <QtTest>
#include <thread>

#include "engine/core/engine.h"
#include "tests/app/fake_engine_counters.h"
#include "tests/app/fake_nvml_control.h"
#include "app/server/api_server.h"
#include "app/services/engine_service.h"
#include "ui/dashboard_page.h"
#include "ui/time_chart.h"
#include "ui/ui_util.h"
#include "tests/ui/ui_test_harness.h"

using pagoda::ui::DashboardPage;
using pagoda::ui::MainWindow;
using pagoda::ui::TimeChart;

namespace {

// CPU time of the calling thread.
double threadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double monotonic() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Feeds FakeEngineCounters to the service as EngineService's stats would arrive.
class FakeStatsSource : public QObject {
 public:
  FakeStatsSource(pagoda::app::TelemetryService* telemetry, int interval_ms)
      : telemetry_(telemetry), start_(monotonic()) {
    connect(&timer_, &QTimer::timeout, this, [this] {
      pagoda::app::EngineStatsSnapshot s;
      const double now = monotonic();
      s.counters = counters.at(now, now - start_);
      telemetry_->feedEngineStats(s);
    });
    timer_.start(interval_ms);
  }
  pagoda::testing::FakeEngineCounters counters;

 private:
  pagoda::app::TelemetryService* telemetry_;
  double start_;
  QTimer timer_;
};

pagoda::app::TelemetryOptions fastOptions(int interval_ms = 50,
                                          const QString& library = PAGODA_FAKE_NVML) {
  pagoda::app::TelemetryOptions o;
  o.interval_ms = interval_ms;
  o.nvml_library = library;
  return o;
}

void setUpGpus(pagoda::testing::FakeNvml& fake, unsigned count = 1) {
  fake.vanish(0);
  fake.set_gpu_count(count);
  fake.clear_processes();
  for (unsigned i = 0; i < count; ++i) {
    fake.set_gpu(i, "NVIDIA H200", 141ull << 30);
    fake.set_load(i, 87, 100ull << 30, 612, 71, 1980);
  }
  fake.add_process(0, static_cast<unsigned>(getpid()), "pagoda", 90ull << 30);
  fake.add_process(0, 4242, "/usr/bin/python3", 8ull << 30);
}

DashboardPage* showDashboard(AppHarness& app) {
  app.window->resize(1280, 800);
  app.window->show();
  app.window->showPage(MainWindow::Dashboard);
  return qobject_cast<DashboardPage*>(app.window->page(MainWindow::Dashboard));
}

int count(TimeChart* chart, int series) {
  return series < chart->seriesCount() ? chart->series(series)->count() : 0;
}

double lastY(TimeChart* chart, int series) {
  if (series >= chart->seriesCount()) return NAN;
  QLineSeries* s = chart->series(series);
  return s->count() ? s->at(s->count() - 1).y() : NAN;
}

// A history point `age_s` seconds before `now_ms`, with one GPU and an engine.
pagoda::app::TelemetryTick historyTick(qint64 now_ms, int age_s, int gpus) {
  pagoda::app::TelemetryTick t;
  t.point.time_ms = now_ms - qint64(age_s) * 1000;
  for (int g = 0; g < gpus; ++g) t.point.gpus.push_back({double(age_s % 100), 50e9, 141e9});
  auto& e = t.point.engine;
  e.present = true;
  e.running = age_s % 4;
  e.kv_usage_percent = age_s % 100;
  e.generation_tokens_per_s = 40 + age_s % 20;
  e.ttft_p50_s = 0.1;
  t.nvml_available = gpus > 0;
  return t;
}

}  // namespace

class TestUiDashboard : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { pagoda::ui::applyStyle(); }
  void figuresAndSeriesUpdate();
  void survivesNvmlVanishing();
  void withoutNvmlShowsTheEngineOnly();
  void windowSettingWorks();
  void noGuiStallAtFullRate();
  void remoteMetricsFeedTheCharts();
  void fitsTheSmallWindow();
};

void TestUiDashboard::figuresAndSeriesUpdate() {
  pagoda::testing::FakeNvml fake;
  setUpGpus(fake);
  AppHarness app({}, fastOptions());
  FakeStatsSource stats(app.telemetry.get(), 20);
  DashboardPage* page = showDashboard(app);
  QVERIFY(page);
  QTRY_VERIFY_WITH_TIMEOUT(count(page->tokensChart(), 1) >= 5, 10000);
  QTRY_VERIFY_WITH_TIMEOUT(count(page->latencyChart(), 0) >= 3, 10000);
  QVERIFY2(page->figureText("gpu").startsWith("87 %"), qPrintable(page->figureText("gpu")));
  QVERIFY(page->figureText("gpu").contains("NVIDIA H200"));
  QVERIFY2(page->figureText("vram").startsWith(pagoda::ui::formatBytes(100ll << 30)),
           qPrintable(page->figureText("vram")));
  QVERIFY2(page->figureText("kv").startsWith("25.0 %"), qPrintable(page->figureText("kv")));
  QVERIFY(page->figureText("kv").contains("100 / 400 blocks"));
  QVERIFY2(page->figureText("tokens").startsWith("50.0 tok/s"), qPrintable(page->figureText("tokens")));
  QVERIFY(page->figureText("tokens").contains("prompt 150"));
  QVERIFY(page->figureText("requests").startsWith("2 / 1"));
  QCOMPARE(lastY(page->gpuChart(), 0), 87.0);
  QCOMPARE(qRound(lastY(page->gpuChart(), 1) * 100), qRound(100.0 * 100 / 141 * 100));
  QCOMPARE(lastY(page->kvChart(), 0), 25.0);
  QCOMPARE(qRound(lastY(page->kvChart(), 1)), 40);
  QVERIFY(std::abs(lastY(page->tokensChart(), 1) - 50) < 1e-6);
  QVERIFY(std::abs(lastY(page->tokensChart(), 0) - 150) < 1e-6);
  QCOMPARE(lastY(page->requestsChart(), 0), 2.0);
  QCOMPARE(lastY(page->requestsChart(), 1), 1.0);
  QVERIFY(std::abs(lastY(page->latencyChart(), 0) - 120) < 120 * 0.25);  // within a bucket
  QVERIFY(std::abs(lastY(page->latencyChart(), 2) - 20) < 20 * 0.25);
  const QString details = page->gpuDetailsText();
  QVERIFY2(details.contains("NVIDIA H200") && details.contains("71 °C") &&
               details.contains("pagoda (this app)") && details.contains("python3") &&
               details.contains("612 / 350 W"),
           qPrintable(details));
  // Changes show up: a slower engine and a busier GPU.
  stats.counters.gen_rate = 10;
  fake.set_load(0, 12, 20ull << 30, 100, 40, 345);
  QTRY_VERIFY_WITH_TIMEOUT(std::abs(lastY(page->tokensChart(), 1) - 10) < 1e-6, 5000);
  QTRY_COMPARE_WITH_TIMEOUT(lastY(page->gpuChart(), 0), 12.0, 5000);
  QTRY_VERIFY(page->figureText("gpu").startsWith("12 %"));
  QVERIFY(page->engineStatusText().isEmpty());
  QVERIFY(page->gpuStatusText().isEmpty());
}

void TestUiDashboard::survivesNvmlVanishing() {
  pagoda::testing::FakeNvml fake;
  setUpGpus(fake);
  AppHarness app({}, fastOptions());
  FakeStatsSource stats(app.telemetry.get(), 20);
  DashboardPage* page = showDashboard(app);
  QTRY_VERIFY_WITH_TIMEOUT(count(page->gpuChart(), 0) >= 3, 10000);
  fake.vanish(15);  // NVML_ERROR_GPU_IS_LOST from now on
  QTRY_VERIFY_WITH_TIMEOUT(page->gpuStatusText().contains("GPU is lost"), 5000);
  QVERIFY(page->figureText("gpu").startsWith(QStringLiteral("—")));
  const int gpu_points = count(page->gpuChart(), 0);
  const int token_points = count(page->tokensChart(), 1);
  // The engine charts go on; the GPU chart waits.
  QTRY_VERIFY_WITH_TIMEOUT(count(page->tokensChart(), 1) >= token_points + 5, 5000);
  QCOMPARE(count(page->gpuChart(), 0), gpu_points);
  QVERIFY(page->figureText("tokens").startsWith("50.0 tok/s"));
  QVERIFY(page->isVisible());
  // The driver comes back: within ten samples the GPU is charted again.
  fake.vanish(0);
  QTRY_VERIFY_WITH_TIMEOUT(page->gpuStatusText().isEmpty(), 5000);
  QTRY_VERIFY_WITH_TIMEOUT(count(page->gpuChart(), 0) > gpu_points, 5000);
  QVERIFY(page->figureText("gpu").startsWith("87 %"));
}

void TestUiDashboard::withoutNvmlShowsTheEngineOnly() {
  AppHarness app({}, fastOptions(50, "/nonexistent/libnvidia-ml.so.1"));
  FakeStatsSource stats(app.telemetry.get(), 20);
  DashboardPage* page = showDashboard(app);
  QTRY_VERIFY_WITH_TIMEOUT(count(page->tokensChart(), 1) >= 3, 10000);
  QVERIFY2(page->gpuStatusText().contains("No NVIDIA driver"), qPrintable(page->gpuStatusText()));
  QCOMPARE(page->gpuChart()->seriesCount(), 0);
  QVERIFY(page->figureText("vram").startsWith(QStringLiteral("—")));
  QVERIFY(page->figureText("kv").startsWith("25.0 %"));
  // In Chinese too.
  QObject::connect(app.settings.get(), &pagoda::app::AppSettings::languageChanged,
                   &pagoda::ui::applyLanguage);
  app.settings->setLanguage("zh_CN");
  QTRY_VERIFY_WITH_TIMEOUT(
      qobject_cast<DashboardPage*>(app.window->page(MainWindow::Dashboard)) != page, 5000);
  page = qobject_cast<DashboardPage*>(app.window->page(MainWindow::Dashboard));
  QTRY_VERIFY_WITH_TIMEOUT(page->gpuStatusText().contains(QStringLiteral("NVIDIA 驱动")), 5000);
  app.settings->setLanguage("en");
}

void TestUiDashboard::windowSettingWorks() {
  pagoda::testing::FakeNvml fake;
  setUpGpus(fake);
  AppHarness app({}, fastOptions(0));  // no sampling: the history is this test's
  app.window->show();
  app.window->showPage(MainWindow::Chat);  // the history is filled while the page is hidden
  const qint64 now = QDateTime::currentMSecsSinceEpoch();
  for (int age = 899; age >= 0; --age) app.telemetry->record(historyTick(now, age, 1));
  QCOMPARE(app.telemetry->windowMinutes(), 5);
  DashboardPage* page = showDashboard(app);
  auto points = [&] { return count(page->kvChart(), 0); };
  auto span_s = [&] {
    auto* x = qobject_cast<QDateTimeAxis*>(page->kvChart()->chart()->axes(Qt::Horizontal).first());
    return x->min().msecsTo(x->max()) / 1000;
  };
  QVERIFY2(points() >= 301 && points() <= 303, qPrintable(QString::number(points())));
  QCOMPARE(span_s(), 300);
  auto click = [&](int minutes) {
    for (auto* b : page->findChildren<QAbstractButton*>("WindowButton"))
      if (b->property("minutes").toInt() == minutes) QTest::mouseClick(b, Qt::LeftButton);
  };
  click(1);
  QVERIFY2(points() >= 61 && points() <= 63, qPrintable(QString::number(points())));
  QCOMPARE(span_s(), 60);
  QCOMPARE(app.settings->value("dashboard/window_minutes").toInt(), 1);
  // The window slides as points arrive: old ones leave the series.
  const double first_x = page->kvChart()->series(0)->at(0).x();
  for (int i = 1; i <= 10; ++i) app.telemetry->record(historyTick(now + 1000 * i, 0, 1));
  QTRY_COMPARE(page->lastDrawnMs(), now + 10000);
  QVERIFY(page->kvChart()->series(0)->at(0).x() > first_x);
  QVERIFY2(points() >= 61 && points() <= 63, qPrintable(QString::number(points())));
  click(15);
  // 910 samples in the window, thinned to about 360 points a line (window / 2.5 s buckets).
  QVERIFY2(points() >= 300 && points() <= 470, qPrintable(QString::number(points())));
  QCOMPARE(span_s(), 900);
  QVERIFY(page->kvChart()->series(0)->at(0).x() <= now + 10000 - 900 * 1000 + 2500);
  // Kept across a rebuilt page (language switch) and a restart of the service.
  app.window->showPage(MainWindow::Chat);
  app.window->showPage(MainWindow::Dashboard);
  QCOMPARE(app.telemetry->windowMinutes(), 15);
  pagoda::app::TelemetryService again(app.settings.get(), nullptr, app.keys.get(), fastOptions(0));
  QCOMPARE(again.windowMinutes(), 15);
}

void TestUiDashboard::noGuiStallAtFullRate() {
  pagoda::testing::FakeNvml fake;
  setUpGpus(fake, 2);
  const int interval_ms = 20;  // 50 samples a second: fifty times the real rate
  AppHarness app({}, fastOptions(interval_ms));
  app.telemetry->setWindowMinutes(15);
  app.window->show();
  app.window->showPage(MainWindow::Chat);
  const qint64 now = QDateTime::currentMSecsSinceEpoch() - 1000;
  for (int age = 900; age >= 1; --age) app.telemetry->record(historyTick(now, age, 2));
  FakeStatsSource stats(app.telemetry.get(), interval_ms);
  DashboardPage* page = showDashboard(app);
  QVERIFY(QTest::qWaitForWindowExposed(app.window.get()));
  // A 5 ms heartbeat on the GUI thread. Between two beats the GUI thread did one stretch of
  // work: its CPU time is the stall our code causes; the wall-clock gap adds whatever the OS
  // scheduler took (other processes on a loaded machine), reported alongside.
  QElapsedTimer clock;
  clock.start();
  qint64 last_wall = 0, worst_wall = 0;
  double last_cpu = threadCpuMs(), worst_cpu = 0;
  QTimer beat;
  beat.setTimerType(Qt::PreciseTimer);
  QObject::connect(&beat, &QTimer::timeout, [&] {
    const qint64 t = clock.elapsed();
    const double cpu = threadCpuMs();
    worst_wall = std::max(worst_wall, t - last_wall);
    worst_cpu = std::max(worst_cpu, cpu - last_cpu);
    last_wall = t;
    last_cpu = cpu;
  });
  const qint64 samples_before = app.telemetry->samples();
  const qint64 drawn_before = page->lastDrawnMs();
  beat.start(5);
  QTest::qWait(3000);
  beat.stop();
  const qint64 samples = app.telemetry->samples() - samples_before;
  const qint64 drawn_ms = page->lastDrawnMs() - drawn_before;
  qInfo("full rate: %lld samples in 3 s, charts advanced %lld ms, %d points per line, worst "
        "GUI-thread stall %.1f ms CPU (%lld ms wall clock)",
        samples, drawn_ms, count(page->tokensChart(), 1), worst_cpu, worst_wall);
  QVERIFY2(samples >= 60, qPrintable(QString::number(samples)));
  QVERIFY2(drawn_ms >= 2000, qPrintable(QString::number(drawn_ms)));  // the charts kept up
  // The charts trail the newest sample by at most one redraw period (250 ms) and a sample.
  const qint64 behind = app.telemetry->history().back().time_ms - page->lastDrawnMs();
  QVERIFY2(behind <= 250 + 3 * interval_ms, qPrintable(QString::number(behind)));
  QVERIFY(count(page->gpuChart(), 0) >= 300);
  QVERIFY2(worst_cpu <= 50, qPrintable(QStringLiteral("GUI-thread stall %1 ms").arg(worst_cpu)));
}

void TestUiDashboard::remoteMetricsFeedTheCharts() {
  // The project's own server on demo-chat, read through its /metrics page.
  pagoda::EngineConfig config;
  config.model_dir = PAGODA_TEST_DATA "/models/demo-chat";
  config.device = "cpu";
  config.num_threads = 1;
  config.cpu_kv_cache_bytes = 64ull << 20;
  std::shared_ptr<pagoda::Engine> engine = pagoda::Engine::load(config);
  pagoda::server::ServerOptions o;
  o.port = 0;
  o.api_key = "sk-test-dashboard";
  pagoda::server::ApiServer server(o);
  server.set_engine(engine);
  server.start();
  AppHarness app({}, fastOptions(100, "/nonexistent/libnvidia-ml.so.1"));
  const QString id = app.settings->saveRemoteEndpoint(
      {{}, "Pagoda server", QString::fromStdString(server.url()) + "/v1", "demo-chat"});
  app.keys->storeKey(id, "sk-test-dashboard");
  DashboardPage* page = showDashboard(app);
  app.telemetry->setSource("remote:" + id);
  QCOMPARE(app.telemetry->source(), "remote:" + id);
  QTRY_VERIFY_WITH_TIMEOUT(count(page->kvChart(), 0) >= 2, 10000);
  QVERIFY2(page->engineStatusText().isEmpty(), qPrintable(page->engineStatusText()));
  std::atomic<bool> done{false};
  std::thread client([&] {
    httplib::Client c("127.0.0.1", server.port());
    c.set_bearer_token_auth("sk-test-dashboard");
    c.set_read_timeout(60, 0);
    for (int i = 0; i < 6; ++i)
      c.Post("/v1/chat/completions",
             R"({"messages":[{"role":"user","content":"What is the capital of China?"}],)"
             R"("temperature":0,"stream":true})",
             "application/json");
    done = true;
  });
  QTRY_VERIFY_WITH_TIMEOUT(done, 60000);
  client.join();
  auto max_y = [](QLineSeries* s) {
    double m = 0;
    for (int i = 0; i < s->count(); ++i) m = std::max(m, s->at(i).y());
    return m;
  };
  QTRY_VERIFY_WITH_TIMEOUT(max_y(page->tokensChart()->series(1)) > 0, 5000);
  QTRY_VERIFY_WITH_TIMEOUT(count(page->latencyChart(), 0) > 0, 5000);
  QVERIFY(lastY(page->latencyChart(), 0) > 0);
  // Every generated token reached the charts: the integral of the rate is the counter.
  QTRY_VERIFY_WITH_TIMEOUT(lastY(page->tokensChart(), 1) == 0, 5000);
  double area = 0;
  QLineSeries* gen = page->tokensChart()->series(1);
  for (int i = 1; i < gen->count(); ++i) area += gen->at(i).y() * (gen->at(i).x() - gen->at(i - 1).x()) / 1000;
  const double generated = double(engine->stats().generation_tokens_total);
  QVERIFY2(std::abs(area - generated) < 0.15 * generated,
           qPrintable(QStringLiteral("charted %1 of %2 tokens").arg(area).arg(generated)));
  // A wrong key or a dead server: the page says why.
  app.keys->storeKey(id, "wrong");
  app.telemetry->setSource("local");
  app.telemetry->setSource("remote:" + id);
  QTRY_VERIFY_WITH_TIMEOUT(page->engineStatusText().contains("did not answer"), 5000);
  server.stop();
}

// In a 1024x700 window the Dashboard gets 808x700 (the sidebar takes 216 px). In English and in
// Chinese every chart and figure lies inside it, the charts keep a usable height and no figure is
// cut. (Grabs are left in the temp folder to look at.)
void TestUiDashboard::fitsTheSmallWindow() {
  pagoda::testing::FakeNvml fake;
  setUpGpus(fake);
  AppHarness app({}, fastOptions(50));
  FakeStatsSource stats(app.telemetry.get(), 20);
  for (const char* language : {"en", "zh_CN"}) {
    pagoda::ui::applyLanguage(language);
    DashboardPage page(app.services());
    page.setAttribute(Qt::WA_DontShowOnScreen, false);
    page.resize(1024 - 216, 700);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    QTRY_VERIFY_WITH_TIMEOUT(count(page.tokensChart(), 1) >= 3, 10000);
    QTest::qWait(300);
    page.grab().save(QDir::temp().filePath(QStringLiteral("dashboard-808x700-%1.png").arg(language)));
    QVERIFY2(page.minimumSizeHint().width() <= 808 && page.minimumSizeHint().height() <= 700,
             qPrintable(QStringLiteral("%1x%2").arg(page.minimumSizeHint().width())
                            .arg(page.minimumSizeHint().height())));
    QCOMPARE(page.size(), QSize(808, 700));
    const QRect inside = page.rect();
    for (TimeChart* chart : page.findChildren<TimeChart*>()) {
      const QRect r(chart->mapTo(&page, QPoint(0, 0)), chart->size());
      QVERIFY2(inside.contains(r), language);
      QVERIFY2(chart->height() >= 120, qPrintable(QString::number(chart->height())));
    }
    for (QLabel* value : page.findChildren<QLabel*>("FigureValue")) {
      const QRect r(value->mapTo(&page, QPoint(0, 0)), value->size());
      QVERIFY(inside.contains(r));
      QVERIFY2(value->fontMetrics().horizontalAdvance(value->text()) <= value->width(),
               qPrintable(QStringLiteral("%1: figure '%2' is cut").arg(language, value->text())));
    }
  }
  pagoda::ui::applyLanguage("en");
}

QTEST_MAIN(TestUiDashboard)
#include "test_ui_dashboard.moc"
