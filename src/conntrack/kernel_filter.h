// Kernel-side filtering of -L / -D conntrack-table dumps (CTA_FILTER).
//
// Upstream filters tuples in userspace only.  We also hand the kernel the
// part of the filter it applies exactly (ct::filter_kernel_tuples), so it
// neither formats nor sends most rejected entries; filter_match still runs
// on everything that comes back, so the output is the same either way.
//
// Environment (read once):
//   CONNTRACK_NO_KERNEL_FILTER=1       never send CTA_FILTER (the userspace-
//                                      only path, as upstream does)
//   CONNTRACK_NO_KERNEL_FILTER=reject  test hook: send a CTA_FILTER flag no
//                                      kernel knows, so the kernel refuses
//                                      the dump and the fallback runs
#pragma once
#include <cstdint>

#include "conntrack/commands.h"
#include "ct/dump_request.h"

namespace conntrack {

// Sets kf.has_tuples/kf.tuples for a CT_GET dump of the conntrack table
// and picks the family to dump (`family`: in, cli.family; out, the one to
// use).  A dump of all families (family 0) cannot carry CTA_FILTER; it is
// then narrowed to AF_INET, which keeps the kernel's walk order and so the
// output order, but only after a filtered AF_INET6 dump (counted, not
// parsed) has found no matching IPv6 entry.  Never for CT_GET_CTRZERO
// (zeroing must reach every entry the unfiltered dump would return).
void kernel_filter_plan(Session& s, const Cli& cli, ct::KernelDumpFilter& kf, uint8_t& family);

// After a dump that carried CTA_FILTER returned `r` with `entries` entries
// received: true if the kernel refused the filter (older kernels:
// EOPNOTSUPP or EINVAL before the first entry).  The filter is then off
// for the rest of the process; the caller repeats the dump without it
// (kf.has_tuples = false, family = cli.family).
bool kernel_filter_rejected(int r, unsigned entries);

}  // namespace conntrack
