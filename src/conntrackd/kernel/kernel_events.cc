// KernelSync, its event side: the event socket, each event into the
// internal cache (and to the sync side), overruns, bypass counting.
#include "conntrackd/kernel/kernel_sync.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>

#include "base/clock.h"
#include "base/out_buf.h"
#include "conntrackd/daemon.h"
#include "conntrackd/kernel/filter_bpf.h"
#include "conntrackd/kernel/kernel_expect.h"
#include "ct/dump_request.h"
#include "ct/expect_parse.h"
#include "ct/flow_build.h"
#include "ct/flow_parse.h"
#include "ct/flow_print.h"
#include "ct_uapi.h"
#include "netlink/dump_pipeline.h"
#include "netlink/msg_builder.h"
#include "netlink/recv_loop.h"
#include "conntrackd/kernel/kernel_sync_detail.h"

namespace ctd {

using ct::F;
using uapi::NlMsgHdr;

void KernelSync::grow_buffer() {
  RuntimeCounters& rt = d_.runtime_mut();
  const uint64_t s = rt.buffer_size;
  if (grow_warned_) return;
  if (s * 2 > d_.config().netlink_buffer_size_max_grown) {
    d_.log(kLogWarning,
           "netlink event socket buffer size cannot be doubled further since it will exceed "
           "NetlinkBufferSizeMaxGrowth. We are likely to be losing events, this may lead to "
           "unsynchronized replicas. Please, consider increasing netlink socket buffer size "
           "via NetlinkBufferSize and NetlinkBufferSizeMaxGrowth clauses in conntrackd.conf");
    grow_warned_ = true;
    return;
  }
  rt.buffer_size = static_cast<uint32_t>(ev_.set_rcvbuf(static_cast<size_t>(s), true));
  d_.log(kLogNotice, "netlink event socket buffer size has been doubled to %u bytes",
         rt.buffer_size);
}

bool KernelSync::pause_new_events() {
  // Without a cache (DisableInternalCache) events go to the peers as they
  // come, and a resync cannot replay them: keep listening.
  if (new_paused_ || poll_mode_ || ev_.fd() < 0 || d_.internal_bypass()) return false;
  if (ev_.set_opt(uapi::kNetlinkDropMembership, uapi::kNfnlgrpConntrackNew) < 0) return false;
  new_paused_ = true;
  return true;
}

void KernelSync::resume_new_events() {
  if (!new_paused_) return;
  new_paused_ = false;
  if (ev_.set_opt(uapi::kNetlinkAddMembership, uapi::kNfnlgrpConntrackNew) < 0)
    d_.log(kLogErr, "can't listen to new conntrack events again: %s", strerror(errno));
  if (catch_up_cancelled_) {
    catch_up_cancelled_ = false;
    return;
  }
  if (async_.running) return;  // the one under way adds them (and announces them)
  if (bg_[0].fd() < 0) {
    async_.after_commit = true;  // the synchronous fallback reads it too
    start_async_resync(false, false);
    async_.after_commit = false;
    return;
  }
  if (start_async_resync(false, false) == 0 && async_.running) async_.after_commit = true;
}

void KernelSync::cancel_commit_catch_up() {
  if (new_paused_) catch_up_cancelled_ = true;
  if (async_.running && async_.after_commit) async_.catch_up_dropped = true;
}

// A dumped flow after our commit is what upstream's NEW event for it would
// have been: an entry the cache already has is left alone (no event would
// have come), a new one is added, and only announced to the peers when it
// did not come from our commit (upstream skips its own commit's events;
// what another process created meanwhile is sent).
void KernelSync::catch_up_after_commit(const ct::Flow& f) {
  if (async_.catch_up_dropped) return;
  uint32_t ref = kNilRef;
  // add() leaves an entry the cache already has untouched (kExists).
  if (d_.internal().add(f, Daemon::now(), &ref) != CacheErr::kOk) return;
  if (announce_ && d_.external().lookup(f) == kNilRef) d_.sync_local(ref);
}

bool KernelSync::on_events() {
  RuntimeCounters& rt = d_.runtime_mut();
  int budget = static_cast<int>(d_.config().event_iterations_limit);
  if (budget <= 0) budget = 1;
  auto fn = [this, &budget](const NlMsgHdr& h, std::span<const uint8_t> p) -> int {
    handle_event(h, p);
    return --budget > 0 ? int{nl::kCbOk} : int{nl::kCbStop};
  };
  while (budget > 0) {
    ssize_t n = recv(ev_.fd(), g_evbuf, sizeof g_evbuf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      if (errno == ENOBUFS) {
        grow_buffer();
        if (d_.config().netlink_overrun_resync > 0) resync_wanted_ = true;
        rt.catch_failed++;
        rt.nl_overrun++;
        return true;
      }
      rt.catch_failed++;
      return false;
    }
    if (n == 0) return false;
    nl::RecvState rs;  // events: any sequence number and port id
    nl::walk_datagram({g_evbuf, static_cast<size_t>(n)}, rs, fn);
  }
  return true;
}

void KernelSync::log_flow(const ct::Flow& f) {
  static char buf[1024];
  base::OutBuf line(-1, buf, sizeof buf);
  ct::PrintOpts o;
  ct::flow_print(line, f, o, ct::MsgKind::kList, base::wall_clock_ns());
  d_.log_flow_line(line.view());
}

void KernelSync::upsert(const ct::Flow& f, bool quiet) {
  uint32_t ref = kNilRef;
  if (d_.internal().upsert(f, Daemon::now(), &ref) == CacheErr::kOk && announce_ && !quiet)
    d_.sync_local(ref);
}

// DisableInternalCache: an event is only counted (upstream would send it
// to the peers at once), unless our own flush or deletes caused it (its
// sender port is our request socket's: upstream's origin check).
void KernelSync::count_bypass(const NlMsgHdr& h, bool destroy, bool exp) {
  if (h.pid != 0 && h.pid == req_.portid()) return;
  BypassCounters& b = d_.bypass_mut(exp);
  if (destroy) b.destroyed++;
  else if (h.flags & (uapi::kNlmFCreate | uapi::kNlmFExcl)) b.created++;
  else b.updated++;
}

// 1 if the kernel has a conntrack with `key`'s original tuple, 0 if not
// (ENOENT), -1 on any other error: upstream's nl_get_conntrack().
int KernelSync::conntrack_exists(const ct::Flow& key) {
  alignas(8) uint8_t buf[512];
  nl::MsgBuilder b(buf, sizeof buf);
  const uint32_t seq = dump_.next_seq();
  b.begin_nfmsg(uapi::kNfnlSubsysCtnetlink, uapi::kCtMsgGet, uapi::kNlmFRequest | uapi::kNlmFAck,
                seq, key.family);
  ct::put_tuple(b, key, ct::kDirOrig);
  if (!b.end_msg() || dump_.send(b.data()) < 0) return -1;
  nl::RecvState st;
  st.seq = seq;
  st.portid = dump_.portid();
  bool found = false;
  auto fn = [&found](const NlMsgHdr&, std::span<const uint8_t>) -> int {
    found = true;
    return nl::kCbOk;
  };
  alignas(8) static uint8_t rbuf[16384];
  int r = nl::recv_until_done(dump_, rbuf, sizeof rbuf, st, fn);
  if (found) return 1;
  return r == -ENOENT ? 0 : (r < 0 ? -1 : 1);
}

// DisableInternalCache with ExpectationSync: upstream's exp_event_handler()
// with internal_bypass.  Its master check asks the kernel for the master
// and keeps the event only when the kernel answers ENOENT (the bypass
// find() compares nl_get_conntrack()'s "not found" result): so new
// expectations are dropped and those destroyed after their master are
// counted.  We do the same, since that is what `-s expect` shows.
void KernelSync::handle_exp_bypass(const NlMsgHdr& h, std::span<const uint8_t> p) {
  RuntimeCounters& rt = d_.runtime_mut();
  rt.events_received++;
  static ct::Expect e;
  e.clear();
  if (!ct::expect_parse(p, e)) {
    rt.events_unknown++;
    return;
  }
  if (!exp_helper_accepted(d_.config(), e)) {
    rt.events_filtered++;
    return;
  }
  if (!exp_.master_sane(e)) return;
  static ct::Flow key;
  key.clear();
  ct::copy_tuple(e.tuples, ct::kExpMaster, key, ct::kDirOrig);
  key.family = e.tuples.tuple[ct::kExpMaster].l3;
  if (conntrack_exists(key) != 0) return;
  const ct::MsgKind kind = ct::expect_msg_kind(h);
  if (kind == ct::MsgKind::kList) {
    rt.events_unknown++;
    return;
  }
  count_bypass(h, kind == ct::MsgKind::kDestroy, true);
}

void KernelSync::handle_event(const NlMsgHdr& h, std::span<const uint8_t> p) {
  RuntimeCounters& rt = d_.runtime_mut();
  if ((h.type >> 8) == uapi::kNfnlSubsysCtnetlinkExp && d_.config().expect_sync &&
      !d_.stats_mode()) {
    if (d_.internal_bypass()) handle_exp_bypass(h, p);
    else exp_.handle_event(h, p);  // counts it itself
    return;
  }
  rt.events_received++;
  if (!is_ct_msg(h)) {
    rt.events_unknown++;
    return;
  }
  const uint8_t type = h.type & 0xff;
  ct::Flow& f = scratch_;
  f.clear();
  if ((type != uapi::kCtMsgNew && type != uapi::kCtMsgDelete) || !ct::flow_parse(p, f)) {
    rt.events_unknown++;
    return;
  }
  // With From Kernelspace the kernel has filtered; only the sanity check
  // runs here (upstream's ct_filter_conntrack(ct, 0)).
  const FilterConfig& fc = d_.config().filter;
  if (!filter_sane(f) || (!fc.from_kernelspace && !filter_check(fc, f))) {
    rt.events_filtered++;
    return;
  }
  // upstream's origin check: what our own injection caused is ignored;
  // what a commit caused is cached but not sent back to the peers.
  if (h.pid != 0 && h.pid == d_.inject_portid()) return;
  const bool quiet = h.pid != 0 && h.pid == d_.commit_portid();
  if (d_.internal_bypass()) {
    // Our own flush's events are neither counted nor sent (upstream's
    // bypass skips whatever it did not see come from elsewhere).
    if (h.pid != 0 && h.pid == req_.portid()) return;
    count_bypass(h, type == uapi::kCtMsgDelete, false);
    if (!quiet) d_.sync_bypass_event(f, type == uapi::kCtMsgDelete ? 2 : (h.flags & uapi::kNlmFCreate) ? 0 : 1);
    return;
  }
  const bool stats = d_.stats_mode();
  if (stats) f.set.clear(F::kTimeout);
  FlowCache& c = d_.internal();
  if (type == uapi::kCtMsgDelete) {
    uint32_t ref = c.lookup(f);
    if (ref == kNilRef) {
      c.count_del_not_found();
      return;
    }
    if (!stats) {
      // Kept (DEAD) until its DEL is sent, or acknowledged in FT-FW.
      c.mark_dead(ref);
      if (!quiet) d_.sync_local(ref);
      else c.erase(ref);
    } else {
      c.remove(ref);
      log_flow(f);
    }
    TrafficCounters& t = d_.traffic_mut();
    if (f.has(F::kOrigBytes)) t.bytes += f.bytes[0];
    if (f.has(F::kReplBytes)) t.bytes += f.bytes[1];
    if (f.has(F::kOrigPackets)) t.packets += f.packets[0];
    if (f.has(F::kReplPackets)) t.packets += f.packets[1];
    return;
  }
  if (h.flags & uapi::kNlmFCreate) {
    // NEW: stats mode keeps an existing entry; the sync internal cache
    // replaces it.
    uint32_t ref = c.lookup(f);
    if (ref != kNilRef) {
      if (stats) return;
      c.erase(ref);
    }
    uint32_t nref;
    if (c.add(f, Daemon::now(), &nref) == CacheErr::kOk && !quiet) d_.sync_local(nref);
    return;
  }
  upsert(f, quiet);  // UPDATE: update, or create if missing
}

}  // namespace ctd
