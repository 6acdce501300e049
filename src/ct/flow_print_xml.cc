// One <flow> element per entry (spec/conntrack.md §3.2), in upstream's
// element order, including its quirks: SCTP/DCCP states named from the TCP
// table, reply counters gated on the original ones, and <secctx> printed
// even when the "independent" block is not.
#include "base/time_fmt.h"
#include "ct/flow_print_internal.h"
#include "ct/names.h"
#include "ct_uapi.h"

namespace ct::print {

using base::OutBuf;

void put_elem(OutBuf& out, std::string_view tag, uint64_t v) {
  out.put('<');
  out.put(tag);
  out.put('>');
  out.put_u64(v);
  out.put("</");
  out.put(tag);
  out.put('>');
}

void put_elem(OutBuf& out, std::string_view tag, std::string_view v) {
  out.put('<');
  out.put(tag);
  out.put('>');
  out.put(v);
  out.put("</");
  out.put(tag);
  out.put('>');
}

void put_xml_l4(OutBuf& out, const Flow& f, Dir d) {
  uint8_t proto = l4(f, d);
  if (l4_has_ports(proto)) {
    put_elem(out, "sport", sport(f, d));
    put_elem(out, "dport", dport(f, d));
  } else if (proto == uapi::kIpprotoGre) {
    out.put("<srckey>0x");
    out.put_hex(sport(f, d));
    out.put("</srckey><dstkey>0x");
    out.put_hex(dport(f, d));
    out.put("</dstkey>");
  }
}

namespace {

using base::OutBuf;

// <layerN protonum="num" protoname="name">
void put_layer_open(OutBuf& out, char n, uint8_t num, std::string_view name) {
  out.put("<layer");
  out.put(n);
  out.put(" protonum=\"");
  out.put_u64(num);
  out.put("\" protoname=\"");
  out.put(name);
  out.put("\">");
}

void put_l4(OutBuf& out, const Flow& f, Dir d) {
  uint8_t proto = l4(f, d);
  put_layer_open(out, '4', proto, l4_name(proto));
  put_xml_l4(out, f, d);
  out.put("</layer4>");
}

void put_tuple(OutBuf& out, const Flow& f, Dir d) {
  out.put(d == kDirOrig ? "<meta direction=\"original\">" : "<meta direction=\"reply\">");
  uint8_t family = l3(f, d);
  put_layer_open(out, '3', family, l3_name(family));
  out.put("<src>");
  put_addr(out, family, src(f, d));
  out.put("</src><dst>");
  put_addr(out, family, dst(f, d));
  out.put("</dst></layer3>");
  put_l4(out, f, d);
  if (has(f, d, F::kOrigZone)) put_elem(out, "zone", f.tuple[d].zone);
  if (has_counters(f, kDirOrig)) {
    out.put("<counters>");
    put_elem(out, "packets", packets(f, d));
    put_elem(out, "bytes", bytes(f, d));
    out.put("</counters>");
  }
  out.put("</meta>");
}

bool has_independent(const Flow& f) {
  static constexpr F kFields[] = {
      F::kTcpState, F::kSctpState, F::kDccpState, F::kTimeout, F::kMark,
      F::kSecmark, F::kZone, F::kUse, F::kStatus, F::kId, F::kLabels,
      F::kTsStart, F::kTsStop,
  };
  for (F field : kFields)
    if (f.has(field)) return true;
  return false;
}

void put_states(OutBuf& out, const Flow& f) {
  if (f.has(F::kTcpState)) put_elem(out, "state", xml_state_name(f.tcp_state));
  if (f.has(F::kSctpState)) put_elem(out, "state", xml_state_name(f.sctp_state));
  if (f.has(F::kDccpState)) put_elem(out, "state", xml_state_name(f.dccp_state));
}

void put_labels(OutBuf& out, const Flow& f, const LabelMap& map) {
  out.put("<labels>");
  for_each_label_name(f, map, [&](std::string_view name) { put_elem(out, "label", name); });
  out.put("</labels>");
}

void put_timestamps(OutBuf& out, const Flow& f) {
  bool start = f.has(F::kTsStart), stop = f.has(F::kTsStop);
  if (!start && !stop) return;
  out.put("<timestamp>");
  if (start) put_elem(out, "start", f.ts_start);
  if (stop) put_elem(out, "stop", f.ts_stop);
  out.put("</timestamp>");
}

// Unlike the text line, XML subtracts before truncating to seconds.
void put_deltatime(OutBuf& out, const Flow& f, uint64_t now_ns) {
  if (!f.has(F::kTsStart)) return;
  uint64_t delta;
  if (f.has(F::kTsStop)) {
    delta = (f.ts_stop - f.ts_start) / kNsPerSec;
  } else {
    int64_t now_s = static_cast<int64_t>(now_ns / kNsPerSec);
    delta = static_cast<uint64_t>(now_s - static_cast<int64_t>(f.ts_start / kNsPerSec));
  }
  put_elem(out, "deltatime", delta);
}

void put_independent(OutBuf& out, const Flow& f, const PrintOpts& o, uint64_t now_ns) {
  bool block = has_independent(f);
  if (block) out.put("<meta direction=\"independent\">");
  put_states(out, f);
  if (f.has(F::kTimeout)) put_elem(out, "timeout", f.timeout);
  if (f.has(F::kMark)) put_elem(out, "mark", f.mark);
  if (o.labels && f.has(F::kLabels)) put_labels(out, f, *o.labels);
  if (f.has(F::kSecmark)) put_elem(out, "secmark", f.secmark);
  if (f.has(F::kSecctx)) put_elem(out, "secctx", f.secctx);
  if (f.has(F::kZone)) put_elem(out, "zone", f.zone);
  if (f.has(F::kUse)) put_elem(out, "use", f.use);
  if (f.has(F::kId)) put_elem(out, "id", f.id);
  if (f.has(F::kStatus) && (f.status & uapi::kIpsAssured)) out.put("<assured/>");
  if (f.has(F::kStatus) && !(f.status & uapi::kIpsSeenReply)) out.put("<unreplied/>");
  if (o.ktimestamp) put_timestamps(out, f);
  put_deltatime(out, f, now_ns);
  if (block) out.put("</meta>");
}

// Local wall-clock time of printing.  Upstream ends the flow right after
// <when> is skipped if localtime fails, dropping <helper> too.
bool put_when(OutBuf& out, uint64_t now_ns) {
  struct tm tm;
  if (!base::local_time(static_cast<int64_t>(now_ns / kNsPerSec), &tm)) return false;
  out.put("<when>");
  put_elem(out, "hour", static_cast<uint64_t>(tm.tm_hour));
  out.put("<min>");
  out.put_u64_width(static_cast<uint64_t>(tm.tm_min), 2, '0');
  out.put("</min><sec>");
  out.put_u64_width(static_cast<uint64_t>(tm.tm_sec), 2, '0');
  out.put("</sec>");
  put_elem(out, "wday", static_cast<uint64_t>(tm.tm_wday) + 1);
  put_elem(out, "day", static_cast<uint64_t>(tm.tm_mday));
  put_elem(out, "month", static_cast<uint64_t>(tm.tm_mon) + 1);
  out.put("<year>");
  out.put_i64(static_cast<int64_t>(tm.tm_year) + 1900);
  out.put("</year></when>");
  return true;
}

std::string_view flow_open(MsgKind kind) {
  switch (kind) {
    case MsgKind::kNew: return "<flow type=\"new\">";
    case MsgKind::kUpdate: return "<flow type=\"update\">";
    case MsgKind::kDestroy: return "<flow type=\"destroy\">";
    case MsgKind::kList: break;
  }
  return "<flow>";
}

}  // namespace

bool put_xml_when(OutBuf& out, uint64_t now_ns) { return put_when(out, now_ns); }

void print_xml(OutBuf& out, const Flow& f, const PrintOpts& o, MsgKind kind, uint64_t now_ns) {
  out.put(flow_open(kind));
  put_tuple(out, f, kDirOrig);
  put_tuple(out, f, kDirRepl);
  put_independent(out, f, o, now_ns);
  bool when_ok = true;
  if (o.timestamp && kind != MsgKind::kList) when_ok = put_when(out, now_ns);
  if (when_ok && f.has(F::kHelper)) put_elem(out, "helper", f.helper);
  out.put("</flow>");
}

}  // namespace ct::print
