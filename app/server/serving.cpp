#include "app/server/serving.h"

#include <algorithm>

#include "app/server/structured_request.h"
#include "engine/chat/prompt.h"
#include "engine/util/utf8.h"

#ifndef PAGODA_VERSION
#define PAGODA_VERSION "unknown"
#endif

namespace pagoda::server {

using Clock = std::chrono::steady_clock;

namespace {
constexpr auto kPollInterval = std::chrono::milliseconds(50);

std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}
}  // namespace

HttpResponse json_response(int status, const Json& j) {
  HttpResponse r;
  r.status = status;
  r.body = dump(j);
  return r;
}

HttpResponse error_response(int status, const std::string& message, const std::string& type,
                            const std::string& param, const std::string& code) {
  HttpResponse r;
  r.status = status;
  r.body = error_body(message, type, param, code);
  return r;
}

RequestTokenCounts& thread_request_tokens() {
  static thread_local RequestTokenCounts counts;
  return counts;
}

// ---- error mapping ----

HttpResponse handle(const RouteHandler& handler, const ServingContext& ctx,
                    const std::string& body) {
  try {
    return handler(ctx, body);
  } catch (const ApiError& e) {
    return error_response(e.status, e.what(), e.type, e.param, e.code);
  } catch (const InvalidArgument& e) {
    return error_response(400, e.what());
  } catch (const Error& e) {
    // Errors of the model's own files (e.g. the chat template raised) come from the request.
    return error_response(400, e.what());
  } catch (const std::exception& e) {
    return error_response(500, std::string("internal error: ") + e.what(), "internal_server_error");
  } catch (...) {
    return error_response(500, "internal error", "internal_server_error");
  }
}

namespace {

const Engine& require_engine(const ServingContext& ctx) {
  if (!ctx.engine)
    throw ApiError(503, "no model is loaded", "service_unavailable", "", "model_not_loaded");
  return *ctx.engine;
}

void check_model(const ServingContext& ctx, const std::string& model) {
  if (!model.empty() && model != ctx.model_name)
    throw ApiError(400, "The model `" + model + "` does not exist.", "invalid_request_error",
                   "model", "model_not_found");
}

// One prompt after templating and tokenizing.
struct Prompt {
  std::vector<int32_t> ids;
  std::string text;  // for echo
};

void check_length(const Engine& engine, const Prompt& p, const GenerationRequest& req) {
  int max_len = engine.max_model_len();
  int n = static_cast<int>(p.ids.size());
  if (n == 0) throw ApiError(400, "the prompt is empty", "invalid_request_error", "prompt");
  int wanted = req.max_tokens_given ? req.params.max_tokens : 0;
  if (n >= max_len || (req.max_tokens_given && static_cast<int64_t>(n) + wanted > max_len))
    throw ApiError(400,
                   "This model's maximum context length is " + std::to_string(max_len) +
                       " tokens. However, you requested " +
                       std::to_string(static_cast<int64_t>(n) + wanted) + " tokens (" +
                       std::to_string(n) + " in the prompt, " + std::to_string(wanted) +
                       " in the completion). Please reduce the length of the prompt or the "
                       "completion.",
                   "invalid_request_error", req.max_tokens_given ? "max_tokens" : "messages");
}

// Accumulates a job's outputs into choices, usage and latency metrics.
struct JobState {
  std::vector<ChoiceResult> choices;
  std::vector<std::optional<Clock::time_point>> last_token_time;
  std::vector<int> prompt_lengths;
  std::vector<int> cached;
  Clock::time_point start = Clock::now();
  bool first_token_seen = false;
  std::string error;

  // A client that went away: its unfinished sequences count as aborted in /metrics.
  void count_aborted(ServerMetrics* metrics) const {
    if (!metrics) return;
    for (const auto& c : choices)
      if (c.finish == FinishReason::None) metrics->count_finished(FinishReason::Abort);
  }

  Usage usage() const {
    Usage u;
    for (int n : prompt_lengths) u.prompt_tokens += n;
    for (int c : cached) u.cached_tokens += c;
    for (const auto& c : choices) u.completion_tokens += static_cast<int>(c.token_ids.size());
    return u;
  }
};

// Applies one output; returns its choice index.
int apply_output(GenerationJob& job, JobState& st, const RequestOutput& out,
                 ServerMetrics* metrics) {
  int ci = job.choice_index(out);
  if (ci < 0 || ci >= static_cast<int>(st.choices.size())) return -1;
  auto& c = st.choices[ci];
  c.text += out.text_delta;
  c.token_ids.insert(c.token_ids.end(), out.token_ids.begin(), out.token_ids.end());
  c.logprobs.insert(c.logprobs.end(), out.logprobs.begin(), out.logprobs.end());
  if (!out.token_ids.empty()) {
    auto now = Clock::now();
    if (metrics) {
      if (!st.first_token_seen) metrics->observe_ttft(seconds_since(st.start));
      if (st.last_token_time[ci]) {
        double dt = std::chrono::duration<double>(now - *st.last_token_time[ci]).count();
        metrics->observe_inter_token(dt / static_cast<double>(out.token_ids.size()));
      }
    }
    st.first_token_seen = true;
    st.last_token_time[ci] = now;
  }
  if (out.finish != FinishReason::None && c.finish == FinishReason::None) {
    c.finish = out.finish;
    c.stop_reason = out.stop_reason;
    if (out.finish == FinishReason::Error && st.error.empty())
      st.error = out.error.empty() ? "generation failed" : out.error;
    int pi = job.prompt_of(out);
    if (pi >= 0 && pi < static_cast<int>(st.cached.size()))
      st.cached[pi] = std::max(st.cached[pi], out.cached_prompt_tokens);
    if (metrics) {
      metrics->count_finished(out.finish);
      metrics->observe_e2e(seconds_since(st.start));
    }
    job.mark_finished(out);
  }
  return ci;
}

// Parses the fields shared by both generation routes and checks the model name.
template <typename Parse>
GenerationRequest parse_generation(const ServingContext& ctx, const std::string& body,
                                   Parse parse) {
  const Engine& engine = require_engine(ctx);
  Json j = parse_body(body);
  GenerationRequest req = parse(j, engine.generation_defaults());
  keep_schema_order(body, req.params);
  check_model(ctx, req.model);
  return req;
}

// Everything a streaming response needs after the handler has returned.
struct Stream {
  std::shared_ptr<GenerationJob> job;
  JobRegistry* jobs = nullptr;
  ServerMetrics* metrics = nullptr;
  JobState st;
  ResponseHeader header;
  bool chat = true;
  bool include_usage = false;
  bool logprobs = false;
  bool tokens_as_ids = false;
  std::vector<std::string> echo_texts;  // completions with echo: per choice
  std::vector<size_t> text_offsets;
  std::vector<ChatOutputStream> outputs;  // chat: per choice
  bool started = false;
  bool finished = false;

  ~Stream() {
    if (started && !finished) st.count_aborted(metrics);  // the client hung up mid-stream
    if (jobs && job) jobs->remove(job.get());
  }

  // A chat choice's chunks for one output: its text through the tool / reasoning parsers may
  // give several deltas (a call's name, then its arguments), or none while a marker is held back.
  std::vector<Json> chat_chunks(int ci, const RequestOutput& out) {
    const Tokenizer& tok = job->engine().tokenizer();
    const bool last = out.finish != FinishReason::None;
    std::vector<Json> deltas = outputs[ci].feed(out.text_delta, last);
    const bool has_logprobs = logprobs && !out.logprobs.empty();
    if (deltas.empty() && (has_logprobs || last)) deltas.push_back(Json::object());
    std::vector<Json> chunks;
    for (size_t k = 0; k < deltas.size(); ++k) {
      Json c = {{"index", ci}, {"delta", std::move(deltas[k])}};
      c["logprobs"] =
          k == 0 && has_logprobs ? chat_logprobs_json(tok, out.logprobs, tokens_as_ids) : Json();
      const bool final_chunk = last && k + 1 == deltas.size();
      c["finish_reason"] = !final_chunk                            ? Json()
                           : outputs[ci].tool_calls_finish(out.finish) ? Json("tool_calls")
                                                                   : finish_reason_json(out.finish);
      if (final_chunk) c["stop_reason"] = stop_reason_json(st.choices[ci]);
      chunks.push_back(std::move(c));
    }
    return chunks;
  }

  Json choice_chunk(int ci, const RequestOutput& out) {
    const Tokenizer& tok = job->engine().tokenizer();
    Json c = {{"index", ci}};
    {
      c["text"] = out.text_delta;
      c["logprobs"] = logprobs && !out.logprobs.empty()
                          ? completion_logprobs_json(tok, out.logprobs, text_offsets[ci], tokens_as_ids)
                          : Json();
      text_offsets[ci] += out.text_delta.size();
    }
    c["finish_reason"] = finish_reason_json(out.finish);
    if (out.finish != FinishReason::None) c["stop_reason"] = stop_reason_json(st.choices[ci]);
    return c;
  }

  Json wrap(Json choices) const {
    return chat ? chat_chunk(header, std::move(choices))
                : completion_chunk(header, std::move(choices));
  }

  std::string error_event(const std::string& message, const std::string& type) const {
    return "data: " + error_body(message, type) + "\n\n" + kSseDone;
  }

  bool next(const ChunkWriter& write) {
    if (finished) return false;
    std::string buf;
    if (!started) {
      started = true;
      for (size_t i = 0; i < st.choices.size(); ++i) {
        Json c = {{"index", i}};
        if (chat) {
          c["delta"] = {{"role", "assistant"}, {"content", ""}};
        } else {
          c["text"] = echo_texts.empty() ? "" : echo_texts[i];
          text_offsets[i] = echo_texts.empty() ? 0 : echo_texts[i].size();
        }
        c["logprobs"] = nullptr;
        c["finish_reason"] = nullptr;
        buf += sse_event(wrap(Json::array({c})));
      }
      return write(buf);
    }
    for (const RequestOutput& out : job->wait(kPollInterval)) {
      int ci = apply_output(*job, st, out, metrics);
      if (ci < 0) continue;
      if (out.finish == FinishReason::Error) {
        finished = true;
        write(buf + error_event(st.error, "internal_server_error"));
        return false;
      }
      if (out.text_delta.empty() && out.logprobs.empty() && out.finish == FinishReason::None)
        continue;
      if (chat) {
        for (Json& c : chat_chunks(ci, out)) buf += sse_event(wrap(Json::array({std::move(c)})));
      } else {
        buf += sse_event(wrap(Json::array({choice_chunk(ci, out)})));
      }
    }
    thread_request_tokens().completion = st.usage().completion_tokens;
    if (job->closed()) {
      finished = true;
      write(buf + error_event("the request was aborted: the server is stopping or the model "
                              "was unloaded",
                              "service_unavailable"));
      return false;
    }
    if (job->done()) {
      finished = true;
      if (include_usage) {
        Json usage_chunk = wrap(Json::array());
        usage_chunk["usage"] = st.usage().to_json();
        buf += sse_event(usage_chunk);
      }
      buf += kSseDone;
      write(buf);
      return false;
    }
    return buf.empty() ? true : write(buf);
  }
};

// `output`: how a chat reply is read (tools, reasoning); null for completions.
HttpResponse run_generation(const ServingContext& ctx, const GenerationRequest& req,
                            const std::vector<Prompt>& prompts, const ChatOutputConfig* output) {
  const bool chat = output != nullptr;
  const Engine& engine = *ctx.engine;
  if (ctx.input_ready) ctx.input_ready();  // parsing and tokenizing are over
  for (const auto& p : prompts) check_length(engine, p, req);
  thread_request_tokens() = {};
  for (const auto& p : prompts) thread_request_tokens().prompt += static_cast<int>(p.ids.size());

  ResponseHeader header{random_id(chat ? "chatcmpl-" : "cmpl-"), unix_time_now(), ctx.model_name};
  auto job = std::make_shared<GenerationJob>(ctx.engine, header.id);
  JobState st;
  int n = req.params.n;
  st.choices.resize(prompts.size() * n);
  st.last_token_time.resize(st.choices.size());
  st.cached.assign(prompts.size(), 0);
  for (const auto& p : prompts) st.prompt_lengths.push_back(static_cast<int>(p.ids.size()));
  ctx.jobs->add(job);
  struct Unregister {
    JobRegistry* jobs;
    GenerationJob* job;
    bool armed = true;
    ~Unregister() {
      if (armed) jobs->remove(job);
    }
  } unregister{ctx.jobs, job.get()};
  for (const auto& p : prompts) job->submit(p.ids, req.params);

  bool logprobs = chat ? req.chat_logprobs : req.params.logprobs >= 0;
  if (req.stream) {
    auto s = std::make_shared<Stream>();
    s->job = job;
    s->jobs = ctx.jobs;
    s->metrics = ctx.metrics;
    s->st = std::move(st);
    s->header = header;
    s->chat = chat;
    s->include_usage = req.include_usage;
    s->logprobs = logprobs;
    s->tokens_as_ids = req.tokens_as_ids;
    s->text_offsets.assign(s->st.choices.size(), 0);
    if (chat) s->outputs.assign(s->st.choices.size(), ChatOutputStream(*output));
    if (req.echo)
      for (size_t i = 0; i < s->st.choices.size(); ++i)
        s->echo_texts.push_back(prompts[i / n].text);
    unregister.armed = false;  // the stream unregisters when it is destroyed
    HttpResponse r;
    r.content_type = "text/event-stream";
    r.next = [s](const ChunkWriter& write) { return s->next(write); };
    return r;
  }

  while (!job->done()) {
    if (ctx.client_gone && ctx.client_gone()) {
      // Nobody will read the answer: the job's destruction aborts what is still running.
      st.count_aborted(ctx.metrics);
      thread_request_tokens().completion = st.usage().completion_tokens;
      return error_response(499, "the client closed the connection", "invalid_request_error");
    }
    if (job->closed())
      return error_response(503,
                            "the request was aborted: the server is stopping or the model "
                            "was unloaded",
                            "service_unavailable");
    for (const RequestOutput& out : job->wait(kPollInterval))
      apply_output(*job, st, out, ctx.metrics);
  }
  thread_request_tokens().completion = st.usage().completion_tokens;
  if (job->closed())
    return error_response(503,
                          "the request was aborted: the server is stopping or the model "
                          "was unloaded",
                          "service_unavailable");
  if (!st.error.empty()) return error_response(500, st.error, "internal_server_error");
  const Tokenizer& tok = engine.tokenizer();
  if (chat) {
    for (auto& c : st.choices) {
      ChatMessage m = chat_message(*output, c.text, c.finish);
      c.message = std::move(m.message);
      c.tool_calls_finish = m.tool_calls_finish;
    }
    return json_response(
        200, chat_response(header, st.choices, st.usage(), tok, logprobs, req.tokens_as_ids));
  }
  if (req.echo)
    for (size_t i = 0; i < st.choices.size(); ++i)
      st.choices[i].text = prompts[i / n].text + st.choices[i].text;
  return json_response(
      200, completion_response(header, st.choices, st.usage(), tok, logprobs, req.tokens_as_ids));
}

void check_token_ids(const Engine& engine, const std::vector<int32_t>& ids, const char* param) {
  int32_t vocab = engine.tokenizer().vocab_size();
  for (int32_t id : ids)
    if (id < 0 || id >= vocab)
      throw ApiError(400,
                     "token id " + std::to_string(id) + " is outside the vocabulary (size " +
                         std::to_string(vocab) + ")",
                     "invalid_request_error", param);
}

// The most bytes one token stands for (cached per engine): a text longer than max_model_len
// times this cannot fit, so it is refused before the tokenizer spends time and memory on it.
size_t max_token_bytes(const std::shared_ptr<Engine>& engine) {
  static std::mutex mu;
  static std::weak_ptr<Engine> cached_for;
  static size_t cached = 1;
  std::lock_guard lock(mu);
  if (cached_for.lock() != engine) {
    const Tokenizer& tok = engine->tokenizer();
    size_t most = 1;
    for (int32_t id = 0; id < tok.vocab_size(); ++id)
      most = std::max({most, tok.token_bytes(id).size(), tok.id_to_token(id).size()});
    cached = most;
    cached_for = engine;
  }
  return cached;
}

void check_text_fits(const ServingContext& ctx, size_t text_bytes, const char* param) {
  const int max_len = ctx.engine->max_model_len();
  if (text_bytes / max_token_bytes(ctx.engine) >= static_cast<size_t>(max_len))
    throw ApiError(400,
                   "This model's maximum context length is " + std::to_string(max_len) +
                       " tokens; a text of " + std::to_string(text_bytes) +
                       " bytes cannot fit. Please reduce the length of the input.",
                   "invalid_request_error", param);
}

void check_sequences(const ServingContext& ctx, size_t prompts, int n) {
  if (prompts * static_cast<size_t>(std::max(n, 1)) > static_cast<size_t>(ctx.max_sequences))
    throw ApiError(400,
                   "this request asks for " + std::to_string(prompts) + " prompt(s) x n=" +
                       std::to_string(n) + " sequences; the server allows at most " +
                       std::to_string(ctx.max_sequences) + " per request",
                   "invalid_request_error", "n");
}

}  // namespace

HttpResponse serve_chat(const ServingContext& ctx, const std::string& body) {
  GenerationRequest req = parse_generation(ctx, body, parse_chat_request);
  // The template writes the tools with tojson: in the client's key order, as vLLM does (the
  // validated request was parsed into sorted objects).
  if (!req.chat.tools.is_null()) req.chat.tools = OrderedJson::parse(body).at("tools");
  const Engine& engine = *ctx.engine;
  check_sequences(ctx, 1, req.params.n);
  // Rendered first, so that a text that cannot fit is refused before the tokenizer runs.
  ChatPrompt chat = render_chat_prompt(engine.chat_template(), req.chat);
  check_text_fits(ctx, chat.text.size(), "messages");
  ChatOutputConfig output = chat_output_config(req.tools, chat, ctx.chat_output);
  adjust_params_for_tools(output, req.tools, req.params);
  tokenize_chat_prompt(engine.tokenizer(), chat);
  req.params.add_stops(chat.stop, chat.stop_token_ids);
  return run_generation(ctx, req, {Prompt{std::move(chat.ids), std::move(chat.text)}}, &output);
}

HttpResponse serve_completions(const ServingContext& ctx, const std::string& body) {
  GenerationRequest req = parse_generation(ctx, body, parse_completion_request);
  const Engine& engine = *ctx.engine;
  check_sequences(ctx, req.prompt_texts.size() + req.prompt_ids.size(), req.params.n);
  for (const auto& text : req.prompt_texts) check_text_fits(ctx, text.size(), "prompt");
  std::vector<Prompt> prompts;
  for (const auto& text : req.prompt_texts)
    prompts.push_back({encode_text_prompt(engine.tokenizer(), text), text});
  for (const auto& ids : req.prompt_ids) {
    check_token_ids(engine, ids, "prompt");
    prompts.push_back({ids, req.echo ? engine.tokenizer().decode(ids) : std::string()});
  }
  return run_generation(ctx, req, prompts, nullptr);
}

HttpResponse serve_models(const ServingContext& ctx, const std::string&) {
  Json data = Json::array();
  if (ctx.engine)
    data.push_back(model_card(ctx.model_name, ctx.engine->max_model_len(), unix_time_now()));
  return json_response(200, {{"object", "list"}, {"data", data}});
}

HttpResponse serve_tokenize(const ServingContext& ctx, const std::string& body) {
  const Engine& engine = require_engine(ctx);
  Json j = parse_body(body);
  if (auto m = j.find("model"); m != j.end() && !m->is_null()) {
    if (!m->is_string())
      throw ApiError(400, "'model' must be a string", "invalid_request_error", "model");
    check_model(ctx, m->get<std::string>());
  }
  std::string text;
  bool add_special = true;
  if (j.contains("messages")) {
    // Reuses the chat parser so that messages are validated the same way.
    GenerationRequest req = parse_chat_request(j, engine.generation_defaults());
    text = render_chat_prompt(engine.chat_template(), req.chat).text;
    add_special = false;
  } else {
    auto p = j.find("prompt");
    if (p == j.end() || !p->is_string())
      throw ApiError(400, "'prompt' (a string) or 'messages' is required", "invalid_request_error",
                     "prompt");
    text = p->get<std::string>();
  }
  if (auto a = j.find("add_special_tokens"); a != j.end() && !a->is_null()) {
    if (!a->is_boolean())
      throw ApiError(400, "'add_special_tokens' must be a boolean", "invalid_request_error",
                     "add_special_tokens");
    add_special = a->get<bool>();
  }
  check_text_fits(ctx, text.size(), j.contains("messages") ? "messages" : "prompt");
  std::vector<int32_t> ids = engine.tokenizer().encode(text, add_special);
  Json r = {{"count", ids.size()}, {"max_model_len", engine.max_model_len()}, {"tokens", ids}};
  if (auto s = j.find("return_token_strs"); s != j.end() && s->is_boolean() && s->get<bool>()) {
    Json strs = Json::array();
    for (int32_t id : ids) strs.push_back(utf8::sanitize(engine.tokenizer().id_to_token(id)));
    r["token_strs"] = strs;
  }
  return json_response(200, r);
}

HttpResponse serve_detokenize(const ServingContext& ctx, const std::string& body) {
  const Engine& engine = require_engine(ctx);
  Json j = parse_body(body);
  auto t = j.find("tokens");
  if (t == j.end()) throw ApiError(400, "'tokens' is required", "invalid_request_error", "tokens");
  if (!t->is_array())
    throw ApiError(400, "'tokens' must be a list of token ids", "invalid_request_error", "tokens");
  if (t->size() > static_cast<size_t>(engine.max_model_len()))
    throw ApiError(400,
                   "'tokens' holds " + std::to_string(t->size()) +
                       " ids, more than the model's maximum context length (" +
                       std::to_string(engine.max_model_len()) + ")",
                   "invalid_request_error", "tokens");
  std::vector<int32_t> ids;
  for (const auto& v : *t) {
    if (!v.is_number_integer())
      throw ApiError(400, "'tokens' must hold integer token ids", "invalid_request_error",
                     "tokens");
    int64_t id = v.get<int64_t>();
    if (id < 0 || id > std::numeric_limits<int32_t>::max())
      throw ApiError(400, "token id " + std::to_string(id) + " is out of range",
                     "invalid_request_error", "tokens");
    ids.push_back(static_cast<int32_t>(id));
  }
  check_token_ids(engine, ids, "tokens");
  return json_response(200, {{"prompt", engine.tokenizer().decode(ids)}});
}

HttpResponse serve_health(const ServingContext& ctx, const std::string&) {
  if (!ctx.engine)
    return error_response(503, "no model is loaded", "service_unavailable", "", "model_not_loaded");
  HttpResponse r;
  r.content_type = "text/plain";
  return r;
}

HttpResponse serve_version(const ServingContext&, const std::string&) {
  return json_response(200, {{"version", PAGODA_VERSION}});
}

HttpResponse serve_metrics(const ServingContext& ctx, const std::string&) {
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  if (ctx.engine) {
    EngineStats s = ctx.engine->stats();
    r.body = ctx.metrics->render(ctx.model_name, &s);
  } else {
    r.body = ctx.metrics->render(ctx.model_name, nullptr);
  }
  return r;
}

}  // namespace pagoda::server
