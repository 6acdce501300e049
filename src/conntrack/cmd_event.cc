// -E: print conntrack events as they happen, losing none if we can.
//
// Upstream reads one event per recvmsg into an 8 KiB buffer and flushes
// stdout after every line, and its socket keeps the default receive
// buffer: a burst overruns it within milliseconds.  Here the event socket
// gets a large buffer (SO_RCVBUFFORCE when root), up to kSlots events are
// taken per recvmmsg, parsed in place and formatted into the shared stdout
// buffer, and stdout is flushed once per batch -- still promptly, since a
// batch ends as soon as the socket has nothing more queued.  If events are
// lost anyway, the kernel's own drop counter for the socket says exactly
// how many.
#include <cerrno>
#include <csignal>
#include <cstring>
#include <sys/socket.h>

#include "base/clock.h"
#include "base/fd_stat.h"
#include "base/static_slot.h"
#include "conntrack/commands.h"
#include "conntrack/event_bpf.h"
#include "conntrack/portid_name.h"
#include "conntrack/process_output.h"
#include "ct/expect.h"
#include "ct/expect_parse.h"
#include "ct/expect_print.h"
#include "ct/filter.h"
#include "ct/flow_parse.h"
#include "ct/flow_print.h"
#include "ct_uapi.h"
#include "netlink/recv_loop.h"

namespace conntrack {
namespace {

using namespace uapi;

volatile sig_atomic_t g_stop = 0;
void on_stop_signal(int) { g_stop = 1; }

constexpr size_t kDefaultEventBuffer = 64u << 20;
constexpr unsigned kSlots = 64;
constexpr size_t kSlotSize = 8192;

struct EventState {
  Cli* cli;
  ct::Flow flow;
  ct::Expect exp;  // -E expect
  base::LineBuf<4096> line;
  unsigned shown = 0;
  unsigned malformed = 0;
  bool xml_started = false;
  unsigned long sock_inode = 0;
  long drops_reported = 0;
  // progname lookups read /proc/net/netlink (and maybe scan /proc): at most
  // one per port id per received batch, or a burst from one sender would
  // pay that for every event.  The view points into portid_progname()'s
  // own buffer, which only changes when it is called again.
  uint64_t batch = 0;
  uint64_t prog_batch = ~uint64_t{0};
  uint32_t prog_portid = 0;
  std::string_view prog;
};

ct::MsgKind event_kind(const NlMsgHdr& h) {
  if ((h.type & 0xff) == kCtMsgDelete) return ct::MsgKind::kDestroy;
  return (h.flags & kNlmFCreate) ? ct::MsgKind::kNew : ct::MsgKind::kUpdate;
}

// -E expect: upstream's event_exp_cb() -- no filters, no [USERSPACE].
void print_exp_event(EventState& st, const NlMsgHdr& h, std::span<const uint8_t> p) {
  uint8_t type = h.type & 0xff;
  if ((h.type >> 8) != kNfnlSubsysCtnetlinkExp || (type != kExpMsgNew && type != kExpMsgDelete)) return;
  if (!ct::expect_parse(p, st.exp)) {
    ++st.malformed;
    return;
  }
  const ct::PrintOpts& po = st.cli->print;
  if (po.format == ct::OutFormat::kXml && !st.xml_started) {
    out().put(ct::kExpectXmlHeader);
    st.xml_started = true;
  }
  ct::expect_print_line(out(), st.line, st.exp, po, ct::expect_msg_kind(h), base::wall_clock_ns());
  ++st.shown;
}

void print_event(EventState& st, const NlMsgHdr& h, std::span<const uint8_t> p) {
  if (st.cli->table == Table::kExpect) return print_exp_event(st, h, p);
  uint8_t type = h.type & 0xff;
  if ((h.type >> 8) != kNfnlSubsysCtnetlink || (type != kCtMsgNew && type != kCtMsgDelete)) return;
  if (!ct::flow_parse(p, st.flow)) {
    ++st.malformed;
    return;
  }
  const Cli& cli = *st.cli;
  if (!ct::filter_match_event(cli.filter, st.flow)) return;
  const ct::PrintOpts& po = cli.print;
  ct::MsgKind kind = event_kind(h);
  st.line.clear();
  uint64_t now = base::wall_clock_ns();
  if (po.format == ct::OutFormat::kXml && !st.xml_started) {
    out().put(ct::kXmlHeader);
    st.xml_started = true;
  }
  if (po.timestamp && po.format == ct::OutFormat::kText)
    ct::flow_print_event_prefix(st.line, st.flow, now);
  if (ct::flow_print(st.line, st.flow, po, kind, now) == ct::PrintResult::kUnsupportedL3) {
    base::LineBuf<64> warn;
    ct::flow_print_l3_warning(warn, ct::flow_save_l3(st.flow));
    base::write_all(2, warn.view().data(), warn.size());
  }
  // Changes made by a process carry its port id; 1.4.8 leaves the suffix
  // out of XML, where it would break the document.
  if (h.pid != 0 && po.format != ct::OutFormat::kXml && po.format != ct::OutFormat::kJson) {
    st.line.put(" [USERSPACE] portid=");
    st.line.put_u64(h.pid);
    if (h.pid != st.prog_portid || st.batch != st.prog_batch) {
      st.prog = portid_progname(h.pid);
      st.prog_portid = h.pid;
      st.prog_batch = st.batch;
    }
    std::string_view prog = st.prog;
    if (!prog.empty()) {
      st.line.put(" progname=");
      st.line.put(prog);
    }
  }
  out().put(st.line.view());
  out().put('\n');
  ++st.shown;
}

// Reports events the kernel could not queue for us since the last report.
void report_drops(EventState& st) {
  long drops = netlink_socket_drops(st.sock_inode);
  if (drops < 0 || drops <= st.drops_reported) return;
  long lost = drops - st.drops_reported;
  st.drops_reported = drops;
  if (st.cli->print.format == ct::OutFormat::kJson) {
    out().put("{\"type\":\"lost\",\"count\":");
    out().put_u64(static_cast<uint64_t>(lost));
    out().put("}\n");
  }
  out().flush();
  err_printf("%.*s v%.*s (conntrack-tools): WARNING: %ld events lost (%ld in total): the receive buffer overflowed\n",
             static_cast<int>(kProgName.size()), kProgName.data(),
             static_cast<int>(kProgVersion.size()), kProgVersion.data(), lost, drops);
}

[[noreturn]] void finish(EventState& st) {
  bool exp = st.cli->table == Table::kExpect;
  if (st.xml_started) out().put(exp ? ct::kExpectXmlFooter : ct::kXmlFooter);
  out().flush();
  report_drops(st);
  err_printf("%.*s v%.*s (conntrack-tools): %u %s events have been shown.\n",
             static_cast<int>(kProgName.size()), kProgName.data(),
             static_cast<int>(kProgVersion.size()), kProgVersion.data(), st.shown,
             exp ? "expectation" : "flow");
  exit_with(0);
}

uint8_t g_slots[kSlots][kSlotSize];

// The socket's inode (its row in /proc/net/netlink), 0 if unknown.
unsigned long fd_inode(int fd) {
  base::FdStat st;
  return base::fd_stat(fd, st) ? static_cast<unsigned long>(st.ino) : 0;
}

}  // namespace

int cmd_event(Session&, Cli& cli, unsigned&) {
  static EventState st;
  st.cli = &cli;
  uint32_t mask = (cli.options & kOptEventMask) ? cli.event_mask : (kEvNew | kEvUpdate | kEvDestroy);
  // In a slot: a plain static Socket's destructor would be registered with
  // atexit, which links musl's atexit table and calloc into the static build.
  static base::StaticSlot<nl::Socket> ev_slot;
  nl::Socket& ev = ev_slot.construct();
  // The legacy bind() group bitmask: NEW=1, UPDATE=2, DESTROY=4.
  // -E expect: EXP_NEW=8, EXP_UPDATE=0x10, EXP_DESTROY=0x20 (-e is illegal there).
  uint32_t groups = cli.table == Table::kExpect ? (mask & 7) << 3 : mask & 7;
  if (ev.open(groups) < 0) exit_error(kOtherProblem, "Can't open netlink socket");
  if (cli.options & kOptBufferSize) {
    int got = ev.set_rcvbuf(cli.buffer_size, true);
    err_printf("NOTICE: Netlink socket buffer size has been set to %d bytes.\n", got);
  } else {
    ev.set_rcvbuf(kDefaultEventBuffer, true);
  }
  cli_prepare_filter(cli);
  // Let the kernel drop what -f and -p exclude before it costs buffer
  // room; the full userspace filter still runs on what passes.
  if (cli.table != Table::kExpect) {
    const ct::Filter& f = cli.filter;
    int proto = f.cmp && f.tmpl.has(ct::F::kOrigL4) ? f.tmpl.orig().l4 : -1;
    attach_event_bpf(ev.fd(), f.family, proto);
  }
  st.sock_inode = fd_inode(ev.fd());

  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;  // no SA_RESTART: recvmmsg must return
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  static mmsghdr msgs[kSlots];
  static iovec iov[kSlots];
  auto fn = [&](const NlMsgHdr& h, std::span<const uint8_t> p) {
    print_event(st, h, p);
    return int{nl::kCbOk};
  };
  while (!g_stop) {
    for (unsigned i = 0; i < kSlots; ++i) {
      iov[i] = {g_slots[i], kSlotSize};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(ev.fd(), msgs, kSlots, MSG_WAITFORONE, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        out().flush();
        err_printf("WARNING: We have hit ENOBUFS! We are losing events.\n"
                   "This message means that the current netlink socket buffer size is too small.\n"
                   "Please, check --buffer-size in conntrack(8) manpage.\n");
        report_drops(st);
        continue;
      }
      out().flush();
      exit_error(kOtherProblem, "failed to received netlink event: %s", strerror(errno));
    }
    ++st.batch;
    for (int i = 0; i < n; ++i) {
      if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
        ++st.malformed;
        continue;
      }
      nl::RecvState rs;  // events: any sequence number, any port id
      nl::walk_datagram({g_slots[i], msgs[i].msg_len}, rs, fn);
    }
    out().flush();
  }
  finish(st);
}

}  // namespace conntrack
