// The default text line (spec/conntrack.md §3.1): every field is followed
// by a space and the last one is removed at the end.
#include "base/time_fmt.h"
#include "ct/flow_print_internal.h"
#include "ct/names.h"
#include "ct_uapi.h"

namespace ct::print {
namespace {

using base::OutBuf;

// printf("%-8s %u ", name, num)
void put_proto_column(OutBuf& out, std::string_view name, uint8_t num) {
  out.put_padded(name, 8);
  out.put(' ');
  out.put_u64(num);
  out.put(' ');
}

void put_field(OutBuf& out, std::string_view key, uint64_t v) {
  out.put(key);
  out.put_u64(v);
  out.put(' ');
}

void put_state(OutBuf& out, const Flow& f) {
  if (f.has(F::kTcpState)) { out.put(tcp_state_name(f.tcp_state)); out.put(' '); }
  if (f.has(F::kSctpState)) { out.put(sctp_state_name(f.sctp_state)); out.put(' '); }
  if (f.has(F::kDccpState)) { out.put(dccp_state_name(f.dccp_state)); out.put(' '); }
}

void put_l4(OutBuf& out, const Flow& f, Dir d) {
  uint8_t proto = l4(f, d);
  if (l4_has_ports(proto)) {
    put_field(out, "sport=", sport(f, d));
    put_field(out, "dport=", dport(f, d));
  } else if (proto == uapi::kIpprotoGre) {
    out.put("srckey=0x");
    out.put_hex(sport(f, d));
    out.put(" dstkey=0x");
    out.put_hex(dport(f, d));
    out.put(' ');
  } else if (proto == uapi::kIpprotoIcmp || proto == uapi::kIpprotoIcmpv6) {
    put_field(out, "type=", icmp_type(f, d));
    put_field(out, "code=", icmp_code(f, d));
    put_field(out, "id=", icmp_id(f, d));
  }
}

void put_tuple(OutBuf& out, const Flow& f, Dir d) {
  uint8_t family = l3(f, d);
  if (family == uapi::kAfInet || family == uapi::kAfInet6) {
    out.put("src=");
    put_addr(out, family, src(f, d));
    out.put(" dst=");
    put_addr(out, family, dst(f, d));
    out.put(' ');
  }
  put_l4(out, f, d);
}

void put_direction(OutBuf& out, const Flow& f, Dir d) {
  put_tuple(out, f, d);
  if (has(f, d, F::kOrigZone)) put_field(out, d == kDirOrig ? "zone-orig=" : "zone-reply=", f.tuple[d].zone);
  if (has_counters(f, d)) {
    put_field(out, "packets=", f.packets[d]);
    put_field(out, "bytes=", f.bytes[d]);
  }
}

void put_status_flag(OutBuf& out, uint32_t status) {
  if (status & uapi::kIpsHwOffload) out.put("[HW_OFFLOAD] ");
  else if (status & uapi::kIpsOffload) out.put("[OFFLOAD] ");
  else if (status & uapi::kIpsAssured) out.put("[ASSURED] ");
}

void put_scalars(OutBuf& out, const Flow& f) {
  if (f.has(F::kMark)) put_field(out, "mark=", f.mark);
  if (f.has(F::kSecmark)) put_field(out, "secmark=", f.secmark);
  if (f.has(F::kSecctx)) {
    out.put("secctx=");
    out.put(f.secctx);
    out.put(' ');
  }
  if (f.has(F::kZone)) put_field(out, "zone=", f.zone);
}

void put_times(OutBuf& out, const Flow& f, bool ktimestamp, uint64_t now_ns) {
  if (f.has(F::kTsStart)) put_field(out, "delta-time=", text_delta_time(f, now_ns));
  if (!ktimestamp) return;
  if (f.has(F::kTsStart)) {
    out.put("[start=");
    base::put_ctime(out, static_cast<int64_t>(f.ts_start / kNsPerSec));
    out.put("] ");
  }
  if (f.has(F::kTsStop)) {
    out.put("[stop=");
    base::put_ctime(out, static_cast<int64_t>(f.ts_stop / kNsPerSec));
    out.put("] ");
  }
}

// Upstream writes "labels=" and "name," per named bit, then overwrites the
// last byte with a space; with no named bit that byte is the '=', giving
// "labels ".
void put_labels(OutBuf& out, const Flow& f, const LabelMap& map) {
  out.put("labels");
  char sep = '=';
  for_each_label_name(f, map, [&](std::string_view name) {
    out.put(sep);
    out.put(name);
    sep = ',';
  });
  out.put(' ');
}

}  // namespace

void put_text_l4(OutBuf& out, const Flow& f, Dir d) { put_l4(out, f, d); }

std::string_view event_tag(MsgKind kind) {
  switch (kind) {
    case MsgKind::kNew: return "    [NEW] ";
    case MsgKind::kUpdate: return " [UPDATE] ";
    case MsgKind::kDestroy: return "[DESTROY] ";
    case MsgKind::kList: break;
  }
  return {};
}

void print_text(OutBuf& out, const Flow& f, const PrintOpts& o, MsgKind kind, uint64_t now_ns) {
  out.put(event_tag(kind));
  if (o.extended && f.has(F::kOrigL3)) put_proto_column(out, l3_name(f.orig().l3), f.orig().l3);
  if (f.has(F::kOrigL4)) put_proto_column(out, l4_name(f.orig().l4), f.orig().l4);
  if (f.has(F::kTimeout)) put_field(out, "", f.timeout);
  put_state(out, f);
  put_direction(out, f, kDirOrig);
  if (f.has(F::kStatus) && !(f.status & uapi::kIpsSeenReply)) out.put("[UNREPLIED] ");
  put_direction(out, f, kDirRepl);
  if (f.has(F::kStatus)) put_status_flag(out, f.status);
  put_scalars(out, f);
  put_times(out, f, o.ktimestamp, now_ns);
  if (f.has(F::kHelper)) {
    out.put("helper=");
    out.put(f.helper);
    out.put(' ');
  }
  if (f.has(F::kUse)) put_field(out, "use=", f.use);
  if (o.show_id && f.has(F::kId)) put_field(out, "id=", f.id);
  if (o.labels && f.has(F::kLabels)) put_labels(out, f, *o.labels);
  out.drop_trailing_space();
}

}  // namespace ct::print
