#include "app/hub/hub_client.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>

#include "app/hub/repo_path.h"
#include "engine/util/json.h"

namespace pagoda::hub {
namespace {

// Defensive readers: hubs rename and retype fields; a wrong type reads as absent.
std::string str_field(const Json& j, std::initializer_list<const char*> names) {
  if (!j.is_object()) return {};
  for (const char* n : names) {
    auto it = j.find(n);
    if (it == j.end() || it->is_null()) continue;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  }
  return {};
}

int64_t int_field(const Json& j, std::initializer_list<const char*> names, int64_t fallback = 0) {
  if (!j.is_object()) return fallback;
  for (const char* n : names) {
    auto it = j.find(n);
    if (it == j.end()) continue;
    if (it->is_number_integer()) return it->get<int64_t>();
    if (it->is_number_float()) return static_cast<int64_t>(it->get<double>());
    if (it->is_string()) {
      try {
        return std::stoll(it->get<std::string>());
      } catch (...) {
      }
    }
  }
  return fallback;
}

// ["a", {"Name": "b"}] -> {"a", "b"}
std::vector<std::string> names_field(const Json& j, std::initializer_list<const char*> names) {
  std::vector<std::string> out;
  if (!j.is_object()) return out;
  for (const char* n : names) {
    auto it = j.find(n);
    if (it == j.end()) continue;
    if (it->is_string()) out.push_back(it->get<std::string>());
    if (!it->is_array()) continue;
    for (const Json& e : *it) {
      std::string s = e.is_string() ? e.get<std::string>()
                                    : str_field(e, {"Name", "name", "Revision", "Value", "id"});
      if (!s.empty()) out.push_back(s);
    }
  }
  return out;
}

std::string iso_from_unix(int64_t t) {
  if (t > 100000000000) t /= 1000;  // milliseconds
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string time_field(const Json& j, std::initializer_list<const char*> names) {
  if (!j.is_object()) return {};
  for (const char* n : names) {
    auto it = j.find(n);
    if (it == j.end() || it->is_null()) continue;
    if (it->is_number()) return iso_from_unix(it->get<int64_t>());
    if (it->is_string()) return it->get<std::string>();
  }
  return {};
}

void split_id(const std::string& id, std::string& owner, std::string& name) {
  if (!is_valid_model_id(id))
    throw InvalidArgument("not a model id: '" + id + "' (expected owner/name)");
  size_t slash = id.find('/');
  owner = id.substr(0, slash);
  name = id.substr(slash + 1);
}

Json parse_json(const HttpResult& r, const std::string& what) {
  try {
    return Json::parse(r.body);
  } catch (const std::exception& e) {
    throw HubError(
        what + ": the hub answered something that is not JSON (" + r.body.substr(0, 120) + ")",
        r.status, false);
  }
}

// ModelScope wraps answers in {"Code":200,"Data":...,"Message":...,"Success":true}; the HTTP
// status may be 200 on failure, so both are checked.
Json ms_data(const Json& j, const std::string& what) {
  if (!j.is_object()) throw HubError(what + ": unexpected answer from ModelScope", 200, false);
  int64_t code = int_field(j, {"Code"}, 200);
  bool success = !j.contains("Success") || !j["Success"].is_boolean() || j["Success"].get<bool>();
  if (code != 200 || !success) {
    std::string msg = str_field(j, {"Message", "message"});
    bool retryable = code >= 500 || code == 429;
    throw HubError(what + ": ModelScope says " + (msg.empty() ? "error" : msg) + " (code " +
                       std::to_string(code) + ")",
                   static_cast<int>(code), retryable);
  }
  static const Json empty = Json::object();
  auto it = j.find("Data");
  return it == j.end() ? empty : *it;
}

std::string next_link(const HttpResult& r) {
  // Link: <https://huggingface.co/api/models?cursor=...>; rel="next"
  std::string link = r.header("Link");
  size_t rel = link.find("rel=\"next\"");
  if (rel == std::string::npos) return {};
  size_t close = link.rfind('>', rel);
  size_t open = close == std::string::npos ? std::string::npos : link.rfind('<', close);
  if (open == std::string::npos) return {};
  return link.substr(open + 1, close - open - 1);
}

bool contains_ci(const std::vector<std::string>& v, const std::string& want) {
  auto low = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  std::string w = low(want);
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return low(s) == w; });
}

ModelSummary ms_summary(const Json& m) {
  ModelSummary s;
  std::string owner = str_field(m, {"Path", "Owner", "Organization"});
  std::string name = str_field(m, {"Name"});
  s.id = owner.empty() ? name : owner + "/" + name;
  s.display_name = str_field(m, {"ChineseName", "DisplayName"});
  if (s.display_name.empty()) s.display_name = name;
  s.downloads = int_field(m, {"Downloads", "DownloadCount"});
  s.likes = int_field(m, {"Stars", "Likes"});
  s.last_modified = time_field(m, {"LastUpdatedTime", "GmtModified", "LastModified"});
  s.tasks = names_field(m, {"Tasks"});
  s.libraries = names_field(m, {"Libraries", "Frameworks"});
  s.tags = names_field(m, {"Tags"});
  s.license = str_field(m, {"License"});
  s.storage_bytes = int_field(m, {"StorageSize"}, -1);
  return s;
}

ModelSummary hf_summary(const Json& m) {
  ModelSummary s;
  s.id = str_field(m, {"id", "modelId"});
  s.display_name = s.id;
  s.downloads = int_field(m, {"downloads"});
  s.likes = int_field(m, {"likes"});
  s.last_modified = str_field(m, {"lastModified", "createdAt"});
  if (std::string t = str_field(m, {"pipeline_tag"}); !t.empty()) s.tasks.push_back(t);
  if (std::string l = str_field(m, {"library_name"}); !l.empty()) s.libraries.push_back(l);
  s.tags = names_field(m, {"tags"});
  for (const auto& t : s.tags)
    if (t.rfind("license:", 0) == 0) s.license = t.substr(8);
  if (m.contains("cardData") && m["cardData"].is_object()) {
    std::string l = str_field(m["cardData"], {"license"});
    if (!l.empty()) s.license = l;
  }
  if (m.contains("safetensors") && m["safetensors"].is_object())
    s.storage_bytes = -1;  // "total" counts parameters, not bytes
  return s;
}

}  // namespace

HubEndpoint HubEndpoint::parse(const std::string& text) {
  auto lower = text;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.empty() || lower == "modelscope" || lower == "ms") return modelscope();
  if (lower == "huggingface" || lower == "hf") return huggingface();
  HubEndpoint e;
  std::string url = text;
  if (lower.rfind("ms+", 0) == 0 || lower.rfind("modelscope+", 0) == 0) {
    e.kind = HubKind::ModelScope;
    url = text.substr(text.find('+') + 1);
  } else if (lower.rfind("hf+", 0) == 0 || lower.rfind("huggingface+", 0) == 0) {
    e.kind = HubKind::HuggingFace;
    url = text.substr(text.find('+') + 1);
  } else {
    Url u = Url::parse(text);
    e.kind =
        u.host.find("modelscope") != std::string::npos ? HubKind::ModelScope : HubKind::HuggingFace;
  }
  Url u = Url::parse(url);  // validates
  std::string base = u.origin() + u.path_and_query;
  while (!base.empty() && base.back() == '/') base.pop_back();
  e.base_url = base;
  return e;
}

std::string HubEndpoint::str() const {
  if (*this == modelscope()) return "modelscope";
  if (*this == huggingface()) return "huggingface";
  bool implied_ms = base_url.find("modelscope") != std::string::npos;
  if ((kind == HubKind::ModelScope) == implied_ms) return base_url;
  return (kind == HubKind::ModelScope ? "ms+" : "hf+") + base_url;
}

int64_t ModelDetail::total_bytes() const {
  int64_t total = 0;
  for (const auto& f : files) total += std::max<int64_t>(f.size, 0);
  return total;
}

void throw_http_error(const HttpResult& r, const std::string& what) {
  if (r.transport != TransportError::None)
    throw HubError(what + ": " + r.describe(), 0, r.transport != TransportError::Canceled);
  std::string hint;
  if (r.status == 401 || r.status == 403)
    hint = " (private or gated model: set an access token, and accept the license on the hub)";
  else if (r.status == 404)
    hint = " (no such model, revision or file)";
  else if (r.status == 429)
    hint = " (rate limited)";
  bool retryable = r.status >= 500 || r.status == 429 || r.status == 408;
  throw HubError(what + ": " + r.describe() + hint, r.status, retryable);
}

HubClient::HubClient(HubEndpoint endpoint, std::string token, HttpOptions options)
    : endpoint_(std::move(endpoint)), http_([&] {
        options.bearer_token = std::move(token);
        return options;
      }()) {}

HttpResult HubClient::call(const std::string& method, const std::string& url,
                           const std::string& body, const std::string& what) const {
  HttpRequest req;
  req.method = method;
  req.url = url;
  req.body = body;
  req.headers.emplace("Accept", "application/json");
  // A few quick retries for transient errors; the download queue has its own, longer policy.
  for (int attempt = 0;; ++attempt) {
    HttpResult r = http_.send(req);
    bool transient = r.transport == TransportError::Connect ||
                     r.transport == TransportError::Timeout ||
                     r.transport == TransportError::Dropped || r.status >= 500 || r.status == 429;
    if (r.ok() || !transient || attempt >= 2) {
      if (!r.ok()) throw_http_error(r, what);
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300 << attempt));
  }
}

SearchPage HubClient::search(const SearchQuery& q) const {
  SearchPage page;
  int page_size = std::clamp(q.page_size, 1, 100);
  if (endpoint_.kind == HubKind::ModelScope) {
    int page_number = q.page_token.empty() ? 1 : std::max(1, std::atoi(q.page_token.c_str()));
    const char* sort = q.sort == SortBy::Downloads     ? "DownloadsCount"
                       : q.sort == SortBy::Likes       ? "StarsCount"
                       : q.sort == SortBy::LastUpdated ? "GmtModified"
                                                       : "Default";
    Json criterion = Json::array();
    auto add = [&](const char* category, const std::string& value) {
      if (!value.empty())
        criterion.push_back(
            {{"category", category}, {"predicate", "contains"}, {"values", {value}}});
    };
    add("tasks", q.task);
    add("libraries", q.library);
    add("organizations", q.author);
    Json body = {
        {"Name", q.text},        {"PageSize", page_size}, {"PageNumber", page_number},
        {"SortBy", sort},        {"Target", ""},          {"SingleCriterion", Json::array()},
        {"Criterion", criterion}};
    HttpResult r = call("PUT", endpoint_.base_url + "/api/v1/dolphin/models", body.dump(),
                        "search '" + q.text + "'");
    Json data = ms_data(parse_json(r, "search"), "search '" + q.text + "'");
    const Json& model = data.contains("Model") ? data["Model"] : data;
    page.total_count = int_field(model, {"TotalCount"}, -1);
    if (model.contains("Models") && model["Models"].is_array())
      for (const Json& m : model["Models"]) page.models.push_back(ms_summary(m));
    if (page.total_count >= 0 ? int64_t(page_number) * page_size < page.total_count
                              : static_cast<int>(page.models.size()) == page_size)
      page.next_page_token = std::to_string(page_number + 1);
  } else {
    std::string url;
    if (!q.page_token.empty()) {
      // The token is the hub's own Link URL; only follow it on the same host (it may carry
      // our token otherwise).
      Url next = Url::parse(q.page_token);
      if (next.origin() != Url::parse(endpoint_.base_url).origin())
        throw InvalidArgument("page token does not belong to " + endpoint_.base_url);
      url = q.page_token;
    } else {
      const char* sort = q.sort == SortBy::Downloads     ? "downloads"
                         : q.sort == SortBy::Likes       ? "likes"
                         : q.sort == SortBy::LastUpdated ? "lastModified"
                                                         : "";
      url = endpoint_.base_url + "/api/models?limit=" + std::to_string(page_size) + "&full=true";
      if (!q.text.empty()) url += "&search=" + url_encode(q.text);
      if (*sort) url += std::string("&sort=") + sort + "&direction=-1";
      if (!q.task.empty()) url += "&pipeline_tag=" + url_encode(q.task);
      if (!q.library.empty()) url += "&library=" + url_encode(q.library);
      if (!q.author.empty()) url += "&author=" + url_encode(q.author);
    }
    HttpResult r = call("GET", url, "", "search '" + q.text + "'");
    Json j = parse_json(r, "search");
    if (j.is_array())
      for (const Json& m : j) page.models.push_back(hf_summary(m));
    page.next_page_token = next_link(r);
    if (!page.next_page_token.empty() &&
        Url::parse(page.next_page_token).origin() != Url::parse(endpoint_.base_url).origin())
      page.next_page_token.clear();
  }
  // Never pretend a filter applied when the answer does not show it.
  auto drop_unless = [&](const std::string& value, const char* label, auto field) {
    if (value.empty()) return;
    size_t before = page.models.size();
    std::erase_if(page.models, [&](const ModelSummary& m) {
      const auto& values = m.*field;
      return !values.empty() && !contains_ci(values, value);
    });
    if (page.models.size() != before) page.filtered_client_side.push_back(label);
  };
  drop_unless(q.task, "task", &ModelSummary::tasks);
  drop_unless(q.library, "library", &ModelSummary::libraries);
  return page;
}

std::vector<RepoFile> HubClient::list_files(const std::string& model_id,
                                            const std::string& revision,
                                            std::string* commit) const {
  std::string owner, name;
  split_id(model_id, owner, name);
  std::string rev = revision_or_default(revision);
  std::string what = "file list of " + model_id + "@" + rev;
  std::vector<RepoFile> files;
  if (endpoint_.kind == HubKind::ModelScope) {
    std::string url = endpoint_.base_url + "/api/v1/models/" + url_encode(owner) + "/" +
                      url_encode(name) + "/repo/files?Revision=" + url_encode(rev) +
                      "&Recursive=true";
    Json data = ms_data(parse_json(call("GET", url, "", what), what), what);
    if (!data.contains("Files") || !data["Files"].is_array()) return files;
    for (const Json& f : data["Files"]) {
      if (str_field(f, {"Type"}) == "tree") continue;
      RepoFile rf;
      rf.path = str_field(f, {"Path", "Name"});
      rf.size = int_field(f, {"Size"}, -1);
      rf.sha256 = str_field(f, {"Sha256"});
      if (commit && commit->empty()) *commit = str_field(f, {"Revision", "CommitId"});
      files.push_back(std::move(rf));
    }
  } else {
    std::string url = endpoint_.base_url + "/api/models/" + url_encode(owner) + "/" +
                      url_encode(name) + "/tree/" + url_encode(rev) + "?recursive=true";
    const std::string origin = Url::parse(endpoint_.base_url).origin();
    for (int pages = 0; !url.empty() && pages < 1000; ++pages) {
      HttpResult r = call("GET", url, "", what);
      Json j = parse_json(r, what);
      if (j.is_array())
        for (const Json& f : j) {
          if (str_field(f, {"type"}) != "file") continue;
          RepoFile rf;
          rf.path = str_field(f, {"path"});
          rf.size = int_field(f, {"size"}, -1);
          if (f.contains("lfs") && f["lfs"].is_object()) {
            rf.sha256 = str_field(f["lfs"], {"oid", "sha256"});
            rf.size = int_field(f["lfs"], {"size"}, rf.size);
          }
          files.push_back(std::move(rf));
        }
      url = next_link(r);
      if (!url.empty() && Url::parse(url).origin() != origin) url.clear();
    }
  }
  for (auto& f : files) {
    for (char& c : f.sha256) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (f.sha256.size() != 64) f.sha256.clear();  // git blob ids are not sha256
  }
  return files;
}

Revisions HubClient::revisions(const std::string& model_id) const {
  std::string owner, name;
  split_id(model_id, owner, name);
  std::string what = "revisions of " + model_id;
  Revisions out;
  if (endpoint_.kind == HubKind::ModelScope) {
    std::string url = endpoint_.base_url + "/api/v1/models/" + url_encode(owner) + "/" +
                      url_encode(name) + "/revisions";
    Json data = ms_data(parse_json(call("GET", url, "", what), what), what);
    const Json& map = data.contains("RevisionMap") ? data["RevisionMap"] : data;
    out.branches = names_field(map, {"Branches"});
    out.tags = names_field(map, {"Tags"});
  } else {
    std::string url =
        endpoint_.base_url + "/api/models/" + url_encode(owner) + "/" + url_encode(name) + "/refs";
    Json j = parse_json(call("GET", url, "", what), what);
    out.branches = names_field(j, {"branches"});
    out.tags = names_field(j, {"tags"});
  }
  return out;
}

ModelDetail HubClient::model_info(const std::string& model_id, const std::string& revision,
                                  bool with_files, bool with_card) const {
  std::string owner, name;
  split_id(model_id, owner, name);
  ModelDetail d;
  d.revision = revision_or_default(revision);
  std::string what = "model " + model_id;
  if (endpoint_.kind == HubKind::ModelScope) {
    std::string url = endpoint_.base_url + "/api/v1/models/" + url_encode(owner) + "/" +
                      url_encode(name) + "?Revision=" + url_encode(d.revision);
    Json data = ms_data(parse_json(call("GET", url, "", what), what), what);
    d.summary = ms_summary(data);
    if (d.summary.id.empty() || d.summary.id == name) d.summary.id = model_id;
    d.description = str_field(data, {"Description"});
    d.card_markdown = str_field(data, {"ReadMeContent", "Readme"});
  } else {
    std::string url = endpoint_.base_url + "/api/models/" + url_encode(owner) + "/" +
                      url_encode(name) + "/revision/" + url_encode(d.revision);
    Json j = parse_json(call("GET", url, "", what), what);
    d.summary = hf_summary(j);
    if (d.summary.id.empty()) d.summary.id = model_id;
    d.commit = str_field(j, {"sha"});
  }
  if (with_files) {
    std::string listed_commit;
    d.files = list_files(model_id, d.revision, &listed_commit);
    if (d.commit.empty()) d.commit = listed_commit;
  }
  try {
    d.revisions = revisions(model_id);
  } catch (const HubError&) {
    // Optional: some mirrors do not serve refs.
  }
  if (with_card && d.card_markdown.empty()) {
    bool has_readme = !with_files || std::any_of(d.files.begin(), d.files.end(),
                                                 [](auto& f) { return f.path == "README.md"; });
    if (has_readme) {
      try {
        d.card_markdown = fetch_text(model_id, d.revision, "README.md", 1u << 20);
      } catch (const HubError&) {
      }
    }
  }
  return d;
}

std::string HubClient::file_url(const std::string& model_id, const std::string& revision,
                                const std::string& path) const {
  std::string owner, name;
  split_id(model_id, owner, name);
  if (std::string problem = repo_path_problem(path); !problem.empty())
    throw InvalidArgument(model_id + ": unsafe file path '" + path + "': " + problem);
  std::string rev = revision_or_default(revision);
  if (endpoint_.kind == HubKind::ModelScope)
    return endpoint_.base_url + "/api/v1/models/" + url_encode(owner) + "/" + url_encode(name) +
           "/repo?Revision=" + url_encode(rev) + "&FilePath=" + url_encode(path);
  return endpoint_.base_url + "/" + url_encode(owner) + "/" + url_encode(name) + "/resolve/" +
         url_encode(rev) + "/" + url_encode(path, true);
}

std::string HubClient::fetch_text(const std::string& model_id, const std::string& revision,
                                  const std::string& path, size_t max_bytes) const {
  std::string what = model_id + ": " + path;
  HttpRequest req;
  req.url = file_url(model_id, revision, path);
  std::string body;
  bool too_big = false;
  req.on_data = [&](const char* data, size_t n) {
    if (body.size() + n > max_bytes) {
      too_big = true;
      return false;
    }
    body.append(data, n);
    return true;
  };
  for (int attempt = 0;; ++attempt) {
    body.clear();
    HttpResult r = http_.send(req);
    if (too_big)
      throw HubError(what + ": larger than " + std::to_string(max_bytes) + " bytes", r.status,
                     false);
    if (r.ok()) return body;
    bool transient = (r.transport != TransportError::None && r.transport != TransportError::Tls) ||
                     r.status >= 500 || r.status == 429;
    if (!transient || attempt >= 2) throw_http_error(r, what);
    std::this_thread::sleep_for(std::chrono::milliseconds(300 << attempt));
  }
}

}  // namespace pagoda::hub
