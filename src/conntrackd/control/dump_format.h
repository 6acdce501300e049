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
#include "conntrackd/cache/flow_cache.h"

namespace ctd {

struct DumpOpts {
  bool xml = false;
  bool hide_dead = false;  // FT-FW
  uint32_t now = 0;        // the clock of FlowHeader::created (Daemon::now())
  // ALARM's external cache: entries expire this many seconds after their
  // last update, shown as " [expires in Ns]" (0: no timer).
  uint32_t expire_after = 0;
};

// Appends one entry, newline included, to `out` (a line buffer of at least
// kDumpLineMax bytes, or an fd-backed buffer).
void dump_put_entry(base::OutBuf& out, const FlowCache& cache, uint32_t ref, const DumpOpts& o);

// Writes every entry of `cache` to `fd` (blocking writes).  Returns false
// if a write failed (the client went away); the rest is then skipped.
bool dump_cache(int fd, FlowCache& cache, const DumpOpts& o);

inline constexpr unsigned kDumpLineMax = 4096;

// The end of a text line, " [expires in Ns]" (ALARM's external cache),
// " [active since Ns]", and the newline (XML: the newline only).  Shared
// by the conntrack and expectation dumps.
void dump_put_suffix(base::OutBuf& out, const DumpOpts& o, uint32_t created, uint32_t lastupdate);

// Writes put(out, ref) for every entry of `cache` (a FlowCache or an
// ExpectCache) to `fd`, skipping DEAD entries when o.hide_dead.  False if
// a write failed (the client went away); the rest is then skipped.
template <class Cache, class Put>
bool dump_entries(int fd, Cache& cache, const DumpOpts& o, Put&& put) {
  static char storage[1 << 16];  // one dump per child process
  base::OutBuf out(fd, storage, sizeof(storage));
  cache.for_each([&](uint32_t ref) {
    if (out.failed()) return;
    if (o.hide_dead && cache.header(ref).obj == ObjState::kDead) return;
    put(out, ref);
  });
  return out.flush();
}

}  // namespace ctd
