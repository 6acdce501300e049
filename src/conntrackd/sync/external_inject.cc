#include "conntrackd/sync/external_inject.h"

#include <cerrno>
#include <cstring>

#include "conntrackd/daemon.h"
#include "conntrackd/kernel/commit.h"
#include "ct/expect_build.h"
#include "ct/flow_build.h"
#include "ct_uapi.h"
#include "netlink/recv_loop.h"
#include "nl_uapi.h"

namespace ctd {

using ct::F;

int ExternalInject::open() { return s_.open(0); }

int ExternalInject::request(uint8_t msg, uint16_t flags, const ct::Flow& f) {
  nl::MsgBuilder b(buf_, sizeof buf_);
  const uint32_t seq = s_.next_seq();
  const bool ok = msg == uapi::kCtMsgDelete
                      ? ct::build_ct_delete(b, f, uapi::kNlmFAck, seq)
                      : ct::build_ct_new(b, f, static_cast<uint16_t>(uapi::kNlmFRequest | uapi::kNlmFAck | flags), seq);
  if (!ok) return EMSGSIZE;
  return transact(b, seq);
}

int ExternalInject::exp_request(uint8_t msg, uint16_t flags, const ct::Expect& e) {
  nl::MsgBuilder b(buf_, sizeof buf_);
  const uint32_t seq = s_.next_seq();
  if (!ct::build_exp_request(b, msg, static_cast<uint16_t>(uapi::kNlmFAck | flags), seq, e)) return EMSGSIZE;
  return transact(b, seq);
}

int ExternalInject::transact(const nl::MsgBuilder& b, uint32_t seq) {
  if (s_.send(b.data()) < 0) return errno ? errno : EIO;
  nl::RecvState st;
  st.seq = seq;
  st.portid = s_.portid();
  alignas(8) uint8_t rbuf[8192];
  auto fn = [](const uapi::NlMsgHdr&, std::span<const uint8_t>) -> int { return nl::kCbOk; };
  const int r = nl::recv_until_done(s_, rbuf, sizeof rbuf, st, fn);
  return r < 0 ? -r : 0;
}

void ExternalInject::ct_new(const ct::Flow& in) {
  InjectCounters& k = d_.inject_mut();
  f_ = in;
  create_prepare(d_.config(), &f_);
  const uint16_t create = uapi::kNlmFCreate | uapi::kNlmFExcl;
  int e = request(uapi::kCtMsgNew, create, f_);
  if (e == 0) {
    k.add_ok++;
    return;
  }
  if (e == EEXIST) {
    int d = request(uapi::kCtMsgDelete, 0, f_);
    if (d == 0 || d == ENOENT) e = request(uapi::kCtMsgNew, create, f_);
    else e = d;
    if (e == 0) {
      k.add_ok++;
      return;
    }
    k.add_fail++;
    d_.log(kLogWarning, "could not add new ct entry, even when deleting it first: %s", strerror(e));
    return;
  }
  k.add_fail++;
  d_.log(kLogWarning, "could not add new ct entry: %s", strerror(e));
}

void ExternalInject::ct_upd(const ct::Flow& in) {
  InjectCounters& k = d_.inject_mut();
  // upstream's nl_update_conntrack(): no NAT, helper or master in an
  // update (the kernel refuses to change them).
  f_ = in;
  for (F x : {F::kSnatIp, F::kDnatIp, F::kSnatPort, F::kDnatPort, F::kHelper, F::kMasterL3,
              F::kMasterL4, F::kMasterSrc, F::kMasterDst, F::kMasterPortSrc, F::kMasterPortDst})
    f_.set.clear(x);
  if (f_.has(F::kStatus)) f_.status &= ~(uapi::kIpsSrcNat | uapi::kIpsDstNat);
  create_prepare(d_.config(), &f_);
  int e = request(uapi::kCtMsgNew, 0, f_);
  if (e == 0) {
    k.upd_ok++;
    return;
  }
  f_ = in;
  create_prepare(d_.config(), &f_);
  const uint16_t create = uapi::kNlmFCreate | uapi::kNlmFExcl;
  if (e == ENOENT) {
    e = request(uapi::kCtMsgNew, create, f_);
    if (e == 0) {
      k.upd_ok++;
      return;
    }
    k.upd_fail++;
    d_.log(kLogWarning, "could not update ct entry, even if creating it instead: %s", strerror(e));
    return;
  }
  int d = request(uapi::kCtMsgDelete, 0, f_);
  if (d == 0 || d == ENOENT) {
    e = request(uapi::kCtMsgNew, create, f_);
    if (e == 0) {
      k.upd_ok++;
      return;
    }
    k.upd_fail++;
    d_.log(kLogWarning, "could not update ct entry, even when deleting it first: %s", strerror(e));
    return;
  }
  k.upd_fail++;
  d_.log(kLogWarning, "could not update ct entry: %s", strerror(d));
}

void ExternalInject::ct_del(const ct::Flow& in) {
  InjectCounters& k = d_.inject_mut();
  const int e = request(uapi::kCtMsgDelete, 0, in);
  if (e == 0) {
    k.del_ok++;
  } else if (e != ENOENT) {
    k.del_fail++;
    d_.log(kLogWarning, "could not destroy ct entry: %s", strerror(e));
  }
}

void ExternalInject::exp_new(const ct::Expect& e) {
  InjectCounters& k = d_.exp_inject_mut();
  const uint16_t create = uapi::kNlmFCreate | uapi::kNlmFExcl;
  int r = exp_request(uapi::kExpMsgNew, create, e);
  if (r == EEXIST) {
    const int d = exp_request(uapi::kExpMsgDelete, 0, e);
    if (d == 0 || d == ENOENT) r = exp_request(uapi::kExpMsgNew, create, e);
    else r = d;
    if (r != 0) {
      k.add_fail++;
      d_.log(kLogWarning, "could not add new exp entry, even when deleting it first: %s", strerror(r));
      return;
    }
  }
  if (r == 0) {
    k.add_ok++;
    return;
  }
  k.add_fail++;
  d_.log(kLogWarning, "could not add new exp entry: %s", strerror(r));
}

void ExternalInject::exp_del(const ct::Expect& e) {
  InjectCounters& k = d_.exp_inject_mut();
  const int r = exp_request(uapi::kExpMsgDelete, 0, e);
  if (r == 0) {
    k.del_ok++;
  } else if (r != ENOENT) {
    k.del_fail++;
    d_.log(kLogWarning, "could not delete exp entry: %s", strerror(r));
  }
}

}  // namespace ctd
