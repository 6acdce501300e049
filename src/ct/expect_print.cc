// Expectation printers.  Text and XML follow libnetfilter_conntrack's
// expectation formatters field for field; JSON (`-o json`) is ours, one
// object per line (NDJSON), with this stable schema:
//
//   {
//     "type":     "new" | "update" | "destroy"        (events only)
//     "family":   "ipv4" | "ipv6" | "unknown"          (message family)
//     "l3num":    number
//     "proto":    "tcp" | "udp" | ... | "unknown"      (expected tuple's L4)
//     "protonum": number
//     "timeout":  number                               (seconds left)
//     "expected": tuple
//     "mask":     tuple
//     "master":   tuple
//     "zone":     number
//     "flags":    [string]   ("PERMANENT", "INACTIVE", "USERSPACE", in bit
//                             order; other bits as their number)
//     "class":    number
//     "helper":   string
//     "id":       number
//     "nat_dir":  number     (0 original, 1 reply)
//     "nat":      tuple
//     "fn":       string     (expectfn, e.g. "nat-follow-master")
//     "time_ns":  number     (-o timestamp: wall clock when printed)
//   }
//   tuple = {
//     "src": string, "dst": string        (when the tuple has an IPv4/IPv6 L3)
//     "sport": number, "dport": number    (tcp, udp, udplite, sctp, dccp)
//     "srckey": number, "dstkey": number  (gre)
//     "type": number, "code": number, "id": number   (icmp, icmpv6)
//   }
//
// A key appears only when the kernel sent the field, in the order above.
#include "ct/expect_print.h"

#include "base/time_fmt.h"
#include "ct/flow_print_internal.h"
#include "ct/names.h"
#include "ct_uapi.h"

namespace ct {
namespace {

using base::OutBuf;
using namespace print;

bool is_ip(uint8_t l3) { return l3 == uapi::kAfInet || l3 == uapi::kAfInet6; }

// ---- text ------------------------------------------------------------------

void put_num_field(OutBuf& out, std::string_view key, uint64_t v) {
  out.put(key);
  out.put_u64(v);
  out.put(' ');
}

// "SRC=a DST=b " for an IPv4/IPv6 tuple, nothing otherwise.
void put_text_addrs(OutBuf& out, const Flow& f, Dir d, std::string_view src_tag,
                    std::string_view dst_tag) {
  uint8_t family = l3(f, d);
  if (!is_ip(family)) return;
  out.put(src_tag);
  out.put('=');
  put_addr(out, family, src(f, d));
  out.put(' ');
  out.put(dst_tag);
  out.put('=');
  put_addr(out, family, dst(f, d));
  out.put(' ');
}

void print_text(OutBuf& out, const Expect& e, MsgKind kind) {
  const Flow& t = e.tuples;
  out.put(event_tag(kind));
  if (e.has(XA::kTimeout)) put_num_field(out, "", e.timeout);
  put_num_field(out, "proto=", l4(t, kExpExpected));
  put_text_addrs(out, t, kExpExpected, "src", "dst");
  put_text_l4(out, t, kExpExpected);
  put_text_addrs(out, t, kExpMask, "mask-src", "mask-dst");
  put_text_l4(out, t, kExpMask);
  put_text_addrs(out, t, kExpMaster, "master-src", "master-dst");
  put_text_l4(out, t, kExpMaster);
  if (e.has(XA::kZone)) put_num_field(out, "zone=", e.zone);
  uint32_t flags = e.has(XA::kFlags) ? e.flags : 0;
  std::string_view delim;
  if (flags & uapi::kExpFPermanent) {
    out.put("PERMANENT");
    delim = ",";
  }
  if (flags & uapi::kExpFInactive) {
    out.put(delim);
    out.put("INACTIVE");
    delim = ",";
  }
  if (flags & uapi::kExpFUserspace) {
    out.put(delim);
    out.put("USERSPACE");
  }
  // Any flag bit, known or not, ends the list with a space.
  if (flags) out.put(' ');
  if (e.has(XA::kClass)) put_num_field(out, "class=", e.cls);
  if (e.has(XA::kHelper)) {
    out.put("helper=");
    out.put(e.helper);
  }
  out.drop_trailing_space();
}

// ---- XML -------------------------------------------------------------------

// <src>a</src><dst>b</dst> (empty elements for a non-IP tuple).
void put_xml_addrs(OutBuf& out, const Flow& f, Dir d) {
  uint8_t family = l3(f, d);
  out.put("<src>");
  put_addr(out, family, src(f, d));
  out.put("</src><dst>");
  put_addr(out, family, dst(f, d));
  out.put("</dst>");
}

constexpr struct {
  std::string_view open, close;
  Dir slot;
} kXmlBlocks[3] = {{"<expected>", "</expected>", kExpExpected},
                   {"<mask>", "</mask>", kExpMask},
                   {"<master>", "</master>", kExpMaster}};

std::string_view xml_flow_open(MsgKind kind) {
  switch (kind) {
    case MsgKind::kNew: return "<flow type=\"new\">";
    case MsgKind::kUpdate: return "<flow type=\"update\">";
    case MsgKind::kDestroy: return "<flow type=\"destroy\">";
    case MsgKind::kList: break;
  }
  return "<flow>";
}

void print_xml(OutBuf& out, const Expect& e, const PrintOpts& o, MsgKind kind, uint64_t now_ns) {
  const Flow& t = e.tuples;
  out.put(xml_flow_open(kind));
  uint8_t l3num = l3(t, kExpExpected);
  out.put("<layer3 protonum=\"");
  out.put_u64(l3num);
  out.put("\" protoname=\"");
  out.put(l3_name(l3num));
  out.put("\">");
  for (const auto& blk : kXmlBlocks) {
    out.put(blk.open);
    put_xml_addrs(out, t, blk.slot);
    out.put(blk.close);
  }
  out.put("</layer3>");
  uint8_t l4num = l4(t, kExpExpected);
  out.put("<layer4 protonum=\"");
  out.put_u64(l4num);
  out.put("\" protoname=\"");
  out.put(l4_name(l4num));
  out.put("\">");
  for (const auto& blk : kXmlBlocks) {
    out.put(blk.open);
    put_xml_l4(out, t, blk.slot);
    out.put(blk.close);
  }
  out.put("</layer4><meta>");
  // Upstream does not escape the helper name.
  if (e.has(XA::kHelper)) {
    out.put("<helper-name>");
    out.put(e.helper);
    out.put("</helper-name>");
  }
  if (e.has(XA::kTimeout)) put_elem(out, "timeout", e.timeout);
  if (e.has(XA::kClass)) put_elem(out, "class", e.cls);
  if (e.has(XA::kZone)) put_elem(out, "zone", e.zone);
  if (o.timestamp) put_xml_when(out, now_ns);
  uint32_t flags = e.has(XA::kFlags) ? e.flags : 0;
  if (flags & uapi::kExpFPermanent) out.put("<permanent/>");
  if (flags & uapi::kExpFInactive) out.put("<inactive/>");
  if (flags & uapi::kExpFUserspace) out.put("<userspace/>");
  out.put("</meta></flow>");
}

// ---- JSON ------------------------------------------------------------------

using Obj = JsonObj;

void json_tuple(Obj& parent, std::string_view k, const Flow& f, Dir d) {
  parent.key(k);
  Obj o(parent.out());
  uint8_t family = l3(f, d);
  if (is_ip(family)) {
    for (bool dst_side : {false, true}) {
      o.key(dst_side ? "dst" : "src");
      o.out().put('"');
      put_addr(o.out(), family, dst_side ? dst(f, d) : src(f, d));
      o.out().put('"');
    }
  }
  uint8_t proto = l4(f, d);
  bool ports = l4_has_ports(proto), gre = proto == uapi::kIpprotoGre;
  if (ports || gre) {
    if (has(f, d, F::kOrigPortSrc)) o.num(gre ? "srckey" : "sport", f.tuple[d].sport);
    if (has(f, d, F::kOrigPortDst)) o.num(gre ? "dstkey" : "dport", f.tuple[d].dport);
  } else if (proto == uapi::kIpprotoIcmp || proto == uapi::kIpprotoIcmpv6) {
    if (has(f, d, F::kOrigIcmpType)) o.num("type", f.tuple[d].icmp_type);
    if (has(f, d, F::kOrigIcmpCode)) o.num("code", f.tuple[d].icmp_code);
    if (has(f, d, F::kOrigIcmpId)) o.num("id", f.tuple[d].icmp_id);
  }
  o.close();
}

void print_json(OutBuf& out, const Expect& e, const PrintOpts& po, MsgKind kind, uint64_t now_ns) {
  const Flow& t = e.tuples;
  Obj o(out);
  switch (kind) {
    case MsgKind::kNew: o.str("type", "new"); break;
    case MsgKind::kUpdate: o.str("type", "update"); break;
    case MsgKind::kDestroy: o.str("type", "destroy"); break;
    case MsgKind::kList: break;
  }
  o.str("family", l3_name(e.family));
  o.num("l3num", e.family);
  if (has(t, kExpExpected, F::kOrigL4)) {
    o.str("proto", l4_name(t.tuple[kExpExpected].l4));
    o.num("protonum", t.tuple[kExpExpected].l4);
  }
  if (e.has(XA::kTimeout)) o.num("timeout", e.timeout);
  if (e.has(XA::kExpected)) json_tuple(o, "expected", t, kExpExpected);
  if (e.has(XA::kMask)) json_tuple(o, "mask", t, kExpMask);
  if (e.has(XA::kMaster)) json_tuple(o, "master", t, kExpMaster);
  if (e.has(XA::kZone)) o.num("zone", e.zone);
  if (e.has(XA::kFlags)) {
    o.key("flags");
    out.put('[');
    bool first = true;
    for (unsigned bit = 0; bit < 32; ++bit) {
      if (!(e.flags & (1u << bit))) continue;
      if (!first) out.put(',');
      first = false;
      switch (1u << bit) {
        case uapi::kExpFPermanent: out.put("\"PERMANENT\""); break;
        case uapi::kExpFInactive: out.put("\"INACTIVE\""); break;
        case uapi::kExpFUserspace: out.put("\"USERSPACE\""); break;
        default: out.put_u64(1u << bit); break;
      }
    }
    out.put(']');
  }
  if (e.has(XA::kClass)) o.num("class", e.cls);
  if (e.has(XA::kHelper)) o.str("helper", e.helper);
  if (e.has(XA::kId)) o.num("id", e.id);
  if (e.has(XA::kNatDir)) o.num("nat_dir", e.nat_dir);
  if (e.has(XA::kNatTuple)) json_tuple(o, "nat", e.nat, kDirOrig);
  if (e.has(XA::kFn)) o.str("fn", e.fn);
  if (po.timestamp) o.num("time_ns", now_ns);
  o.close();
}

}  // namespace

void expect_print(OutBuf& line, const Expect& e, const PrintOpts& o, MsgKind kind, uint64_t now_ns) {
  switch (o.format) {
    case OutFormat::kXml: print_xml(line, e, o, kind, now_ns); break;
    case OutFormat::kJson: print_json(line, e, o, kind, now_ns); break;
    case OutFormat::kText:
    case OutFormat::kSave: print_text(line, e, kind); break;
  }
}

void expect_print_timestamp_prefix(OutBuf& line, uint64_t now_ns) {
  base::LineBuf<24> num;
  line.put('[');
  num.put_u64(now_ns / kNsPerSec);
  line.put_padded(num.view(), 8);
  line.put('.');
  num.clear();
  num.put_u64(now_ns % kNsPerSec / 1000);
  line.put_padded(num.view(), 6);
  line.put("]\t");
}

void expect_print_line(OutBuf& out, OutBuf& scratch, const Expect& e, const PrintOpts& o,
                       MsgKind kind, uint64_t now_ns) {
  bool text = o.format == OutFormat::kText || o.format == OutFormat::kSave;
  if (text && o.timestamp) expect_print_timestamp_prefix(out, now_ns);
  scratch.clear();
  expect_print(scratch, e, o, kind, now_ns);
  std::string_view v = scratch.view();
  out.put(v.size() > kExpectLineMax ? v.substr(0, kExpectLineMax) : v);
  out.put('\n');
}

}  // namespace ct
