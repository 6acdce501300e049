// The compact encoding (sync/compact_wire.h): records round-trip to the
// same ct::Flow the v1 codec gives, malformed records are refused, a v1
// receiver skips v2 messages, and the flow cache's id state (dirty
// fields, serials, the peer id index with collisions and reuse).
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "conntrackd/cache/flow_cache.h"
#include "ct_uapi.h"
#include "sync/compact_codec.h"

using ct::F;
using namespace ctsync;

namespace {

ct::Flow tcp_flow(uint32_t n) {
  ct::Flow f;
  f.family = AF_INET;
  ct::Tuple& o = f.tuple[ct::kDirOrig];
  o.l3 = AF_INET;
  o.l4 = 6;
  inet_pton(AF_INET, "192.168.1.10", o.src.b);
  inet_pton(AF_INET, "192.168.1.20", o.dst.b);
  o.src.b[3] = static_cast<uint8_t>(n);
  o.sport = static_cast<uint16_t>(40000 + n);
  o.dport = 80;
  for (F x : {F::kOrigL3, F::kOrigL4, F::kOrigSrc, F::kOrigDst, F::kOrigPortSrc, F::kOrigPortDst}) f.set.set(x);
  f.status = 0xc;
  f.timeout = 300;
  f.mark = 7;
  f.tcp_state = 3;
  for (F x : {F::kStatus, F::kTimeout, F::kMark, F::kTcpState}) f.set.set(x);
  return f;
}

std::vector<uint8_t> v1_of(const ct::Flow& f) {
  std::vector<uint8_t> b(4096);
  b.resize(encode_ct(b, kMsgCtUpd, f, EncodeOpts{}));
  return b;
}

MsgView view(std::span<const uint8_t> b, bool v2 = true) {
  size_t off = 0;
  MsgView m;
  EXPECT_EQ(next_message(b, &off, &m, false, v2), WalkResult::kOk);
  return m;
}

// Packs one record, reads it back and rebuilds its v1 message.
ct::Flow through_record(uint8_t kind, const ct::Flow& f, uint8_t fields, ct::Flow base, size_t* rec_len) {
  std::vector<uint8_t> buf(kV2PacketMax), v1 = v1_of(f);
  CompactPacket p;
  p.open(buf, 0x11223344, 99);
  EXPECT_TRUE(p.add(kind, 5, 6, v1, fields));
  std::span<const uint8_t> pkt = p.close();
  *rec_len = pkt.size() - kV2HdrLen;
  const MsgView m = view(pkt);
  EXPECT_EQ(m.version, 2);
  EXPECT_EQ(m.seq, 99u);
  RecordReader rd(m);
  EXPECT_EQ(rd.node(), 0x11223344u);
  RecordView r;
  DropReason err;
  EXPECT_TRUE(rd.next(&r, &err));
  EXPECT_EQ(r.kind, kind);
  EXPECT_EQ(r.ref, 5u);
  EXPECT_EQ(r.serial, 6u);
  std::vector<uint8_t> out(4096);
  out.resize(record_to_v1(r, out));
  EXPECT_GT(out.size(), 0u);
  DecodeScratch s;
  if (record_is_full(kind)) EXPECT_EQ(decode_ct(view(out), &base, &s), DropReason::kNone);
  else EXPECT_EQ(decode_ct_overlay(view(out), &base, &s), DropReason::kNone);
  EXPECT_FALSE(rd.next(&r, &err));
  EXPECT_EQ(err, DropReason::kNone);
  return base;
}

}  // namespace

TEST(CompactCodec, FullRecordDecodesAsV1Does) {
  ct::Flow f = tcp_flow(1);
  f.helper = "ftp";
  f.set.set(F::kHelper);
  f.zone = 9;
  f.set.set(F::kZone);
  ct::Flow want;
  DecodeScratch s;
  const std::vector<uint8_t> v1 = v1_of(f);
  ASSERT_EQ(decode_ct(view(v1, false), &want, &s), DropReason::kNone);
  size_t len = 0;
  const ct::Flow got = through_record(kRecNew, f, 0, ct::Flow{}, &len);
  EXPECT_EQ(0, std::memcmp(&got.set, &want.set, sizeof got.set));
  EXPECT_EQ(0, std::memcmp(got.tuple[0].src.b, want.tuple[0].src.b, 4));
  EXPECT_EQ(got.tuple[0].sport, want.tuple[0].sport);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.mark, want.mark);
  EXPECT_EQ(got.zone, 9);
  EXPECT_EQ(got.helper, "ftp");
  EXPECT_LT(len, v1.size());
}

TEST(CompactCodec, UpdCarriesOnlyChangedFields) {
  ct::Flow base = tcp_flow(2), changed = tcp_flow(2);
  changed.tcp_state = 4;
  changed.timeout = 120;
  changed.mark = 1234;  // changed, but not named: must not travel
  size_t len = 0;
  const ct::Flow got = through_record(kRecUpd, changed, kFieldTcpState | kFieldTimeout, base, &len);
  EXPECT_EQ(len, kRecordHdrLen + 1 + 4);
  EXPECT_EQ(got.tcp_state, 4);
  EXPECT_EQ(got.timeout, 120u);
  EXPECT_EQ(got.mark, 7u);
}

TEST(CompactCodec, DelIsTheIdAlone) {
  std::vector<uint8_t> buf(kV2PacketMax);
  CompactPacket p;
  p.open(buf, 1, 2);
  ASSERT_TRUE(p.add(kRecDel, 7, 8, {}, 0));
  EXPECT_EQ(p.close().size(), kV2HdrLen + kRecordHdrLen);
}

TEST(CompactCodec, PacketFillsUpThenRefuses) {
  std::vector<uint8_t> buf(4096), v1 = v1_of(tcp_flow(3));
  CompactPacket p;
  p.open(buf, 1, 2);
  size_t n = 0;
  while (p.add(kRecNew, static_cast<uint32_t>(n), 1, v1, 0) && n < 1000) n++;
  EXPECT_GT(n, 20u);  // v1 fits about 19 such messages in a 1472-byte datagram
  EXPECT_LE(p.close().size(), kV2PacketMax);
}

TEST(CompactCodec, MalformedRecordsAreRefused) {
  std::vector<uint8_t> buf(kV2PacketMax), v1 = v1_of(tcp_flow(4));
  CompactPacket p;
  p.open(buf, 1, 2);
  ASSERT_TRUE(p.add(kRecNew, 1, 1, v1, 0));
  const std::span<const uint8_t> gs = p.close();
  std::vector<uint8_t> good(gs.begin(), gs.end());
  auto check = [&](std::vector<uint8_t> b, DropReason want) {
    b[2] = static_cast<uint8_t>(b.size() >> 8);
    b[3] = static_cast<uint8_t>(b.size());
    RecordReader rd(view(b));
    RecordView r;
    DropReason err;
    EXPECT_FALSE(rd.next(&r, &err));
    EXPECT_EQ(err, want);
  };
  std::vector<uint8_t> b = good;
  b[kV2HdrLen] = 9;  // unknown kind
  check(b, DropReason::kBadType);
  b = good;
  b.resize(b.size() - 3);  // body cut short
  check(b, DropReason::kAttrOverrun);
  b = good;
  b[kV2HdrLen] = kRecDel;  // DEL with fields
  check(b, DropReason::kAttrSize);
  b = good;
  b[kV2HdrLen + 1] |= kFieldAddr6;  // both address sizes
  check(b, DropReason::kAttrSize);
  // A tail length beyond the packet.
  b = good;
  b[kV2HdrLen + kRecordHdrLen + 26] = 0xff;  // TCP/IPv4: 26 bytes of fields
  check(b, DropReason::kAttrOverrun);
  // A tail TLV shorter than its header: the record reads, but does not
  // rebuild into a v1 message, so nothing of it is applied.
  b = good;
  const size_t tail = kV2HdrLen + kRecordHdrLen + 26;
  b[tail] = 0;
  b[tail + 1] = 4;
  b.insert(b.end(), {0, 2, 0, 0});
  b[2] = static_cast<uint8_t>(b.size() >> 8);
  b[3] = static_cast<uint8_t>(b.size());
  RecordReader rd(view(b));
  RecordView r;
  DropReason err;
  ASSERT_TRUE(rd.next(&r, &err));
  uint8_t out[4096];
  EXPECT_EQ(record_to_v1(r, out), 0u);
}

TEST(CompactCodec, V1ReceiverSkipsV2ByItsLength) {
  std::vector<uint8_t> d(kV2PacketMax), v1 = v1_of(tcp_flow(5));
  CompactPacket p;
  p.open(d, 1, 2);
  ASSERT_TRUE(p.add(kRecNew, 1, 1, v1, 0));
  const std::span<const uint8_t> ds = p.close();
  std::vector<uint8_t> dgram(ds.begin(), ds.end());
  dgram.insert(dgram.end(), v1.begin(), v1.end());
  size_t off = 0;
  MsgView m;
  EXPECT_EQ(next_message(dgram, &off, &m, false, false), WalkResult::kSkip);
  EXPECT_EQ(m.reason, DropReason::kBadVersion);
  EXPECT_EQ(next_message(dgram, &off, &m, false, false), WalkResult::kOk);
  EXPECT_EQ(m.version, 1);
  EXPECT_EQ(off, dgram.size());
}

TEST(CompactCodec, OfferAndNeed) {
  uint8_t b[kOfferLen];
  ASSERT_EQ(encode_offer(b, 0xabcdef01, kCapReceive, kOfferAsk), kOfferLen);
  MsgView m = view(std::span<const uint8_t>(b, kOfferLen));
  EXPECT_EQ(m.type, kV2Offer);
  EXPECT_EQ(m.flags, kOfferAsk);
  uint32_t node, caps;
  ASSERT_TRUE(decode_offer(m, &node, &caps));
  EXPECT_EQ(node, 0xabcdef01u);
  EXPECT_EQ(caps, uint32_t{kCapReceive});
  std::vector<uint8_t> nb(kV2PacketMax);
  NeedPacket n;
  n.open(nb, 42);
  EXPECT_TRUE(n.empty());
  ASSERT_TRUE(n.add(1, 2));
  ASSERT_TRUE(n.add(3, 4));
  const std::span<const uint8_t> ns = n.close();
  std::vector<uint8_t> pkt(ns.begin(), ns.end());
  std::vector<std::pair<uint32_t, uint32_t>> ids;
  ASSERT_TRUE(walk_need(view(pkt), &node, [&](uint32_t r, uint32_t s) { ids.push_back({r, s}); }));
  EXPECT_EQ(node, 42u);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[1].first, 3u);
  EXPECT_EQ(ids[1].second, 4u);
}

TEST(CompactIds, DirtyFieldsAndSerials) {
  ctd::FlowCache c;
  ASSERT_TRUE(c.init(64, 100));
  uint32_t a, b;
  ASSERT_EQ(c.insert(tcp_flow(1), 1, &a), ctd::CacheErr::kOk);
  ASSERT_EQ(c.insert(tcp_flow(2), 1, &b), ctd::CacheErr::kOk);
  EXPECT_NE(c.serial(a), c.serial(b));
  EXPECT_EQ(c.cid_state(a), ctd::kCidFull);
  c.set_cid_state(a, ctd::kCidKnown);
  ct::Flow u = tcp_flow(1);
  u.tcp_state = 4;
  ASSERT_EQ(c.update(a, u, 2), ctd::CacheErr::kOk);
  EXPECT_EQ(c.cid_state(a), ctd::kCidKnown | ctd::kCidTcpState);
  u.helper = "ftp";  // a rare attribute: the whole state goes again
  u.set.set(F::kHelper);
  ASSERT_EQ(c.update(a, u, 3), ctd::CacheErr::kOk);
  EXPECT_TRUE(c.cid_state(a) & ctd::kCidFull);
  // reuse after destroy: the slot comes back with a new serial, and the
  // old id names nothing
  const uint32_t old_serial = c.serial(a);
  c.erase(a);
  EXPECT_FALSE(c.live(a));
  uint32_t a2;
  ASSERT_EQ(c.insert(tcp_flow(3), 4, &a2), ctd::CacheErr::kOk);
  EXPECT_EQ(a2, a);
  EXPECT_NE(c.serial(a2), old_serial);
  EXPECT_TRUE(c.live(a2));
  EXPECT_FALSE(c.live(0x12345));  // never allocated
}

TEST(CompactIds, PeerIdIndexCollisionAndReuse) {
  ctd::FlowCache c;
  ASSERT_TRUE(c.init(4, 100));  // few buckets: chains
  ASSERT_TRUE(c.enable_cid_index());
  uint32_t r[20];
  for (uint32_t i = 0; i < 20; i++) {
    ASSERT_EQ(c.insert(tcp_flow(i), 1, &r[i]), ctd::CacheErr::kOk);
    c.cid_bind(r[i], 100 + i, 1);
  }
  for (uint32_t i = 0; i < 20; i++) EXPECT_EQ(c.cid_find(100 + i, 1), r[i]);
  EXPECT_EQ(c.cid_find(100, 2), ctd::kNilRef);  // same ref, other serial: unknown
  // The peer reuses its slot 105 for another flow: the id moves.
  c.cid_bind(r[0], 105, 1);
  EXPECT_EQ(c.cid_find(105, 1), r[0]);
  EXPECT_EQ(c.cid_find(100, 1), ctd::kNilRef);
  EXPECT_FALSE(c.cid_state(r[5]) & ctd::kCidBound);
  // erase unbinds; the others stay found
  c.erase(r[7]);
  EXPECT_EQ(c.cid_find(107, 1), ctd::kNilRef);
  EXPECT_EQ(c.cid_find(108, 1), r[8]);
  c.cid_clear();
  EXPECT_EQ(c.cid_find(108, 1), ctd::kNilRef);
}
