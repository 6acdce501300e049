// KernelSync, its dump side: the populate, -R, background resyncs and
// polls, the purge sweep, and DisableInternalCache's bulk.
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
  if (async_.after_commit) {
    catch_up_after_commit(f);
    return;
  }
  upsert(f);
}

// Before a purging dump: every entry is unseen until the dump or an event
// touches it (both set it NEW or ALIVE).
void KernelSync::mark_unseen() {
  FlowCache& c = d_.internal();
  c.for_each([&c](uint32_t ref) { c.set_unseen(ref); });
}

// After it: what is still unseen is gone from the kernel (stats mode logs
// it as destroyed).
void KernelSync::sweep_unseen() {
  FlowCache& c = d_.internal();
  const bool stats = d_.stats_mode();
  ct::Flow& f = scratch_;
  c.for_each([&](uint32_t ref) {
    if (!c.unseen(ref) || c.header(ref).obj == ObjState::kDead) return;
    if (stats) {
      f.clear();
      c.to_flow(ref, &f);
      f.set.clear(F::kTimeout);
      log_flow(f);
      c.remove(ref);
      return;
    }
    c.mark_dead(ref);  // its DEL goes to the peers
    d_.sync_local(ref);
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

// DisableInternalCache's bulk (upstream's kernel_resync()): every entry of
// a fresh dump that passes the filter goes to the peers as NEW.
int KernelSync::dump_to_peers() {
  nl::RecvState st;
  int r = send_dump_request(dump_, st);
  if (r < 0) return r;
  auto fn = [this](const NlMsgHdr& h, std::span<const uint8_t> p) -> int {
    if (!is_ct_msg(h) || (h.type & 0xff) != uapi::kCtMsgNew) return nl::kCbOk;
    ct::Flow& f = scratch_;
    f.clear();
    if (ct::flow_parse(p, f) && filter_accepts(d_.config().filter, f)) d_.sync_bypass_event(f, 0);
    return nl::kCbOk;
  };
  r = nl::recv_dump_pipelined(dump_, st, fn);
  if (r < 0) d_.log(kLogErr, "can't dump kernel table");
  return r;
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
    async_.after_commit = false;
    if (async_.purge && !async_.failed && !async_.intr) {
      sweep_unseen();
    } else if (async_.purge && !poll_mode_ && d_.config().netlink_overrun_resync > 0) {
      // What the dump did not show may still be in the kernel (NLM_F_DUMP_INTR:
      // the table changed under it; or it failed), so nothing was purged:
      // another one, NetlinkOverrunResync s later, until one is whole.
      d_.log(kLogNotice, "resync with the kernel table %s, another one follows",
             async_.failed ? "failed" : "was interrupted");
      resync_wanted_ = true;
    }
    return;
  }
}
}  // namespace ctd
