// `-o json`: one JSON object per entry, one entry per line (NDJSON).  This
// format is ours, not upstream's; its schema is stable:
//
//   {
//     "type":      "new" | "update" | "destroy"   (events only)
//     "family":    "ipv4" | "ipv6" | "unknown"
//     "l3num":     number                          (address family number)
//     "proto":     "tcp" | "udp" | "udplite" | "icmp" | "icmpv6" | "sctp"
//                  | "gre" | "dccp" | "unknown"
//     "protonum":  number                          (IP protocol number)
//     "timeout":   number                          (seconds left)
//     "state":     string     (TCP, SCTP or DCCP state, as the text line)
//     "orig":      tuple      (original direction)
//     "reply":     tuple      (reply direction)
//     "status":    [string]   (IPS_* names without the prefix, bit order:
//                              "EXPECTED", "SEEN_REPLY", "ASSURED",
//                              "CONFIRMED", "SRC_NAT", "DST_NAT",
//                              "SEQ_ADJUST", "SRC_NAT_DONE", "DST_NAT_DONE",
//                              "DYING", "FIXED_TIMEOUT", "TEMPLATE",
//                              "UNTRACKED", "HELPER", "OFFLOAD", "HW_OFFLOAD")
//     "mark":      number
//     "secmark":   number
//     "secctx":    string
//     "zone":      number
//     "use":       number
//     "id":        number     (always, without -o id)
//     "helper":    string
//     "label_bits": [number]  (set connection label bits)
//     "labels":    [string]   (names of the set bits that have one; only
//                              when the label map is loaded, as the text)
//     "timestamp": {"start": ns, "stop": ns}  (kernel timestamps, each when
//                              present; always, without -o ktimestamp)
//     "delta_time": number    (seconds, computed as the text delta-time)
//   }
//   tuple = {
//     "src": string, "dst": string        (addresses in text form)
//     "sport": number, "dport": number    (tcp, udp, udplite, sctp, dccp)
//     "srckey": number, "dstkey": number  (gre)
//     "type": number, "code": number, "id": number   (icmp, icmpv6)
//     "zone": number                      (tuple zone)
//     "packets": number, "bytes": number  (counters of this direction)
//   }
//
// A key appears only when the kernel sent the field, in the order above;
// numbers are JSON numbers (64-bit unsigned at most); strings are escaped.
#include "ct/flow_print_internal.h"
#include "ct/names.h"
#include "ct_uapi.h"

namespace ct::print {
namespace {

using base::OutBuf;

using Obj = JsonObj;

void addr(Obj& o, std::string_view k, uint8_t family, const Addr& a) {
  o.key(k);
  o.out().put('"');
  put_addr(o.out(), family, a);
  o.out().put('"');
}

void tuple(Obj& parent, std::string_view k, const Flow& f, Dir d) {
  parent.key(k);
  Obj o(parent.out());
  uint8_t family = l3(f, d);
  if (family == uapi::kAfInet || family == uapi::kAfInet6) {
    if (has(f, d, F::kOrigSrc)) addr(o, "src", family, f.tuple[d].src);
    if (has(f, d, F::kOrigDst)) addr(o, "dst", family, f.tuple[d].dst);
  }
  uint8_t proto = l4(f, d);
  bool gre = proto == uapi::kIpprotoGre;
  if (l4_has_ports(proto) || gre) {
    if (has(f, d, F::kOrigPortSrc)) o.num(gre ? "srckey" : "sport", f.tuple[d].sport);
    if (has(f, d, F::kOrigPortDst)) o.num(gre ? "dstkey" : "dport", f.tuple[d].dport);
  } else if (proto == uapi::kIpprotoIcmp || proto == uapi::kIpprotoIcmpv6) {
    if (has(f, d, F::kOrigIcmpType)) o.num("type", f.tuple[d].icmp_type);
    if (has(f, d, F::kOrigIcmpCode)) o.num("code", f.tuple[d].icmp_code);
    if (has(f, d, F::kOrigIcmpId)) o.num("id", f.tuple[d].icmp_id);
  }
  if (has(f, d, F::kOrigZone)) o.num("zone", f.tuple[d].zone);
  if (f.has(d == kDirOrig ? F::kOrigPackets : F::kReplPackets)) o.num("packets", f.packets[d]);
  if (f.has(d == kDirOrig ? F::kOrigBytes : F::kReplBytes)) o.num("bytes", f.bytes[d]);
  o.close();
}

void status(Obj& o, uint32_t status) {
  o.key("status");
  OutBuf& out = o.out();
  out.put('[');
  bool first = true;
  for (const StatusName& s : kStatusNames) {
    if (!(status & s.bit)) continue;
    if (!first) out.put(',');
    first = false;
    out.put('"');
    out.put(s.name);
    out.put('"');
  }
  out.put(']');
}

void label_bits(Obj& o, const Flow& f) {
  o.key("label_bits");
  OutBuf& out = o.out();
  out.put('[');
  bool first = true;
  for (unsigned bit = 0; bit < static_cast<unsigned>(f.labels_len) * 8; ++bit) {
    if (!f.label_bit(bit)) continue;
    if (!first) out.put(',');
    first = false;
    out.put_u64(bit);
  }
  out.put(']');
}

void label_names(Obj& o, const Flow& f, const LabelMap& map) {
  o.key("labels");
  OutBuf& out = o.out();
  out.put('[');
  bool first = true;
  for_each_label_name(f, map, [&](std::string_view name) {
    if (!first) out.put(',');
    first = false;
    out.put_json_string(name);
  });
  out.put(']');
}

void timestamps(Obj& parent, const Flow& f) {
  if (!f.has(F::kTsStart) && !f.has(F::kTsStop)) return;
  parent.key("timestamp");
  Obj o(parent.out());
  if (f.has(F::kTsStart)) o.num("start", f.ts_start);
  if (f.has(F::kTsStop)) o.num("stop", f.ts_stop);
  o.close();
}

std::string_view type_name(MsgKind kind) {
  switch (kind) {
    case MsgKind::kNew: return "new";
    case MsgKind::kUpdate: return "update";
    case MsgKind::kDestroy: return "destroy";
    case MsgKind::kList: break;
  }
  return {};
}

void head(Obj& o, const Flow& f, MsgKind kind) {
  if (kind != MsgKind::kList) o.str("type", type_name(kind));
  if (f.has(F::kOrigL3)) {
    o.str("family", l3_name(f.orig().l3));
    o.num("l3num", f.orig().l3);
  }
  if (f.has(F::kOrigL4)) {
    o.str("proto", l4_name(f.orig().l4));
    o.num("protonum", f.orig().l4);
  }
  if (f.has(F::kTimeout)) o.num("timeout", f.timeout);
  if (f.has(F::kTcpState)) o.str("state", tcp_state_name(f.tcp_state));
  if (f.has(F::kSctpState)) o.str("state", sctp_state_name(f.sctp_state));
  if (f.has(F::kDccpState)) o.str("state", dccp_state_name(f.dccp_state));
}

void tail(Obj& o, const Flow& f, const PrintOpts& opts, uint64_t now_ns) {
  if (f.has(F::kStatus)) status(o, f.status);
  if (f.has(F::kMark)) o.num("mark", f.mark);
  if (f.has(F::kSecmark)) o.num("secmark", f.secmark);
  if (f.has(F::kSecctx)) o.str("secctx", f.secctx);
  if (f.has(F::kZone)) o.num("zone", f.zone);
  if (f.has(F::kUse)) o.num("use", f.use);
  if (f.has(F::kId)) o.num("id", f.id);
  if (f.has(F::kHelper)) o.str("helper", f.helper);
  if (f.has(F::kLabels)) {
    label_bits(o, f);
    if (opts.labels) label_names(o, f, *opts.labels);
  }
  timestamps(o, f);
  if (f.has(F::kTsStart)) o.num("delta_time", text_delta_time(f, now_ns));
}

}  // namespace

void print_json(OutBuf& out, const Flow& f, const PrintOpts& opts, MsgKind kind, uint64_t now_ns) {
  Obj o(out);
  head(o, f, kind);
  if (f.has(F::kOrigL3)) tuple(o, "orig", f, kDirOrig);
  if (f.has(F::kReplL3)) tuple(o, "reply", f, kDirRepl);
  tail(o, f, opts, now_ns);
  o.close();
}

}  // namespace ct::print
