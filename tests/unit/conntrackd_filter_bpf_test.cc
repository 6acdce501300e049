// `Filter From Kernelspace`: the classic BPF program filter_bpf builds,
// run by a small interpreter on ctnetlink events crafted the way the
// kernel lays them out.  The interpreter does what the kernel does for the
// opcodes we emit, including the nla_find walk behind SKF_AD_NLATTR (one
// level, over the rest of the message) and SKF_AD_NLATTR_NEST (inside one
// nest): upstream's program depends on both.  That the program is the one
// Debian's conntrackd attaches is checked by tests/integration/
// conntrackd_filter.sh (SO_GET_FILTER on both daemons' sockets).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cstring>
#include <string>
#include <vector>

#include "conntrackd/config/config.h"
#include "conntrackd/config/config_parser.h"
#include "conntrackd/kernel/filter_bpf.h"
#include "ct_uapi.h"
#include "netlink/cbpf.h"
#include "netlink/msg_builder.h"

namespace {

using namespace nl::cbpf;

constexpr uint32_t kDropped = 0, kPassed = 0xffffffff;

// ---- the interpreter ------------------------------------------------------

uint16_t rd16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

// The kernel's bpf_skb_get_nlattr{,_nest}: the offset of the first
// attribute of `type` (flags masked) or 0.
uint32_t nlattr(const std::vector<uint8_t>& pkt, uint32_t a, uint32_t type, bool nest) {
  const size_t len = pkt.size();
  if (len < 4 || a > len - 4) return 0;
  size_t pos = a;
  long rem = static_cast<long>(len - a);
  if (nest) {
    const uint16_t nlen = rd16(&pkt[a]);
    if (nlen > len - a || nlen < 4) return 0;
    pos = a + 4;
    rem = nlen - 4;
  }
  while (rem >= 4) {  // each step advances by at least 4 bytes
    const uint16_t l = rd16(&pkt[pos]), t = rd16(&pkt[pos + 2]);
    if (l < 4 || l > rem) break;
    if ((t & 0x3fff) == type) return static_cast<uint32_t>(pos);
    const long step = (l + 3) & ~3;
    pos += step;
    rem -= step;
  }
  return 0;
}

// Checks what the kernel checks at SO_ATTACH_FILTER (forward jumps inside
// the program, a return at the end), then runs it.  Only our opcodes.
uint32_t run(const std::vector<Insn>& prog, const std::vector<uint8_t>& pkt) {
  const size_t n = prog.size();
  if (n == 0 || n > kMaxInsns || prog[n - 1].code != kRetK) {
    ADD_FAILURE() << "program rejected: bad length or no final return";
    return 0xdead;
  }
  for (size_t i = 0; i < n; i++) {
    const Insn& in = prog[i];
    const bool bad = (in.code == kJeqK && (i + 1 + in.jt >= n || i + 1 + in.jf >= n)) ||
                     (in.code == kJa && i + 1 + in.k >= n);
    if (bad) {
      ADD_FAILURE() << "jump out of the program at " << i;
      return 0xdead;
    }
  }
  uint32_t A = 0, X = 0;
  size_t pc = 0;
  auto load = [&](size_t off, size_t size, uint32_t* out) {
    if (off + size > pkt.size() || off + size < off) return false;
    uint32_t v = 0;
    for (size_t b = 0; b < size; b++) v = v << 8 | pkt[off + b];
    *out = v;
    return true;
  };
  for (size_t steps = 0; steps < n && pc < n; steps++) {  // jumps only go forward
    const Insn& in = prog[pc++];
    switch (in.code) {
      case kLdImm: A = in.k; break;
      case kLdxImm: X = in.k; break;
      case kLdBAbs:
      case kLdWAbs:
        if (in.k == kAdOff + kAdNlattr) A = nlattr(pkt, A, X, false);
        else if (in.k == kAdOff + kAdNlattrNest) A = nlattr(pkt, A, X, true);
        else if (!load(in.k, in.code == kLdBAbs ? 1 : 4, &A)) return 0;
        break;
      case kLdBInd:
      case kLdWInd:
        // An out-of-bounds packet load ends the program with 0.
        if (!load(size_t{X} + in.k, in.code == kLdBInd ? 1 : 4, &A)) return 0;
        break;
      case kAddK: A += in.k; break;
      case kAndK: A &= in.k; break;
      case kTax: X = A; break;
      case kTxa: A = X; break;
      case kJa: pc += in.k; break;
      case kJeqK: pc += A == in.k ? in.jt : in.jf; break;
      case kRetK: return in.k;
      default:
        ADD_FAILURE() << "unexpected opcode " << in.code;
        return 0xdead;
    }
  }
  ADD_FAILURE() << "ran off the end";
  return 0xdead;
}

// ---- programs from config text ------------------------------------------

ctd::Config* parse(const std::string& filter_body) {
  static ctd::Config cfg;
  static ctd::ConfigDiag diag;
  cfg = ctd::Config{};
  diag = ctd::ConfigDiag{};
  std::string text = "General { Filter From Kernelspace { " + filter_body + " } }";
  EXPECT_TRUE(ctd::config_parse(text, "t.conf", &cfg, &diag)) << diag.error.message;
  return &cfg;
}

std::vector<Insn> program(const std::string& filter_body) {
  const ctd::Config* c = parse(filter_body);
  std::vector<Insn> p(ctd::kFilterBpfMax);
  size_t n = ctd::filter_bpf_build(c->filter, p.data(), p.size());
  EXPECT_GT(n, 0u);
  p.resize(n);
  return p;
}

// ---- events, laid out as ctnetlink_conntrack_event() does ---------------

struct Ev {
  int family = AF_INET;
  const char* osrc = "10.0.0.1";
  const char* odst = "10.0.0.2";
  const char* rsrc = nullptr;  // default: odst
  const char* rdst = nullptr;  // default: osrc
  uint8_t proto = 6;
  int tcp_state = 3;           // -1: no CTA_PROTOINFO
  bool orig = true;            // CTA_TUPLE_ORIG
  bool orig_ip = true;         // CTA_TUPLE_IP in it
  bool orig_proto = true;      // CTA_TUPLE_PROTO in it
  bool mark = true;
};

void put_tuple(nl::MsgBuilder& b, uint16_t type, const Ev& e, const char* src, const char* dst,
               bool ip, bool proto) {
  size_t t = b.nest_start(type);
  if (ip) {
    uint8_t a[16], d[16];
    ASSERT_EQ(inet_pton(e.family, src, a), 1) << src;
    ASSERT_EQ(inet_pton(e.family, dst, d), 1) << dst;
    const bool v6 = e.family == AF_INET6;
    size_t n = b.nest_start(uapi::CTA_TUPLE_IP);
    b.put(v6 ? uapi::CTA_IP_V6_SRC : uapi::CTA_IP_V4_SRC, a, v6 ? 16 : 4);
    b.put(v6 ? uapi::CTA_IP_V6_DST : uapi::CTA_IP_V4_DST, d, v6 ? 16 : 4);
    b.nest_end(n);
  }
  if (proto) {
    size_t n = b.nest_start(uapi::CTA_TUPLE_PROTO);
    b.put_u8(uapi::CTA_PROTO_NUM, e.proto);
    b.put_u16_be(uapi::CTA_PROTO_SRC_PORT, 1000);
    b.put_u16_be(uapi::CTA_PROTO_DST_PORT, 80);
    b.nest_end(n);
  }
  b.nest_end(t);
}

std::vector<uint8_t> event(const Ev& e) {
  uint8_t buf[1024];
  nl::MsgBuilder b(buf, sizeof buf);
  b.begin_nfmsg(uapi::kNfnlSubsysCtnetlink, uapi::kCtMsgNew, uapi::kNlmFCreate, 0,
                static_cast<uint8_t>(e.family));
  if (e.orig) put_tuple(b, uapi::CTA_TUPLE_ORIG, e, e.osrc, e.odst, e.orig_ip, e.orig_proto);
  put_tuple(b, uapi::CTA_TUPLE_REPLY, e, e.rsrc ? e.rsrc : e.odst, e.rdst ? e.rdst : e.osrc,
            true, true);
  b.put_u32_be(uapi::CTA_ID, 0x12345678);
  b.put_u32_be(uapi::CTA_STATUS, 8);
  b.put_u32_be(uapi::CTA_TIMEOUT, 120);
  if (e.tcp_state >= 0) {
    size_t pi = b.nest_start(uapi::CTA_PROTOINFO);
    size_t tcp = b.nest_start(uapi::CTA_PROTOINFO_TCP);
    b.put_u8(uapi::CTA_PROTOINFO_TCP_STATE, static_cast<uint8_t>(e.tcp_state));
    b.put_u8(uapi::CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, 7);
    b.put_u8(uapi::CTA_PROTOINFO_TCP_WSCALE_REPLY, 7);
    b.nest_end(tcp);
    b.nest_end(pi);
  }
  if (e.mark) b.put_u32_be(uapi::CTA_MARK, 0);
  b.put_u32_be(uapi::CTA_USE, 1);
  EXPECT_TRUE(b.end_msg());
  return {buf, buf + b.size()};
}

Ev v4(const char* s, const char* d) {
  Ev e;
  e.osrc = s;
  e.odst = d;
  return e;
}
Ev v6(const char* s, const char* d) {
  Ev e;
  e.family = AF_INET6;
  e.osrc = s;
  e.odst = d;
  return e;
}
Ev proto(uint8_t p) {
  Ev e;
  e.proto = p;
  e.tcp_state = p == 6 ? 3 : -1;
  return e;
}
Ev state(int s) {
  Ev e;
  e.tcp_state = s;
  return e;
}

std::vector<uint8_t> bare(uint16_t type, size_t payload = 4) {
  std::vector<uint8_t> m(16 + payload, 0);
  uint32_t len = static_cast<uint32_t>(m.size());
  std::memcpy(&m[0], &len, 4);
  std::memcpy(&m[4], &type, 2);
  return m;
}

// ---- tests ----------------------------------------------------------------

TEST(FilterBpf, MessagesOtherThanConntrackPassUntouched) {
  auto p = program("Protocol Accept { UDP } Address Accept { IPv4_address 1.1.1.1 }");
  EXPECT_EQ(run(p, event(Ev{})), kDropped);  // a TCP conntrack event is filtered
  EXPECT_EQ(run(p, bare(3)), kPassed);              // NLMSG_DONE
  EXPECT_EQ(run(p, bare(2, 20)), kPassed);          // NLMSG_ERROR
  EXPECT_EQ(run(p, bare(0x0200 | 0)), kPassed);     // ctnetlink_exp NEW
  EXPECT_EQ(run(p, bare(0x0c00 | 0)), kPassed);     // another nfnetlink subsystem
  // Any ctnetlink message type goes through the blocks, not only NEW/DELETE.
  EXPECT_EQ(run(p, bare(0x0100 | 4)), kPassed);     // no attributes: nothing to say
}

TEST(FilterBpf, NoSetsMeansAcceptEverything) {
  auto p = program("Protocol Accept { }");
  ASSERT_EQ(p.size(), 5u);  // the subsystem check and a final accept
  EXPECT_EQ(run(p, event(Ev{})), kPassed);
}

TEST(FilterBpf, ProtocolAcceptAndIgnore) {
  auto acc = program("Protocol Accept { TCP sctp }");
  EXPECT_EQ(run(acc, event(proto(6))), kPassed);
  EXPECT_EQ(run(acc, event(proto(132))), kPassed);
  EXPECT_EQ(run(acc, event(proto(17))), kDropped);
  auto ign = program("Protocol Ignore { UDP }");
  EXPECT_EQ(run(ign, event(proto(17))), kDropped);
  EXPECT_EQ(run(ign, event(proto(6))), kPassed);
  EXPECT_EQ(run(ign, event(proto(1))), kPassed);
}

TEST(FilterBpf, OneIgnoreBlockMakesTheKernelLogicNegativeForGood) {
  // Userspace: the last block's logic wins (Accept).  Kernel: NEGATIVE
  // stays, applied to every listed protocol.
  const ctd::Config* c = parse("Protocol Ignore { UDP } Protocol Accept { TCP }");
  EXPECT_EQ(c->filter.proto_logic, ctd::FilterLogic::kAccept);
  EXPECT_TRUE(c->filter.kernel.proto_negative);
  auto p = program("Protocol Ignore { UDP } Protocol Accept { TCP }");
  EXPECT_EQ(run(p, event(proto(6))), kDropped);
  EXPECT_EQ(run(p, event(proto(17))), kDropped);
  EXPECT_EQ(run(p, event(proto(1))), kPassed);
}

TEST(FilterBpf, Ipv4HostsAndNetworksIgnore) {
  auto p = program("Address Ignore { IPv4_address 192.168.1.1 IPv4_address 10.1.0.0/16 }");
  EXPECT_EQ(run(p, event(v4("192.168.1.1", "8.8.8.8"))), kDropped);
  EXPECT_EQ(run(p, event(v4("8.8.8.8", "192.168.1.1"))), kDropped);  // orig destination
  EXPECT_EQ(run(p, event(v4("10.1.200.3", "8.8.8.8"))), kDropped);
  EXPECT_EQ(run(p, event(v4("8.8.4.4", "10.1.0.9"))), kDropped);
  EXPECT_EQ(run(p, event(v4("192.168.1.2", "10.2.0.1"))), kPassed);
  // The reply tuple is not looked at (userspace looks at its source).
  Ev nat = v4("8.8.4.4", "8.8.8.8");
  nat.rsrc = "192.168.1.1";
  EXPECT_EQ(run(p, event(nat)), kPassed);
}

TEST(FilterBpf, Ipv4AcceptNeedsBothOriginalEndsListed) {
  auto p = program("Address Accept { IPv4_address 10.0.0.0/8 IPv4_address 192.168.1.1 }");
  EXPECT_EQ(run(p, event(v4("10.0.0.1", "10.9.9.9"))), kPassed);
  EXPECT_EQ(run(p, event(v4("192.168.1.1", "10.0.0.5"))), kPassed);
  EXPECT_EQ(run(p, event(v4("10.0.0.1", "8.8.8.8"))), kDropped);
  EXPECT_EQ(run(p, event(v4("8.8.8.8", "10.0.0.1"))), kDropped);
  EXPECT_EQ(run(p, event(v4("192.168.1.2", "192.168.1.1"))), kDropped);
}

TEST(FilterBpf, Ipv4BlocksOnIpv6Events) {
  // The IPv4 source is searched for after the IPv6 addresses over the rest
  // of the message and never found: the block passes.  The IPv4
  // destination (type 2) finds CTA_TUPLE_PROTO instead and compares its
  // first word, the CTA_PROTO_NUM header 05 00 01 00 (5.0.1.0).
  auto acc = program("Address Accept { IPv4_address 10.0.0.0/8 }");
  EXPECT_EQ(run(acc, event(v6("fd00::1", "fd00::2"))), kDropped);
  auto quirk = program("Address Accept { IPv4_address 5.0.1.0 }");
  EXPECT_EQ(run(quirk, event(v6("fd00::1", "fd00::2"))), kPassed);
  auto ign = program("Address Ignore { IPv4_address 10.0.0.0/8 }");
  EXPECT_EQ(run(ign, event(v6("fd00::1", "fd00::2"))), kPassed);
  auto ign5 = program("Address Ignore { IPv4_address 5.0.0.0/8 }");
  EXPECT_EQ(run(ign5, event(v6("fd00::1", "fd00::2"))), kDropped);
}

TEST(FilterBpf, Ipv6HostsAndNetworks) {
  auto ign = program("Address Ignore { IPv6_address fd00::1 IPv6_address 2001:db8::/32 }");
  EXPECT_EQ(run(ign, event(v6("fd00::1", "fe80::9"))), kDropped);
  EXPECT_EQ(run(ign, event(v6("fe80::9", "fd00::1"))), kDropped);
  // The second entry is tried after the first one's leading words differ
  // (libnetfilter_conntrack >= 1.1.0; Debian's 1.0.9 stops there).
  EXPECT_EQ(run(ign, event(v6("2001:db8:ffff::7", "fe80::9"))), kDropped);
  EXPECT_EQ(run(ign, event(v6("fd00::2", "2001:db9::1"))), kPassed);
  // IPv4 events lack the IPv6 attributes inside CTA_TUPLE_IP: pass.
  EXPECT_EQ(run(ign, event(v4("10.0.0.1", "10.0.0.2"))), kPassed);

  auto acc = program("Address Accept { IPv6_address fd00::/16 }");
  EXPECT_EQ(run(acc, event(v6("fd00::1", "fd00:0:1::2"))), kPassed);
  EXPECT_EQ(run(acc, event(v6("fd00::1", "fd01::2"))), kDropped);
  EXPECT_EQ(run(acc, event(v4("10.0.0.1", "10.0.0.2"))), kPassed);
  auto mid = program("Address Accept { IPv6_address 2001:db8:1:2:3::/80 }");
  EXPECT_EQ(run(mid, event(v6("2001:db8:1:2:3:0:ffff:1", "2001:db8:1:2:3:0:1:1"))), kPassed);
  EXPECT_EQ(run(mid, event(v6("2001:db8:1:2:3:1::1", "2001:db8:1:2:3::1"))), kPassed);
  EXPECT_EQ(run(mid, event(v6("2001:db8:1:2:4::1", "2001:db8:1:2:3::1"))), kDropped);
}

TEST(FilterBpf, TcpStateAcceptAndIgnore) {
  auto acc = program("State Accept { ESTABLISHED for TCP SYN_SENT for TCP }");
  EXPECT_EQ(run(acc, event(state(3))), kPassed);
  EXPECT_EQ(run(acc, event(state(1))), kPassed);
  EXPECT_EQ(run(acc, event(state(7))), kDropped);
  // No CTA_PROTOINFO (UDP, or a TCP update without it): pass.
  EXPECT_EQ(run(acc, event(proto(17))), kPassed);
  EXPECT_EQ(run(acc, event(state(-1))), kPassed);
  auto ign = program("State Ignore { TIME_WAIT CLOSE for TCP }");
  EXPECT_EQ(run(ign, event(state(7))), kDropped);
  EXPECT_EQ(run(ign, event(state(8))), kDropped);
  EXPECT_EQ(run(ign, event(state(3))), kPassed);
}

TEST(FilterBpf, EventsLackingAnAttributePassThatBlock) {
  auto p = program(
      "Protocol Accept { UDP } Address Accept { IPv4_address 1.1.1.1 IPv6_address ::1 } "
      "State Accept { CLOSE for TCP }");
  Ev e;  // TCP, ESTABLISHED, 10.0.0.1 -> 10.0.0.2: fails every block
  EXPECT_EQ(run(p, event(e)), kDropped);
  e.orig = false;  // no original tuple: protocol and address blocks pass
  e.tcp_state = -1;
  EXPECT_EQ(run(p, event(e)), kPassed);
  Ev f;
  f.tcp_state = -1;
  f.osrc = f.odst = "1.1.1.1";
  EXPECT_EQ(run(p, event(f)), kDropped);  // TCP is not accepted
  // "Missing" means nothing of that type follows at that level: without
  // CTA_TUPLE_PROTO in the original tuple the search runs on into
  // CTA_TUPLE_REPLY (type 2 as well), and the byte read as the protocol is
  // the length (8) of the reply's first address attribute.
  f.orig_proto = false;
  EXPECT_EQ(run(p, event(f)), kDropped);
  EXPECT_EQ(run(program("Protocol Accept { egp }"), event(f)), kPassed);  // egp is 8
  Ev g = proto(17);
  g.orig_ip = false;  // CTA_TUPLE_IP missing: both address blocks pass
  EXPECT_EQ(run(p, event(g)), kPassed);
}

TEST(FilterBpf, BlocksCombine) {
  auto p = program("Protocol Ignore { UDP } Address Ignore { IPv4_address 10.9.0.0/16 } "
                   "State Ignore { SYN_SENT for TCP }");
  EXPECT_EQ(run(p, event(v4("10.0.0.1", "10.0.0.2"))), kPassed);
  EXPECT_EQ(run(p, event(v4("10.9.0.1", "10.0.0.2"))), kDropped);
  Ev e = state(1);
  EXPECT_EQ(run(p, event(e)), kDropped);
  EXPECT_EQ(run(p, event(proto(17))), kDropped);
}

TEST(FilterBpf, PoolLimitsAndRepeatsAsUpstream) {
  std::string many;
  for (int i = 0; i < 130; i++) many += "IPv4_address 10.0." + std::to_string(i) + ".1 ";
  for (int i = 0; i < 22; i++) many += "IPv6_address fd00::" + std::to_string(i + 1) + " ";
  many += "IPv4_address 10.0.0.1 IPv6_address fd00::1";  // repeats
  const ctd::Config* c = parse("Address Ignore { " + many + " }");
  const ctd::KernelFilterSets& k = c->filter.kernel;
  EXPECT_EQ(k.nv4, 127);  // the rest are dropped silently
  EXPECT_EQ(k.nv6, 20);
  EXPECT_TRUE(k.addr_negative);
  EXPECT_EQ(c->filter.naddrs, 152);  // userspace keeps them all, once each

  const ctd::Config* r = parse("Address Accept { IPv4_address 1.2.3.4 IPv4_address 1.2.3.4/32 "
                               "IPv4_address 1.2.3.4 IPv4_address 1.2.3.4/33 "
                               "IPv4_address 08.1.1.1 }");
  EXPECT_EQ(r->filter.kernel.nv4, 3);  // repeats kept, invalid ones not
  EXPECT_FALSE(r->filter.kernel.addr_negative);

  std::string protos;
  for (int i = 0; i < 255; i++) protos += "UDP ";
  const ctd::Config* q = parse("Protocol Accept { " + protos + " TCP mptcp }");
  EXPECT_TRUE(q->filter.kernel.has_proto(17));
  EXPECT_FALSE(q->filter.kernel.has_proto(6));  // after 255 additions
  EXPECT_TRUE(q->filter.has_proto(6));
  if (ctd::protocol_by_name("mptcp") == 262) {
    const ctd::Config* m = parse("Protocol Accept { mptcp }");
    EXPECT_TRUE(m->filter.kernel.has_proto(262));  // compared, never equal to a byte
    EXPECT_FALSE(m->filter.has_proto(262 & 0xff));
    EXPECT_EQ(run(program("Protocol Accept { mptcp }"), event(Ev{})), kDropped);
  }
}

TEST(FilterBpf, LargestProgramFitsAndLongJumpsWrapLikeUpstream) {
  std::string body = "Protocol Ignore {";
  for (const char* p : {"tcp", "udp", "icmp", "sctp", "gre", "esp", "ah", "dccp"})
    body += std::string(" ") + p;
  body += " } Address Ignore {";
  for (int i = 0; i < 127; i++) body += " IPv4_address 10.0." + std::to_string(i) + ".0/24";
  for (int i = 0; i < 20; i++) body += " IPv6_address fd00:" + std::to_string(i + 1) + "::/32";
  body += " } State Ignore { SYN_SENT SYN_RECV ESTABLISHED FIN_WAIT CLOSE_WAIT LAST_ACK "
          "TIME_WAIT CLOSE LISTEN for TCP }";
  auto p = program(body);
  EXPECT_LT(p.size(), ctd::kFilterBpfMax);
  // The IPv4 blocks are 394 instructions long: their "attribute missing"
  // jumps wrap modulo 256 exactly as libnetfilter_conntrack's do, and
  // still land inside the program (the kernel accepts it).
  EXPECT_EQ(p[4 + 24 + 3].code, kJeqK);
  EXPECT_EQ(p[4 + 24 + 3].jt, static_cast<uint8_t>(13 + 3 * 127 + 2 - 3 - 1));
  run(p, event(Ev{}));  // validates the jumps
  std::vector<Insn> small(16);
  EXPECT_EQ(ctd::filter_bpf_build(parse(body)->filter, small.data(), small.size()), 0u);
}

}  // namespace
