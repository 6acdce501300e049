// `conntrackd -i` / `-e` (and -x): one line per cache entry, as upstream's
// cache_ct_dump_step() writes them (spec/conntrackd.md §2.4):
//
//   text: libnetfilter_conntrack's plain conntrack line (NFCT_O_PLAIN, no
//         message type, no flags: no L3 column, no id, no labels, no
//         counters) WITHOUT the cached timeout, then " [active since Ns]"
//         and "\n".  What the cache does not keep (counters, use, id,
//         timestamps) is never printed.
//   xml:  one "<flow>...</flow>" per line (NFCT_O_XML, no <when>), without
//         any <?xml>/<conntrack> header or footer, and without the
//         active-since suffix.
//
// Entries whose object state is DEAD are skipped in FT-FW mode (upstream
// keeps them only until their DEL is acknowledged).  Line order is the
// cache's iteration order; upstream's differs (another hash), so tests
// compare sorted output.
#pragma once
#include <cstdint>

#include "base/out_buf.h"
#include "conntrackd/flow_cache.h"

namespace ctd {

struct DumpOpts {
  bool xml = false;
  bool hide_dead = false;  // FT-FW
  uint32_t now = 0;        // the clock of FlowHeader::created (Daemon::now())
};

// Appends one entry, newline included, to `out` (a line buffer of at least
// kDumpLineMax bytes, or an fd-backed buffer).
void dump_put_entry(base::OutBuf& out, const FlowCache& cache, uint32_t ref, const DumpOpts& o);

// Writes every entry of `cache` to `fd` (blocking writes).  Returns false
// if a write failed (the client went away); the rest is then skipped.
bool dump_cache(int fd, FlowCache& cache, const DumpOpts& o);

inline constexpr unsigned kDumpLineMax = 4096;

}  // namespace ctd
