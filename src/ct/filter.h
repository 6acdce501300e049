// The userspace conntrack filter of conntrack(8) -L/-D/-E/-G/-U (spec §4),
// and libnetfilter_conntrack's nfct_cmp() that it is built on.
//
// A Filter is filled once by the command line and then tested against every
// dumped or received entry, so matching allocates nothing and each rule
// costs only when its option was given.
#pragma once
#include <cstdint>

#include "ct/flow.h"

namespace ct {

// A connection-label bitmap (labels are numbered below 1024).
struct LabelSet {
  static constexpr unsigned kBits = 1024;
  uint32_t w[kBits / 32] = {};
  int max_bit = -1;  // highest bit ever set; -1 when empty

  void set(unsigned bit) {
    w[bit / 32] |= 1u << (bit % 32);
    if (static_cast<int>(bit) > max_bit) max_bit = static_cast<int>(bit);
  }
  bool test(unsigned bit) const { return bit < kBits && (w[bit / 32] >> (bit % 32)) & 1; }
  void merge(const LabelSet& o) {
    for (unsigned i = 0; i < kBits / 32; i++) w[i] |= o.w[i];
    if (o.max_bit > max_bit) max_bit = o.max_bit;
  }
  // Bytes needed for bits 0..max_bit, rounded up to 32-bit words (the
  // size upstream's nfct_bitmask_new(max_bit) would have).
  unsigned byte_len() const { return max_bit < 0 ? 4 : (static_cast<unsigned>(max_bit) / 32 + 1) * 4; }
  const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(w); }
};

// nfct_cmp() flags.
enum CmpFlags : unsigned {
  kCmpOrig = 1u << 0,
  kCmpRepl = 1u << 1,
  kCmpMeta = 1u << 2,
  kCmpAll = kCmpOrig | kCmpRepl | kCmpMeta,
  kCmpMask = 1u << 3,    // fields set only in `a` must match too
  kCmpStrict = 1u << 4,  // fields set in only one side must match too
};

// nfct_cmp(a, b, flags): 1 if equal under `flags`.  With kCmpMask, `a` is a
// template: everything set in it must match `b` (zones and mark compare a
// missing value as 0; status means "all of a's bits set in b").
bool flow_cmp(const Flow& a, const Flow& b, unsigned flags);

struct Filter {
  // Fields to compare (upstream's tmpl->ct); also the template that
  // -I/-A/-G/-U send.  NAT filter addresses/ports live in its kSnat*/kDnat*.
  Flow tmpl;
  uint8_t family = 0;  // -f / address family; -E drops other families

  // Rule 1, NAT: -n, -g, -j.  Only an IPv4 NAT address is compared
  // (upstream tests ATTR_SNAT_IPV4/ATTR_DNAT_IPV4 only).
  bool nat_src = false, nat_dst = false, nat_any = false;
  bool snat_addr_v4 = false, dnat_addr_v4 = false;

  // Rule 2, mark: (mark & mark_mask) == mark_value.
  bool mark = false;
  uint32_t mark_value = 0, mark_mask = 0;

  // Rule 3, labels: every bit required.
  bool labels = false;
  LabelSet label_bits;

  // Rule 4, networks from CIDR / --mask-src / --mask-dst.  Prepared by
  // cli_prepare_filter(); before that net_family is 0 and matches nothing,
  // as upstream's unprepared state does.
  bool net_src = false, net_dst = false;
  uint8_t net_family = 0;
  Addr src_net{}, src_mask{}, dst_net{}, dst_mask{};

  // Rule 5: nfct_cmp(tmpl, entry, ALL|MASK), only when one of
  // -p -s -d -r -q -m -c -u -i -w -l --orig-zone --reply-zone was given.
  bool cmp = false;

  // -U selection: compare the orig / reply tuple (set when any of -s -d -p
  // / -r -q -p was given; upstream tests `options & CT_OPT_TUPLE_*`).
  bool upd_orig = false, upd_repl = false;

  // What the kernel can filter (CTA_MARK/CTA_MARK_MASK for -L/-D,
  // CTA_STATUS/CTA_STATUS_MASK for -L).
  bool kernel_mark = false;
  uint32_t kernel_mark_value = 0, kernel_mark_mask = 0;
  bool kernel_status = false;
  uint32_t kernel_status_value = 0, kernel_status_mask = 0;
};

// Rules 1-5 (upstream nfct_filter(): -L, -D, -G, -E).
bool filter_match(const Filter& f, const Flow& ct);
// -E: also drops entries of another family than -f / the addresses gave.
inline bool filter_match_event(const Filter& f, const Flow& ct) {
  return (f.family == 0 || f.family == ct.family) && filter_match(f, ct);
}
// -U selection: rules 1, 3, 4, the id, and the tuples (no mark/status:
// on -U those are values to set).
bool filter_match_update(const Filter& f, const Flow& ct);

// The part of rule 5 that the kernel's dump filter (CTA_FILTER with
// CTA_TUPLE_ORIG/REPLY, Linux >= 5.8) applies exactly as filter_match
// does: the L4 protocol number, TCP/UDP/UDPLITE/SCTP/DCCP ports, the
// ICMP/ICMPv6 type, code and id, and (IPv4 dumps only) exact addresses.
// Deliberately left out, because the kernel would be stricter than
// userspace or fail the dump: IPv6 addresses (the kernel's IPv6 compare
// rejects equal addresses), CIDR networks, tuple zones (parsed but never
// compared by the kernel, and EINVAL when both directions carry one),
// ICMP types the kernel has no inverse for (EINVAL), and anything of a
// family other than AF_INET/AF_INET6 (EOPNOTSUPP).  Where the kernel is
// looser (ports of SCTP/DCCP/UDPLITE), filter_match still decides: callers
// must always run it on what the dump returns.
struct KernelTupleFilter {
  uint32_t flags[2] = {0, 0};  // CTA_FILTER_ORIG_FLAGS, CTA_FILTER_REPLY_FLAGS
  Tuple tuple[2];              // the values (kDirOrig, kDirRepl)
  bool any() const { return flags[0] != 0 || flags[1] != 0; }
};

// Fills `out` for a dump of `family` (the nfgen_family; AF_INET or
// AF_INET6, or 0 when the caller will choose one itself: then addresses
// are never expressed).  Returns false ("not expressible") when no part
// of the filter can be given to the kernel.
bool filter_kernel_tuples(const Filter& f, uint8_t family, KernelTupleFilter& out);

// Pieces exposed for tests and for -U.
bool filter_nat(const Filter& f, const Flow& ct);
bool is_snat(const Flow& ct);
bool is_dnat(const Flow& ct);
bool is_spat(const Flow& ct);
bool is_dpat(const Flow& ct);

}  // namespace ct
