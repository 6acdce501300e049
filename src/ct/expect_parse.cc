#include "ct/expect_parse.h"

#include "ct/flow_parse.h"
#include "ct_uapi.h"
#include "netlink/attr.h"

namespace ct {
namespace {

using nl::Attr;
using namespace uapi;

// libnetfilter_conntrack copies names into fixed buffers (NUL included).
constexpr size_t kHelperNameMax = 16 - 1;
constexpr size_t kExpectFnMax = 24 - 1;

std::string_view bounded_str(const Attr& a, size_t max) {
  std::string_view s = nl::get_str(a);
  return s.size() > max ? s.substr(0, max) : s;
}

bool get_u32_attr(const Attr& a, uint32_t& v, XA bit, Expect& e) {
  if (!a) return true;
  if (!nl::get_u32_be(a, v)) return false;
  e.set(bit);
  return true;
}

bool parse_nat(const Attr& nest, Expect& e) {
  Attr tb[CTA_EXPECT_NAT_MAX_ + 1];
  if (!nl::attr_parse_nested(nest, tb, CTA_EXPECT_NAT_MAX_)) return false;
  e.nat.family = e.family;
  if (tb[CTA_EXPECT_NAT_TUPLE]) {
    if (!parse_tuple_attr(tb[CTA_EXPECT_NAT_TUPLE], kDirOrig, e.nat)) return false;
    e.set(XA::kNatTuple);
  }
  return get_u32_attr(tb[CTA_EXPECT_NAT_DIR], e.nat_dir, XA::kNatDir, e);
}

// Upstream gives each tuple the message family as its L3 protocol, but
// crosswise: the expected tuple gets it when MASTER is present, the mask
// when TUPLE is, the master when MASK is (the kernel always sends all
// three, so this only matters for hand-made messages).  A tuple without
// an L3 protocol prints no addresses.
void set_tuple_l3(Expect& e, bool has_master, bool has_tuple, bool has_mask) {
  const struct { Dir slot; bool on; } rule[3] = {
      {kExpExpected, has_master}, {kExpMask, has_tuple}, {kExpMaster, has_mask}};
  for (const auto& r : rule) {
    F field = tuple_field(r.slot, F::kOrigL3);
    if (r.on) {
      e.tuples.tuple[r.slot].l3 = e.family;
      e.tuples.set.set(field);
    } else {
      e.tuples.set.clear(field);
    }
  }
}

}  // namespace

bool expect_parse(std::span<const uint8_t> payload, Expect& e) {
  if (payload.size() < sizeof(NfGenMsg)) return false;
  e.clear();
  e.family = payload[0];
  e.tuples.family = e.family;
  Attr tb[CTA_EXPECT_MAX_ + 1];
  if (!nl::attr_parse(payload.subspan(nl_align(sizeof(NfGenMsg))), tb, CTA_EXPECT_MAX_)) return false;

  const struct { uint16_t type; Dir slot; XA bit; } tuples[3] = {
      {CTA_EXPECT_MASTER, kExpMaster, XA::kMaster},
      {CTA_EXPECT_TUPLE, kExpExpected, XA::kExpected},
      {CTA_EXPECT_MASK, kExpMask, XA::kMask}};
  for (const auto& t : tuples) {
    if (!tb[t.type]) continue;
    if (!parse_tuple_attr(tb[t.type], t.slot, e.tuples)) return false;
    e.set(t.bit);
  }
  set_tuple_l3(e, bool(tb[CTA_EXPECT_MASTER]), bool(tb[CTA_EXPECT_TUPLE]), bool(tb[CTA_EXPECT_MASK]));

  if (!get_u32_attr(tb[CTA_EXPECT_TIMEOUT], e.timeout, XA::kTimeout, e)) return false;
  if (!get_u32_attr(tb[CTA_EXPECT_ID], e.id, XA::kId, e)) return false;
  if (!get_u32_attr(tb[CTA_EXPECT_FLAGS], e.flags, XA::kFlags, e)) return false;
  if (!get_u32_attr(tb[CTA_EXPECT_CLASS], e.cls, XA::kClass, e)) return false;
  if (tb[CTA_EXPECT_ZONE]) {
    if (!nl::get_u16_be(tb[CTA_EXPECT_ZONE], e.zone)) return false;
    e.set(XA::kZone);
  }
  if (tb[CTA_EXPECT_HELP_NAME]) {
    e.helper = bounded_str(tb[CTA_EXPECT_HELP_NAME], kHelperNameMax);
    e.set(XA::kHelper);
  }
  if (tb[CTA_EXPECT_NAT] && !parse_nat(tb[CTA_EXPECT_NAT], e)) return false;
  if (tb[CTA_EXPECT_FN]) {
    e.fn = bounded_str(tb[CTA_EXPECT_FN], kExpectFnMax);
    e.set(XA::kFn);
  }
  return true;
}

MsgKind expect_msg_kind(const NlMsgHdr& h) {
  if ((h.type >> 8) != kNfnlSubsysCtnetlinkExp) return MsgKind::kList;
  uint8_t msg = static_cast<uint8_t>(h.type & 0xff);
  if (msg == kExpMsgNew) return (h.flags & (kNlmFCreate | kNlmFExcl)) ? MsgKind::kNew : MsgKind::kUpdate;
  if (msg == kExpMsgDelete) return MsgKind::kDestroy;
  return MsgKind::kList;
}

}  // namespace ct
