#include "app/server/api_server.h"

#include <malloc.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "engine/core/engine.h"
#include "app/server/admission.h"
#include "app/server/connection_watchdog.h"
#include "app/server/mhd_glue.h"
#include "app/server/request_policy.h"
#include "app/server/serving.h"
#include "app/server/socket_util.h"
#include "engine/util/error.h"

namespace pagoda::server {

namespace {

using Clock = std::chrono::steady_clock;

struct Route {
  std::string method;
  RouteHandler handler;
  bool needs_auth = true;
  bool admitted = false;  // generation and tokenizer routes: counted against max_concurrent
};

// Request bodies beyond their first kFreeBodyBytes share one memory budget, and bodies over
// kLargeBodyBytes are received and parsed one at a time (moving and parsing megabytes is
// CPU-bound: many at once would starve the threads serving small requests). A connection whose
// large body waits for its turn simply stops reading: its sender blocks.
constexpr size_t kFreeBodyBytes = 16 * 1024;
constexpr size_t kLargeBodyBytes = 1 << 20;
constexpr int kLargeBodySlots = 1;
// And at a bounded rate: megabytes over loopback are otherwise copied as fast as two cores allow.
constexpr double kLargeBodyBytesPerSecond = 64.0 * (1 << 20);

// One request (MHD's per-request context), from its request line to its completion.
struct Request {
  ~Request() {
    if (budget) *budget -= charged;
  }
  std::atomic<size_t>* budget = nullptr;  // the shared body budget, and what this one holds
  size_t charged = 0;
  Clock::time_point start = Clock::now();
  bool headers_checked = false;
  std::string method, path, origin;
  bool cors = false;  // the Origin is allowed: CORS headers on the answer
  const Route* route = nullptr;
  std::string body;
  size_t body_bytes = 0;
  int status = 0;                        // the status answered (0: none yet)
  std::unique_ptr<AdmissionSlot> large;  // receiving a large body, since large_since
  Clock::time_point large_since;
};

}  // namespace

struct ApiServer::Impl {
  ServerOptions options;
  RequestPolicy policy;
  MHD_Daemon* daemon = nullptr;
  std::atomic<bool> running{false};
  std::atomic<bool> stopping{false};
  int bound_port = 0;
  mutable std::mutex engine_mu;
  std::shared_ptr<Engine> engine;
  ServerMetrics metrics;
  JobRegistry jobs;
  AdmissionQueue admission;
  AdmissionQueue large_bodies{kLargeBodySlots, 1 << 20};
  std::atomic<size_t> body_budget{0};
  ConnectionWatchdog watchdog;
  std::mutex log_mu;
  RequestLogCallback log_callback;
  std::map<std::string, std::vector<Route>> routes;  // path -> methods

  explicit Impl(ServerOptions o)
      : options(std::move(o)),
        policy(options.host, options.allowed_hosts, options.cors_origins, options.api_key),
        admission(std::max(options.max_concurrent, 1), std::max(options.max_queued, 0)),
        watchdog(error_body("request timeout: the request did not arrive within " +
                                std::to_string(options.request_timeout_s) + " s",
                            "invalid_request_error"),
                 options.max_idle_connections) {}

  ServingContext context(Connection* conn) {
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
    ctx.max_sequences = options.max_sequences;
    ctx.chat_output = {options.tool_call_parser, options.reasoning_parser};
    int fd = conn->fd();
    ctx.client_gone = [fd] { return peer_closed(fd); };
    return ctx;
  }

  // ---- answering ----

  using Headers = std::vector<std::pair<std::string, std::string>>;

  MHD_Result queue(MHD_Connection* mc, Connection* conn, Request* rq, HttpResponse r,
                   const Headers& headers = {}, std::shared_ptr<AdmissionSlot> slot = nullptr) {
    rq->status = r.status;
    MHD_Response* resp = nullptr;
    if (r.next) {
      auto* sse = new SseBody;
      sse->next = std::move(r.next);
      sse->slot = slot ? slot : std::make_shared<AdmissionSlot>();
      sse->connection = conn;
      sse->write_timeout_s = options.write_timeout_s;
      resp = MHD_create_response_from_callback(
          MHD_SIZE_UNKNOWN, 16 * 1024,
          [](void* cls, uint64_t, char* buf, size_t max) {
            return static_cast<SseBody*>(cls)->read(buf, max);
          },
          sse, [](void* cls) { delete static_cast<SseBody*>(cls); });
      if (!resp)
        delete sse;
      else
        MHD_add_response_header(resp, "Cache-Control", "no-cache");
    } else {
      resp = MHD_create_response_from_buffer(r.body.size(), r.body.data(), MHD_RESPMEM_MUST_COPY);
      conn->set_deadline(Clock::now() + std::chrono::seconds(options.write_timeout_s), false,
                         false);
    }
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type.c_str());
    if (rq->cors) {
      MHD_add_response_header(resp, "Access-Control-Allow-Origin",
                              policy.origin_listed(rq->origin) ? rq->origin.c_str() : "*");
      MHD_add_response_header(resp, "Vary", "Origin");
    }
    for (const auto& [k, v] : headers) MHD_add_response_header(resp, k.c_str(), v.c_str());
    MHD_Result ok = MHD_queue_response(mc, static_cast<unsigned>(r.status), resp);
    MHD_destroy_response(resp);
    return ok;
  }

  // Over the body limit in the middle of the body: MHD cannot queue a response while upload
  // data is being handed over, so the 413 is written here and the connection closed at once.
  MHD_Result refuse_body(Connection* conn, Request* rq, int status, const char* reason,
                         const std::string& message) {
    rq->status = status;
    conn->clear_deadline();
    send_now(conn->fd(), raw_response(status, reason, api_error(status, message)));
    ::shutdown(conn->fd(), SHUT_WR);
    // Read (and drop) what is in flight for a moment, so that closing does not reset the
    // connection before the client has read the answer; bounded in time and bytes.
    auto until = Clock::now() + std::chrono::milliseconds(50);
    char sink[16384];
    for (size_t dropped = 0; dropped < (1u << 20) && Clock::now() < until;) {
      pollfd p{conn->fd(), POLLIN, 0};
      if (::poll(&p, 1, 10) <= 0) continue;
      ssize_t n = ::recv(conn->fd(), sink, sizeof sink, MSG_DONTWAIT);
      if (n <= 0) break;
      dropped += static_cast<size_t>(n);
    }
    return MHD_NO;
  }

  // Everything decided from the request line and headers, before any body byte is read
  // (so an Expect: 100-continue request refused here never gets its 100).
  MHD_Result check_headers(MHD_Connection* mc, Connection* conn, Request* rq) {
    HeaderScan h;
    MHD_get_connection_values_n(mc, MHD_HEADER_KIND, scan_header, &h);
    const MHD_ConnectionInfo* size_info =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    size_t header_bytes = size_info ? size_info->header_size : 0;
    if (h.count > options.max_headers || header_bytes > options.max_header_bytes)
      return queue(mc, conn, rq,
                   api_error(431, "request header fields too large (limits: " +
                                      std::to_string(options.max_headers) + " fields, " +
                                      std::to_string(options.max_header_bytes) + " bytes)"));
    // Framing that a proxy in front could read differently (request smuggling) is refused.
    if (h.bad_name) return queue(mc, conn, rq, api_error(400, "malformed header field name"));
    if (h.content_lengths > 1 || (h.content_lengths == 1 && !h.transfer_encoding.empty()))
      return queue(mc, conn, rq,
                   api_error(400, "conflicting Content-Length / Transfer-Encoding headers"));
    if (!h.transfer_encoding.empty() && strcasecmp(h.transfer_encoding.c_str(), "chunked") != 0)
      return queue(mc, conn, rq, api_error(501, "unsupported Transfer-Encoding (only chunked is)"));
    if (h.hosts > 1) return queue(mc, conn, rq, api_error(400, "more than one Host header"));
    if (h.hosts == 1 && !policy.host_allowed(h.host))
      return queue(mc, conn, rq,
                   api_error(403,
                             "the Host header '" + h.host.substr(0, 200) +
                                 "' is not allowed (DNS rebinding protection); add the name to "
                                 "the allowed hosts (--allowed-hosts, or Allowed hosts on the "
                                 "Server page)",
                             "host_not_allowed"));
    rq->origin = h.origin;
    if (!h.origin.empty()) {
      if (!policy.origin_allowed(h.origin))
        return queue(mc, conn, rq,
                     api_error(403,
                               "the origin '" + h.origin.substr(0, 200) +
                                   "' may not call this API; add it to the CORS origins "
                                   "(--allowed-origins, or CORS origins on the Server page)",
                               "origin_not_allowed"));
      rq->cors = true;
    }
    static const char* const kMethods[] = {"GET",    "HEAD",    "POST",  "OPTIONS", "PUT",
                                           "DELETE", "CONNECT", "TRACE", "PATCH"};
    if (std::none_of(std::begin(kMethods), std::end(kMethods),
                     [&](const char* m) { return rq->method == m; }))
      return queue(mc, conn, rq, api_error(400, "unknown HTTP method"));
    auto it = routes.find(rq->path);
    if (rq->method == "OPTIONS") {
      if (it == routes.end()) return queue(mc, conn, rq, api_error(404, "route not found"));
      HttpResponse r;
      r.status = 204;
      r.content_type = "text/plain";
      return queue(mc, conn, rq, r,
                   {{"Access-Control-Allow-Methods", "GET, POST, OPTIONS"},
                    {"Access-Control-Allow-Headers", "Authorization, Content-Type"},
                    {"Access-Control-Max-Age", "600"}});
    }
    if (it == routes.end())
      return queue(mc, conn, rq, api_error(404, "route " + rq->path.substr(0, 200) + " not found"));
    std::string allow;
    for (const auto& r : it->second) {
      if (r.method == rq->method || (rq->method == "HEAD" && r.method == "GET")) rq->route = &r;
      allow += (allow.empty() ? "" : ", ") + r.method;
    }
    if (!rq->route)
      return queue(
          mc, conn, rq,
          api_error(405, "method " + rq->method.substr(0, 20) + " is not allowed on " + rq->path),
          {{"Allow", allow}});
    if (rq->route->needs_auth && !policy.authorized(h.authorization))
      return queue(mc, conn, rq, api_error(401, "invalid or missing API key", "invalid_api_key"));
    if (!h.origin.empty() && rq->method == "POST" && !is_json_content_type(h.content_type))
      return queue(mc, conn, rq,
                   api_error(415, "a cross-origin request body must be application/json"));
    if (!h.content_length.empty()) {
      char* end = nullptr;
      errno = 0;
      unsigned long long n = std::strtoull(h.content_length.c_str(), &end, 10);
      if (errno != 0 || n > options.max_body_bytes)
        return queue(mc, conn, rq,
                     api_error(413, "request body too large (limit " +
                                        std::to_string(options.max_body_bytes) + " bytes)"));
    }
    return MHD_YES;
  }

  // Sleeps while a large body arrives faster than kLargeBodyBytesPerSecond.
  void pace_large_body(Connection* conn, Request* rq) {
    double ahead =
        static_cast<double>(rq->body_bytes - kLargeBodyBytes) / kLargeBodyBytesPerSecond -
        std::chrono::duration<double>(Clock::now() - rq->large_since).count();
    if (ahead > 0 && !conn->timed_out() && !stopping)
      std::this_thread::sleep_for(std::chrono::duration<double>(std::min(ahead, 0.1)));
  }

  // Charges the body bytes past the free allowance to the shared budget.
  bool charge_body(Request* rq) {
    size_t want = rq->body_bytes > kFreeBodyBytes ? rq->body_bytes - kFreeBodyBytes : 0;
    if (want <= rq->charged) return true;
    size_t more = want - rq->charged;
    if (body_budget.fetch_add(more) + more > options.max_buffered_body_bytes) {
      body_budget -= more;
      return false;
    }
    rq->budget = &body_budget;
    rq->charged = want;
    return true;
  }

  HttpResponse run_route(Connection* conn, Request* rq, std::shared_ptr<AdmissionSlot>* slot) {
    ServingContext ctx = context(conn);
    auto give_up = [&] { return stopping.load() || ctx.client_gone(); };
    if (rq->route->admitted) {
      switch (admission.acquire(give_up)) {
        case AdmissionQueue::Result::QueueFull:
          return api_error(429, "too many requests: " + std::to_string(options.max_concurrent) +
                                    " running and " + std::to_string(options.max_queued) +
                                    " waiting; retry later");
        case AdmissionQueue::Result::Abandoned:
          return stopping ? api_error(503, "the server is stopping")
                          : api_error(499, "the client closed the connection");
        case AdmissionQueue::Result::Admitted:
          *slot = std::make_shared<AdmissionSlot>(&admission);
      }
    }
    // After admission, so that a large body waiting for a slot does not hold up the others.
    auto large = std::make_shared<AdmissionSlot>();
    if (rq->body.size() > kLargeBodyBytes) {
      if (large_bodies.acquire(give_up) != AdmissionQueue::Result::Admitted)
        return api_error(503, "the server is busy with other large requests; retry later");
      large = std::make_shared<AdmissionSlot>(&large_bodies);
      ctx.input_ready = [large] { large->release(); };
    }
    return handle(rq->route->handler, ctx, rq->body);
  }

  MHD_Result on_request(MHD_Connection* mc, const char* url, const char* method,
                        const char* upload_data, size_t* upload_size, void** con_cls) {
    auto* conn = static_cast<Connection*>(
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT)->socket_context);
    auto* rq = static_cast<Request*>(*con_cls);
    if (!rq || !conn) return MHD_NO;
    if (!rq->headers_checked) {
      rq->headers_checked = true;
      rq->method = method;
      rq->path = url;
      if (size_t q = rq->path.find('?'); q != std::string::npos) rq->path.resize(q);
      return check_headers(mc, conn, rq);
    }
    if (*upload_size > 0) {
      rq->body_bytes += *upload_size;
      if (rq->body_bytes > options.max_body_bytes)
        return refuse_body(
            conn, rq, 413, "Content Too Large",
            "request body too large (limit " + std::to_string(options.max_body_bytes) + " bytes)");
      if (!charge_body(rq))
        return refuse_body(conn, rq, 503, "Service Unavailable",
                           "the server is busy receiving other large requests; retry later");
      if (rq->body_bytes > kLargeBodyBytes && !rq->large) {
        auto give_up = [&] {
          return stopping.load() || conn->timed_out() || peer_closed(conn->fd());
        };
        if (large_bodies.acquire(give_up) != AdmissionQueue::Result::Admitted) return MHD_NO;
        rq->large = std::make_unique<AdmissionSlot>(&large_bodies);
        rq->large_since = Clock::now();
      }
      if (rq->large) pace_large_body(conn, rq);
      rq->body.append(upload_data, *upload_size);
      *upload_size = 0;
      return MHD_YES;
    }
    conn->clear_deadline();  // the request is in: handling takes as long as generation does
    rq->large.reset();       // received: the next large body may come in
    std::shared_ptr<AdmissionSlot> slot;
    HttpResponse r = run_route(conn, rq, &slot);
    std::string().swap(rq->body);
    if (rq->budget) *rq->budget -= std::exchange(rq->charged, 0);  // its memory is back
    return queue(mc, conn, rq, std::move(r), {}, slot);
  }

  // ---- connection and request life ----

  void on_connection(MHD_Connection* mc, void** socket_context, MHD_ConnectionNotificationCode c) {
    if (c == MHD_CONNECTION_NOTIFY_STARTED) {
      const MHD_ConnectionInfo* fd = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
      auto* conn = new Connection(fd ? fd->connect_fd : -1);
      const MHD_ConnectionInfo* addr =
          MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
      conn->remote_addr = addr ? address_text(addr->client_addr) : "";
      conn->set_deadline(Clock::now() + std::chrono::seconds(options.request_timeout_s), true,
                         true);
      int one = 1;  // SSE sends many small writes: no Nagle delay per token
      ::setsockopt(conn->fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      watchdog.add(conn);
      *socket_context = conn;
    } else {
      auto* conn = static_cast<Connection*>(*socket_context);
      if (!conn) return;
      watchdog.remove(conn);
      delete conn;
      *socket_context = nullptr;
    }
  }

  // The request line has arrived: the request's clock starts here, before any check.
  void* on_request_line(MHD_Connection* mc, const char* uri) {
    auto* info = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    auto* conn = info ? static_cast<Connection*>(info->socket_context) : nullptr;
    if (conn && conn->idle) {
      conn->idle = false;
      conn->set_deadline(Clock::now() + std::chrono::seconds(options.request_timeout_s), true,
                         true);
    }
    thread_request_tokens() = {};
    auto* rq = new Request;
    rq->path = uri ? std::string(uri).substr(0, 200) : "";  // logged even if MHD refuses it
    if (size_t q = rq->path.find('?'); q != std::string::npos) rq->path.resize(q);
    return rq;
  }

  void on_completed(MHD_Connection* mc, void** con_cls, MHD_RequestTerminationCode toe) {
    auto* rq = static_cast<Request*>(*con_cls);
    *con_cls = nullptr;
    auto* info = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    auto* conn = info ? static_cast<Connection*>(info->socket_context) : nullptr;
    if (conn) {
      conn->idle = true;
      conn->set_deadline(Clock::now() + std::chrono::seconds(options.keep_alive_timeout_s), false,
                         true);
    }
    if (!rq) return;
    if (rq->status == 0) {
      const MHD_ConnectionInfo* st = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_HTTP_STATUS);
      if (st) rq->status = static_cast<int>(st->http_status);
    }
    if (rq->status == 0)
      rq->status = conn && conn->timed_out()                       ? 408
                   : toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? 503
                                                                   : 499;  // client went away
    log(*rq, conn);
    delete rq;
  }

  void log(const Request& rq, const Connection* conn) {
    RequestLogCallback cb;
    {
      std::lock_guard lock(log_mu);
      cb = log_callback;
    }
    if (!cb) return;
    RequestLogEntry e;
    e.time =
        std::chrono::system_clock::now() -
        std::chrono::duration_cast<std::chrono::system_clock::duration>(Clock::now() - rq.start);
    e.method = rq.method.empty() ? "-" : rq.method;
    e.route = rq.path.empty() ? "-" : rq.path.substr(0, 200);
    e.status = rq.status;
    e.prompt_tokens = thread_request_tokens().prompt;
    e.completion_tokens = thread_request_tokens().completion;
    e.latency_s = std::chrono::duration<double>(Clock::now() - rq.start).count();
    e.remote_addr = conn ? conn->remote_addr : "";
    try {
      cb(e);
    } catch (...) {
      // A log sink must not take the server down.
    }
  }

  void setup_routes() {
    auto add = [&](const std::string& method, const std::string& path, RouteHandler h,
                   bool needs_auth, bool admitted) {
      routes[path].push_back({method, std::move(h), needs_auth, admitted});
    };
    add("GET", "/health", serve_health, false, false);
    add("GET", "/version", serve_version, false, false);
    add("GET", "/v1/models", serve_models, true, false);
    add("GET", "/metrics", serve_metrics, true, false);
    add("POST", "/v1/chat/completions", serve_chat, true, true);
    add("POST", "/v1/completions", serve_completions, true, true);
    add("POST", "/tokenize", serve_tokenize, true, true);
    add("POST", "/detokenize", serve_detokenize, true, true);
  }

  void start_daemon(int listen_fd, bool ipv6) {
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_USE_ITC | (ipv6 ? MHD_USE_IPv6 : 0);
    // MHD's pool holds the request line and headers (its own 431/414 past it) and the read
    // buffer; our own, JSON-shaped 431 comes first for anything up to max_header_bytes.
    size_t pool = options.max_header_bytes + 32 * 1024;
    auto uri_log = [](void* cls, const char* uri, MHD_Connection* c) -> void* {
      return static_cast<Impl*>(cls)->on_request_line(c, uri);
    };
    auto completed = [](void* cls, MHD_Connection* c, void** con_cls,
                        MHD_RequestTerminationCode toe) {
      static_cast<Impl*>(cls)->on_completed(c, con_cls, toe);
    };
    auto notify = [](void* cls, MHD_Connection* c, void** socket_context,
                     MHD_ConnectionNotificationCode code) {
      static_cast<Impl*>(cls)->on_connection(c, socket_context, code);
    };
    auto access = [](void* cls, MHD_Connection* c, const char* url, const char* method, const char*,
                     const char* data, size_t* size, void** con_cls) {
      return static_cast<Impl*>(cls)->on_request(c, url, method, data, size, con_cls);
    };
    daemon = MHD_start_daemon(
        flags, 0, nullptr, nullptr, +access, this,  //
        MHD_OPTION_LISTEN_SOCKET, listen_fd,        //
        MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(std::max(options.max_connections, 1)),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        static_cast<unsigned>(std::max(options.max_connections_per_client, 1)),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,  //
        MHD_OPTION_CONNECTION_TIMEOUT, 0u,         // idle-based: the watchdog does it instead
        MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, nullptr,  //
        MHD_OPTION_URI_LOG_CALLBACK, +uri_log, this,          //
        MHD_OPTION_NOTIFY_COMPLETED, +completed, this,        //
        MHD_OPTION_NOTIFY_CONNECTION, +notify, this,          //
        MHD_OPTION_EXTERNAL_LOGGER, quiet_log, nullptr,       //
        MHD_OPTION_END);
  }
};

ApiServer::ApiServer(ServerOptions options) {
  if (options.max_concurrent < 1) options.max_concurrent = 1;
  impl_ = std::make_unique<Impl>(std::move(options));
  impl_->setup_routes();
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
  const ServerOptions& o = impl_->options;
  raise_fd_limit(o.max_connections);
  // Request bodies are large, short-lived buffers: a fixed mmap threshold keeps them out of the
  // heap, so that freeing one gives its memory back to the system at once.
  ::mallopt(M_MMAP_THRESHOLD, 1 << 20);
  bool ipv6 = false;
  int fd = listen_on(o.host, o.port, &ipv6);
  if (fd < 0)
    throw Error("cannot listen on " + o.host + ":" + std::to_string(o.port) +
                " (address in use or not available)");
  impl_->bound_port = bound_port_of(fd);
  impl_->stopping = false;
  impl_->watchdog.start();
  impl_->start_daemon(fd, ipv6);
  if (!impl_->daemon) {
    ::close(fd);
    impl_->watchdog.stop();
    throw Error("cannot start the HTTP server on " + o.host + ":" + std::to_string(o.port));
  }
  impl_->running = true;
}

void ApiServer::stop() {
  if (!impl_->running.exchange(false)) return;
  impl_->stopping = true;
  impl_->jobs.cancel_all();
  impl_->admission.wake_all();
  int fd = MHD_quiesce_daemon(impl_->daemon);  // no new connections from here on
  MHD_stop_daemon(impl_->daemon);              // closes the connections, joins their threads
  impl_->daemon = nullptr;
  if (fd >= 0) ::close(fd);
  impl_->watchdog.stop();
}

bool ApiServer::running() const {
  return impl_->running;
}
int ApiServer::port() const {
  return impl_->bound_port;
}

std::string ApiServer::url() const {
  const std::string& h = impl_->options.host;
  std::string host = h.find(':') != std::string::npos ? "[" + h + "]" : h;
  return "http://" + host + ":" + std::to_string(impl_->bound_port);
}

void ApiServer::on_request_log(RequestLogCallback callback) {
  std::lock_guard lock(impl_->log_mu);
  impl_->log_callback = std::move(callback);
}

int ApiServer::active_requests() const {
  return impl_->admission.running();
}

int ApiServer::queued_requests() const {
  return impl_->admission.waiting();
}

int ApiServer::open_connections() const {
  return impl_->watchdog.size();
}

}  // namespace pagoda::server
