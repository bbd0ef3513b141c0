// The OpenAI-compatible server against a FakeEngine (real tokenizer and chat template of
// demo-chat, canned replies): routes, shapes, streaming, errors, limits, aborts, metrics.
#include <gtest/gtest.h>
#include <httplib.h>

#include <future>
#include <thread>

#include "app/server/api_server.h"
#include "app/server/metrics.h"
#include "app/server/protocol.h"
#include "tests/app/test_server_fake_engine.h"
#include "tests/app/test_server_util.h"

namespace pagoda::server {
namespace {

using pagoda::testing::FakeEngine;
using namespace pagoda::testing;
using namespace std::chrono_literals;

const std::filesystem::path kModel = std::filesystem::path(PAGODA_TEST_DATA) / "models/demo-chat";

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }
  void TearDown() override {
    if (server) server->stop();
  }
  void start(ServerOptions opts, std::chrono::microseconds delay = 200us) {
    if (server) server->stop();
    opts.port = 0;
    server = std::make_unique<ApiServer>(opts);
    engine = std::make_shared<FakeEngine>(kModel, delay);
    server->set_engine(engine);
    server->start();
  }
  httplib::Client client() {
    httplib::Client c("127.0.0.1", server->port());
    c.set_read_timeout(30, 0);
    return c;
  }
  Json post_json(const std::string& path, const Json& body, int expect_status = 200) {
    auto c = client();
    auto r = c.Post(path.c_str(), body.dump(), "application/json");
    EXPECT_TRUE(r) << path;
    if (!r) return {};
    EXPECT_EQ(r->status, expect_status) << r->body;
    return Json::parse(r->body);
  }
  std::string expected_chat_reply(const std::string& user) { return "You said: " + user; }
  void wait_kv_free() { EXPECT_EQ(pagoda::testing::wait_kv_free(*engine), 0); }

  std::unique_ptr<ApiServer> server;
  std::shared_ptr<FakeEngine> engine;
};

Json chat_body(const std::string& text) {
  return {{"model", "fake-model"}, {"messages", {{{"role", "user"}, {"content", text}}}}};
}

void expect_error_shape(const Json& j, const std::string& type) {
  ASSERT_TRUE(j.contains("error")) << j.dump();
  EXPECT_TRUE(j["error"]["message"].is_string());
  EXPECT_EQ(j["error"]["type"], type) << j.dump();
  EXPECT_TRUE(j["error"].contains("param"));
  EXPECT_TRUE(j["error"].contains("code"));
}

TEST_F(ServerTest, HealthVersionModels) {
  auto c = client();
  auto h = c.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  auto v = c.Get("/version");
  ASSERT_TRUE(v);
  EXPECT_TRUE(Json::parse(v->body)["version"].is_string());
  auto m = c.Get("/v1/models");
  ASSERT_TRUE(m);
  Json j = Json::parse(m->body);
  EXPECT_EQ(j["object"], "list");
  ASSERT_EQ(j["data"].size(), 1u);
  EXPECT_EQ(j["data"][0]["id"], "fake-model");
  EXPECT_EQ(j["data"][0]["object"], "model");
  EXPECT_EQ(j["data"][0]["max_model_len"], 512);
}

TEST_F(ServerTest, ChatCompletion) {
  Json j = post_json("/v1/chat/completions", chat_body("What is the capital of China?"));
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(j["model"], "fake-model");
  EXPECT_TRUE(j["created"].is_number_integer());
  ASSERT_EQ(j["choices"].size(), 1u);
  const Json& c = j["choices"][0];
  EXPECT_EQ(c["index"], 0);
  EXPECT_EQ(c["message"]["role"], "assistant");
  EXPECT_EQ(c["message"]["content"], expected_chat_reply("What is the capital of China?"));
  EXPECT_EQ(c["finish_reason"], "stop");
  EXPECT_TRUE(c["logprobs"].is_null());
  // Usage: the prompt is the model's chat template, tokenized.
  ChatTemplateInputs in;
  in.messages =
      OrderedJson::array({{{"role", "user"}, {"content", "What is the capital of China?"}}});
  auto ids = engine->tokenizer().encode(engine->chat_template().render(in), false);
  EXPECT_EQ(j["usage"]["prompt_tokens"], ids.size());
  auto reply_ids = engine->tokenizer().encode(expected_chat_reply("What is the capital of China?"));
  EXPECT_EQ(j["usage"]["completion_tokens"], reply_ids.size() + 1);  // + end of sequence
  EXPECT_EQ(j["usage"]["total_tokens"], ids.size() + reply_ids.size() + 1);
  wait_kv_free();
}

TEST_F(ServerTest, ChatContentParts) {
  Json body = {
      {"messages",
       {{{"role", "user"},
         {"content",
          {{{"type", "text"}, {"text", "Hello"}}, {{"type", "text"}, {"text", "there"}}}}}}}};
  Json j = post_json("/v1/chat/completions", body);
  EXPECT_EQ(j["choices"][0]["message"]["content"], "You said: Hello\nthere");
  body["messages"][0]["content"] = {{{"type", "image_url"}, {"image_url", "x"}}};
  Json e = post_json("/v1/chat/completions", body, 400);
  expect_error_shape(e, "invalid_request_error");
}

TEST_F(ServerTest, ChatStreaming) {
  Json body = chat_body("Count from 1 to 12.");
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  auto c = client();
  auto r = c.Post("/v1/chat/completions", body.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/event-stream"), std::string::npos);
  auto events = sse_events(r->body);
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.back(), "[DONE]");
  const Json& first = events[0];
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  std::string id = first["id"];
  std::string text;
  int finish_chunks = 0;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    const Json& e = events[i];
    EXPECT_EQ(e["id"], id);
    EXPECT_EQ(e["created"], first["created"]);
    if (e["choices"].empty()) continue;
    const Json& ch = e["choices"][0];
    if (ch["delta"].contains("content")) text += ch["delta"]["content"].get<std::string>();
    if (!ch["finish_reason"].is_null()) {
      ++finish_chunks;
      EXPECT_EQ(ch["finish_reason"], "stop");
    }
  }
  EXPECT_EQ(finish_chunks, 1);
  EXPECT_EQ(text, expected_chat_reply("Count from 1 to 12."));
  const Json& usage = events[events.size() - 2];
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_GT(usage["usage"]["completion_tokens"].get<int>(), 5);
  wait_kv_free();
}

TEST_F(ServerTest, NStopMaxTokensSeed) {
  Json body = chat_body("Hello!");
  body["n"] = 3;
  body["seed"] = 7;
  body["temperature"] = 0.7;
  Json j = post_json("/v1/chat/completions", body);
  ASSERT_EQ(j["choices"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(j["choices"][i]["index"], i);
    EXPECT_EQ(j["choices"][i]["message"]["content"], "You said: Hello!");
  }
  body = chat_body("What is the capital of China?");
  body["stop"] = {"capital", "zzz"};
  j = post_json("/v1/chat/completions", body);
  EXPECT_EQ(j["choices"][0]["message"]["content"], "You said: What is the ");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(j["choices"][0]["stop_reason"], "capital");
  body = chat_body("What is the capital of China?");
  body["max_completion_tokens"] = 3;
  j = post_json("/v1/chat/completions", body);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["completion_tokens"], 3);
  body = chat_body("Hi");
  body["max_tokens"] = 40;
  body["ignore_eos"] = true;
  j = post_json("/v1/chat/completions", body);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["completion_tokens"], 40);
  wait_kv_free();
}

TEST_F(ServerTest, ChatLogprobs) {
  Json body = chat_body("Hello!");
  body["logprobs"] = true;
  body["top_logprobs"] = 2;
  Json j = post_json("/v1/chat/completions", body);
  const Json& content = j["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(content.size(), j["usage"]["completion_tokens"].get<size_t>());
  for (const auto& e : content) {
    EXPECT_TRUE(e["token"].is_string());
    EXPECT_FLOAT_EQ(e["logprob"].get<float>(), -0.25f);
    EXPECT_TRUE(e["bytes"].is_array());
    EXPECT_EQ(e["top_logprobs"].size(), 2u);
  }
  body.erase("logprobs");
  expect_error_shape(post_json("/v1/chat/completions", body, 400), "invalid_request_error");
}

TEST_F(ServerTest, Completions) {
  Json j = post_json("/v1/completions", {{"prompt", "The capital of France"}, {"max_tokens", 100}});
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["id"].get<std::string>().rfind("cmpl-", 0), 0u);
  EXPECT_EQ(j["choices"][0]["text"], "You said: The capital of France");
  // max_tokens defaults to 16 as in vLLM.
  j = post_json("/v1/completions", {{"prompt", "The capital of France"}, {"ignore_eos", true}});
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["completion_tokens"], 16);
  // Two prompts x n=2: choices ordered by prompt, then sequence.
  j = post_json("/v1/completions", {{"prompt", {"a", "b"}}, {"n", 2}, {"max_tokens", 50}});
  ASSERT_EQ(j["choices"].size(), 4u);
  EXPECT_EQ(j["choices"][0]["text"], "You said: a");
  EXPECT_EQ(j["choices"][1]["text"], "You said: a");
  EXPECT_EQ(j["choices"][2]["text"], "You said: b");
  EXPECT_EQ(j["choices"][3]["index"], 3);
  // Token-id prompts and echo.
  auto ids = engine->tokenizer().encode("hello", false);
  j = post_json("/v1/completions", {{"prompt", ids}, {"echo", true}, {"max_tokens", 50}});
  EXPECT_EQ(j["choices"][0]["text"], "helloYou said: hello");
  j = post_json("/v1/completions", {{"prompt", "x"}, {"logprobs", 1}, {"max_tokens", 50}});
  const Json& lp = j["choices"][0]["logprobs"];
  EXPECT_EQ(lp["tokens"].size(), j["usage"]["completion_tokens"].get<size_t>());
  EXPECT_EQ(lp["token_logprobs"].size(), lp["tokens"].size());
  EXPECT_EQ(lp["text_offset"][0], 0);
  EXPECT_EQ(lp["top_logprobs"][0].size(), 1u);
  // Streaming completions.
  auto c = client();
  auto r = c.Post("/v1/completions",
                  Json{{"prompt", "stream me"}, {"stream", true}, {"max_tokens", 50}}.dump(),
                  "application/json");
  ASSERT_TRUE(r);
  auto events = sse_events(r->body);
  std::string text;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    EXPECT_EQ(events[i]["object"], "text_completion");
    text += events[i]["choices"][0]["text"].get<std::string>();
  }
  EXPECT_EQ(text, "You said: stream me");
  EXPECT_EQ(events.back(), "[DONE]");
  wait_kv_free();
}

TEST_F(ServerTest, TokenizeDetokenize) {
  Json t = post_json("/tokenize", {{"prompt", "What is the capital of China?"}});
  auto ids = engine->tokenizer().encode("What is the capital of China?", true);
  EXPECT_EQ(t["tokens"].get<std::vector<int32_t>>(), ids);
  EXPECT_EQ(t["count"], ids.size());
  EXPECT_EQ(t["max_model_len"], 512);
  Json d = post_json("/detokenize", {{"tokens", t["tokens"]}});
  EXPECT_EQ(d["prompt"], "What is the capital of China?");
  Json m = post_json("/tokenize", {{"messages", {{{"role", "user"}, {"content", "Hi"}}}}});
  EXPECT_GT(m["count"].get<int>(), 3);
  expect_error_shape(post_json("/detokenize", {{"tokens", {1, -5}}}, 400), "invalid_request_error");
  expect_error_shape(post_json("/detokenize", {{"tokens", {99999999}}}, 400),
                     "invalid_request_error");
}

TEST_F(ServerTest, BadRequests) {
  auto c = client();
  struct Case {
    std::string path, body;
    std::string param;
  };
  std::string big;
  for (int i = 0; i < 600; ++i) big += "word" + std::to_string(i) + " ";
  std::vector<Case> cases = {
      {"/v1/chat/completions", "{not json", ""},
      {"/v1/chat/completions", "[1,2]", ""},
      {"/v1/chat/completions", R"({"messages":"hi"})", "messages"},
      {"/v1/chat/completions", R"({"messages":[]})", "messages"},
      {"/v1/chat/completions", R"({"messages":[{"content":"x"}]})", "messages"},
      {"/v1/chat/completions", R"({"messages":[{"role":"user","content":"x"}],"n":0})", "n"},
      {"/v1/chat/completions", R"({"messages":[{"role":"user","content":"x"}],"n":100000})", "n"},
      {"/v1/chat/completions",
       R"({"messages":[{"role":"user","content":"x"}],"temperature":"hot"})", "temperature"},
      {"/v1/chat/completions", R"({"messages":[{"role":"user","content":"x"}],"max_tokens":1e300})",
       "max_tokens"},
      {"/v1/chat/completions",
       R"({"messages":[{"role":"user","content":"x"}],"max_tokens":123456789012345678901234})",
       "max_tokens"},
      {"/v1/chat/completions", R"({"messages":[{"role":"user","content":"x"}],"top_p":7})",
       "top_p"},
      {"/v1/chat/completions", R"({"messages":[{"role":"user","content":"x"}],"stop":[1]})",
       "stop"},
      {"/v1/chat/completions",
       R"({"messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}})",
       "stream_options"},
      {"/v1/chat/completions", R"({"model":"gpt-4","messages":[{"role":"user","content":"x"}]})",
       "model"},
      {"/v1/chat/completions", R"({"messages":[{"role":"user","content":"x"}],"max_tokens":600})",
       "max_tokens"},
      {"/v1/chat/completions", R"({"messages":[{"role":"user","content":")" + big + R"("}]})",
       "messages"},
      {"/v1/completions", R"({"prompt":{"a":1}})", "prompt"},
      {"/v1/completions", R"({"prompt":[1,"a"]})", "prompt"},
      {"/v1/completions", R"({"prompt":[]})", "prompt"},
      {"/v1/completions", R"({"prompt":"x","suffix":"y"})", "suffix"},
      {"/v1/completions", R"({"prompt":[99999999]})", "prompt"},
      {"/v1/completions", R"({"prompt":"x","logprobs":true})", "logprobs"},
  };
  for (const auto& k : cases) {
    auto r = c.Post(k.path.c_str(), k.body, "application/json");
    ASSERT_TRUE(r) << k.body;
    EXPECT_EQ(r->status, 400) << k.body << " -> " << r->body;
    Json j = Json::parse(r->body);
    expect_error_shape(j, "invalid_request_error");
    if (!k.param.empty()) {
      EXPECT_EQ(j["error"]["param"], k.param) << k.body << " -> " << r->body;
    }
  }
  // Unknown routes and wrong methods.
  auto r = c.Get("/v1/nothing");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  expect_error_shape(Json::parse(r->body), "not_found_error");
  r = c.Get("/v1/chat/completions");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->get_header_value("Allow"), "POST");
  r = c.Post("/v1/models", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  // Still serving.
  EXPECT_EQ(c.Get("/health")->status, 200);
  wait_kv_free();
}

TEST_F(ServerTest, BodyLimitAndConcurrencyLimit) {
  ServerOptions o;
  o.max_body_bytes = 1000;
  o.max_concurrent = 2;
  o.max_queued = 1;
  start(o, 20ms);
  auto c = client();
  auto r = c.Post("/v1/chat/completions", std::string(5000, ' '), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  expect_error_shape(Json::parse(r->body), "invalid_request_error");
  // Two slow requests in flight and one waiting in the queue; the fourth is refused with 429.
  auto slow_chat = [&] {
    auto c2 = client();
    Json b = chat_body("slow request number one two three");
    auto rr = c2.Post("/v1/chat/completions", b.dump(), "application/json");
    return rr ? rr->status : -1;
  };
  std::vector<std::future<int>> slow;
  for (int i = 0; i < 2; ++i) slow.push_back(std::async(std::launch::async, slow_chat));
  for (int i = 0; i < 200 && server->active_requests() < 2; ++i) std::this_thread::sleep_for(5ms);
  slow.push_back(std::async(std::launch::async, slow_chat));
  for (int i = 0; i < 200 && server->queued_requests() < 1; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(server->queued_requests(), 1);
  auto r4 = c.Post("/v1/chat/completions", chat_body("x").dump(), "application/json");
  ASSERT_TRUE(r4);
  EXPECT_EQ(r4->status, 429);
  expect_error_shape(Json::parse(r4->body), "rate_limit_error");
  // The queued one is answered once a slot frees.
  for (auto& f : slow) EXPECT_EQ(f.get(), 200);
  EXPECT_EQ(server->active_requests(), 0);
  EXPECT_EQ(server->queued_requests(), 0);
}

TEST_F(ServerTest, ApiKeyAndCors) {
  ServerOptions o;
  o.api_key = "sekret-key";
  o.cors_origins = {"http://app.example"};
  std::vector<RequestLogEntry> log;
  std::mutex log_mu;
  start(o);
  server->on_request_log([&](const RequestLogEntry& e) {
    std::lock_guard lock(log_mu);
    log.push_back(e);
  });
  auto c = client();
  auto r = c.Post("/v1/chat/completions", chat_body("x").dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  expect_error_shape(Json::parse(r->body), "authentication_error");
  EXPECT_EQ(c.Get("/v1/models", {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(c.Get("/v1/models", {{"Authorization", "Bearer sekret-keyX"}})->status, 401);
  EXPECT_EQ(c.Get("/v1/models", {{"Authorization", "sekret-key"}})->status, 401);
  EXPECT_EQ(c.Get("/v1/models", {{"Authorization", "Bearer sekret-key"}})->status, 200);
  EXPECT_EQ(c.Get("/metrics")->status, 401);
  EXPECT_EQ(c.Get("/health")->status, 200);
  EXPECT_EQ(c.Get("/version")->status, 200);
  auto ok = c.Post("/v1/chat/completions", {{"Authorization", "Bearer sekret-key"}},
                   chat_body("hello").dump(), "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  // CORS: preflight needs no key; allowed origin is echoed, others get nothing.
  auto pre = c.Options("/v1/chat/completions", {{"Origin", "http://app.example"},
                                                {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(pre);
  EXPECT_EQ(pre->status, 204);
  EXPECT_EQ(pre->get_header_value("Access-Control-Allow-Origin"), "http://app.example");
  EXPECT_NE(pre->get_header_value("Access-Control-Allow-Headers").find("Authorization"),
            std::string::npos);
  auto other = c.Get("/health", {{"Origin", "http://evil.example"}});
  EXPECT_FALSE(other->has_header("Access-Control-Allow-Origin"));
  std::this_thread::sleep_for(50ms);
  std::lock_guard lock(log_mu);
  ASSERT_GE(log.size(), 10u);
  bool saw_chat = false;
  for (const auto& e : log) {
    EXPECT_GT(e.status, 0);
    EXPECT_GE(e.latency_s, 0);
    if (e.route == "/v1/chat/completions" && e.status == 200) {
      saw_chat = true;
      EXPECT_GT(e.prompt_tokens, 0);
      EXPECT_GT(e.completion_tokens, 0);
    }
  }
  EXPECT_TRUE(saw_chat);
}

TEST_F(ServerTest, CorsOffByDefault) {
  auto c = client();
  auto r = c.Get("/health", {{"Origin", "http://app.example"}});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
}

TEST_F(ServerTest, NoEngineIs503AndSwapAbortsInFlight) {
  server->set_engine(nullptr);
  auto c = client();
  auto r = c.Post("/v1/chat/completions", chat_body("x").dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  expect_error_shape(Json::parse(r->body), "service_unavailable");
  EXPECT_EQ(c.Get("/health")->status, 503);
  EXPECT_EQ(Json::parse(c.Get("/v1/models")->body)["data"].size(), 0u);
  EXPECT_EQ(c.Get("/metrics")->status, 200);
  // A request in flight when the model is unloaded is aborted and answered.
  server->set_engine(engine);
  engine->pause(true);
  auto pending = std::async(std::launch::async, [&] {
    auto c2 = client();
    auto rr = c2.Post("/v1/chat/completions", chat_body("waiting").dump(), "application/json");
    if (rr && rr->status != 503) ADD_FAILURE() << rr->body;
    return rr ? rr->status : -1;
  });
  for (int i = 0; i < 400 && engine->added_count() == 0; ++i) std::this_thread::sleep_for(5ms);
  server->set_engine(nullptr);
  EXPECT_EQ(pending.get(), 503);
  engine->pause(false);
  wait_kv_free();
  EXPECT_GE(engine->aborted_count(), 1);
}

TEST_F(ServerTest, ClientDisconnectMidStreamAborts) {
  start({}, 5ms);
  Json b = chat_body("tell me a long story");
  b["stream"] = true;
  b["ignore_eos"] = true;
  b["max_tokens"] = 400;
  int fd = connect_loopback(server->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(send_all(fd, post_bytes("/v1/chat/completions", b.dump())));
  std::string got = read_until_close(fd, 300ms);  // a few chunks arrive, then we hang up
  EXPECT_NE(got.find("data: "), std::string::npos);
  ::close(fd);
  for (int i = 0; i < 400 && engine->aborted_count() == 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(engine->aborted_count(), 1);
  wait_kv_free();
  for (int i = 0; i < 200 && server->active_requests() > 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(server->active_requests(), 0);
}

TEST_F(ServerTest, Metrics) {
  post_json("/v1/chat/completions", chat_body("one"));
  Json b = chat_body("two");
  b["max_tokens"] = 2;
  post_json("/v1/chat/completions", b);
  auto c = client();
  auto r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  const std::string& m = r->body;
  for (const char* needle :
       {"# TYPE vllm:num_requests_running gauge",
        "vllm:num_requests_waiting{model_name=\"fake-model\"",
        "# TYPE vllm:kv_cache_usage_perc gauge", "# TYPE vllm:prefix_cache_queries_total counter",
        "vllm:prefix_cache_hits_total{", "vllm:num_preemptions_total{", "vllm:prompt_tokens_total{",
        "vllm:generation_tokens_total{",
        "vllm:request_success_total{model_name=\"fake-model\",engine=\"0\",finished_reason="
        "\"stop\"} 1.0",
        "vllm:request_success_total{model_name=\"fake-model\",engine=\"0\",finished_reason="
        "\"length\"} 1.0",
        "# TYPE vllm:time_to_first_token_seconds histogram",
        "vllm:time_to_first_token_seconds_bucket{model_name=\"fake-model\",engine=\"0\",le=\"+"
        "Inf\"} 2.0",
        "vllm:time_to_first_token_seconds_count{model_name=\"fake-model\",engine=\"0\"} 2.0",
        "vllm:inter_token_latency_seconds_sum{",
        "vllm:e2e_request_latency_seconds_count{model_name=\"fake-model\",engine=\"0\"} 2.0"})
    EXPECT_NE(m.find(needle), std::string::npos) << needle << "\n" << m;
  // Every sample line is "name{labels} value" with a number.
  std::istringstream lines(m);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.rfind(' ');
    ASSERT_NE(sp, std::string::npos) << line;
    std::string v = line.substr(sp + 1);
    EXPECT_TRUE(v == "+Inf" || std::strtod(v.c_str(), nullptr) >= 0) << line;
  }
}

TEST(PrometheusWriter, HistogramBuckets) {
  Histogram h({0.1, 1.0});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  PrometheusWriter w;
  w.histogram("x_seconds", "help", {{"a", "q\"uote"}}, h);
  EXPECT_EQ(w.text(),
            "# HELP x_seconds help\n# TYPE x_seconds histogram\n"
            "x_seconds_bucket{a=\"q\\\"uote\",le=\"0.1\"} 1.0\n"
            "x_seconds_bucket{a=\"q\\\"uote\",le=\"1.0\"} 2.0\n"
            "x_seconds_bucket{a=\"q\\\"uote\",le=\"+Inf\"} 3.0\n"
            "x_seconds_sum{a=\"q\\\"uote\"} 5.55\n"
            "x_seconds_count{a=\"q\\\"uote\"} 3.0\n");
}

}  // namespace
}  // namespace pagoda::server
