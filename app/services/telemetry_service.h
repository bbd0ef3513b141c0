#pragma once
// Live telemetry for the Dashboard. A worker on its own thread ("pagoda-telemetry") samples once
// per interval (1 s): the GPUs through NVML (dlopen; absent or vanished NVML is reported, not
// fatal) and the engine's counters, from the local EngineService's stats or from a remote
// endpoint's /metrics page (vLLM or Pagoda, fetched asynchronously). Each sample becomes a
// TelemetryPoint (telemetry::TelemetryRecorder) that is handed to the GUI thread in a queued
// signal and kept in a ring buffer of 15 minutes, so the history survives a hidden page.
// Threading: TelemetryService lives on the GUI thread; every public method is for that thread.
#include <QMetaType>
#include <QObject>
#include <QString>
#include <QThread>
#include <vector>

#include "app/telemetry/engine_metrics.h"
#include "app/telemetry/nvml.h"
#include "app/telemetry/ring_buffer.h"

namespace pagoda::app {

class AppSettings;
class EngineService;
class KeyStore;
struct EngineStatsSnapshot;
class TelemetryWorker;

struct TelemetryOptions {
  QString nvml_library;    // empty: telemetry::Nvml::default_library()
  int interval_ms = 1000;  // tests sample faster; 0: no sampling (history only via record())
  int history_s = 15 * 60;
};

// One sample as the worker hands it over.
struct TelemetryTick {
  telemetry::TelemetryPoint point;
  std::vector<telemetry::GpuSample> gpus;  // names, temperatures, clocks, processes
  bool nvml_available = false;
  QString nvml_error;    // why there are no GPU numbers
  QString engine_error;  // why there are no engine numbers (no model, endpoint unreachable)
};

class TelemetryService : public QObject {
  Q_OBJECT
 public:
  TelemetryService(AppSettings* settings, EngineService* engine, KeyStore* keys,
                   TelemetryOptions options = {}, QObject* parent = nullptr);
  ~TelemetryService() override;  // stops and joins the worker

  // Where the engine numbers come from: "local" or "remote:<endpoint id>" (saved).
  QString source() const { return source_; }
  void setSource(const QString& source);
  // The charts' time window in minutes: 1, 5 or 15 (saved).
  int windowMinutes() const;
  void setWindowMinutes(int minutes);

  int intervalMs() const { return options_.interval_ms; }
  const telemetry::RingBuffer<telemetry::TelemetryPoint>& history() const { return history_; }
  // The latest sample (GPU details and the reasons when something is missing).
  const TelemetryTick& latest() const { return latest_; }
  qint64 samples() const { return samples_; }

  // The local engine's stats (connected to EngineService::statsUpdated; tests feed a fake
  // source here).
  void feedEngineStats(const EngineStatsSnapshot& stats);
  // Adds a sample to the history (the worker's ticks arrive here; tests and the screenshot tool
  // add history of their own, e.g. 15 minutes at once).
  void record(const TelemetryTick& tick);

 signals:
  // A new point joined history().
  void sampled(const pagoda::telemetry::TelemetryPoint& point);
  void windowChanged(int minutes);
  void sourceChanged(const QString& source);

 private:
  AppSettings* settings_;
  EngineService* engine_;
  KeyStore* keys_;
  TelemetryOptions options_;
  QString source_;
  QThread thread_;
  TelemetryWorker* worker_ = nullptr;
  telemetry::RingBuffer<telemetry::TelemetryPoint> history_;
  TelemetryTick latest_;
  qint64 samples_ = 0;
};

}  // namespace pagoda::app

Q_DECLARE_METATYPE(pagoda::app::TelemetryTick)
Q_DECLARE_METATYPE(pagoda::telemetry::TelemetryPoint)
