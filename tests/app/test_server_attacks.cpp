// Hostile clients and web pages against the real `pagoda-cli serve` (demo-chat, CPU, loopback,
// default settings): DNS rebinding, cross-site simple POSTs, oversized chunked bodies and headers,
// slowloris, abandoned non-streaming requests, amplification inside the limits and
// percent-encoded keys. Each attack must get its 4xx or a closed connection while the server
// stays up, answers a normal chat within 2 s, grows by less than 100 MB and ends with nothing
// running and no KV block in use. Every attack is bounded in time and count.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <functional>
#include <thread>

#include "tests/app/test_server_util.h"

namespace pagoda::server {
namespace {

namespace fs = std::filesystem;
using namespace pagoda::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
const fs::path kModel = fs::path(PAGODA_TEST_DATA) / "models/demo-chat";

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// `pagoda-cli serve` as a child process; the first line of its stdout is its URL.
class CliServer {
 public:
  explicit CliServer(std::vector<std::string> extra = {}) {
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      std::vector<std::string> args = {PAGODA_CLI, "serve",    "--model", kModel.string(), "--port",
                                       "0",        "--device", "cpu",     "--quiet"};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(PAGODA_CLI, argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    std::string url;
    char ch;
    while (::read(out[0], &ch, 1) == 1 && ch != '\n') url += ch;
    ::close(out[0]);
    if (url.rfind("http://127.0.0.1:", 0) == 0) port_ = std::stoi(url.substr(url.rfind(':') + 1));
  }
  ~CliServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  int port() const { return port_; }
  bool alive() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  long rss_kb() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

std::string request(const std::string& method, const std::string& path, int port,
                    const std::string& body = "", const std::string& headers = "") {
  return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nConnection: close\r\n" + headers +
         (body.empty() && method == "GET"
              ? ""
              : "Content-Length: " + std::to_string(body.size()) + "\r\n") +
         "\r\n" + body;
}

std::string body_of(const std::string& response) {
  size_t p = response.find("\r\n\r\n");
  return p == std::string::npos ? "" : response.substr(p + 4);
}

// The sum of a metric's samples on the /metrics page (labels ignored).
double metric(int port, const std::string& name, const std::string& label_filter = "") {
  std::string page = body_of(raw_request(port, request("GET", "/metrics", port)));
  std::istringstream lines(page);
  std::string line;
  double sum = 0;
  while (std::getline(lines, line)) {
    if (line.rfind(name, 0) != 0 ||
        (line.size() > name.size() && line[name.size()] != '{' && line[name.size()] != ' '))
      continue;
    if (!label_filter.empty() && line.find(label_filter) == std::string::npos) continue;
    sum += std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
  }
  return sum;
}

const std::string kJson = "Content-Type: application/json\r\n";

std::string chat_json(const std::string& question, int max_tokens = 0) {
  Json b = {{"messages", {{{"role", "user"}, {"content", question}}}}, {"temperature", 0}};
  if (max_tokens > 0) {
    b["max_tokens"] = max_tokens;
    b["ignore_eos"] = true;
  }
  return b.dump();
}

// A normal client: one chat on a fresh connection. Returns its latency (negative: no answer).
double normal_chat(int port) {
  auto t0 = Clock::now();
  std::string r = raw_request(port,
                              request("POST", "/v1/chat/completions", port,
                                      chat_json("What is the capital of China?"), kJson),
                              5s);
  double took = seconds_since(t0);
  EXPECT_EQ(status_of(r), 200) << r.substr(0, 300);
  EXPECT_NE(body_of(r).find("The capital of China is Beijing."), std::string::npos) << r;
  return status_of(r) == 200 ? took : -1;
}

// Samples the server's RSS while an attack runs.
class RssSampler {
 public:
  explicit RssSampler(const CliServer& s) : server_(s), base_(s.rss_kb()) {
    thread_ = std::thread([this] {
      while (!stop_) {
        peak_ = std::max(peak_.load(), server_.rss_kb());
        std::this_thread::sleep_for(20ms);
      }
    });
  }
  long growth_mb() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return (std::max(peak_.load(), server_.rss_kb()) - base_) / 1024;
  }
  ~RssSampler() { growth_mb(); }

 private:
  const CliServer& server_;
  long base_;
  std::atomic<long> peak_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class AttackTest : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    server_ = new CliServer();
    ASSERT_GT(server_->port(), 0);
    normal_chat(server_->port());  // warm up: the baseline RSS includes one answered chat
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  int port() const { return server_->port(); }

  // Runs `attack` (threads that repeat until told to stop) for at least `min_time`; meanwhile a
  // normal chat must be answered within 2 s. Then the server must be idle and within memory.
  void under_attack(const std::vector<std::function<void(const std::atomic<bool>&)>>& attack,
                    std::chrono::milliseconds min_time = 1500ms) {
    ASSERT_TRUE(server_->alive());
    RssSampler rss(*server_);
    std::atomic<bool> stop{false};
    auto t0 = Clock::now();
    std::vector<std::thread> threads;
    for (const auto& a : attack) threads.emplace_back([&a, &stop] { a(stop); });
    std::this_thread::sleep_for(min_time / 3);
    double latency = normal_chat(port());
    std::printf("normal chat during the attack: %.3f s\n", latency);
    EXPECT_GE(latency, 0);
    EXPECT_LT(latency, 2.0);
    while (Clock::now() - t0 < min_time) std::this_thread::sleep_for(20ms);
    stop = true;
    for (auto& t : threads) t.join();
    long growth = rss.growth_mb();
    std::printf("RSS growth during the attack: %ld MB\n", growth);
    EXPECT_LT(growth, 100);
    expect_idle();
  }

  void expect_idle() {
    EXPECT_TRUE(server_->alive());
    EXPECT_EQ(status_of(raw_request(port(), request("GET", "/health", port()))), 200);
    double running = -1, kv = -1;
    for (int i = 0; i < 100; ++i) {
      running = metric(port(), "vllm:num_requests_running");
      kv = metric(port(), "vllm:kv_cache_usage_perc");
      if (running == 0 && kv == 0) break;
      std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(running, 0);
    EXPECT_EQ(kv, 0);
  }

  static CliServer* server_;
};
CliServer* AttackTest::server_ = nullptr;

TEST_F(AttackTest, DnsRebindingHostIsRefused) {
  const int p = port();
  const std::vector<std::string> hostile = {"attacker.example:" + std::to_string(p),
                                            "attacker.example",
                                            "127.0.0.1.attacker.example",
                                            "localhost.attacker.example:" + std::to_string(p),
                                            "127.0.0.1@attacker.example",
                                            "[::1].attacker.example",
                                            "0x7f.0.0.1",
                                            "127.0.0.1:80:80"};
  std::atomic<int> refused{0};
  auto attack = [&](const std::atomic<bool>& stop) {
    for (size_t i = 0; !stop && i < 400; ++i) {
      const std::string& host = hostile[i % hostile.size()];
      std::string path = i % 2 ? "/v1/models" : "/v1/chat/completions";
      std::string body = i % 2 ? "" : chat_json("hi");
      std::string r =
          raw_request(p, (i % 2 ? "GET " : "POST ") + path + " HTTP/1.1\r\nHost: " + host +
                             "\r\nConnection: close\r\n" + kJson +
                             "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
      EXPECT_EQ(status_of(r), 403) << host << " -> " << r.substr(0, 200);
      if (status_of(r) == 403) {
        Json j = Json::parse(body_of(r));
        EXPECT_EQ(j["error"]["code"], "host_not_allowed");
        ++refused;
      }
    }
  };
  double before = metric(p, "vllm:request_success_total");
  under_attack({attack});
  EXPECT_GT(refused.load(), 20);
  EXPECT_EQ(metric(p, "vllm:request_success_total") - before, 1);  // only the normal chat ran
  // Loopback names with any port are served.
  for (const std::string& host : std::vector<std::string>{"localhost:1", "LOCALHOST", "127.0.0.1",
                                                          "[::1]:" + std::to_string(p)})
    EXPECT_EQ(status_of(raw_request(
                  p, "GET /v1/models HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")),
              200)
        << host;
  EXPECT_EQ(status_of(raw_request(p,
                                  "GET /v1/models HTTP/1.1\r\nHost: localhost\r\nHost: "
                                  "attacker.example\r\nConnection: close\r\n\r\n")),
            400);
}

TEST_F(AttackTest, CrossSiteSimplePostIsRefused) {
  const int p = port();
  auto attack = [&](const std::atomic<bool>& stop) {
    const std::vector<std::string> types = {"text/plain", "application/x-www-form-urlencoded",
                                            "multipart/form-data; boundary=x", "application/json"};
    for (size_t i = 0; !stop && i < 400; ++i) {
      std::string headers =
          "Origin: http://evil.example\r\nContent-Type: " + types[i % types.size()] + "\r\n";
      std::string r =
          raw_request(p, request("POST", i % 3 ? "/v1/chat/completions" : "/tokenize", p,
                                 chat_json("run a generation for a web page"), headers));
      EXPECT_EQ(status_of(r), 403) << r.substr(0, 200);
    }
    // The preflight is refused too, so a browser never sends the real request.
    std::string pre = raw_request(p,
                                  "OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  "Origin: http://evil.example\r\nAccess-Control-Request-"
                                  "Method: POST\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status_of(pre), 403);
    EXPECT_EQ(pre.find("Access-Control-Allow-Origin"), std::string::npos);
  };
  double before = metric(p, "vllm:request_success_total");
  double prompt_before = metric(p, "vllm:prompt_tokens_total");
  under_attack({attack});
  EXPECT_EQ(metric(p, "vllm:request_success_total") - before, 1);  // only the normal chat
  (void)prompt_before;
}

// Sends a chunked body as fast as possible until the server answers or `limit` bytes are sent.
// Returns the status (0: closed without one) and the bytes sent.
std::pair<int, size_t> send_chunked(int port, size_t limit) {
  int fd = connect_loopback(port);
  if (fd < 0) return {0, 0};
  send_all(fd,
           "POST /tokenize HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'a') + "\r\n";
  size_t sent = 0;
  std::string response;
  while (sent < limit) {
    pollfd pf{fd, POLLIN, 0};
    if (::poll(&pf, 1, 0) > 0) break;  // an answer (or a close) is waiting
    if (!send_all(fd, chunk)) break;
    sent += 0x10000;
  }
  response = read_until_close(fd, 3s);
  ::close(fd);
  return {status_of(response), sent};
}

TEST_F(AttackTest, ChunkedBodyOverTheLimitIs413Early) {
  const int p = port();
  std::atomic<size_t> most_sent{0};
  auto attack = [&](const std::atomic<bool>& stop) {
    for (int i = 0; !stop && i < 20; ++i) {
      auto [status, sent] = send_chunked(p, 50u << 20);
      // 503: the other attackers' bodies already hold the shared body memory budget.
      EXPECT_TRUE(status == 413 || status == 503 || status == 0) << status;
      EXPECT_LT(sent, 50u << 20);  // refused before the whole 50 MB went in
      most_sent = std::max(most_sent.load(), sent);
    }
  };
  under_attack({attack, attack, attack, attack});
  std::printf("most bytes a 50 MB chunked body got in: %zu\n", most_sent.load());
  // A fixed-length body over the limit with Expect: 100-continue gets the 413, never the 100.
  std::string r = raw_request(p,
                              "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Content-Type: application/json\r\nContent-Length: 100000000\r\n"
                              "Expect: 100-continue\r\nConnection: close\r\n\r\n",
                              3s);
  EXPECT_EQ(status_of(r), 413) << r;
  EXPECT_EQ(r.find("100 Continue"), std::string::npos);
}

TEST_F(AttackTest, HugeOrManyHeadersAre431) {
  const int p = port();
  auto flood = [&](const std::atomic<bool>& stop) {
    for (int i = 0; !stop && i < 20; ++i) {
      int fd = connect_loopback(p);
      ASSERT_GE(fd, 0);
      send_all(fd, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      const std::string line = "X-Junk: " + std::string(1000, 'a') + "\r\n";
      size_t sent = 0;
      while (sent < (600u << 20)) {
        pollfd pf{fd, POLLIN, 0};
        if (::poll(&pf, 1, 0) > 0 || !send_all(fd, line)) break;
        sent += line.size();
      }
      std::string r = read_until_close(fd, 3s);
      ::close(fd);
      EXPECT_TRUE(status_of(r) == 431 || status_of(r) == 0) << r.substr(0, 100);
      EXPECT_LT(sent, 600u << 20);
    }
  };
  auto many = [&](const std::atomic<bool>& stop) {
    for (int i = 0; !stop && i < 200; ++i) {
      std::string headers;
      for (int h = 0; h < 300; ++h) headers += "X-H" + std::to_string(h) + ": v\r\n";
      std::string r = raw_request(p, request("GET", "/v1/models", p, "", headers));
      EXPECT_EQ(status_of(r), 431) << r.substr(0, 200);
      EXPECT_NE(body_of(r).find("\"error\""), std::string::npos);
    }
  };
  under_attack({flood, flood, flood, many});
}

// `connections` sockets that trickle a byte a second: under the idle cap (256) they all stay
// until the request deadline; over it the longest-waiting are closed at once.
void slowloris(AttackTest* t, int connections);

TEST_F(AttackTest, SlowlorisCannotLockOutClients) {
  slowloris(this, 200);
}

TEST_F(AttackTest, SlowlorisBeyondTheIdleCapIsEvicted) {
  slowloris(this, 700);
}

void slowloris(AttackTest* t, int kConnections) {
  const int p = t->port();
  std::vector<int> fds;
  std::vector<Clock::time_point> opened;
  auto attack = [&](const std::atomic<bool>& stop) {
    // Half trickle their headers, half send headers and trickle the body, one byte a second.
    const std::string head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    const std::string full = head + kJson + "Content-Length: 1000\r\n\r\n";
    for (int i = 0; i < kConnections; ++i) {
      int fd = connect_loopback(p);
      if (fd < 0) continue;
      fds.push_back(fd);
      opened.push_back(Clock::now());
      send_all(fd, i % 2 ? full : head);
    }
    while (!stop) {
      for (int fd : fds) ::send(fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      for (int i = 0; i < 10 && !stop; ++i) std::this_thread::sleep_for(100ms);
    }
  };
  t->under_attack({attack}, 4000ms);
  // The whole-request deadline (10 s by default) closes every one of them, trickle or not; past
  // the idle cap the longest-waiting were closed long before it.
  std::vector<double> closed_after(fds.size(), -1);
  std::vector<std::string> got(fds.size());
  auto until = Clock::now() + 14s;
  size_t open = fds.size();
  while (open > 0 && Clock::now() < until) {
    std::vector<pollfd> pfs;
    std::vector<size_t> index;
    for (size_t i = 0; i < fds.size(); ++i)
      if (closed_after[i] < 0) {
        pfs.push_back({fds[i], POLLIN, 0});
        index.push_back(i);
      }
    if (::poll(pfs.data(), pfs.size(), 200) <= 0) continue;
    for (size_t k = 0; k < pfs.size(); ++k) {
      if (!pfs[k].revents) continue;
      size_t i = index[k];
      char buf[512];
      ssize_t n = ::recv(fds[i], buf, sizeof buf, 0);
      if (n > 0) {
        got[i].append(buf, static_cast<size_t>(n));
        continue;
      }
      closed_after[i] = std::chrono::duration<double>(Clock::now() - opened[i]).count();
      --open;
    }
  }
  int early = 0;
  for (size_t i = 0; i < fds.size(); ++i) {
    EXPECT_GE(closed_after[i], 0) << "connection " << i << " still open";
    if (closed_after[i] >= 0 && closed_after[i] < 8) ++early;
    int s = status_of(got[i]);
    EXPECT_TRUE(s == 408 || s == 0) << got[i].substr(0, 100);
    ::close(fds[i]);
  }
  std::printf("%d trickling connections: %d closed before the 10 s deadline\n", kConnections,
              early);
  if (kConnections <= 256) {
    EXPECT_EQ(early, 0);
  } else {
    EXPECT_GE(early, kConnections - 256);
  }
  EXPECT_EQ(static_cast<int>(fds.size()), kConnections);
}

TEST_F(AttackTest, AbandonedNonStreamingRequestsAbort) {
  const int p = port();
  constexpr int kClients = 64;
  double aborts_before = metric(p, "vllm:request_success_total", "finished_reason=\"abort\"");
  auto attack = [&](const std::atomic<bool>& stop) {
    std::vector<int> fds;
    for (int i = 0; i < kClients; ++i) {
      int fd = connect_loopback(p);
      if (fd < 0) continue;
      send_all(fd, request("POST", "/v1/chat/completions", p,
                           chat_json("Tell me a long story " + std::to_string(i), 3000), kJson));
      fds.push_back(fd);
    }
    for (int i = 0; i < 100 && metric(p, "vllm:num_requests_running") < 1; ++i)
      std::this_thread::sleep_for(20ms);
    EXPECT_GT(metric(p, "vllm:kv_cache_usage_perc"), 0);
    for (int fd : fds) ::close(fd);  // every client walks away without its answer
    while (!stop) std::this_thread::sleep_for(20ms);
  };
  under_attack({attack}, 2000ms);
  EXPECT_EQ(metric(p, "vllm:request_success_total", "finished_reason=\"abort\"") - aborts_before,
            kClients);
}

TEST_F(AttackTest, AmplificationInsideTheLimitsIsRefused) {
  const int p = port();
  auto sequences = [&](const std::atomic<bool>& stop) {
    Json prompts = Json::array();
    for (int i = 0; i < 64; ++i) prompts.push_back("prompt " + std::to_string(i));
    std::string body = Json{{"prompt", prompts}, {"n", 128}, {"max_tokens", 16}}.dump();
    for (int i = 0; !stop && i < 50; ++i) {
      std::string r = raw_request(p, request("POST", "/v1/completions", p, body, kJson));
      EXPECT_EQ(status_of(r), 400) << r.substr(0, 200);
      EXPECT_NE(body_of(r).find("at most 256"), std::string::npos) << r;
    }
  };
  const std::string big = Json{{"prompt", std::string(7u << 20, 'a')}}.dump();
  // Alone, a 7 MiB text is refused at once: it cannot fit max_model_len, so it is never tokenized
  // (tokenizing it would take many seconds and gigabytes).
  auto t0 = Clock::now();
  std::string alone = raw_request(p, request("POST", "/tokenize", p, big, kJson));
  EXPECT_EQ(status_of(alone), 400) << alone.substr(0, 300);
  EXPECT_NE(body_of(alone).find("cannot fit"), std::string::npos) << alone.substr(0, 300);
  EXPECT_LT(seconds_since(t0), 1.0);
  auto tokenize = [&](const std::atomic<bool>& stop) {
    for (int i = 0; !stop && i < 10; ++i) {
      std::string r = raw_request(p, request("POST", "/tokenize", p, big, kJson));
      // 400: cannot fit; 503: the other large bodies already hold the body memory budget.
      EXPECT_TRUE(status_of(r) == 400 || status_of(r) == 503) << r.substr(0, 200);
    }
  };
  std::vector<std::function<void(const std::atomic<bool>&)>> attack(8, tokenize);
  attack.push_back(sequences);
  under_attack(attack);
}

TEST(AttackKey, HeaderValuesAreNotPercentDecoded) {
  fs::path dir = fs::temp_directory_path() / ("pagoda-key-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string key = "sk-test-1234%34";
  std::ofstream(dir / "key") << key << "\n";
  CliServer s({"--api-key-file", (dir / "key").string()});
  ASSERT_GT(s.port(), 0);
  const int p = s.port();
  auto status_with = [&](const std::string& auth) {
    return status_of(raw_request(
        p, request("GET", "/v1/models", p, "", "Authorization: Bearer " + auth + "\r\n")));
  };
  EXPECT_EQ(status_with(key), 200);              // the raw key, % and all
  EXPECT_EQ(status_with("sk-test-12344"), 401);  // its percent-decoded form
  EXPECT_EQ(status_with("sk-test-123%34%34"), 401);
  EXPECT_EQ(status_with("sk-test-1234%2534"), 401);
  EXPECT_EQ(status_with("sk-test-1234%3"), 401);
  EXPECT_EQ(status_of(raw_request(p, request("GET", "/v1/models", p))), 401);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace pagoda::server
