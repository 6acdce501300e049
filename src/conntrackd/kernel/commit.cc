#include "conntrackd/kernel/commit.h"

#include <cerrno>
#include <cstring>

#include "conntrackd/daemon.h"
#include "ct/expect_build.h"
#include "ct/flow_build.h"
#include "ct_uapi.h"
#include "netlink/request_batch.h"
#include "nl_uapi.h"
#include "sync/codec.h"

namespace ctd {

using ct::F;

namespace {

// upstream's commit timeout, for flows and expectations alike:
// CommitTimeout, or what is left of the cached timeout since the last
// update (60 s when that is negative).
int64_t commit_timeout(const Config& cfg, uint32_t now, uint32_t lastupdate, uint32_t cached) {
  if (cfg.commit_timeout) return cfg.commit_timeout;
  int64_t age = static_cast<int64_t>(now) - static_cast<int64_t>(lastupdate);
  if (age < 0) age = 60;
  const int64_t left = static_cast<int64_t>(cached) - age;
  return left < 0 ? 60 : left;
}

}  // namespace

void commit_prepare(const Config& cfg, uint32_t now, const FlowHeader& h, ct::Flow* f) {
  const int64_t timeout = commit_timeout(cfg, now, h.lastupdate, f->has(F::kTimeout) ? f->timeout : 0);
  if (timeout > 0) {
    f->timeout = static_cast<uint32_t>(timeout);
    f->set.set(F::kTimeout);
  }
  create_prepare(cfg, f);
}

void create_prepare(const Config& cfg, ct::Flow* f) {
  if (f->has(F::kStatus)) f->status &= ~uapi::kIpsExpected;
  ctsync::flow_setup_reply(f);
  if (!cfg.tcp_window_tracking && f->orig().l4 == uapi::kIpprotoTcp) {
    for (int d = 0; d < 2; d++) {
      const uint8_t fl = f->has(d ? F::kTcpFlagsRepl : F::kTcpFlagsOrig) ? f->tcp_flags[d] : 0;
      const uint8_t mk = f->has(d ? F::kTcpMaskRepl : F::kTcpMaskOrig) ? f->tcp_mask[d] : 0;
      f->tcp_flags[d] = static_cast<uint8_t>(fl | uapi::kTcpFlagBeLiberal);
      f->tcp_mask[d] = static_cast<uint8_t>(mk | uapi::kTcpFlagBeLiberal);
    }
    f->set.set(F::kTcpFlagsOrig);
    f->set.set(F::kTcpFlagsRepl);
    f->set.set(F::kTcpMaskOrig);
    f->set.set(F::kTcpMaskRepl);
  }
}

namespace {

// The batch engine both commits share: creates go out many per sendmsg;
// an EEXIST is retried once as delete + create, as upstream does one by
// one.  The caller's build function writes one request for `ref` (a
// create, or with `del` the delete of the same entry); false if it did
// not fit.
class CreateBatch {
 public:
  using BuildFn = bool (*)(void* ctx, uint32_t ref, bool del, nl::MsgBuilder& b, uint32_t seq);

  CreateBatch(Daemon& d, nl::Socket& s, BuildFn fn, void* ctx) : d_(d), batch_(s), fn_(fn), ctx_(ctx) {
    nl::RequestBatch::prepare(s);
  }

  void add_create(uint32_t ref) {
    if (batch_.full()) flush();
    if (!build(ref, kCreate)) fail("commit-create", EMSGSIZE);
  }
  // Sends the batch, then settles it: successes counted, EEXIST retried
  // once as delete + create (a second, smaller batch).
  void flush() {
    const unsigned n = batch_.pending();
    if (n == 0) return;
    int r = batch_.flush(&CreateBatch::on_error, this);
    unsigned retry_n = 0;
    for (unsigned i = 0; i < n; i++) {
      Req& q = reqs_[i];
      if (r < 0 && !q.failed) {
        q.failed = true;
        q.err = -r;
      }
      if (!q.failed) res_.ok++;
      else if (q.err == EEXIST) retry_[retry_n++] = q.ref;
      else fail("commit-create", q.err);
    }
    for (unsigned i = 0; i < retry_n; i++) {
      if (batch_.pending() + 2 > nl::RequestBatch::kMaxRequests || batch_.full()) flush_retries();
      if (!build(retry_[i], kRetryDelete) || !build(retry_[i], kRetryCreate)) fail("commit-create", EMSGSIZE);
    }
    flush_retries();
  }
  CommitResult result() const { return res_; }

 private:
  enum Kind : uint8_t { kCreate, kRetryDelete, kRetryCreate };
  struct Req {
    uint32_t ref;
    Kind kind;
    bool failed;
    int err;
  };

  bool build(uint32_t ref, Kind kind) {
    for (int attempt = 0; attempt < 2; attempt++) {
      uint32_t seq;
      nl::MsgBuilder b = batch_.start(&seq);
      if (fn_(ctx_, ref, kind == kRetryDelete, b, seq)) {
        reqs_[batch_.pending()] = Req{ref, kind, false, 0};
        batch_.commit(b);
        return true;
      }
      if (batch_.pending() == 0) return false;  // does not fit at all
      flush();
    }
    return false;
  }

  static void on_error(void* ctx, unsigned i, int err) {
    Req& r = static_cast<CreateBatch*>(ctx)->reqs_[i];
    r.failed = true;
    r.err = err;
  }

  void fail(const char* what, int err) {
    res_.failed++;
    d_.log(kLogErr, "%s: %s", what, strerror(err));
  }

  // Retries are settled without a further retry.
  void flush_retries() {
    const unsigned n = batch_.pending();
    if (n == 0) return;
    int r = batch_.flush(&CreateBatch::on_error, this);
    for (unsigned i = 0; i < n; i++) {
      Req& q = reqs_[i];
      if (r < 0 && !q.failed) {
        q.failed = true;
        q.err = -r;
      }
      if (q.kind == kRetryDelete) {
        if (q.failed && q.err != ENOENT) {
          fail("commit-destroy", q.err);
          i++;  // skip its create
        }
      } else if (!q.failed) {
        res_.ok++;
      } else if (q.err != 0) {
        fail("commit-create", q.err);
      }
    }
  }

  Daemon& d_;
  nl::RequestBatch batch_;
  BuildFn fn_;
  void* ctx_;
  CommitResult res_;
  Req reqs_[nl::RequestBatch::kMaxRequests];
  uint32_t retry_[nl::RequestBatch::kMaxRequests];
};

// Flows: masters first, then related flows, so the kernel can attach them.
struct FlowCommit {
  Daemon& d;
  FlowCache& ext;
  ct::Flow f;
  CreateBatch batch;

  FlowCommit(Daemon& dd, nl::Socket& s, FlowCache& x) : d(dd), ext(x), batch(dd, s, &FlowCommit::build, this) {}

  static bool build(void* ctx, uint32_t ref, bool del, nl::MsgBuilder& b, uint32_t seq) {
    FlowCommit& c = *static_cast<FlowCommit*>(ctx);
    ct::Flow& f = c.f;
    c.ext.to_flow(ref, &f);
    commit_prepare(c.d.config(), Daemon::now(), c.ext.header(ref), &f);
    if (del) return ct::build_ct_delete(b, f, 0, seq);
    return ct::build_ct_new(b, f, uapi::kNlmFRequest | uapi::kNlmFCreate | uapi::kNlmFExcl, seq);
  }

  // In memory order, so that building each request reads the cache in
  // sequence; whether a flow has a master is read from its record.
  void run() {
    for (int pass = 0; pass < 2; pass++) {
      ext.for_each_stored([&](uint32_t ref) {
        if (ext.has_master(ref) == (pass == 1)) batch.add_create(ref);
      });
      batch.flush();
    }
  }
};

// Expectations, after their masters (commit_flows) are in the table.
struct ExpCommit {
  Daemon& d;
  ExpectCache& ext;
  ct::Expect e;
  CreateBatch batch;

  ExpCommit(Daemon& dd, nl::Socket& s, ExpectCache& x) : d(dd), ext(x), batch(dd, s, &ExpCommit::build, this) {}

  static bool build(void* ctx, uint32_t ref, bool del, nl::MsgBuilder& b, uint32_t seq) {
    ExpCommit& c = *static_cast<ExpCommit*>(ctx);
    c.ext.to_expect(ref, &c.e);
    commit_prepare_exp(c.d.config(), Daemon::now(), c.ext.header(ref), &c.e);
    if (del) return ct::build_exp_request(b, uapi::kExpMsgDelete, 0, seq, c.e);
    return ct::build_exp_request(b, uapi::kExpMsgNew, uapi::kNlmFCreate | uapi::kNlmFExcl, seq, c.e);
  }

  void run() {
    ext.for_each([&](uint32_t ref) { batch.add_create(ref); });
    batch.flush();
  }
};

// The committers hold 128 KiB of buffers: on the heap, not the stack.
template <class C, class Cache>
CommitResult run_commit(Daemon& d, nl::Socket& s, Cache& ext) {
  C* c = new C(d, s, ext);
  c->run();
  const CommitResult r = c->batch.result();
  delete c;
  return r;
}

}  // namespace

void commit_prepare_exp(const Config& cfg, uint32_t now, const ExpectHeader& h, ct::Expect* e) {
  const int64_t timeout = commit_timeout(cfg, now, h.lastupdate, e->has(ct::XA::kTimeout) ? e->timeout : 0);
  if (timeout > 0) {
    e->timeout = static_cast<uint32_t>(timeout);
    e->set(ct::XA::kTimeout);
  }
}

CommitResult commit_flows(Daemon& d, nl::Socket& s, FlowCache& ext) {
  return run_commit<FlowCommit>(d, s, ext);
}

CommitResult commit_expects(Daemon& d, nl::Socket& s, ExpectCache& ext) {
  return run_commit<ExpCommit>(d, s, ext);
}

}  // namespace ctd
