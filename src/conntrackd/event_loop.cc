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

int EventLoop::open(Fn on_signal, void* ctx) {
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
  return watch(sfd_, on_signal, ctx);
}

int EventLoop::slot_of(int fd) const {
  for (unsigned i = 0; i < kMaxWatches; i++)
    if (w_[i].fd == fd) return static_cast<int>(i);
  return -1;
}

int EventLoop::watch(int fd, Fn fn, void* ctx, uint32_t events) {
  if (fd < 0 || !fn) return -EBADF;
  if (slot_of(fd) >= 0) return -EEXIST;
  int s = slot_of(-1);
  if (s < 0) return -ENOSPC;
  Watch& w = w_[s];
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = (uint64_t{w.gen} << 32) | static_cast<uint32_t>(s);
  if (epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) < 0) return -errno;
  w.fd = fd;
  w.fn = fn;
  w.ctx = ctx;
  nwatch_++;
  return 0;
}

int EventLoop::modify(int fd, uint32_t events) {
  int s = slot_of(fd);
  if (s < 0) return -ENOENT;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = (uint64_t{w_[s].gen} << 32) | static_cast<uint32_t>(s);
  return epoll_ctl(ep_, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int EventLoop::unwatch(int fd) {
  int s = slot_of(fd);
  if (s < 0 || fd < 0) return -ENOENT;
  epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);  // fails harmlessly if fd was closed
  Watch& w = w_[s];
  w.fd = -1;
  w.gen++;
  w.fn = nullptr;
  w.ctx = nullptr;
  nwatch_--;
  return 0;
}

int EventLoop::dispatch(int timeout_ms) {
  epoll_event evs[16];
  int n = epoll_wait(ep_, evs, 16, timeout_ms);
  if (n < 0) return errno == EINTR ? 0 : -errno;
  int ran = 0;
  for (int i = 0; i < n; i++) {
    uint32_t s = static_cast<uint32_t>(evs[i].data.u64);
    uint32_t gen = static_cast<uint32_t>(evs[i].data.u64 >> 32);
    if (s >= kMaxWatches || w_[s].fd < 0 || w_[s].gen != gen) continue;
    w_[s].fn(w_[s].ctx, evs[i].events);
    ran++;
  }
  return ran;
}
int EventLoop::rebind_signals() {
  int s = slot_of(sfd_);
  if (sfd_ < 0 || s < 0) return -ENOENT;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = (uint64_t{w_[s].gen} << 32) | static_cast<uint32_t>(s);
  if (epoll_ctl(ep_, EPOLL_CTL_DEL, sfd_, nullptr) < 0) return -errno;
  return epoll_ctl(ep_, EPOLL_CTL_ADD, sfd_, &ev) < 0 ? -errno : 0;
}

int EventLoop::read_signal(int* pid_out) {
  signalfd_siginfo si;
  ssize_t n = read(sfd_, &si, sizeof si);
  if (n != static_cast<ssize_t>(sizeof si)) return 0;
  if (pid_out) *pid_out = static_cast<int>(si.ssi_pid);
  return static_cast<int>(si.ssi_signo);
}

}  // namespace ctd
