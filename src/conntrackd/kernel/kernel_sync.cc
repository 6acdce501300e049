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

// ---- sockets ---------------------------------------------------------------


alignas(8) uint8_t g_evbuf[kEvBufSize];
alignas(8) uint8_t g_reqbuf[kReqBufSize];
alignas(8) uint8_t g_ackbuf[16384];

int send_dump_request(nl::Socket& s, nl::RecvState& st, uint8_t family) {
  alignas(8) uint8_t buf[256];
  nl::MsgBuilder b(buf, sizeof buf);
  uint32_t seq = s.next_seq();
  if (!ct::build_ct_dump(b, uapi::kCtMsgGet, family, seq, nullptr)) return -EMSGSIZE;
  st = nl::RecvState{};
  st.seq = seq;
  st.portid = s.portid();
  return s.send(b.data());
}

void drain_nonblocking(nl::Socket& s) {
  for (int i = 0; i < 1 << 20; i++) {
    ssize_t n = recv(s.fd(), g_ackbuf, sizeof g_ackbuf, MSG_DONTWAIT);
    if (n <= 0 && !(n < 0 && errno == ENOBUFS)) break;
  }
}



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
  announce_ = false;  // upstream's populate sends nothing
  const int pr = populate ? resync(false) : 0;
  announce_ = true;
  if (pr < 0) {
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

}  // namespace ctd
