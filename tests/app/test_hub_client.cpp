// The hub client against the fake hub, in both API dialects (ModelScope and Hugging Face).
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/app/fake_hub/fake_hub.h"
#include "tests/app/fake_hub/recording_proxy.h"
#include "app/hub/hub_client.h"
#include "app/hub/model_fit.h"
#include "app/hub/sha256.h"
#include "tests/fixture_files.h"

using namespace pagoda::hub;
namespace fs = std::filesystem;

using pagoda::testing::read_all;

namespace {

const fs::path kModels = fs::path(PAGODA_TEST_DATA) / "models";

class HubClientTest : public ::testing::TestWithParam<HubKind> {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<pagoda::test::FakeHub>(kModels);
    hub_->start();
  }
  HubClient client(std::string token = {}) const {
    HubEndpoint e{GetParam(), hub_->url()};
    return HubClient(e, token);
  }
  std::unique_ptr<pagoda::test::FakeHub> hub_;
};

TEST_P(HubClientTest, SearchSortsAndPages) {
  SearchQuery q;
  q.text = "tiny";
  q.page_size = 2;
  q.sort = SortBy::Downloads;
  SearchPage first = client().search(q);
  ASSERT_EQ(first.models.size(), 2u);
  EXPECT_GE(first.models[0].downloads, first.models[1].downloads);
  for (auto& m : first.models) {
    EXPECT_NE(m.id.find("pagoda/tiny-"), std::string::npos) << m.id;
    EXPECT_FALSE(m.tasks.empty());
  }
  ASSERT_FALSE(first.next_page_token.empty());
  std::set<std::string> seen;
  for (auto& m : first.models) seen.insert(m.id);
  q.page_token = first.next_page_token;
  for (int guard = 0; guard < 10 && !q.page_token.empty(); ++guard) {
    SearchPage next = client().search(q);
    for (auto& m : next.models) EXPECT_TRUE(seen.insert(m.id).second) << "repeated " << m.id;
    q.page_token = next.next_page_token;
  }
  size_t tiny = 0;  // every tiny-* fixture (plain and quantized); demo-chat does not match
  for (const auto& e : fs::directory_iterator(kModels))
    tiny += e.path().filename().string().rfind("tiny-", 0) == 0;
  EXPECT_EQ(seen.size(), tiny);

  q = SearchQuery{};
  q.sort = SortBy::Likes;
  SearchPage by_likes = client().search(q);
  ASSERT_GE(by_likes.models.size(), 2u);
  for (size_t i = 1; i < by_likes.models.size(); ++i)
    EXPECT_GE(by_likes.models[i - 1].likes, by_likes.models[i].likes);
}

TEST_P(HubClientTest, DetailHasFilesWithSizesAndHashes) {
  ModelDetail d = client().model_info("pagoda/demo-chat");
  EXPECT_EQ(d.summary.id, "pagoda/demo-chat");
  EXPECT_EQ(d.summary.license, "apache-2.0");
  EXPECT_EQ(d.card_markdown, read_all(kModels / "demo-chat" / "README.md"));
  EXPECT_FALSE(d.revisions.branches.empty());
  ASSERT_FALSE(d.files.empty());
  int hashed = 0;
  for (auto& f : d.files) {
    fs::path local = kModels / "demo-chat" / f.path;
    ASSERT_TRUE(fs::exists(local)) << f.path;
    EXPECT_EQ(f.size, static_cast<int64_t>(fs::file_size(local))) << f.path;
    if (!f.sha256.empty()) {
      EXPECT_EQ(f.sha256, sha256_file(local)) << f.path;
      ++hashed;
    }
  }
  EXPECT_GE(hashed, 1);  // ModelScope hashes every file; HF only LFS files
  EXPECT_EQ(d.total_bytes(), [&] {
    int64_t t = 0;
    for (auto& e : fs::directory_iterator(kModels / "demo-chat")) t += e.file_size();
    return t;
  }());
}

TEST_P(HubClientTest, ConfigForTheFitEstimate) {
  std::string text = client().fetch_text("pagoda/tiny-qwen2", "", "config.json");
  EXPECT_EQ(text, read_all(kModels / "tiny-qwen2" / "config.json"));
  ModelFootprint fp = fetch_footprint(client(), "pagoda/tiny-qwen2");
  pagoda::ModelConfig local = pagoda::ModelConfig::from_dir(kModels / "tiny-qwen2");
  EXPECT_EQ(fp.num_parameters, local.num_parameters());
  EXPECT_EQ(fp.config.num_layers, local.num_layers);
  EXPECT_GT(fp.kv_bytes_per_token, 0u);
  EXPECT_EQ(fp.weight_bytes,
            static_cast<int64_t>(
                fs::file_size(kModels / "tiny-qwen2" / "model-00001-of-00002.safetensors") +
                fs::file_size(kModels / "tiny-qwen2" / "model-00002-of-00002.safetensors")));
}

TEST_P(HubClientTest, MissingModelIsAClearError) {
  try {
    client().model_info("pagoda/no-such-model");
    FAIL() << "no error";
  } catch (const HubError& e) {
    EXPECT_NE(std::string(e.what()).find("pagoda/no-such-model"), std::string::npos) << e.what();
    EXPECT_FALSE(e.retryable());
  }
  EXPECT_THROW(client().model_info("not-an-id"), pagoda::InvalidArgument);
  EXPECT_THROW(client().fetch_text("pagoda/tiny-qwen2", "", "../../etc/passwd"),
               pagoda::InvalidArgument);
}

TEST_P(HubClientTest, TokenIsSentAndRequired) {
  pagoda::test::FakeHubFaults f;
  f.require_token = "s3cret";
  hub_->set_faults(f);
  try {
    client().list_files("pagoda/tiny-qwen2");
    FAIL() << "no error without the token";
  } catch (const HubError& e) {
    EXPECT_EQ(e.http_status(), 401);
    EXPECT_NE(std::string(e.what()).find("token"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos);
  }
  EXPECT_FALSE(client("s3cret").list_files("pagoda/tiny-qwen2").empty());
}

TEST_P(HubClientTest, RedirectDropsCredentialsOnOtherHosts) {
  pagoda::test::FakeHubFaults f;
  f.redirect = true;
  hub_->set_faults(f);
  const std::string config = read_all(kModels / "tiny-qwen2" / "config.json");
  // Same origin: the token follows (and the fake CDN can see it, so the check below can fail).
  EXPECT_EQ(client("tok").fetch_text("pagoda/tiny-qwen2", "", "config.json"), config);
  EXPECT_EQ(hub_->stats().cdn_requests, 1);
  EXPECT_TRUE(hub_->stats().cdn_saw_authorization);
  // Another origin (localhost instead of 127.0.0.1): no Authorization header there.
  hub_->reset_stats();
  f.redirect_origin = "http://localhost:" + std::to_string(hub_->port());
  hub_->set_faults(f);
  EXPECT_EQ(client("tok").fetch_text("pagoda/tiny-qwen2", "", "config.json"), config);
  EXPECT_EQ(hub_->stats().cdn_requests, 1);
  EXPECT_FALSE(hub_->stats().cdn_saw_authorization);
  // Another host and port (the CDN listener): none either.
  hub_->reset_stats();
  f.redirect_origin.clear();
  f.redirect_to_cdn = true;
  hub_->set_faults(f);
  EXPECT_EQ(client("tok").fetch_text("pagoda/tiny-qwen2", "", "config.json"), config);
  EXPECT_EQ(hub_->stats().cdn_requests, 1);
  EXPECT_FALSE(hub_->stats().cdn_saw_authorization);
}

TEST_P(HubClientTest, SignedCdnRedirectIsFollowedByteForByte) {
  pagoda::test::FakeHubFaults f;
  f.redirect = f.redirect_to_cdn = true;
  f.require_token = "tok";
  hub_->set_faults(f);
  const std::string config = read_all(kModels / "tiny-qwen2" / "config.json");
  HttpRequest req;
  req.url = client("tok").file_url("pagoda/tiny-qwen2", "", "config.json");
  HttpResult r = client("tok").http().send(req);
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.body, config);
  ASSERT_EQ(r.visited.size(), 2u);
  const std::string signed_url = r.visited[1];
  EXPECT_EQ(signed_url.rfind(hub_->cdn_url(), 0), 0u) << signed_url;
  const std::string path = signed_url.substr(0, signed_url.find('?'));
  const std::string query = signed_url.substr(signed_url.find('?'));
  for (const char* escape : {"%2B", "%2F", "%3D"}) {
    EXPECT_NE(path.find(escape), std::string::npos) << path;
    EXPECT_NE(query.find(escape), std::string::npos) << query;
  }
  EXPECT_EQ(hub_->stats().cdn_requests, 1);
  EXPECT_EQ(hub_->stats().cdn_rejected, 0);
  // The token went to the hub (which requires it) but not to the CDN on another host and port.
  EXPECT_FALSE(hub_->stats().cdn_saw_authorization);

  // The fake CDN is as strict as an object store: the same URL decoded, in the path or in the
  // query, is refused.
  auto decode_one = [](std::string s, const std::string& escape, char c, size_t from) {
    size_t at = s.find(escape, from);
    return at == std::string::npos ? s : s.replace(at, 3, 1, c);
  };
  size_t q = signed_url.find('?');
  for (const std::string& bad :
       {decode_one(signed_url, "%2F", '/', 0), decode_one(signed_url, "%2B", '+', q),
        decode_one(signed_url, "%3D", '=', q)}) {
    ASSERT_NE(bad, signed_url);
    HttpRequest again;
    again.url = bad;
    EXPECT_EQ(client().http().send(again).status, 403) << bad;
  }
  EXPECT_EQ(hub_->stats().cdn_rejected, 3);
}

INSTANTIATE_TEST_SUITE_P(Dialects, HubClientTest,
                         ::testing::Values(HubKind::ModelScope, HubKind::HuggingFace),
                         [](const auto& info) {
                           return info.param == HubKind::ModelScope ? "ModelScope" : "HuggingFace";
                         });

}  // namespace

namespace {

// Proxies: libcurl reads http_proxy / https_proxy / no_proxy; HttpOptions::proxy overrides.
TEST(HttpProxy, EnvironmentProxyAndNoProxy) {
  pagoda::test::FakeHub hub(kModels);
  hub.start();
  pagoda::test::RecordingProxy proxy;
  setenv("http_proxy", proxy.url().c_str(), 1);
  setenv("https_proxy", proxy.url().c_str(), 1);
  setenv("no_proxy", "127.0.0.1", 1);
  HttpClient http;
  HttpRequest far;
  far.url = "http://models.example.invalid/api/x";
  HttpResult r = http.send(far);
  EXPECT_EQ(r.status, 502);  // the recording proxy's answer: it went to the proxy
  HttpRequest near;
  near.url = hub.url() + "/api/v1/models/pagoda/tiny-qwen2/revisions";
  EXPECT_TRUE(http.send(near).ok());  // no_proxy: direct
  ASSERT_EQ(proxy.requests().size(), 1u);
  EXPECT_EQ(proxy.requests()[0], "GET http://models.example.invalid/api/x HTTP/1.1");
  unsetenv("http_proxy");
  unsetenv("https_proxy");
  unsetenv("no_proxy");
  // An explicit proxy (what the GUI passes from Qt's system proxy) applies without the
  // environment.
  HttpOptions o;
  o.proxy = proxy.url();
  HttpRequest again;
  again.url = "http://other.example.invalid/";
  EXPECT_EQ(HttpClient(o).send(again).status, 502);
  ASSERT_EQ(proxy.requests().size(), 2u);
  EXPECT_EQ(proxy.requests()[1], "GET http://other.example.invalid/ HTTP/1.1");
}

TEST(HttpClientErrors, TimeoutsAndRefusals) {
  pagoda::test::RecordingProxy closed_soon;  // a port that answers and closes
  HttpOptions o;
  o.connect_timeout = std::chrono::seconds(2);
  HttpClient http(o);
  HttpRequest req;
  req.url = "http://127.0.0.1:1/";  // nothing listens on port 1
  HttpResult r = http.send(req);
  EXPECT_EQ(r.transport, TransportError::Connect) << r.describe();
  EXPECT_THROW(http.send(HttpRequest{.url = "ftp://x/"}), pagoda::InvalidArgument);
  HttpOptions bad_ca;
  bad_ca.ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(HttpClient{bad_ca}, pagoda::InvalidArgument);
}

// TLS is verified; an extra CA file is trusted on top of the system store.
TEST(HttpTls, VerifiedAndAnExtraCaFileIsTrusted) {
  const fs::path dir = fs::temp_directory_path() / ("pagoda-tls-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  const std::string make = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1"
                           " -addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " +
                           cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(make.c_str()), 0) << "the openssl command (Debian: openssl) is needed";
  httplib::SSLServer server(cert.c_str(), key.c_str());
  ASSERT_TRUE(server.is_valid());
  server.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("hello over TLS", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  HttpRequest req;
  req.url = "https://127.0.0.1:" + std::to_string(port) + "/hello";
  HttpResult untrusted = HttpClient().send(req);
  EXPECT_EQ(untrusted.transport, TransportError::Tls) << untrusted.describe();
  HttpOptions o;
  o.ca_file = cert;
  HttpResult trusted = HttpClient(o).send(req);
  EXPECT_TRUE(trusted.ok()) << trusted.describe();
  EXPECT_EQ(trusted.body, "hello over TLS");
  server.stop();
  t.join();
  fs::remove_all(dir);
}

}  // namespace
