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
// Filter: the General Filter block is applied in user space to dumps
// (populate, resync, -R, selective flush) and, by default, to events
// (upstream's src/filter.c semantics).  With `From Kernelspace` the event
// socket instead gets upstream's classic BPF program (filter_bpf.h, whose
// rules differ from the userspace ones) and events only go through the
// sanity check here, as upstream's do.
#pragma once
#include <cstdint>

#include "conntrackd/config.h"
#include "conntrackd/kernel_expect.h"
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
  explicit KernelSync(Daemon& d) : d_(d), exp_(d) {}
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

  // ExpectationSync (kernel_expect.h): -R expect re-dumps the expectation
  // table into the internal expectation cache; -F expect flushes the
  // kernel's expectation table.  0 or -errno.
  int resync_expect() { return exp_.dump(dump_); }
  int flush_kernel_expect() { return exp_.flush(req_); }
  // In a forked worker: fresh dump and request sockets of its own (the
  // parent keeps using the inherited ones), the event socket closed.
  int detach_for_child();
  // PollSecs: drops the expectations the kernel no longer has.
  int purge_expect() { return exp_.purge(dump_); }

  // Event processing, exposed for tests: one ctnetlink message.
  void handle_event(const uapi::NlMsgHdr& h, std::span<const uint8_t> payload);

 private:
  void upsert(const ct::Flow& f);
  void log_flow(const ct::Flow& f);
  void grow_buffer();

  Daemon& d_;
  nl::Socket ev_, dump_, dump6_, req_;  // dump6_: the parallel IPv6 half
  bool poll_mode_ = false;
  bool resync_wanted_ = false;
  bool grow_warned_ = false;
  ct::Flow scratch_;
  ExpectKernel exp_;
};

}  // namespace ctd
