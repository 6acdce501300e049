// ControlServer <-> the real Daemon: the ControlHandler adapter, and the
// statistics the sync side does not report yet (see control_server.h).
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <ctime>

#include "conntrackd/kernel/bypass_dump.h"
#include "conntrackd/kernel/commit_totals.h"
#include "conntrackd/control/control_server.h"
#include "conntrackd/daemon.h"

namespace ctd {
namespace {

// Upstream's channel status words, from the interface flags.
const char* link_status(const char* ifname) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return "DOWN";
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  unsigned flags = 0;
  if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) flags = static_cast<unsigned short>(ifr.ifr_flags);
  close(s);
  if (!(flags & IFF_UP)) return "DOWN";
  return (flags & IFF_RUNNING) ? "RUNNING" : "NO-CARRIER";
}

void default_sync_stats(const Config& cfg, SyncStats* s) {
  s->nchannels = cfg.channel_num <= kMaxChannels ? cfg.channel_num : kMaxChannels;
  for (unsigned i = 0; i < s->nchannels; i++) {
    ChannelStats& c = s->channels[i];
    c = ChannelStats{};
    c.proto = cfg.channels[i].proto;
    std::memcpy(c.ifname, cfg.channels[i].ifname, sizeof(c.ifname));
    c.ifname[sizeof(c.ifname) - 1] = '\0';
    c.status = link_status(c.ifname);
  }
  s->current = cfg.channel_default < s->nchannels ? cfg.channel_default : 0;
  // Upstream's queue list is newest first: txqueue, errorq, rsqueue.
  s->nqueues = 0;
  s->queues[s->nqueues++] = QueueInfo{"txqueue", 0, INT_MAX, 0};
  s->queues[s->nqueues++] = QueueInfo{"errorq", 0, cfg.error_queue_length, 0};
  if (cfg.sync_mode() == SyncMode::kFtfw)
    s->queues[s->nqueues++] = QueueInfo{"rsqueue", 0, cfg.resend_queue_size, 0};
}

class DaemonHandler final : public ControlHandler {
 public:
  explicit DaemonHandler(Daemon& d) : d_(d) {}
  const Config& config() override { return d_.config(); }
  FlowCache& internal() override { return d_.internal(); }
  FlowCache& external() override { return d_.external(); }
  ExpectCache* exp_internal() override {
    return d_.expect_enabled() ? &d_.exp_internal() : nullptr;
  }
  ExpectCache* exp_external() override {
    return d_.expect_enabled() ? &d_.exp_external() : nullptr;
  }
  uint32_t now() override { return Daemon::now(); }
  bool internal_bypass() override { return d_.internal_bypass(); }
  void dump_kernel(int fd, bool exp) override {
    if (exp) bypass_dump_exp(fd, d_);
    else bypass_dump_ct(fd, d_);
  }
  void fill_stats(StatsView* v) override {
    const Config& cfg = d_.config();
    v->sync_mode = cfg.sync;
    v->expect_sync = cfg.expect_sync;
    v->ftfw = cfg.sync_mode() == SyncMode::kFtfw;
    v->internal = d_.internal_counters();
    v->external = d_.external_counters();
    v->internal_entries = d_.internal().size();
    v->external_entries = d_.external().size();
    if (d_.expect_enabled()) {
      v->exp_internal = d_.exp_internal_counters();
      v->exp_external = d_.exp_external_counters();
      v->exp_internal_entries = d_.exp_internal().size();
      v->exp_external_entries = d_.exp_external().size();
    }
    v->internal_bypass = d_.internal_bypass();
    v->external_inject = d_.external_inject();
    v->bypass = d_.bypass(false);
    v->exp_bypass = d_.bypass(true);
    v->traffic = d_.traffic();
    v->inject = d_.inject();
    v->exp_inject = d_.exp_inject();
    v->runtime = d_.runtime();
    if (v->runtime.buffer_size == 0) v->runtime.buffer_size = cfg.netlink_buffer_size;
    v->now = static_cast<int64_t>(time(nullptr));
    if (cfg.sync) {
      default_sync_stats(cfg, &v->sync);
      d_.fill_sync_stats(&v->sync);
    }
    v->stats_mode = cfg.stats;
    if (cfg.sync) {
      const SyncMode m = cfg.sync_mode();
      v->mode_name = m == SyncMode::kFtfw ? "ftfw" : m == SyncMode::kAlarm ? "alarm" : "notrack";
    } else if (cfg.stats) {
      v->mode_name = "stats";
    }
    if (const CommitTotals* t = d_.commit_totals()) {
      v->commit.runs = t->runs;
      v->commit.ct_ok = t->ct_ok;
      v->commit.ct_failed = t->ct_failed;
      v->commit.exp_ok = t->exp_ok;
      v->commit.exp_failed = t->exp_failed;
      v->commit.last_duration_us = t->last_duration_us;
    }
    v->commit.running = d_.commit_running();
  }
  void put_rsqueue_nodes(base::OutBuf& out) override {
    d_.put_rsqueue(out);
  }
  int flush_kernel(bool ct, bool exp) override { return d_.flush_kernel(ct, exp); }
  int resync_from_kernel(bool ct, bool exp) override { return d_.resync_from_kernel(ct, exp); }
  int flush_caches(bool i, bool e) override { return d_.flush_caches(i, e); }
  int flush_exp_caches() override { return d_.flush_exp_caches(); }
  int commit_external(bool ct, bool exp) override { return d_.commit_external(ct, exp); }
  int send_bulk() override { return d_.send_bulk(); }
  int request_resync() override { return d_.request_resync(); }
  int arm_purge_timer() override { return d_.arm_purge_timer(); }
  void request_shutdown() override { d_.request_shutdown(); }
  void log(int level, const char* msg) override { d_.log(level, "%s", msg); }
  void count_read_failed() override { d_.runtime_mut().local_read_failed++; }
  void count_unknown_request() override { d_.runtime_mut().local_unknown_req++; }
  // Upstream run.c child(): the same counters and messages.
  void child_exited(int pid, int status) override {
    d_.child_exited(pid);
    if (!WIFSIGNALED(status)) return;
    RuntimeCounters& r = d_.runtime_mut();
    int sig = WTERMSIG(status);
    r.child_failed++;
    if (sig == SIGSEGV) {
      r.child_segv++;
      d_.log(kLogErr, "child process (pid=%u) has aborted, received signal SIGSEGV (crashed)",
             static_cast<unsigned>(pid));
    } else if (sig == SIGINT || sig == SIGTERM || sig == SIGKILL) {
      r.child_termsig++;
      d_.log(kLogErr, "child process (pid=%u) has aborted, received termination signal (%u)",
             static_cast<unsigned>(pid), static_cast<unsigned>(sig));
    } else {
      d_.log(kLogNotice, "child process (pid=%u) received signal (%u)", static_cast<unsigned>(pid),
             static_cast<unsigned>(sig));
    }
  }

 private:
  Daemon& d_;
};

}  // namespace

void ControlServer::on_readable(Daemon& d) {
  DaemonHandler h(d);
  on_readable(h);
}

}  // namespace ctd
