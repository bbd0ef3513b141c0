#include "tests/app/fake_hub/fake_files.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/hub/http.h"
#include "app/hub/sha256.h"

namespace pagoda::test {
namespace {

void error_answer(httplib::Response& res, int code, const std::string& msg) {
  res.status = code;
  nlohmann::json j = {{"Code", code}, {"Message", msg}, {"Success", false}};
  res.set_content(j.dump(), "application/json");
}

}  // namespace

const std::string& FakeState::sha(FakeFile& f) {
  std::lock_guard lock(mutex);
  if (f.sha256.empty()) f.sha256 = hub::sha256_file(f.disk);
  return f.sha256;
}

FakeHubFaults FakeState::faults_copy() {
  std::lock_guard lock(mutex);
  return faults;
}

void FakeState::record_request(const httplib::Request& req, bool cdn) {
  std::lock_guard lock(mutex);
  std::string host = req.get_header_value("Host");
  if (std::find(stats.hosts.begin(), stats.hosts.end(), host) == stats.hosts.end())
    stats.hosts.push_back(host);
  if (cdn && req.has_header("Authorization")) stats.cdn_saw_authorization = true;
}

std::string FakeFiles::sign(FakeModel& m, const std::string& path) {
  uint64_t n;
  {
    std::lock_guard lock(state_.mutex);
    n = ++counter_;
  }
  hub::Sha256 h;
  std::string seed = m.id + "\n" + path + "\n" + std::to_string(n);
  h.update(seed.data(), seed.size());
  const std::string d = h.hex();
  // Object-store signatures are base64: '+', '/' and '=' arrive percent-encoded.
  const std::string key = "k+" + d.substr(0, 6) + "/" + d.substr(6, 6) + "=";
  const std::string sig = d.substr(12, 10) + "+/" + d.substr(22, 10) + "==";
  std::string target = "/cdn/" + hub::url_encode(key) + "/" + hub::url_encode(m.id) + "/" +
                       hub::url_encode(path, true) + "?Expires=4102444800&Signature=" +
                       hub::url_encode(sig) + "&OSSAccessKeyId=" + hub::url_encode("fake/key=");
  std::lock_guard lock(state_.mutex);
  issued_[target] = {&m, path};
  return target;
}

void FakeFiles::serve(const httplib::Request& req, httplib::Response& res, FakeModel& m,
                      const std::string& path) {
  FakeHubFaults f = state_.faults_copy();
  auto listed = std::find_if(m.files.begin(), m.files.end(), [&](auto& x) { return x.path == path; });
  const bool exists = listed != m.files.end();
  if (f.redirect && exists && listed->size >= f.redirect_min_bytes &&
      !(f.fail_status && f.fail_times != 0 && !f.fail_at_cdn)) {
    {
      std::lock_guard lock(state_.mutex);
      ++state_.stats.file_requests;
      if (req.has_header("Range")) ++state_.stats.range_requests;
    }
    std::string origin = f.redirect_to_cdn     ? cdn_origin()
                         : f.redirect_origin.empty() ? std::string()
                                                     : f.redirect_origin;
    // Range applies to the CDN's answer, not to this one (cpp-httplib would answer 416).
    const_cast<httplib::Request&>(req).ranges.clear();
    res.status = 302;
    res.set_header("Location", origin + sign(m, path));
    res.set_content("redirecting", "text/plain");
    return;
  }
  answer(req, res, m, path, false);
}

// Serves one file (with faults and Range), on the hub itself or behind the fake CDN.
void FakeFiles::answer(const httplib::Request& req, httplib::Response& res, FakeModel& m,
                       const std::string& path, bool cdn) {
  FakeHubFaults f;
  int64_t drop_at = -1;
  {
    std::lock_guard lock(state_.mutex);
    if (cdn) {
      ++state_.stats.cdn_requests;
    } else {
      ++state_.stats.file_requests;
      if (req.has_header("Range")) ++state_.stats.range_requests;
    }
    f = state_.faults;
    FakeHubFaults& live = state_.faults;
    if (live.fail_status && live.fail_times != 0 && live.fail_at_cdn == cdn) {
      if (live.fail_times > 0) --live.fail_times;
      res.status = live.fail_status;
      if (live.retry_after_s >= 0)
        res.set_header("Retry-After", std::to_string(live.retry_after_s));
      res.set_content("{\"Code\":" + std::to_string(live.fail_status) +
                          ",\"Message\":\"injected failure\",\"Success\":false}",
                      "application/json");
      return;
    }
    auto listed =
        std::find_if(m.files.begin(), m.files.end(), [&](auto& x) { return x.path == path; });
    int64_t whole = listed == m.files.end() ? 0 : listed->size;
    // Only answers long enough to be cut count as drops.
    if (live.drop_after_bytes >= 0 && live.drop_times != 0 && whole > live.drop_after_bytes) {
      if (live.drop_times > 0) --live.drop_times;
      drop_at = live.drop_after_bytes;
    }
  }
  auto it = std::find_if(m.files.begin(), m.files.end(), [&](auto& x) { return x.path == path; });
  if (it == m.files.end()) return error_answer(res, 404, "file not found: " + path);
  // cpp-httplib would slice content-provider answers by Range itself; this server does it
  // (or ignores Range on purpose), so that answer must go out as built here.
  const_cast<httplib::Request&>(req).ranges.clear();
  int64_t size = it->size, start = 0, end = size - 1;
  std::string range = req.get_header_value("Range");
  if (!range.empty() && !f.ignore_range) {
    long long a = -1, b = -1;
    int n = std::sscanf(range.c_str(), "bytes=%lld-%lld", &a, &b);
    if (n < 1 || a < 0) return error_answer(res, 400, "bad range");
    if (a >= size) {
      res.status = 416;
      res.set_header("Content-Range", "bytes */" + std::to_string(size));
      return;
    }
    start = a;
    if (n == 2 && b >= a && b < size) end = b;
    res.status = 206;
    res.set_header("Content-Range", "bytes " + std::to_string(start) + "-" + std::to_string(end) +
                                        "/" + std::to_string(size));
  } else {
    res.status = 200;
  }
  res.set_header("Accept-Ranges", "bytes");
  res.set_header("X-Linked-Size", std::to_string(size));
  auto in = std::make_shared<std::ifstream>(it->disk, std::ios::binary);
  int64_t rate = f.bytes_per_second;
  auto t0 =
      std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  size_t length = static_cast<size_t>(end - start + 1);
  if (size == 0) {
    res.set_content("", "application/octet-stream");
    return;
  }
  res.set_content_provider(
      length, "application/octet-stream",
      [this, in, start, rate, drop_at, t0](size_t offset, size_t remaining,
                                           httplib::DataSink& sink) {
        if (drop_at >= 0 && static_cast<int64_t>(offset) >= drop_at) return false;
        size_t chunk = std::min<size_t>(remaining, rate > 0 ? 16384 : 1 << 20);
        if (drop_at >= 0) chunk = std::min<size_t>(chunk, static_cast<size_t>(drop_at - offset));
        if (rate > 0) {
          // Pace to the rate since the start of this answer.
          auto due = *t0 + std::chrono::microseconds((offset + chunk) * 1000000 / rate);
          std::this_thread::sleep_until(due);
        }
        std::vector<char> buf(chunk);
        in->seekg(start + static_cast<int64_t>(offset));
        in->read(buf.data(), static_cast<std::streamsize>(chunk));
        if (!sink.write(buf.data(), chunk)) return false;
        std::lock_guard lock(state_.mutex);
        state_.stats.bytes_sent += static_cast<int64_t>(chunk);
        return true;
      });
}

void FakeFiles::cdn_answer(const httplib::Request& req, httplib::Response& res) {
  state_.record_request(req, true);
  Signed s;
  {
    std::lock_guard lock(state_.mutex);
    // Request::target is the raw, undecoded request target: a client that decoded %2B, %2F or
    // %3D (or re-encoded anything) asks for a target that was never signed.
    auto it = issued_.find(req.target);
    if (it == issued_.end()) {
      ++state_.stats.cdn_rejected;
      state_.stats.rejected_targets.push_back(req.target);
    } else {
      s = it->second;
    }
  }
  if (!s.model) {
    res.status = 403;
    res.set_content(
        "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated "
        "does not match the signature you provided.</Message></Error>",
        "application/xml");
    return;
  }
  answer(req, res, *s.model, s.path, true);
}

void FakeFiles::add_cdn_route(httplib::Server& server) {
  server.Get(R"(/cdn/.*)", [this](const httplib::Request& req, httplib::Response& res) {
    cdn_answer(req, res);
  });
}

void FakeFiles::start_cdn() {
  add_cdn_route(cdn_server_);
  cdn_server_.set_keep_alive_timeout(1);  // see FakeHub::Impl::start_cdn
  cdn_port_ = cdn_server_.bind_to_any_port(cdn_host_);
  if (cdn_port_ <= 0) {  // a sandbox without 127.0.0.2: another port on 127.0.0.1
    cdn_host_ = "127.0.0.1";
    cdn_port_ = cdn_server_.bind_to_any_port(cdn_host_);
  }
  if (cdn_port_ <= 0) throw std::runtime_error("fake hub: cannot bind the CDN listener");
  cdn_thread_ = std::thread([this] { cdn_server_.listen_after_bind(); });
  while (!cdn_server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void FakeFiles::stop_cdn() {
  cdn_server_.stop();
  if (cdn_thread_.joinable()) cdn_thread_.join();
}

std::string FakeFiles::cdn_origin() const {
  return "http://" + cdn_host_ + ":" + std::to_string(cdn_port_);
}

}  // namespace pagoda::test
