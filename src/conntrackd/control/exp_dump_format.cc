// Expectation cache dumps; see exp_dump_format.h.
#include "conntrackd/control/exp_dump_format.h"

#include "base/clock.h"
#include "ct/expect.h"
#include "ct/expect_print.h"

namespace ctd {

void dump_put_exp_entry(base::OutBuf& out, const ExpectCache& cache, uint32_t ref,
                        const DumpOpts& o) {
  // Static: an Expect holds two Flows (~600 bytes); a dump runs in one
  // thread (the dump child, or the daemon inline).
  static ct::Expect e;
  cache.to_expect(ref, &e);
  // "do not show cached timeout, this may confuse users" (upstream).
  e.attrs = static_cast<uint16_t>(e.attrs & ~(1u << static_cast<unsigned>(ct::XA::kTimeout)));
  ct::PrintOpts po;
  po.format = o.xml ? ct::OutFormat::kXml : ct::OutFormat::kText;
  // The printer needs the whole entry pending to trim its trailing space.
  base::LineBuf<kDumpLineMax> line;
  ct::expect_print(line, e, po, ct::MsgKind::kList, base::wall_clock_ns());
  std::string_view v = line.view();
  out.put(v.size() > ct::kExpectLineMax ? v.substr(0, ct::kExpectLineMax) : v);
  dump_put_suffix(out, o, cache.header(ref).created, cache.header(ref).lastupdate);
}

bool dump_exp_cache(int fd, ExpectCache& cache, const DumpOpts& o) {
  return dump_entries(fd, cache, o, [&](base::OutBuf& out, uint32_t ref) {
    dump_put_exp_entry(out, cache, ref, o);
  });
}

}  // namespace ctd
