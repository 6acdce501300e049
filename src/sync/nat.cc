// NAT on the wire: which mapping a flow with both tuples announces
// (libnetfilter_conntrack's getobjopt IS_SNAT/DNAT/SPAT/DPAT), and the
// reply tuple a receiver rebuilds from it (SETUP_REPLY).
#include <cstring>

#include "ct_uapi.h"
#include "sync/codec.h"

namespace ctsync {

using ct::F;

namespace {

unsigned alen(const ct::Flow& f) { return f.orig().l3 == uapi::kAfInet6 ? 16 : 4; }

bool status_has(const ct::Flow& f, uint32_t bit) { return !f.has(F::kStatus) || (f.status & bit); }

bool has_ports(uint8_t l4) {
  return l4 == uapi::kIpprotoTcp || l4 == uapi::kIpprotoUdp || l4 == uapi::kIpprotoUdplite ||
         l4 == uapi::kIpprotoSctp || l4 == uapi::kIpprotoDccp;
}

// ICMP requests and their replies (the kernel's invmap).
uint8_t icmp_reply_type(uint8_t l3, uint8_t type) {
  if (l3 == uapi::kAfInet6) {
    switch (type) {
      case 128: return 129;  // echo
      case 130: return 131;  // multicast listener query
      case 139: return 140;  // node information
      default: return type;
    }
  }
  switch (type) {
    case 8: return 0;     // echo
    case 13: return 14;   // timestamp
    case 15: return 16;   // information
    case 17: return 18;   // address mask
    default: return type;
  }
}

}  // namespace

bool flow_is_snat(const ct::Flow& f) {
  return status_has(f, uapi::kIpsSrcNatDone) && std::memcmp(f.repl().dst.b, f.orig().src.b, alen(f)) != 0;
}
bool flow_is_dnat(const ct::Flow& f) {
  return status_has(f, uapi::kIpsDstNatDone) && std::memcmp(f.repl().src.b, f.orig().dst.b, alen(f)) != 0;
}
bool flow_is_spat(const ct::Flow& f) {
  return has_ports(f.orig().l4) && status_has(f, uapi::kIpsSrcNatDone) && f.repl().dport != f.orig().sport;
}
bool flow_is_dpat(const ct::Flow& f) {
  return has_ports(f.orig().l4) && status_has(f, uapi::kIpsDstNatDone) && f.repl().sport != f.orig().dport;
}

void flow_setup_reply(ct::Flow* f) {
  const ct::Tuple& o = f->orig();
  ct::Tuple& r = f->tuple[ct::kDirRepl];
  r = ct::Tuple{};
  r.l3 = o.l3;
  r.l4 = o.l4;
  r.src = f->has(F::kDnatIp) ? f->dnat_ip : o.dst;
  r.dst = f->has(F::kSnatIp) ? f->snat_ip : o.src;
  for (F x : {F::kReplL3, F::kReplSrc, F::kReplDst, F::kReplL4}) f->set.set(x);
  if (f->has(F::kOrigIcmpType)) {
    r.icmp_type = icmp_reply_type(o.l3, o.icmp_type);
    r.icmp_code = o.icmp_code;
    r.icmp_id = o.icmp_id;
    f->set.set(F::kReplIcmpType);
    f->set.set(F::kReplIcmpCode);
    f->set.set(F::kReplIcmpId);
  } else if (f->has(F::kOrigPortSrc)) {
    r.sport = f->has(F::kDnatPort) ? f->dnat_port : o.dport;
    r.dport = f->has(F::kSnatPort) ? f->snat_port : o.sport;
    f->set.set(F::kReplPortSrc);
    f->set.set(F::kReplPortDst);
  }
}

}  // namespace ctsync
