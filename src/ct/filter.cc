// Semantics from libnetfilter_conntrack (compare.c, objopt.c) and
// conntrack-tools (nfct_filter and its filter_* helpers).  Results must be
// identical to upstream's, quirks included; see spec §4.
#include "ct/filter.h"

#include <cstring>

#include "ct_uapi.h"

namespace ct {
namespace {

using uapi::kAfInet;
using uapi::kAfInet6;

// libnetfilter_conntrack's __cmp(): how a field set on one side only is
// treated.  `eq` reads a missing value as 0 where upstream's getter does.
template <typename Eq>
inline bool cmp_field(bool a, bool b, unsigned flags, bool strict, Eq eq) {
  if (a && b) return eq();
  if (!a && !b) return true;
  if ((flags & kCmpMask) && a) return strict ? false : eq();
  if (flags & kCmpStrict) return strict ? false : eq();
  return true;
}

bool has_v4(const Flow& f, Dir d, F field) {
  return f.has(tuple_field(d, field)) && f.tuple[d].l3 != kAfInet6;
}
bool has_v6(const Flow& f, Dir d, F field) {
  return f.has(tuple_field(d, field)) && f.tuple[d].l3 == kAfInet6;
}
bool eq_v4(const Addr& a, const Addr& b) { return std::memcmp(a.b, b.b, 4) == 0; }

bool is_icmp(uint8_t p) { return p == uapi::kIpprotoIcmp || p == uapi::kIpprotoIcmpv6; }
bool has_ports(uint8_t p) {
  return p == uapi::kIpprotoTcp || p == uapi::kIpprotoUdp || p == uapi::kIpprotoUdplite ||
         p == uapi::kIpprotoDccp || p == uapi::kIpprotoSctp;
}

// ICMP id/type/code are one attribute each in libnetfilter_conntrack and
// live in the original tuple; both directions compare those.
bool cmp_icmp(const Flow& a, const Flow& b, unsigned flags) {
  const Tuple& x = a.orig();
  const Tuple& y = b.orig();
  return cmp_field(a.has(F::kOrigIcmpId), b.has(F::kOrigIcmpId), flags, true,
                   [&] { return x.icmp_id == y.icmp_id; }) &&
         cmp_field(a.has(F::kOrigIcmpCode), b.has(F::kOrigIcmpCode), flags, true,
                   [&] { return x.icmp_code == y.icmp_code; }) &&
         cmp_field(a.has(F::kOrigIcmpType), b.has(F::kOrigIcmpType), flags, true,
                   [&] { return x.icmp_type == y.icmp_type; });
}

bool cmp_l4(const Flow& a, const Flow& b, Dir d, unsigned flags) {
  const Tuple& x = a.tuple[d];
  const Tuple& y = b.tuple[d];
  if (x.l4 != y.l4) return false;
  if (is_icmp(x.l4)) return cmp_icmp(a, b, flags);
  if (!has_ports(x.l4)) return true;
  return cmp_field(a.has(tuple_field(d, F::kOrigPortSrc)), b.has(tuple_field(d, F::kOrigPortSrc)),
                   flags, true, [&] { return x.sport == y.sport; }) &&
         cmp_field(a.has(tuple_field(d, F::kOrigPortDst)), b.has(tuple_field(d, F::kOrigPortDst)),
                   flags, true, [&] { return x.dport == y.dport; });
}

uint16_t zone_or0(const Flow& f, Dir d) {
  return f.has(tuple_field(d, F::kOrigZone)) ? f.tuple[d].zone : 0;
}

bool cmp_tuple(const Flow& a, const Flow& b, Dir d, unsigned flags) {
  const Tuple& x = a.tuple[d];
  const Tuple& y = b.tuple[d];
  return cmp_field(a.has(tuple_field(d, F::kOrigL3)), b.has(tuple_field(d, F::kOrigL3)), flags,
                   true, [&] { return x.l3 == y.l3; }) &&
         cmp_field(a.has(tuple_field(d, F::kOrigL4)), b.has(tuple_field(d, F::kOrigL4)), flags,
                   true, [&] { return cmp_l4(a, b, d, flags); }) &&
         cmp_field(has_v4(a, d, F::kOrigSrc), has_v4(b, d, F::kOrigSrc), flags, true,
                   [&] { return eq_v4(x.src, y.src); }) &&
         cmp_field(has_v4(a, d, F::kOrigDst), has_v4(b, d, F::kOrigDst), flags, true,
                   [&] { return eq_v4(x.dst, y.dst); }) &&
         cmp_field(has_v6(a, d, F::kOrigSrc), has_v6(b, d, F::kOrigSrc), flags, true,
                   [&] { return x.src == y.src; }) &&
         cmp_field(has_v6(a, d, F::kOrigDst), has_v6(b, d, F::kOrigDst), flags, true,
                   [&] { return x.dst == y.dst; }) &&
         cmp_field(a.has(tuple_field(d, F::kOrigZone)), b.has(tuple_field(d, F::kOrigZone)), flags,
                   false, [&] { return zone_or0(a, d) == zone_or0(b, d); });
}

// Two label bitmaps are equal if their common words are and the longer
// one has nothing set beyond them.
bool labels_equal(const uint8_t* a, unsigned alen, const uint8_t* b, unsigned blen) {
  if (a == nullptr || b == nullptr) return a == b;
  const uint8_t* longer = alen > blen ? a : b;
  unsigned len = alen < blen ? alen : blen;
  unsigned max = alen > blen ? alen : blen;
  for (unsigned i = len; i < max; i++)
    if (longer[i]) return false;
  return std::memcmp(a, b, len) == 0;
}

bool cmp_meta(const Flow& a, const Flow& b, unsigned flags) {
  auto both = [&](F f, bool strict, auto eq) { return cmp_field(a.has(f), b.has(f), flags, strict, eq); };
  return both(F::kId, true, [&] { return a.id == b.id; }) &&
         both(F::kMark, false, [&] {
           return (a.has(F::kMark) ? a.mark : 0) == (b.has(F::kMark) ? b.mark : 0);
         }) &&
         both(F::kTimeout, true, [&] { return a.timeout == b.timeout; }) &&
         both(F::kStatus, true, [&] { return (a.status & b.status) == a.status; }) &&
         both(F::kTcpState, true, [&] { return a.tcp_state == b.tcp_state; }) &&
         both(F::kSctpState, true, [&] { return a.sctp_state == b.sctp_state; }) &&
         both(F::kDccpState, true, [&] { return a.dccp_state == b.dccp_state; }) &&
         both(F::kZone, false, [&] {
           return (a.has(F::kZone) ? a.zone : 0) == (b.has(F::kZone) ? b.zone : 0);
         }) &&
         both(F::kSecctx, true, [&] { return a.secctx == b.secctx; }) &&
         both(F::kLabels, true, [&] {
           return labels_equal(a.labels, a.labels_len, b.labels, b.labels_len);
         }) &&
         both(F::kLabelsMask, true, [&] {
           return labels_equal(a.labels_mask, a.labels_mask_len, b.labels_mask, b.labels_mask_len);
         });
}

// libnetfilter_conntrack keeps ports, GRE keys and ICMP id/type/code in
// one union per direction; the NAT "port changed" tests compare those raw
// 16-bit images.  Here each image is (first byte << 8 | second byte).
uint16_t raw_l4src(const Flow& f, Dir d) {
  if (f.has(tuple_field(d, F::kOrigPortSrc))) return f.tuple[d].sport;
  if (f.has(tuple_field(d, F::kOrigIcmpId))) return f.tuple[d].icmp_id;
  return 0;
}
uint16_t raw_l4dst(const Flow& f, Dir d) {
  if (f.has(tuple_field(d, F::kOrigPortDst))) return f.tuple[d].dport;
  const Tuple& t = f.tuple[d];
  if (f.has(tuple_field(d, F::kOrigIcmpType)) || f.has(tuple_field(d, F::kOrigIcmpCode)))
    return static_cast<uint16_t>(t.icmp_type << 8 | t.icmp_code);
  return 0;
}

bool nat_done(const Flow& f, uint32_t bit) { return !f.has(F::kStatus) || (f.status & bit); }

bool addr_differs(const Flow& f, const Addr& x, const Addr& y) {
  switch (f.orig().l3) {
    case kAfInet: return !eq_v4(x, y);
    case kAfInet6: return !(x == y);
    default: return false;
  }
}

uint16_t port_or0(const Flow& f, F field, uint16_t v) { return f.has(field) ? v : 0; }

// One direction of the NAT rule: `check_addr` / `check_port` say what the
// template gives; is_nat / is_pat are the entry's state.
bool nat_side(bool check_addr, const Addr& addr, bool check_port, uint16_t port, bool is_nat,
              bool is_pat, const Addr& entry_addr, uint16_t entry_port) {
  bool has = false;
  if (check_addr) has = is_nat && eq_v4(addr, entry_addr);
  if (check_port) {
    bool ok = is_pat && port == entry_port;
    if (check_addr && has && !ok) has = false;
    if (!check_addr && ok) has = true;
  }
  if (!check_addr && !check_port && (is_nat || is_pat)) has = true;
  return has;
}

bool label_match(const Filter& f, const Flow& ct) {
  if (!ct.has(F::kLabels) || ct.labels == nullptr) return false;
  for (int i = 0; i <= f.label_bits.max_bit; i++)
    if (f.label_bits.test(static_cast<unsigned>(i)) && !ct.label_bit(static_cast<unsigned>(i)))
      return false;
  return true;
}

bool net_dir_match(const Filter& f, const Flow& ct, const Addr& net, const Addr& mask, bool dst) {
  if (ct.orig().l3 != f.net_family) return false;
  const Addr& a = dst ? ct.orig().dst : ct.orig().src;
  unsigned n = f.net_family == kAfInet6 ? 16 : 4;
  for (unsigned i = 0; i < n; i++)
    if ((a.b[i] & mask.b[i]) != net.b[i]) return false;
  return true;
}

bool net_match(const Filter& f, const Flow& ct) {
  if (f.net_src && !net_dir_match(f, ct, f.src_net, f.src_mask, false)) return false;
  if (f.net_dst && !net_dir_match(f, ct, f.dst_net, f.dst_mask, true)) return false;
  return true;
}

}  // namespace

bool flow_cmp(const Flow& a, const Flow& b, unsigned flags) {
  if ((flags & kCmpAll) == kCmpAll)
    return cmp_meta(a, b, flags) && cmp_tuple(a, b, kDirOrig, flags) &&
           cmp_tuple(a, b, kDirRepl, flags);
  if ((flags & kCmpOrig) && !cmp_tuple(a, b, kDirOrig, flags)) return false;
  if ((flags & kCmpRepl) && !cmp_tuple(a, b, kDirRepl, flags)) return false;
  return true;
}

bool is_snat(const Flow& ct) {
  return nat_done(ct, uapi::kIpsSrcNatDone) && addr_differs(ct, ct.repl().dst, ct.orig().src);
}
bool is_dnat(const Flow& ct) {
  return nat_done(ct, uapi::kIpsDstNatDone) && addr_differs(ct, ct.repl().src, ct.orig().dst);
}
bool is_spat(const Flow& ct) {
  return nat_done(ct, uapi::kIpsSrcNatDone) && raw_l4dst(ct, kDirRepl) != raw_l4src(ct, kDirOrig);
}
bool is_dpat(const Flow& ct) {
  return nat_done(ct, uapi::kIpsDstNatDone) && raw_l4src(ct, kDirRepl) != raw_l4dst(ct, kDirOrig);
}

bool filter_nat(const Filter& f, const Flow& ct) {
  bool want_src = f.nat_src || f.nat_any;
  bool want_dst = f.nat_dst || f.nat_any;
  if (!want_src && !want_dst) return true;
  const Flow& t = f.tmpl;
  bool has_src = false, has_dst = false;
  if (want_src)
    has_src = nat_side(f.snat_addr_v4 && t.has(F::kSnatIp), t.snat_ip, t.has(F::kSnatPort),
                       t.snat_port, is_snat(ct), is_spat(ct), ct.repl().dst,
                       port_or0(ct, F::kReplPortDst, ct.repl().dport));
  if (want_dst)
    has_dst = nat_side(f.dnat_addr_v4 && t.has(F::kDnatIp), t.dnat_ip, t.has(F::kDnatPort),
                       t.dnat_port, is_dnat(ct), is_dpat(ct), ct.repl().src,
                       port_or0(ct, F::kReplPortSrc, ct.repl().sport));
  if (f.nat_any) return has_src || has_dst;
  if (f.nat_src && f.nat_dst) return has_src && has_dst;
  return f.nat_src ? has_src : has_dst;
}

bool filter_match(const Filter& f, const Flow& ct) {
  // Cheapest and usually most selective first; every rule must hold.
  if (f.mark && !(ct.has(F::kMark) && (ct.mark & f.mark_mask) == f.mark_value)) return false;
  if (f.cmp && !flow_cmp(f.tmpl, ct, kCmpAll | kCmpMask)) return false;
  if ((f.net_src || f.net_dst) && !net_match(f, ct)) return false;
  if (!filter_nat(f, ct)) return false;
  if (f.labels && !label_match(f, ct)) return false;
  return true;
}

namespace {

// ICMP types the kernel's icmp(v6)_nlattr_to_tuple accepts in a filter
// (those with an inverse type); any other type makes it fail with EINVAL.
bool kernel_icmp_type_ok(uint8_t l4, uint8_t type) {
  if (l4 == uapi::kIpprotoIcmp)
    return type == 0 || type == 8 || (type >= 13 && type <= 18);
  return type == 128 || type == 129 || type == 139 || type == 140;
}

}  // namespace

bool filter_kernel_tuples(const Filter& f, uint8_t family, KernelTupleFilter& out) {
  out = KernelTupleFilter();
  // Rule 5 is the only tuple rule, and it runs only when asked for.
  if (!f.cmp) return false;
  if (family != 0 && family != kAfInet && family != kAfInet6) return false;
  const Flow& t = f.tmpl;
  for (Dir d : {kDirOrig, kDirRepl}) {
    const Tuple& x = t.tuple[d];
    uint32_t& fl = out.flags[d];
    Tuple& v = out.tuple[d];
    v.l3 = family;
    // Exact IPv4 addresses: cmp_tuple compares the first 4 bytes when the
    // template's L3 is not IPv6, and an entry without an IPv4 address
    // never matches; an AF_INET dump holds only IPv4 entries.
    if (family == kAfInet && x.l3 == kAfInet) {
      if (has_v4(t, d, F::kOrigSrc)) {
        fl |= uapi::kCtaFilterFlagIpSrc;
        v.src = x.src;
      }
      if (has_v4(t, d, F::kOrigDst)) {
        fl |= uapi::kCtaFilterFlagIpDst;
        v.dst = x.dst;
      }
    }
    // L4: compared (strictly) only when the template has the protocol.
    if (!t.has(tuple_field(d, F::kOrigL4))) continue;
    fl |= uapi::kCtaFilterFlagProtoNum;
    v.l4 = x.l4;
    if (has_ports(x.l4)) {
      if (t.has(tuple_field(d, F::kOrigPortSrc))) {
        fl |= uapi::kCtaFilterFlagProtoSrcPort;
        v.sport = x.sport;
      }
      if (t.has(tuple_field(d, F::kOrigPortDst))) {
        fl |= uapi::kCtaFilterFlagProtoDstPort;
        v.dport = x.dport;
      }
    } else if (is_icmp(x.l4) && d == kDirOrig) {
      // cmp_icmp compares the original tuple's ICMP fields (whichever
      // direction led there); the kernel compares the given direction's,
      // so they go in the original tuple only.
      bool v6 = x.l4 == uapi::kIpprotoIcmpv6;
      if (t.has(F::kOrigIcmpType) && kernel_icmp_type_ok(x.l4, x.icmp_type)) {
        fl |= v6 ? uapi::kCtaFilterFlagIcmpv6Type : uapi::kCtaFilterFlagIcmpType;
        v.icmp_type = x.icmp_type;
      }
      if (t.has(F::kOrigIcmpCode)) {
        fl |= v6 ? uapi::kCtaFilterFlagIcmpv6Code : uapi::kCtaFilterFlagIcmpCode;
        v.icmp_code = x.icmp_code;
      }
      if (t.has(F::kOrigIcmpId)) {
        fl |= v6 ? uapi::kCtaFilterFlagIcmpv6Id : uapi::kCtaFilterFlagIcmpId;
        v.icmp_id = x.icmp_id;
      }
    }
  }
  return out.any();
}

bool filter_match_update(const Filter& f, const Flow& ct) {
  if (!filter_nat(f, ct)) return false;
  if (f.labels && !label_match(f, ct)) return false;
  if ((f.net_src || f.net_dst) && !net_match(f, ct)) return false;
  if (f.tmpl.has(F::kId) && ct.has(F::kId) && f.tmpl.id != ct.id) return false;
  if (f.upd_orig && !flow_cmp(f.tmpl, ct, kCmpOrig)) return false;
  if (f.upd_repl && !flow_cmp(f.tmpl, ct, kCmpRepl)) return false;
  return true;
}

}  // namespace ct
