#include "app/server/protocol.h"

#include <limits>
#include <random>

#include "app/server/structured_request.h"
#include "engine/chat/prompt.h"
#include "engine/util/utf8.h"

namespace pagoda::server {

namespace {

[[noreturn]] void bad(const std::string& param, const std::string& message) {
  throw ApiError(400, message, "invalid_request_error", param);
}

// Field readers: absent or null means "not given"; a wrong type is a 400 naming the field.
std::optional<bool> get_bool(const Json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) bad(key, std::string("'") + key + "' must be a boolean");
  return it->get<bool>();
}

std::optional<int64_t> get_int(const Json& o, const char* key, int64_t lo, int64_t hi) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::nullopt;
  if (it->is_number_unsigned()) {
    uint64_t u = it->get<uint64_t>();
    if (u > static_cast<uint64_t>(hi) || static_cast<int64_t>(u) < lo)
      bad(key, std::string("'") + key + "' must be between " + std::to_string(lo) + " and " +
                   std::to_string(hi));
    return static_cast<int64_t>(u);
  }
  if (!it->is_number_integer()) bad(key, std::string("'") + key + "' must be an integer");
  int64_t v = it->get<int64_t>();
  if (v < lo || v > hi)
    bad(key, std::string("'") + key + "' must be between " + std::to_string(lo) + " and " +
                 std::to_string(hi));
  return v;
}

std::optional<std::string> get_string(const Json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) bad(key, std::string("'") + key + "' must be a string");
  return it->get<std::string>();
}

std::vector<int32_t> token_id_list(const Json& arr, const char* key, bool allow_empty) {
  std::vector<int32_t> ids;
  if (!arr.is_array()) bad(key, std::string("'") + key + "' must be a list of token ids");
  if (arr.empty() && !allow_empty) bad(key, std::string("'") + key + "' must not be empty");
  ids.reserve(arr.size());
  for (const auto& v : arr) {
    if (!v.is_number_integer() || v.get<int64_t>() < 0 ||
        v.get<int64_t>() > std::numeric_limits<int32_t>::max())
      bad(key, std::string("'") + key + "' must hold non-negative integer token ids");
    ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
  }
  return ids;
}

std::optional<float> get_float(const Json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) bad(key, std::string("'") + key + "' must be a number");
  return static_cast<float>(it->get<double>());
}

std::optional<int> get_int32(const Json& o, const char* key, int64_t lo) {
  if (auto v = get_int(o, key, lo, std::numeric_limits<int32_t>::max()))
    return static_cast<int>(*v);
  return std::nullopt;
}

// Fields shared by chat and completions (vLLM's SamplingParams extras included): JSON types are
// checked here, ranges by SamplingParams::check() once the model's defaults are merged.
void parse_common(const Json& b, GenerationRequest& r, SamplingRequest& s) {
  if (auto m = get_string(b, "model")) r.model = *m;
  r.stream = get_bool(b, "stream").value_or(false);
  if (auto it = b.find("stream_options"); it != b.end() && !it->is_null()) {
    if (!it->is_object()) bad("stream_options", "'stream_options' must be an object");
    if (!r.stream) bad("stream_options", "'stream_options' is only allowed when 'stream' is true");
    r.include_usage = get_bool(*it, "include_usage").value_or(false);
  }
  s.n = get_int32(b, "n", std::numeric_limits<int32_t>::min());
  s.temperature = get_float(b, "temperature");
  s.top_p = get_float(b, "top_p");
  s.top_k = get_int32(b, "top_k", std::numeric_limits<int32_t>::min());
  s.min_p = get_float(b, "min_p");
  s.presence_penalty = get_float(b, "presence_penalty");
  s.frequency_penalty = get_float(b, "frequency_penalty");
  s.repetition_penalty = get_float(b, "repetition_penalty");
  if (auto it = b.find("seed"); it != b.end() && !it->is_null()) {
    if (!it->is_number_integer()) bad("seed", "'seed' must be an integer");
    s.seed =
        it->is_number_unsigned() ? it->get<uint64_t>() : static_cast<uint64_t>(it->get<int64_t>());
  }
  s.max_tokens = get_int32(b, "max_tokens", 1);
  r.max_tokens_given = s.max_tokens.has_value();
  s.min_tokens = get_int32(b, "min_tokens", 0);
  if (auto it = b.find("stop"); it != b.end() && !it->is_null()) {
    std::vector<std::string> stop;
    if (it->is_string()) {
      stop.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      if (it->size() > 64) bad("stop", "'stop' holds at most 64 strings");
      for (const auto& v : *it) {
        if (!v.is_string()) bad("stop", "'stop' must be a string or a list of strings");
        stop.push_back(v.get<std::string>());
      }
    } else {
      bad("stop", "'stop' must be a string or a list of strings");
    }
    s.stop = std::move(stop);
  }
  if (auto it = b.find("stop_token_ids"); it != b.end() && !it->is_null())
    s.stop_token_ids = token_id_list(*it, "stop_token_ids", true);
  s.ignore_eos = get_bool(b, "ignore_eos");
  s.skip_special_tokens = get_bool(b, "skip_special_tokens");
  s.include_stop_str_in_output = get_bool(b, "include_stop_str_in_output");
  r.tokens_as_ids = get_bool(b, "return_tokens_as_token_ids").value_or(false);
  if (b.contains("suffix") && !b["suffix"].is_null()) bad("suffix", "'suffix' is not supported");
  parse_structured_output(b, s);
}

// The one merge of request and generation_config, and the one range check.
void finish_params(GenerationRequest& r, const SamplingRequest& s,
                   const GenerationDefaults& defaults) {
  r.params = SamplingParams::with_defaults(defaults, s);
  if (auto e = r.params.check()) bad(e->param, e->message);
}

}  // namespace

std::string error_body(const std::string& message, const std::string& type,
                       const std::string& param, const std::string& code) {
  Json e = {{"message", utf8::sanitize(message)},
            {"type", type},
            {"param", param.empty() ? Json() : Json(param)},
            {"code", code.empty() ? Json() : Json(code)}};
  return Json{{"error", e}}.dump();
}

Json parse_body(const std::string& body, int max_depth) {
  // Depth is checked before parsing so that a body of a million '[' costs one scan.
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        throw ApiError(400, "request body nests deeper than " + std::to_string(max_depth));
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  Json j;
  try {
    j = Json::parse(body);
  } catch (const Json::exception& e) {
    throw ApiError(400, std::string("request body is not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw ApiError(400, "request body must be a JSON object");
  return j;
}

GenerationRequest parse_chat_request(const Json& b, const GenerationDefaults& defaults) {
  GenerationRequest r;
  SamplingRequest s;
  parse_common(b, r, s);
  auto it = b.find("messages");
  if (it == b.end() || !it->is_array() || it->empty())
    bad("messages", "'messages' must be a non-empty list");
  try {
    r.chat.messages = normalize_messages(OrderedJson::parse(it->dump()));
  } catch (const InvalidArgument& e) {
    bad("messages", e.what());
  }
  if (auto v = get_int32(b, "max_completion_tokens", 1)) {
    s.max_tokens = *v;
    r.max_tokens_given = true;
  }
  r.chat_logprobs = get_bool(b, "logprobs").value_or(false);
  auto top = get_int(b, "top_logprobs", 0, 20);
  if (top && !r.chat_logprobs) bad("top_logprobs", "'top_logprobs' requires 'logprobs': true");
  if (r.chat_logprobs) s.logprobs = static_cast<int>(top.value_or(0));
  if (auto v = get_bool(b, "add_generation_prompt")) r.chat.add_generation_prompt = *v;
  if (auto kw = b.find("chat_template_kwargs"); kw != b.end() && !kw->is_null()) {
    if (!kw->is_object()) bad("chat_template_kwargs", "'chat_template_kwargs' must be an object");
    r.chat.extra = OrderedJson::parse(kw->dump());
  }
  r.tools = parse_tool_request(b, s, r.chat);
  finish_params(r, s, defaults);
  return r;
}

GenerationRequest parse_completion_request(const Json& b, const GenerationDefaults& defaults) {
  GenerationRequest r;
  SamplingRequest s;
  parse_common(b, r, s);
  if (!s.max_tokens) s.max_tokens = 16;  // vLLM's completions default, over generation_config
  r.echo = get_bool(b, "echo").value_or(false);
  s.logprobs = get_int32(b, "logprobs", 0);
  auto it = b.find("prompt");
  if (it == b.end() || it->is_null()) bad("prompt", "'prompt' is required");
  const Json& p = *it;
  if (p.is_string()) {
    r.prompt_texts.push_back(p.get<std::string>());
  } else if (p.is_array() && !p.empty() && p[0].is_string()) {
    for (const auto& s : p) {
      if (!s.is_string()) bad("prompt", "'prompt' list must hold only strings");
      r.prompt_texts.push_back(s.get<std::string>());
    }
  } else if (p.is_array() && !p.empty() && p[0].is_array()) {
    for (const auto& ids : p) r.prompt_ids.push_back(token_id_list(ids, "prompt", false));
  } else if (p.is_array() && !p.empty()) {
    r.prompt_ids.push_back(token_id_list(p, "prompt", false));
  } else {
    bad("prompt", "'prompt' must be a string, a list of strings or a list of token ids");
  }
  if (r.prompt_texts.size() + r.prompt_ids.size() > 64)
    bad("prompt", "at most 64 prompts per request");
  finish_params(r, s, defaults);
  return r;
}

Json Usage::to_json() const {
  Json u = {{"prompt_tokens", prompt_tokens},
            {"completion_tokens", completion_tokens},
            {"total_tokens", prompt_tokens + completion_tokens}};
  if (cached_tokens > 0) u["prompt_tokens_details"] = {{"cached_tokens", cached_tokens}};
  return u;
}

std::string random_id(const std::string& prefix) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id = prefix;
  for (int i = 0; i < 2; ++i) {
    uint64_t v = rng();
    for (int k = 0; k < 16; ++k, v >>= 4) id += hex[v & 15];
  }
  return id;
}

int64_t unix_time_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Json finish_reason_json(FinishReason r) {
  if (r == FinishReason::None) return nullptr;
  return finish_reason_name(r);
}

Json stop_reason_json(const ChoiceResult& c) {
  if (c.stop_reason.empty()) return nullptr;
  return c.stop_reason;
}

namespace {
std::string token_name(const Tokenizer& tok, int32_t id, bool as_id) {
  return as_id ? "token_id:" + std::to_string(id) : utf8::sanitize(tok.token_bytes(id));
}

Json token_entry(const Tokenizer& tok, int32_t id, float logprob, bool as_id) {
  std::string bytes = tok.token_bytes(id);
  Json b = Json::array();
  for (unsigned char ch : bytes) b.push_back(static_cast<int>(ch));
  return {{"token", token_name(tok, id, as_id)}, {"logprob", logprob}, {"bytes", b}};
}
}  // namespace

Json chat_logprobs_json(const Tokenizer& tok, const std::vector<TokenLogprob>& lps,
                        bool tokens_as_ids) {
  Json content = Json::array();
  for (const auto& lp : lps) {
    Json e = token_entry(tok, lp.token_id, lp.logprob, tokens_as_ids);
    Json top = Json::array();
    for (const auto& [id, v] : lp.top) top.push_back(token_entry(tok, id, v, tokens_as_ids));
    e["top_logprobs"] = top;
    content.push_back(e);
  }
  return {{"content", content}};
}

Json completion_logprobs_json(const Tokenizer& tok, const std::vector<TokenLogprob>& lps,
                              size_t text_offset, bool tokens_as_ids) {
  Json tokens = Json::array(), token_lps = Json::array(), tops = Json::array(),
       offsets = Json::array();
  for (const auto& lp : lps) {
    std::string text = utf8::sanitize(tok.token_bytes(lp.token_id));
    tokens.push_back(token_name(tok, lp.token_id, tokens_as_ids));
    token_lps.push_back(lp.logprob);
    Json top = Json::object();
    for (const auto& [id, v] : lp.top) top[token_name(tok, id, tokens_as_ids)] = v;
    tops.push_back(top);
    offsets.push_back(text_offset);
    text_offset += text.size();
  }
  return {{"text_offset", offsets},
          {"token_logprobs", token_lps},
          {"tokens", tokens},
          {"top_logprobs", tops}};
}

Json chat_response(const ResponseHeader& h, const std::vector<ChoiceResult>& choices,
                   const Usage& usage, const Tokenizer& tok, bool logprobs, bool tokens_as_ids) {
  Json cs = Json::array();
  for (size_t i = 0; i < choices.size(); ++i) {
    const auto& c = choices[i];
    cs.push_back(
        {{"index", i},
         {"message", c.message.is_null() ? Json{{"role", "assistant"},
                                                {"content", c.text},
                                                {"tool_calls", Json::array()}}
                                          : c.message},
         {"logprobs", logprobs ? chat_logprobs_json(tok, c.logprobs, tokens_as_ids) : Json()},
         {"finish_reason", c.tool_calls_finish ? Json("tool_calls") : finish_reason_json(c.finish)},
         {"stop_reason", stop_reason_json(c)}});
  }
  return {{"id", h.id},           {"object", "chat.completion"},
          {"created", h.created}, {"model", h.model},
          {"choices", cs},        {"usage", usage.to_json()}};
}

Json completion_response(const ResponseHeader& h, const std::vector<ChoiceResult>& choices,
                         const Usage& usage, const Tokenizer& tok, bool logprobs,
                         bool tokens_as_ids) {
  Json cs = Json::array();
  for (size_t i = 0; i < choices.size(); ++i) {
    const auto& c = choices[i];
    cs.push_back({{"index", i},
                  {"text", c.text},
                  {"logprobs",
                   logprobs ? completion_logprobs_json(tok, c.logprobs, 0, tokens_as_ids) : Json()},
                  {"finish_reason", finish_reason_json(c.finish)},
                  {"stop_reason", stop_reason_json(c)}});
  }
  return {{"id", h.id},           {"object", "text_completion"},
          {"created", h.created}, {"model", h.model},
          {"choices", cs},        {"usage", usage.to_json()}};
}

Json chat_chunk(const ResponseHeader& h, Json choices) {
  return {{"id", h.id},
          {"object", "chat.completion.chunk"},
          {"created", h.created},
          {"model", h.model},
          {"choices", std::move(choices)}};
}

Json completion_chunk(const ResponseHeader& h, Json choices) {
  return {{"id", h.id},
          {"object", "text_completion"},
          {"created", h.created},
          {"model", h.model},
          {"choices", std::move(choices)}};
}

std::string sse_event(const Json& j) {
  // Engine text is valid UTF-8, but a hostile stop string need not be: never throw here.
  return "data: " + j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n\n";
}

Json model_card(const std::string& id, int max_model_len, int64_t created) {
  return {{"id", id},
          {"object", "model"},
          {"created", created},
          {"owned_by", "pagoda"},
          {"root", id},
          {"parent", nullptr},
          {"max_model_len", max_model_len},
          {"permission", Json::array()}};
}

}  // namespace pagoda::server
