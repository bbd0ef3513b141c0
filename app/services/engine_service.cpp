#include "app/services/engine_service.h"
#include "app/services/engine_messages.h"

#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QMutexLocker>
#include <QSet>
#include <QThread>
#include <QTimer>
#include <chrono>
#include <exception>
#include <future>
#include <memory>

#include "app/server/metrics.h"
#include "engine/chat/prompt.h"
#include "engine/core/engine.h"
#include "engine/util/error.h"

namespace pagoda::app {
namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

telemetry::HistogramCounts countsOf(const server::Histogram& h) {
  telemetry::HistogramCounts c;
  c.bounds = h.bounds();
  for (uint64_t n : h.cumulative_counts()) c.cumulative.push_back(static_cast<double>(n));
  c.sum = h.sum();
  c.count = static_cast<double>(h.count());
  return c;
}

// When a request was queued and when its tokens came, for TTFT, inter-token latency and the
// live speed of a reply.
struct RequestClock {
  Clock::time_point submitted;
  Clock::time_point first_token;
  Clock::time_point last_token;
  bool started = false;
};

}  // namespace

// Lives on the worker thread; every slot runs there.
class EngineWorker : public QObject {
  Q_OBJECT
 public:
  explicit EngineWorker(EngineService* service) : service_(service) {}

  std::shared_ptr<Engine> engine;
  std::future<void> engine_destroyed_;  // ready once `engine`'s last holder has destroyed it

 public slots:
  void start() {
    stats_timer_ = new QTimer(this);
    stats_timer_->setInterval(500);  // ~2 Hz is enough for a dashboard
    connect(stats_timer_, &QTimer::timeout, this, &EngineWorker::pollStats);
    stats_timer_->start();
  }

  void load(const QString& path, const QString& device, int context_length) {
    destroyEngine();
    EngineConfig config;
    config.model_dir = path.toStdString();
    config.device = device.toStdString();
    config.max_model_len = context_length;
    // Leave a core to the GUI thread so that streaming stays smooth.
    config.num_threads = std::max(1, QThread::idealThreadCount() - 1);
    try {
      // The deleter tells destroyEngine() when the last holder (maybe an HTTP thread finishing
      // an aborted request) has destroyed the engine and freed its memory.
      auto destroyed = std::make_shared<std::promise<void>>();
      engine_destroyed_ = destroyed->get_future();
      engine = std::shared_ptr<Engine>(Engine::load(config).release(), [destroyed](Engine* e) {
        delete e;
        destroyed->set_value();
      });
    } catch (const std::exception& e) {
      report(&EngineService::onLoadFailed, path, QString::fromStdString(e.what()));
      return;
    }
    notifyObserver(engine);
    LoadedModelInfo info;
    info.path = path;
    info.name = QString::fromStdString(engine->model_name());
    info.architecture = QString::fromStdString(engine->model_config().architecture);
    info.max_model_len = engine->max_model_len();
    info.note = QString::fromStdString(engine->backend_note());
    const EngineStats stats = engine->stats();
    info.backend = QString::fromStdString(stats.backend);
    info.device = QString::fromStdString(stats.device);
    info.memory_total_bytes = static_cast<qint64>(stats.memory_total_bytes);
    const GenerationDefaults& d = engine->generation_defaults();
    info.has_defaults = d.temperature || d.top_p || d.top_k || d.repetition_penalty;
    // What an empty request gets: the same merge as the server (do_sample is ignored).
    const SamplingParams p = SamplingParams::with_defaults(d);
    SamplingSettings s;
    s.temperature = p.temperature;
    s.top_p = p.top_p;
    s.top_k = p.top_k;
    s.repetition_penalty = p.repetition_penalty;
    if (p.max_tokens > 0) s.max_tokens = p.max_tokens;
    info.defaults = s;
    report(&EngineService::onLoaded, info);
  }

  void unload() {
    destroyEngine();
    report(&EngineService::onUnloaded);
  }

  void generate(const QString& request_id, const QJsonArray& messages,
                const SamplingRequest& request) {
    if (!engine) {
      finish(request_id, "error", {}, tr("No model is loaded."));
      return;
    }
    std::vector<int32_t> prompt_ids;
    SamplingParams params = SamplingParams::with_defaults(engine->generation_defaults(), request);
    try {
      ChatTemplateInputs inputs;
      // Whole messages, as JSON: name, tool_calls, tool_call_id reach the template.
      const QByteArray json = QJsonDocument(messages).toJson(QJsonDocument::Compact);
      inputs.messages = normalize_messages(OrderedJson::parse(json.toStdString()));
      inputs.add_generation_prompt = true;
      ChatPrompt prompt = build_chat_prompt(engine->chat_template(), engine->tokenizer(), inputs);
      params.add_stops(prompt.stop, prompt.stop_token_ids);
      prompt_ids = std::move(prompt.ids);
    } catch (const std::exception& e) {
      finish(request_id, "error", {},
             tr("Could not build the prompt: %1").arg(QString::fromStdString(e.what())));
      return;
    }
    if (auto e = params.check()) {
      finish(request_id, "error", {}, QString::fromStdString(e->message));
      return;
    }
    {
      QMutexLocker lock(&mutex_);
      active_.insert(request_id);
      clocks_.insert(request_id, RequestClock{Clock::now(), {}, {}, false});
    }
    try {
      // Runs on the engine thread: copy plain values into queued signals only.
      engine->add_request(request_id.toStdString(), std::move(prompt_ids), params,
                          [this](const RequestOutput& out) { onOutput(out); });
    } catch (const std::exception& e) {
      {
        QMutexLocker lock(&mutex_);
        active_.remove(request_id);
        clocks_.remove(request_id);
      }
      finish(request_id, "error", {}, QString::fromStdString(e.what()));
    }
  }

  void abort(const QString& request_id) {
    if (engine) engine->abort(request_id.toStdString());
  }

  void shutdown() {
    destroyEngine();
    delete stats_timer_;
    stats_timer_ = nullptr;
  }

 private:
  // Emits one of the service's signals (or runs one of its handlers) on the service's own thread:
  // queued, so every report arrives in order on the GUI thread, as the service promises.
  template <typename... Params, typename... Values>
  void report(void (EngineService::*member)(Params...), Values&&... values) {
    QMetaObject::invokeMethod(
        service_,
        [s = service_, member, ... v = std::decay_t<Values>(std::forward<Values>(values))] {
          (s->*member)(v...);
        },
        Qt::QueuedConnection);
  }
  void finish(const QString& id, const QString& reason, const GenerationStats& stats = {},
              const QString& error = {}) {
    report(&EngineService::finished, id, reason, stats, error);
  }

  // Times the request's tokens (on the engine thread); true with `live` filled when new tokens
  // came.
  bool timeTokens(const QString& id, const RequestOutput& out, GenerationStats& live) {
    const Clock::time_point now = Clock::now();
    QMutexLocker lock(&mutex_);
    auto it = clocks_.find(id);
    if (it == clocks_.end()) return false;
    const bool tokens = !out.token_ids.empty();
    if (tokens && !it->started) {
      ttft_.observe(seconds(now - it->submitted));
      it->first_token = now;
      it->started = true;
    } else if (tokens) {
      itl_.observe(seconds(now - it->last_token) / static_cast<double>(out.token_ids.size()));
    }
    if (tokens) it->last_token = now;
    live.prompt_tokens = out.prompt_tokens;
    live.cached_tokens = out.cached_prompt_tokens;
    live.completion_tokens = out.completion_tokens;
    if (it->started) {
      live.ttft_s = seconds(it->first_token - it->submitted);
      const double since_first = seconds(now - it->first_token);
      live.tokens_per_s = since_first > 0 ? (out.completion_tokens - 1) / since_first : 0;
    }
    if (out.finish != FinishReason::None) clocks_.erase(it);
    return tokens;
  }

  void onOutput(const RequestOutput& out) {
    const QString id = QString::fromStdString(out.request_id);
    if (!out.token_ids.empty())
      report(&EngineService::tokens, id, QList<int>(out.token_ids.begin(), out.token_ids.end()));
    GenerationStats live;
    if (timeTokens(id, out, live)) report(&EngineService::progress, id, live);
    if (!out.text_delta.empty())
      report(&EngineService::delta, id, QString::fromStdString(out.text_delta));
    if (out.finish == FinishReason::None) return;
    {
      QMutexLocker lock(&mutex_);
      if (!active_.remove(id)) return;
    }
    GenerationStats stats;
    stats.prompt_tokens = out.prompt_tokens;
    stats.cached_tokens = out.cached_prompt_tokens;
    stats.completion_tokens = out.completion_tokens;
    stats.ttft_s = out.timing.ttft_s;
    const double decode =
        out.timing.decode_s > 0 ? out.timing.decode_s : out.timing.e2e_s - out.timing.ttft_s;
    stats.tokens_per_s = decode > 0 ? out.completion_tokens / decode : 0;
    finish(id, QString::fromLatin1(finish_reason_name(out.finish)), stats,
           QString::fromStdString(out.error));
  }

  void pollStats() {
    if (!engine) return;
    const EngineStats s = engine->stats();
    EngineStatsSnapshot snap;
    snap.backend = QString::fromStdString(s.backend);
    snap.device = QString::fromStdString(s.device);
    snap.running = s.num_running;
    snap.waiting = s.num_waiting;
    snap.kv_usage = s.kv_usage;
    snap.prompt_tokens_per_s = s.prompt_tokens_per_s;
    snap.generation_tokens_per_s = s.generation_tokens_per_s;
    snap.requests_finished = s.requests_finished;
    snap.memory_total_bytes = static_cast<qint64>(s.memory_total_bytes);
    snap.memory_used_bytes = static_cast<qint64>(s.memory_used_bytes);
    telemetry::EngineCounters& c = snap.counters;
    c.time_s = seconds(Clock::now().time_since_epoch());
    c.running = s.num_running;
    c.waiting = s.num_waiting;
    c.kv_usage = s.kv_usage;
    c.kv_blocks_used = static_cast<double>(s.kv_blocks_used);
    c.kv_blocks_total = static_cast<double>(s.kv_blocks_total);
    c.prefix_cache_queries = static_cast<double>(s.prefix_cache_queries);
    c.prefix_cache_hits = static_cast<double>(s.prefix_cache_hits);
    c.preemptions = static_cast<double>(s.num_preemptions);
    c.prompt_tokens = static_cast<double>(s.prompt_tokens_total);
    c.generation_tokens = static_cast<double>(s.generation_tokens_total);
    {
      QMutexLocker lock(&mutex_);
      c.ttft = countsOf(ttft_);
      c.itl = countsOf(itl_);
    }
    report(&EngineService::statsUpdated, snap);
  }

  // Aborts everything, destroys the engine (joining its thread), then reports every request
  // whose abort output did not arrive in time.
  void destroyEngine() {
    if (!engine) return;
    notifyObserver(nullptr);  // the server lets go and aborts its requests
    QSet<QString> pending;
    {
      QMutexLocker lock(&mutex_);
      pending = active_;
    }
    for (const QString& id : pending) engine->abort(id.toStdString());
    std::future<void> destroyed = std::move(engine_destroyed_);
    engine.reset();
    // Waits for the destruction itself (the next model needs its memory), not for a count; an
    // HTTP thread still unwinding an aborted request may be the one that destroys it.
    if (destroyed.valid() &&
        destroyed.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
      qWarning("the previous engine is still held after 5 s; loading the next one anyway");
    QMutexLocker lock(&mutex_);
    for (const QString& id : std::as_const(active_)) finish(id, "abort");
    active_.clear();
    clocks_.clear();
    // A new engine's counters start at zero; so do its latencies.
    ttft_ = server::Histogram(telemetry::latency_bucket_bounds());
    itl_ = server::Histogram(telemetry::latency_bucket_bounds());
  }

  // Held while the observer runs, so that once setObserver() returns the old one is never called.
  void notifyObserver(const std::shared_ptr<Engine>& current) {
    QMutexLocker lock(&shared_mutex_);
    shared_engine_ = current;
    if (observer_) observer_(current);
  }

 public:
  std::shared_ptr<Engine> sharedEngine() {
    QMutexLocker lock(&shared_mutex_);
    return shared_engine_;
  }
  void setObserver(EngineService::EngineObserver observer) {
    QMutexLocker lock(&shared_mutex_);
    observer_ = std::move(observer);
    if (observer_) observer_(shared_engine_);
  }

 private:
  EngineService* service_;  // lives on the GUI thread; outlives the worker's last slot
  QTimer* stats_timer_ = nullptr;
  QMutex mutex_;  // guards active_, clocks_ and the histograms (engine and worker threads)
  QSet<QString> active_;
  QHash<QString, RequestClock> clocks_;
  server::Histogram ttft_{telemetry::latency_bucket_bounds()};
  server::Histogram itl_{telemetry::latency_bucket_bounds()};
  QMutex shared_mutex_;
  std::shared_ptr<Engine> shared_engine_;
  EngineService::EngineObserver observer_;
};

EngineService::EngineService(QObject* parent) : QObject(parent) {
  qRegisterMetaType<LoadedModelInfo>();
  qRegisterMetaType<EngineStatsSnapshot>();
  qRegisterMetaType<GenerationStats>();
  qRegisterMetaType<SamplingSettings>();
  thread_.setObjectName(QStringLiteral("pagoda-engine-worker"));
  // The worker reports through report(): the service's signals are emitted on this thread.
  worker_ = new EngineWorker(this);
  worker_->moveToThread(&thread_);
  thread_.start();
  QMetaObject::invokeMethod(worker_, &EngineWorker::start, Qt::QueuedConnection);
}

EngineService::~EngineService() {
  // Blocking: quit() alone may leave the queued shutdown unprocessed, and the engine must be
  // destroyed on the worker thread before the worker goes.
  QMetaObject::invokeMethod(worker_, &EngineWorker::shutdown, Qt::BlockingQueuedConnection);
  thread_.quit();
  thread_.wait();
  delete worker_;
}

void EngineService::onLoaded(const LoadedModelInfo& info) {
  loading_ = false;
  loaded_ = true;
  info_ = info;
  emit loaded(info);
}

void EngineService::onLoadFailed(const QString& path, const QString& reason) {
  loading_ = false;
  loaded_ = false;
  info_ = {};
  emit loadFailed(path, engineMessageText(reason));
}

void EngineService::onUnloaded() {
  loaded_ = false;
  info_ = {};
  emit unloaded();
}

void EngineService::load(const QString& model_dir, const QString& device, int context_length) {
  loading_ = true;
  loaded_ = false;
  loading_path_ = model_dir;
  emit loadStarted(model_dir);
  QMetaObject::invokeMethod(
      worker_,
      [w = worker_, model_dir, device, context_length] {
        w->load(model_dir, device, context_length);
      },
      Qt::QueuedConnection);
}

void EngineService::setEngineObserver(EngineObserver observer) {
  worker_->setObserver(std::move(observer));
}

std::shared_ptr<Engine> EngineService::engine() const {
  return worker_->sharedEngine();
}

void EngineService::unload() {
  QMetaObject::invokeMethod(worker_, &EngineWorker::unload, Qt::QueuedConnection);
}

void EngineService::chat(const QString& request_id, const QJsonArray& messages,
                         const SamplingSettings& sampling) {
  // A conversation's settings name every field: the request sets them all.
  SamplingRequest request;
  request.temperature = static_cast<float>(sampling.temperature);
  request.top_p = static_cast<float>(sampling.top_p);
  request.top_k = sampling.top_k;
  request.repetition_penalty = static_cast<float>(sampling.repetition_penalty);
  if (sampling.max_tokens > 0) request.max_tokens = sampling.max_tokens;
  if (sampling.seed >= 0) request.seed = static_cast<uint64_t>(sampling.seed);
  generate(request_id, messages, request);
}

void EngineService::generate(const QString& request_id, const QJsonArray& messages,
                             const SamplingRequest& request) {
  QMetaObject::invokeMethod(
      worker_,
      [w = worker_, request_id, messages, request] { w->generate(request_id, messages, request); },
      Qt::QueuedConnection);
}

void EngineService::abort(const QString& request_id) {
  QMetaObject::invokeMethod(
      worker_, [w = worker_, request_id] { w->abort(request_id); }, Qt::QueuedConnection);
}

}  // namespace pagoda::app

#include "engine_service.moc"
