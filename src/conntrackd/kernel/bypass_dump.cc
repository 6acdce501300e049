// Kernel-table dumps for DisableInternalCache; see bypass_dump.h.
#include "conntrackd/kernel/bypass_dump.h"

#include <cerrno>
#include <sys/socket.h>

#include "base/clock.h"
#include "base/out_buf.h"
#include "conntrackd/daemon.h"
#include "conntrackd/kernel/kernel_expect.h"
#include "conntrackd/kernel/kernel_sync.h"
#include "ct/dump_request.h"
#include "ct/expect_build.h"
#include "ct/expect_parse.h"
#include "ct/flow_parse.h"
#include "ct/flow_print.h"
#include "ct_uapi.h"
#include "netlink/msg_builder.h"
#include "netlink/recv_loop.h"
#include "netlink/socket.h"

namespace ctd {
namespace {

constexpr size_t kLineMax = 1023;  // upstream formats into 1024 bytes

alignas(8) uint8_t g_rbuf[65536];

// Sends the dump request built by `build` and walks the answer.
template <class Build, class Fn>
void run_dump(Daemon& d, Build&& build, Fn& fn) {
  nl::Socket s;
  if (s.open(0) < 0) {
    d.log(kLogErr, "can't allocate memory for the internal cache");
    return;
  }
  alignas(8) uint8_t req[256];
  nl::MsgBuilder b(req, sizeof req);
  nl::RecvState st;
  st.seq = s.next_seq();
  st.portid = s.portid();
  if (!build(b, st.seq) || s.send(b.data()) < 0 ||
      nl::recv_until_done(s, g_rbuf, sizeof g_rbuf, st, fn) < 0)
    d.log(kLogErr, "can't dump kernel table");
}

}  // namespace

void bypass_dump_ct(int fd, Daemon& d) {
  static char storage[1 << 16];
  base::OutBuf out(fd, storage, sizeof storage);
  static ct::Flow f;
  const FilterConfig& fc = d.config().filter;
  const uint64_t now_ns = base::wall_clock_ns();
  auto fn = [&](const uapi::NlMsgHdr&, std::span<const uint8_t> p) -> int {
    f.clear();
    if (!ct::flow_parse(p, f) || !filter_accepts(fc, f)) return nl::kCbOk;
    base::LineBuf<kLineMax + 1> line;
    ct::PrintOpts o;
    ct::flow_print(line, f, o, ct::MsgKind::kList, now_ns);
    std::string_view v = line.view();
    out.put(v.substr(0, kLineMax));
    if (v.size() < kLineMax) out.put('\n');
    return out.failed() ? nl::kCbStop : nl::kCbOk;
  };
  run_dump(d, [](nl::MsgBuilder& b, uint32_t seq) {
    return ct::build_ct_dump(b, uapi::kCtMsgGet, 0, seq, nullptr);
  }, fn);
  out.flush();
}

void bypass_dump_exp(int fd, Daemon& d) {
  (void)fd;  // nothing passes; see the header
  static ct::Expect e;
  auto fn = [&](const uapi::NlMsgHdr&, std::span<const uint8_t> p) -> int {
    e.clear();
    if (!ct::expect_parse(p, e) || !exp_helper_accepted(d.config(), e)) return nl::kCbOk;
    // upstream ct_filter_sanity_check() on the master conntrack.
    const ct::Tuple& m = e.tuples.tuple[ct::kExpMaster];
    if (!e.tuples.has(ct::F::kMasterL3)) d.log(kLogErr, "missing layer 3 protocol");
    else if (m.l3 == uapi::kAfInet)
      d.log(kLogErr, "missing IPv4 address. You forgot to load nf_conntrack_ipv4?");
    else if (m.l3 == uapi::kAfInet6)
      d.log(kLogErr, "missing IPv6 address. You forgot to load nf_conntrack_ipv6?");
    return nl::kCbOk;
  };
  run_dump(d, [](nl::MsgBuilder& b, uint32_t seq) {
    return ct::build_exp_dump(b, seq, uapi::kAfUnspec);
  }, fn);
}

}  // namespace ctd
