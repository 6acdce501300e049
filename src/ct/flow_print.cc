#include "ct/flow_print.h"

#include "ct/flow_print_internal.h"
#include "ct_uapi.h"

namespace ct {
namespace print {

namespace {
constexpr Addr kZeroAddr{};
}

const Addr& src(const Flow& f, Dir d) { return has(f, d, F::kOrigSrc) ? f.tuple[d].src : kZeroAddr; }
const Addr& dst(const Flow& f, Dir d) { return has(f, d, F::kOrigDst) ? f.tuple[d].dst : kZeroAddr; }

void put_addr(base::OutBuf& out, uint8_t family, const Addr& a) {
  if (family == uapi::kAfInet) out.put_ipv4(a.b);
  else if (family == uapi::kAfInet6) out.put_ipv6(a.b);
}

uint64_t text_delta_time(const Flow& f, uint64_t now_ns) {
  uint64_t stop = ts_stop(f);
  int64_t stop_s = static_cast<int64_t>((stop == 0 ? now_ns : stop) / kNsPerSec);
  int64_t start_s = static_cast<int64_t>(ts_start(f) / kNsPerSec);
  return static_cast<uint64_t>(stop_s - start_s);
}

}  // namespace print

PrintResult flow_print(base::OutBuf& line, const Flow& f, const PrintOpts& o,
                       MsgKind kind, uint64_t now_ns) {
  switch (o.format) {
    case OutFormat::kText: print::print_text(line, f, o, kind, now_ns); break;
    case OutFormat::kXml: print::print_xml(line, f, o, kind, now_ns); break;
    case OutFormat::kSave: return print::print_save(line, f, o, kind);
    case OutFormat::kJson: print::print_json(line, f, o, kind, now_ns); break;
  }
  return PrintResult::kOk;
}

uint8_t flow_save_l3(const Flow& f) {
  uint8_t l3 = print::l3(f, kDirOrig);
  return l3 != 0 ? l3 : print::l3(f, kDirRepl);
}

void flow_print_event_prefix(base::OutBuf& line, const Flow& f, uint64_t now_ns) {
  uint64_t ns = f.has(F::kTsEvent) ? f.ts_event : now_ns;
  line.put('[');
  line.put_u64_width(ns / print::kNsPerSec, 8, '0');
  line.put('.');
  line.put_u64_width(ns % print::kNsPerSec / 1000, 6, '0');
  line.put("]\t");
}

void flow_print_l3_warning(base::OutBuf& err, uint8_t l3) {
  err.put("WARNING: unsupported l3proto ");
  err.put_u64(l3);
  err.put(", skipping.\n");
}

}  // namespace ct
