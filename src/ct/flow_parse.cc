#include "ct/flow_parse.h"

#include <cstring>

#include "ct_uapi.h"
#include "netlink/attr.h"

namespace ct {
namespace {

using nl::Attr;
using namespace uapi;

bool parse_ip(const Attr& nest, Dir d, Flow& f) {
  Attr tb[CTA_IP_MAX_ + 1];
  if (!nl::attr_parse_nested(nest, tb, CTA_IP_MAX_)) return false;
  Tuple& t = f.tuple[d];
  if (tb[CTA_IP_V4_SRC]) {
    if (!nl::get_bytes(tb[CTA_IP_V4_SRC], t.src.b, 4)) return false;
    std::memset(t.src.b + 4, 0, 12);
    f.set.set(tuple_field(d, F::kOrigSrc));
    t.l3 = kAfInet;
  }
  if (tb[CTA_IP_V4_DST]) {
    if (!nl::get_bytes(tb[CTA_IP_V4_DST], t.dst.b, 4)) return false;
    std::memset(t.dst.b + 4, 0, 12);
    f.set.set(tuple_field(d, F::kOrigDst));
    t.l3 = kAfInet;
  }
  if (tb[CTA_IP_V6_SRC]) {
    if (!nl::get_bytes(tb[CTA_IP_V6_SRC], t.src.b, 16)) return false;
    f.set.set(tuple_field(d, F::kOrigSrc));
    t.l3 = kAfInet6;
  }
  if (tb[CTA_IP_V6_DST]) {
    if (!nl::get_bytes(tb[CTA_IP_V6_DST], t.dst.b, 16)) return false;
    f.set.set(tuple_field(d, F::kOrigDst));
    t.l3 = kAfInet6;
  }
  return true;
}

bool parse_proto(const Attr& nest, Dir d, Flow& f) {
  Attr tb[CTA_PROTO_MAX_ + 1];
  if (!nl::attr_parse_nested(nest, tb, CTA_PROTO_MAX_)) return false;
  Tuple& t = f.tuple[d];
  if (tb[CTA_PROTO_NUM]) {
    if (!nl::get_u8(tb[CTA_PROTO_NUM], t.l4)) return false;
    f.set.set(tuple_field(d, F::kOrigL4));
  }
  if (tb[CTA_PROTO_SRC_PORT]) {
    if (!nl::get_u16_be(tb[CTA_PROTO_SRC_PORT], t.sport)) return false;
    f.set.set(tuple_field(d, F::kOrigPortSrc));
  }
  if (tb[CTA_PROTO_DST_PORT]) {
    if (!nl::get_u16_be(tb[CTA_PROTO_DST_PORT], t.dport)) return false;
    f.set.set(tuple_field(d, F::kOrigPortDst));
  }
  // ICMP and ICMPv6 share the tuple fields; only one family is present.
  for (uint16_t base : {uint16_t{CTA_PROTO_ICMP_ID}, uint16_t{CTA_PROTO_ICMPV6_ID}}) {
    const Attr& id = tb[base];
    const Attr& type = tb[base + 1];
    const Attr& code = tb[base + 2];
    if (id) {
      if (!nl::get_u16_be(id, t.icmp_id)) return false;
      f.set.set(tuple_field(d, F::kOrigIcmpId));
    }
    if (type) {
      if (!nl::get_u8(type, t.icmp_type)) return false;
      f.set.set(tuple_field(d, F::kOrigIcmpType));
    }
    if (code) {
      if (!nl::get_u8(code, t.icmp_code)) return false;
      f.set.set(tuple_field(d, F::kOrigIcmpCode));
    }
  }
  return true;
}

bool parse_tuple(const Attr& nest, Dir d, Flow& f) {
  Attr tb[CTA_TUPLE_MAX_ + 1];
  if (!nl::attr_parse_nested(nest, tb, CTA_TUPLE_MAX_)) return false;
  if (tb[CTA_TUPLE_IP] && !parse_ip(tb[CTA_TUPLE_IP], d, f)) return false;
  if (tb[CTA_TUPLE_PROTO] && !parse_proto(tb[CTA_TUPLE_PROTO], d, f)) return false;
  if (tb[CTA_TUPLE_ZONE]) {
    if (!nl::get_u16_be(tb[CTA_TUPLE_ZONE], f.tuple[d].zone)) return false;
    f.set.set(tuple_field(d, F::kOrigZone));
  }
  // The L3 protocol of a tuple is the message family (libnetfilter_conntrack
  // sets it for both directions even when no address attribute came).
  f.tuple[d].l3 = f.family;
  f.set.set(tuple_field(d, F::kOrigL3));
  return true;
}

bool parse_tcp(const Attr& nest, Flow& f) {
  Attr tb[CTA_PROTOINFO_TCP_MAX_ + 1];
  if (!nl::attr_parse_nested(nest, tb, CTA_PROTOINFO_TCP_MAX_)) return false;
  if (tb[CTA_PROTOINFO_TCP_STATE]) {
    if (!nl::get_u8(tb[CTA_PROTOINFO_TCP_STATE], f.tcp_state)) return false;
    f.set.set(F::kTcpState);
  }
  if (tb[CTA_PROTOINFO_TCP_WSCALE_ORIGINAL]) {
    if (!nl::get_u8(tb[CTA_PROTOINFO_TCP_WSCALE_ORIGINAL], f.tcp_wscale[0])) return false;
    f.set.set(F::kTcpWscaleOrig);
  }
  if (tb[CTA_PROTOINFO_TCP_WSCALE_REPLY]) {
    if (!nl::get_u8(tb[CTA_PROTOINFO_TCP_WSCALE_REPLY], f.tcp_wscale[1])) return false;
    f.set.set(F::kTcpWscaleRepl);
  }
  // {flags, mask} pairs, one byte each.
  const Attr* fl[2] = {&tb[CTA_PROTOINFO_TCP_FLAGS_ORIGINAL], &tb[CTA_PROTOINFO_TCP_FLAGS_REPLY]};
  for (int i = 0; i < 2; ++i) {
    if (!*fl[i]) continue;
    uint8_t v[2];
    if (!nl::get_bytes(*fl[i], v, 2)) return false;
    f.tcp_flags[i] = v[0];
    f.tcp_mask[i] = v[1];
    f.set.set(i ? F::kTcpFlagsRepl : F::kTcpFlagsOrig);
    f.set.set(i ? F::kTcpMaskRepl : F::kTcpMaskOrig);
  }
  return true;
}

bool parse_sctp(const Attr& nest, Flow& f) {
  Attr tb[CTA_PROTOINFO_SCTP_MAX_ + 1];
  if (!nl::attr_parse_nested(nest, tb, CTA_PROTOINFO_SCTP_MAX_)) return false;
  if (tb[CTA_PROTOINFO_SCTP_STATE]) {
    if (!nl::get_u8(tb[CTA_PROTOINFO_SCTP_STATE], f.sctp_state)) return false;
    f.set.set(F::kSctpState);
  }
  if (tb[CTA_PROTOINFO_SCTP_VTAG_ORIGINAL]) {
    if (!nl::get_u32_be(tb[CTA_PROTOINFO_SCTP_VTAG_ORIGINAL], f.sctp_vtag[0])) return false;
    f.set.set(F::kSctpVtagOrig);
  }
  if (tb[CTA_PROTOINFO_SCTP_VTAG_REPLY]) {
    if (!nl::get_u32_be(tb[CTA_PROTOINFO_SCTP_VTAG_REPLY], f.sctp_vtag[1])) return false;
    f.set.set(F::kSctpVtagRepl);
  }
  return true;
}

bool parse_dccp(const Attr& nest, Flow& f) {
  Attr tb[CTA_PROTOINFO_DCCP_MAX_ + 1];
  if (!nl::attr_parse_nested(nest, tb, CTA_PROTOINFO_DCCP_MAX_)) return false;
  if (tb[CTA_PROTOINFO_DCCP_STATE]) {
    if (!nl::get_u8(tb[CTA_PROTOINFO_DCCP_STATE], f.dccp_state)) return false;
    f.set.set(F::kDccpState);
  }
  if (tb[CTA_PROTOINFO_DCCP_ROLE]) {
    if (!nl::get_u8(tb[CTA_PROTOINFO_DCCP_ROLE], f.dccp_role)) return false;
    f.set.set(F::kDccpRole);
  }
  if (tb[CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ]) {
    if (!nl::get_u64_be(tb[CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ], f.dccp_handshake_seq)) return false;
    f.set.set(F::kDccpHandshakeSeq);
  }
  return true;
}

bool parse_protoinfo(const Attr& nest, Flow& f) {
  Attr tb[CTA_PROTOINFO_MAX_ + 1];
  if (!nl::attr_parse_nested(nest, tb, CTA_PROTOINFO_MAX_)) return false;
  if (tb[CTA_PROTOINFO_TCP] && !parse_tcp(tb[CTA_PROTOINFO_TCP], f)) return false;
  if (tb[CTA_PROTOINFO_SCTP] && !parse_sctp(tb[CTA_PROTOINFO_SCTP], f)) return false;
  if (tb[CTA_PROTOINFO_DCCP] && !parse_dccp(tb[CTA_PROTOINFO_DCCP], f)) return false;
  return true;
}

// Counters are u64, or u32 from very old kernels.
bool get_counter(const Attr& a64, const Attr& a32, uint64_t& out, bool& present) {
  if (a64) {
    present = true;
    return nl::get_u64_be(a64, out);
  }
  if (a32) {
    uint32_t v;
    if (!nl::get_u32_be(a32, v)) return false;
    out = v;
    present = true;
  }
  return true;
}

bool parse_counters(const Attr& nest, int dir, Flow& f) {
  Attr tb[CTA_COUNTERS_MAX_ + 1];
  if (!nl::attr_parse_nested(nest, tb, CTA_COUNTERS_MAX_)) return false;
  bool has_p = false, has_b = false;
  if (!get_counter(tb[CTA_COUNTERS_PACKETS], tb[CTA_COUNTERS32_PACKETS], f.packets[dir], has_p)) return false;
  if (!get_counter(tb[CTA_COUNTERS_BYTES], tb[CTA_COUNTERS32_BYTES], f.bytes[dir], has_b)) return false;
  if (has_p) f.set.set(dir ? F::kReplPackets : F::kOrigPackets);
  if (has_b) f.set.set(dir ? F::kReplBytes : F::kOrigBytes);
  return true;
}

bool parse_timestamp(const Attr& nest, Flow& f) {
  Attr tb[CTA_TIMESTAMP_MAX_ + 1];
  if (!nl::attr_parse_nested(nest, tb, CTA_TIMESTAMP_MAX_)) return false;
  if (tb[CTA_TIMESTAMP_START]) {
    if (!nl::get_u64_be(tb[CTA_TIMESTAMP_START], f.ts_start)) return false;
    f.set.set(F::kTsStart);
  }
  if (tb[CTA_TIMESTAMP_STOP]) {
    if (!nl::get_u64_be(tb[CTA_TIMESTAMP_STOP], f.ts_stop)) return false;
    f.set.set(F::kTsStop);
  }
  return true;
}

bool parse_seq_adj(const Attr& nest, int dir, Flow& f) {
  Attr tb[CTA_SEQADJ_MAX_ + 1];
  if (!nl::attr_parse_nested(nest, tb, CTA_SEQADJ_MAX_)) return false;
  SeqAdj& s = f.seq_adj[dir];
  const F base = dir ? F::kReplSeqCorrPos : F::kOrigSeqCorrPos;
  uint32_t* dst[3] = {&s.correction_pos, &s.offset_before, &s.offset_after};
  for (int i = 0; i < 3; ++i) {
    const Attr& a = tb[CTA_SEQADJ_CORRECTION_POS + i];
    if (!a) continue;
    if (!nl::get_u32_be(a, *dst[i])) return false;
    f.set.set(static_cast<F>(static_cast<unsigned>(base) + i));
  }
  return true;
}

bool parse_synproxy(const Attr& nest, Flow& f) {
  Attr tb[CTA_SYNPROXY_MAX_ + 1];
  if (!nl::attr_parse_nested(nest, tb, CTA_SYNPROXY_MAX_)) return false;
  uint32_t* dst[3] = {&f.synproxy_isn, &f.synproxy_its, &f.synproxy_tsoff};
  const F fields[3] = {F::kSynproxyIsn, F::kSynproxyIts, F::kSynproxyTsoff};
  for (int i = 0; i < 3; ++i) {
    const Attr& a = tb[CTA_SYNPROXY_ISN + i];
    if (!a) continue;
    if (!nl::get_u32_be(a, *dst[i])) return false;
    f.set.set(fields[i]);
  }
  return true;
}

bool parse_help(const Attr& nest, Flow& f) {
  Attr tb[CTA_HELP_MAX_ + 1];
  if (!nl::attr_parse_nested(nest, tb, CTA_HELP_MAX_)) return false;
  if (tb[CTA_HELP_NAME]) {
    f.helper = nl::get_str(tb[CTA_HELP_NAME]);
    f.set.set(F::kHelper);
  }
  return true;
}

bool parse_secctx(const Attr& nest, Flow& f) {
  Attr tb[CTA_SECCTX_MAX_ + 1];
  if (!nl::attr_parse_nested(nest, tb, CTA_SECCTX_MAX_)) return false;
  if (tb[CTA_SECCTX_NAME]) {
    f.secctx = nl::get_str(tb[CTA_SECCTX_NAME]);
    f.set.set(F::kSecctx);
  }
  return true;
}

bool get_u32_field(const Attr& a, uint32_t& v, F field, Flow& f) {
  if (!a) return true;
  if (!nl::get_u32_be(a, v)) return false;
  f.set.set(field);
  return true;
}

bool parse_header(std::span<const uint8_t> payload, Flow& out, std::span<const uint8_t>& attrs) {
  if (payload.size() < sizeof(NfGenMsg)) return false;
  out.clear();
  out.family = payload[0];
  attrs = payload.subspan(nl_align(sizeof(NfGenMsg)));
  return true;
}

}  // namespace

bool parse_tuple_attr(const nl::Attr& nest, Dir d, Flow& f) { return parse_tuple(nest, d, f); }

bool flow_parse_tuples(std::span<const uint8_t> payload, Flow& out) {
  std::span<const uint8_t> attrs;
  if (!parse_header(payload, out, attrs)) return false;
  nl::AttrIter it(attrs);
  Attr a;
  while (it.next(a)) {
    if (a.type == CTA_TUPLE_ORIG && !parse_tuple(a, kDirOrig, out)) return false;
    if (a.type == CTA_TUPLE_REPLY && !parse_tuple(a, kDirRepl, out)) return false;
  }
  return it.ok();
}

bool flow_parse(std::span<const uint8_t> payload, Flow& f) {
  std::span<const uint8_t> attrs;
  if (!parse_header(payload, f, attrs)) return false;
  Attr tb[CTA_MAX_ + 1];
  if (!nl::attr_parse(attrs, tb, CTA_MAX_)) return false;

  if (tb[CTA_TUPLE_ORIG] && !parse_tuple(tb[CTA_TUPLE_ORIG], kDirOrig, f)) return false;
  if (tb[CTA_TUPLE_REPLY] && !parse_tuple(tb[CTA_TUPLE_REPLY], kDirRepl, f)) return false;
  if (tb[CTA_TUPLE_MASTER] && !parse_tuple(tb[CTA_TUPLE_MASTER], kDirMaster, f)) return false;
  if (tb[CTA_PROTOINFO] && !parse_protoinfo(tb[CTA_PROTOINFO], f)) return false;
  if (!get_u32_field(tb[CTA_STATUS], f.status, F::kStatus, f)) return false;
  if (!get_u32_field(tb[CTA_TIMEOUT], f.timeout, F::kTimeout, f)) return false;
  if (!get_u32_field(tb[CTA_MARK], f.mark, F::kMark, f)) return false;
  if (!get_u32_field(tb[CTA_SECMARK], f.secmark, F::kSecmark, f)) return false;
  if (!get_u32_field(tb[CTA_USE], f.use, F::kUse, f)) return false;
  if (!get_u32_field(tb[CTA_ID], f.id, F::kId, f)) return false;
  if (tb[CTA_ZONE]) {
    if (!nl::get_u16_be(tb[CTA_ZONE], f.zone)) return false;
    f.set.set(F::kZone);
  }
  if (tb[CTA_COUNTERS_ORIG] && !parse_counters(tb[CTA_COUNTERS_ORIG], 0, f)) return false;
  if (tb[CTA_COUNTERS_REPLY] && !parse_counters(tb[CTA_COUNTERS_REPLY], 1, f)) return false;
  if (tb[CTA_TIMESTAMP] && !parse_timestamp(tb[CTA_TIMESTAMP], f)) return false;
  if (tb[CTA_TIMESTAMP_EVENT]) {
    if (!nl::get_u64_be(tb[CTA_TIMESTAMP_EVENT], f.ts_event)) return false;
    f.set.set(F::kTsEvent);
  }
  if (tb[CTA_HELP] && !parse_help(tb[CTA_HELP], f)) return false;
  if (tb[CTA_SECCTX] && !parse_secctx(tb[CTA_SECCTX], f)) return false;
  if (tb[CTA_SEQ_ADJ_ORIG] && !parse_seq_adj(tb[CTA_SEQ_ADJ_ORIG], 0, f)) return false;
  if (tb[CTA_SEQ_ADJ_REPLY] && !parse_seq_adj(tb[CTA_SEQ_ADJ_REPLY], 1, f)) return false;
  if (tb[CTA_SYNPROXY] && !parse_synproxy(tb[CTA_SYNPROXY], f)) return false;
  if (tb[CTA_LABELS]) {
    // A bitmap of 32-bit words; anything else is not a label set.
    if (tb[CTA_LABELS].len % 4 != 0) return false;
    f.labels = tb[CTA_LABELS].data;
    f.labels_len = tb[CTA_LABELS].len;
    f.set.set(F::kLabels);
  }
  if (tb[CTA_LABELS_MASK]) {
    if (tb[CTA_LABELS_MASK].len % 4 != 0) return false;
    f.labels_mask = tb[CTA_LABELS_MASK].data;
    f.labels_mask_len = tb[CTA_LABELS_MASK].len;
    f.set.set(F::kLabelsMask);
  }
  return true;
}

}  // namespace ct
