#pragma once
// Dashboard: live figures (GPU util, VRAM, KV cache, tokens/s, running/waiting, latency) and
// time-series charts over a selectable window (1 / 5 / 15 min), fed by TelemetryService. Charts
// only append points as samples arrive; while the page is hidden nothing is drawn and the
// service's history fills the gap when it is shown again. GUI thread only.
#include <QElapsedTimer>
#include <QHash>
#include <QTimer>
#include <QWidget>

#include "app/telemetry/engine_metrics.h"
#include "ui/services.h"

class QButtonGroup;
class QComboBox;
class QLabel;

namespace pagoda::ui {

class ElidedLabel;

class TimeChart;

class DashboardPage : public QWidget {
  Q_OBJECT
 public:
  explicit DashboardPage(const Services& services, QWidget* parent = nullptr);

  // For tests and screenshots.
  TimeChart* gpuChart() const { return gpu_chart_; }
  TimeChart* kvChart() const { return kv_chart_; }
  TimeChart* tokensChart() const { return tokens_chart_; }
  TimeChart* requestsChart() const { return requests_chart_; }
  TimeChart* latencyChart() const { return latency_chart_; }
  QString figureText(const QString& name) const;  // "gpu", "vram", "kv", "tokens", "requests"
  QString gpuStatusText() const;
  QString engineStatusText() const;
  QString gpuDetailsText() const;
  qint64 lastDrawnMs() const { return last_ms_; }

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  struct Figure {
    QLabel* value = nullptr;
    ElidedLabel* detail = nullptr;
  };
  QWidget* makeFigure(const QString& name, const QString& title);
  QWidget* makeChartCard(const QString& title, QWidget* body);
  void reloadSources();
  void onSampled();
  void redraw();
  void catchUp();    // appends the history points not drawn yet
  void rebuild();    // refills every series from the history (window or source changed)
  void ensureGpuSeries(int gpus);
  void updateFigures();
  void updateGpuDetails();

  Services services_;
  QComboBox* source_ = nullptr;
  QButtonGroup* window_buttons_ = nullptr;
  QLabel* gpu_status_ = nullptr;
  QLabel* engine_status_ = nullptr;
  QHash<QString, Figure> figures_;
  TimeChart* gpu_chart_ = nullptr;
  TimeChart* kv_chart_ = nullptr;
  TimeChart* tokens_chart_ = nullptr;
  TimeChart* requests_chart_ = nullptr;
  TimeChart* latency_chart_ = nullptr;
  QLabel* gpu_details_ = nullptr;
  int gpu_series_for_ = 0;  // GPUs that have series in gpu_chart_
  qint64 last_ms_ = 0;      // newest point drawn
  QTimer redraw_;
  QElapsedTimer drawn_;
  static constexpr int kMinRedrawMs = 250;
};

}  // namespace pagoda::ui
