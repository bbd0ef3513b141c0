#include "app/hub/http.h"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

#include "engine/util/error.h"

namespace pagoda::hub {
namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;
constexpr size_t kMaxPlainBody = 256ull * 1024 * 1024;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One easy handle per thread: curl_easy_reset keeps its connection cache, so a worker that
// fetches many files from one host reuses the connection.
CURL* thread_handle() {
  struct Handle {
    CURL* curl = nullptr;
    ~Handle() {
      if (curl) curl_easy_cleanup(curl);
    }
  };
  thread_local Handle handle;
  if (!handle.curl) {
    global_init();
    handle.curl = curl_easy_init();
    if (!handle.curl) throw Error("libcurl: cannot create a handle");
  } else {
    curl_easy_reset(handle.curl);
  }
  return handle.curl;
}

TransportError classify(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return TransportError::Connect;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportError::Timeout;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return TransportError::Dropped;
    case CURLE_WRITE_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
      return TransportError::Canceled;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
      return TransportError::Tls;
    default:
      return TransportError::Other;
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// State of one send() shared with libcurl's callbacks.
struct Transfer {
  CURL* curl = nullptr;
  const HttpRequest* request = nullptr;
  HttpResult* result = nullptr;
  int max_redirects = 0;
  int hops = 0;
  bool final_block = false;  // the headers being received belong to the final answer
  bool streaming = false;    // 2xx body goes to request->on_data
  bool canceled_by_us = false;

  void status_line() {
    result->headers.clear();
    final_block = false;
    char* url = nullptr;
    if (curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url &&
        (result->visited.empty() || result->visited.back() != url))
      result->visited.emplace_back(url);
  }

  // The blank line after a header block: decides whether it is a redirect that libcurl follows.
  bool end_of_headers() {
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200) return true;  // 100 Continue and friends: another block follows
    bool redirect = status >= 300 && status < 400 && status != 304 &&
                    result->headers.count("Location") && hops < max_redirects;
    if (redirect) {
      ++hops;
      return true;
    }
    final_block = true;
    if (status >= 200 && status < 300 && request->on_data) {
      streaming = true;
      if (request->on_headers && !request->on_headers(static_cast<int>(status), result->headers)) {
        canceled_by_us = true;
        return false;
      }
    }
    return true;
  }

  static size_t on_header(char* data, size_t size, size_t n, void* self_ptr) {
    auto* self = static_cast<Transfer*>(self_ptr);
    const size_t len = size * n;
    std::string line(data, len);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.rfind("HTTP/", 0) == 0) {
      self->status_line();
    } else if (line.empty()) {
      if (!self->end_of_headers()) return 0;
    } else if (size_t colon = line.find(':'); colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      size_t start = value.find_first_not_of(" \t");
      self->result->headers.emplace(line.substr(0, colon),
                                    start == std::string::npos ? "" : value.substr(start));
    }
    return len;
  }

  static size_t on_write(char* data, size_t size, size_t n, void* self_ptr) {
    auto* self = static_cast<Transfer*>(self_ptr);
    const size_t len = size * n;
    if (!self->final_block) return len;  // the body of a redirect
    if (self->streaming) {
      if (!self->request->on_data(data, len)) {
        self->canceled_by_us = true;
        return 0;
      }
      return len;
    }
    std::string& body = self->result->body;
    size_t limit = self->request->on_data ? kMaxErrorBody : kMaxPlainBody;
    if (body.size() < limit) body.append(data, std::min(len, limit - body.size()));
    return len;
  }

  static int on_progress(void* self_ptr, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* self = static_cast<Transfer*>(self_ptr);
    if (self->request->should_stop && self->request->should_stop()) {
      self->canceled_by_us = true;
      return 1;
    }
    return 0;
  }
};

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

void append(Slist& list, const std::string& line) {
  curl_slist* next = curl_slist_append(list.get(), line.c_str());
  if (!next) throw Error("libcurl: out of memory");
  list.release();
  list.reset(next);
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
  if (size_t at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
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

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  if (options_.ca_file.empty()) return;
  // CURLOPT_CAINFO would replace the system bundle; a blob of both keeps it.
  global_init();
  std::string extra = read_file(options_.ca_file);
  if (extra.empty()) throw InvalidArgument("cannot read the CA file '" + options_.ca_file + "'");
  CURL* probe = curl_easy_init();
  char* system_bundle = nullptr;
  if (probe) curl_easy_getinfo(probe, CURLINFO_CAINFO, &system_bundle);
  if (system_bundle) ca_blob_ = read_file(system_bundle);
  if (probe) curl_easy_cleanup(probe);
  ca_blob_ += "\n" + extra;
}

HttpResult HttpClient::send(const HttpRequest& request) const {
  const Url url = Url::parse(request.url);  // validates
  HttpResult result;
  CURL* curl = thread_handle();
  Transfer t;
  t.curl = curl;
  t.request = &request;
  t.result = &result;
  t.max_redirects = options_.max_redirects;
  char errbuf[CURL_ERROR_SIZE] = {0};

  Slist headers;
  append(headers, "Expect:");  // no 100-continue round trip for PUT bodies
  for (auto& [k, v] : request.headers) append(headers, k + ": " + v);
  // A custom Authorization header: libcurl (since 7.58, and for port/scheme changes since
  // 7.83) sends it only to the host of the first request, never to a redirect target elsewhere.
  if (!options_.bearer_token.empty())
    append(headers, "Authorization: Bearer " + options_.bearer_token);
  const bool has_body = !request.body.empty() || request.method == "PUT" ||
                        request.method == "POST";
  if (has_body)
    append(headers, "Content-Type: " + (request.content_type.empty() ? std::string("application/json")
                                                                      : request.content_type));

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, static_cast<long>(options_.max_redirects));
  curl_easy_setopt(curl, CURLOPT_UNRESTRICTED_AUTH, 0L);
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!ca_blob_.empty()) {
    curl_blob blob{const_cast<char*>(ca_blob_.data()), ca_blob_.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
  }
  if (!options_.proxy.empty()) curl_easy_setopt(curl, CURLOPT_PROXY, options_.proxy.c_str());
  curl_easy_setopt(curl, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count() * 1000));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(options_.low_speed_bytes));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.read_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 256L * 1024);  // fewer, larger writes
  // API answers may come compressed (libcurl decodes them); file bodies stay identity-encoded
  // so that sizes, Range offsets and hashes are those of the file.
  if (!request.on_data) curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (has_body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Transfer::on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &Transfer::on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);

  CURLcode rc = curl_easy_perform(curl);
  char* effective = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective)
    result.final_url = effective;
  if (rc != CURLE_OK) {
    result.status = 0;
    result.transport = t.canceled_by_us ? TransportError::Canceled : classify(rc);
    std::string detail = errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
    if (rc == CURLE_TOO_MANY_REDIRECTS) detail = "too many redirects";
    std::string where = result.final_url.empty() ? url.origin() : result.final_url;
    if (size_t q = where.find('?'); q != std::string::npos) where.resize(q);  // no signatures
    result.transport_message = where + ": " + (t.canceled_by_us ? std::string("canceled") : detail);
    return result;
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  result.status = static_cast<int>(status);
  return result;
}

}  // namespace pagoda::hub
