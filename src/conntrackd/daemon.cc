// The daemon's life: start-up in upstream's order (log, lock file, control
// socket, kernel sockets and initial dump, signals, daemonize), one epoll
// loop, and the clean shutdown.
#include "conntrackd/daemon.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#include "conntrackd/kernel/cthelper_setup.h"
#include "conntrackd/event_loop.h"
#include "conntrackd/kernel/kernel_sync.h"
#include "conntrackd/lockfile.h"
#include "conntrackd/log.h"
#include "conntrackd/sd_notify.h"

#include "conntrackd/control/control_server.h"
#include "conntrackd/kernel/commit.h"
#include "conntrackd/kernel/commit_totals.h"
#include "conntrackd/sync/external_cache.h"
#include "conntrackd/sync/external_inject.h"
#include "conntrackd/sync/sync_engine.h"

namespace ctd {

static_assert(kLogErr == LOG_ERR && kLogWarning == LOG_WARNING && kLogNotice == LOG_NOTICE &&
              kLogInfo == LOG_INFO);

struct DaemonImpl {
  explicit DaemonImpl(Daemon& d) : d(d), ks(d) {}
  Daemon& d;
  Logger logger;
  EventLoop loop;
  KernelSync ks;
  Timer resync_timer, poll_timer, purge_timer, watchdog_timer;
  ControlServer ctl;
  SyncEngine* sync = nullptr;     // Sync { } only
  ExternalHandler* ext = nullptr;
  nl::Socket commit_sock;         // upstream's commit handle (origin COMMIT)
  int commit_pid = 0;
  CommitTotals* commit_totals = commit_totals_create();  // shared with the commit child
  bool stop = false;
  bool lock_taken = false;
  uint64_t watchdog_ms = 0;

  // fd callbacks (EventLoop::watch)
  void on_signal() {
    for (int k = 0; k < 64; k++) {
      int sig = loop.read_signal();
      if (sig == 0) break;
      if (sig == SIGTERM || sig == SIGINT) stop = true;
      else if (sig == SIGHUP) {
        logger.reopen();
        if (sync) sync->reload_auth();  // ours: AuthKeyFile rotation
      }
    }
  }
  void on_control(uint32_t) {
    if (!stop) ctl.on_readable(d);
  }
  void on_events(uint32_t) {
    if (stop) return;
    ks.on_events();  // level-triggered epoll brings us back to what is left
    if (ks.take_resync_request())
      resync_timer.arm(uint64_t(d.config().netlink_overrun_resync) * 1000);
  }
  void on_resync_timer(uint32_t) {
    resync_timer.ack();
    ks.start_async_resync(true, true);
  }
  void on_async4(uint32_t) { on_async(0); }
  void on_async6(uint32_t) { on_async(1); }
  void on_async(unsigned half) {
    ks.on_async_readable(half);
    if (ks.take_resync_request())  // an incomplete background resync: again
      resync_timer.arm(uint64_t(d.config().netlink_overrun_resync) * 1000);
  }
  void on_poll_timer(uint32_t) {
    poll_timer.ack();
    // upstream's polling does not count as a resync
    ks.start_async_resync(true, false);
    // upstream do_polling_alarm(): expectations are only purged (its
    // resync handle has no expectation callback, so none are added).
    if (d.expect_enabled()) ks.purge_expect();
  }
  void on_purge_timer(uint32_t) {
    purge_timer.ack();
    d.run_scheduled_flush();
  }
  void on_watchdog_timer(uint32_t) {
    watchdog_timer.ack();
    sd_notify_send("WATCHDOG=1");
  }
};

Daemon::~Daemon() {
  if (impl_) {
    delete impl_->sync;
    delete impl_->ext;
    commit_totals_destroy(impl_->commit_totals);
  }
  delete impl_;
}

// ---- the sync side -----------------------------------------------------------

void Daemon::sync_local(uint32_t ref) {
  if (impl_ && impl_->sync) impl_->sync->local_changed(ref);
}

void Daemon::sync_local_exp(uint32_t ref) {
  if (impl_ && impl_->sync) impl_->sync->local_changed(exp_qref(ref));
  else if (exp_internal_.header(ref).obj == ObjState::kDead) exp_internal_.erase(ref);
}

void Daemon::sync_bypass_event(const ct::Flow& f, int type) {
  if (impl_ && impl_->sync) impl_->sync->send_event(f, static_cast<uint8_t>(type));
}

uint32_t Daemon::inject_portid() const {
  return impl_ && impl_->ext ? impl_->ext->portid() : 0;
}

uint32_t Daemon::commit_portid() const {
  return impl_ && impl_->commit_sock.fd() >= 0 ? impl_->commit_sock.portid() : 0;
}

void Daemon::fill_sync_stats(SyncStats* s) const {
  if (impl_ && impl_->sync) impl_->sync->fill_stats(s);
}

void Daemon::put_rsqueue(base::OutBuf& out) {
  if (impl_ && impl_->sync) impl_->sync->put_rsqueue(out);
}

void Daemon::bulk_from_kernel() {
  if (impl_) impl_->ks.dump_to_peers();
}

const CommitTotals* Daemon::commit_totals() const {
  return impl_ ? impl_->commit_totals : nullptr;
}

bool Daemon::commit_running() const {
  return impl_ && impl_->commit_pid > 0 && kill(impl_->commit_pid, 0) == 0;
}

uint32_t Daemon::now() {
  // Whole seconds only: the coarse clock (no TSC read, a few ms behind)
  // is enough, and it is read for every message a sync receiver applies.
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<uint32_t>(ts.tv_sec);
}

void Daemon::vlog(int level, const char* fmt, va_list ap) {
  if (impl_) {
    impl_->logger.vlog(level, fmt, ap);
    return;
  }
  Logger console;  // not open: console only
  console.vlog(level, fmt, ap);
}

void Daemon::log(int level, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(level, fmt, ap);
  va_end(ap);
}

void Daemon::log_flow_line(std::string_view text) {
  if (impl_) impl_->logger.flow(text);
}

// ---- actions ---------------------------------------------------------------

// Kernel flushes run in one exclusive "flush" child, as upstream's
// fork_process_new(CTD_PROC_FLUSH, CTD_PROC_F_EXCL): the loop keeps reading
// the events a flush causes instead of letting them overflow the event
// socket.  A second flush while one runs is dropped (after its log line),
// so for -F (both tables) only the conntrack flush runs and expectations
// die with their masters, as upstream.  Inline if no child can be made.
int Daemon::flush_in_child(bool expect) {
  if (!impl_) return -ENOTCONN;
  DaemonImpl& im = *impl_;
  int pid = im.ctl.spawn("flush", true);
  if (pid == ControlServer::kSpawnRefused) return 0;
  if (pid == 0) {
    if (im.ks.detach_for_child() == 0) {
      if (expect) im.ks.flush_kernel_expect();
      else im.ks.flush_kernel();
    }
    _exit(0);  // upstream's child always exits with success
  }
  if (pid > 0) return 0;
  return expect ? im.ks.flush_kernel_expect() : im.ks.flush_kernel();
}

int Daemon::flush_kernel(bool ct, bool exp) {
  int r = 0;
  if (ct) {
    rt_.flush_kernel++;
    log(kLogNotice, "flushing kernel conntrack table");
    r = flush_in_child(false);
  }
  if (exp && expect_enabled()) {
    rt_.flush_kernel++;
    log(kLogNotice, "flushing kernel expect table");
    int e = flush_in_child(true);
    if (r == 0) r = e;
  }
  return r;
}

int Daemon::resync_from_kernel(bool ct, bool exp) {
  int r = 0;
  if (ct) {
    if (!stats_mode() && cfg_.internal_cache_disable) {
      log(kLogNotice, "resync is unsupported in this mode");
    } else {
      log(kLogNotice, "resync with master conntrack table");
      r = impl_ ? impl_->ks.resync(false) : -ENOTCONN;
    }
  }
  if (exp && expect_enabled()) {
    if (cfg_.internal_cache_disable) {
      log(kLogNotice, "resync is unsupported in this mode");
    } else {
      rt_.resync_kernel++;
      log(kLogNotice, "resync with master expect table");
      int e = impl_ ? impl_->ks.resync_expect() : -ENOTCONN;
      if (r == 0) r = e;
    }
  }
  return r;
}

int Daemon::flush_caches(bool internal, bool external) {
  if (external && commit_running()) {
    log(kLogErr, "ignoring flush command, commit still in progress");
    return 0;
  }
  if (stats_mode() || internal == external) log(kLogNotice, "flushing caches");
  else log(kLogNotice, internal ? "flushing internal cache" : "flushing external cache");
  // upstream: an immediate flush of the internal cache cancels a
  // scheduled (-t) one.
  if (internal && !stats_mode() && impl_) impl_->purge_timer.disarm();
  if (internal && internal_bypass()) {
    // upstream's internal_bypass flush is the selective kernel flush,
    // run inline.
    if (impl_) impl_->ks.flush_kernel();
    internal = false;
  }
  if (external && external_inject()) external = false;  // nothing cached
  // upstream cache_flush(): every entry removed counts as destroyed.
  if (internal) {
    if (impl_) impl_->ks.cancel_commit_catch_up();
    internal_.flush();
  }
  if (external) external_.flush();
  return 0;
}

int Daemon::flush_exp_caches() {
  if (!expect_enabled()) return 0;
  if (internal_bypass()) {
    // As for conntracks: the bypass "cache" flush empties the kernel's
    // expectation table.
    if (impl_) impl_->ks.flush_kernel_expect();
    exp_external_.flush();
    return 0;
  }
  exp_internal_.flush();
  exp_external_.flush();
  return 0;
}

int Daemon::commit_external(bool ct, bool exp) {
  if (ct && exp) log(kLogNotice, "committing all external caches");
  else if (ct) log(kLogNotice, "committing conntrack cache");
  else if (exp) log(kLogNotice, "committing expectation cache");
  if (!ct && !exp) return 0;
  // upstream local_commit(): a commit cancels a scheduled (-t) flush.
  if (impl_) impl_->purge_timer.disarm();
  // DisableExternalCache: updates went to the kernel already; the inject
  // "commit" ends at once without a report.
  if (external_inject()) return 0;
  if (!impl_) return 0;
  if (commit_running()) {
    log(kLogNotice, "commit already in progress, skipping");
    return 0;
  }
  // In a child, as upstream's commit process: the loop keeps serving and
  // reading the events the creates cause; the client's connection stays
  // open (the child holds it) until the commit is done.
  DaemonImpl& im = *impl_;
  int pid = im.ctl.spawn("commit", true);
  if (pid == ControlServer::kSpawnRefused) {
    log(kLogNotice, "commit already in progress, skipping");
    return 0;
  }
  if (pid > 0) {
    im.commit_pid = pid;
    if (ct) im.ks.pause_new_events();
    return 0;
  }
  // Conntracks first: an expectation needs its master in the table.
  // (upstream's -c runs the expectation pass only when the conntrack
  // pass took more than one step; ours always runs it.)
  CommitTotals* totals = im.commit_totals;
  uint64_t run_us = 0;
  auto timed = [&](bool expect) {
    timeval a, b, d;
    gettimeofday(&a, nullptr);
    const CommitResult r = expect ? commit_expects(*this, im.commit_sock, exp_external_)
                                  : commit_flows(*this, im.commit_sock, external_);
    gettimeofday(&b, nullptr);
    timersub(&b, &a, &d);
    run_us += static_cast<uint64_t>(d.tv_sec) * 1000000u + static_cast<uint64_t>(d.tv_usec);
    if (totals) {
      (expect ? totals->exp_ok : totals->ct_ok) += r.ok;
      (expect ? totals->exp_failed : totals->ct_failed) += r.failed;
    }
    log(kLogNotice, expect ? "Committed %u new expectations" : "Committed %u new entries", r.ok);
    if (r.failed)
      log(kLogNotice, expect ? "%u expectations can't be committed" : "%u entries can't be committed", r.failed);
    log(kLogNotice, "commit has taken %lu.%06lu seconds", static_cast<unsigned long>(d.tv_sec),
        static_cast<unsigned long>(d.tv_usec));
  };
  if (ct) timed(false);
  if (exp && expect_enabled()) timed(true);
  if (totals) {
    totals->last_duration_us = run_us;
    totals->runs++;
  }
  if (pid == 0) _exit(0);
  return 0;
}

void Daemon::child_exited(int pid) {
  if (!impl_ || pid != impl_->commit_pid) return;
  impl_->commit_pid = 0;
  impl_->ks.resume_new_events();
}

int Daemon::send_bulk() {
  log(kLogNotice, "sending bulk update");
  if (impl_ && impl_->sync) impl_->sync->bulk();
  return 0;
}

int Daemon::request_resync() {
  log(kLogNotice, "resync requested");
  if (impl_ && impl_->sync) impl_->sync->request_resync();
  return 0;
}

// -t's alarm went off: the selective kernel flush in a child, and the
// internal cache emptied (upstream's do_reset_cache_alarm()).
void Daemon::run_scheduled_flush() {
  rt_.flush_kernel++;
  log(kLogNotice, "flushing kernel conntrack table (scheduled)");
  flush_in_child(false);
  if (internal_bypass()) {
    impl_->ks.flush_kernel();  // the bypass "cache" flush, inline
  } else {
    internal_.flush();
  }
}

int Daemon::arm_purge_timer() {
  if (!impl_ || impl_->purge_timer.armed()) return 0;
  log(kLogNotice, "flushing conntrack table in %u secs", cfg_.purge_timeout);
  return impl_->purge_timer.arm(uint64_t{cfg_.purge_timeout} * 1000);
}

void Daemon::request_shutdown() {
  if (impl_) impl_->stop = true;
}

// ---- start-up and loop -------------------------------------------------------

namespace {

void set_scheduler(Daemon& d, const Config& c) {
  // Only when configured (spec §1.1: "no change" otherwise).
  if (c.sched_type == SchedType::kDefault) return;
  sched_param sp{};
  sp.sched_priority = c.sched_prio;
  int policy = c.sched_type == SchedType::kRr ? SCHED_RR : SCHED_FIFO;
  if (sched_setscheduler(0, policy, &sp) < 0)
    d.log(kLogWarning,
          "scheduler configuration failed: %s. Likely a bug in conntrackd, please report it. "
          "Continuing with system default scheduler.",
          strerror(errno));
}

void null_stdio() {
  int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd < 0) return;
  dup2(fd, STDIN_FILENO);
  dup2(fd, STDOUT_FILENO);
  dup2(fd, STDERR_FILENO);
  if (fd > STDERR_FILENO) close(fd);
}

}  // namespace

// upstream ctnl_init(): the mode's caches, the initial dump and the
// kernel sockets.  0 or -1 (logged).
int Daemon::init_caches() {
  if (cfg_.sync) {  // upstream init_sync()
    if (cfg_.sync_mode_bits == 0)
      log(kLogWarning, "No synchronization mode specified. Defaulting to FT-FW mode.");
    if (internal_bypass()) log(kLogNotice, "disabling internal cache");
    if (external_inject()) log(kLogNotice, "disabling external cache");
  }
  if (!internal_.init(cfg_.hashsize, cfg_.hashlimit) ||
      (!stats_mode() && !external_.init(cfg_.hashsize, cfg_.hashlimit))) {
    log(kLogErr, stats_mode() ? "can't allocate memory for the external cache"
                              : "can't allocate memory for the internal cache");
    log(kLogErr, "initialization failed");
    return -1;
  }
  // Upstream creates the expectation caches in every sync daemon; they can
  // only be filled or shown with ExpectationSync, so only then here.
  if (expect_enabled()) {
    const bool in_ok = exp_internal_.init(cfg_.hashsize, cfg_.hashlimit);
    if (!in_ok || !exp_external_.init(cfg_.hashsize, cfg_.hashlimit)) {
      log(kLogErr, in_ok ? "can't allocate memory for the external cache"
                         : "can't allocate memory for the internal cache");
      log(kLogErr, "initialization failed");
      return -1;
    }
  }
  return 0;
}

// upstream init_sync(): the external handler, the channels and the mode.
int Daemon::start_sync() {
  DaemonImpl& im = *impl_;
  if (im.commit_sock.open(0) < 0) {
    log(kLogErr, "can't open netlink handler: %s", strerror(errno));
    return -1;
  }
  if (external_inject()) {
    ExternalInject* x = new ExternalInject(*this);
    im.ext = x;
    if (x->open() < 0) {
      log(kLogErr, "can't open netlink handler: %s", strerror(errno));
      return -1;
    }
  } else {
    im.ext = new ExternalCache(external_, expect_enabled() ? &exp_external_ : nullptr);
  }
  im.sync = new SyncEngine(*this);
  if (im.sync->open(im.loop, im.ext) < 0) {
    log(kLogErr, "initialization failed");
    return -1;
  }
  return 0;
}

int Daemon::run(const Config& cfg, bool daemonize) {
  cfg_ = cfg;
  impl_ = new DaemonImpl(*this);
  DaemonImpl& im = *impl_;

  if (im.logger.open(cfg_) < 0) return 1;
  // upstream dlog(): with -d nothing goes to the console once the log is
  // open, even before the fork.
  im.logger.set_daemon(daemonize);
  int r = lockfile_create(cfg_.lockfile);
  if (r < 0) {
    log(kLogErr, "lockfile `%s' exists, perhaps conntrackd already running?", cfg_.lockfile);
    im.logger.close();
    return 1;
  }
  im.lock_taken = true;

  // upstream init()
  auto fail = [&]() {
    log(kLogErr, "conntrackd cannot start, please review your configuration");
    im.ks.close();
    im.ctl.close();
    im.logger.close();
    lockfile_remove(cfg_.lockfile);
    return 1;
  };
  set_scheduler(*this, cfg_);
  if (im.loop.open([](void* c, uint32_t) { static_cast<DaemonImpl*>(c)->on_signal(); }, &im) < 0) {
    log(kLogErr, "can't create file descriptor pool");
    return fail();
  }
  // Without a UNIX Path upstream binds an autobound abstract socket that no
  // client can name, i.e. it runs unreachable; we run with no socket and say so.
  const bool unix_sock = cfg_.unix_path[0] != '\0';
  if (!unix_sock)
    log(kLogWarning, "no UNIX Path configured: running without a control socket "
                     "(client commands cannot reach this daemon; stop it with SIGTERM)");
  if (int err = unix_sock ? im.ctl.open(cfg_) : im.ctl.open_unlistened(); err < 0) {
    log(kLogErr, "can't open unix socket!");
    // Ours: a path we refuse to replace says why (control_socket.h).
    if (err == -EEXIST)
      log(kLogErr, "the UNIX Path exists and is not a socket (not replaced)");
    else if (err == -EADDRINUSE)
      log(kLogErr, "another process is listening on the UNIX Path");
    return fail();
  }
  im.loop.watch<&DaemonImpl::on_control>(im.ctl.fd(), &im);
  // Only Sync or Stats runs the conntrack side (upstream's init()): with
  // neither (an empty file, a lone Helper block) the daemon just idles.
  const bool ctnl = cfg_.sync || cfg_.stats;
  // upstream ctnl_init(): the caches, then the sync mode (channels), and
  // only then the netlink handles and the populating dump, so a channel
  // that cannot open fails before any netlink notice is logged.
  if (ctnl && init_caches() < 0) return fail();
  if (cfg_.sync && start_sync() < 0) return fail();
  if (ctnl && im.ks.open() < 0) return fail();
  if (cfg_.helper && cthelper_start(*this) < 0) return fail();
  if (im.resync_timer.open() < 0 || im.poll_timer.open() < 0 || im.purge_timer.open() < 0 ||
      im.watchdog_timer.open() < 0) {
    log(kLogErr, "can't create file descriptor pool");
    return fail();
  }
  im.loop.watch<&DaemonImpl::on_resync_timer>(im.resync_timer.fd(), &im);
  im.loop.watch<&DaemonImpl::on_poll_timer>(im.poll_timer.fd(), &im);
  im.loop.watch<&DaemonImpl::on_purge_timer>(im.purge_timer.fd(), &im);
  im.loop.watch<&DaemonImpl::on_watchdog_timer>(im.watchdog_timer.fd(), &im);
  if (ctnl && im.ks.poll_mode()) {
    im.poll_timer.arm(uint64_t{cfg_.poll_secs} * 1000, uint64_t{cfg_.poll_secs} * 1000);
  } else if (ctnl) {
    im.loop.watch<&DaemonImpl::on_events>(im.ks.event_fd(), &im);
  }
  if (ctnl) {
    if (im.ks.async_fd(0) >= 0) im.loop.watch<&DaemonImpl::on_async4>(im.ks.async_fd(0), &im);
    if (im.ks.async_fd(1) >= 0) im.loop.watch<&DaemonImpl::on_async6>(im.ks.async_fd(1), &im);
  }
  rt_.started = time(nullptr);
  log(kLogNotice, "initialization completed");

  if (chdir("/") != 0)
    log(kLogWarning, "Cannot change current directory to %s: %s", "/", strerror(errno));

  if (cfg_.systemd) {
    uint64_t us = sd_watchdog_usec();
    if (us) {
      im.watchdog_ms = us / 2000;  // half the interval, as recommended
      if (im.watchdog_ms == 0) im.watchdog_ms = 1;
      im.watchdog_timer.arm(im.watchdog_ms, im.watchdog_ms);
    }
  }

  if (daemonize) {
    pid_t pid = fork();
    if (pid < 0) {
      log(kLogErr, "fork has failed: %s", strerror(errno));
      im.logger.close();
      lockfile_remove(cfg_.lockfile);
      return 1;
    }
    if (pid > 0) {
      if (cfg_.systemd) {
        char msg[32];
        snprintf(msg, sizeof msg, "MAINPID=%d", static_cast<int>(pid));
        sd_notify_send(msg);
      }
      _exit(0);
    }
    setsid();
    if (int err = im.loop.rebind_signals(); err < 0)
      log(kLogErr, "can't receive signals after fork: %s", strerror(-err));
    null_stdio();
    im.logger.set_daemon(true);
    log(kLogNotice, "-- starting in daemon mode --");
  } else {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);  // upstream closes stdin
    if (fd >= 0) {
      dup2(fd, STDIN_FILENO);
      if (fd != STDIN_FILENO) close(fd);
    }
    log(kLogNotice, "-- starting in console mode --");
  }
  if (cfg_.systemd) sd_notify_send("READY=1");
  if (im.sync && cfg_.startup_resync) request_resync();

  while (!im.stop) {
    if (im.loop.dispatch(-1) < 0) rt_.select_failed++;
  }

  // upstream killer()
  im.ctl.close();
  if (im.sync) im.sync->close();
  im.ks.close();
  lockfile_remove(cfg_.lockfile);
  log(kLogNotice, "---- shutdown received ----");
  im.logger.close();
  if (cfg_.systemd) sd_notify_send("STOPPING=1");
  return 0;
}

}  // namespace ctd
