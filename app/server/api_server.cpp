#include "server/api_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "core/engine.h"
#include "server/serving.h"
#include "util/error.h"

namespace pagoda::server {

namespace {

using Clock = std::chrono::steady_clock;

struct Route {
  std::string method;
  RouteHandler handler;
  bool needs_auth = true;
  bool generation = false;  // counts against max_concurrent
};

// Constant-time comparison: the time taken does not depend on where the strings differ.
bool secure_equals(const std::string& a, const std::string& b) {
  size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

const char* status_type(int status) {
  switch (status) {
    case 401:
      return "authentication_error";
    case 404:
      return "not_found_error";
    case 429:
      return "rate_limit_error";
    case 503:
      return "service_unavailable";
    default:
      return status >= 500 ? "internal_server_error" : "invalid_request_error";
  }
}

std::string status_message(int status) {
  switch (status) {
    case 400:
      return "bad request: the request could not be read";
    case 404:
      return "not found";
    case 405:
      return "method not allowed";
    case 408:
      return "request timeout";
    case 413:
      return "request body too large";
    case 414:
      return "request URI too long";
    case 431:
      return "request header fields too large";
    default:
      return "HTTP error " + std::to_string(status);
  }
}

// Debian's libcpp-httplib listens with a backlog of 5, compiled in: a burst of clients then
// overflows the accept queue and some connections fail. Linux lets listen() be called again on
// the bound socket to raise it.
class HttpServer : public httplib::Server {
 public:
  void raise_backlog() { ::listen(svr_sock_, SOMAXCONN); }
};

struct RequestClock {
  Clock::time_point start;
};
RequestClock& thread_clock() {
  static thread_local RequestClock c;
  return c;
}

}  // namespace

struct ApiServer::Impl {
  ServerOptions options;
  HttpServer http;
  std::thread thread;
  std::atomic<bool> running{false};
  std::atomic<bool> stopping{false};
  int bound_port = 0;
  mutable std::mutex engine_mu;
  std::shared_ptr<Engine> engine;
  ServerMetrics metrics;
  JobRegistry jobs;
  std::atomic<int> active{0};
  std::mutex log_mu;
  RequestLogCallback log_callback;
  std::map<std::string, std::vector<Route>> routes;  // path -> methods

  ServingContext context() {
    ServingContext ctx;
    {
      std::lock_guard lock(engine_mu);
      ctx.engine = engine;
    }
    if (ctx.engine)
      ctx.model_name =
          options.served_model_name.empty() ? ctx.engine->model_name() : options.served_model_name;
    else
      ctx.model_name = options.served_model_name;
    ctx.metrics = &metrics;
    ctx.jobs = &jobs;
    ctx.stopping = &stopping;
    return ctx;
  }

  void add_cors_headers(const httplib::Request& req, httplib::Response& res) {
    if (options.cors_origins.empty()) return;
    std::string origin = req.get_header_value("Origin");
    if (origin.empty()) return;
    for (const auto& allowed : options.cors_origins) {
      if (allowed == "*" || allowed == origin) {
        res.set_header("Access-Control-Allow-Origin", allowed == "*" ? "*" : origin);
        res.set_header("Vary", "Origin");
        return;
      }
    }
  }

  bool authorized(const httplib::Request& req) const {
    if (options.api_key.empty()) return true;
    std::string auth = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    if (auth.size() < prefix.size() || auth.compare(0, prefix.size(), prefix) != 0) return false;
    return secure_equals(auth.substr(prefix.size()), options.api_key);
  }

  static void set_error(httplib::Response& res, int status, const std::string& message,
                        const std::string& code = "") {
    res.status = status;
    res.set_content(error_body(message, status_type(status), "", code), "application/json");
  }

  // Auth, CORS preflight, 404 and 405 happen before httplib reads the body.
  httplib::Server::HandlerResponse pre_route(const httplib::Request& req, httplib::Response& res) {
    thread_clock().start = Clock::now();
    thread_request_tokens() = {};
    add_cors_headers(req, res);
    auto it = routes.find(req.path);
    if (req.method == "OPTIONS") {
      if (it == routes.end()) {
        set_error(res, 404, "route " + req.path + " not found");
      } else {
        res.status = 204;
        res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
        res.set_header("Access-Control-Max-Age", "600");
      }
      return httplib::Server::HandlerResponse::Handled;
    }
    if (it == routes.end()) {
      set_error(res, 404, "route " + req.path + " not found");
      return httplib::Server::HandlerResponse::Handled;
    }
    const Route* route = nullptr;
    std::string allow;
    for (const auto& r : it->second) {
      if (r.method == req.method || (req.method == "HEAD" && r.method == "GET")) route = &r;
      allow += (allow.empty() ? "" : ", ") + r.method;
    }
    if (!route) {
      res.set_header("Allow", allow);
      set_error(res, 405, "method " + req.method + " is not allowed on " + req.path);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (route->needs_auth && !authorized(req)) {
      set_error(res, 401, "invalid or missing API key", "invalid_api_key");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  void dispatch(const Route& route, const httplib::Request& req, httplib::Response& res) {
    // Holds a max_concurrent slot until the response is complete.
    struct ActiveGuard {
      std::atomic<int>* active = nullptr;
      void release() {
        if (active) --*active;
        active = nullptr;
      }
      ~ActiveGuard() { release(); }
    };
    auto guard = std::make_shared<ActiveGuard>();
    if (route.generation) {
      if (++active > options.max_concurrent) {
        --active;
        set_error(res, 429,
                  "too many concurrent requests (limit " + std::to_string(options.max_concurrent) +
                      "); retry later");
        return;
      }
      guard->active = &active;
    }
    HttpResponse r = handle(route.handler, context(), req.body);
    res.status = r.status;
    if (!r.next) {
      res.set_content(r.body, r.content_type);
      return;
    }
    res.set_header("Cache-Control", "no-cache");
    auto next = std::move(r.next);
    // The guard lives as long as the stream, so a streaming request counts until it ends.
    res.set_chunked_content_provider(
        r.content_type,
        [next, guard](size_t, httplib::DataSink& sink) {
          bool write_failed = false;
          ChunkWriter write = [&](const std::string& chunk) {
            if (write_failed) return false;
            if (!sink.is_writable() || !sink.write(chunk.data(), chunk.size())) write_failed = true;
            return !write_failed;
          };
          bool more = next(write);
          if (write_failed) return false;  // client gone: drops the stream, which aborts
          if (!more) {
            // Before the terminating chunk: a client may send its next request right after it.
            guard->release();
            sink.done();
          }
          return true;
        },
        [next, guard](bool) mutable { next = nullptr; });
  }

  void log(const httplib::Request& req, const httplib::Response& res) {
    RequestLogCallback cb;
    {
      std::lock_guard lock(log_mu);
      cb = log_callback;
    }
    if (!cb) return;
    RequestLogEntry e;
    e.time = std::chrono::system_clock::now();
    e.method = req.method;
    e.route = req.path;
    e.status = res.status;
    e.prompt_tokens = thread_request_tokens().prompt;
    e.completion_tokens = thread_request_tokens().completion;
    e.latency_s = std::chrono::duration<double>(Clock::now() - thread_clock().start).count();
    e.remote_addr = req.remote_addr;
    try {
      cb(e);
    } catch (...) {
      // A log sink must not take the server down.
    }
  }

  void setup() {
    auto add = [&](const std::string& method, const std::string& path, RouteHandler h,
                   bool needs_auth, bool generation) {
      routes[path].push_back({method, std::move(h), needs_auth, generation});
    };
    add("GET", "/health", serve_health, false, false);
    add("GET", "/version", serve_version, false, false);
    add("GET", "/v1/models", serve_models, true, false);
    add("GET", "/metrics", serve_metrics, true, false);
    add("POST", "/v1/chat/completions", serve_chat, true, true);
    add("POST", "/v1/completions", serve_completions, true, true);
    add("POST", "/tokenize", serve_tokenize, true, false);
    add("POST", "/detokenize", serve_detokenize, true, false);
    for (const auto& [path, methods] : routes) {
      for (const auto& route : methods) {
        const Route* r = &route;
        auto h = [this, r](const httplib::Request& req, httplib::Response& res) {
          dispatch(*r, req, res);
        };
        if (route.method == "GET")
          http.Get(path, h);
        else
          http.Post(path, h);
      }
    }
    int threads = options.http_threads > 0 ? options.http_threads : options.max_concurrent + 16;
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http.set_tcp_nodelay(true);  // SSE sends many small writes: no Nagle delay per token
    http.set_payload_max_length(options.max_body_bytes);
    http.set_read_timeout(options.read_timeout_s, 0);
    http.set_write_timeout(options.read_timeout_s, 0);
    // An idle keep-alive connection holds an HTTP thread: never longer than a stalled read.
    http.set_keep_alive_timeout(std::min(5, options.read_timeout_s));
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      return pre_route(req, res);
    });
    http.set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request& req, httplib::Response& res) {
          add_cors_headers(req, res);
          if (res.body.empty()) set_error(res, res.status, status_message(res.status));
          return httplib::Server::HandlerResponse::Handled;
        }));
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                                  std::exception_ptr) { set_error(res, 500, "internal error"); });
    http.set_logger(
        [this](const httplib::Request& req, const httplib::Response& res) { log(req, res); });
  }
};

ApiServer::ApiServer(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (impl_->options.max_concurrent < 1) impl_->options.max_concurrent = 1;
  impl_->setup();
}

ApiServer::~ApiServer() {
  stop();
}

void ApiServer::set_engine(std::shared_ptr<Engine> engine) {
  {
    std::lock_guard lock(impl_->engine_mu);
    if (impl_->engine == engine) return;
    impl_->engine = std::move(engine);
  }
  impl_->jobs.cancel_all();
}

std::shared_ptr<Engine> ApiServer::engine() const {
  std::lock_guard lock(impl_->engine_mu);
  return impl_->engine;
}

void ApiServer::start() {
  if (impl_->running) return;
  int port = impl_->options.port;
  bool ok = port == 0 ? (port = impl_->http.bind_to_any_port(impl_->options.host)) > 0
                      : impl_->http.bind_to_port(impl_->options.host, port);
  if (!ok)
    throw Error("cannot listen on " + impl_->options.host + ":" +
                std::to_string(impl_->options.port) + " (address in use or not available)");
  impl_->http.raise_backlog();
  impl_->bound_port = port;
  impl_->stopping = false;
  impl_->running = true;
  impl_->thread = std::thread([this] { impl_->http.listen_after_bind(); });
  // httplib's stop() does nothing until the accept loop runs: wait for it, so that a stop()
  // right after start() cannot leave the thread blocked in accept().
  while (!impl_->http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void ApiServer::stop() {
  if (!impl_->running.exchange(false)) return;
  impl_->stopping = true;
  impl_->jobs.cancel_all();
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

bool ApiServer::running() const {
  return impl_->running;
}
int ApiServer::port() const {
  return impl_->bound_port;
}

std::string ApiServer::url() const {
  return "http://" + impl_->options.host + ":" + std::to_string(impl_->bound_port);
}

void ApiServer::on_request_log(RequestLogCallback callback) {
  std::lock_guard lock(impl_->log_mu);
  impl_->log_callback = std::move(callback);
}

int ApiServer::active_requests() const {
  return impl_->active;
}

}  // namespace pagoda::server
