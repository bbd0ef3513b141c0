#pragma once
// Read-only client of a model hub: ModelScope (default) or Hugging Face and its mirrors.
// Every method is const and keeps no state between calls, so one HubClient may be used from
// several threads at once. Failures throw HubError (a pagoda::Error) with a message that names
// the model and what the hub said.
#include <cstdint>
#include <string>
#include <vector>

#include "app/hub/http.h"
#include "engine/util/error.h"

namespace pagoda::hub {

enum class HubKind { ModelScope, HuggingFace };

struct HubEndpoint {
  HubKind kind = HubKind::ModelScope;
  std::string base_url = "https://www.modelscope.cn";  // no trailing slash

  static HubEndpoint modelscope() { return {}; }
  static HubEndpoint huggingface() { return {HubKind::HuggingFace, "https://huggingface.co"}; }
  // "modelscope" | "ms" | "huggingface" | "hf" | "ms+URL" | "hf+URL" | URL. A bare URL speaks
  // the Hugging Face API (mirrors such as https://hf-mirror.com) unless its host contains
  // "modelscope". Throws InvalidArgument for anything else.
  static HubEndpoint parse(const std::string& text);
  std::string str() const;  // parse(str()) round-trips; used in the queue's state file
  std::string default_revision() const { return kind == HubKind::ModelScope ? "master" : "main"; }
  bool operator==(const HubEndpoint&) const = default;
};

class HubError : public Error {
 public:
  HubError(const std::string& message, int http_status, bool retryable)
      : Error(message), http_status_(http_status), retryable_(retryable) {}
  int http_status() const { return http_status_; }  // 0: no HTTP answer
  bool retryable() const { return retryable_; }

 private:
  int http_status_;
  bool retryable_;
};

enum class SortBy { Default, Downloads, Likes, LastUpdated };

struct SearchQuery {
  std::string text;  // keyword; empty lists everything
  SortBy sort = SortBy::Downloads;
  std::string task;     // e.g. "text-generation"
  std::string library;  // e.g. "transformers"
  std::string author;   // owner / organization
  int page_size = 20;
  std::string page_token;  // from SearchPage::next_page_token; empty: the first page
};

struct ModelSummary {
  std::string id;  // owner/name
  std::string display_name;
  int64_t downloads = 0;
  int64_t likes = 0;
  std::string last_modified;  // ISO 8601 (UTC) when the hub says
  std::vector<std::string> tasks;
  std::vector<std::string> libraries;
  std::vector<std::string> tags;
  std::string license;
  int64_t storage_bytes = -1;  // -1: unknown
};

struct SearchPage {
  std::vector<ModelSummary> models;
  int64_t total_count = -1;     // -1: the hub does not say
  std::string next_page_token;  // empty: no more pages
  // Filters that the hub did not apply itself and the client applied to this page only (so a
  // page may hold fewer than page_size models).
  std::vector<std::string> filtered_client_side;
};

struct RepoFile {
  std::string path;    // relative, '/'-separated, as the hub lists it (validate before use)
  int64_t size = -1;   // -1: unknown
  std::string sha256;  // lowercase hex; empty when the hub gives none (plain git files on HF)
};

struct Revisions {
  std::vector<std::string> branches;
  std::vector<std::string> tags;
};

struct ModelDetail {
  ModelSummary summary;
  std::string description;
  std::string card_markdown;  // README.md (model card); empty when there is none
  std::string revision;       // the revision asked for (or the default branch)
  std::string commit;         // commit id when the hub says
  std::vector<RepoFile> files;
  Revisions revisions;
  int64_t total_bytes() const;
};

class HubClient {
 public:
  // token: optional access token, sent only to the hub's own host; never logged.
  explicit HubClient(HubEndpoint endpoint = {}, std::string token = {}, HttpOptions options = {});

  SearchPage search(const SearchQuery& query) const;
  // revision "" = the hub's default branch. with_card fetches README.md when the API answer
  // does not include it.
  ModelDetail model_info(const std::string& model_id, const std::string& revision = "",
                         bool with_files = true, bool with_card = true) const;
  // commit (optional): set to the hub's commit id of that revision when the listing says.
  std::vector<RepoFile> list_files(const std::string& model_id, const std::string& revision = "",
                                   std::string* commit = nullptr) const;
  Revisions revisions(const std::string& model_id) const;
  // A small text file (config.json, README.md) in full; throws when larger than max_bytes.
  std::string fetch_text(const std::string& model_id, const std::string& revision,
                         const std::string& path, size_t max_bytes = 16u << 20) const;
  // URL that downloads one file (redirects may follow); path must be a validated repo path.
  std::string file_url(const std::string& model_id, const std::string& revision,
                       const std::string& path) const;

  const HubEndpoint& endpoint() const { return endpoint_; }
  const HttpClient& http() const { return http_; }
  std::string revision_or_default(const std::string& revision) const {
    return revision.empty() ? endpoint_.default_revision() : revision;
  }

 private:
  HttpResult call(const std::string& method, const std::string& url, const std::string& body,
                  const std::string& what) const;
  HubEndpoint endpoint_;
  HttpClient http_;
};

// Throws HubError naming `what` for a failed answer (retryable for 5xx, 429, transport).
[[noreturn]] void throw_http_error(const HttpResult& result, const std::string& what);

}  // namespace pagoda::hub
