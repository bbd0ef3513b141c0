#include "server/protocol.h"

#include <limits>
#include <random>

#include "util/utf8.h"

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

std::optional<double> get_number(const Json& o, const char* key, double lo, double hi) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) bad(key, std::string("'") + key + "' must be a number");
  double v = it->get<double>();
  if (!(v >= lo && v <= hi))
    bad(key, std::string("'") + key + "' must be between " + std::to_string(lo) + " and " +
                 std::to_string(hi));
  return v;
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

// Fields shared by chat and completions (vLLM's SamplingParams extras included).
void parse_common(const Json& b, GenerationRequest& r, const GenerationDefaults& defaults) {
  r.params = SamplingParams::from_defaults(defaults);
  SamplingParams& p = r.params;
  if (auto m = get_string(b, "model")) r.model = *m;
  r.stream = get_bool(b, "stream").value_or(false);
  if (auto it = b.find("stream_options"); it != b.end() && !it->is_null()) {
    if (!it->is_object()) bad("stream_options", "'stream_options' must be an object");
    if (!r.stream) bad("stream_options", "'stream_options' is only allowed when 'stream' is true");
    r.include_usage = get_bool(*it, "include_usage").value_or(false);
  }
  if (auto v = get_int(b, "n", 1, 128)) p.n = static_cast<int>(*v);
  if (auto v = get_number(b, "temperature", 0.0, 100.0)) p.temperature = static_cast<float>(*v);
  if (auto v = get_number(b, "top_p", 1e-9, 1.0)) p.top_p = static_cast<float>(*v);
  if (auto v = get_int(b, "top_k", -1, std::numeric_limits<int32_t>::max()))
    p.top_k = static_cast<int>(*v);
  if (auto v = get_number(b, "min_p", 0.0, 1.0)) p.min_p = static_cast<float>(*v);
  if (auto v = get_number(b, "presence_penalty", -2.0, 2.0))
    p.presence_penalty = static_cast<float>(*v);
  if (auto v = get_number(b, "frequency_penalty", -2.0, 2.0))
    p.frequency_penalty = static_cast<float>(*v);
  if (auto v = get_number(b, "repetition_penalty", 1e-6, 100.0))
    p.repetition_penalty = static_cast<float>(*v);
  if (auto it = b.find("seed"); it != b.end() && !it->is_null()) {
    if (!it->is_number_integer()) bad("seed", "'seed' must be an integer");
    p.seed =
        it->is_number_unsigned() ? it->get<uint64_t>() : static_cast<uint64_t>(it->get<int64_t>());
  }
  constexpr int64_t kMaxTokens = std::numeric_limits<int32_t>::max();
  if (auto v = get_int(b, "max_tokens", 1, kMaxTokens)) {
    p.max_tokens = static_cast<int>(*v);
    r.max_tokens_given = true;
  }
  if (auto v = get_int(b, "min_tokens", 0, kMaxTokens)) p.min_tokens = static_cast<int>(*v);
  if (auto it = b.find("stop"); it != b.end() && !it->is_null()) {
    p.stop.clear();
    if (it->is_string()) {
      p.stop.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      if (it->size() > 64) bad("stop", "'stop' holds at most 64 strings");
      for (const auto& s : *it) {
        if (!s.is_string()) bad("stop", "'stop' must be a string or a list of strings");
        p.stop.push_back(s.get<std::string>());
      }
    } else {
      bad("stop", "'stop' must be a string or a list of strings");
    }
    for (const auto& s : p.stop)
      if (s.empty()) bad("stop", "'stop' strings must not be empty");
  }
  if (auto it = b.find("stop_token_ids"); it != b.end() && !it->is_null())
    p.stop_token_ids = token_id_list(*it, "stop_token_ids", true);
  if (auto v = get_bool(b, "ignore_eos")) p.ignore_eos = *v;
  if (auto v = get_bool(b, "skip_special_tokens")) p.skip_special_tokens = *v;
  if (auto v = get_bool(b, "include_stop_str_in_output")) p.include_stop_str_in_output = *v;
  if (b.contains("suffix") && !b["suffix"].is_null()) bad("suffix", "'suffix' is not supported");
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
  parse_common(b, r, defaults);
  auto it = b.find("messages");
  if (it == b.end() || !it->is_array() || it->empty())
    bad("messages", "'messages' must be a non-empty list");
  for (const auto& m : *it) {
    if (!m.is_object()) bad("messages", "each message must be an object");
    auto role = m.find("role");
    if (role == m.end() || !role->is_string())
      bad("messages", "each message needs a 'role' string");
    OrderedJson msg = OrderedJson::parse(m.dump());
    auto content = m.find("content");
    if (content == m.end() || content->is_null()) {
      msg["content"] = nullptr;
    } else if (content->is_string()) {
      // kept as is
    } else if (content->is_array()) {
      // Text parts are joined with newlines, as vLLM does for text-only models.
      std::string text;
      bool first = true;
      for (const auto& part : *content) {
        if (!part.is_object() || !part.contains("type") || part["type"] != "text" ||
            !part.contains("text") || !part["text"].is_string())
          bad("messages", "content parts must be {\"type\":\"text\",\"text\":...}");
        if (!first) text += "\n";
        text += part["text"].get<std::string>();
        first = false;
      }
      msg["content"] = text;
    } else {
      bad("messages", "message 'content' must be a string or a list of text parts");
    }
    r.chat.messages.push_back(std::move(msg));
  }
  if (auto v = get_int(b, "max_completion_tokens", 1, std::numeric_limits<int32_t>::max())) {
    r.params.max_tokens = static_cast<int>(*v);
    r.max_tokens_given = true;
  }
  r.chat_logprobs = get_bool(b, "logprobs").value_or(false);
  auto top = get_int(b, "top_logprobs", 0, 20);
  if (top && !r.chat_logprobs) bad("top_logprobs", "'top_logprobs' requires 'logprobs': true");
  if (r.chat_logprobs) r.params.logprobs = static_cast<int>(top.value_or(0));
  if (auto v = get_bool(b, "add_generation_prompt")) r.chat.add_generation_prompt = *v;
  if (auto kw = b.find("chat_template_kwargs"); kw != b.end() && !kw->is_null()) {
    if (!kw->is_object()) bad("chat_template_kwargs", "'chat_template_kwargs' must be an object");
    r.chat.extra = OrderedJson::parse(kw->dump());
  }
  if (auto tools = b.find("tools"); tools != b.end() && !tools->is_null()) {
    if (!tools->is_array()) bad("tools", "'tools' must be a list");
    r.chat.tools = OrderedJson::parse(tools->dump());
  }
  return r;
}

GenerationRequest parse_completion_request(const Json& b, const GenerationDefaults& defaults) {
  GenerationRequest r;
  parse_common(b, r, defaults);
  if (!r.max_tokens_given) r.params.max_tokens = 16;
  r.echo = get_bool(b, "echo").value_or(false);
  if (auto v = get_int(b, "logprobs", 0, 20)) r.params.logprobs = static_cast<int>(*v);
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
Json token_entry(const Tokenizer& tok, int32_t id, float logprob) {
  std::string bytes = tok.token_bytes(id);
  Json b = Json::array();
  for (unsigned char ch : bytes) b.push_back(static_cast<int>(ch));
  return {{"token", utf8::sanitize(bytes)}, {"logprob", logprob}, {"bytes", b}};
}
}  // namespace

Json chat_logprobs_json(const Tokenizer& tok, const std::vector<TokenLogprob>& lps) {
  Json content = Json::array();
  for (const auto& lp : lps) {
    Json e = token_entry(tok, lp.token_id, lp.logprob);
    Json top = Json::array();
    for (const auto& [id, v] : lp.top) top.push_back(token_entry(tok, id, v));
    e["top_logprobs"] = top;
    content.push_back(e);
  }
  return {{"content", content}};
}

Json completion_logprobs_json(const Tokenizer& tok, const std::vector<TokenLogprob>& lps,
                              size_t text_offset) {
  Json tokens = Json::array(), token_lps = Json::array(), tops = Json::array(),
       offsets = Json::array();
  for (const auto& lp : lps) {
    std::string text = utf8::sanitize(tok.token_bytes(lp.token_id));
    tokens.push_back(text);
    token_lps.push_back(lp.logprob);
    Json top = Json::object();
    for (const auto& [id, v] : lp.top) top[utf8::sanitize(tok.token_bytes(id))] = v;
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
                   const Usage& usage, const Tokenizer& tok, bool logprobs) {
  Json cs = Json::array();
  for (size_t i = 0; i < choices.size(); ++i) {
    const auto& c = choices[i];
    cs.push_back(
        {{"index", i},
         {"message", {{"role", "assistant"}, {"content", c.text}, {"tool_calls", Json::array()}}},
         {"logprobs", logprobs ? chat_logprobs_json(tok, c.logprobs) : Json()},
         {"finish_reason", finish_reason_json(c.finish)},
         {"stop_reason", stop_reason_json(c)}});
  }
  return {{"id", h.id},           {"object", "chat.completion"},
          {"created", h.created}, {"model", h.model},
          {"choices", cs},        {"usage", usage.to_json()}};
}

Json completion_response(const ResponseHeader& h, const std::vector<ChoiceResult>& choices,
                         const Usage& usage, const Tokenizer& tok, bool logprobs) {
  Json cs = Json::array();
  for (size_t i = 0; i < choices.size(); ++i) {
    const auto& c = choices[i];
    cs.push_back({{"index", i},
                  {"text", c.text},
                  {"logprobs", logprobs ? completion_logprobs_json(tok, c.logprobs, 0) : Json()},
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
