// The server's defences in process, against a FakeEngine: the Host/Origin policy (unit and over
// HTTP), raw header values, the admission queue, abandoned non-streaming requests, the per-request
// work caps, the whole-request deadline and the request log of refused requests.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <thread>

#include "app/server/admission.h"
#include "app/server/api_server.h"
#include "app/server/request_policy.h"
#include "tests/app/test_server_fake_engine.h"
#include "tests/app/test_server_util.h"

namespace pagoda::server {
namespace {

using namespace pagoda::testing;
using namespace std::chrono_literals;
const std::filesystem::path kModel = std::filesystem::path(PAGODA_TEST_DATA) / "models/demo-chat";

TEST(RequestPolicy, HostNames) {
  EXPECT_EQ(host_name_of("127.0.0.1:8000"), "127.0.0.1");
  EXPECT_EQ(host_name_of("LocalHost.:1"), "localhost");
  EXPECT_EQ(host_name_of("[::1]:8000"), "::1");
  EXPECT_EQ(host_name_of("[::1]"), "::1");
  EXPECT_EQ(host_name_of(""), std::nullopt);
  EXPECT_EQ(host_name_of("[::1"), std::nullopt);
  EXPECT_EQ(host_name_of("[zz]"), std::nullopt);
  EXPECT_EQ(host_name_of("a b"), std::nullopt);
  EXPECT_EQ(host_name_of("127.0.0.1:80:80"), std::nullopt);
  EXPECT_EQ(host_name_of("user@127.0.0.1"), std::nullopt);
  EXPECT_EQ(host_name_of("127.0.0.1:x"), std::nullopt);

  RequestPolicy loopback("127.0.0.1", {"MyBox.lan", ".example.com"}, {}, "");
  for (const char* ok : {"127.0.0.1", "localhost:9", "[::1]:8000", "mybox.lan:80", "example.com",
                         "api.example.com:1"})
    EXPECT_TRUE(loopback.host_allowed(ok)) << ok;
  for (const char* bad : {"attacker.example", "127.0.0.1.attacker.example", "localhost.evil",
                          "notexample.com", "example.com.evil", "0.0.0.0", "", "127.0.0.2"})
    EXPECT_FALSE(loopback.host_allowed(bad)) << bad;
  RequestPolicy any("127.0.0.1", {"*"}, {}, "");
  EXPECT_TRUE(any.host_allowed("whatever.example"));
  EXPECT_FALSE(any.host_allowed("bad host"));
  // On the LAN the machine's own host name is accepted; on loopback it is not.
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  RequestPolicy lan("0.0.0.0", {}, {}, "");
  EXPECT_TRUE(lan.host_allowed(std::string(name) + ":8000"));
  EXPECT_TRUE(lan.host_allowed("127.0.0.1"));
  EXPECT_FALSE(lan.host_allowed("attacker.example"));
  if (std::string(name) != "localhost") {
    EXPECT_FALSE(loopback.host_allowed(name));
  }
}

TEST(RequestPolicy, OriginsContentTypesAndKeys) {
  RequestPolicy p("127.0.0.1", {}, {"http://app.example"}, "k%20ey");
  EXPECT_TRUE(p.origin_allowed("http://app.example"));
  EXPECT_FALSE(p.origin_allowed("http://evil.example"));
  EXPECT_FALSE(p.origin_allowed("null"));
  EXPECT_TRUE(RequestPolicy("127.0.0.1", {}, {"*"}, "").origin_allowed("null"));
  EXPECT_TRUE(is_json_content_type("application/json"));
  EXPECT_TRUE(is_json_content_type("Application/JSON; charset=utf-8"));
  EXPECT_FALSE(is_json_content_type("text/plain"));
  EXPECT_FALSE(is_json_content_type("application/jsonx"));
  EXPECT_FALSE(is_json_content_type(""));
  EXPECT_TRUE(p.authorized("Bearer k%20ey"));
  EXPECT_FALSE(p.authorized("Bearer k ey"));
  EXPECT_FALSE(p.authorized("bearer k%20ey"));
  EXPECT_FALSE(p.authorized(""));
  EXPECT_TRUE(RequestPolicy("127.0.0.1", {}, {}, "").authorized(""));
}

TEST(AdmissionQueue, SlotsQueueAndOrder) {
  AdmissionQueue q(1, 2);
  auto never = [] { return false; };
  ASSERT_EQ(q.acquire(never), AdmissionQueue::Result::Admitted);
  std::vector<int> order;
  std::mutex mu;
  auto waiter = [&](int id) {
    auto r = q.acquire(never, 5ms);
    std::lock_guard lock(mu);
    order.push_back(id);
    return r;
  };
  auto first = std::async(std::launch::async, waiter, 1);
  while (q.waiting() < 1) std::this_thread::sleep_for(1ms);
  auto second = std::async(std::launch::async, waiter, 2);
  while (q.waiting() < 2) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(q.acquire(never), AdmissionQueue::Result::QueueFull);
  std::atomic<bool> gone{false};
  q.release();
  EXPECT_EQ(first.get(), AdmissionQueue::Result::Admitted);
  q.release();
  EXPECT_EQ(second.get(), AdmissionQueue::Result::Admitted);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(q.running(), 1);
  // A waiter that gives up leaves the queue without a slot.
  auto leaving =
      std::async(std::launch::async, [&] { return q.acquire([&] { return gone.load(); }, 5ms); });
  while (q.waiting() < 1) std::this_thread::sleep_for(1ms);
  gone = true;
  EXPECT_EQ(leaving.get(), AdmissionQueue::Result::Abandoned);
  EXPECT_EQ(q.waiting(), 0);
  q.release();
  EXPECT_EQ(q.running(), 0);
}

class SecurityTest : public ::testing::Test {
 protected:
  void start(ServerOptions o, std::chrono::microseconds delay = 200us) {
    o.port = 0;
    server = std::make_unique<ApiServer>(o);
    engine = std::make_shared<FakeEngine>(kModel, delay);
    server->set_engine(engine);
    server->on_request_log([this](const RequestLogEntry& e) {
      std::lock_guard lock(log_mu);
      log.push_back(e);
    });
    server->start();
  }
  void TearDown() override {
    if (server) server->stop();
  }
  std::string post(const std::string& path, const std::string& body,
                   const std::string& headers = "") {
    return raw_request(server->port(), post_bytes(path, body, headers));
  }
  std::string get(const std::string& path, const std::string& headers = "") {
    return raw_request(server->port(), "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                                           headers + "Connection: close\r\n\r\n");
  }
  void wait_kv_free() { EXPECT_EQ(pagoda::testing::wait_kv_free(*engine), 0); }
  std::unique_ptr<ApiServer> server;
  std::shared_ptr<FakeEngine> engine;
  std::mutex log_mu;
  std::vector<RequestLogEntry> log;
};

std::string chat(const std::string& text, int max_tokens = 0) {
  Json b = {{"messages", {{{"role", "user"}, {"content", text}}}}};
  if (max_tokens) {
    b["max_tokens"] = max_tokens;
    b["ignore_eos"] = true;
  }
  return b.dump();
}

TEST_F(SecurityTest, OriginAndContentType) {
  ServerOptions o;
  o.cors_origins = {"http://app.example"};
  start(o);
  const std::string ok_origin = "Origin: http://app.example\r\n";
  std::string r = post("/v1/chat/completions", chat("hi"), ok_origin);
  EXPECT_EQ(status_of(r), 200) << r;
  EXPECT_NE(r.find("Access-Control-Allow-Origin: http://app.example"), std::string::npos) << r;
  // From an allowed origin the body must still be JSON: a form post is refused.
  std::string form =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: "
      "close\r\n" +
      ok_origin + "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}";
  EXPECT_EQ(status_of(raw_request(server->port(), form)), 415);
  EXPECT_EQ(status_of(get("/health", "Origin: http://evil.example\r\n")), 403);
  EXPECT_EQ(status_of(get("/health", "Origin: null\r\n")), 403);
  EXPECT_EQ(status_of(get("/health")), 200);  // no Origin: not a browser page
  EXPECT_EQ(engine->added_count(), 1);
}

TEST_F(SecurityTest, KeyWithPercentIsComparedRaw) {
  ServerOptions o;
  o.api_key = "sk-50%off";
  start(o);
  EXPECT_EQ(status_of(get("/v1/models", "Authorization: Bearer sk-50%off\r\n")), 200);
  EXPECT_EQ(status_of(get("/v1/models", "Authorization: Bearer sk-50%25off\r\n")), 401);
  EXPECT_EQ(status_of(get("/v1/models", "Authorization: Bearer sk-50%OFF\r\n")), 401);
  // Nor is the path decoded.
  EXPECT_EQ(status_of(get("/v1/model%73", "Authorization: Bearer sk-50%off\r\n")), 404);
}

TEST_F(SecurityTest, AbandonedNonStreamingRequestsAbortAndAreCounted) {
  start({}, 5ms);
  std::vector<int> fds;
  for (int i = 0; i < 8; ++i) {
    int fd = connect_loopback(server->port());
    ASSERT_GE(fd, 0);
    send_all(fd, post_bytes("/v1/chat/completions", chat("story " + std::to_string(i), 400)));
    fds.push_back(fd);
  }
  for (int i = 0; i < 400 && engine->added_count() < 8; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(engine->added_count(), 8);
  EXPECT_GT(engine->stats().kv_blocks_used, 0);
  auto t0 = std::chrono::steady_clock::now();
  for (int fd : fds) ::close(fd);
  for (int i = 0; i < 400 && engine->aborted_count() < 8; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(engine->aborted_count(), 8);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
  wait_kv_free();
  for (int i = 0; i < 200 && server->active_requests() > 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(server->active_requests(), 0);
  std::string m = get("/metrics");
  EXPECT_NE(m.find("finished_reason=\"abort\"} 8.0"), std::string::npos) << m;
  std::this_thread::sleep_for(50ms);
  std::lock_guard lock(log_mu);
  int gone = 0;
  for (const auto& e : log) gone += e.status == 499;
  EXPECT_EQ(gone, 8);
}

TEST_F(SecurityTest, QueuedClientThatLeavesFreesItsPlace) {
  ServerOptions o;
  o.max_concurrent = 1;
  o.max_queued = 2;
  start(o, 5ms);
  auto running = std::async(std::launch::async,
                            [&] { return status_of(post("/v1/chat/completions", chat("a", 60))); });
  for (int i = 0; i < 400 && server->active_requests() < 1; ++i) std::this_thread::sleep_for(5ms);
  int fd = connect_loopback(server->port());
  send_all(fd, post_bytes("/tokenize", R"({"prompt":"queued"})"));
  for (int i = 0; i < 400 && server->queued_requests() < 1; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(server->queued_requests(), 1);
  ::close(fd);
  for (int i = 0; i < 400 && server->queued_requests() > 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(server->queued_requests(), 0);
  // A request that waits is answered when the slot frees.
  auto queued = std::async(std::launch::async,
                           [&] { return status_of(post("/tokenize", R"({"prompt":"next"})")); });
  EXPECT_EQ(running.get(), 200);
  EXPECT_EQ(queued.get(), 200);
  wait_kv_free();
}

TEST_F(SecurityTest, WorkPerRequestIsBounded) {
  ServerOptions o;
  o.max_sequences = 6;
  start(o);
  std::string r = post("/v1/completions", R"({"prompt":["a","b","c"],"n":2,"max_tokens":2})");
  EXPECT_EQ(status_of(r), 200) << r;
  r = post("/v1/completions", R"({"prompt":["a","b","c","d"],"n":2,"max_tokens":2})");
  EXPECT_EQ(status_of(r), 400) << r;
  EXPECT_NE(r.find("\"param\":\"n\""), std::string::npos) << r;
  EXPECT_EQ(status_of(post("/v1/chat/completions",
                           R"({"messages":[{"role":"user","content":"x"}],"n":7})")),
            400);
  // max_model_len is 512 for the fake: a 1 MB text cannot fit and is never tokenized.
  std::string big = Json{{"prompt", std::string(1 << 20, 'a')}}.dump();
  for (const char* path : {"/tokenize", "/v1/completions"}) {
    r = post(path, big);
    EXPECT_EQ(status_of(r), 400) << r.substr(0, 300);
    EXPECT_NE(r.find("cannot fit"), std::string::npos) << r.substr(0, 300);
  }
  Json msgs = {{"messages", {{{"role", "user"}, {"content", std::string(1 << 20, 'b')}}}}};
  EXPECT_EQ(status_of(post("/tokenize", msgs.dump())), 400);
  EXPECT_EQ(status_of(post("/v1/chat/completions", msgs.dump())), 400);
  EXPECT_EQ(engine->added_count(), 3);  // the three prompts of the one accepted request
  Json ids = {{"tokens", std::vector<int>(600, 5)}};
  EXPECT_EQ(status_of(post("/detokenize", ids.dump())), 400);
  // A text that fits is still served in full.
  r = post("/tokenize", Json{{"prompt", std::string(300, 'a')}}.dump());
  EXPECT_EQ(status_of(r), 200) << r;
}

TEST_F(SecurityTest, AmbiguousFramingIsRefused) {
  start({});
  const std::string body = R"({"prompt":"hi"})";
  const std::string chunked = "f\r\n" + body + "\r\n0\r\n\r\n";
  auto send = [&](const std::string& headers, const std::string& payload) {
    return status_of(raw_request(server->port(), "POST /tokenize HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                                                     headers + "Connection: close\r\n\r\n" +
                                                     payload));
  };
  EXPECT_EQ(send("Transfer-Encoding: chunked\r\n", chunked), 200);
  EXPECT_EQ(send("Content-Length: 15\r\n", body), 200);
  EXPECT_EQ(send("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", chunked), 400);
  EXPECT_EQ(send("Content-Length: 15\r\nContent-Length: 3\r\n", body), 400);
  EXPECT_EQ(send("Transfer-Encoding: gzip, chunked\r\n", chunked), 501);
  EXPECT_EQ(send("Content-Length : 15\r\n", body), 400);
  EXPECT_EQ(status_of(raw_request(server->port(),
                                  "GET /health HTTP/1.1\r\nHost : evil.example"
                                  "\r\nConnection: close\r\n\r\n")),
            400);
}

TEST_F(SecurityTest, DeadlineAndLogOfRefusedRequests) {
  ServerOptions o;
  o.request_timeout_s = 1;
  o.max_headers = 20;
  start(o);
  // A body that trickles: 408 at the deadline, whatever arrives meanwhile.
  int fd = connect_loopback(server->port());
  send_all(fd,
           "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{");
  auto t0 = std::chrono::steady_clock::now();
  std::string got;
  for (int i = 0; i < 30; ++i) {
    ::send(fd, " ", 1, MSG_NOSIGNAL);
    got += read_until_close(fd, 100ms);
    if (!got.empty()) break;
  }
  got += read_until_close(fd, 500ms);
  ::close(fd);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(status_of(got), 408) << got;
  EXPECT_NE(got.find("\"error\""), std::string::npos);
  EXPECT_GT(took, 0.8);
  EXPECT_LT(took, 2.0);
  std::string many = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (int i = 0; i < 30; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(status_of(raw_request(server->port(), many + "Connection: close\r\n\r\n")), 431);
  EXPECT_EQ(status_of(get("/v1/models", "X-Forwarded-Host: a\r\n")), 200);
  EXPECT_EQ(status_of(raw_request(server->port(),
                                  "GET /v1/models HTTP/1.1\r\nHost: evil.example"
                                  "\r\nConnection: close\r\n\r\n")),
            403);
  std::this_thread::sleep_for(50ms);
  std::lock_guard lock(log_mu);
  std::map<int, RequestLogEntry> by_status;
  for (const auto& e : log) by_status[e.status] = e;
  ASSERT_TRUE(by_status.count(408));
  EXPECT_EQ(by_status[408].route, "/v1/chat/completions");
  EXPECT_GT(by_status[408].latency_s, 0.8);  // measured from its own request line
  ASSERT_TRUE(by_status.count(431));
  ASSERT_TRUE(by_status.count(403));
  EXPECT_EQ(by_status[403].route, "/v1/models");
  EXPECT_LT(by_status[403].latency_s, 0.5);
  EXPECT_EQ(by_status[403].remote_addr, "127.0.0.1");
}

}  // namespace
}  // namespace pagoda::server
