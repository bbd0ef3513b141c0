#pragma once
// A loopback imitation of the ModelScope hub API (and the Hugging Face API shapes) over a
// folder of model folders, for tests and for trying the app offline. It can be told to
// misbehave (FakeHubFaults), from C++ or with `PUT /_fake/faults` and a JSON body.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace pagoda::test {

struct FakeHubFaults {
  int64_t drop_after_bytes = -1;  // close the connection after this many body bytes of a file
  int drop_times = 0;             // how many file answers to drop (-1: every one)
  int fail_status = 0;            // answer file requests with this HTTP status (500, 429, ...)
  int fail_times = 0;             // ...this many times (-1: every time)
  int retry_after_s = -1;         // Retry-After on those answers (-1: none)
  int64_t bytes_per_second = 0;   // throttle file bodies (0: full speed)
  bool ignore_range = false;      // answer 200 with the whole file to ranged requests
  bool wrong_sha256 = false;      // the file listing reports wrong hashes
  bool evil_path = false;         // the file listing includes "../../evil"
  // File requests redirect to a signed /cdn/... URL whose path and query carry %2B, %2F and
  // %3D (like ModelScope's LFS storage); the CDN answers 403 to any target that is not the
  // signed one byte for byte (a client that decoded it). Faults apply where the body is sent.
  bool redirect = false;
  bool redirect_to_cdn = false;     // ...to the separate CDN listener (cdn_url(), another host)
  std::string redirect_origin;      // ...or to this origin, e.g. "http://localhost:P"
  int64_t redirect_min_bytes = 0;   // only files of at least this size redirect (LFS files)
  bool fail_at_cdn = false;         // fail_status answers come from the CDN, not the hub
  std::string require_token;      // non-empty: API and file requests need this bearer token
};

struct FakeHubStats {
  int file_requests = 0;   // on the hub (not counting redirect targets)
  int range_requests = 0;  // of those, with a Range header
  int cdn_requests = 0;   // answered by a CDN route with a valid signature
  int cdn_rejected = 0;   // CDN requests refused (403) because the target was not the signed one
  std::vector<std::string> rejected_targets;
  std::vector<std::string> hosts;  // every distinct Host header seen, hub and CDN
  bool cdn_saw_authorization = false;  // a credential leaked to the redirect target
  int64_t bytes_sent = 0;
  int api_requests = 0;
};

class FakeHub {
 public:
  // root: each folder under it holding files is a model "<owner>/<folder>"; a folder holding
  // only folders is an owner whose folders are models "<folder>/<sub>".
  explicit FakeHub(std::filesystem::path root, std::string default_owner = "pagoda");
  ~FakeHub();
  FakeHub(const FakeHub&) = delete;
  FakeHub& operator=(const FakeHub&) = delete;

  int start(int port = 0);  // serves 127.0.0.1 on a thread; returns the port
  void listen_blocking(int port);
  void stop();
  std::string url() const;      // http://127.0.0.1:<port>
  std::string cdn_url() const;  // http://127.0.0.2:<port>, the separate CDN listener
  int port() const;

  void set_faults(const FakeHubFaults& faults);
  FakeHubFaults faults() const;
  FakeHubStats stats() const;
  void reset_stats();
  std::vector<std::string> model_ids() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace pagoda::test
