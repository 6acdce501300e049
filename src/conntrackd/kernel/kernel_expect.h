// The daemon's kernel side for expectations (ExpectationSync): the
// expectation dump that fills the internal expectation cache (start-up and
// -R expect), expectation events, and the expect-table flush (-F expect).
// KernelSync owns the sockets and calls in here (kernel_sync.h).
//
// Upstream's rules (src/ctnl.c, src/internal_cache.c, src/filter.c):
//  * An expectation is kept only if
//      - ExpectationSync lists no helper, or its helper name starts with
//        one of the listed names, case-insensitively (exp_filter_find(),
//        "sip" matches "sip-5060"; no helper name: refused), and
//      - its master tuple is sane and the master conntrack is in the
//        internal conntrack cache (ct_filter_master()).
//  * Events: counted as received; refused by the helper list: counted as
//    filtered; refused for the master: dropped silently.  NEW replaces an
//    equal entry (counted destroyed, then created), UPDATE updates or
//    creates, DESTROY removes (a missing entry is not counted).
//  * Dump entries (EXP_NEW without NLM_F_CREATE: "update") upsert, as
//    upstream's populate (cache_update_force): updated or created.
//  * DESTROY events skip the master lookup (not its sanity check): when a
//    master dies the kernel reports its DESTROY before its expectations',
//    and without a sync peer to acknowledge the master's DEL it may have
//    left our cache already.
//  * Sync: NEW and UPDATE are sent to the peers, DESTROY marks the entry
//    DEAD and sends its DEL (FT-FW keeps it until acknowledged), as for
//    conntracks; what our commit caused is cached but not sent, what our
//    injection caused is ignored (the origin check).
#pragma once
#include <cstdint>
#include <span>

#include "conntrackd/config/config.h"
#include "ct/expect.h"
#include "netlink/socket.h"
#include "nl_uapi.h"

namespace ctd {

class Daemon;

// upstream exp_filter_find(): true if the ExpectationSync helper list
// accepts `e`.
bool exp_helper_accepted(const Config& c, const ct::Expect& e);

class ExpectKernel {
 public:
  explicit ExpectKernel(Daemon& d) : d_(d) {}
  ExpectKernel(const ExpectKernel&) = delete;
  ExpectKernel& operator=(const ExpectKernel&) = delete;

  // Dumps every expectation (all families) through `s` into the internal
  // expectation cache.  0 or -errno.
  int dump(nl::Socket& s);
  // PollSecs: drops the cached expectations the kernel no longer has (or
  // that no longer pass the checks), counted as destroyed; adds and
  // updates nothing (upstream's exp.purge: one GET per entry; here one
  // dump marks what it finds).  0 or -errno.
  int purge(nl::Socket& s);
  // One expectation event (a CTNETLINK_EXP message); counts it received.
  void handle_event(const uapi::NlMsgHdr& h, std::span<const uint8_t> payload);
  // Flushes the kernel's expectation table (EXP_DELETE without
  // attributes, all families).  Its DESTROY events empty the cache.
  int flush(nl::Socket& req);

  // upstream ct_filter_master(): the master tuple is sane (else upstream's
  // error is logged) and its conntrack is in the internal cache.  Exposed
  // for tests.
  bool master_sane(const ct::Expect& e);
  bool master_known(const ct::Expect& e);

 private:
  // Upstream's populate/update: update an equal entry, else insert.  The
  // entry's ref, or kNilRef when it could not be cached.
  uint32_t upsert(const ct::Expect& e);
  uint32_t insert(const ct::Expect& e);
  // The kernel destroyed `ref`: DEAD and sent (or, `quiet`, erased).
  void destroyed(uint32_t ref, bool quiet);
  // One expectation dump through `s`; each entry that passes the checks
  // is upserted, or with `purging` only unmarked.
  int walk_dump(nl::Socket& s, bool purging, bool* complete);

  Daemon& d_;
  ct::Expect scratch_;
};

}  // namespace ctd
