// Tools and reasoning on /v1/chat/completions against a FakeEngine that writes what a real model
// writes (scripted replies) through real chat templates: tiny-qwen3 (Qwen3's own template:
// <tool_call> and <think>) and tiny-llama3 (Llama 3's, which has no tool support). Non-streamed
// and streamed shapes, tool_choice forms and the schemas they set, the 400s, a tool-result round
// trip, parser overrides; then the unmodified `openai` npm client (openai-client/tools.mjs).
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include "app/server/api_server.h"
#include "app/server/chat_tools.h"
#include "tests/app/test_server_fake_engine.h"
#include "tests/app/test_server_util.h"

namespace pagoda::server {
namespace {

using pagoda::testing::FakeEngine;
namespace fs = std::filesystem;

const fs::path kQwen3 = fs::path(PAGODA_TEST_DATA) / "models/tiny-qwen3";
const fs::path kLlama3 = fs::path(PAGODA_TEST_DATA) / "models/tiny-llama3";

const char* kToolsText = R"([
  {"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
   "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                  "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                  "required": ["city"]}}},
  {"type": "function", "function": {"name": "get_time", "description": "Time in a zone",
   "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}}}}])";
const Json kTools = Json::parse(kToolsText);

// The last user turn of a ChatML prompt.
std::string last_user(const std::string& prompt) {
  const std::string open = "<|im_start|>user\n";
  size_t u = prompt.rfind(open);
  if (u == std::string::npos) return "";
  size_t start = u + open.size();
  return prompt.substr(start, prompt.find("<|im_end|>", start) - start);
}

class ToolsTest : public ::testing::Test {
 protected:
  void start(const fs::path& model, ServerOptions o = {}) {
    o.port = 0;
    server = std::make_unique<ApiServer>(o);
    engine = std::make_shared<FakeEngine>(model, std::chrono::microseconds(100), 4096);
    // "REPLY:<text>" as the last user message makes the model write <text>; the prompt is kept.
    engine->set_script([this](const std::string& prompt) -> std::optional<std::string> {
      std::lock_guard lock(mu);
      last_prompt = prompt;
      std::string u = last_user(prompt);
      if (u.rfind("REPLY:", 0) == 0) return u.substr(6);
      return std::nullopt;
    });
    server->set_engine(engine);
    server->start();
  }
  void TearDown() override {
    if (server) server->stop();
  }
  template <typename J>
  std::pair<int, std::string> post(const J& body) {
    httplib::Client c("127.0.0.1", server->port());
    c.set_read_timeout(30, 0);
    auto r = c.Post("/v1/chat/completions", body.dump(), "application/json");
    if (!r) return {0, ""};
    return {r->status, r->body};
  }
  Json chat(Json body, int status = 200) {
    auto [code, text] = post(body);
    EXPECT_EQ(code, status) << text;
    return Json::parse(text, nullptr, false);
  }
  std::string prompt() {
    std::lock_guard lock(mu);
    return last_prompt;
  }

  std::unique_ptr<ApiServer> server;
  std::shared_ptr<FakeEngine> engine;
  std::mutex mu;
  std::string last_prompt;
};

Json request(const std::string& user, Json tools = kTools) {
  Json b = {{"model", "fake-model"}, {"messages", {{{"role", "user"}, {"content", user}}}}};
  if (!tools.is_null()) b["tools"] = tools;
  return b;
}

const std::string kCall =
    "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Beijing\", \"unit\": "
    "\"celsius\"}}\n</tool_call>";

// A streamed choice put back together from its deltas, checking each delta's shape.
struct Streamed {
  std::string content, reasoning;
  Json calls = Json::array();
  std::string finish;
  int chunks = 0;
};

Streamed assemble(const std::string& body) {
  Streamed s;
  for (const Json& e : pagoda::testing::sse_events(body)) {
    if (!e.contains("choices")) continue;
    for (const Json& c : e["choices"]) {
      ++s.chunks;
      const Json& d = c["delta"];
      if (d.contains("content") && d["content"].is_string()) s.content += d["content"];
      if (d.contains("reasoning_content")) s.reasoning += d["reasoning_content"].get<std::string>();
      if (d.contains("tool_calls")) {
        for (const Json& t : d["tool_calls"]) {
          size_t i = t["index"].get<size_t>();
          if (i == s.calls.size()) {
            // The first delta of a call: index, id, type, name and empty arguments.
            EXPECT_EQ(t["id"].get<std::string>().rfind("call_", 0), 0u) << t;
            EXPECT_EQ(t["type"], "function");
            EXPECT_EQ(t["function"]["arguments"], "");
            s.calls.push_back({{"id", t["id"]}, {"name", t["function"]["name"]}, {"arguments", ""}});
          } else {
            EXPECT_LT(i, s.calls.size());
            EXPECT_FALSE(t.contains("id"));
            s.calls[i]["arguments"] =
                s.calls[i]["arguments"].get<std::string>() + t["function"]["arguments"].get<std::string>();
          }
        }
      }
      if (c["finish_reason"].is_string()) s.finish = c["finish_reason"];
    }
  }
  return s;
}

TEST_F(ToolsTest, ToolCallNonStreamed) {
  start(kQwen3);
  // Sent in the client's key order, which the template's tojson keeps.
  OrderedJson b = {{"model", "fake-model"},
                   {"messages", {{{"role", "user"}, {"content", "REPLY:" + kCall}}}},
                   {"tools", OrderedJson::parse(kToolsText)}};
  auto [code, text] = post(b);
  ASSERT_EQ(code, 200) << text;
  Json r = Json::parse(text);
  const Json& m = r["choices"][0]["message"];
  EXPECT_EQ(r["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_TRUE(m["content"].is_null()) << m;
  ASSERT_EQ(m["tool_calls"].size(), 1u);
  const Json& t = m["tool_calls"][0];
  EXPECT_EQ(t["id"].get<std::string>().rfind("call_", 0), 0u);
  EXPECT_EQ(t["type"], "function");
  EXPECT_EQ(t["function"]["name"], "get_weather");
  ASSERT_TRUE(t["function"]["arguments"].is_string());
  EXPECT_EQ(Json::parse(t["function"]["arguments"].get<std::string>()),
            Json({{"city", "Beijing"}, {"unit", "celsius"}}));
  // The template was given the tools.
  EXPECT_NE(prompt().find("<tools>\n{\"type\": \"function\", \"function\": {\"name\": "
                          "\"get_weather\", \"description\": \"Weather of a city\", \"parameters\""),
            std::string::npos)
      << prompt();
  EXPECT_EQ(engine->last_params().structured_output.has_value(), false);
}

TEST_F(ToolsTest, ToolCallsStreamedWithContent) {
  start(kQwen3);
  const std::string two = "Checking both.\n" + kCall +
                          "\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"tz\": "
                          "\"Asia/Shanghai\"}}\n</tool_call>";
  Json b = request("REPLY:" + two);
  b["stream"] = true;
  auto [code, body] = post(b);
  ASSERT_EQ(code, 200) << body;
  Streamed s = assemble(body);
  EXPECT_EQ(s.content, "Checking both.");
  EXPECT_EQ(s.finish, "tool_calls");
  ASSERT_EQ(s.calls.size(), 2u);
  EXPECT_EQ(s.calls[0]["name"], "get_weather");
  EXPECT_EQ(Json::parse(s.calls[0]["arguments"].get<std::string>())["city"], "Beijing");
  EXPECT_EQ(s.calls[1]["name"], "get_time");
  EXPECT_EQ(Json::parse(s.calls[1]["arguments"].get<std::string>())["tz"], "Asia/Shanghai");
  EXPECT_NE(s.calls[0]["id"], s.calls[1]["id"]);
  EXPECT_GT(s.chunks, 6);  // arguments arrive in fragments, one token at a time
  // The non-streamed answer to the same output agrees.
  Json r = chat(request("REPLY:" + two));
  EXPECT_EQ(r["choices"][0]["message"]["content"], "Checking both.");
  EXPECT_EQ(r["choices"][0]["message"]["tool_calls"][1]["function"]["arguments"],
            s.calls[1]["arguments"]);
}

TEST_F(ToolsTest, MalformedCallIsContent) {
  start(kQwen3);
  const std::string broken = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": }\n</tool_call>";
  Json r = chat(request("REPLY:" + broken));
  EXPECT_EQ(r["choices"][0]["message"]["content"], broken);
  EXPECT_TRUE(r["choices"][0]["message"]["tool_calls"].empty());
  EXPECT_EQ(r["choices"][0]["finish_reason"], "stop");
}

TEST_F(ToolsTest, ToolChoiceNoneHidesToolsAndParsesNothing) {
  start(kQwen3);
  Json b = request("REPLY:" + kCall);
  b["tool_choice"] = "none";
  Json r = chat(b);
  EXPECT_EQ(prompt().find("<tools>"), std::string::npos);
  EXPECT_EQ(r["choices"][0]["message"]["content"], kCall);
  EXPECT_EQ(r["choices"][0]["finish_reason"], "stop");
}

TEST_F(ToolsTest, ToolChoiceRequiredSetsSchemaAndWraps) {
  start(kQwen3);
  Json b = request(
      "REPLY:[{\"name\": \"get_time\", \"parameters\": {\"tz\": \"UTC\"}}, {\"name\": "
      "\"get_weather\", \"parameters\": {\"city\": \"Paris\"}}]");
  b["tool_choice"] = "required";
  Json r = chat(b);
  auto so = engine->last_params().structured_output;
  ASSERT_TRUE(so.has_value());
  EXPECT_EQ(so->kind, StructuredOutput::Kind::json_schema);
  Json schema = Json::parse(so->spec);
  EXPECT_EQ(schema["type"], "array");
  EXPECT_EQ(schema["minItems"], 1);
  ASSERT_EQ(schema["items"]["anyOf"].size(), 2u);
  EXPECT_EQ(schema["items"]["anyOf"][0]["properties"]["name"]["enum"], Json({"get_weather"}));
  EXPECT_EQ(schema["items"]["anyOf"][0]["properties"]["parameters"],
            kTools[0]["function"]["parameters"]);
  EXPECT_EQ(schema["items"]["anyOf"][1]["required"], Json({"name", "parameters"}));
  EXPECT_EQ(r["choices"][0]["finish_reason"], "tool_calls");
  const Json& calls = r["choices"][0]["message"]["tool_calls"];
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0]["function"]["name"], "get_time");
  EXPECT_EQ(Json::parse(calls[1]["function"]["arguments"].get<std::string>()), Json({{"city", "Paris"}}));
}

TEST_F(ToolsTest, NamedToolChoiceSetsParametersSchema) {
  start(kQwen3);
  Json b = request("REPLY:{\"city\": \"Beijing\"}");
  b["tool_choice"] = {{"type", "function"}, {"function", {{"name", "get_weather"}}}};
  for (bool stream : {false, true}) {
    b["stream"] = stream;
    auto [code, body] = post(b);
    ASSERT_EQ(code, 200) << body;
    auto so = engine->last_params().structured_output;
    ASSERT_TRUE(so.has_value());
    EXPECT_EQ(Json::parse(so->spec), kTools[0]["function"]["parameters"]);
    if (stream) {
      Streamed s = assemble(body);
      ASSERT_EQ(s.calls.size(), 1u);
      EXPECT_EQ(s.calls[0]["name"], "get_weather");
      EXPECT_EQ(Json::parse(s.calls[0]["arguments"].get<std::string>()), Json({{"city", "Beijing"}}));
      EXPECT_EQ(s.finish, "stop");  // a forced function is not the model's choice (OpenAI, vLLM)
    } else {
      Json r = Json::parse(body);
      const Json& calls = r["choices"][0]["message"]["tool_calls"];
      ASSERT_EQ(calls.size(), 1u);
      EXPECT_EQ(calls[0]["function"]["name"], "get_weather");
      EXPECT_EQ(r["choices"][0]["finish_reason"], "stop");
    }
  }
}

TEST_F(ToolsTest, BadToolsAndToolChoiceAre400s) {
  start(kQwen3);
  auto expect_400 = [&](Json b, const std::string& param) {
    Json e = chat(b, 400);
    EXPECT_EQ(e["error"]["param"], param) << e;
    EXPECT_EQ(e["error"]["type"], "invalid_request_error");
  };
  expect_400(request("hi", Json::parse(R"([{"type": "function"}])")), "tools");
  expect_400(request("hi", Json::parse(R"({"name": "x"})")), "tools");
  expect_400(request("hi", Json::parse(R"([{"type": "retrieval", "function": {"name": "x"}}])")), "tools");
  Json b = request("hi");
  b["tool_choice"] = "sometimes";
  expect_400(b, "tool_choice");
  b["tool_choice"] = {{"type", "function"}, {"function", {{"name", "launch"}}}};
  expect_400(b, "tool_choice");
  b = request("hi", Json());
  b["tool_choice"] = "required";
  expect_400(b, "tool_choice");
}

TEST_F(ToolsTest, TemplateWithoutToolSupportIs400) {
  start(kLlama3);  // Llama 3.0's template ignores tools
  ASSERT_FALSE(engine->chat_template().supports_tools());
  Json e = chat(request("hi"), 400);
  EXPECT_EQ(e["error"]["param"], "tools");
  // Without tools, or with tool_choice "none", it serves as before.
  chat(request("hi", Json()));
  Json b = request("hi");
  b["tool_choice"] = "none";
  chat(b);
}

TEST_F(ToolsTest, ToolResultRoundTrip) {
  start(kQwen3);
  // As OpenAI clients send the history back: arguments as a JSON string, content null.
  Json b = {{"model", "fake-model"},
            {"tools", kTools},
            {"messages",
             Json::parse(R"([
    {"role": "user", "content": "Weather in Beijing?"},
    {"role": "assistant", "content": null, "tool_calls": [{"id": "call_abc", "type": "function",
      "function": {"name": "get_weather", "arguments": "{\"city\": \"Beijing\"}"}}]},
    {"role": "tool", "tool_call_id": "call_abc", "content": "{\"temperature\": 21}"}])")}};
  Json r = chat(b);
  const std::string p = prompt();
  EXPECT_NE(p.find("<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
                   "{\"city\": \"Beijing\"}}\n</tool_call><|im_end|>"),
            std::string::npos)
      << p;
  EXPECT_NE(p.find("<|im_start|>user\n<tool_response>\n{\"temperature\": 21}\n</tool_response>"),
            std::string::npos)
      << p;
  EXPECT_EQ(r["choices"][0]["message"]["content"],
            "You said: <tool_response>\n{\"temperature\": 21}\n</tool_response>");
}

TEST_F(ToolsTest, ReasoningContent) {
  start(kQwen3);
  const std::string reply = "<think>\nThe user greets me.\n</think>\n\nHello!";
  Json r = chat(request("REPLY:" + reply, Json()));
  const Json& m = r["choices"][0]["message"];
  EXPECT_EQ(m["reasoning_content"], "The user greets me.");
  EXPECT_EQ(m["content"], "Hello!");
  Json b = request("REPLY:" + reply, Json());
  b["stream"] = true;
  auto [code, body] = post(b);
  Streamed s = assemble(body);
  EXPECT_EQ(s.reasoning, "The user greets me.");
  EXPECT_EQ(s.content, "Hello!");
  EXPECT_EQ(s.finish, "stop");
  // Thinking and a tool call: the call is read from the answer, not from the reasoning.
  Json t = chat(request("REPLY:<think>\nI need the weather.\n</think>\n\n" + kCall));
  EXPECT_EQ(t["choices"][0]["message"]["reasoning_content"], "I need the weather.");
  EXPECT_EQ(t["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(t["choices"][0]["finish_reason"], "tool_calls");
}

TEST_F(ToolsTest, ChatTemplateKwargsReachTheTemplate) {
  start(kQwen3);
  Json b = request("REPLY:Hi there", Json());
  b["chat_template_kwargs"] = {{"enable_thinking", false}};
  Json r = chat(b);
  // Qwen3's template closes an empty <think> in the prompt; the reply is all answer.
  EXPECT_NE(prompt().find("<|im_start|>assistant\n<think>\n\n</think>\n\n"), std::string::npos);
  EXPECT_EQ(r["choices"][0]["message"]["content"], "Hi there");
  EXPECT_TRUE(r["choices"][0]["message"]["reasoning_content"].is_null());
}

TEST_F(ToolsTest, ParserOverrides) {
  ServerOptions o;
  o.tool_call_parser = "mistral";
  o.reasoning_parser = "none";
  start(kQwen3, o);
  Json r = chat(request(
      "REPLY:<think>x</think>[TOOL_CALLS] [{\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}}]"));
  const Json& m = r["choices"][0]["message"];
  EXPECT_FALSE(m.contains("reasoning_content"));
  EXPECT_EQ(m["content"], "<think>x</think>");
  ASSERT_EQ(m["tool_calls"].size(), 1u);
  EXPECT_EQ(m["tool_calls"][0]["id"].get<std::string>().size(), 9u);
  EXPECT_FALSE(engine->last_params().skip_special_tokens);  // [TOOL_CALLS] is a special token
}

// A fixture model folder with another family's tool template (tests/data/tool-templates): the
// parser is chosen from the template's markers, end to end.
fs::path model_with_template(const fs::path& base, const std::string& template_file) {
  fs::path dir = fs::temp_directory_path() / ("pagoda-tools-" + template_file + "-" +
                                              std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(base))
    if (e.path().extension() != ".safetensors") fs::copy_file(e.path(), dir / e.path().filename());
  fs::copy_file(fs::path(PAGODA_SOURCE_DIR) / "tests/data/tool-templates" / template_file,
                dir / "chat_template.jinja");
  return dir;
}

TEST_F(ToolsTest, Llama31StyleTemplateEndToEnd) {
  fs::path dir = model_with_template(kLlama3, "llama3.1-style.jinja");
  start(dir);
  ASSERT_TRUE(engine->chat_template().supports_tools());
  engine->set_script([](const std::string&) {
    return std::optional<std::string>(
        "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Beijing\"}}");
  });
  Json r = chat(request("Weather in Beijing?"));
  EXPECT_EQ(r["choices"][0]["finish_reason"], "tool_calls");
  ASSERT_EQ(r["choices"][0]["message"]["tool_calls"].size(), 1u);
  EXPECT_EQ(r["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_FALSE(r["choices"][0]["message"].contains("reasoning_content"));
  fs::remove_all(dir);
}

TEST_F(ToolsTest, MistralStyleTemplateEndToEndAndRoundTrip) {
  fs::path dir = model_with_template(fs::path(PAGODA_TEST_DATA) / "models/tiny-mistral",
                                     "mistral-v3-style.jinja");
  start(dir);
  engine->set_script([this](const std::string& prompt) -> std::optional<std::string> {
    {
      std::lock_guard lock(mu);
      last_prompt = prompt;
    }
    if (prompt.find("[TOOL_RESULTS]") != std::string::npos) return "It is 21 degrees.";
    return "[TOOL_CALLS] [{\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}}]";
  });
  Json b = request("What time is it?");
  b["stream"] = true;
  auto [code, body] = post(b);
  ASSERT_EQ(code, 200) << body;
  Streamed s;
  for (const Json& e : pagoda::testing::sse_events(body)) {
    if (!e.is_object() || !e.contains("choices")) continue;
    for (const Json& c : e["choices"]) {
      if (!c["delta"].contains("tool_calls")) continue;
      const Json& t = c["delta"]["tool_calls"][0];
      if (t.contains("id"))
        s.calls.push_back({{"id", t["id"]}, {"name", t["function"]["name"]}, {"arguments", ""}});
      else if (!s.calls.empty())
        s.calls.back()["arguments"] = s.calls.back()["arguments"].get<std::string>() +
                                      t["function"]["arguments"].get<std::string>();
    }
  }
  ASSERT_EQ(s.calls.size(), 1u) << body;
  const std::string id = s.calls[0]["id"];
  EXPECT_EQ(id.size(), 9u);
  EXPECT_EQ(Json::parse(s.calls[0]["arguments"].get<std::string>()), Json({{"tz", "UTC"}}));
  // The id goes back through the template, which insists on 9 alphanumerics.
  Json back = {{"model", "fake-model"},
               {"tools", kTools},
               {"messages",
                {{{"role", "user"}, {"content", "What time is it?"}},
                 {{"role", "assistant"},
                  {"content", nullptr},
                  {"tool_calls",
                   {{{"id", id},
                     {"type", "function"},
                     {"function", {{"name", "get_time"}, {"arguments", s.calls[0]["arguments"]}}}}}}},
                 {{"role", "tool"}, {"tool_call_id", id}, {"content", "{\"time\": \"12:00\"}"}}}}};
  Json r = chat(back);
  EXPECT_EQ(r["choices"][0]["message"]["content"], "It is 21 degrees.");
  EXPECT_NE(prompt().find("[TOOL_CALLS] [{\"name\": \"get_time\", \"arguments\": {\"tz\": \"UTC\"}, \"id\": \"" + id + "\"}]"),
            std::string::npos)
      << prompt();
  fs::remove_all(dir);
}

// ---- the unmodified openai npm client ----

using pagoda::testing::run_command;
std::pair<int, std::string> run(const std::string& cmd) { return run_command(cmd); }

TEST_F(ToolsTest, OpenAiNpmClient) {
  if (run("command -v node && command -v npm").first != 0)
    GTEST_SKIP() << "node/npm not installed: openai client test skipped";
  start(kQwen3);
  fs::path dir = fs::path(PAGODA_TEST_DATA).parent_path() / "openai-client";
  fs::create_directories(dir);
  for (const char* f : {"package.json", "package-lock.json", "tools.mjs"})
    fs::copy_file(fs::path(PAGODA_OPENAI_CLIENT_DIR) / f, dir / f,
                  fs::copy_options::overwrite_existing);
  if (!fs::exists(dir / "node_modules/openai")) {
    auto [rc, out] = run("cd '" + dir.string() + "' && npm ci --no-audit --no-fund");
    ASSERT_EQ(rc, 0) << out;
  }
  auto [rc, out] = run("cd '" + dir.string() + "' && timeout 120 node tools.mjs '" +
                       server->url() + "/v1' fake-model");
  std::cout << out;
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("PASS"), std::string::npos) << out;
}

}  // namespace
}  // namespace pagoda::server
