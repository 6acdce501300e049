// `-o save`: the entry as conntrack(8) options (spec/conntrack.md §3.3), so
// that `conntrack -L -o save | conntrack -R -` restores a table.  Every
// option is written only when its field is present; counters, mark, labels
// and secctx are never written.
#include <cstring>

#include "ct/flow_print_internal.h"
#include "ct/names.h"
#include "ct_uapi.h"

namespace ct::print {
namespace {

using base::OutBuf;

// conntrack-tools applies ntohl() to the SCTP vtags, which
// libnetfilter_conntrack already converted to host order: on a
// little-endian host the printed number is byte-swapped.  This undoes the
// swap its own --orig-vtag parser adds, so save output round-trips.
uint32_t be32_as_upstream(uint32_t v) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return __builtin_bswap32(v);
#else
  return v;
#endif
}

void put_opt(OutBuf& out, std::string_view opt, uint64_t v) {
  out.put(opt);
  out.put(' ');
  out.put_u64(v);
  out.put(' ');
}

void put_opt(OutBuf& out, std::string_view opt, std::string_view v) {
  out.put(opt);
  out.put(' ');
  out.put(v);
  out.put(' ');
}

std::string_view prefix(MsgKind kind, char list_prefix) {
  switch (kind) {
    case MsgKind::kNew: return "-A ";
    case MsgKind::kUpdate: return "-U ";
    case MsgKind::kDestroy: return "-D ";
    case MsgKind::kList: break;
  }
  return list_prefix == 'D' ? "-D " : "-A ";
}

void put_status(OutBuf& out, uint32_t status) {
  out.put("-u ");
  char sep = 0;
  for (const StatusName& s : kSaveStatusNames) {
    if (!(status & s.bit)) continue;
    if (sep) out.put(sep);
    out.put(s.name);
    sep = ',';
  }
  if (!sep) out.put("UNSET");
  out.put(' ');
}

void put_generic(OutBuf& out, const Flow& f) {
  if (f.has(F::kTimeout)) put_opt(out, "-t", f.timeout);
  if (f.has(F::kStatus)) put_status(out, f.status);
  if (f.has(F::kSecmark)) put_opt(out, "-c", f.secmark);
  if (f.has(F::kZone)) put_opt(out, "-w", f.zone);
  if (f.has(F::kOrigZone)) put_opt(out, "--orig-zone", f.orig().zone);
  if (f.has(F::kReplZone)) put_opt(out, "--reply-zone", f.repl().zone);
}

bool addr_differs(const Flow& f, const Addr& a, const Addr& b) {
  switch (l3(f, kDirOrig)) {
    case uapi::kAfInet: return std::memcmp(a.b, b.b, 4) != 0;
    case uapi::kAfInet6: return std::memcmp(a.b, b.b, 16) != 0;
    default: return false;
  }
}

// libnetfilter_conntrack's NFCT_GOPT_IS_DNAT / IS_SNAT: the NAT-done status
// bit (when the status is known) and a reply address that is not the
// mirror of the original one.
bool is_dnat(const Flow& f) {
  if (f.has(F::kStatus) && !(f.status & uapi::kIpsDstNatDone)) return false;
  return addr_differs(f, src(f, kDirRepl), dst(f, kDirOrig));
}
bool is_snat(const Flow& f) {
  if (f.has(F::kStatus) && !(f.status & uapi::kIpsSrcNatDone)) return false;
  return addr_differs(f, dst(f, kDirRepl), src(f, kDirOrig));
}

void put_addr_opt(OutBuf& out, std::string_view opt, uint8_t family, const Addr& a) {
  out.put(opt);
  out.put(' ');
  put_addr(out, family, a);
  out.put(' ');
}

void put_addresses(OutBuf& out, const Flow& f, uint8_t family) {
  if (f.has(F::kOrigSrc)) put_addr_opt(out, "-s", family, f.orig().src);
  if (f.has(F::kOrigDst)) put_addr_opt(out, "-d", family, f.orig().dst);
  if (f.has(F::kReplSrc)) put_addr_opt(out, is_dnat(f) ? "-g" : "-r", family, f.repl().src);
  if (f.has(F::kReplDst)) put_addr_opt(out, is_snat(f) ? "-n" : "-q", family, f.repl().dst);
}

// The four port (or GRE key) options, with their per-protocol names.
void put_ports(OutBuf& out, const Flow& f, const std::string_view (&opt)[4]) {
  if (f.has(F::kOrigPortSrc)) put_opt(out, opt[0], f.orig().sport);
  if (f.has(F::kOrigPortDst)) put_opt(out, opt[1], f.orig().dport);
  if (f.has(F::kReplPortSrc)) put_opt(out, opt[2], f.repl().sport);
  if (f.has(F::kReplPortDst)) put_opt(out, opt[3], f.repl().dport);
}

constexpr std::string_view kPortOpts[4] = {"--sport", "--dport", "--reply-port-src", "--reply-port-dst"};
constexpr std::string_view kGreOpts[4] = {"--srckey", "--dstkey", "--reply-key-src", "--reply-key-dst"};

void put_icmp(OutBuf& out, const Flow& f, std::string_view type, std::string_view code,
              std::string_view id) {
  if (f.has(F::kOrigIcmpType)) put_opt(out, type, f.orig().icmp_type);
  if (f.has(F::kOrigIcmpCode)) put_opt(out, code, f.orig().icmp_code);
  if (f.has(F::kOrigIcmpId)) put_opt(out, id, f.orig().icmp_id);
}

void put_l4(OutBuf& out, const Flow& f) {
  uint8_t proto = l4(f, kDirOrig);
  std::string_view name = l4_name(proto);
  if (name == "unknown") {
    put_opt(out, "-p", proto);
    return;
  }
  put_opt(out, "-p", name);
  switch (proto) {
    case uapi::kIpprotoTcp:
      put_ports(out, f, kPortOpts);
      if (f.has(F::kTcpState)) put_opt(out, "--state", save_tcp_state_name(f.tcp_state));
      break;
    case uapi::kIpprotoSctp:
      put_ports(out, f, kPortOpts);
      if (f.has(F::kSctpState)) put_opt(out, "--state", save_sctp_state_name(f.sctp_state));
      if (f.has(F::kSctpVtagOrig)) put_opt(out, "--orig-vtag", be32_as_upstream(f.sctp_vtag[0]));
      if (f.has(F::kSctpVtagRepl)) put_opt(out, "--reply-vtag", be32_as_upstream(f.sctp_vtag[1]));
      break;
    case uapi::kIpprotoDccp:
      put_ports(out, f, kPortOpts);
      if (f.has(F::kDccpState)) put_opt(out, "--state", save_dccp_state_name(f.dccp_state));
      if (f.has(F::kDccpRole)) put_opt(out, "--role", save_dccp_role_name(f.dccp_role));
      break;
    case uapi::kIpprotoGre:
      put_ports(out, f, kGreOpts);
      break;
    case uapi::kIpprotoIcmp:
      put_icmp(out, f, "--icmp-type", "--icmp-code", "--icmp-id");
      break;
    case uapi::kIpprotoIcmpv6:
      put_icmp(out, f, "--icmpv6-type", "--icmpv6-code", "--icmpv6-id");
      break;
    default:  // udp, udplite
      put_ports(out, f, kPortOpts);
      break;
  }
}

void drop_trailing_spaces(OutBuf& out) {
  size_t n;
  do {
    n = out.size();
    out.drop_trailing_space();
  } while (out.size() != n);
}

}  // namespace

PrintResult print_save(OutBuf& out, const Flow& f, const PrintOpts& o, MsgKind kind) {
  out.put(prefix(kind, o.save_prefix));
  put_generic(out, f);
  uint8_t family = flow_save_l3(f);
  if (family != uapi::kAfInet && family != uapi::kAfInet6) {
    // Upstream returns here and prints what it has so far, untrimmed.
    return PrintResult::kUnsupportedL3;
  }
  put_addresses(out, f, family);
  put_l4(out, f);
  drop_trailing_spaces(out);
  return PrintResult::kOk;
}

}  // namespace ct::print
