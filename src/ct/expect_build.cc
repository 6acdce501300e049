#include "ct/expect_build.h"

#include "ct/names.h"
#include "ct_uapi.h"

namespace ct {

using namespace uapi;

void copy_tuple(const Flow& from, Dir from_dir, Flow& to, Dir to_dir) {
  to.tuple[to_dir] = from.tuple[from_dir];
  for (F base : {F::kOrigL3, F::kOrigSrc, F::kOrigDst, F::kOrigL4, F::kOrigPortSrc,
                 F::kOrigPortDst, F::kOrigIcmpType, F::kOrigIcmpCode, F::kOrigIcmpId,
                 F::kOrigZone}) {
    if (from.has(tuple_field(from_dir, base)))
      to.set.set(tuple_field(to_dir, base));
    else
      to.set.clear(tuple_field(to_dir, base));
  }
}

namespace {

// Upstream reads an absent field as zero (its objects start zeroed); a
// Flow's absent fields may hold stale values.
struct TupleView {
  const Flow& f;
  Dir d;
  bool has(F orig_field) const { return f.has(tuple_field(d, orig_field)); }
  const Tuple& t() const { return f.tuple[d]; }
  uint8_t l3() const { return has(F::kOrigL3) ? t().l3 : 0; }
  uint8_t l4() const { return has(F::kOrigL4) ? t().l4 : 0; }
  const uint8_t* src() const { return has(F::kOrigSrc) ? t().src.b : kZero; }
  const uint8_t* dst() const { return has(F::kOrigDst) ? t().dst.b : kZero; }
  uint16_t sport() const { return has(F::kOrigPortSrc) ? t().sport : 0; }
  uint16_t dport() const { return has(F::kOrigPortDst) ? t().dport : 0; }
  uint8_t icmp_type() const { return has(F::kOrigIcmpType) ? t().icmp_type : 0; }
  uint8_t icmp_code() const { return has(F::kOrigIcmpCode) ? t().icmp_code : 0; }
  uint16_t icmp_id() const { return has(F::kOrigIcmpId) ? t().icmp_id : 0; }
  static constexpr uint8_t kZero[16] = {};
};

bool put_exp_tuple(nl::MsgBuilder& b, uint16_t type, const TupleView& v) {
  uint8_t l3 = v.l3();
  if (l3 != kAfInet && l3 != kAfInet6) return b.ok();  // upstream cancels the nest
  size_t nest = b.nest_start(type);
  size_t ip = b.nest_start(CTA_TUPLE_IP);
  size_t alen = l3 == kAfInet ? 4 : 16;
  b.put(l3 == kAfInet ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, v.src(), alen);
  b.put(l3 == kAfInet ? CTA_IP_V4_DST : CTA_IP_V6_DST, v.dst(), alen);
  b.nest_end(ip);
  size_t proto = b.nest_start(CTA_TUPLE_PROTO);
  uint8_t l4 = v.l4();
  b.put_u8(CTA_PROTO_NUM, l4);
  if (l4_has_ports(l4) || l4 == kIpprotoGre) {
    b.put_u16_be(CTA_PROTO_SRC_PORT, v.sport());
    b.put_u16_be(CTA_PROTO_DST_PORT, v.dport());
  } else if (l4 == kIpprotoIcmp || l4 == kIpprotoIcmpv6) {
    bool v6 = l4 == kIpprotoIcmpv6;
    b.put_u8(v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE, v.icmp_code());
    b.put_u8(v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE, v.icmp_type());
    b.put_u16_be(v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, v.icmp_id());
  }
  b.nest_end(proto);
  b.nest_end(nest);
  return b.ok();
}

}  // namespace

bool build_exp_request(nl::MsgBuilder& b, uint8_t msg, uint16_t flags, uint32_t seq,
                       const Expect& e) {
  TupleView master{e.tuples, kExpMaster}, expected{e.tuples, kExpExpected}, mask{e.tuples, kExpMask};
  uint8_t family;
  if (e.has(XA::kMaster) && master.has(F::kOrigL3))
    family = master.l3();
  else if (e.has(XA::kExpected) && expected.has(F::kOrigL3))
    family = expected.l3();
  else
    return false;
  if (!b.begin_nfmsg(kNfnlSubsysCtnetlinkExp, msg, kNlmFRequest | flags, seq, family)) return false;
  if (e.has(XA::kExpected)) put_exp_tuple(b, CTA_EXPECT_TUPLE, expected);
  if (e.has(XA::kMaster)) put_exp_tuple(b, CTA_EXPECT_MASTER, master);
  if (e.has(XA::kMask)) put_exp_tuple(b, CTA_EXPECT_MASK, mask);
  if (e.has(XA::kTimeout)) b.put_u32_be(CTA_EXPECT_TIMEOUT, e.timeout);
  if (e.has(XA::kFlags)) b.put_u32_be(CTA_EXPECT_FLAGS, e.flags);
  if (e.has(XA::kZone)) b.put_u16_be(CTA_EXPECT_ZONE, e.zone);
  if (e.has(XA::kHelper)) b.put_str(CTA_EXPECT_HELP_NAME, e.helper);
  if (e.has(XA::kClass)) b.put_u32_be(CTA_EXPECT_CLASS, e.cls);
  if (e.has(XA::kNatTuple) && e.has(XA::kNatDir)) {
    size_t nat = b.nest_start(CTA_EXPECT_NAT);
    b.put_u32_be(CTA_EXPECT_NAT_DIR, e.nat_dir);
    put_exp_tuple(b, CTA_EXPECT_NAT_TUPLE, TupleView{e.nat, kDirOrig});
    b.nest_end(nat);
  }
  if (e.has(XA::kFn)) b.put_str(CTA_EXPECT_FN, e.fn);
  return b.end_msg();
}

bool build_exp_dump(nl::MsgBuilder& b, uint32_t seq, uint8_t family) {
  if (!b.begin_nfmsg(kNfnlSubsysCtnetlinkExp, kExpMsgGet, kNlmFRequest | kNlmFDump, seq, family))
    return false;
  return b.end_msg();
}

bool build_exp_flush(nl::MsgBuilder& b, uint32_t seq, uint8_t family) {
  if (!b.begin_nfmsg(kNfnlSubsysCtnetlinkExp, kExpMsgDelete, kNlmFRequest | kNlmFAck, seq, family))
    return false;
  return b.end_msg();
}

}  // namespace ct
