// pagoda-cli serve: the OpenAI-compatible server, headless (like `vllm serve`).
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <thread>

#include "cli_common.h"
#include "command.h"
#include "core/engine.h"
#include "server/api_server.h"
#include "util/error.h"

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) {
  g_stop = true;
}

struct ServeOptions {
  pagoda::cli::ModelSource source;
  std::string device = "auto";
  std::string served_model_name;
  int max_model_len = 0;
  double gpu_memory_utilization = 0.90;
  pagoda::server::ServerOptions server;
  bool quiet = false;
};

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

void serve(const ServeOptions& o) {
  pagoda::server::ServerOptions opts = o.server;
  if (opts.api_key.empty())
    if (const char* env = std::getenv("PAGODA_API_KEY")) opts.api_key = env;
  opts.served_model_name = o.served_model_name;

  pagoda::EngineConfig config;
  config.model_dir = pagoda::cli::resolve_model_source(o.source);
  // Like vllm serve: a model given by hub id is served under that id.
  if (opts.served_model_name.empty() && !std::filesystem::is_directory(o.source.model))
    opts.served_model_name = o.source.model;
  config.device = o.device;
  config.max_model_len = o.max_model_len;
  config.gpu_memory_utilization = o.gpu_memory_utilization;
  std::cerr << "Loading " << config.model_dir.string() << " ...\n";
  std::shared_ptr<pagoda::Engine> engine = pagoda::Engine::load(config);
  std::cerr << "Backend: " << engine->backend_note() << "; max_model_len "
            << engine->max_model_len() << "\n";

  pagoda::server::ApiServer server(opts);
  server.set_engine(engine);
  if (!o.quiet) {
    server.on_request_log([](const pagoda::server::RequestLogEntry& e) {
      std::time_t t = std::chrono::system_clock::to_time_t(e.time);
      char when[32];
      std::strftime(when, sizeof when, "%H:%M:%S", std::localtime(&t));
      std::fprintf(stderr, "%s %s %s %d prompt=%d completion=%d %.3fs\n", when, e.method.c_str(),
                   e.route.c_str(), e.status, e.prompt_tokens, e.completion_tokens, e.latency_s);
    });
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  server.start();
  if (!is_loopback(opts.host))
    std::cerr << "WARNING: listening on " << opts.host
              << ": other machines on the network can reach this server"
              << (opts.api_key.empty() ? " and no API key is set (--api-key)" : "") << ".\n";
  std::cerr << "Serving "
            << (o.served_model_name.empty() ? engine->model_name() : o.served_model_name) << " at "
            << server.url() << "/v1 (OpenAI-compatible)"
            << (opts.api_key.empty() ? "" : ", API key required") << ". Ctrl+C stops.\n";
  std::cout << server.url() << std::endl;  // machine-readable: the first line of stdout
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::cerr << "Stopping ...\n";
  server.stop();
  server.set_engine(nullptr);
}

pagoda::cli::Registration reg("serve", [](CLI::App& root) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = root.add_subcommand("serve", "Serve a model over an OpenAI-compatible HTTP API");
  pagoda::cli::add_model_options(cmd, o->source);
  cmd->add_option("--host", o->server.host,
                  "Address to bind; 0.0.0.0 exposes the server to the network")
      ->capture_default_str();
  cmd->add_option("--port", o->server.port, "Port (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--api-key", o->server.api_key,
                  "Require 'Authorization: Bearer KEY' (default: env PAGODA_API_KEY)");
  cmd->add_option("--device", o->device, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_option("--served-model-name", o->served_model_name,
                  "Model id clients use (default: the folder name)");
  cmd->add_option("--max-model-len", o->max_model_len, "Context length (default: the model's)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--gpu-memory-utilization", o->gpu_memory_utilization,
                  "Fraction of GPU memory for weights and KV cache")
      ->check(CLI::Range(0.05, 1.0))
      ->capture_default_str();
  cmd->add_option("--allowed-origins", o->server.cors_origins,
                  "CORS origins allowed to call the API ('*' for any; default: none)");
  cmd->add_option("--max-concurrent", o->server.max_concurrent,
                  "Generation requests in flight before answering 429")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", o->server.max_body_bytes, "Largest request body accepted")
      ->capture_default_str();
  cmd->add_flag("--quiet", o->quiet, "Do not log each request");
  cmd->callback([o] { serve(*o); });
});

}  // namespace
