#pragma once
// Who may talk to the server, decided from raw request headers before any work: the Host check
// against DNS rebinding (as Ollama does), the Origin check against cross-site pages, the JSON
// content type for cross-origin bodies, and the constant-time API key comparison. Pure functions
// and an immutable policy object: safe from any thread.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pagoda::server {

// Constant-time comparison: the time taken does not depend on where the strings differ.
bool secure_equals(std::string_view a, std::string_view b);

// The name part of a Host header value: lowercased, port and IPv6 brackets removed ("[::1]:80"
// -> "::1", "LocalHost.:8000" -> "localhost"). nullopt when the value is malformed.
std::optional<std::string> host_name_of(std::string_view host_header);

// True for application/json with optional parameters ("application/json; charset=utf-8").
bool is_json_content_type(std::string_view content_type);

class RequestPolicy {
 public:
  // bind_host is the address the server listens on: loopback accepts loopback names only;
  // any other address also accepts the machine's own addresses and host name.
  RequestPolicy(const std::string& bind_host, std::vector<std::string> allowed_hosts,
                std::vector<std::string> cors_origins, std::string api_key);

  bool host_allowed(std::string_view host_header) const;
  // An Origin header passes when it is listed in the CORS setting (or the setting holds "*").
  bool origin_allowed(std::string_view origin) const;
  bool origin_listed(std::string_view origin) const;  // by name, not through "*"
  bool cors_enabled() const { return !cors_origins_.empty(); }
  // "Bearer KEY" compared on the raw header value; true when no key is configured.
  bool authorized(std::string_view authorization) const;
  // Names accepted in Host, for error messages and the docs.
  const std::vector<std::string>& host_names() const { return names_; }

 private:
  std::vector<std::string> names_;    // exact names, lowercased
  std::vector<std::string> domains_;  // ".example.com": the domain and its subdomains
  bool any_host_ = false;
  std::vector<std::string> cors_origins_;
  std::string api_key_;
};

// True when the address is a loopback one ("127.0.0.1", "::1", "localhost").
bool is_loopback_host(const std::string& host);

}  // namespace pagoda::server
