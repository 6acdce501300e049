// The daemon's one wait point: an epoll set over the event socket, the
// control socket, a signalfd (SIGTERM, SIGINT, SIGHUP; children are the control
// server's, reaped through its pidfds) and
// timerfds, each registered with a small integer tag.
#pragma once
#include <cstdint>

namespace ctd {

// A one-shot or periodic CLOCK_MONOTONIC timer (timerfd).
class Timer {
 public:
  Timer() = default;
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  int open();                                     // 0 or -errno
  int fd() const { return fd_; }
  // Fires after first_ms, then every interval_ms (0: once).
  int arm(uint64_t first_ms, uint64_t interval_ms = 0);
  void disarm();
  bool armed() const { return armed_; }
  // Reads the expiry count (call when fd() is readable); a one-shot timer
  // is then disarmed.  Returns the number of expirations.
  uint64_t ack();

 private:
  int fd_ = -1;
  bool armed_ = false;
  bool periodic_ = false;
};

class EventLoop {
 public:
  EventLoop() = default;
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Creates the epoll set and blocks + routes the signals to a signalfd
  // (registered with tag kTagSignal).  0 or -errno.
  int open();
  static constexpr uint32_t kTagSignal = 0;
  int add(int fd, uint32_t tag);  // EPOLLIN, level-triggered
  int del(int fd);
  // Waits for at most `max` ready tags.  Returns their count (0 on a
  // timeout or EINTR) or -errno.
  int wait(uint32_t* tags, int max, int timeout_ms);
  // Reads one pending signal number from the signalfd, or 0.
  int read_signal(int* pid_out = nullptr);

 private:
  int ep_ = -1;
  int sfd_ = -1;
};

}  // namespace ctd
