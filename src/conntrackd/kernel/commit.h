// `conntrackd -c`: the external cache into the kernel table (upstream's
// cache_ct_commit), with batched, pipelined creates instead of one request
// and one wait per entry.  Masters first, then related flows (those with a
// master tuple), so the kernel can attach them.  Each entry is created as
// upstream's nl_create_conntrack() does: the reply tuple derived from the
// original one plus the NAT mapping, IPS_EXPECTED cleared, TCP made
// BE_LIBERAL in both directions unless TCPWindowTracking, and a timeout of
// CommitTimeout or the cached timeout minus the time since the last
// update (60 s when that is negative).  An entry the kernel already has is
// deleted and created once more.
#pragma once
#include <cstdint>

#include "conntrackd/cache/expect_cache.h"
#include "conntrackd/cache/flow_cache.h"
#include "conntrackd/config/config.h"
#include "netlink/socket.h"

namespace ctd {

class Daemon;

struct CommitResult {
  unsigned ok = 0, failed = 0;
};

// Commits every flow of `ext` through `s`; errors are logged as upstream's
// "commit-create: <error>" / "commit-destroy: <error>".
CommitResult commit_flows(Daemon& d, nl::Socket& s, FlowCache& ext);

// Commits every expectation of `ext` the same way (their masters must be
// in the table: commit the flows first).  Each is created with
// CommitTimeout or what is left of its cached timeout; an existing one is
// deleted and created once more.
CommitResult commit_expects(Daemon& d, nl::Socket& s, ExpectCache& ext);
void commit_prepare_exp(const Config& cfg, uint32_t now, const ExpectHeader& h, ct::Expect* e);

// upstream's nl_create_conntrack(): a peer's flow made ready for a kernel
// create (IPS_EXPECTED cleared, reply tuple derived, TCP BE_LIBERAL).
void create_prepare(const Config& cfg, ct::Flow* f);

// The create request's flow, from a cached peer's flow (exposed for tests).
void commit_prepare(const Config& cfg, uint32_t now, const FlowHeader& h, ct::Flow* f);

}  // namespace ctd
