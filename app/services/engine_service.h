#pragma once
// The bridge between the GUI and pagoda::Engine. EngineService lives on the GUI thread; a worker
// object on its own thread ("pagoda-engine-worker") loads, runs and destroys the engine, so no
// model work ever happens on the GUI thread. The engine's callbacks (on the engine's own thread)
// only emit queued signals carrying plain values.
#include <QJsonArray>
#include <QObject>
#include <QString>
#include <QThread>
#include <functional>
#include <memory>

#include "app/services/chat_types.h"
#include "app/telemetry/engine_metrics.h"

namespace pagoda {
class Engine;
struct SamplingRequest;  // core/sampling_params.h
}

namespace pagoda::app {

struct LoadedModelInfo {
  QString path;
  QString name;
  QString architecture;
  QString backend;  // "cpu" / "cuda"
  QString device;   // e.g. "x86-64 CPU, 16 threads"
  QString note;     // why this backend was chosen
  int max_model_len = 0;
  qint64 memory_total_bytes = 0;
  SamplingSettings defaults;  // generation_config.json
  bool has_defaults = false;
};

struct EngineStatsSnapshot {
  QString backend;
  QString device;
  int running = 0;
  int waiting = 0;
  double kv_usage = 0;
  double prompt_tokens_per_s = 0;
  double generation_tokens_per_s = 0;
  qint64 requests_finished = 0;
  qint64 memory_total_bytes = 0;
  qint64 memory_used_bytes = 0;
  // The same numbers as cumulative counters (what /metrics exports), with the TTFT and
  // inter-token latency histograms of the requests this service ran (the chat): the dashboard
  // charts local and remote engines from these.
  pagoda::telemetry::EngineCounters counters;
};

class EngineWorker;

class EngineService : public QObject {
  Q_OBJECT
 public:
  explicit EngineService(QObject* parent = nullptr);
  // Aborts what is running and destroys the engine on the worker thread, then joins it.
  ~EngineService() override;

  // Replaces any loaded model (running requests are aborted first).
  void load(const QString& model_dir, const QString& device, int context_length);
  void unload();
  // messages: OpenAI-style [{"role":..., "content":..., "name", "tool_calls", ...}], passed
  // whole to the model's chat template (engine/chat/prompt.h, as the server does). The
  // conversation's settings are a request that sets every field it holds.
  void chat(const QString& request_id, const QJsonArray& messages,
            const SamplingSettings& sampling);
  // The same with a request as the server receives it: unset fields take generation_config.json
  // (SamplingParams::with_defaults).
  void generate(const QString& request_id, const QJsonArray& messages,
                const pagoda::SamplingRequest& request);
  void abort(const QString& request_id);

  bool isLoaded() const { return loaded_; }
  bool isLoading() const { return loading_; }
  const LoadedModelInfo& info() const { return info_; }
  const QString& loadingPath() const { return loading_path_; }
  QThread* workerThread() { return &thread_; }

  // Another owner of the engine (the API server). The observer is called at once with the current
  // engine, then on the worker thread with each new engine and with null before an engine is
  // destroyed; it must drop every reference it holds then, so that a model's memory is freed before
  // the next one loads. Null removes it.
  using EngineObserver = std::function<void(const std::shared_ptr<pagoda::Engine>&)>;
  void setEngineObserver(EngineObserver observer);
  // The loaded engine (null while none); thread-safe.
  std::shared_ptr<pagoda::Engine> engine() const;

 signals:
  void loadStarted(const QString& path);
  void loaded(const pagoda::app::LoadedModelInfo& info);
  void loadFailed(const QString& path, const QString& reason);
  void unloaded();
  void delta(const QString& request_id, const QString& text);
  // The token ids behind each delta, in order (the same ids the server and the CLI report).
  void tokens(const QString& request_id, const QList<int>& ids);
  // With each delta: the request's numbers so far (tokens_per_s since the first token).
  void progress(const QString& request_id, const pagoda::app::GenerationStats& so_far);
  // reason: stop | length | abort | error (then error says why).
  void finished(const QString& request_id, const QString& reason,
                const pagoda::app::GenerationStats& stats, const QString& error);
  void statsUpdated(const pagoda::app::EngineStatsSnapshot& stats);

 private:
  friend class EngineWorker;  // reports through the handlers and signals below, queued
  void onLoaded(const LoadedModelInfo& info);
  void onLoadFailed(const QString& path, const QString& reason);
  void onUnloaded();

  QThread thread_;
  EngineWorker* worker_ = nullptr;
  LoadedModelInfo info_;
  QString loading_path_;
  bool loaded_ = false;
  bool loading_ = false;
};

}  // namespace pagoda::app

Q_DECLARE_METATYPE(pagoda::app::LoadedModelInfo)
Q_DECLARE_METATYPE(pagoda::app::EngineStatsSnapshot)
