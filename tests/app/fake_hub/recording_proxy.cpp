#include "tests/app/fake_hub/recording_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace pagoda::test {

RecordingProxy::RecordingProxy() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("recording proxy: cannot listen on 127.0.0.1");
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

RecordingProxy::~RecordingProxy() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  thread_.join();
  ::close(listen_fd_);
}

std::string RecordingProxy::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::vector<std::string> RecordingProxy::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void RecordingProxy::serve() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
    }
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::string head;
    char buf[1024];
    pollfd c{fd, POLLIN, 0};
    while (head.find("\r\n") == std::string::npos && head.size() < 8192 && ::poll(&c, 1, 1000) > 0) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      head.append(buf, static_cast<size_t>(n));
    }
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(head.substr(0, head.find("\r\n")));
    }
    const char answer[] = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)!::write(fd, answer, sizeof answer - 1);
    ::close(fd);
  }
}

}  // namespace pagoda::test
