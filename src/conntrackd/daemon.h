// The conntrackd daemon as the rest of the program sees it: its
// configuration, its caches and counters, and the actions a client request
// triggers.  One Daemon object lives for the whole run (main.cc owns it);
// the event loop (event_loop.cc) and the kernel side (kernel_sync.cc) fill
// it, the control socket (control_server.*, written separately) reads it
// and calls its actions.
//
// Contract with the control socket side (control_*.{h,cc}):
//   * The daemon includes "conntrackd/control/control_server.h" when it exists and
//     expects:
//       class ControlServer {
//        public:
//         int open(const Config&);          // 0 or -errno; binds UNIX Path
//         int fd() const;                   // listening fd, -1 if closed
//         void on_readable(Daemon&);        // accept + serve one request
//         void close();                     // closes and unlinks the path
//       };
//     The event loop polls fd() for EPOLLIN and calls on_readable(); the
//     server may block while it serves one request (upstream does too) and
//     may fork for dumps (upstream forks for -i/-e).  on_readable() runs in
//     the main loop only, so every Daemon method below is safe to call.
//   * Client side: `int control_client_main(const Config&, int request,
//     bool xml)` (declared below) is called by main() for -c -f -F -i -e -k
//     -s -R -B -n -t with the request code of spec §2.1 (xml already folded
//     into the code: 16->24 etc.; the flag is passed for convenience).  Its
//     return value is main's exit code.
//   * Stats mode (`Stats {}` or no Sync block): internal() is the stats
//     cache; external() is empty; stats_mode() is true.
//   * Times: FlowHeader::created/lastupdate are CLOCK_MONOTONIC seconds as
//     returned by Daemon::now(); "active since" = now() - created.
//   * ExpectationSync (sync mode): exp_internal() / exp_external() are the
//     expectation caches (expect_cache.h), ready() only when it is on;
//     the external one stays empty until the sync protocol exists.
//
// No virtual functions; nothing here allocates after start-up.
#pragma once
#include <cstdarg>
#include <cstdint>
#include <ctime>
#include <string_view>

#include "conntrackd/config/config.h"
#include "conntrackd/cache/expect_cache.h"
#include "conntrackd/cache/flow_cache.h"

namespace base { class OutBuf; }

namespace ctd {

struct SyncStats;

// DisableInternalCache (upstream's internal_bypass): no internal cache;
// events are only counted ("internal bypass:" in -s).
struct BypassCounters {
  uint32_t created, updated, destroyed;
};
// DisableExternalCache (upstream's external_inject): peers' updates go
// straight to the kernel; "external inject:" in -s.  Zero until the sync
// protocol delivers updates.
struct InjectCounters {
  uint32_t add_ok, add_fail, upd_ok, upd_fail, del_ok, del_fail;
};

// "traffic processed:" (bytes/packets of destroyed flows, from their
// counters when the kernel reports them: nf_conntrack_acct=1).
struct TrafficCounters {
  uint64_t bytes, packets;
};

// -s runtime (spec §2.6).
struct RuntimeCounters {
  uint64_t events_received, events_filtered;
  uint32_t events_unknown, catch_failed, dump_unknown, nl_overrun;
  uint32_t flush_kernel, resync_kernel, buffer_size;
  uint32_t child_failed, child_segv, child_termsig;
  uint32_t select_failed, wait_failed, local_read_failed, local_unknown_req;
  time_t started;           // wall clock, for "daemon uptime"
};

// Log levels: <syslog.h> values, the ones upstream uses.
inline constexpr int kLogErr = 3;      // LOG_ERR     "[ERROR]"
inline constexpr int kLogWarning = 4;  // LOG_WARNING "[WARNING]"
inline constexpr int kLogNotice = 5;   // LOG_NOTICE  "[notice]"
inline constexpr int kLogInfo = 6;     // LOG_INFO    "[info]"

struct DaemonImpl;  // kernel sockets, timers, logger: daemon.cc
struct CommitTotals;  // -c results, shared with the commit child

class Daemon {
 public:
  Daemon() = default;
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  const Config& config() const { return cfg_; }
  bool stats_mode() const { return !cfg_.sync; }
  // NOTRACK's DisableInternalCache / DisableExternalCache.
  bool internal_bypass() const { return cfg_.sync && cfg_.internal_cache_disable; }
  bool external_inject() const { return cfg_.sync && cfg_.external_cache_disable; }
  BypassCounters& bypass_mut(bool exp) { return exp ? exp_bypass_ : bypass_; }
  const BypassCounters& bypass(bool exp) const { return exp ? exp_bypass_ : bypass_; }

  FlowCache& internal() { return internal_; }
  FlowCache& external() { return external_; }  // empty until sync exists
  const CacheCounters& internal_counters() const { return internal_.stats(); }
  const CacheCounters& external_counters() const { return external_.stats(); }
  // ExpectationSync's caches; not ready() when it is off.
  bool expect_enabled() const { return cfg_.expect_sync && !stats_mode(); }
  ExpectCache& exp_internal() { return exp_internal_; }
  ExpectCache& exp_external() { return exp_external_; }
  const CacheCounters& exp_internal_counters() const { return exp_internal_.stats(); }
  const CacheCounters& exp_external_counters() const { return exp_external_.stats(); }
  const TrafficCounters& traffic() const { return traffic_; }
  const InjectCounters& inject() const { return inject_; }
  InjectCounters& inject_mut() { return inject_; }
  const InjectCounters& exp_inject() const { return exp_inject_; }
  InjectCounters& exp_inject_mut() { return exp_inject_; }
  const RuntimeCounters& runtime() const { return rt_; }

  // CLOCK_MONOTONIC seconds, read from the coarse clock (the clock of
  // FlowHeader::created/lastupdate).
  static uint32_t now();

  // Actions a client request triggers.  Each returns 0 or -errno and logs
  // upstream's notice line ("flushing kernel conntrack table", "resync
  // with master conntrack table", "flushing caches", "committing all
  // external caches", "sending bulk update", "resync requested",
  // "flushing conntrack table in N secs").  `exp` parts act only with
  // ExpectationSync, as upstream's.
  int flush_kernel(bool ct, bool exp);        // -F
  int resync_from_kernel(bool ct, bool exp);  // -R: dump into internal
  // -f: the conntrack caches named; upstream logs "flushing caches" for
  // both, "flushing internal cache" / "flushing external cache" for one
  // (stats mode: always "flushing caches").  Flushed entries count as
  // destroyed, as upstream's cache_flush().
  int flush_caches(bool internal, bool external);
  // -f (code 45) also flushes both expectation caches when ExpectationSync
  // is on; nothing is logged (the conntrack flush logged already).
  int flush_exp_caches();
  int commit_external(bool ct, bool exp);     // -c: in a child
  // A child the control server reaped; the end of a commit resumes the
  // NEW events it paused (and resyncs the internal cache).
  void child_exited(int pid);
  int send_bulk();                            // -B
  int request_resync();                       // -n
  int arm_purge_timer();                      // -t
  void run_scheduled_flush();                 // -t's alarm fired

  // ---- the kernel side tells the sync side (no-ops without Sync) ----
  // An internal cache entry was created, updated or marked DEAD.
  void sync_local(uint32_t ref);
  // The same for an internal expectation cache entry (ExpectationSync).
  void sync_local_exp(uint32_t ref);
  // DisableInternalCache: a kernel event (type 0 new, 1 update, 2
  // destroy) goes to the peers as it is.
  void sync_bypass_event(const ct::Flow& f, int type);
  // Netlink port ids of our own sockets, for upstream's origin checks:
  // events our injection caused are ignored, those a commit caused are
  // cached but not sent.
  uint32_t inject_portid() const;
  uint32_t commit_portid() const;
  // -s: the sync side's counters; -s rsqueue: its nodes.
  void fill_sync_stats(SyncStats* s) const;
  void put_rsqueue(base::OutBuf& out);
  bool commit_running() const;
  // What the commits so far achieved (kernel/commit_totals.h), or nullptr.
  const CommitTotals* commit_totals() const;
  void bulk_from_kernel();  // DisableInternalCache: -B / a peer's RESYNC
  void request_shutdown();                    // -k: the loop exits after
                                              // the current request

  // Writes one line to the LogFile and/or syslog in upstream's format
  // "[<ctime>] (pid=N) [LEVEL] msg"; with neither configured (or before
  // the log is open), to stderr (ERROR/WARNING) or stdout.
  void log(int level, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
  void vlog(int level, const char* fmt, va_list ap);
  // Stats mode: one destroyed flow (its NFCT_O_PLAIN text, no newline) to
  // the Stats LogFile ("<ctime>\t<text>") and/or Stats Syslog.
  void log_flow_line(std::string_view text);

  // ---- used by main.cc / event_loop.cc only ----
  // Takes the (already evaluated) configuration and runs until shutdown.
  // `daemonize`: -d.  Returns main's exit code.
  int run(const Config& cfg, bool daemonize);
  TrafficCounters& traffic_mut() { return traffic_; }
  RuntimeCounters& runtime_mut() { return rt_; }
  DaemonImpl* impl() { return impl_; }
  // Tests only: the configuration run() would take, without running
  // (to build a SyncEngine over this daemon in a unit test).
  void set_config_for_test(const Config& cfg) { cfg_ = cfg; }

 private:
  int init_caches();
  int start_sync();
  int flush_in_child(bool expect);

 public:

 private:
  Config cfg_;
  FlowCache internal_, external_;
  ExpectCache exp_internal_, exp_external_;
  TrafficCounters traffic_{};
  InjectCounters inject_{}, exp_inject_{};
  BypassCounters bypass_{}, exp_bypass_{};
  RuntimeCounters rt_{};
  DaemonImpl* impl_ = nullptr;
};

// The client side of every command (control_client.cc).  main.cc calls it
// after parsing argv and the configuration.  Returns the exit code.
int control_client_main(const Config& cfg, int request_code, bool xml);

}  // namespace ctd
