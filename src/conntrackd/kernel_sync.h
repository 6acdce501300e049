// The daemon's kernel side: the ctnetlink event socket, the dumps that
// fill and resynchronise the internal cache, purges, and kernel flushes.
//
// Upstream opens five nfct handles (event, dump, resync, get, flush); we
// need three sockets: events, dumps (populate, resync, -R, and the dump
// half of a selective flush) and requests (flush / per-entry deletes).
// Dumps are received synchronously with nl::recv_dump_pipelined (a helper
// thread receives while this thread parses), so the main loop does not
// serve events or clients while a dump runs; upstream instead interleaves
// its resync socket with the other descriptors.
//
// Purge: upstream checks every cached entry with one netlink GET after a
// resync; we mark every entry before the resync dump and drop the ones the
// dump did not return (one dump instead of N requests; the same result).
//
// Filter: the General Filter block is applied in user space to events and
// dumps (upstream's src/filter.c semantics).  With `From Kernelspace`
// upstream also attaches a BPF program to the event socket
// (nfct_filter_attach); we do not, so the user-space check always runs.
#pragma once
#include <cstdint>

#include "conntrackd/config.h"
#include "ct/flow.h"
#include "netlink/socket.h"
#include "nl_uapi.h"
#include <span>

namespace ctd {

class Daemon;

// upstream ct_filter_sanity_check(): an L3 protocol and both source
// addresses (orig, reply) must be present.
bool filter_sane(const ct::Flow& f);
// upstream ct_filter_check(): true if the flow passes the Protocol,
// Address and State rules (true when no rule is configured).
bool filter_check(const FilterConfig& fc, const ct::Flow& f);
// Both: true if the flow is kept (upstream's ct_filter_conntrack() == 0).
inline bool filter_accepts(const FilterConfig& fc, const ct::Flow& f) {
  return filter_sane(f) && filter_check(fc, f);
}

class KernelSync {
 public:
  explicit KernelSync(Daemon& d) : d_(d) {}
  KernelSync(const KernelSync&) = delete;
  KernelSync& operator=(const KernelSync&) = delete;

  // upstream ctnl_init(): dump socket and initial dump, request socket,
  // then (unless PollSecs) the event socket.  0 or -1 (logged).
  int open();
  void close();

  int event_fd() const { return poll_mode_ ? -1 : ev_.fd(); }
  bool poll_mode() const { return poll_mode_; }

  // Reads events: at most EventIterationLimit per call (upstream's
  // per-iteration limit).  Returns true if the socket may hold more.
  bool on_events();
  // Set by an overrun when NetlinkOverrunResync is on; the loop arms the
  // resync timer and clears it.
  bool take_resync_request() {
    bool r = resync_wanted_;
    resync_wanted_ = false;
    return r;
  }

  // Dumps the kernel table into the internal cache (upsert).  With purge,
  // entries the dump did not return are removed afterwards (stats mode
  // logs them).  0 or -errno.
  int resync(bool purge);
  // Flushes the kernel table: every entry when no Filter is configured,
  // else each entry that passes the filter (upstream's selective flush).
  int flush_kernel();

  // Event processing, exposed for tests: one ctnetlink message.
  void handle_event(const uapi::NlMsgHdr& h, std::span<const uint8_t> payload);

 private:
  void upsert(const ct::Flow& f);
  void log_flow(const ct::Flow& f);
  void grow_buffer();

  Daemon& d_;
  nl::Socket ev_, dump_, req_;
  bool poll_mode_ = false;
  bool resync_wanted_ = false;
  bool grow_warned_ = false;
  ct::Flow scratch_;
};

}  // namespace ctd
