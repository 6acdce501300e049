// The sync channels over real sockets (UDP, multicast, TCP, ChannelSet).
// Every test forks a child that moves into a private network namespace
// (unshare(CLONE_NEWNET)), brings `lo` up and runs the channel code there,
// so nothing touches the host's interfaces or ports.  The child reports
// with its gtest failures (printed as they happen) and its exit code; the
// parent kills it after a deadline (tests/unit/netns_child.h).  Without
// CAP_SYS_ADMIN the tests skip.
// No wait in a test is longer than ~2 s (the TCP reconnect waits out the
// channel's one-connect-a-second rule once).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "base/out_buf.h"
#include "conntrackd/config/config.h"
#include "conntrackd/control/stats_format.h"
#include "conntrackd/daemon.h"
#include "conntrackd/event_loop.h"
#include "conntrackd/sync/channel.h"
#include "tests/unit/netns_child.h"

namespace {

using Bytes = std::vector<uint8_t>;

// ---- the namespace harness: tests/unit/netns_child.h ------------------------

using namespace netns_child;

int if_set_mtu(const char* name, int mtu) {
  const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  ifr.ifr_mtu = mtu;
  const int r = ioctl(s, SIOCSIFMTU, &ifr);
  const int e = errno;
  close(s);
  return r < 0 ? -e : 0;
}

// ---- channel plumbing ------------------------------------------------------------

void no_signal(void*, uint32_t) {}

// A sync-like message: byte 0 version<<4|type, bytes 2-3 the big-endian
// length (what the TCP receiver frames by), then a pattern.
Bytes make_msg(size_t len, uint8_t tag) {
  Bytes m(len);
  m[0] = 0x10;
  m[1] = tag;
  m[2] = static_cast<uint8_t>(len >> 8);
  m[3] = static_cast<uint8_t>(len);
  for (size_t i = 4; i < len; i++) m[i] = static_cast<uint8_t>(tag * 31 + i);
  return m;
}

Bytes cat(const std::vector<Bytes>& v) {
  Bytes out;
  for (const Bytes& b : v) out.insert(out.end(), b.begin(), b.end());
  return out;
}

struct Rx : ctd::ChannelReceiver {
  bool framed = false;  // TCP: consume whole messages only, as the sync layer does
  std::vector<Bytes> calls;
  std::vector<unsigned> call_channel;
  std::vector<Bytes> msgs;
  size_t on_channel_data(unsigned ch, std::span<const uint8_t> d) override {
    calls.emplace_back(d.begin(), d.end());
    call_channel.push_back(ch);
    if (!framed) return d.size();
    size_t off = 0;
    while (d.size() - off >= 4) {
      const size_t len = size_t{d[off + 2]} << 8 | d[off + 3];
      if (len < 4 || len > d.size() - off) break;
      msgs.emplace_back(d.begin() + static_cast<long>(off), d.begin() + static_cast<long>(off + len));
      off += len;
    }
    return off;
  }
};

// Dispatches the loop until pred() holds or ms pass.
template <class P>
bool pump(ctd::EventLoop& loop, P pred, int ms = 1000) {
  const int64_t deadline = now_ms() + ms;
  while (!pred()) {
    const int64_t left = deadline - now_ms();
    if (left <= 0) return false;
    loop.dispatch(static_cast<int>(left < 20 ? left : 20));
  }
  return true;
}

void pump_for(ctd::EventLoop& loop, int ms) {
  pump(loop, [] { return false; }, ms);
}

void set_addr(uint8_t* out, int fam, const char* text) {
  ASSERT_EQ(inet_pton(fam, text, out), 1) << text;
}

void set_chan(ctd::ChannelConfig& c, ctd::ChannelProto proto, const char* ifname, int fam, const char* local,
              const char* dest, int port) {
  c = ctd::ChannelConfig{};
  c.proto = proto;
  std::strncpy(c.ifname, ifname, sizeof c.ifname - 1);
  c.family = static_cast<uint8_t>(fam);
  set_addr(c.local, fam, local);
  if (dest) set_addr(c.dest, fam, dest);
  c.port = port;
}

std::string render_link(const ctd::ChannelStats& s, bool active) {
  static char storage[4096];
  base::OutBuf out(-1, storage, sizeof storage);
  ctd::stats_put_channel_ext(out, s, active);
  return std::string(out.view());
}

std::string render_s(const ctd::ChannelStats& s) {
  static char storage[4096];
  base::OutBuf out(-1, storage, sizeof storage);
  ctd::stats_put_channel(out, s);
  return std::string(out.view());
}

// "<n> <label>" as the stats print it (numbers right-aligned in 20).
std::string counter(uint64_t n, const char* label) {
  char b[64];
  snprintf(b, sizeof b, "%20llu %s", static_cast<unsigned long long>(n), label);
  return b;
}

struct Harness {
  ctd::Daemon d;  // channels only log through it
  ctd::EventLoop loop;
  Harness() { EXPECT_EQ(loop.open(no_signal, nullptr), 0); }
};

// A veth pair gives a second interface whose link a test can take down.
void make_veth() {
  if (system("ip link add va type veth peer name vb >/dev/null 2>&1") != 0)
    child_skip("cannot create a veth pair (ip link add ... type veth)");
  if (system("ip addr add 10.99.0.1/24 dev va && ip link set vb up && ip link set va up") != 0)
    child_skip("cannot configure the veth pair");
}

bool wait_running(const char* ifname, int ms) {
  const int64_t deadline = now_ms() + ms;
  while (now_ms() < deadline) {
    const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
    const bool ok = ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_RUNNING);
    close(s);
    if (ok) return true;
    usleep(10000);
  }
  return false;
}

// New interfaces of the namespace skip IPv6 duplicate address detection,
// so link-local addresses are usable at once.
void no_dad() {
  for (const char* f : {"/proc/sys/net/ipv6/conf/all/accept_dad", "/proc/sys/net/ipv6/conf/default/accept_dad"}) {
    const int fd = open(f, O_WRONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (write(fd, "0", 1) != 1) {
    }
    close(fd);
  }
}

bool wait_link_local(const char* ifname, char* out, int ms) {
  const int64_t deadline = now_ms() + ms;
  while (now_ms() < deadline) {
    ifaddrs* ifa = nullptr;
    bool found = false;
    if (getifaddrs(&ifa) == 0) {
      for (ifaddrs* i = ifa; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6 || strcmp(i->ifa_name, ifname) != 0) continue;
        const in6_addr& a = reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr;
        if (!IN6_IS_ADDR_LINKLOCAL(&a)) continue;
        inet_ntop(AF_INET6, &a, out, INET6_ADDRSTRLEN);
        found = true;
      }
      freeifaddrs(ifa);
    }
    if (found) return true;
    usleep(10000);
  }
  return false;
}

// A packet socket on lo sees every datagram the channels send there.
int open_capture(const char* ifname) {
  const int ps = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
  if (ps < 0) return -1;
  sockaddr_ll ll{};
  ll.sll_family = AF_PACKET;
  ll.sll_protocol = htons(ETH_P_ALL);
  ll.sll_ifindex = static_cast<int>(if_nametoindex(ifname));
  if (bind(ps, reinterpret_cast<sockaddr*>(&ll), sizeof ll) < 0) {
    close(ps);
    return -1;
  }
  return ps;
}

struct UdpSeen {
  int ttl = -1, csum = -1;
};

// The IPv4 TTL and UDP checksum of the first datagram to `port` seen
// within ms (ttl -1: none).
UdpSeen capture_udp4(int ps, int port, int ms) {
  UdpSeen r;
  const int64_t deadline = now_ms() + ms;
  while (r.ttl < 0 && now_ms() < deadline) {
    pollfd pf{ps, POLLIN, 0};
    if (poll(&pf, 1, 20) <= 0) continue;
    uint8_t b[2048];
    const ssize_t n = recv(ps, b, sizeof b, 0);
    if (n < 14 + 20 + 8 || b[12] != 0x08 || b[13] != 0x00) continue;
    const uint8_t* ip = b + 14;
    const size_t ihl = (ip[0] & 0xfu) * 4u;
    if (ip[9] != IPPROTO_UDP || static_cast<size_t>(n) < 14 + ihl + 8) continue;
    const uint8_t* udp = ip + ihl;
    if ((udp[2] << 8 | udp[3]) != port) continue;
    r.ttl = ip[8];
    r.csum = udp[6] << 8 | udp[7];
  }
  return r;
}

// ---- UDP -------------------------------------------------------------------------

// lo's MTU 1500 gives a 1472-byte buffer (MTU - 28); 92-byte messages:
// 15 fit (1380), the 16th would make exactly 1472, which the strict
// `used + len < size` refuses, so it starts the next datagram.
TEST(SyncChannelUdp, Ipv4BatchesUpToMtuFlushSendsAndCountersAreExact) {
  run_in_netns([] {
    ASSERT_EQ(if_set_mtu("lo", 1500), 0);
    Harness h;
    ctd::Config cfg;
    cfg.channel_num = 1;
    set_chan(cfg.channels[0], ctd::ChannelProto::kUdp, "lo", AF_INET, "127.0.0.1", "127.0.0.1", 3780);
    ctd::Channel* ch = ctd::channel_create(cfg, 0);
    ASSERT_NE(ch, nullptr);
    Rx rx;
    ASSERT_EQ(ch->open(h.d, h.loop, rx, 0), 0) << strerror(errno);
    EXPECT_TRUE(ch->link_up());
    EXPECT_FALSE(ch->stream());

    std::vector<Bytes> msgs;
    for (int i = 0; i < 15; i++) {
      msgs.push_back(make_msg(92, static_cast<uint8_t>(i)));
      ASSERT_EQ(ch->send(msgs.back()), 0);
    }
    EXPECT_EQ(ch->counters().pkts_sent, 0u) << "15 x 92 = 1380 < 1472 stays buffered";
    pump_for(h.loop, 50);
    EXPECT_TRUE(rx.calls.empty());

    const Bytes m16 = make_msg(92, 15);
    ASSERT_EQ(ch->send(m16), 0);
    EXPECT_EQ(ch->counters().pkts_sent, 1u);
    EXPECT_EQ(ch->counters().bytes_sent, 1380u);
    ASSERT_TRUE(pump(h.loop, [&] { return rx.calls.size() == 1; }));
    EXPECT_EQ(rx.calls[0], cat(msgs)) << "one datagram: the 15 messages back to back";

    ASSERT_EQ(ch->flush(), 0);
    EXPECT_EQ(ch->counters().pkts_sent, 2u);
    ASSERT_TRUE(pump(h.loop, [&] { return rx.calls.size() == 2; }));
    EXPECT_EQ(rx.calls[1], m16);
    EXPECT_EQ(ch->flush(), 0) << "nothing buffered: nothing sent";
    EXPECT_EQ(ch->counters().pkts_sent, 2u);

    // Bigger than the buffer but <= 4096: the buffer goes first, then the
    // message on its own.
    const Bytes small = make_msg(40, 20), big = make_msg(2000, 21);
    ASSERT_EQ(ch->send(small), 0);
    ASSERT_EQ(ch->send(big), 0);
    EXPECT_EQ(ch->counters().pkts_sent, 4u);
    ASSERT_TRUE(pump(h.loop, [&] { return rx.calls.size() == 4; }));
    EXPECT_EQ(rx.calls[2], small);
    EXPECT_EQ(rx.calls[3], big);

    // Over kMaxMessage: refused and counted as a send error.
    const Bytes huge(ctd::kMaxMessage + 1, 0);
    EXPECT_EQ(ch->send(huge), -EMSGSIZE);

    const ctd::ChannelCounters& c = ch->counters();
    EXPECT_EQ(c.bytes_sent, 1380u + 92 + 40 + 2000);
    EXPECT_EQ(c.bytes_recv, c.bytes_sent);
    EXPECT_EQ(c.pkts_sent, 4u);
    EXPECT_EQ(c.pkts_recv, 4u);
    EXPECT_EQ(c.err_send, 1u);
    EXPECT_EQ(c.err_recv, 0u);
    for (unsigned k : rx.call_channel) EXPECT_EQ(k, 0u);

    ctd::ChannelStats s;
    ch->stats(&s);
    EXPECT_STREQ(s.ifname, "lo");
    EXPECT_STREQ(s.status, "RUNNING");
    const std::string link = render_link(s, true);
    EXPECT_EQ(link.substr(0, link.find(':')), "UDP traffic device=lo status=RUNNING role=ACTIVE") << link;
    EXPECT_NE(link.find(counter(3512, "Bytes sent")), std::string::npos) << link;
    EXPECT_NE(link.find(counter(3512, "Bytes recv")), std::string::npos) << link;
    EXPECT_NE(link.find(counter(4, "Pckts sent")), std::string::npos) << link;
    EXPECT_NE(link.find(counter(4, "Pckts recv")), std::string::npos) << link;
    EXPECT_NE(link.find(counter(1, "Error send")), std::string::npos) << link;
    const std::string plain = render_s(s);
    EXPECT_EQ(plain.substr(0, plain.find('\n')), "UDP traffic (active device=lo):") << plain;
    ch->close(h.loop);
    delete ch;
  });
}

// A sealer that appends an 8-byte packet number and counts how it was
// asked: the channel's pairing is seen on the wire without the crypto.
struct NumberingSealer : ctd::PacketSealer {
  uint64_t next = 1;
  unsigned singles = 0, pairs = 0;
  size_t overhead() const override { return 8; }
  size_t seal(uint8_t* buf, size_t len, size_t cap) override {
    singles++;
    if (cap < len + 8) return 0;
    for (unsigned i = 0; i < 8; i++) buf[len + i] = static_cast<uint8_t>(next >> (56 - 8 * i));
    next++;
    return len + 8;
  }
  void seal_pair(uint8_t* a, size_t* la, size_t ca, uint8_t* b, size_t* lb, size_t cb) override {
    pairs++;
    singles -= 2;  // the default below calls seal() twice
    PacketSealer::seal_pair(a, la, ca, b, lb, cb);
  }
};

struct PairRx : Rx {
  unsigned pairs = 0;
  void on_datagram_pair(unsigned ch, std::span<const uint8_t> a, std::span<const uint8_t> b) override {
    pairs++;
    ChannelReceiver::on_datagram_pair(ch, a, b);
  }
};

uint64_t packet_number(const Bytes& d) {
  uint64_t v = 0;
  for (size_t i = d.size() - 8; i < d.size(); i++) v = v << 8 | d[i];
  return v;
}

// With a sealer, a full batch waits for the next so that both are sealed
// together; flush() sends whatever waits.  Packets leave in order, and a
// receiver finding two queued gets them as a pair.
TEST(SyncChannelUdp, SealedBatchesGoOutInPairsAndInOrder) {
  run_in_netns([] {
    ASSERT_EQ(if_set_mtu("lo", 1500), 0);
    Harness h;
    ctd::Config cfg;
    cfg.channel_num = 1;
    set_chan(cfg.channels[0], ctd::ChannelProto::kUdp, "lo", AF_INET, "127.0.0.1", "127.0.0.1", 3780);
    ctd::Channel* ch = ctd::channel_create(cfg, 0);
    ASSERT_NE(ch, nullptr);
    NumberingSealer sealer;
    ch->set_sealer(&sealer);
    PairRx rx;
    ASSERT_EQ(ch->open(h.d, h.loop, rx, 0), 0) << strerror(errno);
    // 1472 - 8 = 1464 per batch: 15 messages of 92 bytes (1380) each.
    std::vector<Bytes> msgs;
    auto send_n = [&](int n) {
      for (int i = 0; i < n; i++) {
        msgs.push_back(make_msg(92, static_cast<uint8_t>(msgs.size())));
        ASSERT_EQ(ch->send(msgs.back()), 0);
      }
    };
    send_n(16);  // the 16th closes batch 1: it waits
    EXPECT_EQ(ch->counters().pkts_sent, 0u);
    send_n(15);  // the 31st closes batch 2: both go, sealed as a pair
    EXPECT_EQ(ch->counters().pkts_sent, 2u);
    EXPECT_EQ(sealer.pairs, 1u);
    send_n(15);  // batch 3 waits, batch 4 holds one message
    EXPECT_EQ(ch->counters().pkts_sent, 2u);
    ASSERT_EQ(ch->flush(), 0);
    EXPECT_EQ(ch->counters().pkts_sent, 4u);
    EXPECT_EQ(sealer.pairs, 2u);
    send_n(3);
    ASSERT_EQ(ch->flush(), 0);  // a lone batch: sealed alone
    EXPECT_EQ(sealer.singles, 1u);
    // Larger than a batch: the waiting batch and the one message after it
    // go first (a pair), then the big one alone.
    const Bytes big = make_msg(2000, 99);
    send_n(16);
    EXPECT_EQ(ch->counters().pkts_sent, 5u);
    ASSERT_EQ(ch->send(big), 0);
    EXPECT_EQ(ch->counters().pkts_sent, 8u);
    EXPECT_EQ(sealer.pairs, 3u);
    EXPECT_EQ(sealer.singles, 2u);
    ASSERT_EQ(ch->flush(), 0);
    EXPECT_EQ(ch->counters().pkts_sent, 8u);
    ASSERT_TRUE(pump(h.loop, [&] { return rx.calls.size() == 8; }));
    Bytes got, want = cat(msgs);
    for (size_t i = 0; i < rx.calls.size(); i++) {
      EXPECT_EQ(packet_number(rx.calls[i]), i + 1) << "packet " << i;
      const Bytes& c = rx.calls[i];
      if (i == 7) {
        EXPECT_EQ(Bytes(c.begin(), c.end() - 8), big);
        continue;
      }
      got.insert(got.end(), c.begin(), c.end() - 8);
    }
    EXPECT_EQ(got, want) << "every message once, in order";
    EXPECT_GE(rx.pairs, 1u) << "two datagrams queued are handed on together";
    EXPECT_EQ(ch->counters().err_send, 0u);
    ch->close(h.loop);
    delete ch;
  });
}

TEST(SyncChannelUdp, Ipv6LoopbackSendReceive) {
  run_in_netns([] {
    if (access("/proc/sys/net/ipv6", F_OK) != 0) child_skip("no IPv6 in this kernel");
    Harness h;
    ctd::Config cfg;
    cfg.channel_num = 1;
    set_chan(cfg.channels[0], ctd::ChannelProto::kUdp, "lo", AF_INET6, "::1", "::1", 3790);
    ctd::Channel* ch = ctd::channel_create(cfg, 0);
    ASSERT_NE(ch, nullptr);
    Rx rx;
    ASSERT_EQ(ch->open(h.d, h.loop, rx, 0), 0) << strerror(errno);
    const std::vector<Bytes> msgs = {make_msg(64, 1), make_msg(128, 2), make_msg(8, 3)};
    for (const Bytes& m : msgs) ASSERT_EQ(ch->send(m), 0);
    EXPECT_EQ(ch->counters().pkts_sent, 0u);
    ASSERT_EQ(ch->flush(), 0);
    ASSERT_TRUE(pump(h.loop, [&] { return rx.calls.size() == 1; }));
    EXPECT_EQ(rx.calls[0], cat(msgs));
    EXPECT_EQ(ch->counters().bytes_sent, 200u);
    EXPECT_EQ(ch->counters().bytes_recv, 200u);
    EXPECT_EQ(ch->counters().pkts_sent, 1u);
    EXPECT_EQ(ch->counters().pkts_recv, 1u);
    ch->close(h.loop);
    delete ch;
  });
}

// The receiver takes a datagram from anyone on its port (upstream does not
// check the sender either).
TEST(SyncChannelUdp, ReceivesFromAnySender) {
  run_in_netns([] {
    Harness h;
    ctd::Config cfg;
    cfg.channel_num = 1;
    set_chan(cfg.channels[0], ctd::ChannelProto::kUdp, "lo", AF_INET, "127.0.0.1", "127.0.0.2", 3780);
    ctd::Channel* ch = ctd::channel_create(cfg, 0);
    Rx rx;
    ASSERT_EQ(ch->open(h.d, h.loop, rx, 0), 0) << strerror(errno);
    const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(3780);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const Bytes m = make_msg(100, 7);
    ASSERT_EQ(sendto(s, m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 100);
    ASSERT_TRUE(pump(h.loop, [&] { return rx.calls.size() == 1; }));
    EXPECT_EQ(rx.calls[0], m);
    EXPECT_EQ(ch->counters().pkts_recv, 1u);
    EXPECT_EQ(ch->counters().bytes_recv, 100u);
    EXPECT_EQ(ch->counters().pkts_sent, 0u);
    close(s);
    ch->close(h.loop);
    delete ch;
  });
}

// Checksum off is SO_NO_CHECK on the sending socket: the UDP checksum
// field goes out as zero.  Seen with a packet socket on lo.
TEST(SyncChannelUdp, ChecksumOffSendsZeroUdpChecksum) {
  run_in_netns([] {
    Harness h;
    ctd::Config cfg;
    cfg.channel_num = 2;
    set_chan(cfg.channels[0], ctd::ChannelProto::kUdp, "lo", AF_INET, "127.0.0.1", "127.0.0.1", 3801);
    set_chan(cfg.channels[1], ctd::ChannelProto::kUdp, "lo", AF_INET, "127.0.0.1", "127.0.0.1", 3802);
    cfg.channels[0].checksum = false;
    cfg.channels[1].checksum = true;
    const int ps = open_capture("lo");
    if (ps < 0) child_skip("no AF_PACKET socket");
    Rx rx;
    ctd::Channel* ch[2] = {ctd::channel_create(cfg, 0), ctd::channel_create(cfg, 1)};
    for (unsigned i = 0; i < 2; i++) ASSERT_EQ(ch[i]->open(h.d, h.loop, rx, i), 0) << strerror(errno);
    for (unsigned i = 0; i < 2; i++) {
      ASSERT_EQ(ch[i]->send(make_msg(48, static_cast<uint8_t>(i))), 0);
      ASSERT_EQ(ch[i]->flush(), 0);
    }
    ASSERT_TRUE(pump(h.loop, [&] { return rx.calls.size() == 2; }));
    const UdpSeen off = capture_udp4(ps, 3801, 1000), on = capture_udp4(ps, 3802, 1000);
    const int csum[2] = {off.csum, on.csum};
    EXPECT_EQ(off.ttl, 64) << "unicast: the default TTL";
    EXPECT_EQ(csum[0], 0) << "Checksum Off: no UDP checksum";
    EXPECT_GT(csum[1], 0) << "Checksum On: a checksum (or its partial sum) is there";
    close(ps);
    for (ctd::Channel* c : ch) {
      c->close(h.loop);
      delete c;
    }
  });
}

// A link-local destination needs the Interface's index as scope: over a
// veth whose fe80:: address the channel binds and sends to.
TEST(SyncChannelUdp, Ipv6LinkLocalUsesInterfaceScope) {
  run_in_netns([] {
    if (access("/proc/sys/net/ipv6", F_OK) != 0) child_skip("no IPv6 in this kernel");
    no_dad();
    make_veth();
    char addr[INET6_ADDRSTRLEN] = {};
    if (!wait_link_local("va", addr, 1500)) child_skip("va got no link-local address");
    Harness h;
    ctd::Config cfg;
    cfg.channel_num = 1;
    set_chan(cfg.channels[0], ctd::ChannelProto::kUdp, "va", AF_INET6, addr, addr, 3790);
    ctd::Channel* ch = ctd::channel_create(cfg, 0);
    Rx rx;
    ASSERT_EQ(ch->open(h.d, h.loop, rx, 0), 0) << addr << ": " << strerror(errno);
    EXPECT_EQ(ch->ifindex(), static_cast<int>(if_nametoindex("va")));
    const Bytes m = make_msg(120, 9);
    ASSERT_EQ(ch->send(m), 0);
    ASSERT_EQ(ch->flush(), 0) << "sendto " << addr << " without a scope fails";
    ASSERT_TRUE(pump(h.loop, [&] { return rx.calls.size() == 1; }));
    EXPECT_EQ(rx.calls[0], m);
    EXPECT_EQ(ch->counters().err_send, 0u);
    ch->close(h.loop);
    delete ch;
  });
}

// ---- multicast -------------------------------------------------------------------

TEST(SyncChannelMcast, Ipv4GroupOverLoopback) {
  run_in_netns([] {
    if (if_flags_change("lo", IFF_MULTICAST, 0) < 0) child_skip("cannot set MULTICAST on lo");
    ASSERT_EQ(if_set_mtu("lo", 1500), 0);
    Harness h;
    ctd::Config cfg;
    cfg.channel_num = 1;
    set_chan(cfg.channels[0], ctd::ChannelProto::kMulticast, "lo", AF_INET, "225.0.0.50", nullptr, 3780);
    set_addr(cfg.channels[0].mcast_iface, AF_INET, "127.0.0.1");
    ctd::Channel* ch = ctd::channel_create(cfg, 0);
    ASSERT_NE(ch, nullptr);
    Rx rx;
    if (ch->open(h.d, h.loop, rx, 0) < 0) child_skip(std::string("multicast join on lo refused: ") + strerror(errno));
    const int ps = open_capture("lo");
    const std::vector<Bytes> msgs = {make_msg(100, 1), make_msg(300, 2)};
    for (const Bytes& m : msgs) ASSERT_EQ(ch->send(m), 0);
    ASSERT_EQ(ch->flush(), 0);
    EXPECT_EQ(ch->counters().pkts_sent, 1u);
    EXPECT_EQ(ch->counters().bytes_sent, 400u);
    if (ps >= 0) {
      EXPECT_EQ(capture_udp4(ps, 3780, 1000).ttl, 1) << "multicast TTL is left at 1, as upstream";
      close(ps);
    }
    if (!pump(h.loop, [&] { return rx.calls.size() == 1; }, 500))
      child_skip("the kernel did not deliver the group's datagram back over lo");
    EXPECT_EQ(rx.calls[0], cat(msgs));
    EXPECT_EQ(ch->counters().bytes_recv, 400u);
    EXPECT_EQ(ch->counters().pkts_recv, 1u);
    ctd::ChannelStats s;
    ch->stats(&s);
    const std::string link = render_link(s, true);
    EXPECT_EQ(link.substr(0, link.find(':')), "multicast traffic device=lo status=RUNNING role=ACTIVE") << link;
    ch->close(h.loop);
    delete ch;
  });
}

// lo has no IPv6 multicast route, so the IPv6 group travels over a veth
// pair: A sends from va (loopback off), B joined the group on vb.
TEST(SyncChannelMcast, Ipv6GroupOverVethPair) {
  run_in_netns([] {
    if (access("/proc/sys/net/ipv6", F_OK) != 0) child_skip("no IPv6 in this kernel");
    no_dad();
    make_veth();
    char addr[INET6_ADDRSTRLEN] = {};
    if (!wait_link_local("va", addr, 1500) || !wait_link_local("vb", addr, 1500))
      child_skip("the veth pair got no link-local addresses");
    Harness h;
    ctd::Config cfg;
    cfg.channel_num = 2;
    set_chan(cfg.channels[0], ctd::ChannelProto::kMulticast, "va", AF_INET6, "ff02::1:3780", nullptr, 3790);
    set_chan(cfg.channels[1], ctd::ChannelProto::kMulticast, "vb", AF_INET6, "ff02::1:3780", nullptr, 3790);
    ctd::Channel* a = ctd::channel_create(cfg, 0);
    ctd::Channel* b = ctd::channel_create(cfg, 1);
    Rx rx;
    if (a->open(h.d, h.loop, rx, 0) < 0) child_skip(std::string("IPv6 multicast join refused: ") + strerror(errno));
    // A alone: nobody joined on vb, and A does not hear itself
    // (IPV6_MULTICAST_LOOP off).
    const Bytes m1 = make_msg(256, 5), m2 = make_msg(128, 6);
    ASSERT_EQ(a->send(m1), 0);
    ASSERT_EQ(a->flush(), 0) << strerror(errno);
    EXPECT_EQ(a->counters().pkts_sent, 1u);
    pump_for(h.loop, 100);
    EXPECT_TRUE(rx.calls.empty()) << "multicast loopback must be off";
    // B joins on vb and hears A.  (Linux hands A's socket a copy too: an
    // IPv6 socket's group check ignores the interface it joined on.)
    ASSERT_EQ(b->open(h.d, h.loop, rx, 1), 0) << strerror(errno);
    ASSERT_EQ(a->send(m2), 0);
    ASSERT_EQ(a->flush(), 0) << strerror(errno);
    ASSERT_TRUE(pump(h.loop, [&] { return b->counters().pkts_recv == 1; }, 1000)) << "the datagram never reached vb";
    for (size_t i = 0; i < rx.calls.size(); i++)
      if (rx.call_channel[i] == 1) {
        EXPECT_EQ(rx.calls[i], m2);
      }
    EXPECT_EQ(b->counters().bytes_recv, 128u);
    EXPECT_EQ(a->counters().bytes_sent, 384u);
    EXPECT_EQ(a->counters().pkts_sent, 2u);
    a->close(h.loop);
    b->close(h.loop);
    delete a;
    delete b;
  });
}

// ---- TCP -------------------------------------------------------------------------

int tcp_listener(const char* addr, int port) {
  const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, addr, &sa.sin_addr);
  if (bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 || listen(s, 4) < 0) {
    close(s);
    return -1;
  }
  return s;
}

int tcp_connect(const char* addr, int port) {
  const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, addr, &sa.sin_addr);
  if (connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    close(s);
    return -1;
  }
  return s;
}

// Reads from fd (while pumping the channel's loop) until `want` bytes came.
Bytes read_n(ctd::EventLoop& loop, int fd, size_t want, int ms = 1000) {
  Bytes got;
  pump(
      loop,
      [&] {
        uint8_t b[8192];
        const ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
        if (n > 0) got.insert(got.end(), b, b + n);
        return got.size() >= want;
      },
      ms);
  return got;
}

int accept_within(ctd::EventLoop& loop, int lfd, int ms = 1000) {
  int fd = -1;
  pump(
      loop,
      [&] {
        fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        return fd >= 0;
      },
      ms);
  return fd;
}

ctd::ChannelStats stats_of(const ctd::Channel* ch) {
  ctd::ChannelStats s;
  ch->stats(&s);
  return s;
}

// Two TCP channels, A (127.0.0.1) and B (127.0.0.2), each the other's
// peer.  B opens first, so its client finds nobody listening; A's client
// reaches B's listener: the A -> B direction works at once.
TEST(SyncChannelTcp, ConnectsToPeerAndDeliversBatches) {
  run_in_netns([] {
    ASSERT_EQ(if_set_mtu("lo", 1500), 0);
    Harness h;
    ctd::Config cfg;
    cfg.channel_num = 2;
    set_chan(cfg.channels[0], ctd::ChannelProto::kTcp, "lo", AF_INET, "127.0.0.1", "127.0.0.2", 3780);
    set_chan(cfg.channels[1], ctd::ChannelProto::kTcp, "lo", AF_INET, "127.0.0.2", "127.0.0.1", 3780);
    ctd::Channel* a = ctd::channel_create(cfg, 0);
    ctd::Channel* b = ctd::channel_create(cfg, 1);
    Rx rxa, rxb;
    rxa.framed = rxb.framed = true;
    ASSERT_EQ(b->open(h.d, h.loop, rxb, 1), 0) << strerror(errno);
    ASSERT_EQ(a->open(h.d, h.loop, rxa, 0), 0) << strerror(errno);
    EXPECT_TRUE(a->stream());
    ASSERT_TRUE(pump(h.loop, [&] { return stats_of(a).tcp_client_connected && stats_of(b).tcp_server_connected; }));
    EXPECT_FALSE(stats_of(b).tcp_client_connected) << "A was not listening yet";

    // TCP's buffer is MTU - 40 = 1460: 14 x 100 fit, the 15th starts a new one.
    std::vector<Bytes> msgs;
    for (int i = 0; i < 15; i++) {
      msgs.push_back(make_msg(100, static_cast<uint8_t>(i)));
      ASSERT_EQ(a->send(msgs.back()), 0);
    }
    EXPECT_EQ(a->counters().pkts_sent, 1u);
    EXPECT_EQ(a->counters().bytes_sent, 1400u);
    ASSERT_EQ(a->flush(), 0);
    ASSERT_TRUE(pump(h.loop, [&] { return rxb.msgs.size() == 15; }));
    EXPECT_EQ(rxb.msgs, msgs);
    EXPECT_EQ(a->counters().bytes_sent, 1500u);
    EXPECT_EQ(a->counters().pkts_sent, 2u);
    EXPECT_EQ(b->counters().bytes_recv, 1500u);
    EXPECT_EQ(a->counters().err_send, 0u);
    for (unsigned k : rxb.call_channel) EXPECT_EQ(k, 1u);
    EXPECT_TRUE(rxa.calls.empty()) << "data flows client -> server only";

    const std::string sa = render_s(stats_of(a));
    EXPECT_EQ(sa.substr(0, sa.find('\n')), "TCP traffic (active device=lo) server=disconnected client=connected:") << sa;
    const std::string sb = render_s(stats_of(b));
    EXPECT_EQ(sb.substr(0, sb.find('\n')), "TCP traffic (active device=lo) server=connected client=disconnected:") << sb;
    a->close(h.loop);
    b->close(h.loop);
    delete a;
    delete b;
  });
}

// The receiver keeps the unconsumed tail of a read and sees it again,
// completed, at the head of the next one: a message split across reads
// (even inside its header) arrives whole and in order.
TEST(SyncChannelTcp, ReassemblesMessagesSplitAcrossReads) {
  run_in_netns([] {
    Harness h;
    ctd::Config cfg;
    cfg.channel_num = 1;
    set_chan(cfg.channels[0], ctd::ChannelProto::kTcp, "lo", AF_INET, "127.0.0.1", "127.0.0.9", 3780);
    ctd::Channel* ch = ctd::channel_create(cfg, 0);
    Rx rx;
    rx.framed = true;
    ASSERT_EQ(ch->open(h.d, h.loop, rx, 0), 0) << strerror(errno);
    const int c = tcp_connect("127.0.0.1", 3780);
    ASSERT_GE(c, 0);
    ASSERT_TRUE(pump(h.loop, [&] { return stats_of(ch).tcp_server_connected; }));

    const Bytes m1 = make_msg(100, 1), m2 = make_msg(200, 2), m3 = make_msg(60, 3);
    // Each step is one write, so the channel reads it in one go.
    auto write_parts = [&](std::vector<std::pair<const Bytes*, std::pair<size_t, size_t>>> parts) {
      Bytes w;
      for (auto& [m, r] : parts) w.insert(w.end(), m->begin() + static_cast<long>(r.first), m->begin() + static_cast<long>(r.second));
      ASSERT_EQ(write(c, w.data(), w.size()), static_cast<ssize_t>(w.size()));
    };
    uint64_t total = 0;
    auto wait_recv = [&](uint64_t n) {
      total += n;
      ASSERT_TRUE(pump(h.loop, [&] { return ch->counters().bytes_recv == total; }));
    };
    // m1 whole and 30 bytes of m2.
    write_parts({{&m1, {0, 100}}, {&m2, {0, 30}}});
    wait_recv(130);
    ASSERT_EQ(rx.msgs.size(), 1u);
    EXPECT_EQ(rx.msgs[0], m1);
    // The rest of m2 and 3 bytes of m3 (its length field not complete).
    write_parts({{&m2, {30, 200}}, {&m3, {0, 3}}});
    wait_recv(173);
    ASSERT_EQ(rx.msgs.size(), 2u);
    EXPECT_EQ(rx.msgs[1], m2);
    EXPECT_EQ(rx.calls.back().size(), 203u) << "the 30-byte tail came back at the head of the read";
    // One more byte: the length is known now, the message still short.
    write_parts({{&m3, {3, 4}}});
    wait_recv(1);
    EXPECT_EQ(rx.msgs.size(), 2u);
    EXPECT_EQ(rx.calls.back().size(), 4u);
    write_parts({{&m3, {4, 60}}});
    wait_recv(56);
    ASSERT_EQ(rx.msgs.size(), 3u);
    EXPECT_EQ(rx.msgs[2], m3);
    EXPECT_EQ(rx.calls.back().size(), 60u);
    EXPECT_EQ(ch->counters().bytes_recv, 360u);
    EXPECT_EQ(ch->counters().pkts_recv, rx.calls.size()) << "one count per read";

    // The peer closes: the session ends, the server side shows disconnected.
    close(c);
    ASSERT_TRUE(pump(h.loop, [&] { return !stats_of(ch).tcp_server_connected; }));
    ch->close(h.loop);
    delete ch;
  });
}

// A new connection replaces the session, and a partial message of the old
// one is not glued in front of the new stream.
TEST(SyncChannelTcp, NewConnectionReplacesSessionAndDropsItsPartialMessage) {
  run_in_netns([] {
    Harness h;
    ctd::Config cfg;
    cfg.channel_num = 1;
    set_chan(cfg.channels[0], ctd::ChannelProto::kTcp, "lo", AF_INET, "127.0.0.1", "127.0.0.9", 3780);
    ctd::Channel* ch = ctd::channel_create(cfg, 0);
    Rx rx;
    rx.framed = true;
    ASSERT_EQ(ch->open(h.d, h.loop, rx, 0), 0) << strerror(errno);
    const int c1 = tcp_connect("127.0.0.1", 3780);
    ASSERT_GE(c1, 0);
    const Bytes old = make_msg(100, 1), fresh = make_msg(80, 2);
    ASSERT_EQ(write(c1, old.data(), 50), 50);
    ASSERT_TRUE(pump(h.loop, [&] { return ch->counters().bytes_recv == 50; }));
    const int c2 = tcp_connect("127.0.0.1", 3780);
    ASSERT_GE(c2, 0);
    // Let the channel accept c2 before it writes (accept and read are
    // separate events).
    pump_for(h.loop, 50);
    ASSERT_EQ(write(c2, fresh.data(), fresh.size()), static_cast<ssize_t>(fresh.size()));
    ASSERT_TRUE(pump(h.loop, [&] { return ch->counters().bytes_recv == 130; }));
    ASSERT_EQ(rx.msgs.size(), 1u);
    EXPECT_EQ(rx.msgs[0], fresh);
    EXPECT_EQ(rx.calls.back().size(), 80u);
    close(c1);
    close(c2);
    ch->close(h.loop);
    delete ch;
  });
}

// The peer goes away: the client notices EOF and drops its socket; what
// is sent meanwhile waits in the error queue.  connect() is retried from
// send at most once a second; the new session gets the queued data first,
// in order.
TEST(SyncChannelTcp, PeerGoneThenReconnectsAfterOneSecondAndSendsQueuedInOrder) {
  run_in_netns(
      [] {
        Harness h;
        ctd::Config cfg;
        cfg.channel_num = 1;
        set_chan(cfg.channels[0], ctd::ChannelProto::kTcp, "lo", AF_INET, "127.0.0.1", "127.0.0.2", 3780);
        const int l = tcp_listener("127.0.0.2", 3780);
        ASSERT_GE(l, 0);
        ctd::Channel* ch = ctd::channel_create(cfg, 0);
        Rx rx;
        const int64_t t0 = now_ms();
        ASSERT_EQ(ch->open(h.d, h.loop, rx, 0), 0) << strerror(errno);
        const int s1 = accept_within(h.loop, l);
        ASSERT_GE(s1, 0);
        ASSERT_TRUE(pump(h.loop, [&] { return stats_of(ch).tcp_client_connected; }));
        const Bytes m1 = make_msg(100, 1), m2 = make_msg(120, 2), m3 = make_msg(140, 3);
        ASSERT_EQ(ch->send(m1), 0);
        ASSERT_EQ(ch->flush(), 0);
        EXPECT_EQ(read_n(h.loop, s1, 100), m1);

        close(s1);  // the peer leaves
        ASSERT_TRUE(pump(h.loop, [&] { return !stats_of(ch).tcp_client_connected; }));
        ASSERT_EQ(ch->send(m2), 0);
        ASSERT_EQ(ch->flush(), 0);
        pump_for(h.loop, 100);
        if (now_ms() - t0 < 900) {  // else too slow a host to see the one-a-second rule
          const int early = accept4(l, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
          EXPECT_LT(early, 0) << "no second connect within a second of the first";
          if (early >= 0) close(early);
          EXPECT_EQ(ch->counters().bytes_sent, 100u);
        }

        // A second after the last attempt, the next send reconnects.
        pump_for(h.loop, static_cast<int>(t0 + 1050 - now_ms()));
        ASSERT_EQ(ch->send(m3), 0);
        ASSERT_EQ(ch->flush(), 0);
        const int s2 = accept_within(h.loop, l);
        ASSERT_GE(s2, 0) << "reconnected";
        EXPECT_EQ(read_n(h.loop, s2, 260), cat({m2, m3})) << "queued data first, in order";
        EXPECT_TRUE(stats_of(ch).tcp_client_connected);
        EXPECT_EQ(ch->counters().bytes_sent, 360u);
        EXPECT_EQ(ch->counters().err_send, 0u);
        close(s2);
        close(l);
        ch->close(h.loop);
        delete ch;
      },
      10000);
}

// The peer resets the connection before the channel noticed: the write
// fails (ECONNRESET/EPIPE), counts one send error and drops the client
// socket; the buffer waits in the error queue and goes out on the new
// connection a second after the first connect.
TEST(SyncChannelTcp, PeerResetFailsTheWriteThenQueuedDataGoesOutAfterReconnect) {
  run_in_netns(
      [] {
        Harness h;
        ctd::Config cfg;
        cfg.channel_num = 1;
        set_chan(cfg.channels[0], ctd::ChannelProto::kTcp, "lo", AF_INET, "127.0.0.1", "127.0.0.2", 3780);
        const int l = tcp_listener("127.0.0.2", 3780);
        ASSERT_GE(l, 0);
        ctd::Channel* ch = ctd::channel_create(cfg, 0);
        Rx rx;
        const int64_t t0 = now_ms();
        ASSERT_EQ(ch->open(h.d, h.loop, rx, 0), 0) << strerror(errno);
        const int s1 = accept_within(h.loop, l);
        ASSERT_GE(s1, 0);
        ASSERT_TRUE(pump(h.loop, [&] { return stats_of(ch).tcp_client_connected; }));
        linger lg{1, 0};
        ASSERT_EQ(setsockopt(s1, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
        close(s1);  // RST, and the loop is not run before the write
        const Bytes m1 = make_msg(100, 1);
        ASSERT_EQ(ch->send(m1), 0);
        ASSERT_EQ(ch->flush(), 0);
        EXPECT_EQ(ch->counters().err_send, 1u);
        EXPECT_EQ(ch->counters().bytes_sent, 0u);
        EXPECT_FALSE(stats_of(ch).tcp_client_connected);
        pump_for(h.loop, static_cast<int>(t0 + 1050 - now_ms()));
        const Bytes m2 = make_msg(60, 2);
        ASSERT_EQ(ch->send(m2), 0);
        ASSERT_EQ(ch->flush(), 0);
        const int s2 = accept_within(h.loop, l);
        ASSERT_GE(s2, 0) << "a new client socket connected";
        EXPECT_EQ(read_n(h.loop, s2, 160), cat({m1, m2}));
        EXPECT_EQ(ch->counters().bytes_sent, 160u);
        EXPECT_EQ(ch->counters().err_send, 1u);
        close(s2);
        close(l);
        ch->close(h.loop);
        delete ch;
      },
      10000);
}

// Over ::1: a listener stands in for the peer.
TEST(SyncChannelTcp, Ipv6LoopbackClientDelivers) {
  run_in_netns([] {
    if (access("/proc/sys/net/ipv6", F_OK) != 0) child_skip("no IPv6 in this kernel");
    Harness h;
    ctd::Config cfg;
    cfg.channel_num = 1;
    set_chan(cfg.channels[0], ctd::ChannelProto::kTcp, "lo", AF_INET6, "::1", "::1", 3790);
    const int l = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(3791);
    sa.sin6_addr = in6addr_loopback;
    ASSERT_EQ(bind(l, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    ASSERT_EQ(listen(l, 1), 0);
    cfg.channels[0].port = 3791;  // listen and connect use one Port
    close(l);  // the channel listens there itself; it is its own peer
    ctd::Channel* ch = ctd::channel_create(cfg, 0);
    Rx rx;
    rx.framed = true;
    ASSERT_EQ(ch->open(h.d, h.loop, rx, 0), 0) << strerror(errno);
    const std::vector<Bytes> msgs = {make_msg(40, 1), make_msg(400, 2)};
    for (const Bytes& m : msgs) ASSERT_EQ(ch->send(m), 0);
    ASSERT_EQ(ch->flush(), 0);
    ASSERT_TRUE(pump(h.loop, [&] { return rx.msgs.size() == 2; }));
    EXPECT_EQ(rx.msgs, msgs);
    const ctd::ChannelStats s = stats_of(ch);
    EXPECT_TRUE(s.tcp_client_connected);
    EXPECT_TRUE(s.tcp_server_connected);
    EXPECT_EQ(s.bytes_sent, 440u);
    EXPECT_EQ(s.bytes_recv, 440u);
    ch->close(h.loop);
    delete ch;
  });
}

// ErrorQueueLength buffers wait while there is no connection; when full
// the oldest is dropped.  The reconnect (a second after the first try)
// delivers what is left, in order.
TEST(SyncChannelTcp, ErrorQueueKeepsNewestBuffersWhileDisconnected) {
  run_in_netns(
      [] {
        Harness h;
        ctd::Config cfg;
        cfg.channel_num = 1;
        cfg.error_queue_length = 2;
        set_chan(cfg.channels[0], ctd::ChannelProto::kTcp, "lo", AF_INET, "127.0.0.1", "127.0.0.2", 3780);
        ctd::Channel* ch = ctd::channel_create(cfg, 0);
        Rx rx;
        const int64_t t0 = now_ms();
        ASSERT_EQ(ch->open(h.d, h.loop, rx, 0), 0) << strerror(errno);  // nobody listens: refused
        pump_for(h.loop, 50);
        EXPECT_FALSE(stats_of(ch).tcp_client_connected);
        const Bytes m1 = make_msg(100, 1), m2 = make_msg(100, 2), m3 = make_msg(100, 3), m4 = make_msg(100, 4);
        for (const Bytes* m : {&m1, &m2, &m3}) {
          ASSERT_EQ(ch->send(*m), 0);
          ASSERT_EQ(ch->flush(), 0);
        }
        EXPECT_EQ(ch->counters().bytes_sent, 0u);
        uint32_t qlen = 0, qfull = 0;  // -s queue's errorq: 2 held, 1 refused
        ch->error_queue_stats(&qlen, &qfull);
        EXPECT_EQ(qlen, 2u);
        EXPECT_EQ(qfull, 1u);
        const int l = tcp_listener("127.0.0.2", 3780);
        ASSERT_GE(l, 0);
        pump_for(h.loop, static_cast<int>(t0 + 1050 - now_ms()));
        ASSERT_EQ(ch->send(m4), 0);
        ASSERT_EQ(ch->flush(), 0);  // queued behind m3 (m2 dropped), then connect
        const int s = accept_within(h.loop, l);
        ASSERT_GE(s, 0);
        EXPECT_EQ(read_n(h.loop, s, 200), cat({m3, m4}));
        pump_for(h.loop, 30);
        uint8_t extra[16];
        EXPECT_LT(recv(s, extra, sizeof extra, MSG_DONTWAIT), 0) << "m1 and m2 were dropped";
        EXPECT_EQ(ch->counters().bytes_sent, 200u);
        close(s);
        close(l);
        ch->close(h.loop);
        delete ch;
      },
      10000);
}

// ---- opening -----------------------------------------------------------------------

// upstream: an unset Interface fails with ENOENT, an unknown one ENODEV.
TEST(SyncChannelOpen, DatagramChannelsReportMissingAndUnknownInterface) {
  run_in_netns([] {
    Harness h;
    Rx rx;
    for (ctd::ChannelProto p : {ctd::ChannelProto::kUdp, ctd::ChannelProto::kMulticast}) {
      ctd::Config cfg;
      cfg.channel_num = 2;
      const char* local = p == ctd::ChannelProto::kUdp ? "127.0.0.1" : "225.0.0.50";
      set_chan(cfg.channels[0], p, "", AF_INET, local, "127.0.0.1", 3780);
      set_chan(cfg.channels[1], p, "nosuchif0", AF_INET, local, "127.0.0.1", 3781);
      for (unsigned i = 0; i < 2; i++) {
        ctd::Channel* ch = ctd::channel_create(cfg, i);
        errno = 0;
        EXPECT_EQ(ch->open(h.d, h.loop, rx, i), -1);
        EXPECT_EQ(errno, i == 0 ? ENOENT : ENODEV) << "proto " << static_cast<int>(p) << " channel " << i;
        delete ch;
      }
    }
    EXPECT_EQ(h.loop.watches(), 1u) << "only the signalfd: nothing left watched";
  });
}

TEST(SyncChannelOpen, TcpUnknownInterfaceIsEnodev) {
  run_in_netns([] {
    Harness h;
    Rx rx;
    ctd::Config cfg;
    cfg.channel_num = 1;
    set_chan(cfg.channels[0], ctd::ChannelProto::kTcp, "nosuchif0", AF_INET, "127.0.0.1", "127.0.0.1", 3780);
    ctd::Channel* ch = ctd::channel_create(cfg, 0);
    errno = 0;
    EXPECT_EQ(ch->open(h.d, h.loop, rx, 0), -1);
    EXPECT_EQ(errno, ENODEV);
    delete ch;
  });
}

// Bug (notes/chantests-bugs.md #1): upstream's channel_open checks the
// Interface for every protocol alike, so TCP should fail as UDP does.
TEST(SyncChannelOpen, TcpUnsetInterfaceIsEnoentLikeUdp) {
  run_in_netns([] {
    Harness h;
    Rx rx;
    ctd::Config cfg;
    cfg.channel_num = 1;
    set_chan(cfg.channels[0], ctd::ChannelProto::kTcp, "", AF_INET, "127.0.0.1", "127.0.0.1", 3780);
    ctd::Channel* ch = ctd::channel_create(cfg, 0);
    errno = 0;
    EXPECT_EQ(ch->open(h.d, h.loop, rx, 0), -1);
    EXPECT_EQ(errno, ENOENT);
    delete ch;
  });
}

TEST(SyncChannelOpen, ChannelSetWithoutChannelsFails) {
  run_in_netns([] {
    Harness h;
    Rx rx;
    ctd::Config cfg;
    ctd::ChannelSet set;
    errno = 0;
    EXPECT_EQ(set.open(h.d, cfg, h.loop, rx), -1);
    EXPECT_EQ(errno, ENOENT);
    EXPECT_EQ(set.send(make_msg(8, 0)), -ENOTCONN);
  });
}

// ---- ChannelSet ------------------------------------------------------------------

// Channel 0 on lo, channel 1 (the Default) on va.  Sends go to the
// Default; when its link goes down (an rtnetlink event) the next link that
// is up takes over; coming back up does not take the role back.
TEST(SyncChannelSet, DefaultIsActiveAndNextTakesOverWhenItsLinkGoesDown) {
  run_in_netns([] {
    make_veth();
    ASSERT_TRUE(wait_running("va", 1000)) << "va never got carrier";
    Harness h;
    ctd::Config cfg;
    cfg.channel_num = 2;
    cfg.channel_default = 1;
    set_chan(cfg.channels[0], ctd::ChannelProto::kUdp, "lo", AF_INET, "127.0.0.1", "127.0.0.1", 3780);
    set_chan(cfg.channels[1], ctd::ChannelProto::kUdp, "va", AF_INET, "10.99.0.1", "10.99.0.1", 3781);
    cfg.channels[1].is_default = true;
    ctd::ChannelSet set;
    Rx rx;
    ASSERT_EQ(set.open(h.d, cfg, h.loop, rx), 0);
    ASSERT_EQ(set.size(), 2u);
    EXPECT_EQ(set.current(), 1u) << "the Default channel starts active";

    const Bytes m1 = make_msg(100, 1);
    ASSERT_EQ(set.send(m1), 0);
    ASSERT_EQ(set.flush(), 0);
    ASSERT_TRUE(pump(h.loop, [&] { return rx.calls.size() == 1; }));
    EXPECT_EQ(rx.call_channel[0], 1u);
    EXPECT_EQ(set.at(1)->counters().pkts_sent, 1u);
    EXPECT_EQ(set.at(0)->counters().pkts_sent, 0u);

    // va goes down: lo becomes the dedicated link.
    ASSERT_EQ(if_flags_change("va", 0, IFF_UP), 0);
    ASSERT_TRUE(pump(h.loop, [&] { return set.current() == 0; })) << "no switch after va went down";
    EXPECT_FALSE(set.at(1)->link_up());
    const Bytes m2 = make_msg(200, 2);
    ASSERT_EQ(set.send(m2), 0);
    ASSERT_EQ(set.flush(), 0);
    ASSERT_TRUE(pump(h.loop, [&] { return rx.calls.size() == 2; }));
    EXPECT_EQ(rx.call_channel[1], 0u);
    EXPECT_EQ(rx.calls[1], m2);

    ctd::SyncStats st;
    set.fill_stats(&st);
    EXPECT_EQ(st.nchannels, 2u);
    EXPECT_EQ(st.current, 0u);
    const std::string l0 = render_link(st.channels[0], st.current == 0);
    const std::string l1 = render_link(st.channels[1], st.current == 1);
    EXPECT_EQ(l0.substr(0, l0.find(':')), "UDP traffic device=lo status=RUNNING role=ACTIVE") << l0;
    EXPECT_EQ(l1.substr(0, l1.find(':')), "UDP traffic device=va status=DOWN role=BACKUP") << l1;
    EXPECT_NE(l0.find(counter(200, "Bytes sent")), std::string::npos) << l0;
    EXPECT_NE(l0.find(counter(200, "Bytes recv")), std::string::npos) << l0;
    EXPECT_NE(l1.find(counter(100, "Bytes sent")), std::string::npos) << l1;
    EXPECT_NE(l1.find(counter(100, "Bytes recv")), std::string::npos) << l1;
    EXPECT_NE(l1.find(counter(1, "Pckts sent")), std::string::npos) << l1;

    // va comes back: lo keeps the role (no preemption).
    ASSERT_EQ(if_flags_change("va", IFF_UP, 0), 0);
    ASSERT_TRUE(pump(h.loop, [&] { return set.at(1)->link_up(); }, 1500)) << "va's UP|RUNNING event not seen";
    EXPECT_EQ(set.current(), 0u);

    // lo goes down: va takes over again (round robin).
    ASSERT_EQ(if_flags_change("lo", 0, IFF_UP), 0);
    ASSERT_TRUE(pump(h.loop, [&] { return set.current() == 1; })) << "no switch after lo went down";

    // va down too: nothing is up, the current channel stays.
    ASSERT_EQ(if_flags_change("va", 0, IFF_UP), 0);
    ASSERT_TRUE(pump(h.loop, [&] { return !set.at(1)->link_up(); }));
    pump_for(h.loop, 50);
    EXPECT_EQ(set.current(), 1u) << "no dedicated links available: no change";

    // lo comes back while the current link (va) is down: lo takes over.
    ASSERT_EQ(if_flags_change("lo", IFF_UP, 0), 0);
    ASSERT_TRUE(pump(h.loop, [&] { return set.current() == 0; })) << "no switch when lo came back";
    set.close();
  });
}

// UP without carrier is not a usable link either: the peer end of the
// veth goes down, va loses RUNNING, lo takes over.
TEST(SyncChannelSet, CarrierLossOfTheCurrentLinkSwitchesToo) {
  run_in_netns([] {
    make_veth();
    ASSERT_TRUE(wait_running("va", 1000)) << "va never got carrier";
    Harness h;
    ctd::Config cfg;
    cfg.channel_num = 2;
    cfg.channel_default = 0;
    set_chan(cfg.channels[0], ctd::ChannelProto::kUdp, "va", AF_INET, "10.99.0.1", "10.99.0.1", 3781);
    set_chan(cfg.channels[1], ctd::ChannelProto::kUdp, "lo", AF_INET, "127.0.0.1", "127.0.0.1", 3780);
    ctd::ChannelSet set;
    Rx rx;
    ASSERT_EQ(set.open(h.d, cfg, h.loop, rx), 0);
    EXPECT_EQ(set.current(), 0u);
    EXPECT_TRUE(set.at(0)->link_up());
    ASSERT_EQ(if_flags_change("vb", 0, IFF_UP), 0);
    ASSERT_TRUE(pump(h.loop, [&] { return set.current() == 1; })) << "no switch after va lost its carrier";
    EXPECT_FALSE(set.at(0)->link_up());
    ctd::SyncStats st;
    set.fill_stats(&st);
    EXPECT_STRNE(st.channels[0].status, "RUNNING");
    EXPECT_STRNE(st.channels[0].status, "DOWN") << "va itself is still UP";
    EXPECT_EQ(st.current, 1u);
    set.close();
  });
}

// Traffic received on a channel makes it current; what the old one had
// buffered goes out first.
TEST(SyncChannelSet, ReceivingOnAChannelMakesItCurrent) {
  run_in_netns([] {
    Harness h;
    ctd::Config cfg;
    cfg.channel_num = 2;
    set_chan(cfg.channels[0], ctd::ChannelProto::kUdp, "lo", AF_INET, "127.0.0.1", "127.0.0.1", 3780);
    set_chan(cfg.channels[1], ctd::ChannelProto::kUdp, "lo", AF_INET, "127.0.0.1", "127.0.0.1", 3781);
    ctd::ChannelSet set;
    Rx rx;
    ASSERT_EQ(set.open(h.d, cfg, h.loop, rx), 0);
    EXPECT_EQ(set.current(), 0u);
    const Bytes m1 = make_msg(64, 1), m2 = make_msg(96, 2);
    ASSERT_EQ(set.send(m1), 0);
    EXPECT_EQ(set.at(0)->counters().pkts_sent, 0u);
    set.mark_receiving(1);
    EXPECT_EQ(set.current(), 1u);
    EXPECT_EQ(set.at(0)->counters().pkts_sent, 1u) << "the old channel's buffer was flushed";
    ASSERT_EQ(set.send(m2), 0);
    ASSERT_EQ(set.flush(), 0);
    ASSERT_TRUE(pump(h.loop, [&] { return rx.calls.size() == 2; }));
    EXPECT_EQ(rx.call_channel[0], 0u);
    EXPECT_EQ(rx.calls[0], m1);
    EXPECT_EQ(rx.call_channel[1], 1u);
    EXPECT_EQ(rx.calls[1], m2);
    EXPECT_EQ(set.at(1)->counters().bytes_sent, 96u);
    EXPECT_EQ(set.at(0)->counters().bytes_sent, 64u);
    set.mark_receiving(1);  // already current: nothing changes
    EXPECT_EQ(set.current(), 1u);
    ctd::SyncStats st;
    set.fill_stats(&st);
    EXPECT_EQ(st.current, 1u);
    set.close();
  });
}

}  // namespace
