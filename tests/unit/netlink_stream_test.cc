// The receive loops over a scripted reply stream: nl::Socket adopts one
// end of an AF_UNIX datagram socketpair and the test writes the "kernel's"
// datagrams into the other, so every fault is exact and repeatable:
// signals interrupting a blocked recvmsg (EINTR), NLM_F_DUMP_INTR on a
// dump's messages, datagrams longer than the buffer, messages cut short,
// a tail too short for a header.  ENOBUFS cannot be scripted on a unix
// socket: that one is the real kernel's, in a namespace of the test's own
// (netns_child.h), on an event socket with the smallest buffer.  Both the plain loop (recv_until_done)
// and the pipelined one of the daemon's resync and `conntrack -L`
// (recv_dumps_pipelined, a receiving thread per dump) are run.
#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

#include "ct/flow.h"
#include "ct/flow_build.h"
#include "ct_uapi.h"
#include "netlink/dump_pipeline.h"
#include "netlink/msg_builder.h"
#include "netlink/recv_loop.h"
#include "netlink/socket.h"
#include "nl_uapi.h"
#include "tests/unit/netns_child.h"

namespace {

constexpr uint32_t kSeq = 42, kPort = 1234;
constexpr uint16_t kData = 0x100;  // any type at or above NLMSG_MIN_TYPE

struct FakeKernel {
  int fd[2] = {-1, -1};
  nl::Socket sock;
  FakeKernel() {
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fd), 0);
    int big = 1 << 20;
    setsockopt(fd[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    setsockopt(fd[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    sock.adopt(fd[0], kPort);
  }
  ~FakeKernel() {
    if (fd[1] >= 0) close(fd[1]);
  }
  void send(const std::vector<uint8_t>& d) { ASSERT_EQ(write(fd[1], d.data(), d.size()), static_cast<ssize_t>(d.size())); }
};

// One message: header, then `payload` bytes of value n (so the receiver
// can check which one it got).
void put_msg(std::vector<uint8_t>* d, uint16_t type, uint16_t flags, uint32_t n, size_t payload = 8,
             uint32_t seq = kSeq) {
  uapi::NlMsgHdr h{static_cast<uint32_t>(sizeof h + payload), type, flags, seq, kPort};
  const size_t at = d->size();
  d->resize(at + uapi::nl_align(h.len));
  std::memcpy(d->data() + at, &h, sizeof h);
  for (size_t i = 0; i < payload; i += 4) std::memcpy(d->data() + at + sizeof h + i, &n, payload - i < 4 ? payload - i : 4);
}

std::vector<uint8_t> data_dgram(uint32_t first, unsigned count, uint16_t flags = uapi::kNlmFMulti) {
  std::vector<uint8_t> d;
  for (unsigned i = 0; i < count; i++) put_msg(&d, kData, flags, first + i);
  return d;
}

std::vector<uint8_t> done_dgram() {
  std::vector<uint8_t> d;
  put_msg(&d, uapi::kNlmsgDone, uapi::kNlmFMulti, 0, 4);
  return d;
}

struct Got {
  std::vector<uint32_t> ids;
  int operator()(const uapi::NlMsgHdr&, std::span<const uint8_t> p) {
    uint32_t n = 0;
    if (p.size() >= 4) std::memcpy(&n, p.data(), 4);
    ids.push_back(n);
    return nl::kCbOk;
  }
};

nl::RecvState state() {
  nl::RecvState st;
  st.seq = kSeq;
  st.portid = kPort;
  return st;
}

// ---- signals: a handler without SA_RESTART, so recvmsg returns EINTR ----

std::atomic<int> g_signals{0};
void on_usr1(int) { g_signals.fetch_add(1); }

struct Usr1Handler {
  struct sigaction old {};
  Usr1Handler() {
    struct sigaction sa {};
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, &old);
  }
  ~Usr1Handler() { sigaction(SIGUSR1, &old, nullptr); }
};

char task_state(pid_t tid) {
  char path[64], buf[512];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/stat", static_cast<int>(tid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return '?';
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return '?';
  buf[n] = 0;
  const char* p = std::strrchr(buf, ')');
  return p && p[1] == ' ' ? p[2] : '?';
}

void sleep_ms(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, nullptr);
}

// Interrupts every other thread of this process that sleeps (the loops'
// only blocking call is recvmsg) `times` times, each time waiting (at
// most 2 s) for it to sleep again.  Returns how many signals were sent.
int interrupt_sleepers(pid_t self, int times) {
  int sent = 0;
  for (int k = 0; k < times; k++) {
    bool any = false;
    for (int wait = 0; wait < 200 && !any; wait++) {
      DIR* d = opendir("/proc/self/task");
      if (!d) return sent;
      while (dirent* e = readdir(d)) {
        const pid_t tid = static_cast<pid_t>(atoi(e->d_name));
        if (tid <= 0 || tid == self || task_state(tid) != 'S') continue;
        if (syscall(SYS_tgkill, getpid(), tid, SIGUSR1) == 0) {
          sent++;
          any = true;
        }
      }
      closedir(d);
      if (!any) sleep_ms(10);
    }
    sleep_ms(5);
  }
  return sent;
}

struct LoopArgs {
  nl::Socket* socks[2];
  nl::RecvState st[2];
  unsigned n = 1;
  bool pipelined = false;
  Got got;
  int rc = 1;
};

void* run_loop(void* p) {
  LoopArgs* a = static_cast<LoopArgs*>(p);
  if (a->pipelined) {
    a->rc = nl::recv_dumps_pipelined(a->socks, a->st, a->n, a->got);
  } else {
    static uint8_t buf[32768];
    a->rc = nl::recv_until_done(*a->socks[0], buf, sizeof buf, a->st[0], a->got);
  }
  return nullptr;
}

void eintr_case(bool pipelined) {
  Usr1Handler h;
  g_signals = 0;
  FakeKernel k;
  LoopArgs a;
  a.socks[0] = &k.sock;
  a.st[0] = state();
  a.pipelined = pipelined;
  pthread_t th;
  ASSERT_EQ(pthread_create(&th, nullptr, run_loop, &a), 0);
  const pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  // Signals while it waits for the first datagram, between datagrams,
  // and before the end.
  EXPECT_GT(interrupt_sleepers(self, 3), 0);
  k.send(data_dgram(1, 10));
  EXPECT_GT(interrupt_sleepers(self, 3), 0);
  k.send(data_dgram(11, 10));
  EXPECT_GT(interrupt_sleepers(self, 3), 0);
  k.send(done_dgram());
  pthread_join(th, nullptr);
  EXPECT_GE(g_signals.load(), 3);
  EXPECT_EQ(a.rc, 0);
  ASSERT_EQ(a.got.ids.size(), 20u);  // nothing lost, nothing twice
  for (uint32_t i = 0; i < 20; i++) EXPECT_EQ(a.got.ids[i], i + 1);
}

TEST(NetlinkStream, EintrDuringRecvLosesNothing) { eintr_case(false); }
TEST(NetlinkStream, EintrDuringPipelinedDumpLosesNothing) { eintr_case(true); }

// NLM_F_DUMP_INTR on some messages: every message is still delivered,
// the dump completes, and the flag says the caller must not trust that
// what is missing is gone (the daemon's purge skips its sweep then).
TEST(NetlinkStream, DumpInterruptedFlagThroughBothLoops) {
  for (bool pipelined : {false, true}) {
    SCOPED_TRACE(pipelined);
    FakeKernel k;
    k.send(data_dgram(1, 5));
    k.send(data_dgram(6, 5, uapi::kNlmFMulti | uapi::kNlmFDumpIntr));
    k.send(done_dgram());
    LoopArgs a;
    a.socks[0] = &k.sock;
    a.st[0] = state();
    a.pipelined = pipelined;
    run_loop(&a);
    EXPECT_EQ(a.rc, 0);
    EXPECT_EQ(a.got.ids.size(), 10u);
    EXPECT_TRUE(a.st[0].dump_intr);
  }
  // Two dumps at once (the IPv4 and IPv6 halves): the flag stays with the
  // dump that had it.
  FakeKernel k4, k6;
  k4.send(data_dgram(1, 3));
  k4.send(done_dgram());
  k6.send(data_dgram(100, 3, uapi::kNlmFMulti | uapi::kNlmFDumpIntr));
  k6.send(done_dgram());
  LoopArgs a;
  a.socks[0] = &k4.sock;
  a.socks[1] = &k6.sock;
  a.st[0] = state();
  a.st[1] = state();
  a.n = 2;
  a.pipelined = true;
  run_loop(&a);
  EXPECT_EQ(a.rc, 0);
  EXPECT_EQ(a.got.ids.size(), 6u);
  EXPECT_FALSE(a.st[0].dump_intr);
  EXPECT_TRUE(a.st[1].dump_intr);
}

// Malformed streams end the dump with an error, never a hang or a read
// past the datagram: a datagram longer than the buffer (MSG_TRUNC), a
// message whose length runs past its datagram, and a tail too short for
// a header after a whole message.  (The last one hung the pipelined
// loop: its receiving thread took the datagram for an ordinary one and
// waited for more after the walker had given up.)
TEST(NetlinkStream, TruncatedMessagesEndTheDump) {
  struct Case {
    const char* what;
    int want;
    std::vector<uint8_t> bad;
  };
  std::vector<uint8_t> longer = data_dgram(1, 1);
  uapi::NlMsgHdr h;
  std::memcpy(&h, longer.data(), sizeof h);
  h.len += 64;  // runs past the datagram
  std::memcpy(longer.data(), &h, sizeof h);
  std::vector<uint8_t> tail = data_dgram(1, 2);
  tail.resize(tail.size() + 10, 0xee);
  std::vector<uint8_t> huge;
  put_msg(&huge, kData, uapi::kNlmFMulti, 9, 40000);  // > the 32 KiB buffers
  const Case cases[] = {{"message past its datagram", -EBADMSG, longer},
                        {"tail shorter than a header", -EBADMSG, tail},
                        {"datagram longer than the buffer", -EMSGSIZE, huge}};
  for (const Case& c : cases) {
    for (bool pipelined : {false, true}) {
      SCOPED_TRACE(c.what);
      SCOPED_TRACE(pipelined);
      FakeKernel k;
      k.send(data_dgram(1, 4));
      k.send(c.bad);
      LoopArgs a;
      a.socks[0] = &k.sock;
      a.st[0] = state();
      a.pipelined = pipelined;
      // The loop must return by itself: run it on a thread and give up
      // (failing) after 5 s rather than hang the suite.
      pthread_t th;
      ASSERT_EQ(pthread_create(&th, nullptr, run_loop, &a), 0);
      bool joined = false;
      for (int i = 0; i < 500 && !joined; i++) {
        joined = pthread_tryjoin_np(th, nullptr) == 0;
        if (!joined) sleep_ms(10);
      }
      if (!joined) {
        ADD_FAILURE() << "the receive loop did not return";
        k.send(done_dgram());  // let it end, then collect it
        pthread_join(th, nullptr);
        continue;
      }
      EXPECT_EQ(a.rc, c.want);
      EXPECT_GE(a.got.ids.size(), 4u);  // what came before is delivered
    }
  }
}

// ---- ENOBUFS: the kernel's own, on an event socket -------------------------

// Creates UDP flows 10.77.x.y -> 10.78.0.1:53 in the current namespace, in
// batches, without acks (the kernel answers only errors).
bool create_flows(nl::Socket& req, uint32_t first, uint32_t n) {
  static uint8_t buf[65536];
  ct::Flow f;
  f.family = AF_INET;
  for (ct::Dir d : {ct::kDirOrig, ct::kDirRepl}) {
    f.tuple[d].l3 = AF_INET;
    f.tuple[d].l4 = 17;
    for (ct::F x : {ct::F::kOrigL3, ct::F::kOrigSrc, ct::F::kOrigDst, ct::F::kOrigL4, ct::F::kOrigPortSrc,
                    ct::F::kOrigPortDst})
      f.set.set(ct::tuple_field(d, x));
  }
  f.timeout = 600;
  f.set.set(ct::F::kTimeout);
  for (uint32_t i = first; i < first + n;) {
    nl::MsgBuilder b(buf, sizeof buf);
    for (; i < first + n && b.size() + 512 < sizeof buf; i++) {
      ct::Tuple& o = f.tuple[ct::kDirOrig];
      ct::Tuple& r = f.tuple[ct::kDirRepl];
      const uint8_t src[4] = {10, 77, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)}, dst[4] = {10, 78, 0, 1};
      std::memcpy(o.src.b, src, 4);
      std::memcpy(o.dst.b, dst, 4);
      o.sport = 1024;
      o.dport = 53;
      r.src = o.dst;
      r.dst = o.src;
      r.sport = 53;
      r.dport = 1024;
      if (!ct::build_ct_new(b, f, uapi::kNlmFCreate | uapi::kNlmFExcl, req.next_seq())) return false;
    }
    if (req.send({buf, b.size()}) != 0) return false;
  }
  return true;
}

// Events faster than a full buffer drains: recv says ENOBUFS once, is not
// retried as EINTR is, and the socket goes on delivering what follows
// (what the daemon's overrun resync and `conntrack -E`'s warning rely on).
TEST(NetlinkStream, EnobufsIsReportedOnceAndTheSocketGoesOn) {
  netns_child::run_in_netns([] {
    nl::Socket ev, req;
    if (ev.open(1u << (uapi::kNfnlgrpConntrackNew - 1)) < 0 || req.open() < 0)
      netns_child::child_skip("no NETLINK_NETFILTER socket in the namespace");
    ev.set_rcvbuf(1, false);  // the kernel's minimum
    timeval tv{0, 200000};
    ASSERT_EQ(setsockopt(ev.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    ASSERT_TRUE(create_flows(req, 0, 400));
    static uint8_t buf[65536];
    int enobufs = 0, first_error_at = -1, events = 0;
    for (int k = 0; k < 2000; k++) {
      const ssize_t n = ev.recv(buf, sizeof buf);
      if (n == -EAGAIN) break;  // drained
      if (n == -ENOBUFS) {
        if (first_error_at < 0) first_error_at = k;
        enobufs++;
        continue;
      }
      ASSERT_GT(n, 0) << strerror(static_cast<int>(-n));
      nl::RecvState st;
      auto count = [&](const uapi::NlMsgHdr&, std::span<const uint8_t>) { ++events; return int{nl::kCbOk}; };
      EXPECT_EQ(nl::walk_datagram({buf, static_cast<size_t>(n)}, st, count), 1);
    }
    EXPECT_EQ(enobufs, 1);         // one overflow, reported once
    EXPECT_EQ(first_error_at, 0);  // before the events that did fit
    EXPECT_GT(events, 0);
    EXPECT_LT(events, 400);        // the rest were lost: hence the resync
    // Afterwards the socket works as before.
    events = 0;
    ASSERT_TRUE(create_flows(req, 1000, 1));
    const ssize_t n = ev.recv(buf, sizeof buf);
    ASSERT_GT(n, 0) << strerror(static_cast<int>(-n));
    nl::RecvState st;
    auto count = [&](const uapi::NlMsgHdr&, std::span<const uint8_t>) { ++events; return int{nl::kCbOk}; };
    EXPECT_EQ(nl::walk_datagram({buf, static_cast<size_t>(n)}, st, count), 1);
    EXPECT_EQ(events, 1);
  });
}

}  // namespace
