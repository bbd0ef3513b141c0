// The hub client against the fake hub, in both API dialects (ModelScope and Hugging Face).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fake_hub.h"
#include "hub/hub_client.h"
#include "hub/model_fit.h"
#include "hub/sha256.h"

using namespace pagoda::hub;
namespace fs = std::filesystem;

namespace {

const fs::path kModels = fs::path(PAGODA_TEST_DATA) / "models";

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

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
}

INSTANTIATE_TEST_SUITE_P(Dialects, HubClientTest,
                         ::testing::Values(HubKind::ModelScope, HubKind::HuggingFace),
                         [](const auto& info) {
                           return info.param == HubKind::ModelScope ? "ModelScope" : "HuggingFace";
                         });

}  // namespace
