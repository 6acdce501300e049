// See flow_cache.h.
#include "conntrackd/cache/flow_cache.h"

#include <cstdlib>
#include <cstring>

#include "ct_uapi.h"

namespace ctd {
namespace {

using ct::F;

bool is_icmp(uint8_t l4) { return l4 == uapi::kIpprotoIcmp || l4 == uapi::kIpprotoIcmpv6; }

// The ports slot of a tuple: real ports, or ICMP id and type/code; 0 for
// what the flow does not have.  A decoder's flow is reused and cleared by
// its bits only, so a value without its bit is the previous message's: in
// a key it made an ICMP flow without an id (or a flow of a portless
// protocol) land under whatever the last flow had, where to_flow's copy,
// a later event or a compact DEL by id never found it again.
void tuple_ports(const ct::Flow& f, ct::Dir d, uint16_t* a, uint16_t* b) {
  const ct::Tuple& t = f.tuple[d];
  auto has = [&](F base) { return f.has(ct::tuple_field(d, base)); };
  if (is_icmp(t.l4)) {
    *a = has(F::kOrigIcmpId) ? t.icmp_id : 0;
    *b = static_cast<uint16_t>((has(F::kOrigIcmpType) ? t.icmp_type << 8 : 0) |
                               (has(F::kOrigIcmpCode) ? t.icmp_code : 0));
  } else {
    *a = has(F::kOrigPortSrc) ? t.sport : 0;
    *b = has(F::kOrigPortDst) ? t.dport : 0;
  }
}

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdull;
}

uint16_t key_zone(const ct::Flow& f) { return f.has(F::kZone) ? f.zone : 0; }

}  // namespace

// ---- slab pool -------------------------------------------------------------

// ---- cache -------------------------------------------------------------------

FlowCache::~FlowCache() {
  v4_.destroy();
  v6_.destroy();
  ext_.destroy();
  free(buckets_);
  free(cid_buckets_);
}

bool FlowCache::init(uint32_t buckets, uint32_t limit) {
  if (buckets == 0 || limit == 0 || limit >= kV6Bit) return false;
  uint32_t n = 1, shift = 32;
  while (n < buckets && n < (1u << 30)) {
    n <<= 1;
    shift--;
  }
  buckets_ = static_cast<uint32_t*>(malloc(size_t{n} * sizeof(uint32_t)));
  if (!buckets_) return false;
  std::memset(buckets_, 0xff, size_t{n} * sizeof(uint32_t));  // all kNilRef
  nbuckets_ = n;
  bucket_shift_ = shift;
  limit_ = limit;
  return v4_.init(sizeof(FlowRecord<4>), limit) && v6_.init(sizeof(FlowRecord<16>), limit) &&
         ext_.init(sizeof(FlowExt), limit);
}

uint32_t FlowCache::bucket_of(const FlowHeader& h, const uint8_t* src, const uint8_t* dst,
                              unsigned alen) const {
  uint64_t x = mix(0, uint64_t{h.family} << 40 | uint64_t{h.l4} << 32 | uint64_t{h.zone} << 16);
  x = mix(x, uint64_t{h.sport} << 16 | h.dport);
  for (unsigned i = 0; i < alen; i += 4) {
    uint32_t a, b;
    std::memcpy(&a, src + i, 4);
    std::memcpy(&b, dst + i, 4);
    x = mix(x, uint64_t{a} << 32 | b);
  }
  if (bucket_shift_ >= 32) return 0;
  return static_cast<uint32_t>((x ^ (x >> 32)) * 0x9e3779b97f4a7c15ull >> 32) >> bucket_shift_;
}

bool FlowCache::key_equal(uint32_t ref, const ct::Flow& f) const {
  const FlowHeader* h = hdr(ref);
  const ct::Tuple& t = f.orig();
  uint16_t a, b;
  tuple_ports(f, ct::kDirOrig, &a, &b);
  if (h->family != t.l3 || h->l4 != t.l4 || h->sport != a || h->dport != b || h->zone != key_zone(f))
    return false;
  const unsigned alen = h->family == uapi::kAfInet6 ? 16 : 4;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(h + 1);
  return std::memcmp(p, t.src.b, alen) == 0 && std::memcmp(p + alen, t.dst.b, alen) == 0;
}

uint32_t FlowCache::bucket_of_key(const ct::Flow& f) const {
  const ct::Tuple& t = f.orig();
  if (t.l3 != uapi::kAfInet && t.l3 != uapi::kAfInet6) return nbuckets_;
  FlowHeader k{};
  k.family = t.l3;
  k.l4 = t.l4;
  k.zone = key_zone(f);
  tuple_ports(f, ct::kDirOrig, &k.sport, &k.dport);
  return bucket_of(k, t.src.b, t.dst.b, t.l3 == uapi::kAfInet6 ? 16 : 4);
}

uint32_t FlowCache::lookup(const ct::Flow& f) const {
  const uint32_t b = bucket_of_key(f);
  if (b >= nbuckets_) return kNilRef;
  for (uint32_t r = buckets_[b]; r != kNilRef; r = hdr(r)->next)
    if (key_equal(r, f)) return r;
  return kNilRef;
}

void FlowCache::prefetch_bucket(const ct::Flow& f) const {
  const uint32_t b = bucket_of_key(f);
  if (b < nbuckets_) __builtin_prefetch(&buckets_[b]);
}

void FlowCache::prefetch_chain(const ct::Flow& f) const {
  const uint32_t b = bucket_of_key(f);
  if (b < nbuckets_ && buckets_[b] != kNilRef) __builtin_prefetch(hdr(buckets_[b]));
}

CacheErr FlowCache::insert(const ct::Flow& f, uint32_t now, uint32_t* out) {
  const ct::Tuple& t = f.orig();
  if (!f.has(F::kOrigL3) || !f.has(F::kOrigSrc) || !f.has(F::kOrigDst) || !f.has(F::kOrigL4) ||
      (t.l3 != uapi::kAfInet && t.l3 != uapi::kAfInet6))
    return CacheErr::kInvalid;
  if (f.has(F::kLabels) && f.labels_len > kMaxLabelBytes) return CacheErr::kInvalid;
  const uint32_t found = lookup(f);
  if (found != kNilRef) {
    if (out) *out = found;
    return CacheErr::kExists;
  }
  if (count_ >= limit_) return CacheErr::kNoSpace;
  const bool v6 = t.l3 == uapi::kAfInet6;
  SlabPool& pool = v6 ? v6_ : v4_;
  uint32_t idx = pool.alloc();
  if (idx == kNilRef) return CacheErr::kNoMemory;
  const uint32_t ref = v6 ? idx | kV6Bit : idx;
  FlowHeader* h = hdr(ref);
  std::memset(h, 0, pool.rec_size());
  h->ext = kNilRef;
  h->q.next = h->q.prev = kNilRef;
  h->family = t.l3;
  h->l4 = t.l4;
  h->zone = key_zone(f);
  if (f.has(F::kZone)) h->has |= kHasZone;
  tuple_ports(f, ct::kDirOrig, &h->sport, &h->dport);
  const unsigned alen = v6 ? 16 : 4;
  uint8_t* a = reinterpret_cast<uint8_t*>(h + 1);
  std::memcpy(a, t.src.b, alen);
  std::memcpy(a + alen, t.dst.b, alen);
  // Without a reply tuple (a flow from a peer) the reply slots hold the
  // NAT mapping the peer sent, identity where it sent none (see to_flow).
  std::memcpy(a + 2 * alen, t.dst.b, alen);
  std::memcpy(a + 3 * alen, t.src.b, alen);
  h->rsport = h->dport;
  h->rdport = h->sport;
  if (store(ref, f) != CacheErr::kOk) {
    pool.release(idx);
    return CacheErr::kNoMemory;
  }
  h->obj = ObjState::kNew;
  h->created = h->lastupdate = now;
  h->cid.state = kCidFull;
  h->cid.next = kNilRef;
  h->cid.serial = next_serial_++;
  if (next_serial_ == 0) next_serial_ = 1;
  uint32_t b = bucket_of(*h, t.src.b, t.dst.b, alen);
  h->next = buckets_[b];
  buckets_[b] = ref;
  count_++;
  *out = ref;
  return CacheErr::kOk;
}

namespace {

// The compact encoding's dirty bits: which of the fields an UPD carries
// differ, and kCidFull for any change of the rest (or any rare attribute:
// comparing those is not worth it, they are rare).
void note_changes(FlowHeader* h, const ct::Flow& f) {
  uint16_t d = 0;
  auto differs = [&](F fl, uint16_t bit, uint32_t stored, uint32_t v) {
    return f.has(fl) && (!(h->has & bit) || stored != v);
  };
  if (differs(F::kStatus, kHasStatus, h->status, f.status)) d |= kCidStatus;
  if (differs(F::kTimeout, kHasTimeout, h->timeout, f.timeout)) d |= kCidTimeout;
  if (differs(F::kMark, kHasMark, h->mark, f.mark)) d |= kCidMark;
  if (differs(F::kTcpState, kHasL4State, h->l4state, f.tcp_state)) d |= kCidTcpState;
  if (differs(F::kSctpState, kHasL4State, h->l4state, f.sctp_state) ||
      differs(F::kDccpState, kHasL4State, h->l4state, f.dccp_state) ||
      differs(F::kDccpRole, kHasDccpRole, h->wscale[0], f.dccp_role) ||
      differs(F::kTcpWscaleOrig, kHasWscale, h->wscale[0], f.tcp_wscale[0]) ||
      differs(F::kTcpWscaleRepl, kHasWscale, h->wscale[1], f.tcp_wscale[1]) ||
      differs(F::kZone, kHasZone, h->zone, f.zone) || f.has(F::kMasterL3) || f.has(F::kOrigSeqCorrPos) ||
      f.has(F::kSctpVtagOrig) || (f.has(F::kHelper) && !f.helper.empty()) || f.has(F::kLabels) ||
      (f.has(F::kSynproxyIsn) && (f.synproxy_isn | f.synproxy_its | f.synproxy_tsoff) != 0) ||
      (!(h->has & kHasReply) && (f.has(F::kSnatIp) || f.has(F::kDnatIp) || f.has(F::kSnatPort) ||
                                 f.has(F::kDnatPort))))
    d |= kCidFull;
  h->cid.state |= d;
}

}  // namespace

// Copies every non-key attribute present in f into the record.
CacheErr FlowCache::store(uint32_t ref, const ct::Flow& f) {
  FlowHeader* h = hdr(ref);
  note_changes(h, f);
  const unsigned alen = h->family == uapi::kAfInet6 ? 16 : 4;
  uint8_t* a = reinterpret_cast<uint8_t*>(h + 1);
  if (f.has(F::kReplSrc) && f.has(F::kReplDst)) {
    std::memcpy(a + 2 * alen, f.repl().src.b, alen);
    std::memcpy(a + 3 * alen, f.repl().dst.b, alen);
    tuple_ports(f, ct::kDirRepl, &h->rsport, &h->rdport);
    h->has |= kHasReply;
  } else if (!(h->has & kHasReply)) {
    // The sync protocol's NAT attributes: SNAT is the reply destination,
    // DNAT the reply source (libnetfilter_conntrack's SETUP_REPLY).
    if (f.has(F::kSnatIp)) std::memcpy(a + 3 * alen, f.snat_ip.b, alen);
    if (f.has(F::kDnatIp)) std::memcpy(a + 2 * alen, f.dnat_ip.b, alen);
    if (f.has(F::kSnatPort)) h->rdport = f.snat_port;
    if (f.has(F::kDnatPort)) h->rsport = f.dnat_port;
  }
  // What to_flow gives back must key as the flow did (tuple_ports): the
  // protocol says which of the two the key holds, any one field of it
  // says that it is there.
  if (is_icmp(h->l4)) {
    if (f.has(F::kOrigIcmpType) || f.has(F::kOrigIcmpCode) || f.has(F::kOrigIcmpId)) h->has |= kHasIcmp;
  } else if (f.has(F::kOrigPortSrc) || f.has(F::kOrigPortDst)) {
    h->has |= kHasPorts;
  }
  if (f.has(F::kStatus)) { h->status = f.status; h->has |= kHasStatus; }
  if (f.has(F::kTimeout)) { h->timeout = f.timeout; h->has |= kHasTimeout; }
  if (f.has(F::kMark)) { h->mark = f.mark; h->has |= kHasMark; }
  if (f.has(F::kId)) { h->id = f.id; h->has |= kHasId; }
  if (f.has(F::kTcpState)) { h->l4state = f.tcp_state; h->has |= kHasL4State; }
  if (f.has(F::kSctpState)) { h->l4state = f.sctp_state; h->has |= kHasL4State; }
  if (f.has(F::kDccpState)) { h->l4state = f.dccp_state; h->has |= kHasL4State; }
  if (f.has(F::kDccpRole)) { h->wscale[0] = f.dccp_role; h->has |= kHasDccpRole; }
  if (f.has(F::kTcpWscaleOrig) && f.has(F::kTcpWscaleRepl)) {
    h->wscale[0] = f.tcp_wscale[0];
    h->wscale[1] = f.tcp_wscale[1];
    h->has |= kHasWscale;
  }
  if (f.has(F::kTcpFlagsOrig) && f.has(F::kTcpFlagsRepl)) {
    h->tcp_flags[0] = f.tcp_flags[0];
    h->tcp_flags[1] = f.tcp_flags[1];
    h->has |= kHasTcpFlags;
  }
  const bool master = f.has(F::kMasterL3) && f.has(F::kMasterSrc) && f.has(F::kMasterDst);
  const bool seqadj = f.has(F::kOrigSeqCorrPos) && f.has(F::kReplSeqOffAfter);
  bool synproxy = f.has(F::kSynproxyIsn) && f.has(F::kSynproxyIts) && f.has(F::kSynproxyTsoff);
  const bool vtags = f.has(F::kSctpVtagOrig) && f.has(F::kSctpVtagRepl);
  const bool helper = f.has(F::kHelper) && !f.helper.empty();
  const bool labels = f.has(F::kLabels) && f.labels_len > 0 && f.labels_len <= kMaxLabelBytes;
  if (synproxy) {
    // All zero (every ctnetlink-created entry): a header bit, no FlowExt.
    if ((f.synproxy_isn | f.synproxy_its | f.synproxy_tsoff) == 0) {
      h->has |= kHasSynproxyZero;
      synproxy = false;
      if (h->ext != kNilRef) {
        FlowExt* x = reinterpret_cast<FlowExt*>(ext_.at(h->ext));
        x->has &= static_cast<uint16_t>(~kExtSynproxy);
        if (x->has == 0 && !(master || seqadj || vtags || helper || labels)) {
          ext_.release(h->ext);
          h->ext = kNilRef;
        }
      }
    } else {
      h->has &= static_cast<uint16_t>(~kHasSynproxyZero);
    }
  }
  if (!(master || seqadj || synproxy || vtags || helper || labels)) return CacheErr::kOk;
  if (h->ext == kNilRef) {
    uint32_t e = ext_.alloc();
    if (e == kNilRef) return CacheErr::kNoMemory;
    std::memset(ext_.at(e), 0, sizeof(FlowExt));
    h->ext = e;
  }
  FlowExt* x = reinterpret_cast<FlowExt*>(ext_.at(h->ext));
  if (master) {
    const ct::Tuple& m = f.tuple[ct::kDirMaster];
    x->master_l3 = m.l3;
    x->master_l4 = m.l4;
    std::memcpy(x->master_src, m.src.b, 16);
    std::memcpy(x->master_dst, m.dst.b, 16);
    x->master_sport = m.sport;
    x->master_dport = m.dport;
    x->has |= kExtMaster;
  }
  if (seqadj) {
    for (int d = 0; d < 2; d++) {
      x->seq_adj[3 * d] = f.seq_adj[d].correction_pos;
      x->seq_adj[3 * d + 1] = f.seq_adj[d].offset_before;
      x->seq_adj[3 * d + 2] = f.seq_adj[d].offset_after;
    }
    x->has |= kExtSeqAdj;
  }
  if (synproxy) {
    x->synproxy[0] = f.synproxy_isn;
    x->synproxy[1] = f.synproxy_its;
    x->synproxy[2] = f.synproxy_tsoff;
    x->has |= kExtSynproxy;
  }
  if (vtags) {
    x->sctp_vtag[0] = f.sctp_vtag[0];
    x->sctp_vtag[1] = f.sctp_vtag[1];
    x->has |= kExtVtags;
  }
  if (helper) {
    // Upstream's wire limit is 11 characters; longer names are cut.
    size_t n = f.helper.size() < kMaxHelperName - 1 ? f.helper.size() : kMaxHelperName - 1;
    std::memset(x->helper, 0, sizeof(x->helper));
    if (n > 0) std::memcpy(x->helper, f.helper.data(), n);  // empty: data() may be null
    x->has |= kExtHelper;
  }
  if (labels) {
    std::memset(x->labels, 0, sizeof(x->labels));
    std::memcpy(x->labels, f.labels, f.labels_len);
    x->labels_len = static_cast<uint8_t>(f.labels_len);
    x->has |= kExtLabels;
  }
  return CacheErr::kOk;
}

CacheErr FlowCache::update(uint32_t ref, const ct::Flow& f, uint32_t now) {
  if (f.has(F::kLabels) && f.labels_len > kMaxLabelBytes) return CacheErr::kInvalid;
  CacheErr e = store(ref, f);
  if (e != CacheErr::kOk) return e;
  FlowHeader* h = hdr(ref);
  h->lastupdate = now;
  if (h->obj == ObjState::kDead) dead_--;
  h->obj = ObjState::kAlive;
  h->has &= static_cast<uint16_t>(~kMarkUnseen);
  return CacheErr::kOk;
}

void FlowCache::unlink(uint32_t ref) {
  FlowHeader* h = hdr(ref);
  const unsigned alen = h->family == uapi::kAfInet6 ? 16 : 4;
  const uint8_t* a = reinterpret_cast<const uint8_t*>(h + 1);
  uint32_t* link = &buckets_[bucket_of(*h, a, a + alen, alen)];
  while (*link != ref) link = &hdr(*link)->next;
  *link = h->next;
}

void FlowCache::erase(uint32_t ref) {
  FlowHeader* h = hdr(ref);
  if (h->cid.state & kCidBound) cid_unbind(ref);
  h->cid.serial = 0;  // a freed record never matches an id
  h->cid.state = 0;
  if ((h->has & kMarkQueueMask) && erase_hook_) erase_hook_(erase_ctx_, ref);
  if (h->obj == ObjState::kDead) dead_--;
  h->obj = ObjState::kNone;  // free, for for_each_stored()
  unlink(ref);
  if (h->ext != kNilRef) ext_.release(h->ext);
  if (ref & kV6Bit) v6_.release(ref & ~kV6Bit);
  else v4_.release(ref);
  count_--;
}

void FlowCache::clear() {
  for_each([this](uint32_t r) { erase(r); });
}

void FlowCache::to_flow(uint32_t ref, ct::Flow* out) const {
  const FlowHeader* h = hdr(ref);
  ct::Flow& f = *out;
  f.clear();
  f.family = h->family;
  const unsigned alen = h->family == uapi::kAfInet6 ? 16 : 4;
  const uint8_t* a = reinterpret_cast<const uint8_t*>(h + 1);
  auto fill = [&](ct::Dir d, const uint8_t* src, const uint8_t* dst, uint16_t p0, uint16_t p1) {
    ct::Tuple& t = f.tuple[d];
    t = ct::Tuple{};
    t.l3 = h->family;
    t.l4 = h->l4;
    std::memcpy(t.src.b, src, alen);
    std::memcpy(t.dst.b, dst, alen);
    for (F base : {F::kOrigL3, F::kOrigSrc, F::kOrigDst, F::kOrigL4}) f.set.set(ct::tuple_field(d, base));
    if (h->has & kHasIcmp) {
      t.icmp_id = p0;
      t.icmp_type = static_cast<uint8_t>(p1 >> 8);
      t.icmp_code = static_cast<uint8_t>(p1);
      for (F base : {F::kOrigIcmpType, F::kOrigIcmpCode, F::kOrigIcmpId})
        f.set.set(ct::tuple_field(d, base));
    } else if (h->has & kHasPorts) {
      t.sport = p0;
      t.dport = p1;
      f.set.set(ct::tuple_field(d, F::kOrigPortSrc));
      f.set.set(ct::tuple_field(d, F::kOrigPortDst));
    }
  };
  fill(ct::kDirOrig, a, a + alen, h->sport, h->dport);
  if (h->has & kHasReply) {
    fill(ct::kDirRepl, a + 2 * alen, a + 3 * alen, h->rsport, h->rdport);
  } else {
    // A peer's flow: its NAT mapping, wherever it differs from identity.
    if (std::memcmp(a + 3 * alen, a, alen) != 0) {
      std::memcpy(f.snat_ip.b, a + 3 * alen, alen);
      f.set.set(F::kSnatIp);
    }
    if (std::memcmp(a + 2 * alen, a + alen, alen) != 0) {
      std::memcpy(f.dnat_ip.b, a + 2 * alen, alen);
      f.set.set(F::kDnatIp);
    }
    if ((h->has & kHasPorts) && h->rdport != h->sport) {
      f.snat_port = h->rdport;
      f.set.set(F::kSnatPort);
    }
    if ((h->has & kHasPorts) && h->rsport != h->dport) {
      f.dnat_port = h->rsport;
      f.set.set(F::kDnatPort);
    }
  }
  if (h->has & kHasZone) { f.zone = h->zone; f.set.set(F::kZone); }
  if (h->has & kHasStatus) { f.status = h->status; f.set.set(F::kStatus); }
  if (h->has & kHasTimeout) { f.timeout = h->timeout; f.set.set(F::kTimeout); }
  if (h->has & kHasMark) { f.mark = h->mark; f.set.set(F::kMark); }
  if (h->has & kHasId) { f.id = h->id; f.set.set(F::kId); }
  if (h->has & kHasL4State) {
    if (h->l4 == uapi::kIpprotoTcp) { f.tcp_state = h->l4state; f.set.set(F::kTcpState); }
    else if (h->l4 == uapi::kIpprotoSctp) { f.sctp_state = h->l4state; f.set.set(F::kSctpState); }
    else if (h->l4 == uapi::kIpprotoDccp) { f.dccp_state = h->l4state; f.set.set(F::kDccpState); }
  }
  if (h->has & kHasDccpRole) { f.dccp_role = h->wscale[0]; f.set.set(F::kDccpRole); }
  if (h->has & kHasWscale) {
    f.tcp_wscale[0] = h->wscale[0];
    f.tcp_wscale[1] = h->wscale[1];
    f.set.set(F::kTcpWscaleOrig);
    f.set.set(F::kTcpWscaleRepl);
  }
  if (h->has & kHasTcpFlags) {
    f.tcp_flags[0] = h->tcp_flags[0];
    f.tcp_flags[1] = h->tcp_flags[1];
    f.set.set(F::kTcpFlagsOrig);
    f.set.set(F::kTcpFlagsRepl);
  }
  if (h->has & kHasSynproxyZero) {
    f.synproxy_isn = f.synproxy_its = f.synproxy_tsoff = 0;
    for (F fl : {F::kSynproxyIsn, F::kSynproxyIts, F::kSynproxyTsoff}) f.set.set(fl);
  }
  if (h->ext == kNilRef) return;
  const FlowExt* x = reinterpret_cast<const FlowExt*>(ext_.at(h->ext));
  if (x->has & kExtMaster) {
    ct::Tuple& m = f.tuple[ct::kDirMaster];
    m = ct::Tuple{};
    m.l3 = x->master_l3;
    m.l4 = x->master_l4;
    std::memcpy(m.src.b, x->master_src, 16);
    std::memcpy(m.dst.b, x->master_dst, 16);
    m.sport = x->master_sport;
    m.dport = x->master_dport;
    for (F fl : {F::kMasterL3, F::kMasterSrc, F::kMasterDst, F::kMasterL4, F::kMasterPortSrc, F::kMasterPortDst})
      f.set.set(fl);
  }
  if (x->has & kExtSeqAdj) {
    for (int d = 0; d < 2; d++) {
      f.seq_adj[d].correction_pos = x->seq_adj[3 * d];
      f.seq_adj[d].offset_before = x->seq_adj[3 * d + 1];
      f.seq_adj[d].offset_after = x->seq_adj[3 * d + 2];
    }
    for (F fl : {F::kOrigSeqCorrPos, F::kOrigSeqOffBefore, F::kOrigSeqOffAfter, F::kReplSeqCorrPos,
                 F::kReplSeqOffBefore, F::kReplSeqOffAfter})
      f.set.set(fl);
  }
  if (x->has & kExtSynproxy) {
    f.synproxy_isn = x->synproxy[0];
    f.synproxy_its = x->synproxy[1];
    f.synproxy_tsoff = x->synproxy[2];
    for (F fl : {F::kSynproxyIsn, F::kSynproxyIts, F::kSynproxyTsoff}) f.set.set(fl);
  }
  if (x->has & kExtVtags) {
    f.sctp_vtag[0] = x->sctp_vtag[0];
    f.sctp_vtag[1] = x->sctp_vtag[1];
    f.set.set(F::kSctpVtagOrig);
    f.set.set(F::kSctpVtagRepl);
  }
  if (x->has & kExtHelper) {
    f.helper = std::string_view(x->helper, strnlen(x->helper, sizeof(x->helper)));
    f.set.set(F::kHelper);
  }
  if (x->has & kExtLabels) {
    f.labels = x->labels;
    f.labels_len = x->labels_len;
    f.set.set(F::kLabels);
  }
}

// ---- compact ids ---------------------------------------------------------------

bool FlowCache::enable_cid_index() {
  if (cid_buckets_) return true;
  cid_buckets_ = static_cast<uint32_t*>(malloc(size_t{nbuckets_} * sizeof(uint32_t)));
  if (!cid_buckets_) return false;
  std::memset(cid_buckets_, 0xff, size_t{nbuckets_} * sizeof(uint32_t));
  return true;
}

uint32_t FlowCache::cid_bucket(uint32_t peer_ref, uint32_t serial) const {
  const uint64_t x = mix(mix(0, peer_ref), serial);
  if (bucket_shift_ >= 32) return 0;
  return static_cast<uint32_t>((x ^ (x >> 32)) * 0x9e3779b97f4a7c15ull >> 32) >> bucket_shift_;
}

uint32_t FlowCache::cid_find(uint32_t peer_ref, uint32_t serial) const {
  if (!cid_buckets_) return kNilRef;
  for (uint32_t r = cid_buckets_[cid_bucket(peer_ref, serial)]; r != kNilRef; r = hdr(r)->cid.next) {
    const CompactId& c = hdr(r)->cid;
    if (c.peer_ref == peer_ref && c.serial == serial) return r;
  }
  return kNilRef;
}

void FlowCache::cid_bind(uint32_t ref, uint32_t peer_ref, uint32_t serial) {
  if (!cid_buckets_) return;
  FlowHeader* h = hdr(ref);
  if ((h->cid.state & kCidBound) && h->cid.peer_ref == peer_ref && h->cid.serial == serial) return;
  if (h->cid.state & kCidBound) cid_unbind(ref);
  const uint32_t other = cid_find(peer_ref, serial);
  if (other != kNilRef) cid_unbind(other);
  h->cid.peer_ref = peer_ref;
  h->cid.serial = serial;
  uint32_t& head = cid_buckets_[cid_bucket(peer_ref, serial)];
  h->cid.next = head;
  head = ref;
  h->cid.state |= kCidBound;
}

void FlowCache::cid_unbind(uint32_t ref) {
  FlowHeader* h = hdr(ref);
  if (!cid_buckets_ || !(h->cid.state & kCidBound)) return;
  uint32_t* link = &cid_buckets_[cid_bucket(h->cid.peer_ref, h->cid.serial)];
  while (*link != kNilRef && *link != ref) link = &hdr(*link)->cid.next;
  if (*link == ref) *link = h->cid.next;
  h->cid.next = kNilRef;
  h->cid.state &= static_cast<uint16_t>(~kCidBound);
  // an external record keeps a nonzero serial (live()), never an id
  h->cid.peer_ref = kNilRef;
}

void FlowCache::cid_clear() {
  if (!cid_buckets_) return;
  for_each([this](uint32_t r) {
    FlowHeader* h = hdr(r);
    h->cid.next = kNilRef;
    h->cid.peer_ref = kNilRef;
    h->cid.state &= static_cast<uint16_t>(~kCidBound);
  });
  std::memset(cid_buckets_, 0xff, size_t{nbuckets_} * sizeof(uint32_t));
}

CacheMem FlowCache::mem() const {
  CacheMem m{};
  for (const SlabPool* p : {&v4_, &v6_, &ext_}) {
    m.reserved += p->reserved();
    m.used += size_t{p->live()} * p->rec_size();
  }
  m.reserved += size_t{nbuckets_} * sizeof(uint32_t) * (cid_buckets_ ? 2 : 1);
  m.flows_v4 = v4_.live();
  m.flows_v6 = v6_.live();
  m.exts = ext_.live();
  return m;
}

}  // namespace ctd
