// The v1 sync codec against upstream's bytes (spec conntrackd.md §3.9) and
// every receive-side rejection.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "ct_uapi.h"
#include "sync/codec.h"

using ct::F;
using namespace ctsync;

namespace {

std::vector<uint8_t> hex(const char* s) {
  std::vector<uint8_t> v;
  int hi = -1;
  for (; *s; s++) {
    int d;
    if (*s >= '0' && *s <= '9') d = *s - '0';
    else if (*s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
    else continue;
    if (hi < 0) hi = d;
    else { v.push_back(static_cast<uint8_t>(hi << 4 | d)); hi = -1; }
  }
  return v;
}

void v4(ct::Addr* a, const char* s) { inet_pton(AF_INET, s, a->b); }

// The captured TCP flow: 192.168.1.10:40000 -> 192.168.1.20:80,
// ESTABLISHED, ASSURED|CONFIRMED, timeout 300, mark 7, zero synproxy.
ct::Flow tcp_flow() {
  ct::Flow f;
  f.family = AF_INET;
  ct::Tuple& o = f.tuple[ct::kDirOrig];
  o.l3 = AF_INET;
  o.l4 = 6;
  v4(&o.src, "192.168.1.10");
  v4(&o.dst, "192.168.1.20");
  o.sport = 40000;
  o.dport = 80;
  for (F x : {F::kOrigL3, F::kOrigL4, F::kOrigSrc, F::kOrigDst, F::kOrigPortSrc, F::kOrigPortDst})
    f.set.set(x);
  ct::Tuple& r = f.tuple[ct::kDirRepl];
  r = o;
  r.src = o.dst;
  r.dst = o.src;
  r.sport = 80;
  r.dport = 40000;
  for (F x : {F::kReplL3, F::kReplL4, F::kReplSrc, F::kReplDst, F::kReplPortSrc, F::kReplPortDst})
    f.set.set(x);
  f.status = 0xc;
  f.timeout = 300;
  f.mark = 7;
  f.tcp_state = 3;
  for (F x : {F::kStatus, F::kTimeout, F::kMark, F::kTcpState, F::kSynproxyIsn, F::kSynproxyIts,
              F::kSynproxyTsoff})
    f.set.set(x);
  return f;
}

MsgView view_of(const std::vector<uint8_t>& b) {
  size_t off = 0;
  MsgView m;
  EXPECT_EQ(next_message(b, &off, &m, false), WalkResult::kOk);
  return m;
}

}  // namespace

TEST(SyncCodec, CapturedTcpNewIsByteExact) {
  uint8_t buf[4096];
  const size_t n = encode_ct(buf, kMsgCtNew, tcp_flow(), EncodeOpts{});
  msg_set_seq({buf, n}, 0x6b05d69e);
  const auto want = hex(
      "10000054 6b05d69e 000c0000 c0a8010a c0a80114 00080005 0000000c 00050002 06000000"
      "00080003 9c400050 00050004 03000000 00080006 0000012c 00080007 00000007"
      "0010001f 00000000 00000000 00000000");
  ASSERT_EQ(n, want.size());
  EXPECT_EQ(std::memcmp(buf, want.data(), n), 0);
}

TEST(SyncCodec, CommitTimeoutOmitsTimeout) {
  uint8_t buf[4096];
  EncodeOpts o;
  o.send_timeout = false;
  const size_t n = encode_ct(buf, kMsgCtUpd, tcp_flow(), o);
  EXPECT_EQ(n, 84u - 8u);
  EXPECT_EQ(buf[0], 0x11);
}

TEST(SyncCodec, SnatAfterMark) {
  ct::Flow f = tcp_flow();
  f.status = 0x19e;
  v4(&f.tuple[ct::kDirRepl].dst, "198.51.100.1");
  uint8_t buf[4096];
  const size_t n = encode_ct(buf, kMsgCtNew, f, EncodeOpts{});
  const auto snat = hex("0008000c c6336401");
  // right after MARK (which ends at byte 68), before SYNPROXY
  ASSERT_EQ(n, 92u);
  EXPECT_EQ(std::memcmp(buf + 68, snat.data(), snat.size()), 0);
  // and it comes back as the NAT mapping, rebuilt into the reply tuple
  std::vector<uint8_t> b(buf, buf + n);
  ct::Flow g;
  DecodeScratch s;
  ASSERT_EQ(decode_ct(view_of(b), &g, &s), DropReason::kNone);
  ASSERT_TRUE(g.has(F::kSnatIp));
  EXPECT_FALSE(g.has(F::kReplSrc));
  flow_setup_reply(&g);
  EXPECT_EQ(g.repl().dst, f.repl().dst);
  EXPECT_EQ(g.repl().src, f.orig().dst);
  EXPECT_EQ(g.repl().sport, 80);
  EXPECT_EQ(g.repl().dport, 40000);
}

TEST(SyncCodec, IcmpEchoHasNoPort) {
  ct::Flow f;
  f.family = AF_INET;
  ct::Tuple& o = f.tuple[ct::kDirOrig];
  o.l3 = AF_INET;
  o.l4 = 1;
  v4(&o.src, "10.1.1.5");
  v4(&o.dst, "203.0.113.9");
  o.icmp_type = 8;
  o.icmp_id = 77;
  for (F x : {F::kOrigL3, F::kOrigL4, F::kOrigSrc, F::kOrigDst, F::kOrigIcmpType, F::kOrigIcmpCode,
              F::kOrigIcmpId})
    f.set.set(x);
  uint8_t buf[512];
  const size_t n = encode_ct(buf, kMsgCtNew, f, EncodeOpts{});
  // id 77 goes little-endian, as Debian's 1.4.7 sends it (captured); the
  // spec's capture shows 004d, but Debian's daemon reads that as 19712.
  const auto want = hex("00050016 08000000 00050017 00000000 00060018 4d000000");
  ASSERT_EQ(n, 8u + 12 + 8 + 8 + want.size());
  EXPECT_EQ(std::memcmp(buf + 36, want.data(), want.size()), 0);
  std::vector<uint8_t> b(buf, buf + n);
  ct::Flow g;
  DecodeScratch s;
  ASSERT_EQ(decode_ct(view_of(b), &g, &s), DropReason::kNone);
  EXPECT_EQ(g.orig().icmp_id, 77);
  flow_setup_reply(&g);
  EXPECT_EQ(g.repl().icmp_type, 0);
}

TEST(SyncCodec, ControlMessages) {
  uint8_t buf[16];
  size_t n = encode_ctl(buf, kFlagResync | kFlagHello, 0, 0);
  msg_set_seq({buf, n}, 0x6b05d696);
  auto want = hex("1a220010 6b05d696 00000000 00000000");
  ASSERT_EQ(n, 16u);
  EXPECT_EQ(std::memcmp(buf, want.data(), 16), 0);
  n = encode_ctl(buf, kFlagAck | kFlagHello | kFlagHelloBack, 0x6b05d696, 0x6b05d696);
  msg_set_seq({buf, n}, 0x6b05d697);
  want = hex("1a680010 6b05d697 6b05d696 6b05d696");
  EXPECT_EQ(std::memcmp(buf, want.data(), 16), 0);
  n = encode_ctl(buf, kFlagAlive, 0, 0);
  EXPECT_EQ(n, 8u);
  EXPECT_EQ(buf[1], kFlagAlive);
  std::vector<uint8_t> b(buf, buf + n);
  EXPECT_TRUE(is_alive(view_of(b)));
}

TEST(SyncCodec, RoundTripEveryAttribute) {
  ct::Flow f = tcp_flow();
  f.zone = 9;
  f.set.set(F::kZone);
  f.helper = "ftp";
  f.set.set(F::kHelper);
  static const uint8_t labels[8] = {0x01, 0, 0, 0x80, 0, 0x02, 0, 0};
  f.labels = labels;
  f.labels_len = 8;
  f.set.set(F::kLabels);
  ct::Tuple& m = f.tuple[ct::kDirMaster];
  m = f.orig();
  m.sport = 21;
  for (F x : {F::kMasterL3, F::kMasterL4, F::kMasterSrc, F::kMasterDst, F::kMasterPortSrc, F::kMasterPortDst})
    f.set.set(x);
  for (int d = 0; d < 2; d++) f.seq_adj[d] = {uint32_t(10 + d), uint32_t(20 + d), uint32_t(30 + d)};
  for (F x : {F::kOrigSeqCorrPos, F::kOrigSeqOffBefore, F::kOrigSeqOffAfter, F::kReplSeqCorrPos,
              F::kReplSeqOffBefore, F::kReplSeqOffAfter})
    f.set.set(x);
  EncodeOpts o;
  o.tcp_window_tracking = true;
  f.tcp_wscale[0] = 7;
  f.tcp_wscale[1] = 8;
  uint8_t buf[4096];
  const size_t n = encode_ct(buf, kMsgCtUpd, f, o);
  ASSERT_GT(n, 0u);
  std::vector<uint8_t> b(buf, buf + n);
  ct::Flow g;
  DecodeScratch s;
  ASSERT_EQ(decode_ct(view_of(b), &g, &s), DropReason::kNone);
  EXPECT_EQ(g.zone, 9);
  EXPECT_EQ(g.helper, "ftp");
  ASSERT_EQ(g.labels_len, 8);
  EXPECT_EQ(std::memcmp(g.labels, labels, 8), 0);
  EXPECT_EQ(g.tuple[ct::kDirMaster].sport, 21);
  EXPECT_EQ(g.seq_adj[1].offset_after, 31u);
  EXPECT_EQ(g.tcp_wscale[1], 8);
  EXPECT_EQ(g.mark, 7u);
  EXPECT_EQ(g.orig().sport, 40000);
  // and encoding the decoded flow gives the same bytes
  uint8_t again[4096];
  ASSERT_EQ(encode_ct(again, kMsgCtUpd, g, o), n);
  EXPECT_EQ(std::memcmp(again, buf, n), 0);
}

TEST(SyncCodec, Ipv6AndExpectationRoundTrip) {
  ct::Expect e;
  ct::Tuple& m = e.tuples.tuple[ct::kExpMaster];
  m.l3 = AF_INET6;
  m.l4 = 6;
  inet_pton(AF_INET6, "2001:db8::1", m.src.b);
  inet_pton(AF_INET6, "2001:db8::2", m.dst.b);
  m.sport = 1111;
  m.dport = 21;
  e.tuples.tuple[ct::kExpExpected] = m;
  e.tuples.tuple[ct::kExpMask] = m;
  for (ct::Dir d : {ct::kExpMaster, ct::kExpExpected, ct::kExpMask})
    for (F x : {F::kOrigL3, F::kOrigSrc, F::kOrigDst, F::kOrigL4, F::kOrigPortSrc, F::kOrigPortDst})
      e.tuples.set.set(ct::tuple_field(d, x));
  e.set(ct::XA::kMaster);
  e.set(ct::XA::kExpected);
  e.set(ct::XA::kMask);
  e.timeout = 300;
  e.set(ct::XA::kTimeout);
  e.helper = "ftp";
  e.set(ct::XA::kHelper);
  uint8_t buf[4096];
  const size_t n = encode_exp(buf, kMsgExpNew, e, EncodeOpts{});
  ASSERT_GT(n, 0u);
  std::vector<uint8_t> b(buf, buf + n);
  ct::Expect g;
  DecodeScratch s;
  ASSERT_EQ(decode_exp(view_of(b), &g, &s), DropReason::kNone);
  EXPECT_EQ(g.tuple(ct::kExpMaster).dport, 21);
  EXPECT_EQ(g.tuple(ct::kExpExpected).src, m.src);
  EXPECT_EQ(g.helper, "ftp");
  EXPECT_EQ(g.timeout, 300u);
  EXPECT_EQ(g.family, AF_INET6);
}

TEST(SyncCodec, WalkRejectsAsUpstream) {
  MsgView m;
  size_t off = 0;
  auto b = hex("10000054");  // 4 bytes: truncated
  EXPECT_EQ(next_message(b, &off, &m, false), WalkResult::kStop);
  EXPECT_EQ(m.reason, DropReason::kTruncated);
  off = 0;
  EXPECT_EQ(next_message(b, &off, &m, true), WalkResult::kIncomplete);
  b = hex("10000000 00000001");  // len 0
  off = 0;
  EXPECT_EQ(next_message(b, &off, &m, false), WalkResult::kStop);
  EXPECT_EQ(m.reason, DropReason::kBadSize);
  b = hex("10000040 00000001");  // len beyond the data
  off = 0;
  EXPECT_EQ(next_message(b, &off, &m, false), WalkResult::kStop);
  EXPECT_EQ(m.reason, DropReason::kBadSize);
  b = hex("1a080008 00000001");  // an ACK of 8 bytes
  off = 0;
  EXPECT_EQ(next_message(b, &off, &m, false), WalkResult::kStop);
  EXPECT_EQ(m.reason, DropReason::kTruncated);
  b = hex("1a080008 00000001 00000000 00000000");  // ACK with len 8
  off = 0;
  EXPECT_EQ(next_message(b, &off, &m, false), WalkResult::kStop);
  EXPECT_EQ(m.reason, DropReason::kBadSize);
  b = hex("20000008 00000001 1a100008 00000002");  // version 2, then ALIVE
  off = 0;
  EXPECT_EQ(next_message(b, &off, &m, false), WalkResult::kSkip);
  EXPECT_EQ(m.reason, DropReason::kBadVersion);
  EXPECT_EQ(next_message(b, &off, &m, false), WalkResult::kOk);
  EXPECT_TRUE(is_alive(m));
  EXPECT_EQ(m.seq, 2u);
}

TEST(SyncCodec, DecodeRejectsBadAttributes) {
  const char* base = "000c0000 c0a8010a c0a80114 00050002 06000000";
  struct Case {
    const char* tail;
    DropReason want;
  } cases[] = {
      {"0008 0028 00000000", DropReason::kUnknownAttr},       // id 40
      {"0009 0007 00000000 00000000", DropReason::kAttrSize},  // MARK of 5 bytes
      {"0010 0007 00000000", DropReason::kAttrOverrun},        // beyond the message
      {"0002 0007 00000000", DropReason::kAttrOverrun},        // below its header
      {"0015 001b 41414141 41414141 41414141 41414141 41000000", DropReason::kAttrSize},  // helper of 17
  };
  for (const Case& c : cases) {
    std::string h = std::string(base) + c.tail;
    auto body = hex(h.c_str());
    std::vector<uint8_t> b = hex("10000000 00000001");
    b.insert(b.end(), body.begin(), body.end());
    b[2] = static_cast<uint8_t>(b.size() >> 8);
    b[3] = static_cast<uint8_t>(b.size());
    ct::Flow g;
    DecodeScratch s;
    EXPECT_EQ(decode_ct(view_of(b), &g, &s), c.want) << c.tail;
    EXPECT_EQ(upstream_counter(c.want), UpstreamCounter::kBadPayload);
  }
  // No address: nothing to key on.
  auto b = hex("10000010 00000001 00050002 06000000");
  ct::Flow g;
  DecodeScratch s;
  EXPECT_EQ(decode_ct(view_of(b), &g, &s), DropReason::kMissingAttr);
}

TEST(SyncCodec, EveryTruncationAndRandomBytesAreSafe) {
  uint8_t buf[4096];
  const size_t n = encode_ct(buf, kMsgCtNew, tcp_flow(), EncodeOpts{});
  for (size_t k = 0; k <= n; k++) {
    std::vector<uint8_t> b(buf, buf + k);
    size_t off = 0;
    MsgView m;
    int steps = 0, whole = 0;
    while (off < b.size() && steps++ < 100) {
      WalkResult r = next_message(b, &off, &m, false);
      if (r != WalkResult::kOk) continue;
      ct::Flow g;
      DecodeScratch s;
      EXPECT_EQ(decode_ct(m, &g, &s), DropReason::kNone);
      whole++;
    }
    EXPECT_EQ(whole, k == n ? 1 : 0) << k;
  }
  std::mt19937 rng(12345);
  for (int i = 0; i < 20000; i++) {
    std::vector<uint8_t> b(8 + rng() % 200);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    b[0] = static_cast<uint8_t>(0x10 | (rng() % 6));
    b[2] = 0;
    b[3] = static_cast<uint8_t>(b.size() & 0xfc);
    size_t off = 0;
    MsgView m;
    for (int steps = 0; off < b.size() && steps < 100; steps++) {
      if (next_message(b, &off, &m, false) != WalkResult::kOk) continue;
      ct::Flow g;
      ct::Expect e;
      DecodeScratch s;
      if (m.type <= kMsgCtDel) decode_ct(m, &g, &s);
      else decode_exp(m, &e, &s);
    }
  }
}
