#include "ct/dump_request.h"

#include "ct_uapi.h"

namespace ct {
namespace {

using namespace uapi;

// One CTA_TUPLE_ORIG/REPLY nest carrying only what `flags` asks the
// kernel to compare (ctnetlink_parse_tuple_filter reads nothing else).
void put_filter_tuple(nl::MsgBuilder& b, uint16_t type, uint32_t flags, const Tuple& t) {
  size_t nest = b.nest_start(type);
  if (flags & (kCtaFilterFlagIpSrc | kCtaFilterFlagIpDst)) {
    size_t ip = b.nest_start(CTA_TUPLE_IP);
    bool v6 = t.l3 == kAfInet6;
    if (flags & kCtaFilterFlagIpSrc) b.put(v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC, t.src.b, v6 ? 16 : 4);
    if (flags & kCtaFilterFlagIpDst) b.put(v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST, t.dst.b, v6 ? 16 : 4);
    b.nest_end(ip);
  }
  if (flags & kCtaFilterFlagProtoNum) {
    size_t p = b.nest_start(CTA_TUPLE_PROTO);
    b.put_u8(CTA_PROTO_NUM, t.l4);
    if (flags & kCtaFilterFlagProtoSrcPort) b.put_u16_be(CTA_PROTO_SRC_PORT, t.sport);
    if (flags & kCtaFilterFlagProtoDstPort) b.put_u16_be(CTA_PROTO_DST_PORT, t.dport);
    if (flags & kCtaFilterFlagIcmpType) b.put_u8(CTA_PROTO_ICMP_TYPE, t.icmp_type);
    if (flags & kCtaFilterFlagIcmpCode) b.put_u8(CTA_PROTO_ICMP_CODE, t.icmp_code);
    if (flags & kCtaFilterFlagIcmpId) b.put_u16_be(CTA_PROTO_ICMP_ID, t.icmp_id);
    if (flags & kCtaFilterFlagIcmpv6Type) b.put_u8(CTA_PROTO_ICMPV6_TYPE, t.icmp_type);
    if (flags & kCtaFilterFlagIcmpv6Code) b.put_u8(CTA_PROTO_ICMPV6_CODE, t.icmp_code);
    if (flags & kCtaFilterFlagIcmpv6Id) b.put_u16_be(CTA_PROTO_ICMPV6_ID, t.icmp_id);
    b.nest_end(p);
  }
  b.nest_end(nest);
}

}  // namespace

bool build_ct_dump(nl::MsgBuilder& b, uint8_t msg, uint8_t family, uint32_t seq,
                   const KernelDumpFilter* filter) {
  if (!b.begin_nfmsg(kNfnlSubsysCtnetlink, msg, kNlmFRequest | kNlmFDump, seq, family))
    return false;
  if (filter && filter->has_mark) {
    b.put_u32_be(CTA_MARK, filter->mark);
    b.put_u32_be(CTA_MARK_MASK, filter->mark_mask);
  }
  if (filter && filter->has_status) {
    b.put_u32_be(CTA_STATUS, filter->status);
    b.put_u32_be(CTA_STATUS_MASK, filter->status_mask);
  }
  if (filter && filter->has_tuples) {
    const KernelTupleFilter& k = filter->tuples;
    // The flags are NLA_U32 in host order.
    size_t nest = b.nest_start(CTA_FILTER);
    if (k.flags[kDirOrig]) b.put(CTA_FILTER_ORIG_FLAGS, &k.flags[kDirOrig], 4);
    if (k.flags[kDirRepl]) b.put(CTA_FILTER_REPLY_FLAGS, &k.flags[kDirRepl], 4);
    b.nest_end(nest);
    if (k.flags[kDirOrig]) put_filter_tuple(b, CTA_TUPLE_ORIG, k.flags[kDirOrig], k.tuple[kDirOrig]);
    if (k.flags[kDirRepl]) put_filter_tuple(b, CTA_TUPLE_REPLY, k.flags[kDirRepl], k.tuple[kDirRepl]);
  }
  return b.end_msg();
}

}  // namespace ct
