// Helpers shared by the flow printer back ends.  Upstream's printers read
// an absent field as zero (its objects start zeroed); these accessors give
// the same view of a Flow, whose absent fields may hold stale values.
#pragma once
#include <cstdint>
#include <string_view>

#include "base/out_buf.h"
#include "ct/flow.h"
#include "ct/flow_print.h"
#include "ct/labelmap.h"

namespace ct::print {

constexpr uint64_t kNsPerSec = 1000000000ull;

inline bool has(const Flow& f, Dir d, F orig_field) { return f.has(tuple_field(d, orig_field)); }

inline uint8_t l3(const Flow& f, Dir d) { return has(f, d, F::kOrigL3) ? f.tuple[d].l3 : 0; }
inline uint8_t l4(const Flow& f, Dir d) { return has(f, d, F::kOrigL4) ? f.tuple[d].l4 : 0; }
inline uint16_t sport(const Flow& f, Dir d) { return has(f, d, F::kOrigPortSrc) ? f.tuple[d].sport : 0; }
inline uint16_t dport(const Flow& f, Dir d) { return has(f, d, F::kOrigPortDst) ? f.tuple[d].dport : 0; }
inline uint8_t icmp_type(const Flow& f, Dir d) { return has(f, d, F::kOrigIcmpType) ? f.tuple[d].icmp_type : 0; }
inline uint8_t icmp_code(const Flow& f, Dir d) { return has(f, d, F::kOrigIcmpCode) ? f.tuple[d].icmp_code : 0; }
inline uint16_t icmp_id(const Flow& f, Dir d) { return has(f, d, F::kOrigIcmpId) ? f.tuple[d].icmp_id : 0; }

const Addr& src(const Flow& f, Dir d);
const Addr& dst(const Flow& f, Dir d);

inline uint64_t packets(const Flow& f, Dir d) {
  return f.has(d == kDirOrig ? F::kOrigPackets : F::kReplPackets) ? f.packets[d] : 0;
}
inline uint64_t bytes(const Flow& f, Dir d) {
  return f.has(d == kDirOrig ? F::kOrigBytes : F::kReplBytes) ? f.bytes[d] : 0;
}
inline bool has_counters(const Flow& f, Dir d) {
  return d == kDirOrig ? f.has(F::kOrigPackets) && f.has(F::kOrigBytes)
                       : f.has(F::kReplPackets) && f.has(F::kReplBytes);
}
inline uint64_t ts_stop(const Flow& f) { return f.has(F::kTsStop) ? f.ts_stop : 0; }
inline uint64_t ts_start(const Flow& f) { return f.has(F::kTsStart) ? f.ts_start : 0; }

// The address in its family's text form; nothing for other families.
void put_addr(base::OutBuf& out, uint8_t family, const Addr& a);

// delta-time of the text line: (stop, or now when there is no stop) minus
// start, each truncated to seconds first, printed as unsigned.
uint64_t text_delta_time(const Flow& f, uint64_t now_ns);

// Pieces the expectation printer shares with the flow printers.
// "sport=N dport=N " / "srckey=0x.. dstkey=0x.. " / "type=N code=N id=N ".
void put_text_l4(base::OutBuf& out, const Flow& f, Dir d);
// The event type column: "    [NEW] ", " [UPDATE] ", "[DESTROY] "; empty
// for listings.
std::string_view event_tag(MsgKind kind);
// <tag>v</tag>
void put_elem(base::OutBuf& out, std::string_view tag, uint64_t v);
void put_elem(base::OutBuf& out, std::string_view tag, std::string_view v);
// <sport>/<dport> or <srckey>/<dstkey> of tuple d (nothing for others).
void put_xml_l4(base::OutBuf& out, const Flow& f, Dir d);
// <when>...</when> in local time; false (nothing written) if localtime fails.
bool put_xml_when(base::OutBuf& out, uint64_t now_ns);

// Writes one JSON object: `"key":value` pairs with their commas.
class JsonObj {
 public:
  explicit JsonObj(base::OutBuf& out) : out_(out) { out_.put('{'); }
  void key(std::string_view k) {
    if (!first_) out_.put(',');
    first_ = false;
    out_.put('"');
    out_.put(k);
    out_.put("\":");
  }
  void num(std::string_view k, uint64_t v) { key(k); out_.put_u64(v); }
  void str(std::string_view k, std::string_view v) { key(k); out_.put_json_string(v); }
  void close() { out_.put('}'); }
  base::OutBuf& out() { return out_; }

 private:
  base::OutBuf& out_;
  bool first_ = true;
};

void print_text(base::OutBuf& out, const Flow& f, const PrintOpts& o, MsgKind kind, uint64_t now_ns);
void print_xml(base::OutBuf& out, const Flow& f, const PrintOpts& o, MsgKind kind, uint64_t now_ns);
PrintResult print_save(base::OutBuf& out, const Flow& f, const PrintOpts& o, MsgKind kind);
void print_json(base::OutBuf& out, const Flow& f, const PrintOpts& o, MsgKind kind, uint64_t now_ns);

// Calls fn(name) for each set label bit that has a name, in bit order.
template <typename Fn>
void for_each_label_name(const Flow& f, const LabelMap& map, Fn fn) {
  unsigned nbits = static_cast<unsigned>(f.labels_len) * 8;
  if (nbits > map.name_count()) nbits = map.name_count();
  for (unsigned byte = 0; byte * 8 < nbits; ++byte) {
    uint8_t v = f.labels[byte];
    for (unsigned b = 0; v != 0; ++b, v >>= 1) {
      if (!(v & 1) || byte * 8 + b >= nbits) continue;
      std::string_view name = map.name(byte * 8 + b);
      if (!name.empty()) fn(name);
    }
  }
}

}  // namespace ct::print
