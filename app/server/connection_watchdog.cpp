#include "app/server/connection_watchdog.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace pagoda::server {

ConnectionWatchdog::ConnectionWatchdog(std::string timeout_body, int max_unproductive)
    : response_408_(
          "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
          "Content-Type: application/json\r\nContent-Length: " +
          std::to_string(timeout_body.size()) + "\r\n\r\n" + timeout_body),
      max_unproductive_(std::max(max_unproductive, 1)) {}

ConnectionWatchdog::~ConnectionWatchdog() {
  stop();
}

void ConnectionWatchdog::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void ConnectionWatchdog::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ConnectionWatchdog::add(WatchedConnection* c) {
  std::lock_guard lock(mu_);
  connections_.insert(c);
}

void ConnectionWatchdog::remove(WatchedConnection* c) {
  std::lock_guard lock(mu_);
  connections_.erase(c);
}

int ConnectionWatchdog::size() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(connections_.size());
}

void ConnectionWatchdog::expire(WatchedConnection* c) {
  c->deadline_ns_ = 0;
  c->unproductive_since_ns_ = 0;
  c->timed_out_ = true;
  if (c->answer_408_.exchange(false)) send_now(c->fd_, response_408_);
  ::shutdown(c->fd_, SHUT_RDWR);  // the connection's thread sees the error and closes it
}

void ConnectionWatchdog::run() {
  std::unique_lock lock(mu_);
  std::vector<std::pair<WatchedConnection::Clock::rep, WatchedConnection*>> waiting;
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(50));
    const auto now = WatchedConnection::Clock::now().time_since_epoch().count();
    // Under the lock: remove() waits, so the socket cannot be closed (and its number reused)
    // while it is shut down here.
    waiting.clear();
    for (WatchedConnection* c : connections_) {
      auto deadline = c->deadline_ns_.load();
      if (deadline != 0 && now >= deadline) {
        expire(c);
        continue;
      }
      if (auto since = c->unproductive_since_ns_.load()) waiting.emplace_back(since, c);
    }
    if (static_cast<int>(waiting.size()) > max_unproductive_) {
      auto excess = waiting.size() - static_cast<size_t>(max_unproductive_);
      std::partial_sort(waiting.begin(), waiting.begin() + static_cast<std::ptrdiff_t>(excess),
                        waiting.end());
      for (size_t i = 0; i < excess; ++i) expire(waiting[i].second);
    }
  }
}

bool peer_closed(int fd) {
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLERR | POLLHUP | POLLNVAL | POLLRDHUP)) return true;
  if (!(p.revents & POLLIN)) return false;
  char c;
  ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

bool send_now(int fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace pagoda::server
