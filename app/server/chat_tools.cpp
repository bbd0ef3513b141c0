#include "app/server/chat_tools.h"

#include "app/server/protocol.h"

namespace pagoda::server {

namespace {

[[noreturn]] void bad(const std::string& param, const std::string& message) {
  throw ApiError(400, message, "invalid_request_error", param);
}

// {"type":"function","function":{"name":..., "description"?, "parameters"?}}
void check_tool(const Json& t, size_t i) {
  const std::string where = "tools[" + std::to_string(i) + "]";
  if (!t.is_object()) bad("tools", where + " must be an object");
  if (t.value("type", Json()) != "function")
    bad("tools", where + ".type must be \"function\"");
  auto f = t.find("function");
  if (f == t.end() || !f->is_object()) bad("tools", where + ".function must be an object");
  auto name = f->find("name");
  if (name == f->end() || !name->is_string() || name->get<std::string>().empty())
    bad("tools", where + ".function.name must be a non-empty string");
  if (auto d = f->find("description"); d != f->end() && !d->is_null() && !d->is_string())
    bad("tools", where + ".function.description must be a string");
  if (auto p = f->find("parameters"); p != f->end() && !p->is_null() && !p->is_object())
    bad("tools", where + ".function.parameters must be a JSON schema object");
}

const Json* find_tool(const Json& tools, const std::string& name) {
  for (const auto& t : tools)
    if (t["function"]["name"] == name) return &t;
  return nullptr;
}

Json parameters_of(const Json& tool) {
  auto p = tool["function"].find("parameters");
  if (p == tool["function"].end() || p->is_null()) return {{"type", "object"}};
  return *p;
}

std::set<std::string> tool_names(const Json& tools) {
  std::set<std::string> names;
  for (const auto& t : tools) names.insert(t["function"]["name"].get<std::string>());
  return names;
}

Json tool_call_json(const ToolCall& c) {
  return {{"id", c.id},
          {"type", "function"},
          {"function", {{"name", c.name}, {"arguments", c.arguments}}}};
}

}  // namespace

Json named_tool_schema(const Json& tools, const std::string& name) {
  const Json* t = find_tool(tools, name);
  return t ? parameters_of(*t) : Json{{"type", "object"}};
}

Json required_tools_schema(const Json& tools) {
  Json any = Json::array();
  for (const auto& t : tools)
    any.push_back({{"type", "object"},
                   {"properties",
                    {{"name", {{"type", "string"}, {"enum", {t["function"]["name"]}}}},
                     {"parameters", parameters_of(t)}}},
                   {"required", {"name", "parameters"}}});
  return {{"type", "array"}, {"minItems", 1}, {"items", {{"anyOf", any}}}};
}

ToolRequest parse_tool_request(const Json& b, SamplingRequest& s, ChatTemplateInputs& chat) {
  ToolRequest r;
  r.skip_special_given = b.contains("skip_special_tokens") && !b["skip_special_tokens"].is_null();
  if (auto tools = b.find("tools"); tools != b.end() && !tools->is_null()) {
    if (!tools->is_array()) bad("tools", "'tools' must be a list");
    for (size_t i = 0; i < tools->size(); ++i) check_tool((*tools)[i], i);
    r.tools = *tools;
  }
  r.choice = r.tools.empty() ? ToolRequest::Choice::none : ToolRequest::Choice::automatic;
  if (auto c = b.find("tool_choice"); c != b.end() && !c->is_null()) {
    if (c->is_string()) {
      const std::string v = c->get<std::string>();
      if (v == "none")
        r.choice = ToolRequest::Choice::none;
      else if (v == "auto")
        r.choice = r.tools.empty() ? ToolRequest::Choice::none : ToolRequest::Choice::automatic;
      else if (v == "required")
        r.choice = ToolRequest::Choice::required;
      else
        bad("tool_choice", "'tool_choice' must be \"none\", \"auto\", \"required\" or "
                           "{\"type\":\"function\",\"function\":{\"name\":...}}");
    } else if (c->is_object()) {
      auto f = c->find("function");
      if (c->value("type", Json()) != "function" || f == c->end() || !f->is_object() ||
          !f->contains("name") || !(*f)["name"].is_string())
        bad("tool_choice",
            "'tool_choice' as an object must be {\"type\":\"function\",\"function\":{\"name\":...}}");
      r.choice = ToolRequest::Choice::named;
      r.named = (*f)["name"].get<std::string>();
    } else {
      bad("tool_choice", "'tool_choice' must be a string or an object");
    }
  }
  if ((r.choice == ToolRequest::Choice::required || r.choice == ToolRequest::Choice::named) &&
      r.tools.empty())
    bad("tool_choice", "'tool_choice' \"required\" or a named function needs 'tools'");
  if (r.choice == ToolRequest::Choice::named && !find_tool(r.tools, r.named))
    bad("tool_choice", "'tool_choice' names the function '" + r.named + "', which 'tools' lacks");
  if (r.choice == ToolRequest::Choice::required || r.choice == ToolRequest::Choice::named) {
    if (s.structured_output)
      bad("tool_choice", "'tool_choice' \"required\" or a named function cannot be combined "
                         "with 'response_format' or guided decoding");
    StructuredOutput so;
    so.kind = StructuredOutput::Kind::json_schema;
    so.spec = (r.choice == ToolRequest::Choice::named ? named_tool_schema(r.tools, r.named)
                                                      : required_tools_schema(r.tools))
                  .dump();
    s.structured_output = std::move(so);
  }
  // tool_choice "none": the template is not shown the tools (vLLM's default).
  chat.tools = r.active() ? OrderedJson::parse(r.tools.dump()) : OrderedJson();
  return r;
}

ChatOutputConfig chat_output_config(const ToolRequest& request, const ChatPrompt& prompt,
                                    const ChatOutputOverrides& overrides) {
  ChatOutputConfig c;
  c.choice = request.active() ? request.choice : ToolRequest::Choice::none;
  if (request.active() && !prompt.supports_tools)
    bad("tools", "this model's chat template does not support tools");
  if (request.active()) c.tools.names = tool_names(request.tools);
  switch (c.choice) {
    case ToolRequest::Choice::automatic:
      c.tools.format = overrides.tool_call_parser.empty()
                           ? prompt.tool_format
                           : tool_call_format_from_name(overrides.tool_call_parser)
                                 .value_or(ToolCallFormat::none);
      break;
    case ToolRequest::Choice::required: c.tools.format = ToolCallFormat::json_array; break;
    case ToolRequest::Choice::named:
      c.tools.format = ToolCallFormat::json_arguments;
      c.tools.forced_name = request.named;
      break;
    case ToolRequest::Choice::none: break;
  }
  c.reasoning = overrides.reasoning_parser.empty()
                    ? prompt.reasoning_format
                    : reasoning_format_from_name(overrides.reasoning_parser)
                          .value_or(ReasoningFormat::none);
  c.starts_in_reasoning = c.reasoning != ReasoningFormat::none && prompt.opens_reasoning;
  return c;
}

void adjust_params_for_tools(const ChatOutputConfig& config, const ToolRequest& request,
                             SamplingParams& params) {
  if (config.tools.format == ToolCallFormat::mistral && !request.skip_special_given)
    params.skip_special_tokens = false;
}

ChatMessage chat_message(const ChatOutputConfig& config, const std::string& text,
                         FinishReason finish) {
  ChatMessage m;
  std::string content = text;
  Json reasoning;
  if (config.reasoning != ReasoningFormat::none) {
    ReasoningSplit split = split_reasoning(text, config.starts_in_reasoning);
    if (split.has_reasoning) reasoning = split.reasoning;
    content = std::move(split.content);
  }
  Json calls = Json::array();
  if (config.tools.format != ToolCallFormat::none) {
    ParsedToolOutput parsed = parse_tool_calls(config.tools, content);
    for (const ToolCall& c : parsed.calls) calls.push_back(tool_call_json(c));
    content = std::move(parsed.content);
  }
  m.message = {{"role", "assistant"},
               {"content", calls.empty() || !content.empty() ? Json(content) : Json()},
               {"tool_calls", calls}};
  if (config.reasoning != ReasoningFormat::none) m.message["reasoning_content"] = reasoning;
  m.tool_calls_finish =
      !calls.empty() && (config.choice == ToolRequest::Choice::automatic ||
                         (config.choice == ToolRequest::Choice::required &&
                          finish == FinishReason::Stop));
  return m;
}

ChatOutputStream::ChatOutputStream(const ChatOutputConfig& config) : config_(config) {
  if (config.reasoning != ReasoningFormat::none) reasoning_.emplace(config.starts_in_reasoning);
  if (config.tools.format != ToolCallFormat::none) tools_.emplace(config.tools);
}

std::vector<Json> ChatOutputStream::feed(const std::string& text, bool at_end) {
  if (!reasoning_) return content_deltas(text, at_end);
  ReasoningDelta d = reasoning_->feed(text);
  if (at_end) {
    ReasoningDelta tail = reasoning_->finish();
    d.reasoning += tail.reasoning;
    d.content += tail.content;
  }
  std::vector<Json> out;
  if (!d.reasoning.empty()) out.push_back({{"reasoning_content", d.reasoning}});
  for (Json& j : content_deltas(d.content, at_end)) out.push_back(std::move(j));
  return out;
}

std::vector<Json> ChatOutputStream::content_deltas(const std::string& content, bool at_end) {
  std::vector<Json> out;
  if (!tools_) {
    if (!content.empty()) out.push_back({{"content", content}});
    return out;
  }
  ToolStreamDelta d = tools_->feed(content);
  if (at_end) {
    ToolStreamDelta tail = tools_->finish();
    d.content += tail.content;
    d.calls.insert(d.calls.end(), tail.calls.begin(), tail.calls.end());
  }
  if (!d.content.empty()) out.push_back({{"content", d.content}});
  for (const ToolCallDelta& c : d.calls) {
    Json call = {{"index", c.index}};
    if (c.first) {
      call["id"] = c.id;
      call["type"] = "function";
      call["function"] = {{"name", c.name}, {"arguments", ""}};
    } else {
      call["function"] = {{"arguments", c.arguments}};
    }
    out.push_back({{"tool_calls", Json::array({call})}});
  }
  return out;
}

bool ChatOutputStream::tool_calls_finish(FinishReason finish) const {
  if (!tools_ || !tools_->called()) return false;
  return config_.choice == ToolRequest::Choice::automatic ||
         (config_.choice == ToolRequest::Choice::required && finish == FinishReason::Stop);
}

}  // namespace pagoda::server
