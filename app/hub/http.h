#pragma once
// A small HTTP(S) client over cpp-httplib for the hub: absolute URLs, proxies from the
// environment, manual redirects (credentials are never forwarded to another host), TLS
// verification always on, streaming bodies with cancellation.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace pagoda::hub {

struct Url {
  std::string scheme;    // http | https
  std::string userinfo;  // user:password, for proxies
  std::string host;
  int port = 0;
  std::string path_and_query = "/";

  // Throws pagoda::InvalidArgument on anything but http(s)://host[:port][/path].
  static Url parse(const std::string& text);
  std::string origin() const;  // scheme://host[:port]
  std::string str() const { return origin() + path_and_query; }
  // Resolves a Location header (absolute, scheme-relative or path) against this URL.
  Url resolve(const std::string& location) const;
};

// Percent-encodes everything but RFC 3986 unreserved characters; keep_slash leaves '/' alone
// (for repo paths inside a URL path).
std::string url_encode(std::string_view text, bool keep_slash = false);

// Case-insensitive header map, as HTTP wants.
struct HeaderLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using HttpHeaders = std::multimap<std::string, std::string, HeaderLess>;

struct HttpOptions {
  std::string user_agent = "pagoda-hub/0.1";
  std::chrono::seconds connect_timeout{15};
  std::chrono::seconds read_timeout{60};
  int max_redirects = 10;
  // Sent only to the host of the first request ("Authorization: Bearer ..."); never logged.
  std::string bearer_token;
  // Explicit proxy ("http://host:port"); empty: follow https_proxy/http_proxy/no_proxy.
  std::string proxy;
  bool use_env_proxy = true;
};

// What went wrong below HTTP: no status was received (connection refused, dropped, timeout).
enum class TransportError { None, Connect, Timeout, Dropped, Canceled, Tls, Other };

struct HttpResult {
  int status = 0;  // 0 when transport != None
  TransportError transport = TransportError::None;
  std::string transport_message;
  HttpHeaders headers;
  std::string body;       // when no on_data was given, or for non-2xx answers (first 64 KiB)
  std::string final_url;  // after redirects

  bool ok() const { return transport == TransportError::None && status >= 200 && status < 300; }
  std::string header(const std::string& name) const;
  // "HTTP 404 (body excerpt)" or the transport message, for error reports.
  std::string describe() const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  HttpHeaders headers;
  std::string body;
  std::string content_type;
  // Streaming: called once with the final (post-redirect) status and headers; return false to
  // stop. Then on_data receives the body of a 2xx answer; return false to cancel.
  std::function<bool(int status, const HttpHeaders& headers)> on_headers;
  std::function<bool(const char* data, size_t size)> on_data;
};

// The proxy (scheme, host, port) to use for a URL per the environment, or nullopt for direct.
// Loopback hosts always go direct (the fake hub and local mirrors).
std::optional<Url> proxy_for(const Url& target, const HttpOptions& options);

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {}) : options_(std::move(options)) {}
  // Never throws for HTTP or network failures (see HttpResult); throws InvalidArgument for a
  // malformed URL.
  HttpResult send(const HttpRequest& request) const;
  const HttpOptions& options() const { return options_; }

 private:
  HttpOptions options_;
};

}  // namespace pagoda::hub
