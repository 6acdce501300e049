// Builder and parser: round trips, and every kind of malformed input the
// parser must refuse rather than read past.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "ct_uapi.h"
#include "netlink/attr.h"
#include "netlink/msg_builder.h"
#include "netlink/recv_loop.h"

namespace {

std::vector<uint8_t> raw_attr(uint16_t len_field, uint16_t type, std::vector<uint8_t> payload) {
  std::vector<uint8_t> v(4);
  std::memcpy(v.data(), &len_field, 2);
  std::memcpy(v.data() + 2, &type, 2);
  v.insert(v.end(), payload.begin(), payload.end());
  return v;
}

TEST(MsgBuilder, BuildsNestedAttributesThatParseBack) {
  uint8_t buf[256];
  nl::MsgBuilder b(buf, sizeof buf);
  ASSERT_TRUE(b.begin_nfmsg(1, 0, uapi::kNlmFRequest, 7, 2));
  size_t n = b.nest_start(3);
  b.put_u32_be(1, 0xdeadbeef);
  b.put_u8(2, 9);
  b.nest_end(n);
  b.put_str(4, "ftp");
  ASSERT_TRUE(b.end_msg());

  uapi::NlMsgHdr h;
  std::memcpy(&h, buf, sizeof h);
  EXPECT_EQ(h.len, b.size());
  EXPECT_EQ(h.type, 0x100);
  EXPECT_EQ(h.seq, 7u);
  std::span<const uint8_t> attrs(buf + 16 + 4, h.len - 20);
  nl::Attr tb[5];
  ASSERT_TRUE(nl::attr_parse(attrs, tb, 4));
  ASSERT_TRUE(tb[3]);
  EXPECT_EQ(nl::get_str(tb[4]), "ftp");
  nl::Attr inner[3];
  ASSERT_TRUE(nl::attr_parse_nested(tb[3], inner, 2));
  uint32_t v = 0;
  uint8_t u = 0;
  EXPECT_TRUE(nl::get_u32_be(inner[1], v));
  EXPECT_EQ(v, 0xdeadbeefu);
  EXPECT_TRUE(nl::get_u8(inner[2], u));
  EXPECT_EQ(u, 9);
}

TEST(MsgBuilder, OverflowFailsWithoutWritingPastTheBuffer) {
  uint8_t buf[64 + 8];
  std::memset(buf, 0xAA, sizeof buf);
  nl::MsgBuilder b(buf, 64);
  ASSERT_TRUE(b.begin_msg(16, 0, 1));
  uint8_t big[100] = {};
  EXPECT_FALSE(b.put(1, big, sizeof big));
  EXPECT_FALSE(b.ok());
  EXPECT_FALSE(b.end_msg());
  for (int i = 64; i < 72; ++i) EXPECT_EQ(buf[i], 0xAA);
  EXPECT_EQ(b.nest_start(2), 0u);  // stays failed
}

TEST(MsgBuilder, ManyMessagesBackToBack) {
  uint8_t buf[512];
  nl::MsgBuilder b(buf, sizeof buf);
  for (uint32_t i = 1; i <= 5; ++i) {
    ASSERT_TRUE(b.begin_nfmsg(1, 0, 0, i, 2));
    b.put_u32_be(3, i);
    ASSERT_TRUE(b.end_msg());
  }
  nl::RecvState st;
  int count = 0;
  auto fn = [&](const uapi::NlMsgHdr& h, std::span<const uint8_t>) {
    EXPECT_EQ(h.seq, static_cast<uint32_t>(++count));
    return int{nl::kCbOk};
  };
  EXPECT_EQ(nl::walk_datagram(b.data(), st, fn), 1);
  EXPECT_EQ(count, 5);
}

TEST(AttrParser, RejectsTruncatedHeader) {
  std::vector<uint8_t> v = raw_attr(8, 1, {1, 2, 3, 4});
  v.resize(6);  // cut inside the payload
  nl::Attr tb[2];
  EXPECT_FALSE(nl::attr_parse(v, tb, 1));
  std::vector<uint8_t> w = {8, 0};  // two bytes: not even a header
  EXPECT_FALSE(nl::attr_parse(w, tb, 1));
}

TEST(AttrParser, RejectsLengthBeyondBuffer) {
  std::vector<uint8_t> v = raw_attr(200, 1, {1, 2, 3, 4});
  nl::Attr tb[2];
  EXPECT_FALSE(nl::attr_parse(v, tb, 1));
}

TEST(AttrParser, RejectsLengthShorterThanHeader) {
  std::vector<uint8_t> v = raw_attr(2, 1, {0, 0, 0, 0});
  nl::Attr tb[2];
  EXPECT_FALSE(nl::attr_parse(v, tb, 1));
}

TEST(AttrParser, ZeroLengthPayloadIsValidButTypedReadsRefuseIt) {
  std::vector<uint8_t> v = raw_attr(4, 1, {});
  nl::Attr tb[2];
  ASSERT_TRUE(nl::attr_parse(v, tb, 1));
  ASSERT_TRUE(tb[1]);
  EXPECT_EQ(tb[1].len, 0);
  uint32_t x = 42;
  EXPECT_FALSE(nl::get_u32_be(tb[1], x));
  EXPECT_EQ(x, 42u);
  EXPECT_EQ(nl::get_str(tb[1]), "");
}

TEST(AttrParser, WrongSizedIntegerIsRefused) {
  std::vector<uint8_t> v = raw_attr(6, 1, {1, 2, 0, 0});  // u16 where u32 expected
  nl::Attr tb[2];
  ASSERT_TRUE(nl::attr_parse(v, tb, 1));
  uint32_t x = 0;
  EXPECT_FALSE(nl::get_u32_be(tb[1], x));
  uint16_t y = 0;
  EXPECT_TRUE(nl::get_u16_be(tb[1], y));
  EXPECT_EQ(y, 0x0102);
}

TEST(AttrParser, MisnestedInnerStreamFails) {
  // Outer attribute is fine, but its payload claims an inner attribute
  // longer than the outer one.
  std::vector<uint8_t> inner = raw_attr(40, 1, {0, 0, 0, 0});
  std::vector<uint8_t> outer = raw_attr(static_cast<uint16_t>(4 + inner.size()), 2 | uapi::kNlaFNested, inner);
  nl::Attr tb[3];
  ASSERT_TRUE(nl::attr_parse(outer, tb, 2));
  ASSERT_TRUE(tb[2]);
  nl::Attr in[2];
  EXPECT_FALSE(nl::attr_parse_nested(tb[2], in, 1));
}

TEST(AttrParser, UnknownTypesAreSkippedAndFlagsMasked) {
  std::vector<uint8_t> a = raw_attr(8, 50, {1, 2, 3, 4});
  std::vector<uint8_t> b = raw_attr(8, 1 | uapi::kNlaFNested, {5, 6, 7, 8});
  a.insert(a.end(), b.begin(), b.end());
  nl::Attr tb[2];
  ASSERT_TRUE(nl::attr_parse(a, tb, 1));
  ASSERT_TRUE(tb[1]);
  EXPECT_EQ(tb[1].data[0], 5);
}

TEST(AttrParser, UnterminatedStringStaysInBounds) {
  std::vector<uint8_t> v = raw_attr(7, 1, {'a', 'b', 'c', 0});
  nl::Attr tb[2];
  ASSERT_TRUE(nl::attr_parse(v, tb, 1));
  EXPECT_EQ(nl::get_str(tb[1]), "abc");
}

TEST(RecvLoop, ErrorAndAckAndDone) {
  uint8_t buf[128] = {};
  uapi::NlMsgHdr h{36, uapi::kNlmsgError, 0, 5, 99};
  std::memcpy(buf, &h, sizeof h);
  int32_t err = -2;
  std::memcpy(buf + 16, &err, 4);
  nl::RecvState st;
  st.seq = 5;
  st.portid = 99;
  auto fn = [](const uapi::NlMsgHdr&, std::span<const uint8_t>) { return int{nl::kCbOk}; };
  EXPECT_EQ(nl::walk_datagram({buf, 36}, st, fn), -2);
  err = 0;
  std::memcpy(buf + 16, &err, 4);
  EXPECT_EQ(nl::walk_datagram({buf, 36}, st, fn), 0);
  // A message for another sequence number is ignored.
  st.seq = 6;
  EXPECT_EQ(nl::walk_datagram({buf, 36}, st, fn), 1);
}

TEST(RecvLoop, TruncatedDatagramIsAnError) {
  uint8_t buf[64] = {};
  uapi::NlMsgHdr h{60, 0x100, uapi::kNlmFMulti, 1, 1};
  std::memcpy(buf, &h, sizeof h);
  nl::RecvState st;
  auto fn = [](const uapi::NlMsgHdr&, std::span<const uint8_t>) { return int{nl::kCbOk}; };
  EXPECT_LT(nl::walk_datagram({buf, 40}, st, fn), 0);
  // Error message too short to hold nlmsgerr.
  uapi::NlMsgHdr e{20, uapi::kNlmsgError, 0, 1, 1};
  std::memcpy(buf, &e, sizeof e);
  EXPECT_EQ(nl::walk_datagram({buf, 20}, st, fn), -EBADMSG);
}

TEST(RecvLoop, DumpInterruptedIsReported) {
  uint8_t buf[64] = {};
  uapi::NlMsgHdr h{20, 0x100, uapi::kNlmFMulti | uapi::kNlmFDumpIntr, 1, 1};
  std::memcpy(buf, &h, sizeof h);
  nl::RecvState st;
  int seen = 0;
  auto fn = [&](const uapi::NlMsgHdr&, std::span<const uint8_t>) { ++seen; return int{nl::kCbOk}; };
  EXPECT_EQ(nl::walk_datagram({buf, 20}, st, fn), 1);
  EXPECT_TRUE(st.dump_intr);
  EXPECT_EQ(seen, 1);
}

}  // namespace

namespace {

TEST(MsgBuilder, CancelDropsAMessageThatDidNotFit) {
  uint8_t buf[48];
  nl::MsgBuilder b(buf, sizeof buf);
  ASSERT_TRUE(b.begin_msg(16, 0, 1));
  b.put_u32_be(1, 7);
  ASSERT_TRUE(b.end_msg());
  size_t first = b.size();
  ASSERT_TRUE(b.begin_msg(16, 0, 2));
  uint8_t big[40] = {};
  EXPECT_FALSE(b.put(2, big, sizeof big));
  EXPECT_FALSE(b.end_msg());
  b.cancel_msg();
  EXPECT_TRUE(b.ok());
  EXPECT_EQ(b.size(), first);
  nl::RecvState st;
  int n = 0;
  auto fn = [&](const uapi::NlMsgHdr&, std::span<const uint8_t>) { ++n; return int{nl::kCbOk}; };
  EXPECT_EQ(nl::walk_datagram(b.data(), st, fn), 1);
  EXPECT_EQ(n, 1);
}

}  // namespace
