#pragma once
// Pagoda's OpenAI-compatible HTTP server (vLLM's routes and wire format) on libmicrohttpd, one
// thread per connection. Every request passes the Host, Origin, size and time limits before any
// work (see docs/server.md, "Security"). HTTP threads never touch the model: they validate,
// template and tokenize with the engine's const tokenizer and chat template, then call
// Engine::add_request / abort; outputs come back through a per-request queue. The engine may be
// null (503) and may be swapped at any time (the GUI loads and unloads models).
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
  // Host header values accepted besides loopback names (and, on the LAN, the machine's own
  // addresses): exact names, ".example.com" for a domain and its subdomains, "*" for any.
  std::vector<std::string> allowed_hosts;
  size_t max_body_bytes = 8u << 20;  // counted for fixed-length and chunked bodies: 413
  // Memory for request bodies beyond their first 16 KiB, all requests together: past it, 503.
  size_t max_buffered_body_bytes = 32u << 20;
  size_t max_header_bytes = 32u << 10;  // request line and headers together: 431
  int max_headers = 100;                // header fields: 431
  int max_concurrent = 64;              // generation and tokenizer requests in flight
  int max_queued = 256;                 // beyond max_concurrent they wait here; beyond: 429
  int max_sequences = 256;              // prompts x n of one request: beyond, 400
  // Open connections, in all and from one client address. Each connection has a thread of its
  // own, so slow or idle sockets never hold the ones serving others; and of those that do no work
  // (still reading their request, or idle between requests) at most max_idle_connections stay
  // open: past it the longest-waiting are closed, so they cannot fill the caps either.
  int max_connections = 1024;
  int max_connections_per_client = 768;
  int max_idle_connections = 256;
  std::string served_model_name;  // empty: the engine's model_name()
  // vLLM's --tool-call-parser / --reasoning-parser names; empty: chosen from the chat template.
  std::string tool_call_parser;
  std::string reasoning_parser;
  int request_timeout_s = 10;     // headers and body must arrive within this: 408, closed
  int keep_alive_timeout_s = 5;   // an idle connection between requests is closed after this
  int write_timeout_s = 60;       // a client that stops reading its response is dropped
};

// Reads an API key from a file (the first line, surrounding whitespace removed), so that it need
// not appear on a command line. Throws pagoda::Error when the file cannot be read or is empty.
std::string read_api_key_file(const std::string& path);

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

  // Number of generation (and tokenizer) requests in flight, and of those waiting for a slot.
  int active_requests() const;
  int queued_requests() const;
  int open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pagoda::server
