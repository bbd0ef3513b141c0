// pagoda-cli serve: the OpenAI-compatible server, headless (like `vllm serve`).
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <thread>

#include "app/cli/cli_common.h"
#include "app/cli/command.h"
#include "engine/core/engine.h"
#include "app/server/api_server.h"
#include "app/server/request_policy.h"
#include "engine/util/error.h"

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
  int max_num_seqs = pagoda::EngineConfig{}.max_num_seqs;
  int max_num_batched_tokens = pagoda::EngineConfig{}.max_num_batched_tokens;
  pagoda::server::ServerOptions server;
  bool quiet = false;
  std::string api_key_file;
};

void serve(const ServeOptions& o) {
  pagoda::server::ServerOptions opts = o.server;
  if (!o.api_key_file.empty()) opts.api_key = pagoda::server::read_api_key_file(o.api_key_file);
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
  config.max_num_seqs = o.max_num_seqs;
  config.max_num_batched_tokens = o.max_num_batched_tokens;
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
  if (!pagoda::server::is_loopback_host(opts.host))
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

}  // namespace

namespace pagoda::cli {

void add_serve_command(CLI::App& root) {
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
                  "Require 'Authorization: Bearer KEY' (default: env PAGODA_API_KEY). The key "
                  "is visible to other users in `ps`: prefer --api-key-file or the variable");
  cmd->add_option("--api-key-file", o->api_key_file,
                  "Read the API key from the first line of this file")
      ->check(CLI::ExistingFile)
      ->excludes("--api-key");
  cmd->add_option("--allowed-hosts", o->server.allowed_hosts,
                  "Host header names accepted besides loopback (and, on the LAN, this machine's "
                  "addresses): 'name', '.domain' or '*' (DNS rebinding protection)");
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
  // Bounded so that a typo cannot ask the backend for an absurd workspace.
  cmd->add_option("--max-num-seqs", o->max_num_seqs, "Sequences the engine runs in one step")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_option("--max-num-batched-tokens", o->max_num_batched_tokens,
                  "Tokens (prompt chunks and decodes) the engine runs in one step")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--allowed-origins", o->server.cors_origins,
                  "CORS origins allowed to call the API ('*' for any; default: none)");
  cmd->add_option("--max-concurrent", o->server.max_concurrent,
                  "Generation and tokenizer requests in flight; more wait in the queue")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-queued", o->server.max_queued,
                  "Requests waiting for a slot before answering 429")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--max-sequences", o->server.max_sequences,
                  "Most sequences (prompts x n) one request may ask for")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", o->server.max_body_bytes, "Largest request body accepted")
      ->capture_default_str();
  cmd->add_option("--max-header-bytes", o->server.max_header_bytes,
                  "Largest request line and headers accepted")
      ->check(CLI::Range(size_t{1024}, size_t{1} << 24))
      ->capture_default_str();
  cmd->add_option("--max-headers", o->server.max_headers, "Most header fields accepted")
      ->check(CLI::Range(8, 10000))
      ->capture_default_str();
  cmd->add_option("--max-connections", o->server.max_connections, "Open connections in all")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-connections-per-client", o->server.max_connections_per_client,
                  "Open connections from one client address")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-idle-connections", o->server.max_idle_connections,
                  "Connections still reading a request or idle; past it the oldest are closed")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--request-timeout", o->server.request_timeout_s,
                  "Seconds for a request's headers and body to arrive (then 408)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--keep-alive-timeout", o->server.keep_alive_timeout_s,
                  "Seconds an idle connection stays open between requests")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--tool-call-parser", o->server.tool_call_parser,
                  "How tool calls are read from the output: hermes, llama3_json, mistral or "
                  "none (default: from the chat template's markers)")
      ->check(CLI::IsMember({"hermes", "llama3_json", "llama", "mistral", "none"}));
  cmd->add_option("--reasoning-parser", o->server.reasoning_parser,
                  "How reasoning is split from the answer: deepseek_r1, qwen3 (both <think>) or "
                  "none (default: <think> when the chat template mentions it)")
      ->check(CLI::IsMember({"deepseek_r1", "qwen3", "none"}));
  cmd->add_flag("--quiet", o->quiet, "Do not log each request");
  cmd->callback([o] { serve(*o); });
}

}  // namespace pagoda::cli
