#include "app/server/structured_request.h"

#include "app/server/protocol.h"
#include "engine/grammar/grammar.h"

namespace pagoda::server {

namespace {

[[noreturn]] void bad(const std::string& param, const std::string& message) {
  throw ApiError(400, message, "invalid_request_error", param);
}

using Kind = StructuredOutput::Kind;

// A schema given as an object (or a boolean), or as JSON text (vLLM accepts both).
std::string schema_text(const Json& v, const std::string& param) {
  if (v.is_object() || v.is_boolean()) return v.dump();
  if (v.is_string()) {
    try {
      return Json::parse(v.get<std::string>()).dump();
    } catch (const Json::exception&) {
      bad(param, "'" + param + "' is not valid JSON");
    }
  }
  bad(param, "'" + param + "' must be a JSON schema object");
}

std::optional<StructuredOutput> response_format(const Json& rf) {
  if (!rf.is_object()) bad("response_format", "'response_format' must be an object");
  auto type = rf.find("type");
  if (type == rf.end() || !type->is_string())
    bad("response_format", "'response_format.type' must be a string");
  const std::string t = type->get<std::string>();
  if (t == "text") return std::nullopt;
  if (t == "json_object") return StructuredOutput{Kind::json_object, "", {}};
  if (t != "json_schema")
    bad("response_format", "'response_format.type' must be 'text', 'json_object' or "
                           "'json_schema', not '" + t + "'");
  auto js = rf.find("json_schema");
  if (js == rf.end() || !js->is_object())
    bad("response_format", "'response_format.json_schema' must be an object");
  if (auto name = js->find("name"); name != js->end() && !name->is_string())
    bad("response_format", "'response_format.json_schema.name' must be a string");
  if (auto strict = js->find("strict"); strict != js->end() && !strict->is_null() &&
                                         !strict->is_boolean())
    bad("response_format", "'response_format.json_schema.strict' must be a boolean");
  auto schema = js->find("schema");
  if (schema == js->end() || schema->is_null()) return StructuredOutput{Kind::json_object, "", {}};
  if (!schema->is_object() && !schema->is_boolean())
    bad("response_format", "'response_format.json_schema.schema' must be an object");
  return StructuredOutput{Kind::json_schema, schema->dump(), {}};
}

// Compiles (cached: the engine finds it compiled); a refusal is a 400 naming the field.
void compile(const StructuredOutput& so, const std::string& param) {
  try {
    grammar::compile_grammar(so);
  } catch (const InvalidArgument& e) {
    bad(param, e.what());
  }
}

}  // namespace

void parse_structured_output(const Json& b, SamplingRequest& s) {
  std::optional<StructuredOutput> so;
  std::string param;
  auto given = [&](const char* key) {
    auto it = b.find(key);
    if (it == b.end() || it->is_null()) return false;
    if (!param.empty())
      bad(key, std::string("'") + key + "' cannot be combined with '" + param + "'");
    param = key;
    return true;
  };
  if (given("response_format")) so = response_format(b["response_format"]);
  if (given("guided_json")) so = StructuredOutput{Kind::json_schema,
                                                  schema_text(b["guided_json"], "guided_json"), {}};
  if (given("guided_regex")) {
    if (!b["guided_regex"].is_string()) bad("guided_regex", "'guided_regex' must be a string");
    so = StructuredOutput{Kind::regex, b["guided_regex"].get<std::string>(), {}};
  }
  if (given("guided_choice")) {
    const Json& c = b["guided_choice"];
    if (!c.is_array() || c.empty())
      bad("guided_choice", "'guided_choice' must be a non-empty list of strings");
    std::vector<std::string> choices;
    for (const Json& v : c) {
      if (!v.is_string() || v.get<std::string>().empty())
        bad("guided_choice", "'guided_choice' must be a non-empty list of non-empty strings");
      choices.push_back(v.get<std::string>());
    }
    so = StructuredOutput{Kind::choice, "", std::move(choices)};
  }
  if (given("guided_grammar"))
    bad("guided_grammar", "'guided_grammar' is not supported; use guided_json or guided_regex");
  if (!so) return;
  // A schema is compiled by keep_schema_order, once its key order is known.
  if (so->kind != Kind::json_schema) compile(*so, param);
  s.structured_output = std::move(so);
}

void keep_schema_order(const std::string& raw_body, SamplingParams& params) {
  if (!params.structured_output || params.structured_output->kind != Kind::json_schema) return;
  StructuredOutput& so = *params.structured_output;
  std::string param = "tools";  // neither field: the schema of a forced tool call
  const OrderedJson b = OrderedJson::parse(raw_body, nullptr, false);
  if (b.is_object()) {
    const OrderedJson* schema = nullptr;
    if (auto rf = b.find("response_format"); rf != b.end() && rf->is_object()) {
      param = "response_format";
      if (auto js = rf->find("json_schema"); js != rf->end() && js->is_object())
        if (auto sc = js->find("schema"); sc != js->end()) schema = &*sc;
    } else if (auto g = b.find("guided_json"); g != b.end()) {
      param = "guided_json";
      if (g->is_string()) {
        const OrderedJson inner = OrderedJson::parse(g->get<std::string>(), nullptr, false);
        if (!inner.is_discarded()) so.spec = inner.dump();
      } else {
        schema = &*g;
      }
    }
    if (schema && (schema->is_object() || schema->is_boolean())) so.spec = schema->dump();
  }
  compile(so, param);
}

}  // namespace pagoda::server
