// `conntrackd -i expect` / `-e expect` (and -x): one line per cached
// expectation, as upstream's cache_exp_dump_step() writes them:
//
//   text: libnetfilter_conntrack's plain expectation line (NFCT_O_PLAIN,
//         no event tag) WITHOUT the cached timeout -- the same text as
//         `conntrack -L expect` minus its leading timeout column -- then
//         " [active since Ns]" and "\n".  Upstream formats into a 1024-byte
//         buffer, so the expectation part is cut at 1023 bytes.
//   xml:  one "<flow>...</flow>" per line (NFCT_O_XML, no <timeout>), no
//         <?xml>/<expect> header or footer, no active-since suffix.
//
// Entries whose object state is DEAD are skipped in FT-FW mode.  Line order
// is the cache's; upstream's differs (another hash), so tests sort.
#pragma once
#include <cstdint>

#include "base/out_buf.h"
#include "conntrackd/control/dump_format.h"  // DumpOpts, kDumpLineMax
#include "conntrackd/cache/expect_cache.h"

namespace ctd {

// Appends one entry, newline included, to `out`.
void dump_put_exp_entry(base::OutBuf& out, const ExpectCache& cache, uint32_t ref,
                        const DumpOpts& o);

// Writes every entry of `cache` to `fd` (blocking writes).  Returns false
// if a write failed (the client went away); the rest is then skipped.
bool dump_exp_cache(int fd, ExpectCache& cache, const DumpOpts& o);

}  // namespace ctd
