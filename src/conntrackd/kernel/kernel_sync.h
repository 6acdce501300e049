// The daemon's kernel side: the ctnetlink event socket, the dumps that
// fill and resynchronise the internal cache, purges, and kernel flushes.
//
// Upstream opens five nfct handles (event, dump, resync, get, flush); we
// have: events; a pair of dump sockets (IPv4 and IPv6 halves at once) for
// the start-up populate and -R, which are synchronous in upstream too and
// are received with nl::recv_dumps_pipelined (helper threads receive while
// this thread parses); a second pair for the background resyncs (after an
// overrun, and PollSecs), read without blocking from the event loop so
// events and clients are served meanwhile, as upstream's resync handle;
// and requests (flush / per-entry deletes).  Kernel flushes run in a
// forked "flush" child with sockets of its own (detach_for_child()).
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

#include "conntrackd/config/config.h"
#include "conntrackd/kernel/kernel_expect.h"
#include "ct/flow.h"
#include "netlink/recv_loop.h"
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
  // A commit creates every external flow in the kernel; with us listening
  // each create also builds a NEW event and wakes us, which makes the
  // commit about 2.5x slower.  So the commit leaves the NEW group while it
  // runs and the background resync that follows resume_new_events()
  // brings the internal cache up to date, new real flows of that window
  // included.  True if the group was left.
  bool pause_new_events();
  void resume_new_events();
  // The internal cache was flushed after our commit began: upstream would
  // have added the commit's entries as their events came and then flushed
  // them, so the catch-up resync is dropped (pending or under way).
  void cancel_commit_catch_up();

  // Dumps the kernel table into the internal cache (upsert).  With purge,
  // entries the dump did not return are removed afterwards (stats mode
  // logs them).  0 or -errno.
  int resync(bool purge);
  int dump_to_peers();
  // The same dump in the background: the requests are sent now and the
  // answers read by on_async_readable() as the loop sees them, so events
  // and clients are served meanwhile (upstream's resync handle).  The
  // purge sweep runs when both halves are complete.  Ignored while one
  // runs.  `count`: add one to "resync with kernel table" (polls do not).
  // 0 or -errno.
  int start_async_resync(bool purge, bool count);
  void on_async_readable(unsigned i);  // i: 0 (IPv4 half), 1 (IPv6 half)
  int async_fd(unsigned i) const { return i < 2 ? bg_[i].fd() : -1; }
  bool async_running() const { return async_.running; }
  // Flushes the kernel table: every entry when no Filter is configured,
  // else each entry that passes the filter (upstream's selective flush).
  int flush_kernel();

  // ExpectationSync (kernel_expect.h): -R expect re-dumps the expectation
  // table into the internal expectation cache; -F expect flushes the
  // kernel's expectation table.  0 or -errno.
  int resync_expect() { return exp_.dump(dump_); }
  int flush_kernel_expect() { return exp_.flush(req_); }
  // In a forked worker: a dump socket of its own (the parent keeps using
  // the inherited one), the event socket closed, the request socket
  // shared (the parent does not use it while a flush child runs).
  int detach_for_child();
  // PollSecs: drops the expectations the kernel no longer has.
  int purge_expect() { return exp_.purge(dump_); }

  // Event processing, exposed for tests: one ctnetlink message.
  void handle_event(const uapi::NlMsgHdr& h, std::span<const uint8_t> payload);

 private:
  void upsert(const ct::Flow& f, bool quiet = false);
  void catch_up_after_commit(const ct::Flow& f);
  bool catch_up_cancelled_ = false;
  void count_bypass(const uapi::NlMsgHdr& h, bool destroy, bool exp);
  void handle_exp_bypass(const uapi::NlMsgHdr& h, std::span<const uint8_t> p);
  int conntrack_exists(const ct::Flow& key);
  void on_dump_msg(const uapi::NlMsgHdr& h, std::span<const uint8_t> p);
  int request_halves(nl::Socket& s0, nl::Socket& s1, nl::RecvState* st, bool* v6_after);
  void mark_unseen();
  void sweep_unseen();

  static constexpr int kAsyncDatagramsPerWakeup = 16;  // ~2k flows
  struct AsyncResync {
    bool running = false, purge = false, failed = false, v6_after = false;
    bool intr = false;  // a half saw NLM_F_DUMP_INTR: no purge
    // After our commit: catch up on the NEW events we did not listen to
    // (kernel_events.cc), as if they had arrived.
    bool after_commit = false;
    bool catch_up_dropped = false;  // cancel_commit_catch_up() came meanwhile
    bool active[2] = {};
    unsigned pending = 0;
    nl::RecvState st[2];
  };
  AsyncResync async_;
  void log_flow(const ct::Flow& f);
  void grow_buffer();

  Daemon& d_;
  nl::Socket ev_, dump_, dump6_, req_;
  nl::Socket bg_[2];  // background resync: IPv4 and IPv6 halves  // dump6_: the parallel IPv6 half
  bool poll_mode_ = false;
  bool announce_ = true;  // dumps tell the sync side (not the populate)
  bool resync_wanted_ = false;
  bool grow_warned_ = false;
  bool new_paused_ = false;
  ct::Flow scratch_;
  ExpectKernel exp_;
};

}  // namespace ctd
