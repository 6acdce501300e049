// The control socket server; see control_server.h for the design.
#include "conntrackd/control/control_server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "conntrackd/control/control_proto.h"
#include "conntrackd/control/control_socket.h"
#include "conntrackd/control/dump_format.h"
#include "conntrackd/control/exp_dump_format.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

namespace ctd {
namespace {

constexpr int kBacklog = 100;  // upstream UNIX_SOCKET_BACKLOG


// epoll tags: kind in the high half, slot in the low half.
enum Tag : uint32_t { kTagListen = 1, kTagTimer = 2, kTagClient = 3, kTagChild = 4 };
uint64_t tag(Tag t, uint32_t slot) { return (uint64_t{t} << 32) | slot; }

int64_t mono_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void set_send_timeout(int fd, int ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void set_blocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0 && (fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

void close_fd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

bool is_known_request(int code) {
  return (code >= kReqFlushMaster && code <= kReqResyncMaster) ||
         (code >= kReqDumpInternal && code <= kReqExpDumpExtXml) || code == kReqStatsMetrics;
}

}  // namespace

ControlServer::~ControlServer() { close(); }

int ControlServer::setup_set() {
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  if (ep_ < 0) return -errno;
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_fd_ < 0) return -errno;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = tag(kTagTimer, 0);
  if (epoll_ctl(ep_, EPOLL_CTL_ADD, timer_fd_, &ev) < 0) return -errno;
  if (listen_fd_ < 0) return 0;  // open_unlistened(): children only
  ev.data.u64 = tag(kTagListen, 0);
  if (epoll_ctl(ep_, EPOLL_CTL_ADD, listen_fd_, &ev) < 0) return -errno;
  return 0;
}

int ControlServer::open_unlistened() {
  close();
  int err = setup_set();
  if (err < 0) close();
  return err;
}

int ControlServer::open(const Config& cfg) {
  close();
  int fd = bind_control_socket(cfg.unix_path, cfg.unix_group, kBacklog);
  if (fd < 0) return fd;
  std::memcpy(path_, cfg.unix_path, strnlen(cfg.unix_path, sizeof(path_) - 1) + 1);
  group_ = cfg.unix_group;
  listen_fd_ = fd;
  int err = setup_set();
  if (err < 0) close();
  return err;
}

int ControlServer::open_fd(int listen_fd) {
  close();
  int fl = fcntl(listen_fd, F_GETFL);
  if (fl < 0) return -errno;
  fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK);
  listen_fd_ = listen_fd;
  int err = setup_set();
  if (err < 0) close();
  return err;
}

void ControlServer::close() {
  for (unsigned i = 0; i < kMaxPending; i++) close_fd(&pend_[i].fd);
  npending_ = 0;
  for (unsigned i = 0; i < kMaxDumpChildren; i++) {
    close_fd(&kids_[i].pidfd);
    kids_[i].pid = 0;
  }
  nkids_ = 0;
  close_fd(&timer_fd_);
  close_fd(&ep_);
  close_fd(&listen_fd_);
  if (path_[0] != '\0') unlink(path_);
  path_[0] = '\0';
  close_fd(&kill_fd_);
}

void ControlServer::on_readable(ControlHandler& h) {
  if (ep_ < 0) return;
  epoll_event evs[kMaxPending + kMaxDumpChildren + 2];
  int n = epoll_wait(ep_, evs, static_cast<int>(sizeof(evs) / sizeof(evs[0])), 0);
  for (int i = 0; i < n; i++) {
    uint32_t kind = static_cast<uint32_t>(evs[i].data.u64 >> 32);
    uint32_t slot = static_cast<uint32_t>(evs[i].data.u64);
    switch (kind) {
      case kTagListen: accept_some(h); break;
      case kTagTimer: {
        uint64_t ticks;
        ssize_t r = read(timer_fd_, &ticks, sizeof(ticks));
        (void)r;
        expire(h);
        break;
      }
      case kTagClient:
        if (slot < kMaxPending && pend_[slot].fd >= 0) read_pending(h, slot);
        break;
      case kTagChild:
        if (slot < kMaxDumpChildren && kids_[slot].pid > 0) reap(h, slot, false);
        break;
      default: break;
    }
  }
}

void ControlServer::accept_some(ControlHandler& h) {
  // Bounded: at most kMaxPending accepts per wakeup.  When every slot is
  // taken, the connection waiting longest is dropped for the new one: a
  // client normally writes its request right after connect(), so it is
  // already readable when accepted and served at once, while a flood of
  // silent connections only churns through the table.
  for (unsigned tries = 0; tries < kMaxPending; tries++) {
    unsigned slot = kMaxPending, oldest = 0;
    for (unsigned s = 0; s < kMaxPending; s++) {
      if (pend_[s].fd < 0) {
        slot = s;
        break;
      }
      if (pend_[s].deadline_ms < pend_[oldest].deadline_ms) oldest = s;
    }
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or an error the next wakeup retries
    if (!peer_allowed(fd, group_)) {
      refuse_peer(h, fd);
      continue;
    }
    if (slot == kMaxPending) {
      h.count_read_failed();
      int old = pend_[oldest].fd;
      drop_pending(oldest);
      ::close(old);
      slot = oldest;
    }
    Pending& p = pend_[slot];
    p.fd = fd;
    p.got = 0;
    p.deadline_ms = mono_ms() + kRequestTimeoutMs;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = tag(kTagClient, slot);
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) < 0) {
      close_fd(&p.fd);
      continue;
    }
    npending_++;
    rearm_timer();
    read_pending(h, slot);
  }
}

// Logged on the 1st, 2nd, 4th, 8th... refusal so a local flood cannot
// fill the log.
void ControlServer::refuse_peer(ControlHandler& h, int fd) {
  ::close(fd);
  refused_++;
  if ((refused_ & (refused_ - 1)) != 0) return;
  base::LineBuf<128> m;
  m.put("control socket: connection from an unauthorised user refused (");
  m.put_u64(refused_);
  m.put(" so far)");
  m.put('\0');
  h.log(kLogWarning, m.view().data());
}

void ControlServer::drop_pending(unsigned slot) {
  Pending& p = pend_[slot];
  if (p.fd >= 0) {
    epoll_ctl(ep_, EPOLL_CTL_DEL, p.fd, nullptr);
    npending_--;
  }
  p.fd = -1;
  p.got = 0;
}

void ControlServer::read_pending(ControlHandler& h, unsigned slot) {
  Pending& p = pend_[slot];
  ssize_t r;
  do {
    r = recv(p.fd, p.buf + p.got, sizeof(p.buf) - p.got, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (r <= 0) {  // EOF before a whole request, or an error
    h.count_read_failed();
    int fd = p.fd;
    drop_pending(slot);
    ::close(fd);
    rearm_timer();
    return;
  }
  p.got = static_cast<uint8_t>(p.got + r);
  if (p.got < sizeof(p.buf)) return;
  int code;
  std::memcpy(&code, p.buf, sizeof(code));
  int fd = p.fd;
  drop_pending(slot);
  rearm_timer();
  serve(h, fd, code);
}

void ControlServer::expire(ControlHandler& h) {
  int64_t now = mono_ms();
  for (unsigned s = 0; s < kMaxPending; s++) {
    if (pend_[s].fd >= 0 && pend_[s].deadline_ms <= now) {
      h.count_read_failed();
      int fd = pend_[s].fd;
      drop_pending(s);
      ::close(fd);
    }
  }
  // Children without a pidfd (pidfd_open unsupported) are polled here.
  for (unsigned s = 0; s < kMaxDumpChildren; s++) {
    if (kids_[s].pid > 0 && kids_[s].pidfd < 0) reap(h, s, false);
  }
  rearm_timer();
}

void ControlServer::rearm_timer() {
  if (timer_fd_ < 0) return;
  int64_t next = 0;
  for (unsigned s = 0; s < kMaxPending; s++) {
    if (pend_[s].fd >= 0 && (next == 0 || pend_[s].deadline_ms < next)) next = pend_[s].deadline_ms;
  }
  for (unsigned s = 0; s < kMaxDumpChildren; s++) {
    if (kids_[s].pid > 0 && kids_[s].pidfd < 0) {
      int64_t poll_at = mono_ms() + 1000;
      if (next == 0 || poll_at < next) next = poll_at;
    }
  }
  itimerspec its{};
  if (next != 0) {
    int64_t delta = next - mono_ms();
    if (delta < 1) delta = 1;
    its.it_value.tv_sec = delta / 1000;
    its.it_value.tv_nsec = (delta % 1000) * 1000000;
  }
  timerfd_settime(timer_fd_, 0, &its, nullptr);
}

void ControlServer::reap(ControlHandler& h, unsigned slot, bool blocking) {
  Child& c = kids_[slot];
  int status = 0;
  pid_t r;
  do {
    r = waitpid(c.pid, &status, blocking ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return;  // still running
  // r == pid: ours to account; r < 0 (ECHILD): someone else reaped it.
  if (r == c.pid) h.child_exited(c.pid, status);
  if (c.pidfd >= 0) {
    epoll_ctl(ep_, EPOLL_CTL_DEL, c.pidfd, nullptr);
    close_fd(&c.pidfd);
  }
  c.pid = 0;
  nkids_--;
}

namespace {

// Upstream's dump_step(): the same options for conntrack and expectation
// caches.
DumpOpts dump_opts(ControlHandler& h, bool xml) {
  const Config& cfg = h.config();
  DumpOpts o;
  o.xml = xml;
  o.hide_dead = cfg.sync && cfg.sync_mode() == SyncMode::kFtfw;
  o.now = h.now();
  return o;
}

bool write_dump(int fd, const ControlServer::DumpJob& job) {
  if (job.kernel) {
    job.kernel->dump_kernel(fd, job.kernel_exp);
    return true;
  }
  return job.flows ? dump_cache(fd, *job.flows, job.o) : dump_exp_cache(fd, *job.exps, job.o);
}

}  // namespace

void ControlServer::dump(ControlHandler& h, int fd, bool external, bool xml) {
  DumpJob job;
  job.flows = external ? &h.external() : &h.internal();
  job.o = dump_opts(h, xml);
  const Config& cfg = h.config();
  if (external && cfg.sync && cfg.sync_mode() == SyncMode::kAlarm) job.o.expire_after = cfg.cache_timeout;
  run_dump(h, fd, job);
}

void ControlServer::dump_exp(ControlHandler& h, int fd, ExpectCache& cache, bool xml) {
  DumpJob job;
  job.exps = &cache;
  job.o = dump_opts(h, xml);
  const Config& cfg = h.config();
  if (&cache == h.exp_external() && cfg.sync && cfg.sync_mode() == SyncMode::kAlarm)
    job.o.expire_after = cfg.cache_timeout;
  run_dump(h, fd, job);
}

int ControlServer::free_child_slot() const {
  for (unsigned s = 0; s < kMaxDumpChildren; s++)
    if (kids_[s].pid == 0) return static_cast<int>(s);
  return -1;
}

// In a fresh child: drop the daemon's signal handlers (a SIGTERM must not
// run its shutdown path here) and every control fd but `keep_fd`.
void ControlServer::close_in_child(int keep_fd) {
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);
  // The daemon blocks them for its signalfd; blocked, SIG_DFL would never
  // run and a child could not be stopped.  SIGHUP stays blocked: a reload
  // signal must not end a commit half way.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  for (unsigned s = 0; s < kMaxPending; s++) {
    if (pend_[s].fd >= 0 && pend_[s].fd != keep_fd) ::close(pend_[s].fd);
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (kill_fd_ >= 0) ::close(kill_fd_);
}

void ControlServer::adopt_child(unsigned slot, pid_t pid, const char* type) {
  Child& c = kids_[slot];
  c.pid = pid;
  c.type = type;
  c.pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  nkids_++;
  if (c.pidfd >= 0) {
    fcntl(c.pidfd, F_SETFD, FD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag(kTagChild, slot);
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, c.pidfd, &ev) < 0) close_fd(&c.pidfd);
  }
  if (c.pidfd < 0) rearm_timer();
}

int ControlServer::spawn(const char* type, bool exclusive) {
  if (exclusive) {
    for (unsigned s = 0; s < kMaxDumpChildren; s++)
      if (kids_[s].pid > 0 && std::strcmp(kids_[s].type, type) == 0) return kSpawnRefused;
  }
  int slot = free_child_slot();
  if (slot < 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close_in_child(-1);
    return 0;
  }
  if (pid < 0) return -1;
  adopt_child(static_cast<unsigned>(slot), pid, type);
  return pid;
}

void ControlServer::run_dump(ControlHandler& h, int fd, const DumpJob& job) {
  int slot = free_child_slot();
  if (slot < 0) {
    h.log(kLogWarning, "too many dump processes running, request refused");
    ::close(fd);
    return;
  }
  pid_t pid = fork_dumps_ ? fork() : -1;
  if (pid == 0) {
    // The child: write the snapshot, nothing else.
    close_in_child(fd);
    set_send_timeout(fd, kDumpSendTimeoutMs);
    write_dump(fd, job);
    _exit(0);
  }
  if (pid < 0) {
    if (fork_dumps_) {
      int err = errno;
      base::LineBuf<128> m;
      m.put("fork has failed: ");
      m.put(strerror(err));
      m.put('\0');
      h.log(kLogErr, m.view().data());
    }
    set_send_timeout(fd, kReplySendTimeoutMs);
    write_dump(fd, job);  // inline, bounded per write
    ::close(fd);
    return;
  }
  ::close(fd);
  adopt_child(static_cast<unsigned>(slot), pid, "any");
}

void ControlServer::write_stats(ControlHandler& h, int fd, int code) {
  static StatsView v;  // large (channels, queues); one request at a time
  v = StatsView{};
  h.fill_stats(&v);
  for (unsigned s = 0; s < kMaxDumpChildren && v.nprocs < kMaxStatsProcesses; s++) {
    if (kids_[s].pid > 0) v.procs[v.nprocs++] = ProcessInfo{kids_[s].pid, kids_[s].type};
  }
  char storage[16384];
  base::OutBuf out(fd, storage, sizeof(storage));
  if (code == kReqStatsMetrics) {
    stats_render_metrics(out, v);
    out.flush();
    return;
  }
  bool served = stats_render(out, code, v);
  if (served && code == kReqStatsRsqueue) h.put_rsqueue_nodes(out);
  out.flush();
}

void ControlServer::serve(ControlHandler& h, int fd, int code) {
  set_blocking(fd);
  set_send_timeout(fd, kReplySendTimeoutMs);
  const Config& cfg = h.config();
  const bool sync = cfg.sync;
  const bool exp = cfg.expect_sync;
  if (!is_known_request(code & ~kReqJsonBit) ||
      ((code & kReqJsonBit) && !request_is_stats(code & ~kReqJsonBit))) {
    h.count_unknown_request();
    ::close(fd);
    return;
  }
  // Without Sync or Stats upstream's local_handler() answers only -k,
  // -s runtime and -s process: there are no caches or kernel sockets
  // (-s metrics then shows what those two show).
  const int base_code = code & ~kReqJsonBit;
  if (!sync && !cfg.stats && base_code != kReqKill && base_code != kReqStatsRuntime &&
      base_code != kReqStatsProcess && base_code != kReqStatsMetrics) {
    ::close(fd);
    return;
  }
  if (request_is_stats(base_code) || code == kReqStatsMetrics) {
    write_stats(h, fd, code);
    ::close(fd);
    return;
  }
  switch (code) {
    case kReqKill:
      h.request_shutdown();
      // Keep the client waiting until the process is gone (see header).
      close_fd(&kill_fd_);
      kill_fd_ = fd;
      return;
    // Kernel table: both modes (ctnl.c ctnl_local).
    case kReqFlushMaster: h.flush_kernel(true, false); break;
    case kReqResyncMaster: h.resync_from_kernel(true, false); break;
    case kReqExpFlushMaster: if (exp) h.flush_kernel(false, true); break;
    case kReqExpResyncMaster: if (exp) h.resync_from_kernel(false, true); break;
    case kReqAllFlushMaster: h.flush_kernel(true, exp); break;
    case kReqAllResyncMaster: h.resync_from_kernel(true, exp); break;
    case kReqDumpInternal:
    case kReqDumpIntXml:
      if (sync && h.internal_bypass()) {
        DumpJob job;
        job.kernel = &h;
        run_dump(h, fd, job);
        return;
      }
      dump(h, fd, false, code == kReqDumpIntXml);
      return;  // dump() owns fd
    case kReqDumpExternal:
    case kReqDumpExtXml:
      if (!sync) break;
      dump(h, fd, true, code == kReqDumpExtXml);
      return;
    case kReqFlushCache:
      h.flush_caches(true, sync);
      break;
    case kReqFlushIntCache:
      h.flush_caches(true, false);
      break;
    case kReqFlushExtCache:
      if (sync) h.flush_caches(false, true);
      break;
    case kReqAllFlushCache:
      if (sync) {
        h.flush_caches(true, true);
        if (exp) h.flush_exp_caches();
      }
      break;
    // ExpectationSync's caches (sync-mode.c: 40/41 check it, 47/48 dump
    // caches that are empty without it; ours do not exist then).
    case kReqExpDumpInternal:
    case kReqExpDumpIntXml:
    case kReqExpDumpExternal:
    case kReqExpDumpExtXml: {
      const bool ext = code == kReqExpDumpExternal || code == kReqExpDumpExtXml;
      ExpectCache* c = ext ? h.exp_external() : h.exp_internal();
      if (!sync || !exp || !c) break;
      if (!ext && h.internal_bypass()) {
        DumpJob job;
        job.kernel = &h;
        job.kernel_exp = true;
        run_dump(h, fd, job);
        return;
      }
      dump_exp(h, fd, *c, code == kReqExpDumpIntXml || code == kReqExpDumpExtXml);
      return;  // dump_exp() owns fd
    }
    // Sync mode only (stats mode answers nothing).
    case kReqCommit: if (sync) h.commit_external(true, false); break;
    case kReqExpCommit: if (sync && exp) h.commit_external(false, true); break;
    case kReqAllCommit: if (sync) h.commit_external(true, true); break;  // logged as "all" with or without ExpectationSync
    case kReqSendBulk: if (sync) h.send_bulk(); break;
    case kReqRequestDump: if (sync) h.request_resync(); break;
    case kReqResetTimers: if (sync) h.arm_purge_timer(); break;
    default: break;  // 27 (unused upstream)
  }
  ::close(fd);
}

}  // namespace ctd
