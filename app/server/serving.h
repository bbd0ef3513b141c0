#pragma once
// The serving logic behind each route: functions from a request to a response that never throw
// (handle() maps exceptions to OpenAI error JSON). A streaming response is a `next` generator
// that the HTTP layer calls until it returns false.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/engine.h"
#include "app/server/generation_job.h"
#include "app/server/metrics.h"
#include "app/server/protocol.h"

namespace pagoda::server {

using ChunkWriter = std::function<bool(const std::string& chunk)>;  // false: client gone

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Streaming (SSE): writes zero or more chunks; returns true while there is more to come.
  // Returning false after a failed write ends the stream; the generator's destruction aborts
  // whatever is still running.
  std::function<bool(const ChunkWriter& write)> next;
};

HttpResponse json_response(int status, const Json& j);
HttpResponse error_response(int status, const std::string& message,
                            const std::string& type = "invalid_request_error",
                            const std::string& param = "", const std::string& code = "");

// Token counts of the request being handled on this HTTP thread, for the request log.
struct RequestTokenCounts {
  int prompt = 0;
  int completion = 0;
};
RequestTokenCounts& thread_request_tokens();

// What every route handler sees.
struct ServingContext {
  std::shared_ptr<Engine> engine;  // may be null
  std::string model_name;          // served name
  ServerMetrics* metrics = nullptr;
  JobRegistry* jobs = nullptr;
  const std::atomic<bool>* stopping = nullptr;
  ChatOutputOverrides chat_output;  // --tool-call-parser / --reasoning-parser
  int max_sequences = 256;  // prompts x n of one request
  // True once the client has gone away; polled by non-streaming waits every engine step, so an
  // abandoned request aborts and frees its KV blocks. Empty: never gone.
  std::function<bool()> client_gone;
  // Called once a generation request's input is parsed and tokenized (the HTTP layer limits how
  // many large bodies are parsed at once). Empty: nothing to tell.
  std::function<void()> input_ready;
};

using RouteHandler = std::function<HttpResponse(const ServingContext&, const std::string& body)>;

// Runs a handler and turns any exception into an OpenAI error response.
HttpResponse handle(const RouteHandler& handler, const ServingContext& ctx,
                    const std::string& body);

HttpResponse serve_models(const ServingContext& ctx, const std::string& body);
HttpResponse serve_chat(const ServingContext& ctx, const std::string& body);
HttpResponse serve_completions(const ServingContext& ctx, const std::string& body);
HttpResponse serve_tokenize(const ServingContext& ctx, const std::string& body);
HttpResponse serve_detokenize(const ServingContext& ctx, const std::string& body);
HttpResponse serve_health(const ServingContext& ctx, const std::string& body);
HttpResponse serve_version(const ServingContext& ctx, const std::string& body);
HttpResponse serve_metrics(const ServingContext& ctx, const std::string& body);

}  // namespace pagoda::server
