#include "conntrackd/kernel/commit.h"

#include <cerrno>
#include <cstring>

#include "conntrackd/daemon.h"
#include "ct/flow_build.h"
#include "ct_uapi.h"
#include "netlink/request_batch.h"
#include "nl_uapi.h"
#include "sync/codec.h"

namespace ctd {

using ct::F;

void commit_prepare(const Config& cfg, uint32_t now, const FlowHeader& h, ct::Flow* f) {
  int64_t timeout;
  if (cfg.commit_timeout) {
    timeout = cfg.commit_timeout;
  } else {
    int64_t age = static_cast<int64_t>(now) - static_cast<int64_t>(h.lastupdate);
    if (age < 0) age = 60;
    timeout = static_cast<int64_t>(f->has(F::kTimeout) ? f->timeout : 0) - age;
    if (timeout < 0) timeout = 60;
  }
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

class Committer {
 public:
  Committer(Daemon& d, nl::Socket& s, FlowCache& ext) : d_(d), ext_(ext), batch_(s) {
    nl::RequestBatch::prepare(s);
  }

  void run() {
    for (int pass = 0; pass < 2; pass++) {
      ext_.for_each([&](uint32_t ref) {
        ext_.to_flow(ref, &f_);
        const bool related = f_.has(F::kMasterL3);
        if (related != (pass == 1)) return;
        add_create(ref, 0);
      });
      flush();
    }
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
    ext_.to_flow(ref, &f_);
    commit_prepare(d_.config(), Daemon::now(), ext_.header(ref), &f_);
    for (int attempt = 0; attempt < 2; attempt++) {
      uint32_t seq;
      nl::MsgBuilder b = batch_.start(&seq);
      bool ok;
      if (kind == kRetryDelete) {
        b.begin_nfmsg(uapi::kNfnlSubsysCtnetlink, uapi::kCtMsgDelete, uapi::kNlmFRequest, seq,
                      f_.orig().l3);
        ok = ct::put_tuple(b, f_, ct::kDirOrig);
        if (f_.has(F::kZone)) ok = ok && b.put_u16_be(uapi::CTA_ZONE, f_.zone);
        ok = ok && b.end_msg();
      } else {
        ok = ct::build_ct_new(b, f_, uapi::kNlmFRequest | uapi::kNlmFCreate | uapi::kNlmFExcl, seq);
      }
      if (ok) {
        reqs_[batch_.pending()] = Req{ref, kind, false, 0};
        batch_.commit(b);
        return true;
      }
      if (batch_.pending() == 0) return false;  // does not fit at all
      flush();
      ext_.to_flow(ref, &f_);
      commit_prepare(d_.config(), Daemon::now(), ext_.header(ref), &f_);
    }
    return false;
  }

  void add_create(uint32_t ref, int) {
    if (batch_.full()) flush();
    if (!build(ref, kCreate)) fail("commit-create", EMSGSIZE);
  }

  static void on_error(void* ctx, unsigned i, int err) {
    Req& r = static_cast<Committer*>(ctx)->reqs_[i];
    r.failed = true;
    r.err = err;
  }

  void fail(const char* what, int err) {
    res_.failed++;
    d_.log(kLogErr, "%s: %s", what, strerror(err));
  }

  // Sends the batch, then settles it: successes counted, EEXIST retried
  // once as delete + create (a second, smaller batch).
  void flush() {
    const unsigned n = batch_.pending();
    if (n == 0) return;
    int r = batch_.flush(&Committer::on_error, this);
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

  // Retries are settled without a further retry.
  void flush_retries() {
    const unsigned n = batch_.pending();
    if (n == 0) return;
    int r = batch_.flush(&Committer::on_error, this);
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
  FlowCache& ext_;
  nl::RequestBatch batch_;
  ct::Flow f_;
  CommitResult res_;
  Req reqs_[nl::RequestBatch::kMaxRequests];
  uint32_t retry_[nl::RequestBatch::kMaxRequests];
};

}  // namespace

CommitResult commit_flows(Daemon& d, nl::Socket& s, FlowCache& ext) {
  Committer* c = new Committer(d, s, ext);  // 128 KiB of buffers: not on the stack
  c->run();
  const CommitResult r = c->result();
  delete c;
  return r;
}

}  // namespace ctd
