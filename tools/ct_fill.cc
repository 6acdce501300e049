// ct_fill: fills the current network namespace's conntrack table with N
// entries, fast.  A load generator for benchmarks; run it inside a private
// namespace (`ip netns exec NS ct_fill -n 100000`), never on a host table.
//
// Many CT_NEW requests go in one sendmsg (up to -b bytes).  Only the last
// request of a batch asks for an ack; the kernel handles a datagram's
// requests synchronously inside sendmsg and reports any failure on its own,
// so after each send the socket is drained without blocking: every error
// is counted by errno, and the batch's final ack proves it was processed.
//
// The mix, by entry index i (start .. start+n-1), every tuple unique:
//   i % 2 == 0: TCP, ESTABLISHED (as `conntrack -I --state ESTABLISHED`),
//               dport from {80, 443, 22, 80, 8080, 25, 80, 3306}
//               (3 in 8 TCP entries have dport 80);
//   i % 2 == 1: UDP, dport from {53, 123, 443, 5353, 4500, 51820};
//   i % 8 == 7 or i % 8 == 6: IPv6 (one entry in four), otherwise IPv4.
// Original source address is unique per i (10.0.0.0/8 + i, or
// fd00::/96 + i); destinations 172.16.0.0/16 and fd00:1::/64 are never
// used as sources, so reply tuples never collide with original ones.
//
// -j J forks J senders, each with its own socket, over interleaved slices
// of the index range.
//
// -r R paces the creation at about R entries per second in total (each of
// the J senders sleeps before a batch that would run ahead of R/J per
// second); 0, the default, means as fast as possible.  Use a smaller -b
// for smoother pacing (a batch is sent at once).
//
// -m MARK changes the entries START..START+N-1 instead of creating them:
// a CT_NEW without NLM_F_CREATE on an existing tuple sets its mark (and
// timeout), which the kernel reports as an update event; `conntrack -U`
// cannot stand in, its status change is refused here (EOPNOTSUPP).
// -d destroys them (CT_DELETE by original tuple).  Both keep the pacing,
// so a benchmark sees one event per entry rather than a netlink overrun.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ct/flow.h"
#include "ct/flow_build.h"
#include "ct_uapi.h"
#include "netlink/msg_builder.h"
#include "netlink/socket.h"
#include "nl_uapi.h"

namespace {

using ct::F;

constexpr size_t kMaxMsg = 512;          // a v6 TCP create is ~230 bytes
constexpr size_t kMaxErrno = 256;

struct Options {
  uint64_t n = 100000;
  uint64_t start = 0;
  uint32_t timeout = 3600;
  size_t batch_bytes = 128 * 1024;
  unsigned jobs = 1;
  uint64_t rate = 0;  // entries per second in total, 0 = unlimited
  bool quiet = false;
  enum class Op : uint8_t { kCreate, kMark, kDelete } op = Op::kCreate;
  uint32_t mark = 0;
};

struct Counts {
  uint64_t sent = 0;       // requests sent
  uint64_t errors = 0;     // NLMSG_ERROR with error != 0
  uint64_t batches = 0;
  uint64_t lost_acks = 0;  // batches whose final ack never arrived
  uint64_t by_errno[kMaxErrno] = {};
};

double now_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void put_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// Fills the tuple fields of `f` for entry `i`; presence bits are set once
// by init_template().
void make_entry(ct::Flow& f, uint64_t i) {
  static constexpr uint16_t kTcpPorts[8] = {80, 443, 22, 80, 8080, 25, 80, 3306};
  static constexpr uint16_t kUdpPorts[6] = {53, 123, 443, 5353, 4500, 51820};
  bool tcp = (i & 1) == 0;
  bool v6 = (i & 7) >= 6;
  uint32_t id = static_cast<uint32_t>(i);
  ct::Tuple& o = f.tuple[ct::kDirOrig];
  ct::Tuple& r = f.tuple[ct::kDirRepl];
  o.src = ct::Addr{};
  o.dst = ct::Addr{};
  if (v6) {
    o.src.b[0] = 0xfd;
    put_be32(o.src.b + 12, id);
    o.dst.b[0] = 0xfd;
    o.dst.b[3] = 0x01;
    put_be32(o.dst.b + 12, 1 + id % 4093);
  } else {
    put_be32(o.src.b, 0x0a000000u + id);             // 10.0.0.0 + i
    put_be32(o.dst.b, 0xac100001u + id % 4093);      // 172.16.0.1 + ...
  }
  o.l3 = r.l3 = v6 ? uapi::kAfInet6 : uapi::kAfInet;
  o.l4 = r.l4 = tcp ? uapi::kIpprotoTcp : uapi::kIpprotoUdp;
  o.sport = static_cast<uint16_t>(1024 + (i >> 3) % 64000);
  o.dport = tcp ? kTcpPorts[(i >> 1) & 7] : kUdpPorts[(i >> 1) % 6];
  r.src = o.dst;
  r.dst = o.src;
  r.sport = o.dport;
  r.dport = o.sport;
  f.family = o.l3;
  if (tcp) {
    f.set.set(F::kTcpState);
    f.set.set(F::kTcpFlagsOrig);
    f.set.set(F::kTcpFlagsRepl);
  } else {
    f.set.clear(F::kTcpState);
    f.set.clear(F::kTcpFlagsOrig);
    f.set.clear(F::kTcpFlagsRepl);
  }
}

void init_template(ct::Flow& f, uint32_t timeout, const Options& o) {
  f.clear();
  static constexpr F kFields[] = {
      F::kOrigL3, F::kOrigSrc, F::kOrigDst, F::kOrigL4, F::kOrigPortSrc, F::kOrigPortDst,
      F::kReplL3, F::kReplSrc, F::kReplDst, F::kReplL4, F::kReplPortSrc, F::kReplPortDst,
      F::kTimeout};
  for (F x : kFields) f.set.set(x);
  f.timeout = timeout;
  f.tcp_state = uapi::kTcpEstablished;
  // What `conntrack -I ... --state ESTABLISHED` sends: SACK_PERM and
  // BE_LIBERAL in both directions.
  f.tcp_flags[0] = f.tcp_flags[1] = uapi::kTcpFlagSackPerm | uapi::kTcpFlagBeLiberal;
  f.tcp_mask[0] = f.tcp_mask[1] = uapi::kTcpFlagSackPerm | uapi::kTcpFlagBeLiberal;
  if (o.op == Options::Op::kMark) {
    f.set.set(F::kMark);
    f.mark = o.mark;
  }
}

// The protocol state goes with a create only: an update changes the mark
// and timeout alone, a delete needs the tuple alone.
void strip_for_op(ct::Flow& f, const Options& o) {
  if (o.op == Options::Op::kCreate) return;
  f.set.clear(F::kTcpState);
  f.set.clear(F::kTcpFlagsOrig);
  f.set.clear(F::kTcpFlagsRepl);
  if (o.op == Options::Op::kDelete) f.set.clear(F::kTimeout);
}

bool build_op(nl::MsgBuilder& b, const ct::Flow& f, const Options& o, uint32_t seq) {
  switch (o.op) {
    case Options::Op::kCreate:
      return ct::build_ct_new(b, f, uapi::kNlmFCreate | uapi::kNlmFExcl, seq);
    case Options::Op::kMark:
      return ct::build_ct_new(b, f, 0, seq);
    case Options::Op::kDelete:
      return ct::build_ct_delete(b, f, 0, seq);
  }
  return false;
}

// Reads every queued reply without blocking.  Returns true when the ack of
// `last_seq` was among them.
bool drain(nl::Socket& s, uint8_t* rbuf, size_t cap, uint32_t last_seq, uint64_t max_msgs,
           Counts& c) {
  bool got_last = false;
  // Bounded: at most one reply per request plus the final ack, plus slack.
  for (uint64_t k = 0; k < max_msgs + 16; ++k) {
    ssize_t n = s.recv(rbuf, cap);
    if (n == -EAGAIN || n == -EWOULDBLOCK) break;
    if (n < 0) {
      // ENOBUFS: replies were dropped; counted as lost acks below.
      ++c.by_errno[static_cast<size_t>(-n) < kMaxErrno ? -n : 0];
      ++c.errors;
      continue;
    }
    size_t off = 0;
    while (off + sizeof(uapi::NlMsgHdr) <= static_cast<size_t>(n)) {
      uapi::NlMsgHdr h;
      std::memcpy(&h, rbuf + off, sizeof h);
      if (h.len < sizeof h || off + h.len > static_cast<size_t>(n)) break;
      if (h.type == uapi::kNlmsgError && h.len >= uapi::kNlHdrLen + sizeof(int32_t)) {
        int32_t err;
        std::memcpy(&err, rbuf + off + uapi::kNlHdrLen, sizeof err);
        if (err != 0) {
          ++c.errors;
          unsigned e = static_cast<unsigned>(err < 0 ? -err : err);
          ++c.by_errno[e < kMaxErrno ? e : 0];
        }
        if (h.seq == last_seq) got_last = true;
      }
      off += uapi::nl_align(h.len);
    }
  }
  return got_last;
}

int run_slice(const Options& o, unsigned job, Counts& c) {
  nl::Socket s;
  int r = s.open();
  if (r < 0) {
    std::fprintf(stderr, "ct_fill: socket: %s\n", std::strerror(-r));
    return 1;
  }
  // Failure replies echo only the header; room for a full batch of them.
  s.set_opt(uapi::kNetlinkCapAck, 1);
  s.set_rcvbuf(8u << 20, true);
  int snd = static_cast<int>(o.batch_bytes + 64 * 1024);
  if (setsockopt(s.fd(), SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof snd) < 0)
    setsockopt(s.fd(), SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
  int fl = fcntl(s.fd(), F_GETFL);
  if (fl < 0 || fcntl(s.fd(), F_SETFL, fl | O_NONBLOCK) < 0) {
    std::fprintf(stderr, "ct_fill: fcntl: %s\n", std::strerror(errno));
    return 1;
  }
  s.set_seq(job * 0x10000000u);

  uint8_t* buf = static_cast<uint8_t*>(std::malloc(o.batch_bytes));
  constexpr size_t kRecvCap = 64 * 1024;
  uint8_t* rbuf = static_cast<uint8_t*>(std::malloc(kRecvCap));
  if (!buf || !rbuf) {
    std::fprintf(stderr, "ct_fill: out of memory\n");
    return 1;
  }
  ct::Flow f;
  init_template(f, o.timeout, o);
  nl::MsgBuilder b(buf, o.batch_bytes);

  uint64_t i = o.start + job;
  const uint64_t end = o.start + o.n;
  const double job_rate = o.rate ? static_cast<double>(o.rate) / o.jobs : 0.0;
  const double t_start = now_s();
  while (i < end) {
    if (job_rate > 0) {
      // Sleep until the entries sent so far are due at the requested rate.
      double ahead = static_cast<double>(c.sent) / job_rate - (now_s() - t_start);
      if (ahead > 0) {
        timespec ts;
        ts.tv_sec = static_cast<time_t>(ahead);
        ts.tv_nsec = static_cast<long>((ahead - static_cast<double>(ts.tv_sec)) * 1e9);
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
        }
      }
    }
    b.reset();
    size_t last_off = 0;
    uint32_t seq = 0;
    uint64_t in_batch = 0;
    while (i < end && b.room() >= kMaxMsg) {
      make_entry(f, i);
      strip_for_op(f, o);
      last_off = b.size();
      seq = s.next_seq();
      if (!build_op(b, f, o, seq)) {
        std::fprintf(stderr, "ct_fill: message does not fit (bug)\n");
        return 1;
      }
      ++in_batch;
      i += o.jobs;
    }
    // Ask for an ack on the batch's last request only.
    uapi::NlMsgHdr h;
    std::memcpy(&h, buf + last_off, sizeof h);
    h.flags |= uapi::kNlmFAck;
    std::memcpy(buf + last_off, &h, sizeof h);
    r = s.send(b.data());
    if (r < 0) {
      std::fprintf(stderr, "ct_fill: sendmsg (%zu bytes): %s\n", b.size(), std::strerror(-r));
      return 1;
    }
    c.sent += in_batch;
    ++c.batches;
    if (!drain(s, rbuf, kRecvCap, seq, in_batch, c)) ++c.lost_acks;
  }
  std::free(buf);
  std::free(rbuf);
  return 0;
}

bool parse_u64(const char* s, uint64_t& v) {
  char* e = nullptr;
  errno = 0;
  unsigned long long x = std::strtoull(s, &e, 0);
  if (errno || !e || *e || e == s) return false;
  v = x;
  return true;
}

void usage() {
  std::fprintf(stderr,
               "usage: ct_fill [-n N] [-s START] [-t TIMEOUT] [-b BATCH_BYTES] [-j JOBS] [-r RATE]\n"
               "               [-m MARK | -d] [-q]\n"
               "  creates N conntrack entries (indices START..START+N-1) in the current\n"
               "  network namespace, at about RATE entries/s if given; with -m sets\n"
               "  their mark (and timeout) instead, with -d deletes them;\n"
               "  defaults -n 100000 -s 0 -t 3600 -b 131072 -j 1 -r 0 (unlimited)\n");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int a = 1; a < argc; ++a) {
    const char* k = argv[a];
    uint64_t v = 0;
    if (std::strcmp(k, "-q") == 0) {
      o.quiet = true;
      continue;
    }
    if (std::strcmp(k, "-d") == 0) {
      o.op = Options::Op::kDelete;
      continue;
    }
    if (std::strcmp(k, "-h") == 0 || std::strcmp(k, "--help") == 0) {
      usage();
      return 0;
    }
    if (a + 1 >= argc || !parse_u64(argv[a + 1], v)) {
      usage();
      return 2;
    }
    ++a;
    if (std::strcmp(k, "-n") == 0) o.n = v;
    else if (std::strcmp(k, "-s") == 0) o.start = v;
    else if (std::strcmp(k, "-t") == 0) o.timeout = static_cast<uint32_t>(v);
    else if (std::strcmp(k, "-b") == 0) o.batch_bytes = v;
    else if (std::strcmp(k, "-j") == 0) o.jobs = static_cast<unsigned>(v);
    else if (std::strcmp(k, "-r") == 0) o.rate = v;
    else if (std::strcmp(k, "-m") == 0) {
      o.op = Options::Op::kMark;
      o.mark = static_cast<uint32_t>(v);
    }
    else {
      usage();
      return 2;
    }
  }
  if (o.start + o.n > (1ull << 24) || o.batch_bytes < kMaxMsg || o.batch_bytes > (64u << 20) ||
      o.jobs < 1 || o.jobs > 64) {
    std::fprintf(stderr, "ct_fill: need START+N <= 16777216, 512 <= -b <= 64M, 1 <= -j <= 64\n");
    return 2;
  }

  double t0 = now_s();
  Counts total;
  int rc = 0;
  if (o.jobs == 1) {
    rc = run_slice(o, 0, total);
  } else {
    // Each child reports its counts through a pipe.
    int fds[2];
    if (pipe(fds) < 0) {
      std::perror("ct_fill: pipe");
      return 1;
    }
    pid_t pids[64];
    unsigned started = 0;
    for (unsigned j = 0; j < o.jobs; ++j) {
      pid_t p = fork();
      if (p < 0) {
        std::perror("ct_fill: fork");
        rc = 1;
        break;
      }
      if (p == 0) {
        close(fds[0]);
        Counts c;
        int r = run_slice(o, j, c);
        ssize_t w = write(fds[1], &c, sizeof c);
        _exit(r != 0 || w != static_cast<ssize_t>(sizeof c) ? 1 : 0);
      }
      pids[started++] = p;
    }
    close(fds[1]);
    for (unsigned j = 0; j < started; ++j) {
      Counts c;
      size_t got = 0;
      while (got < sizeof c) {  // bounded by the pipe closing
        ssize_t n = read(fds[0], reinterpret_cast<uint8_t*>(&c) + got, sizeof c - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<size_t>(n);
      }
      if (got != sizeof c) continue;
      total.sent += c.sent;
      total.errors += c.errors;
      total.batches += c.batches;
      total.lost_acks += c.lost_acks;
      for (size_t e = 0; e < kMaxErrno; ++e) total.by_errno[e] += c.by_errno[e];
    }
    close(fds[0]);
    for (unsigned j = 0; j < started; ++j) {
      int st = 0;
      while (waitpid(pids[j], &st, 0) < 0 && errno == EINTR) {
      }
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) rc = 1;
    }
  }
  double dt = now_s() - t0;

  if (!o.quiet || total.errors || total.lost_acks) {
    std::fprintf(stderr,
                 "ct_fill: %llu requests in %llu batches, %.3f s (%.0f/s), %llu errors, "
                 "%llu batches without ack\n",
                 static_cast<unsigned long long>(total.sent),
                 static_cast<unsigned long long>(total.batches), dt,
                 dt > 0 ? static_cast<double>(total.sent) / dt : 0.0,
                 static_cast<unsigned long long>(total.errors),
                 static_cast<unsigned long long>(total.lost_acks));
    for (size_t e = 0; e < kMaxErrno; ++e)
      if (total.by_errno[e])
        std::fprintf(stderr, "ct_fill:   %llu x %s\n",
                     static_cast<unsigned long long>(total.by_errno[e]),
                     e ? std::strerror(static_cast<int>(e)) : "other");
  }
  if (rc == 0 && (total.errors || total.lost_acks || total.sent != o.n)) rc = 1;
  return rc;
}
