// A conntrack sync message -> ct::Flow, with parse.c's checks: the walk
// goes on while more than an attribute header is left; an attribute longer
// than what is left, shorter than its header, with an unknown id or of the
// wrong size rejects the whole message.
#include <cstring>

#include "ct_uapi.h"
#include "sync/attr_walk.h"
#include "sync/codec.h"

namespace ctsync {

using ct::F;

namespace {

uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

void set_addrs(ct::Flow* f, ct::Dir d, uint8_t l3, const uint8_t* p) {
  const unsigned n = l3 == uapi::kAfInet6 ? 16 : 4;
  ct::Tuple& t = f->tuple[d];
  t.l3 = l3;
  std::memset(t.src.b, 0, 16);
  std::memset(t.dst.b, 0, 16);
  std::memcpy(t.src.b, p, n);
  std::memcpy(t.dst.b, p + n, n);
  f->set.set(ct::tuple_field(d, F::kOrigL3));
  f->set.set(ct::tuple_field(d, F::kOrigSrc));
  f->set.set(ct::tuple_field(d, F::kOrigDst));
}

void set_ports(ct::Flow* f, ct::Dir d, const uint8_t* p) {
  f->tuple[d].sport = get16(p);
  f->tuple[d].dport = get16(p + 2);
  f->set.set(ct::tuple_field(d, F::kOrigPortSrc));
  f->set.set(ct::tuple_field(d, F::kOrigPortDst));
}

void set_labels(ct::Flow* f, const uint8_t* p, size_t n, DecodeScratch* s) {
  // upstream ignores a label attribute that is empty or not whole words
  if (n == 0 || (n & 3) || n > sizeof(s->labels)) return;
  for (size_t i = 0; i < n; i += 4) {
    const uint32_t v = get32(p + i);
    s->labels[i] = static_cast<uint8_t>(v);
    s->labels[i + 1] = static_cast<uint8_t>(v >> 8);
    s->labels[i + 2] = static_cast<uint8_t>(v >> 16);
    s->labels[i + 3] = static_cast<uint8_t>(v >> 24);
  }
  f->labels = s->labels;
  f->labels_len = static_cast<uint16_t>(n);
  f->set.set(F::kLabels);
}

void apply(ct::Flow* f, uint16_t id, const uint8_t* p, size_t n, DecodeScratch* s) {
  switch (id) {
    case kNtaIpv4: set_addrs(f, ct::kDirOrig, uapi::kAfInet, p); f->family = uapi::kAfInet; break;
    case kNtaIpv6: set_addrs(f, ct::kDirOrig, uapi::kAfInet6, p); f->family = uapi::kAfInet6; break;
    case kNtaL4Proto: f->tuple[ct::kDirOrig].l4 = p[0]; f->set.set(F::kOrigL4); break;
    case kNtaPort: set_ports(f, ct::kDirOrig, p); break;
    case kNtaTcpState: f->tcp_state = p[0]; f->set.set(F::kTcpState); break;
    case kNtaStatus: f->status = get32(p); f->set.set(F::kStatus); break;
    case kNtaTimeout: f->timeout = get32(p); f->set.set(F::kTimeout); break;
    case kNtaMark: f->mark = get32(p); f->set.set(F::kMark); break;
    case kNtaMasterIpv4: set_addrs(f, ct::kDirMaster, uapi::kAfInet, p); break;
    case kNtaMasterIpv6: set_addrs(f, ct::kDirMaster, uapi::kAfInet6, p); break;
    case kNtaMasterL4Proto: f->tuple[ct::kDirMaster].l4 = p[0]; f->set.set(F::kMasterL4); break;
    case kNtaMasterPort: set_ports(f, ct::kDirMaster, p); break;
    case kNtaSnatIpv4:
    case kNtaSnatIpv6:
      std::memset(f->snat_ip.b, 0, 16);
      std::memcpy(f->snat_ip.b, p, n);
      f->set.set(F::kSnatIp);
      break;
    case kNtaDnatIpv4:
    case kNtaDnatIpv6:
      std::memset(f->dnat_ip.b, 0, 16);
      std::memcpy(f->dnat_ip.b, p, n);
      f->set.set(F::kDnatIp);
      break;
    case kNtaSpatPort: f->snat_port = get16(p); f->set.set(F::kSnatPort); break;
    case kNtaDpatPort: f->dnat_port = get16(p); f->set.set(F::kDnatPort); break;
    case kNtaNatSeqAdj:
      for (int d = 0; d < 2; d++) {
        f->seq_adj[d].correction_pos = get32(p + 12 * d);
        f->seq_adj[d].offset_before = get32(p + 12 * d + 4);
        f->seq_adj[d].offset_after = get32(p + 12 * d + 8);
      }
      for (F x : {F::kOrigSeqCorrPos, F::kOrigSeqOffBefore, F::kOrigSeqOffAfter,
                  F::kReplSeqCorrPos, F::kReplSeqOffBefore, F::kReplSeqOffAfter})
        f->set.set(x);
      break;
    case kNtaSctpState: f->sctp_state = p[0]; f->set.set(F::kSctpState); break;
    case kNtaSctpVtagOrig: f->sctp_vtag[0] = get32(p); f->set.set(F::kSctpVtagOrig); break;
    case kNtaSctpVtagRepl: f->sctp_vtag[1] = get32(p); f->set.set(F::kSctpVtagRepl); break;
    case kNtaDccpState: f->dccp_state = p[0]; f->set.set(F::kDccpState); break;
    case kNtaDccpRole: f->dccp_role = p[0]; f->set.set(F::kDccpRole); break;
    case kNtaIcmpType: f->tuple[ct::kDirOrig].icmp_type = p[0]; f->set.set(F::kOrigIcmpType); break;
    case kNtaIcmpCode: f->tuple[ct::kDirOrig].icmp_code = p[0]; f->set.set(F::kOrigIcmpCode); break;
    case kNtaIcmpId:  // little-endian on the wire: see ct_encode.cc
      f->tuple[ct::kDirOrig].icmp_id = static_cast<uint16_t>(p[0] | p[1] << 8);
      f->set.set(F::kOrigIcmpId);
      break;
    case kNtaTcpWscaleOrig: f->tcp_wscale[0] = p[0]; f->set.set(F::kTcpWscaleOrig); break;
    case kNtaTcpWscaleRepl: f->tcp_wscale[1] = p[0]; f->set.set(F::kTcpWscaleRepl); break;
    case kNtaHelperName: {
      // A string up to its NUL (upstream copies a C string).
      size_t k = 0;
      while (k < n && p[k]) k++;
      f->helper = std::string_view(reinterpret_cast<const char*>(p), k);
      if (k) f->set.set(F::kHelper);
      break;
    }
    case kNtaLabels: set_labels(f, p, n, s); break;
    case kNtaSynproxy:
      f->synproxy_its = get32(p);
      f->synproxy_isn = get32(p + 4);
      f->synproxy_tsoff = get32(p + 8);
      f->set.set(F::kSynproxyIsn);
      f->set.set(F::kSynproxyIts);
      f->set.set(F::kSynproxyTsoff);
      break;
    case kNtaZone: f->zone = get16(p); f->set.set(F::kZone); break;
    default: break;
  }
}

}  // namespace

DropReason decode_ct(const MsgView& m, ct::Flow* out, DecodeScratch* s) {
  out->clear();
  const DropReason r = walk_attrs(m, kCtAttrRules, kNtaMax,
                                  [&](uint16_t id, const uint8_t* p, size_t n) { apply(out, id, p, n, s); });
  if (r != DropReason::kNone) return r;
  // Ours: a flow without addresses or protocol cannot be keyed anywhere;
  // upstream would cache it under a zero key.
  if (!out->has(F::kOrigSrc) || !out->has(F::kOrigL4)) return DropReason::kMissingAttr;
  out->tuple[ct::kDirOrig].zone = out->has(F::kZone) ? out->zone : 0;
  return DropReason::kNone;
}

DropReason decode_ct_overlay(const MsgView& m, ct::Flow* f, DecodeScratch* s) {
  return walk_attrs(m, kCtAttrRules, kNtaMax,
                    [&](uint16_t id, const uint8_t* p, size_t n) { apply(f, id, p, n, s); });
}

}  // namespace ctsync
