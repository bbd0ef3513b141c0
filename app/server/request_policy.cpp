#include "app/server/request_policy.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>

#include "app/server/api_server.h"
#include "engine/util/error.h"

namespace pagoda::server {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The machine's own interface addresses and host name, for a server bound to the LAN.
std::vector<std::string> own_names() {
  std::vector<std::string> names;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == 0) {
    for (ifaddrs* a = list; a; a = a->ifa_next) {
      if (!a->ifa_addr) continue;
      char buf[INET6_ADDRSTRLEN] = {};
      if (a->ifa_addr->sa_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, buf,
                    sizeof buf);
      } else if (a->ifa_addr->sa_family == AF_INET6) {
        ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr, buf,
                    sizeof buf);
      } else {
        continue;
      }
      names.push_back(lower(buf));
    }
    ::freeifaddrs(list);
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && host[0]) {
    names.push_back(lower(host));
    names.push_back(lower(host) + ".local");  // mDNS
  }
  return names;
}

}  // namespace

bool secure_equals(std::string_view a, std::string_view b) {
  size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

std::optional<std::string> host_name_of(std::string_view value) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  std::string_view name, port;
  if (value.front() == '[') {
    size_t close = value.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    name = value.substr(1, close - 1);
    std::string_view rest = value.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      if (!all_digits(port)) return std::nullopt;
    }
    in6_addr a6{};
    if (::inet_pton(AF_INET6, std::string(name).c_str(), &a6) != 1) return std::nullopt;
    return lower(name);
  }
  size_t colon = value.rfind(':');
  name = value.substr(0, colon);
  if (colon != std::string_view::npos) {
    port = value.substr(colon + 1);
    if (!all_digits(port)) return std::nullopt;
  }
  if (name.empty()) return std::nullopt;
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
    if (!ok) return std::nullopt;
  }
  std::string out = lower(name);
  if (out.size() > 1 && out.back() == '.') out.pop_back();  // "localhost." is "localhost"
  return out;
}

bool is_json_content_type(std::string_view content_type) {
  std::string_view type = trim(content_type.substr(0, content_type.find(';')));
  return lower(type) == "application/json";
}

bool is_loopback_host(const std::string& host) {
  std::string h = lower(host);
  return h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0;
}

RequestPolicy::RequestPolicy(const std::string& bind_host, std::vector<std::string> allowed_hosts,
                             std::vector<std::string> cors_origins, std::string api_key)
    : cors_origins_(std::move(cors_origins)), api_key_(std::move(api_key)) {
  names_ = {"127.0.0.1", "localhost", "::1"};
  if (!is_loopback_host(bind_host)) {
    for (auto& n : own_names()) names_.push_back(std::move(n));
    names_.push_back(lower(bind_host));
  }
  for (const auto& h : allowed_hosts) {
    std::string v = lower(trim(h));
    if (v.empty()) continue;
    if (v == "*") {
      any_host_ = true;
    } else if (v.front() == '.') {
      domains_.push_back(v);
    } else if (auto name = host_name_of(v)) {
      names_.push_back(*name);
    }
  }
  std::sort(names_.begin(), names_.end());
  names_.erase(std::unique(names_.begin(), names_.end()), names_.end());
}

bool RequestPolicy::host_allowed(std::string_view host_header) const {
  auto name = host_name_of(host_header);
  if (!name) return false;
  if (any_host_) return true;
  if (std::binary_search(names_.begin(), names_.end(), *name)) return true;
  for (const auto& d : domains_) {
    if (*name == d.substr(1)) return true;
    if (name->size() > d.size() && name->compare(name->size() - d.size(), d.size(), d) == 0)
      return true;
  }
  return false;
}

bool RequestPolicy::origin_allowed(std::string_view origin) const {
  for (const auto& allowed : cors_origins_)
    if (allowed == "*" || allowed == origin) return true;
  return false;
}

bool RequestPolicy::origin_listed(std::string_view origin) const {
  return std::find(cors_origins_.begin(), cors_origins_.end(), origin) != cors_origins_.end();
}

bool RequestPolicy::authorized(std::string_view authorization) const {
  if (api_key_.empty()) return true;
  constexpr std::string_view prefix = "Bearer ";
  if (authorization.size() < prefix.size() || authorization.substr(0, prefix.size()) != prefix)
    return false;
  return secure_equals(authorization.substr(prefix.size()), api_key_);
}

std::string read_api_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot read the API key file " + path);
  std::string key;
  std::getline(in, key);
  const char* space = " \t\r\n";
  size_t b = key.find_first_not_of(space);
  size_t e = key.find_last_not_of(space);
  key = b == std::string::npos ? "" : key.substr(b, e - b + 1);
  if (key.empty()) throw Error("the API key file " + path + " is empty");
  return key;
}

}  // namespace pagoda::server
