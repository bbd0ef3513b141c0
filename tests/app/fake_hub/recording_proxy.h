#pragma once
// A stand-in for an HTTP proxy on 127.0.0.1 that forwards nothing: it records the first line
// of every request it gets ("CONNECT huggingface.co:443 HTTP/1.1", "GET http://x/ HTTP/1.1")
// and answers 502. Tests point http_proxy / https_proxy at it, so any request that was meant
// for a host outside the test is seen here and never leaves the machine.
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pagoda::test {

class RecordingProxy {
 public:
  RecordingProxy();  // listens on 127.0.0.1, any free port
  ~RecordingProxy();
  RecordingProxy(const RecordingProxy&) = delete;
  RecordingProxy& operator=(const RecordingProxy&) = delete;
  std::string url() const;  // http://127.0.0.1:<port>
  std::vector<std::string> requests() const;

 private:
  void serve();
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  bool stop_ = false;
};

}  // namespace pagoda::test
