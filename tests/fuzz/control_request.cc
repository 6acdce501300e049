// The daemon's control-socket request handling: each input is up to 16
// requests, one configuration byte (Sync, Stats, ExpectationSync, mode)
// and the 4-byte native-endian code the client sends, served by the real
// ControlServer on a socketpair against a fake daemon whose caches hold a
// flow and an expectation; the reply is read and dropped.  Dumps are
// written inline (no children).
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "conntrackd/cache/expect_cache.h"
#include "conntrackd/cache/flow_cache.h"
#include "conntrackd/config/config.h"
#include "conntrackd/control/control_server.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

ct::Flow sample_flow() {
  ct::Flow f;
  using F = ct::F;
  f.family = 2;
  ct::Tuple& o = f.tuple[ct::kDirOrig];
  o.l3 = 2;
  o.l4 = 6;
  const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
  std::memcpy(o.src.b, a, 4);
  std::memcpy(o.dst.b, b, 4);
  o.sport = 40000;
  o.dport = 21;
  ct::Tuple& r = f.tuple[ct::kDirRepl];
  r = o;
  r.src = o.dst;
  r.dst = o.src;
  r.sport = 21;
  r.dport = 40000;
  for (F x : {F::kOrigL3, F::kOrigL4, F::kOrigSrc, F::kOrigDst, F::kOrigPortSrc, F::kOrigPortDst,
              F::kReplL3, F::kReplL4, F::kReplSrc, F::kReplDst, F::kReplPortSrc, F::kReplPortDst})
    f.set.set(x);
  f.status = 0xe;
  f.timeout = 300;
  f.tcp_state = 3;
  for (F x : {F::kStatus, F::kTimeout, F::kTcpState}) f.set.set(x);
  return f;
}

ct::Expect sample_expect() {
  ct::Expect e;
  e.family = 2;
  const ct::Flow f = sample_flow();
  ct::copy_tuple(f, ct::kDirOrig, e.tuples, ct::kExpMaster);
  ct::copy_tuple(f, ct::kDirRepl, e.tuples, ct::kExpExpected);
  ct::copy_tuple(f, ct::kDirRepl, e.tuples, ct::kExpMask);
  e.set(ct::XA::kMaster);
  e.set(ct::XA::kExpected);
  e.set(ct::XA::kMask);
  e.timeout = 100;
  e.set(ct::XA::kTimeout);
  e.helper = "ftp";
  e.set(ct::XA::kHelper);
  return e;
}

struct FakeDaemon : ctd::ControlHandler {
  ctd::Config cfg;
  ctd::FlowCache in, ex;
  ctd::ExpectCache ein, eex;
  FakeDaemon() {
    in.init(64, 100);
    ex.init(64, 100);
    ein.init(64, 100);
    eex.init(64, 100);
    uint32_t ref;
    const ct::Flow f = sample_flow();
    in.add(f, 100, &ref);
    ex.add(f, 100, &ref);
    const ct::Expect e = sample_expect();
    ein.add(e, 100, &ref);
    eex.add(e, 100, &ref);
  }
  const ctd::Config& config() override { return cfg; }
  ctd::FlowCache& internal() override { return in; }
  ctd::FlowCache& external() override { return ex; }
  ctd::ExpectCache* exp_internal() override { return cfg.expect_sync ? &ein : nullptr; }
  ctd::ExpectCache* exp_external() override { return cfg.expect_sync ? &eex : nullptr; }
  uint32_t now() override { return 110; }
  void fill_stats(ctd::StatsView* v) override { v->internal_entries = in.size(); }
  void put_rsqueue_nodes(base::OutBuf& out) override { out.put("node\n"); }
  int flush_kernel(bool, bool) override { return 0; }
  int resync_from_kernel(bool, bool) override { return 0; }
  int flush_caches(bool, bool) override { return 0; }
  int commit_external(bool, bool) override { return 0; }
  int send_bulk() override { return 0; }
  int request_resync() override { return 0; }
  int arm_purge_timer() override { return 0; }
  void request_shutdown() override {}
  void log(int, const char*) override {}
  void count_read_failed() override {}
  void count_unknown_request() override {}
  void child_exited(int, int) override {}
};

void drain(int fd) {
  char buf[65536];
  for (int i = 0; i < 64; ++i) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
  }
}

}  // namespace

FUZZ_TARGET(control_request) {
  static FakeDaemon* d = new FakeDaemon;  // lives for the whole run
  constexpr size_t kReq = 1 + sizeof(int);
  ctd::ControlServer srv;
  srv.set_fork_dumps(false);
  for (size_t off = 0, n = 0; off + kReq <= size && n < 16; off += kReq, ++n) {
    const uint8_t conf = data[off];
    d->cfg.sync = conf & 1;
    d->cfg.stats = conf & 2;
    d->cfg.expect_sync = conf & 4;
    d->cfg.sync_mode_bits = static_cast<uint8_t>((conf >> 3) & 7);
    d->cfg.cache_timeout = conf >> 6;
    int code;
    std::memcpy(&code, data + off + 1, sizeof code);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return 0;
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    srv.serve(*d, sv[0], code);  // closes sv[0], or keeps it (-k) until srv.close()
    drain(sv[1]);
    close(sv[1]);
  }
  srv.close();
  return 0;
}
