// Cache dumps; see dump_format.h.
#include "conntrackd/control/dump_format.h"

#include "base/clock.h"
#include "ct/flow.h"
#include "ct/flow_print.h"

namespace ctd {

void dump_put_entry(base::OutBuf& out, const FlowCache& cache, uint32_t ref, const DumpOpts& o) {
  ct::Flow f;
  cache.to_flow(ref, &f);
  // "do not show cached timeout, this may confuse users" (upstream).
  f.set.clear(ct::F::kTimeout);
  ct::PrintOpts po;
  po.format = o.xml ? ct::OutFormat::kXml : ct::OutFormat::kText;
  // The printer needs the whole entry pending to trim its trailing space.
  base::LineBuf<kDumpLineMax> line;
  ct::flow_print(line, f, po, ct::MsgKind::kList, base::wall_clock_ns());
  out.put(line.view());
  dump_put_suffix(out, o, cache.header(ref).created, cache.header(ref).lastupdate);
}

void dump_put_suffix(base::OutBuf& out, const DumpOpts& o, uint32_t created, uint32_t lastupdate) {
  if (o.expire_after && !o.xml) {
    const int64_t left = static_cast<int64_t>(lastupdate) + o.expire_after - static_cast<int64_t>(o.now);
    out.put(" [expires in ");
    out.put_i64(left);
    out.put("s]");
  }
  if (!o.xml) {
    int64_t since = static_cast<int64_t>(o.now) - static_cast<int64_t>(created);
    out.put(" [active since ");
    out.put_i64(since);
    out.put("s]");
  }
  out.put('\n');
}

bool dump_cache(int fd, FlowCache& cache, const DumpOpts& o) {
  return dump_entries(fd, cache, o,
                      [&](base::OutBuf& out, uint32_t ref) { dump_put_entry(out, cache, ref, o); });
}

}  // namespace ctd
