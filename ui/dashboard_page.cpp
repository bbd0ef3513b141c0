#include "ui/dashboard_page.h"

#include <QButtonGroup>
#include <QComboBox>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QPushButton>
#include <QVBoxLayout>
#include <cmath>
#include <functional>

#include "app/services/app_settings.h"
#include "app/services/telemetry_service.h"
#include "ui/time_chart.h"
#include "ui/ui_util.h"

namespace pagoda::ui {
namespace {

const QColor kIndigo("#4f46e5"), kTeal("#0d9488"), kAmber("#d97706"), kRose("#e11d48"),
    kViolet("#7c3aed"), kSlate("#64748b");
const QColor kGpuColors[] = {kIndigo, kTeal, kAmber, kRose, kViolet, kSlate};
const QString kDash = QStringLiteral("—");

QString formatRate(double v) {
  return QString::number(v, 'f', v < 100 ? 1 : 0);
}

// Where one point's values go: (chart, series index, time, value).
using Sink = std::function<void(TimeChart*, int, qint64, double)>;

}  // namespace

DashboardPage::DashboardPage(const Services& services, QWidget* parent)
    : QWidget(parent), services_(services) {
  auto* root = new QVBoxLayout(this);
  root->setContentsMargins(24, 16, 24, 14);
  root->setSpacing(8);

  auto* header = new QHBoxLayout;
  auto* titles = new QVBoxLayout;
  titles->setSpacing(0);
  auto* title = new QLabel(tr("Dashboard"));
  title->setObjectName("PageTitle");
  auto* subtitle = new QLabel(tr("Live GPU, KV-cache and throughput of the engine"));
  subtitle->setObjectName("PageSubtitle");
  titles->addWidget(title);
  titles->addWidget(subtitle);
  header->addLayout(titles, 1);
  source_ = new QComboBox;
  source_->setObjectName("DashboardSource");
  source_->setMinimumWidth(170);
  header->addWidget(source_);
  header->addSpacing(8);
  window_buttons_ = new QButtonGroup(this);
  window_buttons_->setExclusive(true);
  for (int minutes : {1, 5, 15}) {
    auto* b = new QPushButton(tr("%1 min").arg(minutes));
    b->setCheckable(true);
    b->setObjectName("WindowButton");
    b->setProperty("minutes", minutes);
    b->setChecked(minutes == services_.telemetry->windowMinutes());
    window_buttons_->addButton(b, minutes);
    header->addWidget(b);
  }
  root->addLayout(header);

  gpu_status_ = new QLabel;
  gpu_status_->setObjectName("Muted");
  gpu_status_->setWordWrap(true);
  gpu_status_->hide();
  engine_status_ = new QLabel;
  engine_status_->setObjectName("Muted");
  engine_status_->setWordWrap(true);
  engine_status_->hide();
  root->addWidget(gpu_status_);
  root->addWidget(engine_status_);

  auto* figures = new QHBoxLayout;
  figures->setSpacing(8);
  figures->addWidget(makeFigure("gpu", tr("GPU utilization")));
  figures->addWidget(makeFigure("vram", tr("GPU memory")));
  figures->addWidget(makeFigure("kv", tr("KV cache")));
  figures->addWidget(makeFigure("tokens", tr("Generation")));
  figures->addWidget(makeFigure("requests", tr("Running / waiting")));
  root->addLayout(figures);

  gpu_chart_ = new TimeChart(100);
  kv_chart_ = new TimeChart(100);
  kv_chart_->addSeries(tr("Used"), kIndigo);
  kv_chart_->addSeries(tr("Prefix hits"), kTeal, true);
  tokens_chart_ = new TimeChart;
  tokens_chart_->addSeries(tr("Prompt"), kAmber);
  tokens_chart_->addSeries(tr("Generated"), kIndigo);
  requests_chart_ = new TimeChart;
  requests_chart_->addSeries(tr("Running"), kIndigo);
  requests_chart_->addSeries(tr("Waiting"), kRose);
  latency_chart_ = new TimeChart;
  // p50 solid, p90 dashed in the same colour; the legend names each pair once.
  latency_chart_->addSeries(tr("Time to first token"), kViolet);
  latency_chart_->addSeries(QStringLiteral("p90"), kViolet, true, false);
  latency_chart_->addSeries(tr("Inter-token"), kTeal);
  latency_chart_->addSeries(QStringLiteral("p90"), kTeal, true, false);
  gpu_details_ = new QLabel;
  gpu_details_->setObjectName("GpuDetails");
  gpu_details_->setTextFormat(Qt::RichText);
  gpu_details_->setWordWrap(true);
  gpu_details_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  gpu_details_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);

  auto* grid = new QGridLayout;
  grid->setSpacing(8);
  grid->addWidget(makeChartCard(tr("GPU utilization and memory (%)"), gpu_chart_), 0, 0);
  grid->addWidget(makeChartCard(tr("KV cache (%)"), kv_chart_), 0, 1);
  grid->addWidget(makeChartCard(tr("Tokens per second"), tokens_chart_), 0, 2);
  grid->addWidget(makeChartCard(tr("Requests"), requests_chart_), 1, 0);
  grid->addWidget(makeChartCard(tr("Latency, ms (p50; p90 dashed)"), latency_chart_), 1, 1);
  grid->addWidget(makeChartCard(tr("GPUs and memory by process"), gpu_details_), 1, 2);
  for (int c = 0; c < 3; ++c) grid->setColumnStretch(c, 1);
  for (int r = 0; r < 2; ++r) grid->setRowStretch(r, 1);
  root->addLayout(grid, 1);

  connect(window_buttons_, &QButtonGroup::idClicked, services_.telemetry,
          &app::TelemetryService::setWindowMinutes);
  connect(services_.telemetry, &app::TelemetryService::windowChanged, this, [this](int minutes) {
    if (QAbstractButton* b = window_buttons_->button(minutes)) b->setChecked(true);
    rebuild();
  });
  connect(source_, &QComboBox::activated, this, [this] {
    services_.telemetry->setSource(source_->currentData().toString());
  });
  connect(services_.telemetry, &app::TelemetryService::sourceChanged, this, [this] {
    reloadSources();
    rebuild();
  });
  connect(services_.settings, &app::AppSettings::remoteEndpointsChanged, this,
          &DashboardPage::reloadSources);
  connect(services_.telemetry, &app::TelemetryService::sampled, this, &DashboardPage::onSampled);
  redraw_.setSingleShot(true);
  connect(&redraw_, &QTimer::timeout, this, &DashboardPage::redraw);
  reloadSources();
  rebuild();
  updateFigures();
  updateGpuDetails();
}

QWidget* DashboardPage::makeFigure(const QString& name, const QString& title) {
  auto* card = new QFrame;
  card->setObjectName("Card");
  card->setProperty("figure", name);
  auto* layout = new QVBoxLayout(card);
  layout->setContentsMargins(12, 8, 12, 8);
  layout->setSpacing(1);
  // Long texts (a GPU's name) are elided with "…" and shown whole in the tooltip.
  auto* caption = new ElidedLabel(title, Qt::ElideRight);
  caption->setObjectName("FigureTitle");
  Figure f;
  f.value = new QLabel(kDash);
  f.value->setObjectName("FigureValue");
  f.detail = new ElidedLabel({}, Qt::ElideRight);
  f.detail->setObjectName("FigureDetail");
  for (QLabel* l : {static_cast<QLabel*>(caption), f.value, static_cast<QLabel*>(f.detail)}) {
    l->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);  // long text is cut, not widening
    layout->addWidget(l);
  }
  figures_.insert(name, f);
  return card;
}

QWidget* DashboardPage::makeChartCard(const QString& title, QWidget* body) {
  auto* card = new QFrame;
  card->setObjectName("Card");
  auto* layout = new QVBoxLayout(card);
  layout->setContentsMargins(10, 8, 10, 6);
  layout->setSpacing(2);
  auto* caption = new QLabel(title);
  caption->setObjectName("ChartTitle");
  caption->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  layout->addWidget(caption);
  layout->addWidget(body, 1);
  return card;
}

void DashboardPage::reloadSources() {
  const QSignalBlocker block(source_);
  source_->clear();
  source_->addItem(icon("models"), tr("Local engine"), "local");
  for (const app::RemoteEndpoint& e : services_.settings->remoteEndpoints())
    source_->addItem(icon("server"), tr("Remote: %1").arg(e.name), "remote:" + e.id);
  source_->setCurrentIndex(std::max(0, source_->findData(services_.telemetry->source())));
}

QString DashboardPage::figureText(const QString& name) const {
  const Figure f = figures_.value(name);
  return f.value ? f.value->text() + QStringLiteral(" | ") + f.detail->fullText() : QString();
}

QString DashboardPage::gpuStatusText() const {
  return gpu_status_->isHidden() ? QString() : gpu_status_->text();
}

QString DashboardPage::engineStatusText() const {
  return engine_status_->isHidden() ? QString() : engine_status_->text();
}

QString DashboardPage::gpuDetailsText() const {
  return gpu_details_->text();
}

void DashboardPage::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  catchUp();
  updateFigures();
  updateGpuDetails();
}

void DashboardPage::onSampled() {
  if (!isVisible()) return;  // drawn from the history when shown again
  // However fast samples come, the charts redraw at most every kMinRedrawMs (one sample a
  // second, the normal rate, is drawn at once).
  if (redraw_.isActive()) return;
  const qint64 since = drawn_.isValid() ? drawn_.elapsed() : kMinRedrawMs;
  redraw_.start(int(std::max<qint64>(0, kMinRedrawMs - since)));
}

void DashboardPage::redraw() {
  drawn_.start();
  catchUp();
  updateFigures();
  updateGpuDetails();
}

void DashboardPage::ensureGpuSeries(int gpus) {
  for (int i = gpu_series_for_; i < gpus; ++i) {
    const QColor color = kGpuColors[i % std::size(kGpuColors)];
    const bool one = gpus == 1;
    gpu_chart_->addSeries(one ? tr("Utilization") : tr("GPU %1 util").arg(i), color);
    gpu_chart_->addSeries(one ? tr("Memory") : tr("GPU %1 memory").arg(i), color, true);
  }
  gpu_series_for_ = std::max(gpu_series_for_, gpus);
}

namespace {

void forEachValue(const telemetry::TelemetryPoint& p, DashboardPage* page, const Sink& sink) {
  const qint64 t = p.time_ms;
  for (size_t i = 0; i < p.gpus.size(); ++i) {
    const telemetry::GpuFigures& g = p.gpus[i];
    sink(page->gpuChart(), int(2 * i), t, g.utilization_percent);
    if (g.memory_total_bytes > 0)
      sink(page->gpuChart(), int(2 * i + 1), t, 100 * g.memory_used_bytes / g.memory_total_bytes);
  }
  const telemetry::EngineFigures& e = p.engine;
  if (!e.present) return;
  sink(page->kvChart(), 0, t, e.kv_usage_percent);
  sink(page->kvChart(), 1, t, e.prefix_hit_rate_percent);
  sink(page->tokensChart(), 0, t, e.prompt_tokens_per_s);
  sink(page->tokensChart(), 1, t, e.generation_tokens_per_s);
  sink(page->requestsChart(), 0, t, e.running);
  sink(page->requestsChart(), 1, t, e.waiting);
  sink(page->latencyChart(), 0, t, 1000 * e.ttft_p50_s);
  sink(page->latencyChart(), 1, t, 1000 * e.ttft_p90_s);
  sink(page->latencyChart(), 2, t, 1000 * e.itl_p50_s);
  sink(page->latencyChart(), 3, t, 1000 * e.itl_p90_s);
}

}  // namespace

void DashboardPage::catchUp() {
  const auto& history = services_.telemetry->history();
  if (history.empty()) return;
  const qint64 window_ms = qint64(services_.telemetry->windowMinutes()) * 60 * 1000;
  if (last_ms_ < history.back().time_ms - window_ms) {  // hidden for longer than the window
    rebuild();
    return;
  }
  size_t first = history.size();
  while (first > 0 && history[first - 1].time_ms > last_ms_) --first;
  // Each line gets its new points in one go (one geometry update per line, however many).
  QHash<QPair<TimeChart*, int>, QList<QPointF>> points;
  for (size_t i = first; i < history.size(); ++i) {
    const telemetry::TelemetryPoint& p = history[i];
    ensureGpuSeries(int(p.gpus.size()));
    forEachValue(p, this, [&points](TimeChart* chart, int s, qint64 t, double v) {
      if (std::isfinite(v)) points[{chart, s}].append(QPointF(t, v));
    });
    last_ms_ = p.time_ms;
  }
  for (auto it = points.cbegin(); it != points.cend(); ++it)
    it.key().first->appendMany(it.key().second, it.value());
  const int minutes = services_.telemetry->windowMinutes();
  for (TimeChart* c : {gpu_chart_, kv_chart_, tokens_chart_, requests_chart_, latency_chart_})
    c->setWindow(last_ms_, minutes);
}

void DashboardPage::rebuild() {
  const auto& history = services_.telemetry->history();
  const int minutes = services_.telemetry->windowMinutes();
  QHash<QPair<TimeChart*, int>, QList<QPointF>> points;
  QHash<QPair<TimeChart*, int>, int> merged;
  for (TimeChart* c : {gpu_chart_, kv_chart_, tokens_chart_, requests_chart_, latency_chart_})
    for (int s = 0; s < c->seriesCount(); ++s) points[{c, s}];
  last_ms_ = 0;
  if (!history.empty()) {
    const qint64 start = history.back().time_ms - qint64(minutes) * 60 * 1000;
    for (size_t i = 0; i < history.size(); ++i) {
      const telemetry::TelemetryPoint& p = history[i];
      if (p.time_ms < start) continue;
      ensureGpuSeries(int(p.gpus.size()));
      forEachValue(p, this, [&](TimeChart* chart, int s, qint64 t, double v) {
        if (std::isfinite(v))
          TimeChart::addThinned(points[{chart, s}], merged[{chart, s}], QPointF(t, v), minutes);
      });
      last_ms_ = p.time_ms;
    }
  }
  for (auto it = points.cbegin(); it != points.cend(); ++it)
    it.key().first->setPoints(it.key().second, it.value(), merged.value(it.key(), 1));
  for (TimeChart* c : {gpu_chart_, kv_chart_, tokens_chart_, requests_chart_, latency_chart_})
    c->setWindow(last_ms_ ? last_ms_ : QDateTime::currentMSecsSinceEpoch(), minutes);
}

void DashboardPage::updateFigures() {
  const app::TelemetryTick& tick = services_.telemetry->latest();
  auto set = [this](const QString& name, const QString& value, const QString& detail) {
    const Figure f = figures_.value(name);
    if (f.value->text() != value) f.value->setText(value);
    if (f.detail->fullText() != detail) f.detail->setFullText(detail);
  };
  auto status = [](QLabel* label, const QString& text) {
    if (label->text() != text) label->setText(text);
    label->setVisible(!text.isEmpty());
  };
  status(gpu_status_, tick.nvml_error);
  status(engine_status_, tick.engine_error);

  const telemetry::TelemetryPoint& p = tick.point;
  if (p.gpus.empty()) {
    set("gpu", kDash, tr("no GPU telemetry"));
    set("vram", kDash, tr("no GPU telemetry"));
  } else {
    double util = 0, used = 0, total = 0;
    int with_util = 0;
    for (const telemetry::GpuFigures& g : p.gpus) {
      if (std::isfinite(g.utilization_percent)) util += g.utilization_percent, ++with_util;
      used += g.memory_used_bytes;
      total += g.memory_total_bytes;
    }
    const QString name = tick.gpus.empty() ? QString() : QString::fromStdString(tick.gpus[0].name);
    set("gpu", with_util ? tr("%1 %").arg(util / with_util, 0, 'f', 0) : kDash,
        p.gpus.size() == 1 ? name : tr("average of %n GPUs", nullptr, int(p.gpus.size())));
    set("vram", formatBytes(qint64(used)),
        total > 0 ? tr("of %1 (%2 %)").arg(formatBytes(qint64(total))).arg(100 * used / total, 0, 'f', 0)
                  : QString());
  }
  const telemetry::EngineFigures& e = p.engine;
  if (!e.present) {
    for (const char* name : {"kv", "tokens", "requests"})
      set(QString::fromLatin1(name), kDash, tr("no engine"));
    return;
  }
  // Blocks when the source says them (the local engine, vLLM); else the prefix-cache hit rate.
  QString kv_detail;
  if (std::isfinite(e.kv_blocks_total))
    kv_detail = tr("%1 / %2 blocks").arg(e.kv_blocks_used).arg(e.kv_blocks_total);
  else if (std::isfinite(e.prefix_hit_rate_percent))
    kv_detail = tr("hits %1 %").arg(e.prefix_hit_rate_percent, 0, 'f', 0);
  set("kv", tr("%1 %").arg(e.kv_usage_percent, 0, 'f', 1), kv_detail);
  set("tokens", tr("%1 tok/s").arg(formatRate(e.generation_tokens_per_s)),
      tr("prompt %1 tok/s").arg(formatRate(e.prompt_tokens_per_s)));
  set("requests", QStringLiteral("%1 / %2").arg(e.running).arg(e.waiting),
      tr("%n preempted", nullptr, int(e.preemptions)));
}

void DashboardPage::updateGpuDetails() {
  const app::TelemetryTick& tick = services_.telemetry->latest();
  QString html;
  if (tick.gpus.empty()) {
    html = tick.nvml_error.isEmpty() ? tr("Waiting for the first sample…")
                                     : tr("No GPU numbers: see above.");
  }
  for (const telemetry::GpuSample& g : tick.gpus) {
    QStringList facts;
    if (g.temperature_c) facts << tr("%1 °C").arg(*g.temperature_c, 0, 'f', 0);
    if (g.power_w)
      facts << (g.power_limit_w ? tr("%1 / %2 W").arg(*g.power_w, 0, 'f', 0).arg(*g.power_limit_w, 0, 'f', 0)
                                : tr("%1 W").arg(*g.power_w, 0, 'f', 0));
    if (g.sm_clock_mhz) facts << tr("SM %1 MHz").arg(*g.sm_clock_mhz);
    if (g.memory_clock_mhz) facts << tr("memory %1 MHz").arg(*g.memory_clock_mhz);
    html += QStringLiteral("<b>%1</b><br><span style='color:#64748b'>%2</span>")
                .arg(tr("GPU %1 · %2").arg(g.index).arg(QString::fromStdString(g.name).toHtmlEscaped()),
                     facts.join(QStringLiteral(" · ")));
    html += QStringLiteral("<table width='100%' cellspacing='0' cellpadding='1'>");
    const int shown = std::min<int>(int(g.processes.size()), 4);
    for (int i = 0; i < shown; ++i) {
      const telemetry::GpuProcess& proc = g.processes[i];
      QString name = QFileInfo(QString::fromStdString(proc.name)).fileName();
      if (name.isEmpty()) name = tr("process %1").arg(proc.pid);
      if (proc.is_self) name = tr("%1 (this app)").arg(name);
      html += QStringLiteral("<tr><td>%1</td><td style='color:#64748b'>%2</td><td align='right'>%3</td></tr>")
                  .arg(name.toHtmlEscaped())
                  .arg(proc.pid)
                  .arg(proc.used_bytes ? formatBytes(qint64(*proc.used_bytes)) : tr("unknown"));
    }
    html += QStringLiteral("</table>");
    if (g.processes.empty())
      html += QStringLiteral("<span style='color:#64748b'>%1</span><br>").arg(tr("No processes use this GPU."));
    else if (int(g.processes.size()) > shown)
      html += QStringLiteral("<span style='color:#64748b'>%1</span><br>")
                  .arg(tr("and %n more", nullptr, int(g.processes.size()) - shown));
  }
  if (gpu_details_->text() != html) gpu_details_->setText(html);
}

}  // namespace pagoda::ui
