#pragma once
// Pagoda's OpenAI-compatible HTTP server (vLLM's routes and wire format). HTTP threads never touch
// the model: they validate, template and tokenize with the engine's const tokenizer and chat
// template, then call Engine::add_request / abort; outputs come back through a per-request queue.
// The engine may be null (503) and may be swapped at any time (the GUI loads and unloads models).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace pagoda {
class Engine;
}

namespace pagoda::server {

struct ServerOptions {
  std::string host = "127.0.0.1";         // "0.0.0.0" exposes the server to the network
  int port = 8000;                        // 0: any free port (see ApiServer::port())
  std::string api_key;                    // empty: no authentication
  std::vector<std::string> cors_origins;  // empty: no CORS headers; "*" allows any origin
  size_t max_body_bytes = 8u << 20;
  int max_concurrent = 64;        // generation requests in flight; beyond: 429
  std::string served_model_name;  // empty: the engine's model_name()
  int read_timeout_s = 10;        // a client that stalls mid-request is dropped
  int http_threads = 0;           // 0: max_concurrent + 16
};

// One line of the request log (the GUI's Server page). The API key is never part of it.
struct RequestLogEntry {
  std::chrono::system_clock::time_point time;
  std::string method;
  std::string route;
  int status = 0;
  int prompt_tokens = 0;
  int completion_tokens = 0;
  double latency_s = 0;
  std::string remote_addr;
};
using RequestLogCallback = std::function<void(const RequestLogEntry&)>;

class ApiServer {
 public:
  explicit ApiServer(ServerOptions options);
  ~ApiServer();  // stops
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Swaps the served engine (null: no model, requests get 503). Requests in flight on the old
  // engine are aborted.
  void set_engine(std::shared_ptr<Engine> engine);
  std::shared_ptr<Engine> engine() const;

  // Binds and serves on a thread of its own. Throws pagoda::Error when the address cannot be bound.
  void start();
  // Aborts in-flight requests, closes the socket and joins the threads. Idempotent.
  void stop();
  bool running() const;
  int port() const;  // the bound port (after start)
  std::string url() const;

  // Called on HTTP threads after each response; keep it short.
  void on_request_log(RequestLogCallback callback);

  // Number of generation requests in flight (tests, GUI).
  int active_requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pagoda::server
