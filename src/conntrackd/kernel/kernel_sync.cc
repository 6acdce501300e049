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

namespace ctd {

using ct::F;
using uapi::NlMsgHdr;

// ---- filter (upstream src/filter.c semantics) ------------------------------

bool filter_sane(const ct::Flow& f) {
  if (!f.has(F::kOrigL3)) return false;
  const uint8_t l3 = f.orig().l3;
  if (l3 == uapi::kAfInet || l3 == uapi::kAfInet6)
    return f.has(F::kOrigSrc) && f.has(F::kReplSrc);
  return true;
}

namespace {

bool prefix_match(const uint8_t* a, const uint8_t* b, unsigned bits) {
  unsigned full = bits / 8;
  if (full > 16) full = 16;
  if (std::memcmp(a, b, full) != 0) return false;
  unsigned rest = bits % 8;
  if (rest == 0 || full >= 16) return true;
  uint8_t m = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & m) == (b[full] & m);
}

bool in_state_set(uint16_t map, uint8_t state) { return state < 16 && ((map >> state) & 1); }

}  // namespace

bool filter_check(const FilterConfig& fc, const ct::Flow& f) {
  const uint8_t l4 = f.orig().l4;
  if (fc.proto_logic != FilterLogic::kUnset) {
    bool hit = fc.has_proto(l4);
    if (hit != (fc.proto_logic == FilterLogic::kAccept)) return false;
  }
  if (fc.addr_logic != FilterLogic::kUnset) {
    const bool accept = fc.addr_logic == FilterLogic::kAccept;
    const uint8_t l3 = f.orig().l3;
    if (l3 == uapi::kAfInet || l3 == uapi::kAfInet6) {
      const unsigned full = l3 == uapi::kAfInet ? 32 : 128;
      const uint8_t* src = f.orig().src.b;
      const uint8_t* rsrc = f.repl().src.b;
      // Networks first: any hit decides (Accept passes, Ignore drops).
      bool net_hit = false;
      for (unsigned i = 0; i < fc.naddrs && i < kMaxFilterAddrs; i++) {
        const FilterAddr& a = fc.addrs[i];
        if (a.family != l3 || a.prefix >= full) continue;
        if (prefix_match(a.addr, src, a.prefix) || prefix_match(a.addr, rsrc, a.prefix)) {
          net_hit = true;
          break;
        }
      }
      if (net_hit) {
        if (!accept) return false;
      } else {
        bool host_hit = false;
        const unsigned alen = full / 8;
        for (unsigned i = 0; i < fc.naddrs && i < kMaxFilterAddrs; i++) {
          const FilterAddr& a = fc.addrs[i];
          if (a.family != l3 || a.prefix < full) continue;
          if (std::memcmp(a.addr, src, alen) == 0 || std::memcmp(a.addr, rsrc, alen) == 0) {
            host_hit = true;
            break;
          }
        }
        if (host_hit != accept) return false;
      }
    }
  }
  if (fc.state_logic != FilterLogic::kUnset) {
    // Neutral unless a TCP entry carries its state.
    if (l4 == uapi::kIpprotoTcp && f.has(F::kTcpState)) {
      bool hit = in_state_set(fc.tcp_states, f.tcp_state);
      if (hit != (fc.state_logic == FilterLogic::kAccept)) return false;
    }
  }
  return true;
}

// ---- sockets ---------------------------------------------------------------

namespace {

constexpr size_t kEvBufSize = 65536;
alignas(8) uint8_t g_evbuf[kEvBufSize];
constexpr size_t kReqBufSize = 256 * 1024;
alignas(8) uint8_t g_reqbuf[kReqBufSize];
alignas(8) uint8_t g_ackbuf[16384];
constexpr size_t kDumpRcvbuf = 8u << 20;

int send_dump_request(nl::Socket& s, nl::RecvState& st, uint8_t family = 0) {
  alignas(8) uint8_t buf[256];
  nl::MsgBuilder b(buf, sizeof buf);
  uint32_t seq = s.next_seq();
  if (!ct::build_ct_dump(b, uapi::kCtMsgGet, family, seq, nullptr)) return -EMSGSIZE;
  st = nl::RecvState{};
  st.seq = seq;
  st.portid = s.portid();
  return s.send(b.data());
}

// Reads whatever answers (errors of unacknowledged deletes) are queued.
void drain_nonblocking(nl::Socket& s) {
  for (int i = 0; i < 1 << 20; i++) {
    ssize_t n = recv(s.fd(), g_ackbuf, sizeof g_ackbuf, MSG_DONTWAIT);
    if (n <= 0 && !(n < 0 && errno == ENOBUFS)) break;
  }
}

bool is_ct_msg(const NlMsgHdr& h) { return (h.type >> 8) == uapi::kNfnlSubsysCtnetlink; }

}  // namespace

int KernelSync::open() {
  const Config& c = d_.config();
  RuntimeCounters& rt = d_.runtime_mut();
  poll_mode_ = c.poll_secs > 0;
  int r = dump_.open(0);
  if (r < 0) {
    d_.log(kLogErr, "can't open netlink handler: %s", strerror(-r));
    d_.log(kLogErr, "no ctnetlink kernel support?");
    return -1;
  }
  dump_.set_rcvbuf(kDumpRcvbuf, true);
  // Optional: without it every dump is one AF_UNSPEC dump.
  if (dump6_.open(0) == 0) dump6_.set_rcvbuf(kDumpRcvbuf, true);
  // Background resyncs (overrun, polling) have their own pair, read
  // without blocking from the event loop; without them they run inline.
  for (nl::Socket& b : bg_) {
    if (b.open(0) < 0) break;
    b.set_rcvbuf(kDumpRcvbuf, true);
    fcntl(b.fd(), F_SETFL, O_NONBLOCK);
  }
  // DisableInternalCache: nothing to populate (upstream's internal_bypass
  // has no INTERNAL_F_POPULATE).
  const bool populate = !d_.internal_bypass();
  if (populate && resync(false) < 0) {
    d_.log(kLogErr, "can't get kernel conntrack table");
    return -1;
  }
  rt.resync_kernel = 0;  // the initial populate is not a resync
  // upstream ctnl_init(): the expectation table right after the conntrack
  // one, so that masters are cached before their expectations.
  if (populate && c.expect_sync && !d_.stats_mode() && exp_.dump(dump_) < 0) {
    d_.log(kLogErr, "can't get kernel expect table");
    return -1;
  }
  r = req_.open(0);
  if (r < 0) {
    d_.log(kLogErr, "cannot open flusher handler");
    return -1;
  }
  req_.set_rcvbuf(1u << 20, true);
  fcntl(req_.fd(), F_SETFL, O_NONBLOCK);
  if (poll_mode_) {
    d_.log(kLogNotice, "running in polling mode");
    return 0;
  }
  // The legacy group bitmask: NEW=1, UPDATE=2, DESTROY=4, and with
  // ExpectationSync (upstream: subsystem NONE) EXP_NEW=8, EXP_UPDATE=16,
  // EXP_DESTROY=32 on the same socket.
  r = ev_.open(c.expect_events && !d_.stats_mode() ? 0x3f : 7);
  if (r < 0) {
    d_.log(kLogErr, "can't open netlink handler: %s", strerror(-r));
    d_.log(kLogErr, "no ctnetlink kernel support?");
    return -1;
  }
  if (c.netlink_events_reliable) {
    ev_.set_opt(uapi::kNetlinkBroadcastError, 1);
    ev_.set_opt(uapi::kNetlinkNoEnobufs, 1);
    d_.log(kLogNotice, "reliable ctnetlink event delivery is ENABLED.");
  }
  if (c.filter.used) {
    // upstream nl_init_event_handler(): a program that does not attach is
    // logged and then ignored; events still skip the userspace check.
    if (c.filter.from_kernelspace) {
      r = filter_bpf_attach(ev_.fd(), c.filter);
      if (r < 0) d_.log(kLogErr, "cannot set event filtering: %s", strerror(-r));
      d_.log(kLogNotice, "using kernel-space event filtering");
    } else {
      d_.log(kLogNotice, "using user-space event filtering");
    }
  }
  fcntl(ev_.fd(), F_SETFL, O_NONBLOCK);
  if (c.netlink_buffer_size && c.netlink_buffer_size <= c.netlink_buffer_size_max_grown) {
    // The kernel doubles what it is given (net/core/sock.c).
    rt.buffer_size = static_cast<uint32_t>(ev_.set_rcvbuf(c.netlink_buffer_size / 2, true));
  } else {
    d_.log(kLogNotice,
           "NetlinkBufferSize is either not set or is greater than NetlinkBufferSizeMaxGrowth. "
           "Using current system buffer size");
    rt.buffer_size = static_cast<uint32_t>(ev_.rcvbuf());
  }
  d_.log(kLogNotice, "netlink event socket buffer size has been set to %u bytes", rt.buffer_size);
  return 0;
}

int KernelSync::detach_for_child() {
  ev_.close();
  dump6_.close();
  bg_[0].close();
  bg_[1].close();
  // The request socket is kept: the parent knows its port id and so
  // recognises the events our flush causes (upstream's flush origin).
  if (dump_.open(0) < 0) return -1;
  dump_.set_rcvbuf(kDumpRcvbuf, true);
  return 0;
}

void KernelSync::close() {
  ev_.close();
  dump_.close();
  dump6_.close();
  bg_[0].close();
  bg_[1].close();
  req_.close();
}

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

void KernelSync::upsert(const ct::Flow& f) {
  FlowCache& c = d_.internal();
  CacheCounters& k = d_.internal_counters_mut();
  const uint32_t now = Daemon::now();
  uint32_t ref = kNilRef;
  CacheErr e = c.insert(f, now, &ref);
  if (e == CacheErr::kExists) {
    if (c.update(ref, f, now) == CacheErr::kOk) k.updated++;
    else k.update_failed++;
    return;
  }
  if (e == CacheErr::kOk) {
    k.created++;
    return;
  }
  k.create_failed++;
  if (e == CacheErr::kNoSpace) k.no_space++;
  else if (e == CacheErr::kNoMemory) k.no_memory++;
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
  if (d_.internal_bypass()) {
    count_bypass(h, type == uapi::kCtMsgDelete, false);
    return;
  }
  const bool stats = d_.stats_mode();
  if (stats) f.set.clear(F::kTimeout);
  FlowCache& c = d_.internal();
  CacheCounters& k = d_.internal_counters_mut();
  if (type == uapi::kCtMsgDelete) {
    uint32_t ref = c.lookup(f);
    if (ref == kNilRef) {
      k.del_not_found++;
      return;
    }
    c.erase(ref);
    k.destroyed++;
    if (stats) log_flow(f);
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
    CacheErr e = c.insert(f, Daemon::now(), &nref);
    if (e == CacheErr::kOk) {
      k.created++;
    } else {
      k.create_failed++;
      if (e == CacheErr::kNoSpace) k.no_space++;
      else if (e == CacheErr::kNoMemory) k.no_memory++;
    }
    return;
  }
  upsert(f);  // UPDATE: update, or create if missing
}

// One message of a table dump: upsert the flow if it passes the filter.
void KernelSync::on_dump_msg(const NlMsgHdr& h, std::span<const uint8_t> p) {
  RuntimeCounters& rt = d_.runtime_mut();
  if (!is_ct_msg(h) || (h.type & 0xff) != uapi::kCtMsgNew) {
    rt.dump_unknown++;
    return;
  }
  ct::Flow& f = scratch_;
  f.clear();
  if (!ct::flow_parse(p, f)) {
    rt.dump_unknown++;
    return;
  }
  if (!filter_accepts(d_.config().filter, f)) return;
  if (d_.stats_mode()) f.set.clear(F::kTimeout);
  upsert(f);
}

// Before a purging dump: every entry is unseen until the dump or an event
// touches it (both set it NEW or ALIVE).
void KernelSync::mark_unseen() {
  FlowCache& c = d_.internal();
  c.for_each([&c](uint32_t ref) { c.set_state(ref, ObjState::kNone); });
}

// After it: what is still unseen is gone from the kernel (stats mode logs
// it as destroyed).
void KernelSync::sweep_unseen() {
  FlowCache& c = d_.internal();
  CacheCounters& k = d_.internal_counters_mut();
  const bool stats = d_.stats_mode();
  ct::Flow& f = scratch_;
  c.for_each([&](uint32_t ref) {
    if (c.header(ref).obj != ObjState::kNone) return;
    if (stats) {
      f.clear();
      c.to_flow(ref, &f);
      f.set.clear(F::kTimeout);
      log_flow(f);
    }
    c.erase(ref);
    k.destroyed++;
  });
}

// The IPv4 and IPv6 halves of the table are dumped in parallel when a
// second socket is open: most of a dump's time is the kernel filling
// messages, and two dumps fill them on two cores.  Sends the requests:
// both halves (s1 open), else one AF_UNSPEC dump on s0.  Returns how many
// dumps run, or -errno if none; *v6_after when the IPv6 half could not be
// requested and must follow on s0.
int KernelSync::request_halves(nl::Socket& s0, nl::Socket& s1, nl::RecvState* st,
                               bool* v6_after) {
  *v6_after = false;
  const bool split = s1.fd() >= 0;
  int r = send_dump_request(s0, st[0], split ? uapi::kAfInet : 0);
  if (r < 0) return r;
  if (!split) return 1;
  if (send_dump_request(s1, st[1], uapi::kAfInet6) == 0) return 2;
  *v6_after = true;
  return 1;
}

int KernelSync::resync(bool purge) {
  d_.runtime_mut().resync_kernel++;
  if (purge) mark_unseen();
  nl::Socket* socks[2] = {&dump_, &dump6_};
  nl::RecvState sts[2];
  bool v6_after;
  int r = request_halves(dump_, dump6_, sts, &v6_after);
  if (r < 0) return r;
  const unsigned ndumps = static_cast<unsigned>(r);
  auto fn = [this](const NlMsgHdr& h, std::span<const uint8_t> p) -> int {
    on_dump_msg(h, p);
    return nl::kCbOk;
  };
  r = nl::recv_dumps_pipelined(socks, sts, ndumps, fn);
  if (r == 0 && v6_after) {
    r = send_dump_request(dump_, sts[1], uapi::kAfInet6);
    if (r == 0) r = nl::recv_dump_pipelined(dump_, sts[1], fn);
  }
  if (r < 0) return r;
  if (purge && !sts[0].dump_intr && !sts[1].dump_intr) sweep_unseen();
  return 0;
}

// ---- resync in the background (overrun, polling) ----------------------------

int KernelSync::start_async_resync(bool purge, bool count) {
  if (async_.running) return 0;  // the one under way will do
  if (bg_[0].fd() < 0) {
    int r = resync(purge);
    if (!count) d_.runtime_mut().resync_kernel--;
    return r;
  }
  if (count) d_.runtime_mut().resync_kernel++;
  if (purge) mark_unseen();
  async_ = AsyncResync{};
  async_.purge = purge;
  int r = request_halves(bg_[0], bg_[1], async_.st, &async_.v6_after);
  if (r < 0) return r;
  async_.running = true;
  async_.pending = static_cast<unsigned>(r);
  async_.active[0] = true;
  async_.active[1] = r == 2;
  return 0;
}

void KernelSync::on_async_readable(unsigned i) {
  if (i > 1 || !async_.running || !async_.active[i]) {
    // Nothing expected here: read and drop whatever it is.
    if (i <= 1) (void)recv(bg_[i].fd(), g_evbuf, sizeof g_evbuf, MSG_DONTWAIT);
    return;
  }
  auto fn = [this](const NlMsgHdr& h, std::span<const uint8_t> p) -> int {
    on_dump_msg(h, p);
    return nl::kCbOk;
  };
  // A few datagrams per wake-up: events and clients are served in between.
  for (int k = 0; k < kAsyncDatagramsPerWakeup; k++) {
    ssize_t n = recv(bg_[i].fd(), g_evbuf, sizeof g_evbuf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    int w = n <= 0 ? (n < 0 ? -errno : -EPIPE)
                   : nl::walk_datagram({g_evbuf, static_cast<size_t>(n)}, async_.st[i], fn);
    if (w > 0) continue;
    if (w < 0) async_.failed = true;
    if (async_.st[i].dump_intr) async_.intr = true;
    async_.active[i] = false;
    if (--async_.pending > 0) return;
    if (async_.v6_after && !async_.failed) {
      // The IPv6 half could not start in parallel: run it now on socket 0.
      async_.v6_after = false;
      if (send_dump_request(bg_[0], async_.st[0], uapi::kAfInet6) == 0) {
        async_.pending = 1;
        async_.active[0] = true;
        return;
      }
      async_.failed = true;
    }
    async_.running = false;
    if (async_.purge && !async_.failed && !async_.intr) sweep_unseen();
    return;
  }
}

int KernelSync::flush_kernel() {
  const FilterConfig& fc = d_.config().filter;
  if (!fc.used) {
    // Nothing is filtered: one flush request does what a dump plus one
    // delete per entry would.
    nl::MsgBuilder b(g_reqbuf, kReqBufSize);
    b.begin_nfmsg(uapi::kNfnlSubsysCtnetlink, uapi::kCtMsgDelete,
                  uapi::kNlmFRequest | uapi::kNlmFAck, req_.next_seq(), 0);
    b.end_msg();
    int r = req_.send(b.data());
    drain_nonblocking(req_);
    return r;
  }
  nl::MsgBuilder b(g_reqbuf, kReqBufSize);
  int err = 0;
  auto send_batch = [&]() {
    if (b.size() > 0) {
      int r = req_.send(b.data());
      if (r < 0 && err == 0) err = r;
      drain_nonblocking(req_);
    }
    b.reset();
  };
  nl::RecvState st;
  int r = send_dump_request(dump_, st);
  if (r < 0) return r;
  auto fn = [&](const NlMsgHdr& h, std::span<const uint8_t> p) -> int {
    if (!is_ct_msg(h) || (h.type & 0xff) != uapi::kCtMsgNew) return nl::kCbOk;
    ct::Flow& f = scratch_;
    f.clear();
    if (!ct::flow_parse(p, f) || !filter_accepts(fc, f)) return nl::kCbOk;
    for (int attempt = 0; attempt < 2; attempt++) {
      b.begin_nfmsg(uapi::kNfnlSubsysCtnetlink, uapi::kCtMsgDelete, uapi::kNlmFRequest,
                    req_.next_seq(), f.orig().l3);
      ct::put_tuple(b, f, ct::kDirOrig);
      if (f.has(F::kZone)) b.put_u16_be(uapi::CTA_ZONE, f.zone);
      if (b.end_msg()) break;
      b.cancel_msg();
      send_batch();
    }
    if (b.room() < 1024) send_batch();
    return nl::kCbOk;
  };
  r = nl::recv_dump_pipelined(dump_, st, fn);
  send_batch();
  return r < 0 ? r : err;
}

}  // namespace ctd
