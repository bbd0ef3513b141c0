#pragma once
// Whole-request deadlines for HTTP connections. libmicrohttpd's own timeout is reset by every
// byte (a slowloris keeps it alive forever), so each connection carries its own deadline (set by
// the HTTP layer as the request moves from reading to handling to responding to idle) and one
// watchdog thread shuts down the socket of every connection past it, answering 408 first when
// nothing has been sent yet. Thread-safe: connections are added and updated from HTTP threads.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace pagoda::server {

class WatchedConnection {
 public:
  using Clock = std::chrono::steady_clock;
  explicit WatchedConnection(int fd) : fd_(fd) {}
  int fd() const { return fd_; }
  // The socket is shut down at `deadline`; with `answer_408` a 408 is written first (only while
  // the request is still being read and no response has started).
  void set_deadline(Clock::time_point deadline, bool answer_408) {
    answer_408_ = answer_408;
    deadline_ns_ = deadline.time_since_epoch().count();
  }
  void clear_deadline() { deadline_ns_ = 0; }
  bool timed_out() const { return timed_out_; }

 private:
  friend class ConnectionWatchdog;
  int fd_;
  std::atomic<Clock::rep> deadline_ns_{0};  // 0: none
  std::atomic<bool> answer_408_{false};
  std::atomic<bool> timed_out_{false};
};

class ConnectionWatchdog {
 public:
  // `timeout_body`: the 408 response body (JSON).
  explicit ConnectionWatchdog(std::string timeout_body);
  ~ConnectionWatchdog();  // stops
  void start();
  void stop();
  void add(WatchedConnection* c);
  void remove(WatchedConnection* c);  // before the socket is closed
  int size() const;

 private:
  void run();
  std::string response_408_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<WatchedConnection*> connections_;
  bool stop_ = false;
  std::thread thread_;
};

// True when the peer has closed or reset the connection (data still to be read is not a close).
// Never blocks and consumes nothing.
bool peer_closed(int fd);

// Writes bytes to a socket without blocking and without SIGPIPE; returns whether all were sent.
bool send_now(int fd, const std::string& bytes);

}  // namespace pagoda::server
