#pragma once
// Internals of the fake hub shared by its two halves: fake_hub.cpp (the API routes) and
// fake_files.cpp (file answers with faults and Range, the signed CDN redirect, the CDN
// listener). Threading: FakeState's mutex guards faults, stats and the issued signatures;
// handlers run on the servers' worker threads.
#include <httplib.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/app/fake_hub/fake_hub.h"

namespace pagoda::test {

struct FakeFile {
  std::string path;
  std::filesystem::path disk;
  int64_t size = 0;
  std::string sha256;  // filled lazily
};

struct FakeModel {
  std::string id, owner, name;
  std::filesystem::path dir;
  std::vector<FakeFile> files;
  int64_t downloads = 0, stars = 0, modified = 0;
};

struct FakeState {
  std::mutex mutex;
  FakeHubFaults faults;
  FakeHubStats stats;
  const std::string& sha(FakeFile& f);
  FakeHubFaults faults_copy();
  void record_request(const httplib::Request& req, bool cdn);
};

class FakeFiles {
 public:
  explicit FakeFiles(FakeState& state) : state_(state) {}
  ~FakeFiles() { stop_cdn(); }

  // A file request on the hub: answered here, or redirected to a signed CDN URL.
  void serve(const httplib::Request& req, httplib::Response& res, FakeModel& m,
             const std::string& path);
  // GET /cdn/...: only targets this object signed, byte for byte; anything else is 403.
  void add_cdn_route(httplib::Server& server);
  // The separate CDN listener on 127.0.0.2 (another host than the hub's 127.0.0.1).
  void start_cdn();
  void stop_cdn();
  std::string cdn_origin() const;  // http://127.0.0.2:<port>
  void set_hub_origin(std::string origin) { hub_origin_ = std::move(origin); }

 private:
  struct Signed {
    FakeModel* model = nullptr;
    std::string path;
  };
  // The raw request target of a new signed URL: path and query carry %2B, %2F and %3D.
  std::string sign(FakeModel& m, const std::string& path);
  void answer(const httplib::Request& req, httplib::Response& res, FakeModel& m,
              const std::string& path, bool cdn);
  void cdn_answer(const httplib::Request& req, httplib::Response& res);

  FakeState& state_;
  std::map<std::string, Signed> issued_;  // guarded by state_.mutex
  uint64_t counter_ = 0;
  std::string hub_origin_;
  httplib::Server cdn_server_;
  std::thread cdn_thread_;
  std::string cdn_host_ = "127.0.0.2";
  int cdn_port_ = 0;
};

}  // namespace pagoda::test
