#pragma once
// The hub's HTTP(S) client, a thin wrapper over libcurl: absolute URLs, redirects followed by
// libcurl with the Location used byte for byte, the bearer token sent to the first host only
// (libcurl drops custom Authorization headers when a redirect changes host, port or scheme;
// CURLOPT_UNRESTRICTED_AUTH stays off; no cookie engine), proxies from http_proxy /
// https_proxy / no_proxy or an explicit one, TLS always verified (system CA store plus an
// optional extra CA file), HTTP/2 where a TLS server offers it, connect and stall timeouts, and
// streaming bodies with cancellation.
//
// Threading: HttpClient is immutable after construction; send() may run on many threads at
// once (each thread keeps its own libcurl handle, so connections are reused per thread).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pagoda::hub {

struct Url {
  std::string scheme;  // http | https
  std::string host;
  int port = 0;
  std::string path_and_query = "/";

  // Throws pagoda::InvalidArgument on anything but http(s)://host[:port][/path].
  static Url parse(const std::string& text);
  std::string origin() const;  // scheme://host[:port]
  std::string str() const { return origin() + path_and_query; }
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
  std::string user_agent = "pagoda-hub/0.2";
  std::chrono::seconds connect_timeout{15};
  // A transfer that moves fewer than low_speed_bytes per second for this long is abandoned as
  // stalled (TransportError::Timeout), so the caller can retry it.
  std::chrono::seconds read_timeout{60};
  int64_t low_speed_bytes = 1;
  int max_redirects = 10;
  // Sent only to the host of the first request ("Authorization: Bearer ..."); never logged.
  std::string bearer_token;
  // Explicit proxy ("http://host:port", "socks5h://host:port"), e.g. Qt's system proxy passed
  // in by the GUI; empty: libcurl reads http_proxy / https_proxy / all_proxy / no_proxy.
  std::string proxy;
  // Extra CA certificates (PEM file) trusted in addition to the system store.
  std::string ca_file;
};

// What went wrong below HTTP: no status was received (connection refused, dropped, timeout).
enum class TransportError { None, Connect, Timeout, Dropped, Canceled, Tls, Other };

struct HttpResult {
  int status = 0;  // 0 when transport != None
  TransportError transport = TransportError::None;
  std::string transport_message;
  HttpHeaders headers;  // of the final answer (after redirects)
  std::string body;     // when no on_data was given, or for non-2xx answers (first 64 KiB)
  std::string final_url;
  std::vector<std::string> visited;  // every URL requested, the redirects included

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
  // Streaming: called once with the final (post-redirect) status and headers of a 2xx answer;
  // return false to stop. Then on_data receives its body; return false to cancel.
  std::function<bool(int status, const HttpHeaders& headers)> on_headers;
  std::function<bool(const char* data, size_t size)> on_data;
  // Polled while the transfer runs (also while it stalls); true cancels it.
  std::function<bool()> should_stop;
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {});
  // Never throws for HTTP or network failures (see HttpResult); throws InvalidArgument for a
  // malformed URL.
  HttpResult send(const HttpRequest& request) const;
  const HttpOptions& options() const { return options_; }

 private:
  HttpOptions options_;
  std::string ca_blob_;  // system CA bundle + options_.ca_file, when ca_file is set
};

}  // namespace pagoda::hub
