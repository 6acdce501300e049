// See kernel_expect.h.
#include "conntrackd/kernel/kernel_expect.h"

#include <cerrno>
#include <strings.h>
#include <sys/socket.h>

#include "conntrackd/daemon.h"
#include "ct/expect_build.h"
#include "ct/expect_parse.h"
#include "ct_uapi.h"
#include "netlink/dump_pipeline.h"
#include "netlink/msg_builder.h"
#include "netlink/recv_loop.h"

namespace ctd {

using ct::F;
using ct::XA;
using uapi::NlMsgHdr;

namespace {

bool is_exp_msg(const NlMsgHdr& h) { return (h.type >> 8) == uapi::kNfnlSubsysCtnetlinkExp; }

}  // namespace

bool exp_helper_accepted(const Config& c, const ct::Expect& e) {
  if (c.nexpect_helpers == 0) return true;  // no list: everything
  // A kernel too old to report the helper name: refused (upstream skips).
  if (!e.has(XA::kHelper)) return false;
  for (unsigned i = 0; i < c.nexpect_helpers && i < kMaxExpectHelpers; i++) {
    const char* name = c.expect_helpers[i];
    const size_t n = strnlen(name, sizeof(c.expect_helpers[i]));
    // strncasecmp(item, helper, strlen(item)): the listed name must be a
    // prefix of the helper name ("sip" accepts "sip-5060").
    if (e.helper.size() >= n && strncasecmp(name, e.helper.data(), n) == 0) return true;
  }
  return false;
}

bool ExpectKernel::master_sane(const ct::Expect& e) {
  // upstream ct_filter_master_sanity_check(), with its messages.
  if (!e.has(XA::kMaster)) {
    d_.log(kLogErr, "no master tuple in expectation");
    return false;
  }
  const ct::Flow& t = e.tuples;
  if (!t.has(F::kMasterL3)) {
    d_.log(kLogErr, "missing layer 3 protocol");
    return false;
  }
  const uint8_t l3 = t.tuple[ct::kExpMaster].l3;
  if ((l3 == uapi::kAfInet || l3 == uapi::kAfInet6) &&
      (!t.has(F::kMasterSrc) || !t.has(F::kMasterDst))) {
    d_.log(kLogErr, l3 == uapi::kAfInet
                        ? "missing IPv4 address. You forgot to load nf_conntrack_ipv4?"
                        : "missing IPv6 address. You forgot to load nf_conntrack_ipv6?");
    return false;
  }
  return true;
}

bool ExpectKernel::master_known(const ct::Expect& e) {
  if (!master_sane(e)) return false;
  const ct::Flow& t = e.tuples;
  const uint8_t l3 = t.tuple[ct::kExpMaster].l3;
  // The master must be in the internal conntrack cache, looked up by its
  // original tuple.  The master tuple carries no zone, so (as upstream,
  // whose hash reads an unset zone as 0) only zone-0 masters are found.
  static ct::Flow key;
  key.clear();
  ct::copy_tuple(t, ct::kExpMaster, key, ct::kDirOrig);
  key.family = l3;
  return d_.internal().lookup(key) != kNilRef;
}

uint32_t ExpectKernel::insert(const ct::Expect& e) {
  uint32_t ref;
  return d_.exp_internal().add(e, Daemon::now(), &ref) == CacheErr::kOk ? ref : kNilRef;
}

uint32_t ExpectKernel::upsert(const ct::Expect& e) {
  ExpectCache& c = d_.exp_internal();
  const uint32_t ref = c.lookup(e);
  if (ref == kNilRef) return insert(e);
  c.update(ref, e, Daemon::now());
  c.count_updated();
  return ref;
}

void ExpectKernel::destroyed(uint32_t ref, bool quiet) {
  ExpectCache& c = d_.exp_internal();
  // Kept (DEAD) until its DEL is out, or acknowledged in FT-FW.
  c.mark_dead(ref);
  if (quiet) c.erase(ref);
  else d_.sync_local_exp(ref);
}

void ExpectKernel::handle_event(const NlMsgHdr& h, std::span<const uint8_t> p) {
  RuntimeCounters& rt = d_.runtime_mut();
  rt.events_received++;
  ct::Expect& e = scratch_;
  if (!is_exp_msg(h) || !ct::expect_parse(p, e)) {
    rt.events_unknown++;
    return;
  }
  if (!exp_helper_accepted(d_.config(), e)) {
    rt.events_filtered++;
    return;
  }
  const ct::MsgKind kind = ct::expect_msg_kind(h);
  // DESTROY: see the header (the master is usually gone from our cache
  // already, not from upstream's); the sanity check still runs.
  if (kind == ct::MsgKind::kDestroy ? !master_sane(e) : !master_known(e))
    return;  // upstream: not counted
  // upstream's origin check, as for conntracks: what our injection caused
  // is ignored, what a commit caused is cached but not sent.
  if (h.pid != 0 && h.pid == d_.inject_portid()) return;
  const bool quiet = h.pid != 0 && h.pid == d_.commit_portid();
  ExpectCache& c = d_.exp_internal();
  uint32_t ref = kNilRef;
  switch (kind) {
    case ct::MsgKind::kNew:
      // upstream internal_cache_exp_event_new(): an equal entry is
      // replaced (cache_del counts it destroyed).
      ref = c.lookup(e);
      if (ref != kNilRef) c.remove(ref);
      ref = insert(e);
      break;
    case ct::MsgKind::kUpdate:
      ref = upsert(e);
      break;
    case ct::MsgKind::kDestroy:
      ref = c.lookup(e);
      if (ref == kNilRef || c.header(ref).obj == ObjState::kDead) return;
      destroyed(ref, quiet);
      return;
    default:
      rt.events_unknown++;
      break;
  }
  if (ref != kNilRef && !quiet) d_.sync_local_exp(ref);
}

int ExpectKernel::dump(nl::Socket& s) {
  bool complete;
  return walk_dump(s, false, &complete);
}

int ExpectKernel::purge(nl::Socket& s) {
  ExpectCache& c = d_.exp_internal();
  c.for_each([&c](uint32_t ref) { c.set_mark(ref, true); });
  bool complete = false;
  int r = walk_dump(s, true, &complete);
  if (r < 0 || !complete) return r;  // an interrupted dump proves nothing
  c.for_each([&](uint32_t ref) {
    if (c.header(ref).mark && c.header(ref).obj != ObjState::kDead) destroyed(ref, false);
  });
  return 0;
}

int ExpectKernel::walk_dump(nl::Socket& s, bool purging, bool* complete) {
  alignas(8) uint8_t buf[128];
  nl::MsgBuilder b(buf, sizeof buf);
  const uint32_t seq = s.next_seq();
  if (!ct::build_exp_dump(b, seq, uapi::kAfUnspec)) return -EMSGSIZE;
  nl::RecvState st;
  st.seq = seq;
  st.portid = s.portid();
  int r = s.send(b.data());
  if (r < 0) return r;
  RuntimeCounters& rt = d_.runtime_mut();
  auto fn = [&](const NlMsgHdr& h, std::span<const uint8_t> p) -> int {
    ct::Expect& e = scratch_;
    if (!is_exp_msg(h) || !ct::expect_parse(p, e)) {
      rt.dump_unknown++;
      return nl::kCbOk;
    }
    if (!exp_helper_accepted(d_.config(), e) || !master_known(e)) return nl::kCbOk;
    if (purging) {
      const uint32_t ref = d_.exp_internal().lookup(e);
      if (ref != kNilRef) d_.exp_internal().set_mark(ref, false);
      return nl::kCbOk;
    }
    // A dump entry is EXP_NEW without NLM_F_CREATE: upstream's "update".
    if (ct::expect_msg_kind(h) == ct::MsgKind::kUpdate) upsert(e);
    else rt.dump_unknown++;
    return nl::kCbOk;
  };
  r = nl::recv_dump_pipelined(s, st, fn);
  *complete = r >= 0 && !st.dump_intr;
  return r;
}

int ExpectKernel::flush(nl::Socket& req) {
  alignas(8) uint8_t buf[128];
  nl::MsgBuilder b(buf, sizeof buf);
  if (!ct::build_exp_flush(b, req.next_seq(), uapi::kAfUnspec)) return -EMSGSIZE;
  int r = req.send(b.data());
  // The ack (or error) is read now so it does not pile up in the socket;
  // the request socket is non-blocking.
  alignas(8) static uint8_t ack[4096];
  for (int i = 0; i < 64; i++) {
    ssize_t n = recv(req.fd(), ack, sizeof ack, MSG_DONTWAIT);
    if (n <= 0 && !(n < 0 && errno == ENOBUFS)) break;
  }
  return r;
}

}  // namespace ctd
