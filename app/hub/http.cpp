#include "hub/http.h"

#include <httplib.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "util/error.h"

namespace pagoda::hub {
namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;
constexpr size_t kMaxPlainBody = 256ull * 1024 * 1024;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string first_env(std::initializer_list<const char*> names) {
  for (const char* n : names) {
    std::string v = env(n);
    if (!v.empty()) return v;
  }
  return {};
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

bool no_proxy_matches(const std::string& host) {
  std::string list = first_env({"no_proxy", "NO_PROXY"});
  size_t i = 0;
  std::string h = lower(host);
  while (i <= list.size()) {
    size_t j = list.find(',', i);
    if (j == std::string::npos) j = list.size();
    std::string entry = lower(list.substr(i, j - i));
    i = j + 1;
    entry.erase(std::remove_if(entry.begin(), entry.end(), ::isspace), entry.end());
    if (entry.empty()) continue;
    if (entry == "*") return true;
    if (size_t colon = entry.rfind(':'); colon != std::string::npos &&
                                         entry.find(']') == std::string::npos &&
                                         entry.find(':') == colon)
      entry.resize(colon);  // "host:port": the port does not matter here
    if (entry[0] == '.') entry.erase(0, 1);
    if (h == entry) return true;
    if (h.size() > entry.size() && h.compare(h.size() - entry.size(), entry.size(), entry) == 0 &&
        h[h.size() - entry.size() - 1] == '.')
      return true;
  }
  return false;
}

TransportError classify(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
      return TransportError::Connect;
    case httplib::Error::ConnectionTimeout:
      return TransportError::Timeout;
    case httplib::Error::Read:
    case httplib::Error::Write:
      return TransportError::Dropped;
    case httplib::Error::Canceled:
      return TransportError::Canceled;
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification:
      return TransportError::Tls;
    default:
      return TransportError::Other;
  }
}

}  // namespace

bool HeaderLess::operator()(const std::string& a, const std::string& b) const {
  return strcasecmp(a.c_str(), b.c_str()) < 0;
}

Url Url::parse(const std::string& text) {
  Url u;
  size_t sep = text.find("://");
  if (sep == std::string::npos) throw InvalidArgument("not an http(s) URL: '" + text + "'");
  u.scheme = lower(text.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https")
    throw InvalidArgument("unsupported URL scheme in '" + text + "' (use http or https)");
  size_t host_begin = sep + 3;
  size_t path_begin = text.find_first_of("/?#", host_begin);
  std::string authority = text.substr(
      host_begin, path_begin == std::string::npos ? std::string::npos : path_begin - host_begin);
  if (size_t at = authority.rfind('@'); at != std::string::npos) {
    u.userinfo = authority.substr(0, at);
    authority.erase(0, at + 1);
  }
  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) throw InvalidArgument("bad IPv6 host in URL '" + text + "'");
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      port_text = authority.substr(close + 2);
  } else {
    size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (u.host.empty()) throw InvalidArgument("no host in URL '" + text + "'");
  u.port = u.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    char* end = nullptr;
    long p = std::strtol(port_text.c_str(), &end, 10);
    if (*end != '\0' || p <= 0 || p > 65535)
      throw InvalidArgument("bad port in URL '" + text + "'");
    u.port = static_cast<int>(p);
  }
  if (path_begin != std::string::npos) {
    u.path_and_query = text.substr(path_begin);
    if (size_t hash = u.path_and_query.find('#'); hash != std::string::npos)
      u.path_and_query.resize(hash);
    if (u.path_and_query.empty() || u.path_and_query[0] != '/') u.path_and_query.insert(0, "/");
  }
  return u;
}

std::string Url::origin() const {
  bool default_port = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + h + (default_port ? "" : ":" + std::to_string(port));
}

Url Url::resolve(const std::string& location) const {
  if (location.find("://") != std::string::npos) return parse(location);
  if (location.rfind("//", 0) == 0) return parse(scheme + ":" + location);
  Url u = *this;
  u.userinfo.clear();
  if (!location.empty() && location[0] == '/') {
    u.path_and_query = location;
  } else {
    std::string base = path_and_query.substr(0, path_and_query.find('?'));
    u.path_and_query = base.substr(0, base.rfind('/') + 1) + location;
  }
  return u;
}

std::string url_encode(std::string_view text, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string HttpResult::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string HttpResult::describe() const {
  if (transport != TransportError::None) return transport_message;
  std::string excerpt = body.substr(0, 300);
  for (char& c : excerpt)
    if (c == '\n' || c == '\r') c = ' ';
  return "HTTP " + std::to_string(status) + (excerpt.empty() ? "" : " (" + excerpt + ")");
}

std::optional<Url> proxy_for(const Url& target, const HttpOptions& options) {
  std::string proxy = options.proxy;
  if (proxy.empty() && options.use_env_proxy) {
    if (is_loopback(target.host) || no_proxy_matches(target.host)) return std::nullopt;
    proxy = target.scheme == "https"
                ? first_env({"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"})
                : first_env({"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"});
  }
  if (proxy.empty()) return std::nullopt;
  if (proxy.find("://") == std::string::npos) proxy = "http://" + proxy;
  return Url::parse(proxy);
}

HttpResult HttpClient::send(const HttpRequest& request) const {
  HttpResult result;
  Url url = Url::parse(request.url);
  const std::string first_origin = url.origin();
  std::string method = request.method;
  std::string body = request.body;
  for (int hop = 0;; ++hop) {
    httplib::Client cli(url.origin());
    cli.set_follow_location(false);
    cli.set_url_encode(false);
    cli.set_keep_alive(false);
    cli.set_connection_timeout(options_.connect_timeout);
    cli.set_read_timeout(options_.read_timeout);
    cli.set_write_timeout(options_.read_timeout);
    cli.enable_server_certificate_verification(true);
    if (auto proxy = proxy_for(url, options_)) {
      cli.set_proxy(proxy->host, proxy->port);
      if (size_t colon = proxy->userinfo.find(':'); colon != std::string::npos)
        cli.set_proxy_basic_auth(proxy->userinfo.substr(0, colon),
                                 proxy->userinfo.substr(colon + 1));
    }

    httplib::Request req;
    req.method = method;
    req.path = url.path_and_query;
    req.headers.emplace("User-Agent", options_.user_agent);
    for (auto& [k, v] : request.headers) req.headers.emplace(k, v);
    // Credentials go to the hub only; a CDN behind a redirect gets a signed URL instead.
    if (!options_.bearer_token.empty() && url.origin() == first_origin)
      req.headers.emplace("Authorization", "Bearer " + options_.bearer_token);
    if (!body.empty() || method == "PUT" || method == "POST") {
      req.body = body;
      req.headers.emplace("Content-Type",
                          request.content_type.empty() ? "application/json" : request.content_type);
    }

    int status = 0;
    bool streaming = false;
    bool canceled_by_us = false;
    std::string location;
    result.headers.clear();
    result.body.clear();
    req.response_handler = [&](const httplib::Response& res) {
      status = res.status;
      result.headers.clear();
      for (auto& [k, v] : res.headers) result.headers.emplace(k, v);
      if (status >= 300 && status < 400 && res.has_header("Location")) {
        location = res.get_header_value("Location");
        return true;
      }
      if (status >= 200 && status < 300 && request.on_data) {
        streaming = true;
        if (request.on_headers && !request.on_headers(status, result.headers)) {
          canceled_by_us = true;
          return false;
        }
      }
      return true;
    };
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      if (!location.empty()) return true;
      if (streaming) {
        if (!request.on_data(data, n)) {
          canceled_by_us = true;
          return false;
        }
        return true;
      }
      size_t limit = request.on_data ? kMaxErrorBody : kMaxPlainBody;
      if (result.body.size() < limit)
        result.body.append(data, std::min(n, limit - result.body.size()));
      return true;
    };

    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    bool sent = cli.send(req, res, err);
    result.final_url = url.str();
    if (!sent || err != httplib::Error::Success) {
      result.status = 0;
      result.transport = canceled_by_us ? TransportError::Canceled : classify(err);
      result.transport_message =
          url.origin() + ": " +
          (canceled_by_us ? std::string("canceled") : httplib::to_string(err));
      return result;
    }
    result.status = status ? status : res.status;
    if (!location.empty()) {
      if (hop >= options_.max_redirects) {
        result.transport = TransportError::Other;
        result.transport_message = request.url + ": too many redirects";
        return result;
      }
      url = url.resolve(location);
      if (result.status != 307 && result.status != 308) {
        method = "GET";
        body.clear();
      }
      continue;
    }
    return result;
  }
}

}  // namespace pagoda::hub
