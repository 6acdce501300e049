// ct_rawdump: the floor for `conntrack -L`.  One CT_GET dump of the whole
// table (AF_UNSPEC, as `conntrack -L` asks), through our socket and receive
// loop, counting messages and bytes: no parsing, no formatting, no output
// per entry.  Prints one summary line to stdout:
//   entries=N bytes=B datagrams=D seconds=S
// Run inside the namespace to measure: `ip netns exec NS ct_rawdump`.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "ct_uapi.h"
#include "netlink/msg_builder.h"
#include "netlink/recv_loop.h"
#include "netlink/socket.h"
#include "nl_uapi.h"

namespace {

double now_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Count {
  uint64_t entries = 0;
  uint64_t bytes = 0;
};

void usage() {
  std::fprintf(stderr,
               "usage: ct_rawdump [-b RECV_BYTES] [-r SO_RCVBUF] [-f 4|6|0]\n"
               "  dumps the conntrack table of the current namespace and counts it;\n"
               "  defaults: -b 65536 (one recvmsg buffer), -r 0 (kernel default), -f 0\n");
}

}  // namespace

int main(int argc, char** argv) {
  size_t cap = 64 * 1024;
  size_t rcvbuf = 0;
  uint8_t family = uapi::kAfUnspec;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "-h") == 0 || a + 1 >= argc) {
      usage();
      return std::strcmp(argv[a], "-h") == 0 ? 0 : 2;
    }
    char* e = nullptr;
    unsigned long v = std::strtoul(argv[a + 1], &e, 0);
    if (!e || *e) {
      usage();
      return 2;
    }
    if (std::strcmp(argv[a], "-b") == 0) cap = v;
    else if (std::strcmp(argv[a], "-r") == 0) rcvbuf = v;
    else if (std::strcmp(argv[a], "-f") == 0)
      family = v == 4 ? uapi::kAfInet : v == 6 ? uapi::kAfInet6 : uapi::kAfUnspec;
    else {
      usage();
      return 2;
    }
    ++a;
  }
  if (cap < 4096 || cap > (16u << 20)) {
    std::fprintf(stderr, "ct_rawdump: -b must be 4096..16M\n");
    return 2;
  }

  double t0 = now_s();
  nl::Socket s;
  int r = s.open();
  if (r < 0) {
    std::fprintf(stderr, "ct_rawdump: socket: %s\n", std::strerror(-r));
    return 1;
  }
  if (rcvbuf) s.set_rcvbuf(rcvbuf, true);
  uint8_t* buf = static_cast<uint8_t*>(std::malloc(cap));
  if (!buf) return 1;

  nl::MsgBuilder b(buf, cap);
  uint32_t seq = s.next_seq();
  if (!b.begin_nfmsg(uapi::kNfnlSubsysCtnetlink, uapi::kCtMsgGet,
                     uapi::kNlmFRequest | uapi::kNlmFDump, seq, family) ||
      !b.end_msg()) {
    return 1;
  }
  r = s.send(b.data());
  if (r < 0) {
    std::fprintf(stderr, "ct_rawdump: sendmsg: %s\n", std::strerror(-r));
    return 1;
  }

  Count c;
  uint64_t datagrams = 0;
  nl::RecvState st;
  st.seq = seq;
  st.portid = s.portid();
  auto on_msg = [&c](const uapi::NlMsgHdr& h, std::span<const uint8_t>) -> int {
    ++c.entries;
    c.bytes += h.len;
    return nl::kCbOk;
  };
  // The receive loop, unrolled here only to count datagrams; it ends at
  // NLMSG_DONE, an error, or a receive error (and a datagram cap).
  for (uint64_t k = 0; k < (uint64_t{1} << 32); ++k) {
    ssize_t n = s.recv(buf, cap);
    if (n < 0) {
      r = static_cast<int>(n);
      break;
    }
    ++datagrams;
    r = nl::walk_datagram({buf, static_cast<size_t>(n)}, st, on_msg);
    if (r <= 0) break;
  }
  double dt = now_s() - t0;
  if (r < 0) {
    std::fprintf(stderr, "ct_rawdump: dump: %s\n", std::strerror(-r));
    return 1;
  }
  if (st.dump_intr)
    std::fprintf(stderr, "ct_rawdump: NLM_F_DUMP_INTR: the table changed during the dump\n");
  std::printf("entries=%llu bytes=%llu datagrams=%llu seconds=%.6f\n",
              static_cast<unsigned long long>(c.entries),
              static_cast<unsigned long long>(c.bytes),
              static_cast<unsigned long long>(datagrams), dt);
  std::free(buf);
  return 0;
}
