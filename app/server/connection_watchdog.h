#pragma once
// Whole-request deadlines for HTTP connections. libmicrohttpd's own timeout is reset by every
// byte (a slowloris keeps it alive forever), so each connection carries its own deadline (set by
// the HTTP layer as the request moves from reading to handling to responding to idle) and one
// watchdog thread shuts down the socket of every connection past it, answering 408 first when
// nothing has been sent yet. It also caps the connections that do no work (reading a request or
// idle): past the cap the longest-waiting ones are closed, so slow or idle sockets can never
// crowd out a client whose request arrives whole. Thread-safe: connections are added and updated
// from HTTP threads.
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
  // the request is still being read and no response has started). `unproductive`: reading a
  // request or idle, so it counts against the watchdog's cap from now on.
  void set_deadline(Clock::time_point deadline, bool answer_408, bool unproductive) {
    answer_408_ = answer_408;
    deadline_ns_ = deadline.time_since_epoch().count();
    if (unproductive && !unproductive_since_ns_)
      unproductive_since_ns_ = Clock::now().time_since_epoch().count();
    if (!unproductive) unproductive_since_ns_ = 0;
  }
  // Handling a request (generation may take minutes): no deadline, not capped.
  void clear_deadline() {
    deadline_ns_ = 0;
    unproductive_since_ns_ = 0;
  }
  bool timed_out() const { return timed_out_; }

 private:
  friend class ConnectionWatchdog;
  int fd_;
  std::atomic<Clock::rep> deadline_ns_{0};  // 0: none
  std::atomic<bool> answer_408_{false};
  std::atomic<bool> timed_out_{false};
  std::atomic<Clock::rep> unproductive_since_ns_{0};  // 0: busy
};

class ConnectionWatchdog {
 public:
  // `timeout_body`: the 408 response body (JSON). At most `max_unproductive` connections may
  // be reading a request or idle at once.
  ConnectionWatchdog(std::string timeout_body, int max_unproductive);
  ~ConnectionWatchdog();  // stops
  void start();
  void stop();
  void add(WatchedConnection* c);
  void remove(WatchedConnection* c);  // before the socket is closed
  int size() const;

 private:
  void run();
  void expire(WatchedConnection* c);
  std::string response_408_;
  int max_unproductive_;
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
