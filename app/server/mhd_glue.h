#pragma once
// The API server's libmicrohttpd glue, apart from its request flow (api_server.cpp): the
// OpenAI-style error answers (also written raw, outside MHD), a connection's socket context, the
// streaming body MHD pulls from a generator, and one pass over the raw request headers. Each
// object belongs to one connection and is used by the HTTP thread serving it.
#include <microhttpd.h>
#include <sys/types.h>

#include <cstdarg>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "app/server/admission.h"
#include "app/server/connection_watchdog.h"
#include "app/server/serving.h"

namespace pagoda::server {

// The OpenAI error "type" of an HTTP status.
const char* status_type(int status);
HttpResponse api_error(int status, const std::string& message, const std::string& code = "",
                       const std::string& param = "");
// A whole HTTP/1.1 response with Connection: close, for writing straight to the socket.
std::string raw_response(int status, const char* reason, const HttpResponse& r);

// One connection (MHD's socket context): its deadline and the client's address.
struct Connection : WatchedConnection {
  using WatchedConnection::WatchedConnection;
  std::string remote_addr;
  bool idle = false;  // between requests
};

// The state of a streaming (SSE) response: MHD pulls its bytes from the generator.
struct SseBody {
  std::function<bool(const ChunkWriter&)> next;
  std::shared_ptr<AdmissionSlot> slot;
  Connection* connection = nullptr;
  int write_timeout_s = 60;
  std::string pending;
  size_t offset = 0;
  bool done = false;

  // MHD's content reader: the next bytes of the stream into buf, or MHD's end markers.
  ssize_t read(char* buf, size_t max);
};

// Fields from one pass over the raw request headers.
struct HeaderScan {
  int count = 0;
  int hosts = 0;
  int content_lengths = 0;
  bool bad_name = false;  // whitespace in a field name ("Host : x"): RFC 9112 says 400
  std::string host, origin, authorization, content_type, content_length, transfer_encoding;
};

// MHD's header iterator filling a HeaderScan (cls).
MHD_Result scan_header(void* cls, MHD_ValueKind kind, const char* key, size_t key_size,
                       const char* value, size_t value_size);

// Nothing in a request is percent-decoded: the path is matched as sent (MHD's unescaper).
size_t keep_escaped(void* cls, MHD_Connection* connection, char* s);
// MHD's error log, silenced.
void quiet_log(void* cls, const char* format, va_list args);

}  // namespace pagoda::server
