#include "tests/app/fake_hub/fake_hub.h"
#include "tests/app/fake_hub/fake_files.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/hub/sha256.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace pagoda::test {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool has_files(const fs::path& dir) {
  for (auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) return true;
  return false;
}

}  // namespace

struct FakeHub::Impl {
  fs::path root;
  std::vector<FakeModel> models;
  httplib::Server server;
  std::thread thread;
  int port = 0;
  FakeState state;
  std::mutex& mutex = state.mutex;
  FakeHubFaults& faults = state.faults;
  FakeHubStats& stats = state.stats;
  FakeFiles files{state};

  FakeModel* find(const std::string& owner, const std::string& name) {
    for (auto& m : models)
      if (m.owner == owner && m.name == name) return &m;
    return nullptr;
  }

  const std::string& sha(FakeFile& f) { return state.sha(f); }

  std::string listed_sha(FakeFile& f, bool wrong) {
    std::string s = sha(f);
    if (wrong) s[0] = s[0] == '0' ? '1' : '0';
    return s;
  }

  void add_model(const std::string& owner, const fs::path& dir) {
    FakeModel m;
    m.owner = owner;
    m.name = dir.filename().string();
    m.id = owner + "/" + m.name;
    m.dir = dir;
    for (auto& e :
         fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink)) {
      if (!e.is_regular_file()) continue;
      FakeFile f;
      f.path = fs::relative(e.path(), dir).generic_string();
      if (f.path.rfind(".", 0) == 0) continue;  // hidden files are not part of the repo
      f.disk = e.path();
      f.size = static_cast<int64_t>(e.file_size());
      m.files.push_back(std::move(f));
    }
    std::sort(m.files.begin(), m.files.end(), [](auto& a, auto& b) { return a.path < b.path; });
    models.push_back(std::move(m));
  }

  // Checks the token; false (with a 401 answer) when one is required and missing.
  bool authorized(const httplib::Request& req, httplib::Response& res) {
    std::string need;
    {
      std::lock_guard lock(mutex);
      need = faults.require_token;
    }
    if (need.empty() || req.get_header_value("Authorization") == "Bearer " + need) return true;
    res.status = 401;
    res.set_content(R"({"Code":401,"Message":"authentication required","Success":false})",
                    "application/json");
    return false;
  }

  void ms_error(httplib::Response& res, int code, const std::string& msg) {
    res.status = code;
    Json j = {{"Code", code}, {"Message", msg}, {"Success", false}, {"RequestId", "fake"}};
    res.set_content(j.dump(), "application/json");
  }

  void ms_ok(httplib::Response& res, Json data) {
    Json j = {{"Code", 200},
              {"Data", std::move(data)},
              {"Message", "success"},
              {"Success", true},
              {"RequestId", "fake"}};
    res.set_content(j.dump(), "application/json");
  }

  Json ms_model_json(const FakeModel& m) {
    return {{"Id", std::hash<std::string>{}(m.id) % 100000},
            {"Path", m.owner},
            {"Name", m.name},
            {"ChineseName", m.name},
            {"Description", "Fixture model " + m.id},
            {"Downloads", m.downloads},
            {"Stars", m.stars},
            {"License", "apache-2.0"},
            {"LastUpdatedTime", m.modified},
            {"Tasks", Json::array({{{"Name", "text-generation"}}})},
            {"Libraries", {"transformers"}},
            {"StorageSize", [&] {
               int64_t t = 0;
               for (auto& f : m.files) t += f.size;
               return t;
             }()}};
  }

  void routes() {
    // ---- ModelScope ----
    server.Put("/api/v1/dolphin/models", [this](const httplib::Request& req,
                                                httplib::Response& res) {
      count_api();
      if (!authorized(req, res)) return;
      Json q = Json::parse(req.body, nullptr, false);
      if (q.is_discarded()) return ms_error(res, 400, "bad JSON");
      std::string name = lower(q.value("Name", std::string()));
      int size = std::max(1, q.value("PageSize", 20));
      int page = std::max(1, q.value("PageNumber", 1));
      std::string sort = q.value("SortBy", std::string("Default"));
      std::string org;
      for (auto& c : q.value("Criterion", Json::array()))
        if (c.value("category", "") == "organizations" && c.contains("values") &&
            !c["values"].empty())
          org = c["values"][0].get<std::string>();
      std::vector<const FakeModel*> hits;
      for (auto& m : models)
        if (lower(m.id).find(name) != std::string::npos && (org.empty() || m.owner == org))
          hits.push_back(&m);
      auto key = [&](const FakeModel* m) {
        return sort == "StarsCount" ? m->stars : sort == "GmtModified" ? m->modified : m->downloads;
      };
      std::stable_sort(hits.begin(), hits.end(), [&](auto a, auto b) { return key(a) > key(b); });
      Json list = Json::array();
      for (size_t i = static_cast<size_t>((page - 1) * size);
           i < hits.size() && list.size() < size_t(size); ++i)
        list.push_back(ms_model_json(*hits[i]));
      ms_ok(res, {{"Model", {{"TotalCount", hits.size()}, {"Models", list}}}});
    });
    server.Get(R"(/api/v1/models/([^/]+)/([^/]+)/revisions)", [this](const httplib::Request& req,
                                                                     httplib::Response& res) {
      count_api();
      if (!authorized(req, res)) return;
      if (!find(req.matches[1], req.matches[2])) return ms_error(res, 404, "model not found");
      ms_ok(res,
            {{"RevisionMap",
              {{"Branches", {{{"Revision", "master"}}}}, {"Tags", {{{"Revision", "v1.0"}}}}}}});
    });
    server.Get(R"(/api/v1/models/([^/]+)/([^/]+)/repo/files)",
               [this](const httplib::Request& req, httplib::Response& res) {
                 count_api();
                 if (!authorized(req, res)) return;
                 FakeModel* m = find(req.matches[1], req.matches[2]);
                 if (!m) return ms_error(res, 404, "model not found");
                 if (!revision_ok(req.get_param_value("Revision"), "master"))
                   return ms_error(res, 404, "revision not found");
                 bool recursive = req.get_param_value("Recursive") == "true";
                 FakeHubFaults f = faults_copy();
                 Json files = Json::array();
                 std::map<std::string, bool> dirs;
                 for (auto& file : m->files) {
                   size_t slash = file.path.find('/');
                   if (slash != std::string::npos) dirs[file.path.substr(0, slash)] = true;
                   if (!recursive && slash != std::string::npos) continue;
                   files.push_back({{"Name", fs::path(file.path).filename().string()},
                                    {"Path", file.path},
                                    {"Type", "blob"},
                                    {"Size", file.size},
                                    {"Sha256", listed_sha(file, f.wrong_sha256)},
                                    {"IsLFS", file.path.ends_with(".safetensors")},
                                    {"Revision", "fakecommit0001"}});
                 }
                 for (auto& [d, _] : dirs)
                   files.push_back({{"Name", d}, {"Path", d}, {"Type", "tree"}, {"Size", 0}});
                 if (f.evil_path)
                   files.push_back({{"Name", "evil"},
                                    {"Path", "../../evil"},
                                    {"Type", "blob"},
                                    {"Size", 4},
                                    {"Sha256", std::string(64, '0')}});
                 ms_ok(res, {{"Files", files}});
               });
    server.Get(R"(/api/v1/models/([^/]+)/([^/]+)/repo)",
               [this](const httplib::Request& req, httplib::Response& res) {
                 if (!authorized(req, res)) return;
                 FakeModel* m = find(req.matches[1], req.matches[2]);
                 if (!m) return ms_error(res, 404, "model not found");
                 if (!revision_ok(req.get_param_value("Revision"), "master"))
                   return ms_error(res, 404, "revision not found");
                 files.serve(req, res, *m, req.get_param_value("FilePath"));
               });
    server.Get(R"(/api/v1/models/([^/]+)/([^/]+))",
               [this](const httplib::Request& req, httplib::Response& res) {
                 count_api();
                 if (!authorized(req, res)) return;
                 FakeModel* m = find(req.matches[1], req.matches[2]);
                 if (!m) return ms_error(res, 404, "model not found");
                 Json j = ms_model_json(*m);
                 for (auto& f : m->files)
                   if (f.path == "README.md") {
                     std::ifstream in(f.disk);
                     j["ReadMeContent"] = std::string(std::istreambuf_iterator<char>(in), {});
                   }
                 ms_ok(res, j);
               });
    files.add_cdn_route(server);  // same-origin redirects

    // ---- Hugging Face shapes ----
    server.Get("/api/models", [this](const httplib::Request& req, httplib::Response& res) {
      count_api();
      if (!authorized(req, res)) return;
      std::string search = lower(req.get_param_value("search"));
      std::string author = req.get_param_value("author");
      int limit = req.has_param("limit")
                      ? std::max(1, std::atoi(req.get_param_value("limit").c_str()))
                      : 20;
      int cursor = req.has_param("cursor") ? std::atoi(req.get_param_value("cursor").c_str()) : 0;
      std::string sort = req.get_param_value("sort");
      std::vector<const FakeModel*> hits;
      for (auto& m : models)
        if (lower(m.id).find(search) != std::string::npos && (author.empty() || m.owner == author))
          hits.push_back(&m);
      auto key = [&](const FakeModel* m) {
        return sort == "likes" ? m->stars : sort == "lastModified" ? m->modified : m->downloads;
      };
      std::stable_sort(hits.begin(), hits.end(), [&](auto a, auto b) { return key(a) > key(b); });
      Json out = Json::array();
      for (size_t i = static_cast<size_t>(cursor); i < hits.size() && out.size() < size_t(limit);
           ++i)
        out.push_back(hf_model_json(*hits[i], false));
      if (static_cast<size_t>(cursor + limit) < hits.size()) {
        std::string next = "http://127.0.0.1:" + std::to_string(port) +
                           "/api/models?limit=" + std::to_string(limit) + "&sort=" + sort +
                           "&search=" + search + "&author=" + author +
                           "&cursor=" + std::to_string(cursor + limit);
        res.set_header("Link", "<" + next + ">; rel=\"next\"");
      }
      res.set_content(out.dump(), "application/json");
    });
    server.Get(R"(/api/models/([^/]+)/([^/]+)/tree/([^/]+))",
               [this](const httplib::Request& req, httplib::Response& res) {
                 count_api();
                 if (!authorized(req, res)) return;
                 FakeModel* m = find(req.matches[1], req.matches[2]);
                 if (!m || !revision_ok(req.matches[3], "main"))
                   return hf_error(res, 404, "Repository not found");
                 FakeHubFaults f = faults_copy();
                 Json out = Json::array();
                 for (auto& file : m->files) {
                   Json e = {{"type", "file"},
                             {"path", file.path},
                             {"size", file.size},
                             {"oid", "0123456789abcdef0123456789abcdef01234567"}};
                   if (file.path.ends_with(".safetensors"))  // only LFS files carry a sha256 on HF
                     e["lfs"] = {{"oid", listed_sha(file, f.wrong_sha256)}, {"size", file.size}};
                   out.push_back(e);
                 }
                 if (f.evil_path)
                   out.push_back({{"type", "file"}, {"path", "../../evil"}, {"size", 4}});
                 res.set_content(out.dump(), "application/json");
               });
    server.Get(R"(/api/models/([^/]+)/([^/]+)/refs)",
               [this](const httplib::Request& req, httplib::Response& res) {
                 count_api();
                 if (!find(req.matches[1], req.matches[2]))
                   return hf_error(res, 404, "Repository not found");
                 res.set_content(R"({"branches":[{"name":"main"}],"tags":[{"name":"v1.0"}]})",
                                 "application/json");
               });
    auto hf_info = [this](const httplib::Request& req, httplib::Response& res) {
      count_api();
      if (!authorized(req, res)) return;
      FakeModel* m = find(req.matches[1], req.matches[2]);
      if (!m) return hf_error(res, 404, "Repository not found");
      res.set_content(hf_model_json(*m, true).dump(), "application/json");
    };
    server.Get(R"(/api/models/([^/]+)/([^/]+)/revision/([^/]+))", hf_info);
    server.Get(R"(/api/models/([^/]+)/([^/]+))", hf_info);
    server.Get(R"(/([^/_][^/]*)/([^/]+)/resolve/([^/]+)/(.+))",
               [this](const httplib::Request& req, httplib::Response& res) {
                 if (!authorized(req, res)) return;
                 FakeModel* m = find(req.matches[1], req.matches[2]);
                 if (!m || !revision_ok(req.matches[3], "main"))
                   return hf_error(res, 404, "Entry not found");
                 files.serve(req, res, *m, req.matches[4]);
               });

    // ---- fault injection ----
    server.Put("/_fake/faults", [this](const httplib::Request& req, httplib::Response& res) {
      Json j = Json::parse(req.body, nullptr, false);
      if (!j.is_object()) return ms_error(res, 400, "bad JSON");
      FakeHubFaults f;
      f.drop_after_bytes = j.value("drop_after_bytes", int64_t(-1));
      f.drop_times = j.value("drop_times", 0);
      f.fail_status = j.value("fail_status", 0);
      f.fail_times = j.value("fail_times", 0);
      f.retry_after_s = j.value("retry_after_s", -1);
      f.bytes_per_second = j.value("bytes_per_second", int64_t(0));
      f.ignore_range = j.value("ignore_range", false);
      f.wrong_sha256 = j.value("wrong_sha256", false);
      f.evil_path = j.value("evil_path", false);
      f.redirect = j.value("redirect", false);
      f.redirect_to_cdn = j.value("redirect_to_cdn", false);
      f.redirect_origin = j.value("redirect_origin", std::string());
      f.redirect_min_bytes = j.value("redirect_min_bytes", int64_t(0));
      f.fail_at_cdn = j.value("fail_at_cdn", false);
      f.require_token = j.value("require_token", std::string());
      std::lock_guard lock(mutex);
      faults = f;
      res.set_content("{\"ok\":true}", "application/json");
    });
  }

  bool revision_ok(const std::string& rev, const char* default_branch) {
    return rev.empty() || rev == default_branch || rev == "v1.0";
  }
  void hf_error(httplib::Response& res, int code, const std::string& msg) {
    res.status = code;
    res.set_content(Json{{"error", msg}}.dump(), "application/json");
  }
  Json hf_model_json(const FakeModel& m, bool full) {
    Json j = {{"id", m.id},
              {"modelId", m.id},
              {"downloads", m.downloads},
              {"likes", m.stars},
              {"lastModified", "2025-01-0" + std::to_string(1 + m.modified % 9) + "T00:00:00.000Z"},
              {"tags", {"transformers", "safetensors", "text-generation", "license:apache-2.0"}},
              {"pipeline_tag", "text-generation"},
              {"library_name", "transformers"},
              {"sha", "fakecommit0001"}};
    if (full) {
      Json siblings = Json::array();
      for (auto& f : m.files) siblings.push_back({{"rfilename", f.path}});
      j["siblings"] = siblings;
      j["cardData"] = {{"license", "apache-2.0"}};
    }
    return j;
  }
  void count_api() {
    std::lock_guard lock(mutex);
    ++stats.api_requests;
  }
  FakeHubFaults faults_copy() { return state.faults_copy(); }
  void start_cdn() {
    // cpp-httplib 0.11 waits out an idle keep-alive connection when stopping: keep it short,
    // so that a client that reuses connections (libcurl does) does not hold up stop().
    server.set_keep_alive_timeout(1);
    files.start_cdn();
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
      state.record_request(req, false);
      return httplib::Server::HandlerResponse::Unhandled;
    });
  }
};

FakeHub::FakeHub(fs::path root, std::string default_owner) : impl_(std::make_unique<Impl>()) {
  impl_->root = root;
  std::vector<fs::path> dirs;
  for (auto& e : fs::directory_iterator(root))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (auto& d : dirs) {
    if (d.filename().string().rfind(".", 0) == 0) continue;
    if (has_files(d)) {
      impl_->add_model(default_owner, d);
    } else {
      for (auto& e : fs::directory_iterator(d))
        if (e.is_directory()) impl_->add_model(d.filename().string(), e.path());
    }
  }
  // Distinct, deterministic popularity so that sorting is observable.
  int64_t n = static_cast<int64_t>(impl_->models.size());
  for (int64_t i = 0; i < n; ++i) {
    auto& m = impl_->models[static_cast<size_t>(i)];
    m.downloads = 1000 * (i + 1);
    m.stars = 10 * (n - i);
    m.modified = 1700000000 + ((i * 7) % n) * 86400;
  }
  impl_->routes();
}

FakeHub::~FakeHub() {
  stop();
}

int FakeHub::start(int port) {
  if (port == 0)
    impl_->port = impl_->server.bind_to_any_port("127.0.0.1");
  else
    impl_->port = impl_->server.bind_to_port("127.0.0.1", port) ? port : -1;
  if (impl_->port <= 0)
    throw std::runtime_error("fake hub: cannot bind 127.0.0.1:" + std::to_string(port));
  impl_->start_cdn();
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  while (!impl_->server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return impl_->port;
}

void FakeHub::listen_blocking(int port) {
  impl_->port = port;
  impl_->start_cdn();
  if (!impl_->server.listen("127.0.0.1", port))
    throw std::runtime_error("fake hub: cannot listen on 127.0.0.1:" + std::to_string(port));
}

void FakeHub::stop() {
  impl_->files.stop_cdn();
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string FakeHub::cdn_url() const {
  return impl_->files.cdn_origin();
}
std::string FakeHub::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}
int FakeHub::port() const {
  return impl_->port;
}

void FakeHub::set_faults(const FakeHubFaults& faults) {
  std::lock_guard lock(impl_->mutex);
  impl_->faults = faults;
}
FakeHubFaults FakeHub::faults() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->faults;
}
FakeHubStats FakeHub::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}
void FakeHub::reset_stats() {
  std::lock_guard lock(impl_->mutex);
  impl_->stats = {};
}
std::vector<std::string> FakeHub::model_ids() const {
  std::vector<std::string> ids;
  for (auto& m : impl_->models) ids.push_back(m.id);
  return ids;
}

}  // namespace pagoda::test
