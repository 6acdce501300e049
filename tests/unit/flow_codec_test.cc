// Flow -> ctnetlink -> Flow round trips, and the parser's behaviour on
// every truncation of a valid message.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cstring>
#include <vector>

#include "ct/flow_build.h"
#include "ct/flow_parse.h"
#include "ct_uapi.h"

namespace {

using ct::F;

ct::Flow make_tcp_flow() {
  ct::Flow f;
  for (ct::Dir d : {ct::kDirOrig, ct::kDirRepl}) {
    ct::Tuple& t = f.tuple[d];
    t.l3 = uapi::kAfInet;
    t.l4 = uapi::kIpprotoTcp;
    inet_pton(AF_INET, d == ct::kDirOrig ? "10.0.0.1" : "10.0.0.2", t.src.b);
    inet_pton(AF_INET, d == ct::kDirOrig ? "10.0.0.2" : "10.0.0.1", t.dst.b);
    t.sport = d == ct::kDirOrig ? 1234 : 80;
    t.dport = d == ct::kDirOrig ? 80 : 1234;
    for (F base : {F::kOrigL3, F::kOrigSrc, F::kOrigDst, F::kOrigL4, F::kOrigPortSrc, F::kOrigPortDst})
      f.set.set(ct::tuple_field(d, base));
  }
  f.tuple[ct::kDirOrig].zone = 7;
  f.set.set(F::kOrigZone);
  f.timeout = 100;
  f.set.set(F::kTimeout);
  f.mark = 0xdeadbeef;
  f.set.set(F::kMark);
  f.status = uapi::kIpsAssured | uapi::kIpsSeenReply;
  f.set.set(F::kStatus);
  f.tcp_state = uapi::kTcpEstablished;
  f.set.set(F::kTcpState);
  f.tcp_flags[0] = 0x0a;
  f.tcp_mask[0] = 0x0a;
  f.set.set(F::kTcpFlagsOrig);
  f.set.set(F::kTcpMaskOrig);
  f.zone = 3;
  f.set.set(F::kZone);
  return f;
}

std::vector<uint8_t> payload_of(const ct::Flow& f) {
  static uint8_t buf[1024];
  nl::MsgBuilder b(buf, sizeof buf);
  EXPECT_TRUE(ct::build_ct_new(b, f, 0, 1));
  return std::vector<uint8_t>(buf + 16, buf + b.size());
}

TEST(FlowCodec, TcpRoundTrip) {
  ct::Flow in = make_tcp_flow();
  std::vector<uint8_t> p = payload_of(in);
  ct::Flow out;
  ASSERT_TRUE(ct::flow_parse(p, out));
  EXPECT_EQ(out.family, uapi::kAfInet);
  EXPECT_TRUE(out.has(F::kOrigSrc));
  EXPECT_TRUE(out.orig().src == in.orig().src);
  EXPECT_TRUE(out.repl().dst == in.repl().dst);
  EXPECT_EQ(out.orig().sport, 1234);
  EXPECT_EQ(out.repl().sport, 80);
  EXPECT_EQ(out.orig().zone, 7);
  EXPECT_TRUE(out.has(F::kOrigZone));
  EXPECT_FALSE(out.has(F::kReplZone));
  EXPECT_EQ(out.timeout, 100u);
  EXPECT_EQ(out.mark, 0xdeadbeefu);
  // Requests always carry CONFIRMED, as upstream's do.
  EXPECT_EQ(out.status, in.status | uapi::kIpsConfirmed);
  EXPECT_EQ(out.tcp_state, uapi::kTcpEstablished);
  EXPECT_EQ(out.tcp_flags[0], 0x0a);
  EXPECT_EQ(out.zone, 3);
  EXPECT_FALSE(out.has(F::kOrigPackets));
  EXPECT_FALSE(out.has(F::kSctpState));
}

TEST(FlowCodec, Icmpv6AndUnknownProtocol) {
  ct::Flow in;
  ct::Tuple& t = in.tuple[ct::kDirOrig];
  t.l3 = uapi::kAfInet6;
  t.l4 = uapi::kIpprotoIcmpv6;
  inet_pton(AF_INET6, "2001:db8::1", t.src.b);
  inet_pton(AF_INET6, "::1", t.dst.b);
  t.icmp_type = 128;
  t.icmp_code = 0;
  t.icmp_id = 4242;
  for (F f : {F::kOrigL3, F::kOrigSrc, F::kOrigDst, F::kOrigL4, F::kOrigIcmpType, F::kOrigIcmpCode, F::kOrigIcmpId})
    in.set.set(f);
  std::vector<uint8_t> p = payload_of(in);
  ct::Flow out;
  ASSERT_TRUE(ct::flow_parse(p, out));
  EXPECT_EQ(out.family, uapi::kAfInet6);
  EXPECT_EQ(out.orig().icmp_type, 128);
  EXPECT_EQ(out.orig().icmp_id, 4242);
  EXPECT_TRUE(out.orig().src == t.src);
  EXPECT_FALSE(out.has(F::kOrigPortSrc));
}

// Every prefix of a valid message: parsing may fail but must stay inside
// the bytes it was given (run under ASan/valgrind to see a violation).
TEST(FlowCodec, EveryTruncationIsSafe) {
  std::vector<uint8_t> p = payload_of(make_tcp_flow());
  for (size_t n = 0; n < p.size(); ++n) {
    std::vector<uint8_t> cut(p.begin(), p.begin() + static_cast<long>(n));
    ct::Flow out;
    bool ok = ct::flow_parse(cut, out);
    if (n < 4) {
      EXPECT_FALSE(ok) << n;
    }
  }
}

TEST(FlowCodec, CorruptedLengthsAreRejected) {
  std::vector<uint8_t> p = payload_of(make_tcp_flow());
  int rejected = 0;
  // Overwrite each 16-bit position with a huge length.
  for (size_t i = 4; i + 1 < p.size(); i += 2) {
    std::vector<uint8_t> bad = p;
    bad[i] = 0xff;
    bad[i + 1] = 0x7f;
    ct::Flow out;
    if (!ct::flow_parse(bad, out)) ++rejected;
  }
  EXPECT_GT(rejected, 0);
}

TEST(FlowCodec, WrongSizedScalarIsMalformed) {
  // nfgenmsg + CTA_TIMEOUT with a 2-byte payload.
  std::vector<uint8_t> p = {2, 0, 0, 0, 6, 0, uapi::CTA_TIMEOUT, 0, 1, 2, 0, 0};
  ct::Flow out;
  EXPECT_FALSE(ct::flow_parse(p, out));
}

}  // namespace
