// Expectations: parse kernel-shaped messages, print them as upstream does
// (the expected strings were captured from conntrack 1.4.7 on kernel 6.18,
// FTP helper on loopback), build requests and parse them back, and survive
// every truncation of a valid message.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cstring>
#include <list>
#include <span>
#include <string>
#include <vector>

#include "base/out_buf.h"
#include "ct/expect.h"
#include "ct/expect_build.h"
#include "ct/expect_parse.h"
#include "ct/expect_print.h"
#include "ct_uapi.h"
#include "netlink/attr.h"

namespace {

using namespace uapi;
using ct::F;
using ct::XA;

struct TupleSpec {
  const char* src;
  const char* dst;
  uint8_t l4;
  uint16_t sport, dport;
};

void put_tuple(nl::MsgBuilder& b, uint16_t type, int family, const TupleSpec& t) {
  size_t n = b.nest_start(type);
  size_t ip = b.nest_start(CTA_TUPLE_IP);
  uint8_t a[16];
  size_t alen = family == AF_INET ? 4 : 16;
  inet_pton(family, t.src, a);
  b.put(family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, a, alen);
  inet_pton(family, t.dst, a);
  b.put(family == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST, a, alen);
  b.nest_end(ip);
  size_t p = b.nest_start(CTA_TUPLE_PROTO);
  b.put_u8(CTA_PROTO_NUM, t.l4);
  b.put_u16_be(CTA_PROTO_SRC_PORT, t.sport);
  b.put_u16_be(CTA_PROTO_DST_PORT, t.dport);
  b.nest_end(p);
  b.nest_end(n);
}

struct MsgSpec {
  int family = AF_INET;
  uint8_t msg = kExpMsgNew;
  uint16_t flags = 0;
  TupleSpec master{"127.0.0.1", "127.0.0.1", 6, 36076, 2121};
  TupleSpec expected{"127.0.0.1", "127.0.0.1", 6, 0, 51210};
  TupleSpec mask{"255.255.255.255", "255.255.255.255", 6, 0, 65535};
  uint32_t timeout = 299;
  bool zone = false;
  uint32_t flag_bits = 0;
  bool has_flags = false;
};

// A message laid out as the kernel's ctnetlink_exp_fill_info() sends it.
std::vector<uint8_t> kernel_msg(const MsgSpec& s, std::vector<uint8_t>* whole = nullptr) {
  static uint8_t buf[2048];
  nl::MsgBuilder b(buf, sizeof buf);
  b.begin_nfmsg(kNfnlSubsysCtnetlinkExp, s.msg, s.flags, 1, static_cast<uint8_t>(s.family));
  put_tuple(b, CTA_EXPECT_TUPLE, s.family, s.expected);
  put_tuple(b, CTA_EXPECT_MASK, s.family, s.mask);
  put_tuple(b, CTA_EXPECT_MASTER, s.family, s.master);
  b.put_u32_be(CTA_EXPECT_TIMEOUT, s.timeout);
  b.put_u32_be(CTA_EXPECT_ID, 0x12345678);
  if (s.has_flags) b.put_u32_be(CTA_EXPECT_FLAGS, s.flag_bits);
  b.put_u32_be(CTA_EXPECT_CLASS, 0);
  if (s.zone) b.put_u16_be(CTA_EXPECT_ZONE, 7);
  b.put_str(CTA_EXPECT_HELP_NAME, "ftp");
  EXPECT_TRUE(b.end_msg());
  if (whole) whole->assign(buf, buf + b.size());
  return std::vector<uint8_t>(buf + 16, buf + b.size());
}

// A parsed Expect holds views into its message: the test's messages live
// until the end of the run.
std::span<const uint8_t> keep(std::vector<uint8_t> msg) {
  static std::list<std::vector<uint8_t>> kept;
  kept.push_back(std::move(msg));
  return kept.back();
}

std::string print(const ct::Expect& e, ct::OutFormat fmt, ct::MsgKind kind = ct::MsgKind::kList,
                  bool timestamp = false) {
  base::LineBuf<4096> line;
  ct::PrintOpts o;
  o.format = fmt;
  o.timestamp = timestamp;
  ct::expect_print(line, e, o, kind, 0);
  return std::string(line.view());
}

constexpr const char* kFtpText =
    "299 proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=51210 mask-src=255.255.255.255 "
    "mask-dst=255.255.255.255 sport=0 dport=65535 master-src=127.0.0.1 master-dst=127.0.0.1 "
    "sport=36076 dport=2121 class=0 helper=ftp";

TEST(Expect, ParsesKernelMessage) {
  std::vector<uint8_t> p = kernel_msg(MsgSpec{});
  ct::Expect e;
  ASSERT_TRUE(ct::expect_parse(p, e));
  EXPECT_EQ(e.family, AF_INET);
  EXPECT_TRUE(e.has(XA::kMaster) && e.has(XA::kExpected) && e.has(XA::kMask));
  EXPECT_TRUE(e.has(XA::kTimeout) && e.has(XA::kId) && e.has(XA::kClass) && e.has(XA::kHelper));
  EXPECT_FALSE(e.has(XA::kZone) || e.has(XA::kFlags) || e.has(XA::kNatTuple) || e.has(XA::kFn));
  EXPECT_EQ(e.timeout, 299u);
  EXPECT_EQ(e.id, 0x12345678u);
  EXPECT_EQ(e.helper, "ftp");
  EXPECT_EQ(e.tuple(ct::kExpMaster).sport, 36076);
  EXPECT_EQ(e.tuple(ct::kExpExpected).dport, 51210);
  EXPECT_EQ(e.tuple(ct::kExpMask).dport, 65535);
  EXPECT_EQ(e.tuple(ct::kExpMask).l3, AF_INET);
}

TEST(Expect, TextMatchesUpstream) {
  ct::Expect e;
  ASSERT_TRUE(ct::expect_parse(keep(kernel_msg(MsgSpec{})), e));
  EXPECT_EQ(print(e, ct::OutFormat::kText), kFtpText);
  // -o save has no expectation form upstream: the default line.
  EXPECT_EQ(print(e, ct::OutFormat::kSave), kFtpText);
  EXPECT_EQ(print(e, ct::OutFormat::kText, ct::MsgKind::kNew), std::string("    [NEW] ") + kFtpText);
  EXPECT_EQ(print(e, ct::OutFormat::kText, ct::MsgKind::kUpdate), std::string(" [UPDATE] ") + kFtpText);
  EXPECT_EQ(print(e, ct::OutFormat::kText, ct::MsgKind::kDestroy), std::string("[DESTROY] ") + kFtpText);
}

TEST(Expect, XmlMatchesUpstream) {
  ct::Expect e;
  ASSERT_TRUE(ct::expect_parse(keep(kernel_msg(MsgSpec{})), e));
  const std::string body =
      "<layer3 protonum=\"2\" protoname=\"ipv4\"><expected><src>127.0.0.1</src><dst>127.0.0.1</dst>"
      "</expected><mask><src>255.255.255.255</src><dst>255.255.255.255</dst></mask><master><src>"
      "127.0.0.1</src><dst>127.0.0.1</dst></master></layer3><layer4 protonum=\"6\" protoname=\"tcp\">"
      "<expected><sport>0</sport><dport>51210</dport></expected><mask><sport>0</sport><dport>65535"
      "</dport></mask><master><sport>36076</sport><dport>2121</dport></master></layer4><meta>"
      "<helper-name>ftp</helper-name><timeout>299</timeout><class>0</class></meta></flow>";
  EXPECT_EQ(print(e, ct::OutFormat::kXml), "<flow>" + body);
  EXPECT_EQ(print(e, ct::OutFormat::kXml, ct::MsgKind::kDestroy), "<flow type=\"destroy\">" + body);
  std::string with_when = print(e, ct::OutFormat::kXml, ct::MsgKind::kList, true);
  EXPECT_NE(with_when.find("<class>0</class><when><hour>"), std::string::npos);
  EXPECT_NE(with_when.find("</year></when></meta></flow>"), std::string::npos);
}

TEST(Expect, ZoneAndFlags) {
  MsgSpec s;
  s.zone = true;
  s.has_flags = true;
  s.flag_bits = kExpFPermanent | kExpFInactive | kExpFUserspace;
  ct::Expect e;
  ASSERT_TRUE(ct::expect_parse(keep(kernel_msg(s)), e));
  std::string t = print(e, ct::OutFormat::kText);
  EXPECT_NE(t.find("sport=36076 dport=2121 zone=7 PERMANENT,INACTIVE,USERSPACE class=0 helper=ftp"),
            std::string::npos) << t;
  std::string x = print(e, ct::OutFormat::kXml);
  EXPECT_NE(x.find("<class>0</class><zone>7</zone><permanent/><inactive/><userspace/></meta>"),
            std::string::npos) << x;
  // An unknown flag bit alone still ends the (empty) list with a space.
  s.flag_bits = 1u << 5;
  ASSERT_TRUE(ct::expect_parse(keep(kernel_msg(s)), e));
  t = print(e, ct::OutFormat::kText);
  EXPECT_NE(t.find("zone=7  class=0"), std::string::npos) << t;
  s.flag_bits = kExpFInactive;
  ASSERT_TRUE(ct::expect_parse(keep(kernel_msg(s)), e));
  t = print(e, ct::OutFormat::kText);
  EXPECT_NE(t.find("zone=7 INACTIVE class=0"), std::string::npos) << t;
}

TEST(Expect, Ipv6) {
  MsgSpec s;
  s.family = AF_INET6;
  s.master = {"::1", "::1", 6, 45684, 2121};
  s.expected = {"::1", "::1", 6, 0, 51300};
  s.mask = {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 6, 0, 65535};
  ct::Expect e;
  ASSERT_TRUE(ct::expect_parse(keep(kernel_msg(s)), e));
  EXPECT_EQ(print(e, ct::OutFormat::kText),
            "299 proto=6 src=::1 dst=::1 sport=0 dport=51300 "
            "mask-src=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
            "mask-dst=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff sport=0 dport=65535 "
            "master-src=::1 master-dst=::1 sport=45684 dport=2121 class=0 helper=ftp");
  EXPECT_EQ(print(e, ct::OutFormat::kXml).rfind("<flow><layer3 protonum=\"10\" protoname=\"ipv6\"><expected><src>::1</src>", 0), 0u);
}

// Upstream gives the tuples their L3 protocol crosswise (expected <- MASTER
// present, mask <- TUPLE, master <- MASK): without MASK the master prints
// no addresses, and the absent mask prints zero addresses and no ports.
TEST(Expect, CrosswiseL3Quirk) {
  static uint8_t buf[1024];
  nl::MsgBuilder b(buf, sizeof buf);
  b.begin_nfmsg(kNfnlSubsysCtnetlinkExp, kExpMsgNew, 0, 1, AF_INET);
  MsgSpec s;
  put_tuple(b, CTA_EXPECT_TUPLE, AF_INET, s.expected);
  put_tuple(b, CTA_EXPECT_MASTER, AF_INET, s.master);
  ASSERT_TRUE(b.end_msg());
  ct::Expect e;
  ASSERT_TRUE(ct::expect_parse(std::span<const uint8_t>(buf + 16, b.size() - 16), e));
  EXPECT_EQ(print(e, ct::OutFormat::kText),
            "proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=51210 mask-src=0.0.0.0 "
            "mask-dst=0.0.0.0 sport=36076 dport=2121");
}

TEST(Expect, EveryTruncationIsSafe) {
  std::vector<uint8_t> whole;
  MsgSpec s;
  s.zone = s.has_flags = true;
  std::vector<uint8_t> p = kernel_msg(s, &whole);
  ct::Expect e;
  for (size_t n = 0; n <= p.size(); ++n) {
    std::vector<uint8_t> cut(p.begin(), p.begin() + static_cast<long>(n));
    bool ok = ct::expect_parse(cut, e);
    if (n < 4) {
      EXPECT_FALSE(ok) << n;
    }
    if (ok) {
      base::LineBuf<4096> line;
      ct::expect_print(line, e, ct::PrintOpts{}, ct::MsgKind::kList, 0);
    }
  }
  // A nest whose length runs past the message is refused.
  std::vector<uint8_t> bad = p;
  bad[4] = 0xff;  // first attribute's length, low byte
  bad[5] = 0x0f;
  EXPECT_FALSE(ct::expect_parse(bad, e));
  // A u32 attribute of the wrong size is refused.
  static uint8_t buf[256];
  nl::MsgBuilder b(buf, sizeof buf);
  b.begin_nfmsg(kNfnlSubsysCtnetlinkExp, kExpMsgNew, 0, 1, AF_INET);
  b.put_u16_be(CTA_EXPECT_TIMEOUT, 5);
  ASSERT_TRUE(b.end_msg());
  EXPECT_FALSE(ct::expect_parse(std::span<const uint8_t>(buf + 16, b.size() - 16), e));
}

TEST(Expect, MsgKind) {
  NlMsgHdr h{};
  h.type = static_cast<uint16_t>(kNfnlSubsysCtnetlinkExp << 8 | kExpMsgNew);
  h.flags = kNlmFCreate | kNlmFExcl;
  EXPECT_EQ(ct::expect_msg_kind(h), ct::MsgKind::kNew);
  h.flags = 0;
  EXPECT_EQ(ct::expect_msg_kind(h), ct::MsgKind::kUpdate);
  h.type = static_cast<uint16_t>(kNfnlSubsysCtnetlinkExp << 8 | kExpMsgDelete);
  EXPECT_EQ(ct::expect_msg_kind(h), ct::MsgKind::kDestroy);
  h.type = static_cast<uint16_t>(kNfnlSubsysCtnetlink << 8 | kCtMsgNew);
  EXPECT_EQ(ct::expect_msg_kind(h), ct::MsgKind::kList);
}

void set_tuple(ct::Flow& f, ct::Dir d, int family, const char* src, const char* dst, uint8_t l4,
               uint16_t sport, uint16_t dport) {
  ct::Tuple& t = f.tuple[d];
  t.l3 = static_cast<uint8_t>(family);
  inet_pton(family, src, t.src.b);
  inet_pton(family, dst, t.dst.b);
  t.l4 = l4;
  t.sport = sport;
  t.dport = dport;
  for (F base : {F::kOrigL3, F::kOrigSrc, F::kOrigDst, F::kOrigL4, F::kOrigPortSrc, F::kOrigPortDst})
    f.set.set(ct::tuple_field(d, base));
}

TEST(Expect, CreateRequestRoundTrip) {
  ct::Flow master, expected, mask;
  set_tuple(master, ct::kDirOrig, AF_INET, "10.0.0.1", "10.0.0.2", 6, 1000, 21);
  set_tuple(expected, ct::kDirOrig, AF_INET, "10.0.0.1", "10.0.0.2", 6, 0, 5000);
  set_tuple(mask, ct::kDirOrig, AF_INET, "255.255.255.255", "255.255.255.255", 6, 0, 65535);
  static ct::Expect e;
  e.clear();
  ct::copy_tuple(master, ct::kDirOrig, e.tuples, ct::kExpMaster);
  ct::copy_tuple(expected, ct::kDirOrig, e.tuples, ct::kExpExpected);
  ct::copy_tuple(mask, ct::kDirOrig, e.tuples, ct::kExpMask);
  e.set(XA::kMaster);
  e.set(XA::kExpected);
  e.set(XA::kMask);
  e.timeout = 100;
  e.set(XA::kTimeout);
  static uint8_t buf[1024];
  nl::MsgBuilder b(buf, sizeof buf);
  ASSERT_TRUE(ct::build_exp_request(b, kExpMsgNew, kNlmFCreate | kNlmFAck | kNlmFExcl, 7, e));
  NlMsgHdr h;
  std::memcpy(&h, buf, sizeof h);
  EXPECT_EQ(h.type, kNfnlSubsysCtnetlinkExp << 8 | kExpMsgNew);
  EXPECT_EQ(h.flags, kNlmFRequest | kNlmFCreate | kNlmFAck | kNlmFExcl);
  EXPECT_EQ(buf[16], AF_INET);
  static ct::Expect back;
  ASSERT_TRUE(ct::expect_parse(std::span<const uint8_t>(buf + 16, b.size() - 16), back));
  EXPECT_EQ(print(back, ct::OutFormat::kText),
            "100 proto=6 src=10.0.0.1 dst=10.0.0.2 sport=0 dport=5000 mask-src=255.255.255.255 "
            "mask-dst=255.255.255.255 sport=0 dport=65535 master-src=10.0.0.1 master-dst=10.0.0.2 "
            "sport=1000 dport=21");
  // Attribute order is upstream's: TUPLE, MASTER, MASK, TIMEOUT.
  std::vector<uint16_t> order;
  nl::AttrIter it(std::span<const uint8_t>(buf + 20, b.size() - 20));
  nl::Attr a;
  while (it.next(a)) order.push_back(a.type);
  EXPECT_EQ(order, (std::vector<uint16_t>{CTA_EXPECT_TUPLE, CTA_EXPECT_MASTER, CTA_EXPECT_MASK,
                                          CTA_EXPECT_TIMEOUT}));
}

TEST(Expect, RequestFamilyAndMissingFields) {
  static ct::Expect e;
  e.clear();
  ct::Flow f;
  set_tuple(f, ct::kDirOrig, AF_INET6, "::1", "::2", 17, 1, 2);
  ct::copy_tuple(f, ct::kDirOrig, e.tuples, ct::kExpExpected);
  e.set(XA::kExpected);
  static uint8_t buf[512];
  nl::MsgBuilder b(buf, sizeof buf);
  // -D expect: only the expected tuple; family from it.
  ASSERT_TRUE(ct::build_exp_request(b, kExpMsgDelete, kNlmFAck, 1, e));
  EXPECT_EQ(buf[16], AF_INET6);
  // No tuple with an L3 protocol: no request.
  e.clear();
  b.reset();
  EXPECT_FALSE(ct::build_exp_request(b, kExpMsgGet, kNlmFAck, 1, e));
  // A tuple without ports gets PROTO_NUM and zero ports (upstream writes
  // every field of an expectation tuple).
  ct::Flow g;
  set_tuple(g, ct::kDirOrig, AF_INET, "1.1.1.1", "2.2.2.2", 6, 0, 0);
  g.set.clear(F::kOrigPortSrc);
  g.set.clear(F::kOrigPortDst);
  g.tuple[ct::kDirOrig].sport = 77;  // stale, absent: must not be sent
  e.clear();
  ct::copy_tuple(g, ct::kDirOrig, e.tuples, ct::kExpMaster);
  e.set(XA::kMaster);
  b.reset();
  ASSERT_TRUE(ct::build_exp_request(b, kExpMsgGet, kNlmFAck, 1, e));
  static ct::Expect back;
  ASSERT_TRUE(ct::expect_parse(std::span<const uint8_t>(buf + 16, b.size() - 16), back));
  EXPECT_TRUE(back.tuples.has(ct::tuple_field(ct::kExpMaster, F::kOrigPortSrc)));
  EXPECT_EQ(back.tuple(ct::kExpMaster).sport, 0);
}

TEST(Expect, DumpAndFlushRequests) {
  static uint8_t buf[64];
  nl::MsgBuilder b(buf, sizeof buf);
  ASSERT_TRUE(ct::build_exp_dump(b, 3, AF_INET));
  NlMsgHdr h;
  std::memcpy(&h, buf, sizeof h);
  EXPECT_EQ(h.len, 20u);
  EXPECT_EQ(h.type, kNfnlSubsysCtnetlinkExp << 8 | kExpMsgGet);
  EXPECT_EQ(h.flags, kNlmFRequest | kNlmFDump);
  b.reset();
  ASSERT_TRUE(ct::build_exp_flush(b, 3, AF_UNSPEC));
  std::memcpy(&h, buf, sizeof h);
  EXPECT_EQ(h.type, kNfnlSubsysCtnetlinkExp << 8 | kExpMsgDelete);
  EXPECT_EQ(h.flags, kNlmFRequest | kNlmFAck);
}

TEST(Expect, TimestampPrefix) {
  base::LineBuf<64> l;
  ct::expect_print_timestamp_prefix(l, 1795614721ull * 1000000000ull + 4389000ull);
  EXPECT_EQ(l.view(), "[1795614721.4389  ]\t");
  l.clear();
  ct::expect_print_timestamp_prefix(l, 12ull * 1000000000ull + 144389000ull);
  EXPECT_EQ(l.view(), "[12      .144389]\t");
}

TEST(Expect, PrintLine) {
  ct::Expect e;
  ASSERT_TRUE(ct::expect_parse(keep(kernel_msg(MsgSpec{})), e));
  base::LineBuf<8192> out;
  base::LineBuf<4096> scratch;
  ct::PrintOpts o;
  o.timestamp = true;
  ct::expect_print_line(out, scratch, e, o, ct::MsgKind::kNew, 5ull * 1000000000ull);
  EXPECT_EQ(out.view(), std::string("[5       .0     ]\t    [NEW] ") + kFtpText + "\n");
  // XML: no prefix (<when> instead); JSON: no prefix.
  out.clear();
  o.format = ct::OutFormat::kJson;
  ct::expect_print_line(out, scratch, e, o, ct::MsgKind::kList, 5ull * 1000000000ull);
  EXPECT_EQ(out.view().substr(0, 1), "{");
}

TEST(Expect, Json) {
  MsgSpec s;
  s.has_flags = true;
  s.flag_bits = kExpFPermanent;
  ct::Expect e;
  ASSERT_TRUE(ct::expect_parse(keep(kernel_msg(s)), e));
  EXPECT_EQ(print(e, ct::OutFormat::kJson, ct::MsgKind::kNew),
            "{\"type\":\"new\",\"family\":\"ipv4\",\"l3num\":2,\"proto\":\"tcp\",\"protonum\":6,"
            "\"timeout\":299,"
            "\"expected\":{\"src\":\"127.0.0.1\",\"dst\":\"127.0.0.1\",\"sport\":0,\"dport\":51210},"
            "\"mask\":{\"src\":\"255.255.255.255\",\"dst\":\"255.255.255.255\",\"sport\":0,\"dport\":65535},"
            "\"master\":{\"src\":\"127.0.0.1\",\"dst\":\"127.0.0.1\",\"sport\":36076,\"dport\":2121},"
            "\"flags\":[\"PERMANENT\"],\"class\":0,\"helper\":\"ftp\",\"id\":305419896}");
}

}  // namespace
