#include "app/server/mhd_glue.h"

#include <strings.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string_view>

#include "app/server/socket_util.h"

namespace pagoda::server {

using Clock = std::chrono::steady_clock;

const char* status_type(int status) {
  switch (status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 429:
      return "rate_limit_error";
    case 503:
      return "service_unavailable";
    default:
      return status >= 500 ? "internal_server_error" : "invalid_request_error";
  }
}

HttpResponse api_error(int status, const std::string& message, const std::string& code,
                       const std::string& param) {
  return error_response(status, message, status_type(status), param, code);
}

std::string raw_response(int status, const char* reason, const HttpResponse& r) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nConnection: close\r\nContent-Type: " + r.content_type +
         "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
}

ssize_t SseBody::read(char* buf, size_t max) {
  connection->clear_deadline();  // generating: no deadline while we wait for tokens
  ChunkWriter write = [this](const std::string& chunk) {
    pending += chunk;
    return true;
  };
  while (offset == pending.size() && !done) {
    pending.clear();
    offset = 0;
    if (peer_closed(connection->fd())) return MHD_CONTENT_READER_END_WITH_ERROR;
    if (!next(write)) {
      done = true;
      // Before the terminating chunk: a client may send its next request right after it.
      slot->release();
    }
  }
  connection->set_deadline(Clock::now() + std::chrono::seconds(write_timeout_s), false, false);
  size_t n = std::min(max, pending.size() - offset);
  if (n == 0) return MHD_CONTENT_READER_END_OF_STREAM;
  std::memcpy(buf, pending.data() + offset, n);
  offset += n;
  return static_cast<ssize_t>(n);
}

MHD_Result scan_header(void* cls, MHD_ValueKind, const char* key, size_t key_size,
                       const char* value, size_t value_size) {
  auto* s = static_cast<HeaderScan*>(cls);
  ++s->count;
  std::string_view k(key, key_size);
  std::string v = value ? std::string(value, value_size) : std::string();
  auto is = [&](const char* name) { return strcasecmp(std::string(k).c_str(), name) == 0; };
  if (k.empty() || k.find_first_of(" \t") != std::string_view::npos) s->bad_name = true;
  if (is("Host")) {
    ++s->hosts;
    s->host = v;
  } else if (is("Origin")) {
    s->origin = v;
  } else if (is("Authorization")) {
    s->authorization = v;
  } else if (is("Content-Type")) {
    s->content_type = v;
  } else if (is("Content-Length")) {
    ++s->content_lengths;
    s->content_length = v;
  } else if (is("Transfer-Encoding")) {
    s->transfer_encoding = v;
  }
  return MHD_YES;
}

size_t keep_escaped(void*, MHD_Connection*, char* s) {
  return std::strlen(s);
}

void quiet_log(void*, const char*, va_list) {}


}  // namespace pagoda::server
