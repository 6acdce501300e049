#include "conntrackd/event_loop.h"

#include <cerrno>
#include <csignal>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

namespace ctd {

Timer::~Timer() {
  if (fd_ >= 0) close(fd_);
}

int Timer::open() {
  fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  return fd_ < 0 ? -errno : 0;
}

int Timer::arm(uint64_t first_ms, uint64_t interval_ms) {
  if (first_ms == 0) first_ms = 1;  // 0 would disarm
  itimerspec its{};
  its.it_value.tv_sec = static_cast<time_t>(first_ms / 1000);
  its.it_value.tv_nsec = static_cast<long>((first_ms % 1000) * 1000000);
  its.it_interval.tv_sec = static_cast<time_t>(interval_ms / 1000);
  its.it_interval.tv_nsec = static_cast<long>((interval_ms % 1000) * 1000000);
  if (timerfd_settime(fd_, 0, &its, nullptr) < 0) return -errno;
  armed_ = true;
  periodic_ = interval_ms != 0;
  return 0;
}

void Timer::disarm() {
  itimerspec its{};
  timerfd_settime(fd_, 0, &its, nullptr);
  armed_ = false;
}

uint64_t Timer::ack() {
  uint64_t n = 0;
  if (read(fd_, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) return 0;
  if (!periodic_) armed_ = false;
  return n;
}

EventLoop::~EventLoop() {
  if (sfd_ >= 0) close(sfd_);
  if (ep_ >= 0) close(ep_);
}

int EventLoop::open() {
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  if (ep_ < 0) return -errno;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) < 0) return -errno;
  sfd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd_ < 0) return -errno;
  signal(SIGPIPE, SIG_IGN);
  return add(sfd_, kTagSignal);
}

int EventLoop::add(int fd, uint32_t tag) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u32 = tag;
  return epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int EventLoop::del(int fd) { return epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr) < 0 ? -errno : 0; }

int EventLoop::wait(uint32_t* tags, int max, int timeout_ms) {
  epoll_event evs[16];
  if (max > 16) max = 16;
  int n = epoll_wait(ep_, evs, max, timeout_ms);
  if (n < 0) return errno == EINTR ? 0 : -errno;
  for (int i = 0; i < n; i++) tags[i] = evs[i].data.u32;
  return n;
}

int EventLoop::read_signal(int* pid_out) {
  signalfd_siginfo si;
  ssize_t n = read(sfd_, &si, sizeof si);
  if (n != static_cast<ssize_t>(sizeof si)) return 0;
  if (pid_out) *pid_out = static_cast<int>(si.ssi_pid);
  return static_cast<int>(si.ssi_signo);
}

}  // namespace ctd
