// The daemon's one wait point: an epoll set in which every fd is registered
// with its own callback.  Whoever owns an fd (the kernel side, the control
// socket, a sync channel, a timer's owner) watches it and is called back;
// the loop knows nothing about what the fds are, so a new channel or mode
// adds its fds without touching the loop.  Signals (SIGTERM, SIGINT,
// SIGHUP) arrive through a signalfd watched like any other fd.
#pragma once
#include <cstdint>
#include <sys/epoll.h>

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
  // Called with the epoll event bits of a ready fd.
  using Fn = void (*)(void* ctx, uint32_t events);
  static constexpr unsigned kMaxWatches = 64;

  EventLoop() = default;
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Creates the epoll set and blocks + routes SIGTERM/SIGINT/SIGHUP to a
  // signalfd, handed to on_signal (which reads it with read_signal()).
  // 0 or -errno.
  int open(Fn on_signal, void* ctx);
  // Level-triggered.  0 or -errno (-ENOSPC when kMaxWatches are used).
  int watch(int fd, Fn fn, void* ctx, uint32_t events = EPOLLIN);
  // The same with a member function: loop.watch<&T::on_x>(fd, this).
  template <auto M, class T>
  int watch(int fd, T* obj, uint32_t events = EPOLLIN) {
    return watch(fd, [](void* c, uint32_t ev) { (static_cast<T*>(c)->*M)(ev); }, obj, events);
  }
  int modify(int fd, uint32_t events);
  // Safe from inside a callback: an event of `fd` already fetched in the
  // same round is not delivered.
  int unwatch(int fd);
  // Waits up to timeout_ms (-1: forever) and runs the callbacks of the
  // ready fds.  Returns how many ran (0 on timeout or EINTR) or -errno.
  int dispatch(int timeout_ms);
  // Reads one pending signal number from the signalfd, or 0.
  int read_signal(int* pid_out = nullptr);
  // Call in the child after fork(): a signalfd in an epoll set wakes it
  // for the signals of the process that added it, so a daemonized child
  // would never see its own SIGTERM.  Re-adding it binds it to the caller.
  // 0 or -errno.
  int rebind_signals();
  unsigned watches() const { return nwatch_; }

 private:
  struct Watch {
    int fd = -1;
    uint32_t gen = 0;  // bumped on unwatch: stale events are recognised
    Fn fn = nullptr;
    void* ctx = nullptr;
  };
  int slot_of(int fd) const;
  int ep_ = -1;
  int sfd_ = -1;
  unsigned nwatch_ = 0;
  Watch w_[kMaxWatches];
};

}  // namespace ctd
