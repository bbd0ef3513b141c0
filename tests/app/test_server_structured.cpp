// Structured output through the in-process HTTP server on a real engine (CPU backend): OpenAI's
// response_format (json_schema strict, json_object) and vLLM's guided_json / guided_regex /
// guided_choice on /v1/chat/completions and /v1/completions, streamed and not; and the 400s
// (unsupported keyword, bad pattern, bad shapes, two constraints at once) in OpenAI's error
// shape with `param` set.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <regex>

#include "app/server/api_server.h"
#include "engine/core/engine.h"
#include "tests/app/test_server_util.h"

namespace pagoda::server {
namespace {

namespace fs = std::filesystem;

class StructuredServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    EngineConfig config;
    config.model_dir = fs::path(PAGODA_TEST_DATA) / "models/tiny-qwen2";  // random weights: noise
    config.device = "cpu";
    config.num_threads = 2;
    config.cpu_kv_cache_bytes = 64ull << 20;
    engine_ = Engine::load(config);
    ServerOptions o;
    o.port = 0;
    server_ = std::make_unique<ApiServer>(o);
    server_->set_engine(engine_);
    server_->start();
  }
  static void TearDownTestSuite() {
    server_->stop();
    server_.reset();
    engine_.reset();
  }
  static std::pair<int, Json> post(const std::string& path, const Json& body) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(120, 0);
    auto r = c.Post(path, body.dump(), "application/json");
    EXPECT_TRUE(r);
    if (!r) return {0, {}};
    if (body.value("stream", false) && r->status == 200) {
      std::string text;
      Json last;
      for (const auto& e : testing::sse_events(r->body)) {
        if (!e.is_object() || e["choices"].empty()) continue;
        const Json& ch = e["choices"][0];
        if (ch.contains("delta") && ch["delta"].contains("content") &&
            ch["delta"]["content"].is_string())
          text += ch["delta"]["content"].get<std::string>();
        if (ch.contains("text")) text += ch["text"].get<std::string>();
        if (!ch["finish_reason"].is_null()) last = ch["finish_reason"];
      }
      return {r->status, Json{{"text", text}, {"finish_reason", last}}};
    }
    return {r->status, Json::parse(r->body)};
  }
  static Json chat(Json extra) {
    Json body = {{"messages", {{{"role", "user"}, {"content", "Give me a person as JSON."}}}},
                 {"temperature", 1.0},
                 {"max_tokens", 300}};
    body.update(extra);
    return body;
  }
  static void expect_400(const std::string& path, const Json& body, const std::string& param,
                         const std::string& says) {
    auto [status, j] = post(path, body);
    EXPECT_EQ(status, 400) << j.dump();
    ASSERT_TRUE(j.contains("error")) << j.dump();
    const Json& e = j["error"];
    EXPECT_EQ(e["type"], "invalid_request_error");
    EXPECT_EQ(e["param"], param) << e.dump();
    EXPECT_TRUE(e.contains("code"));
    EXPECT_NE(e["message"].get<std::string>().find(says), std::string::npos) << e.dump();
  }
  static inline std::shared_ptr<Engine> engine_;
  static inline std::unique_ptr<ApiServer> server_;
};

const Json kPerson = {
    {"type", "object"},
    {"properties",
     {{"name", {{"type", "string"}, {"minLength", 1}, {"maxLength", 10}}},
      {"age", {{"type", "integer"}, {"minimum", 0}, {"maximum", 130}}},
      {"langs", {{"type", "array"}, {"items", {{"enum", {"zh", "en", "fr"}}}},
                 {"minItems", 1}, {"maxItems", 2}}}}},
    {"required", {"name", "age", "langs"}},
    {"additionalProperties", false}};

// What the schema above requires, checked field by field.
void expect_person(const std::string& text) {
  Json v;
  ASSERT_NO_THROW(v = Json::parse(text)) << text;
  ASSERT_TRUE(v.is_object()) << text;
  EXPECT_EQ(v.size(), 3u) << text;
  ASSERT_TRUE(v["name"].is_string()) << text;
  const auto name = v["name"].get<std::string>();
  EXPECT_FALSE(name.empty());
  ASSERT_TRUE(v["age"].is_number_integer()) << text;
  EXPECT_GE(v["age"].get<int>(), 0);
  EXPECT_LE(v["age"].get<int>(), 130);
  ASSERT_TRUE(v["langs"].is_array()) << text;
  EXPECT_GE(v["langs"].size(), 1u);
  EXPECT_LE(v["langs"].size(), 2u);
  for (const auto& l : v["langs"]) EXPECT_TRUE(l == "zh" || l == "en" || l == "fr") << text;
}

TEST_F(StructuredServer, ChatJsonSchemaStrict) {
  for (int seed = 0; seed < 6; ++seed) {
    for (bool stream : {false, true}) {
      Json body = chat({{"seed", seed},
                        {"stream", stream},
                        {"response_format",
                         {{"type", "json_schema"},
                          {"json_schema", {{"name", "person"}, {"schema", kPerson},
                                           {"strict", true}}}}}});
      auto [status, j] = post("/v1/chat/completions", body);
      ASSERT_EQ(status, 200) << j.dump();
      const std::string text = stream ? j["text"].get<std::string>()
                                      : j["choices"][0]["message"]["content"].get<std::string>();
      const Json finish = stream ? j["finish_reason"] : j["choices"][0]["finish_reason"];
      EXPECT_EQ(finish, "stop") << text;
      expect_person(text);
    }
  }
}

TEST_F(StructuredServer, ChatJsonObjectAndGuidedJson) {
  auto [status, j] = post("/v1/chat/completions",
                          chat({{"seed", 3}, {"guided_json", kPerson.dump()}}));  // as text
  ASSERT_EQ(status, 200) << j.dump();
  expect_person(j["choices"][0]["message"]["content"].get<std::string>());
  // json_object: any object; on noise the strings may run to max_tokens, so only a finished
  // reply is parsed, and the reply always starts as an object.
  int parsed = 0;
  for (int seed = 0; seed < 4; ++seed) {
    auto [st, r] = post("/v1/chat/completions",
                        chat({{"seed", seed},
                              {"max_tokens", 120},
                              {"response_format", {{"type", "json_object"}}}}));
    ASSERT_EQ(st, 200) << r.dump();
    const std::string text = r["choices"][0]["message"]["content"].get<std::string>();
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text[0], '{') << text;
    if (r["choices"][0]["finish_reason"] == "stop") {
      Json v;
      ASSERT_NO_THROW(v = Json::parse(text)) << text;
      EXPECT_TRUE(v.is_object());
      ++parsed;
    }
  }
  std::printf("json_object: %d of 4 replies finished within max_tokens\n", parsed);
  auto [st, t] = post("/v1/chat/completions",
                      chat({{"response_format", {{"type", "text"}}}, {"max_tokens", 5}}));
  EXPECT_EQ(st, 200) << t.dump();
}

TEST_F(StructuredServer, CompletionsRegexAndChoice) {
  const std::regex re("(yes|no)-[a-z]{2,5}-[0-9]{1,3}");
  for (int seed = 0; seed < 5; ++seed) {
    for (bool stream : {false, true}) {
      Json body = {{"prompt", "Answer:"}, {"temperature", 1.0}, {"max_tokens", 40},
                   {"seed", seed}, {"stream", stream},
                   {"guided_regex", "^(yes|no)-[a-z]{2,5}-\\d{1,3}$"}};
      auto [status, j] = post("/v1/completions", body);
      ASSERT_EQ(status, 200) << j.dump();
      const std::string text = stream ? j["text"].get<std::string>()
                                      : j["choices"][0]["text"].get<std::string>();
      EXPECT_TRUE(std::regex_match(text, re)) << text;
    }
    Json body = {{"prompt", "Colour:"}, {"temperature", 1.0}, {"seed", seed},
                 {"guided_choice", {"red", "green", "蓝色"}}};
    auto [status, j] = post("/v1/completions", body);
    ASSERT_EQ(status, 200) << j.dump();
    const std::string text = j["choices"][0]["text"].get<std::string>();
    EXPECT_TRUE(text == "red" || text == "green" || text == "蓝色") << text;
    EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  }
}

TEST_F(StructuredServer, BadRequestsAre400WithParam) {
  auto schema_rf = [](Json schema) {
    return Json{{"type", "json_schema"}, {"json_schema", {{"name", "x"}, {"schema", schema}}}};
  };
  expect_400("/v1/chat/completions",
             chat({{"response_format",
                    schema_rf({{"type", "object"}, {"patternProperties", {{"^a", {}}}}})}}),
             "response_format", "patternProperties");
  expect_400("/v1/chat/completions",
             chat({{"response_format", schema_rf({{"type", "array"}, {"uniqueItems", true}})}}),
             "response_format", "uniqueItems");
  expect_400("/v1/chat/completions", chat({{"response_format", {{"type", "yaml"}}}}),
             "response_format", "'yaml'");
  expect_400("/v1/chat/completions", chat({{"response_format", "json"}}), "response_format",
             "must be an object");
  expect_400("/v1/chat/completions",
             chat({{"response_format", {{"type", "json_schema"}}}}), "response_format",
             "json_schema");
  expect_400("/v1/completions", {{"prompt", "x"}, {"guided_regex", "(a"}}, "guided_regex",
             "missing ')'");
  expect_400("/v1/completions", {{"prompt", "x"}, {"guided_regex", "(a)\\1"}}, "guided_regex",
             "backreference");
  expect_400("/v1/completions", {{"prompt", "x"}, {"guided_choice", Json::array()}},
             "guided_choice", "non-empty");
  expect_400("/v1/completions", {{"prompt", "x"}, {"guided_json", "{nope"}}, "guided_json",
             "not valid JSON");
  expect_400("/v1/completions", {{"prompt", "x"}, {"guided_grammar", "root ::= \"a\""}},
             "guided_grammar", "not supported");
  expect_400("/v1/completions",
             {{"prompt", "x"}, {"guided_regex", "a"}, {"guided_choice", {"a"}}}, "guided_choice",
             "cannot be combined");
  const Json recursive = {{"$defs", {{"n", {{"type", "object"},
                                            {"properties", {{"k", {{"$ref", "#/$defs/n"}}}}},
                                            {"required", {"k"}}}}}},
                          {"$ref", "#/$defs/n"}};
  expect_400("/v1/chat/completions", chat({{"response_format", schema_rf(recursive)}}),
             "response_format", "$ref");
}

// The official `openai` npm client, unmodified (openai-client/structured.mjs), installed into the
// build tree from the committed lock file.
TEST_F(StructuredServer, OpenAiNpmClient) {
  if (std::system("command -v node > /dev/null && command -v npm > /dev/null") != 0)
    GTEST_SKIP() << "node/npm not installed: openai client test skipped";
  const fs::path src = PAGODA_OPENAI_CLIENT_DIR;
  const fs::path dir = fs::path(PAGODA_TEST_DATA).parent_path() / "openai-client-structured";
  fs::create_directories(dir);
  for (const char* f : {"package.json", "package-lock.json", "structured.mjs"})
    fs::copy_file(src / f, dir / f, fs::copy_options::overwrite_existing);
  if (!fs::exists(dir / "node_modules/openai"))
    ASSERT_EQ(std::system(("cd '" + dir.string() + "' && npm ci --no-audit --no-fund").c_str()), 0);
  const std::string cmd = "cd '" + dir.string() + "' && node structured.mjs http://127.0.0.1:" +
                          std::to_string(server_->port()) + "/v1 tiny-qwen2 2>&1";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    EXPECT_EQ(pclose(p), 0) << out;
  }
  std::cout << out;
  EXPECT_NE(out.find("PASS 4 checks"), std::string::npos) << out;
}

}  // namespace
}  // namespace pagoda::server
