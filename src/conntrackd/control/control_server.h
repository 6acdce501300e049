// The daemon's side of the control socket (control_proto.h).
//
// Socket: a UNIX stream socket bound at Config::unix_path by
// bind_control_socket() (control_socket.h: mode 0600 or 0660 with a
// configured group, a stale socket replaced only when nobody listens,
// never a symlink or other file).  Backlog 100, as upstream.  Every
// accepted connection's SO_PEERCRED is checked (peer_allowed()) before
// it takes a slot; refused ones are closed at once, counted (refused())
// and logged sparsely.  A request is exactly 4 bytes: nothing past them
// is ever read, so its size is bounded by construction.
//
// Never blocking the event loop for long:
//  * fd() is an epoll set holding the listener, every accepted connection
//    still waiting for its request, a timerfd and a pidfd per dump child;
//    the loop polls it like any fd and calls on_readable().
//  * A connection must deliver its 4-byte request within kRequestTimeoutMs
//    (short reads are assembled); on EOF, error or timeout it is closed
//    without a reply and counted as "local read failed".  At most
//    kMaxPending connections wait at once; when a new one arrives while
//    all slots are taken, the oldest waiting one is dropped (also counted).
//    A real client has written its request by the time it is accepted and
//    is served at once, so a flood of silent connections cannot lock it
//    out; each wakeup accepts at most kMaxPending connections.
//  * Small replies (stats, -s rsqueue) are written inline with a 1 s send
//    timeout per write.
//  * Cache dumps (-i, -e, -x) are written by a forked child, as upstream
//    does: the child sees a copy-on-write snapshot of the caches and may
//    block on a slow client (30 s send timeout per write) without holding
//    up the daemon.  At most kMaxDumpChildren run at once (further dump
//    requests are refused: closed with nothing written, logged).  Children
//    are reaped through pidfds in the set; they are listed by -s process
//    ("PID=N type=any").  If fork() fails the dump is written inline.
//  * An unknown request code gets no reply (as upstream) and counts as
//    "local unknown request"; the daemon keeps running.
//  * -k: the daemon is asked to shut down; the client's connection is left
//    open until the process exits (upstream's client sees EOF only once
//    the daemon is gone), or until close()/destruction.
//
// The server acts on a ControlHandler; control_daemon.cc adapts the real
// Daemon (on_readable(Daemon&)), tests supply a fake.
#pragma once
#include <cstdint>
#include <sys/types.h>

#include "base/out_buf.h"
#include "conntrackd/config/config.h"
#include "conntrackd/control/dump_format.h"
#include "conntrackd/cache/expect_cache.h"
#include "conntrackd/cache/flow_cache.h"
#include "conntrackd/control/stats_format.h"

namespace ctd {

class Daemon;

// What a request acts on.  Action methods return 0 or -errno and log
// upstream's notice line themselves.
class ControlHandler {
 public:
  virtual ~ControlHandler() = default;
  virtual const Config& config() = 0;
  virtual FlowCache& internal() = 0;
  virtual FlowCache& external() = 0;
  // ExpectationSync's caches (-i/-e expect), or nullptr when it is off.
  virtual ExpectCache* exp_internal() { return nullptr; }
  // DisableInternalCache: -i (and -i expect) show the kernel's table,
  // written by dump_kernel() in the dump child (bypass_dump.h).
  virtual bool internal_bypass() { return false; }
  virtual void dump_kernel(int fd, bool exp) {
    (void)fd;
    (void)exp;
  }
  virtual ExpectCache* exp_external() { return nullptr; }
  virtual uint32_t now() = 0;  // the clock of FlowHeader::created
  // Counters for a statistics reply (the server adds its own children to
  // v->procs afterwards).
  virtual void fill_stats(StatsView* v) = 0;
  // -s rsqueue: the node lines after the header (FT-FW).
  virtual void put_rsqueue_nodes(base::OutBuf& out) = 0;
  virtual int flush_kernel(bool ct, bool exp) = 0;
  virtual int resync_from_kernel(bool ct, bool exp) = 0;
  virtual int flush_caches(bool internal, bool external) = 0;
  // -f (code 45) also empties the expectation caches (ExpectationSync).
  virtual int flush_exp_caches() { return 0; }
  virtual int commit_external(bool ct, bool exp) = 0;
  virtual int send_bulk() = 0;
  virtual int request_resync() = 0;
  virtual int arm_purge_timer() = 0;
  virtual void request_shutdown() = 0;
  virtual void log(int level, const char* msg) = 0;
  virtual void count_read_failed() = 0;
  virtual void count_unknown_request() = 0;
  // A dump child ended (waitpid status), for the runtime counters.
  virtual void child_exited(int pid, int status) = 0;
};

class ControlServer {
 public:
  static constexpr unsigned kMaxPending = 16;
  static constexpr unsigned kMaxDumpChildren = 8;
  static constexpr int kRequestTimeoutMs = 2000;
  static constexpr int kReplySendTimeoutMs = 1000;
  static constexpr int kDumpSendTimeoutMs = 30000;

  ControlServer() = default;
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds cfg.unix_path.  0 or -errno.
  int open(const Config& cfg);
  // Serves an already listening socket instead (tests).  Takes ownership.
  int open_fd(int listen_fd);
  // No socket at all (no UNIX Path configured): nothing can connect, but
  // worker children are still reaped and listed.  0 or -errno.
  int open_unlistened();
  int fd() const { return ep_; }
  // Handles whatever is ready (non-blocking; bounded work per call).
  void on_readable(Daemon& d);
  void on_readable(ControlHandler& h);
  // Closes everything and unlinks the path (if open() bound one).
  void close();

  // Serves one request on an already connected socket, as if just read
  // from it (tests; also the inline path).  Closes `fd` unless kept.
  void serve(ControlHandler& h, int fd, int code);

  // What a dump child writes (-i, -e, -i expect, -e expect): one cache,
  // conntrack or expectation, with its options.
  struct DumpJob {
    FlowCache* flows = nullptr;
    ExpectCache* exps = nullptr;
    DumpOpts o;
    // Set instead of a cache: the kernel's table through this handler.
    ControlHandler* kernel = nullptr;
    bool kernel_exp = false;
  };

  unsigned pending() const { return npending_; }
  uint64_t refused() const { return refused_; }
  // Peers of open_fd() sockets are checked against this group too (tests).
  void set_group(gid_t g) { group_ = g; }
  // false: dumps are written inline, as when fork() fails (fuzz targets
  // serve thousands of requests a second and must not leave children).
  void set_fork_dumps(bool on) { fork_dumps_ = on; }
  unsigned children() const { return nkids_; }

  // Forks a worker child that is reaped and listed by -s process like a
  // dump child, as "PID=N type=<type>" (upstream's fork_process_new():
  // the kernel flushes run in a "flush" child so the loop keeps reading
  // the events they cause).  With `exclusive`, refused while a child of
  // the same type runs.  Returns 0 in the child (which must _exit), the
  // pid in the parent, kSpawnRefused, or -1 (no free slot, fork failed:
  // the caller does the work inline).
  static constexpr int kSpawnRefused = -2;
  int spawn(const char* type, bool exclusive);

 private:
  struct Pending {
    int fd = -1;
    uint8_t got = 0;
    uint8_t buf[4] = {};
    int64_t deadline_ms = 0;
  };
  struct Child {
    pid_t pid = 0;
    int pidfd = -1;
    const char* type = "any";  // static string
  };

  int setup_set();
  void accept_some(ControlHandler& h);
  void read_pending(ControlHandler& h, unsigned slot);
  void drop_pending(unsigned slot);
  void refuse_peer(ControlHandler& h, int fd);
  void expire(ControlHandler& h);
  void rearm_timer();
  void reap(ControlHandler& h, unsigned slot, bool blocking);
  void dump(ControlHandler& h, int fd, bool external, bool xml);
  void dump_exp(ControlHandler& h, int fd, ExpectCache& cache, bool xml);
  void run_dump(ControlHandler& h, int fd, const DumpJob& job);
  int free_child_slot() const;
  void close_in_child(int keep_fd);
  void adopt_child(unsigned slot, pid_t pid, const char* type);
  void write_stats(ControlHandler& h, int fd, int code);

  int listen_fd_ = -1;
  int ep_ = -1;
  int timer_fd_ = -1;
  int kill_fd_ = -1;
  char path_[kUnixPathMax] = {};
  Pending pend_[kMaxPending];
  unsigned npending_ = 0;
  Child kids_[kMaxDumpChildren];
  unsigned nkids_ = 0;
  gid_t group_ = static_cast<gid_t>(-1);
  bool fork_dumps_ = true;
  uint64_t refused_ = 0;
};

}  // namespace ctd
