#include "ct/flow_build.h"

#include "ct_uapi.h"

namespace ct {

using namespace uapi;

namespace {

constexpr uint16_t kTupleAttr[3] = {CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_TUPLE_MASTER};

bool has_ports(uint8_t l4) {
  return l4 == kIpprotoTcp || l4 == kIpprotoUdp || l4 == kIpprotoUdplite ||
         l4 == kIpprotoSctp || l4 == kIpprotoDccp || l4 == kIpprotoGre;
}

// Like libnetfilter_conntrack, every L4 field of the protocol is written,
// given or not (zero when not): the kernel needs complete tuples.
bool put_proto(nl::MsgBuilder& b, const Flow& f, Dir d) {
  const Tuple& t = f.tuple[d];
  size_t nest = b.nest_start(CTA_TUPLE_PROTO);
  b.put_u8(CTA_PROTO_NUM, t.l4);
  if (t.l4 == kIpprotoIcmp || t.l4 == kIpprotoIcmpv6) {
    bool v6 = t.l4 == kIpprotoIcmpv6;
    b.put_u8(v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE, t.icmp_code);
    b.put_u8(v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE, t.icmp_type);
    b.put_u16_be(v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, t.icmp_id);
  } else if (has_ports(t.l4)) {
    b.put_u16_be(CTA_PROTO_SRC_PORT, t.sport);
    b.put_u16_be(CTA_PROTO_DST_PORT, t.dport);
  }
  b.nest_end(nest);
  return b.ok();
}

bool put_nat(nl::MsgBuilder& b, uint16_t type, const Addr& ip, bool has_ip, uint16_t port,
             bool has_port, uint8_t family, uint8_t l4) {
  size_t nest = b.nest_start(type);
  if (has_ip) {
    if (family == kAfInet6)
      b.put(CTA_NAT_V6_MINIP, ip.b, 16);
    else
      b.put(CTA_NAT_V4_MINIP, ip.b, 4);
  }
  if (has_port) {
    // Only TCP and UDP carry a NAT port (libnetfilter_conntrack drops it
    // for every other protocol, leaving an empty nest).
    size_t p = b.nest_start(CTA_NAT_PROTO);
    if (l4 == kIpprotoTcp || l4 == kIpprotoUdp) b.put_u16_be(CTA_PROTONAT_PORT_MIN, port);
    b.nest_end(p);
  }
  b.nest_end(nest);
  return b.ok();
}

// Keyed by the original L4 protocol, as libnetfilter_conntrack does: a
// TCP request never carries SCTP protoinfo even if the fields were set.
bool put_protoinfo(nl::MsgBuilder& b, const Flow& f) {
  uint8_t l4 = f.tuple[kDirOrig].l4;
  if (l4 == kIpprotoTcp) {
    if (!(f.has(F::kTcpState) || f.has(F::kTcpFlagsOrig) || f.has(F::kTcpFlagsRepl) ||
          f.has(F::kTcpWscaleOrig) || f.has(F::kTcpWscaleRepl)))
      return true;
    size_t pi = b.nest_start(CTA_PROTOINFO);
    size_t tcp = b.nest_start(CTA_PROTOINFO_TCP);
    if (f.has(F::kTcpState)) b.put_u8(CTA_PROTOINFO_TCP_STATE, f.tcp_state);
    for (int d = 0; d < 2; ++d) {
      if (!f.has(d ? F::kTcpFlagsRepl : F::kTcpFlagsOrig) || !f.has(d ? F::kTcpMaskRepl : F::kTcpMaskOrig))
        continue;
      uint8_t v[2] = {f.tcp_flags[d], f.tcp_mask[d]};
      b.put(d ? CTA_PROTOINFO_TCP_FLAGS_REPLY : CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, v, 2);
    }
    if (f.has(F::kTcpWscaleOrig)) b.put_u8(CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, f.tcp_wscale[0]);
    if (f.has(F::kTcpWscaleRepl)) b.put_u8(CTA_PROTOINFO_TCP_WSCALE_REPLY, f.tcp_wscale[1]);
    b.nest_end(tcp);
    b.nest_end(pi);
  } else if (l4 == kIpprotoSctp) {
    if (!(f.has(F::kSctpState) || f.has(F::kSctpVtagOrig) || f.has(F::kSctpVtagRepl))) return true;
    size_t pi = b.nest_start(CTA_PROTOINFO);
    size_t s = b.nest_start(CTA_PROTOINFO_SCTP);
    if (f.has(F::kSctpState)) b.put_u8(CTA_PROTOINFO_SCTP_STATE, f.sctp_state);
    if (f.has(F::kSctpVtagOrig)) b.put_u32_be(CTA_PROTOINFO_SCTP_VTAG_ORIGINAL, f.sctp_vtag[0]);
    if (f.has(F::kSctpVtagRepl)) b.put_u32_be(CTA_PROTOINFO_SCTP_VTAG_REPLY, f.sctp_vtag[1]);
    b.nest_end(s);
    b.nest_end(pi);
  } else if (l4 == kIpprotoDccp) {
    if (!(f.has(F::kDccpState) || f.has(F::kDccpRole) || f.has(F::kDccpHandshakeSeq))) return true;
    size_t pi = b.nest_start(CTA_PROTOINFO);
    size_t s = b.nest_start(CTA_PROTOINFO_DCCP);
    if (f.has(F::kDccpState)) b.put_u8(CTA_PROTOINFO_DCCP_STATE, f.dccp_state);
    if (f.has(F::kDccpRole)) b.put_u8(CTA_PROTOINFO_DCCP_ROLE, f.dccp_role);
    if (f.has(F::kDccpHandshakeSeq)) b.put_u64_be(CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ, f.dccp_handshake_seq);
    b.nest_end(s);
    b.nest_end(pi);
  }
  return b.ok();
}

bool put_seq_adj(nl::MsgBuilder& b, const Flow& f, int dir) {
  F base = dir ? F::kReplSeqCorrPos : F::kOrigSeqCorrPos;
  for (unsigned i = 0; i < 3; ++i)
    if (!f.has(static_cast<F>(static_cast<unsigned>(base) + i))) return true;
  const SeqAdj& s = f.seq_adj[dir];
  size_t n = b.nest_start(dir ? CTA_SEQ_ADJ_REPLY : CTA_SEQ_ADJ_ORIG);
  b.put_u32_be(CTA_SEQADJ_CORRECTION_POS, s.correction_pos);
  b.put_u32_be(CTA_SEQADJ_OFFSET_BEFORE, s.offset_before);
  b.put_u32_be(CTA_SEQADJ_OFFSET_AFTER, s.offset_after);
  b.nest_end(n);
  return b.ok();
}

}  // namespace

bool tuple_given(const Flow& f, Dir d) {
  for (F base : {F::kOrigL3, F::kOrigSrc, F::kOrigDst, F::kOrigL4, F::kOrigPortSrc,
                 F::kOrigPortDst, F::kOrigIcmpType, F::kOrigIcmpCode, F::kOrigIcmpId, F::kOrigZone})
    if (f.has(tuple_field(d, base))) return true;
  return false;
}

bool put_tuple(nl::MsgBuilder& b, const Flow& f, Dir d) {
  const Tuple& t = f.tuple[d];
  size_t nest = b.nest_start(kTupleAttr[d]);
  size_t ip = b.nest_start(CTA_TUPLE_IP);
  if (t.l3 == kAfInet6) {
    b.put(CTA_IP_V6_SRC, t.src.b, 16);
    b.put(CTA_IP_V6_DST, t.dst.b, 16);
  } else {
    b.put(CTA_IP_V4_SRC, t.src.b, 4);
    b.put(CTA_IP_V4_DST, t.dst.b, 4);
  }
  b.nest_end(ip);
  put_proto(b, f, d);
  if (f.has(tuple_field(d, F::kOrigZone))) b.put_u16_be(CTA_TUPLE_ZONE, t.zone);
  b.nest_end(nest);
  return b.ok();
}

// Attribute order follows libnetfilter_conntrack's request builder, so a
// capture of ours reads like one of upstream's.
bool put_flow_meta(nl::MsgBuilder& b, const Flow& f) {
  // The kernel refuses to touch an unconfirmed entry; upstream always
  // sends CONFIRMED along with the requested bits.
  if (f.has(F::kStatus)) b.put_u32_be(CTA_STATUS, f.status | kIpsConfirmed);
  if (f.has(F::kTimeout)) b.put_u32_be(CTA_TIMEOUT, f.timeout);
  if (f.has(F::kMark)) b.put_u32_be(CTA_MARK, f.mark);
  if (f.has(F::kSecmark)) b.put_u32_be(CTA_SECMARK, f.secmark);
  put_protoinfo(b, f);
  uint8_t fam = f.tuple[kDirOrig].l3;
  if (f.has(F::kSnatIp) || f.has(F::kSnatPort))
    put_nat(b, CTA_NAT_SRC, f.snat_ip, f.has(F::kSnatIp), f.snat_port, f.has(F::kSnatPort), fam,
            f.tuple[kDirOrig].l4);
  if (f.has(F::kDnatIp) || f.has(F::kDnatPort))
    put_nat(b, CTA_NAT_DST, f.dnat_ip, f.has(F::kDnatIp), f.dnat_port, f.has(F::kDnatPort), fam,
            f.tuple[kDirOrig].l4);
  put_seq_adj(b, f, 0);
  put_seq_adj(b, f, 1);
  if (f.has(F::kHelper)) {
    size_t n = b.nest_start(CTA_HELP);
    b.put_str(CTA_HELP_NAME, f.helper);
    b.nest_end(n);
  }
  if (f.has(F::kZone)) b.put_u16_be(CTA_ZONE, f.zone);
  if (f.has(F::kLabels) && f.labels) {
    b.put(CTA_LABELS, f.labels, f.labels_len);
    // The kernel wants a mask as long as the labels; libnetfilter_conntrack
    // leaves out a mask of another size, and so do we.
    if (f.has(F::kLabelsMask) && f.labels_mask && f.labels_mask_len == f.labels_len)
      b.put(CTA_LABELS_MASK, f.labels_mask, f.labels_mask_len);
  }
  if (f.has(F::kSynproxyIsn) && f.has(F::kSynproxyIts) && f.has(F::kSynproxyTsoff)) {
    size_t n = b.nest_start(CTA_SYNPROXY);
    b.put_u32_be(CTA_SYNPROXY_ISN, f.synproxy_isn);
    b.put_u32_be(CTA_SYNPROXY_ITS, f.synproxy_its);
    b.put_u32_be(CTA_SYNPROXY_TSOFF, f.synproxy_tsoff);
    b.nest_end(n);
  }
  return b.ok();
}

bool build_ct_new(nl::MsgBuilder& b, const Flow& f, uint16_t flags, uint32_t seq) {
  if (!b.begin_nfmsg(kNfnlSubsysCtnetlink, kCtMsgNew, kNlmFRequest | flags, seq,
                     f.tuple[kDirOrig].l3))
    return false;
  for (Dir d : {kDirOrig, kDirRepl, kDirMaster})
    if (tuple_given(f, d)) put_tuple(b, f, d);
  put_flow_meta(b, f);
  return b.end_msg();
}

bool build_ct_delete(nl::MsgBuilder& b, const Flow& f, uint16_t flags, uint32_t seq) {
  if (!b.begin_nfmsg(kNfnlSubsysCtnetlink, kCtMsgDelete, kNlmFRequest | flags, seq, f.orig().l3))
    return false;
  put_tuple(b, f, kDirOrig);
  if (f.has(F::kZone)) b.put_u16_be(CTA_ZONE, f.zone);
  return b.end_msg();
}

}  // namespace ct
