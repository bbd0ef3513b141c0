// Pure functions of the hub client: path safety, globs, URLs, endpoints.
#include <gtest/gtest.h>

#include "app/hub/http.h"
#include "app/hub/hub_client.h"
#include "app/hub/repo_path.h"

using namespace pagoda::hub;

TEST(RepoPath, AcceptsOrdinaryPaths) {
  EXPECT_EQ(repo_path_problem("config.json"), "");
  EXPECT_EQ(repo_path_problem("onnx/model.onnx"), "");
  EXPECT_EQ(repo_path_problem("a..b/c"), "");
}

TEST(RepoPath, RefusesEscapes) {
  for (const char* bad : {"../../evil", "..", "a/../../b", "/etc/passwd", "a\\b", "C:x", "a//b",
                          "./a", "a/", "", "a/./b"})
    EXPECT_NE(repo_path_problem(bad), "") << bad;
  EXPECT_NE(repo_path_problem(std::string("a\0b", 3)), "");
  EXPECT_NE(repo_path_problem("a\nb"), "");
}

TEST(Glob, MatchesLikeHuggingFaceCli) {
  EXPECT_TRUE(glob_match("*.json", "config.json"));
  EXPECT_TRUE(glob_match("*.json", "sub/x.json"));
  EXPECT_TRUE(glob_match("model-*.safetensors", "model-00001-of-00002.safetensors"));
  EXPECT_FALSE(glob_match("*.json", "model.safetensors"));
  EXPECT_TRUE(glob_match("onnx/*", "onnx/a/b.onnx"));
  EXPECT_FALSE(glob_match("onnx/*", "x/onnx/a"));
}

TEST(ModelId, Validation) {
  EXPECT_TRUE(is_valid_model_id("Qwen/Qwen2.5-0.5B-Instruct"));
  for (const char* bad : {"Qwen", "/x", "x/", "a/b/c", "../x", "a/..", "a/.hidden", "a b/c"})
    EXPECT_FALSE(is_valid_model_id(bad)) << bad;
}

TEST(Url, ParseAndResolve) {
  Url u = Url::parse("https://hf-mirror.com/api/models?x=1");
  EXPECT_EQ(u.host, "hf-mirror.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.path_and_query, "/api/models?x=1");
  EXPECT_EQ(u.origin(), "https://hf-mirror.com");
  Url l = Url::parse("http://127.0.0.1:8080");
  EXPECT_EQ(l.port, 8080);
  EXPECT_EQ(l.path_and_query, "/");
  EXPECT_THROW(Url::parse("ftp://x"), pagoda::InvalidArgument);
  EXPECT_THROW(Url::parse("http://:80/"), pagoda::InvalidArgument);
  EXPECT_THROW(Url::parse("http://h:99999/"), pagoda::InvalidArgument);
  EXPECT_EQ(url_encode("a b/c", true), "a%20b/c");
  EXPECT_EQ(url_encode("a b/c"), "a%20b%2Fc");
}

TEST(Endpoint, ParseNamesAndUrls) {
  EXPECT_EQ(HubEndpoint::parse("modelscope"), HubEndpoint::modelscope());
  EXPECT_EQ(HubEndpoint::parse("hf"), HubEndpoint::huggingface());
  HubEndpoint mirror = HubEndpoint::parse("https://hf-mirror.com/");
  EXPECT_EQ(mirror.kind, HubKind::HuggingFace);
  EXPECT_EQ(mirror.base_url, "https://hf-mirror.com");
  HubEndpoint fake = HubEndpoint::parse("ms+http://127.0.0.1:9000");
  EXPECT_EQ(fake.kind, HubKind::ModelScope);
  EXPECT_EQ(HubEndpoint::parse(fake.str()), fake);
  EXPECT_EQ(HubEndpoint::parse(mirror.str()), mirror);
  EXPECT_EQ(HubEndpoint::parse("https://www.modelscope.cn").kind, HubKind::ModelScope);
  EXPECT_THROW(HubEndpoint::parse("nonsense"), pagoda::InvalidArgument);
}
