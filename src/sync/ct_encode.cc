// ct::Flow -> a conntrack sync message, in upstream's attribute order
// (build.c ct2msg): address, status, L4 proto, per-protocol attributes,
// timeout, mark, master tuple, NAT, NAT sequence adjustment, helper,
// labels, synproxy, zone.
#include <cstring>

#include "ct_uapi.h"
#include "sync/attr_writer.h"
#include "sync/codec.h"

namespace ctsync {

using ct::F;

namespace {

unsigned addr_len(uint8_t l3) { return l3 == uapi::kAfInet6 ? 16 : 4; }

void put_addrs(AttrWriter& w, uint16_t attr, const ct::Tuple& t) {
  const unsigned n = addr_len(t.l3);
  if (uint8_t* p = w.put(attr, 2 * n)) {
    std::memcpy(p, t.src.b, n);
    std::memcpy(p + n, t.dst.b, n);
  }
}

void put_ports(AttrWriter& w, uint16_t attr, const ct::Tuple& t) {
  if (uint8_t* p = w.put(attr, 4)) {
    p[0] = static_cast<uint8_t>(t.sport >> 8);
    p[1] = static_cast<uint8_t>(t.sport);
    p[2] = static_cast<uint8_t>(t.dport >> 8);
    p[3] = static_cast<uint8_t>(t.dport);
  }
}

void put_l4(AttrWriter& w, const ct::Flow& f, const EncodeOpts& o) {
  const ct::Tuple& t = f.orig();
  switch (t.l4) {
    case uapi::kIpprotoTcp:
      put_ports(w, kNtaPort, t);
      if (!f.has(F::kTcpState)) return;
      w.u8(kNtaTcpState, f.tcp_state);
      if (o.tcp_window_tracking) {
        w.u8(kNtaTcpWscaleOrig, f.tcp_wscale[0]);
        w.u8(kNtaTcpWscaleRepl, f.tcp_wscale[1]);
      }
      return;
    case uapi::kIpprotoSctp:
      put_ports(w, kNtaPort, t);
      if (!f.has(F::kSctpState)) return;
      w.u8(kNtaSctpState, f.sctp_state);
      w.u32(kNtaSctpVtagOrig, f.sctp_vtag[0]);
      w.u32(kNtaSctpVtagRepl, f.sctp_vtag[1]);
      return;
    case uapi::kIpprotoDccp:
      put_ports(w, kNtaPort, t);
      if (!f.has(F::kDccpState)) return;
      w.u8(kNtaDccpState, f.dccp_state);
      w.u8(kNtaDccpRole, f.dccp_role);
      return;
    case uapi::kIpprotoIcmp:
    case uapi::kIpprotoIcmpv6:
      if (!f.has(F::kOrigIcmpType)) return;
      w.u8(kNtaIcmpType, t.icmp_type);
      w.u8(kNtaIcmpCode, t.icmp_code);
      // upstream byte-swaps the id twice (libnetfilter_conntrack keeps
      // it in network order, build.c applies htons again): on the x86
      // peers everyone runs, the wire carries it little-endian.
      {
        const uint8_t id[2] = {static_cast<uint8_t>(t.icmp_id), static_cast<uint8_t>(t.icmp_id >> 8)};
        w.raw(kNtaIcmpId, id, 2);
      }
      return;
    case uapi::kIpprotoUdp:
      put_ports(w, kNtaPort, t);
      return;
    default:
      return;
  }
}

void put_nat(AttrWriter& w, const ct::Flow& f) {
  const ct::Tuple& o = f.orig();
  const unsigned n = addr_len(o.l3);
  const bool v6 = o.l3 == uapi::kAfInet6;
  const bool reply = f.has(F::kReplSrc) && f.has(F::kReplDst);
  if (reply) {
    const ct::Tuple& r = f.repl();
    if (flow_is_snat(f)) w.raw(v6 ? kNtaSnatIpv6 : kNtaSnatIpv4, r.dst.b, n);
    if (flow_is_dnat(f)) w.raw(v6 ? kNtaDnatIpv6 : kNtaDnatIpv4, r.src.b, n);
    if (flow_is_spat(f)) w.u16(kNtaSpatPort, r.dport);
    if (flow_is_dpat(f)) w.u16(kNtaDpatPort, r.sport);
    return;
  }
  // A flow learned from a peer carries the mapping itself.
  if (f.has(F::kSnatIp)) w.raw(v6 ? kNtaSnatIpv6 : kNtaSnatIpv4, f.snat_ip.b, n);
  if (f.has(F::kDnatIp)) w.raw(v6 ? kNtaDnatIpv6 : kNtaDnatIpv4, f.dnat_ip.b, n);
  if (f.has(F::kSnatPort)) w.u16(kNtaSpatPort, f.snat_port);
  if (f.has(F::kDnatPort)) w.u16(kNtaDpatPort, f.dnat_port);
}

// Labels go as big-endian 32-bit words; the Flow holds the kernel's
// bitmap, bit b in byte b/8.
void put_labels(AttrWriter& w, const ct::Flow& f) {
  if (!f.has(F::kLabels) || !f.labels || f.labels_len < 4) return;
  const unsigned words = f.labels_len / 4;
  bool any = false;
  for (unsigned i = 0; i < words * 4; i++) any |= f.labels[i] != 0;
  if (!any) return;
  uint8_t* p = w.put(kNtaLabels, words * 4);
  if (!p) return;
  for (unsigned i = 0; i < words; i++) {
    const uint8_t* b = f.labels + 4 * i;
    const uint32_t v = uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
    AttrWriter::be32(p + 4 * i, v);
  }
}

}  // namespace

size_t encode_ct(std::span<uint8_t> out, uint8_t type, const ct::Flow& f, const EncodeOpts& o) {
  AttrWriter w(out, type);
  const ct::Tuple& t = f.orig();
  if (f.has(F::kOrigSrc) && f.has(F::kOrigDst))
    put_addrs(w, t.l3 == uapi::kAfInet6 ? kNtaIpv6 : kNtaIpv4, t);
  w.u32(kNtaStatus, f.has(F::kStatus) ? f.status : 0);
  w.u8(kNtaL4Proto, t.l4);
  put_l4(w, f, o);
  if (o.send_timeout && f.has(F::kTimeout)) w.u32(kNtaTimeout, f.timeout);
  if (f.has(F::kMark)) w.u32(kNtaMark, f.mark);
  const ct::Tuple& m = f.tuple[ct::kDirMaster];
  if (f.has(F::kMasterL3) && f.has(F::kMasterSrc) && f.has(F::kMasterDst)) {
    put_addrs(w, m.l3 == uapi::kAfInet6 ? kNtaMasterIpv6 : kNtaMasterIpv4, m);
    w.u8(kNtaMasterL4Proto, m.l4);
    if (f.has(F::kMasterPortSrc) && f.has(F::kMasterPortDst)) put_ports(w, kNtaMasterPort, m);
  }
  put_nat(w, f);
  if (f.has(F::kOrigSeqCorrPos) && f.has(F::kOrigSeqOffBefore) && f.has(F::kOrigSeqOffAfter) &&
      f.has(F::kReplSeqCorrPos) && f.has(F::kReplSeqOffBefore) && f.has(F::kReplSeqOffAfter)) {
    if (uint8_t* p = w.put(kNtaNatSeqAdj, 24)) {
      for (int d = 0; d < 2; d++) {
        AttrWriter::be32(p + 12 * d, f.seq_adj[d].correction_pos);
        AttrWriter::be32(p + 12 * d + 4, f.seq_adj[d].offset_before);
        AttrWriter::be32(p + 12 * d + 8, f.seq_adj[d].offset_after);
      }
    }
  }
  if (f.has(F::kHelper) && !f.helper.empty()) {
    // strlen + 1, as upstream; a receiver refuses names over 15 bytes.
    if (uint8_t* p = w.put(kNtaHelperName, f.helper.size() + 1)) std::memcpy(p, f.helper.data(), f.helper.size());
  }
  put_labels(w, f);
  if (f.has(F::kSynproxyIsn) && f.has(F::kSynproxyIts) && f.has(F::kSynproxyTsoff)) {
    if (uint8_t* p = w.put(kNtaSynproxy, 12)) {  // its, isn, tsoff
      AttrWriter::be32(p, f.synproxy_its);
      AttrWriter::be32(p + 4, f.synproxy_isn);
      AttrWriter::be32(p + 8, f.synproxy_tsoff);
    }
  }
  if (f.has(F::kZone)) w.u16(kNtaZone, f.zone);
  return w.finish();
}

}  // namespace ctsync
