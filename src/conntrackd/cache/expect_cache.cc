// See expect_cache.h.
#include "conntrackd/cache/expect_cache.h"

#include <cstdlib>
#include <cstring>

#include "ct_uapi.h"

namespace ctd {
namespace {

using ct::Dir;
using ct::Expect;
using ct::F;
using ct::XA;

// The fields a tuple record keeps, as offsets from kOrigL3 (tuple_field
// order: L3, Src, Dst, L4, PortSrc, PortDst, IcmpType, IcmpCode, IcmpId).
constexpr unsigned kTupleFields = 9;
constexpr uint16_t bit_of(F orig_field) {
  return static_cast<uint16_t>(1u << (static_cast<unsigned>(orig_field) -
                                      static_cast<unsigned>(F::kOrigL3)));
}
constexpr uint16_t kTL3 = bit_of(F::kOrigL3), kTSrc = bit_of(F::kOrigSrc),
                   kTDst = bit_of(F::kOrigDst), kTL4 = bit_of(F::kOrigL4),
                   kTSport = bit_of(F::kOrigPortSrc), kTDport = bit_of(F::kOrigPortDst),
                   kTIcmpType = bit_of(F::kOrigIcmpType), kTIcmpCode = bit_of(F::kOrigIcmpCode),
                   kTIcmpId = bit_of(F::kOrigIcmpId);

// Where each record slot lives in an Expect, and the attribute that says
// the tuple was sent.
struct SlotRef {
  const ct::Flow& f;
  Dir d;
  XA attr;
};
SlotRef slot_of(const Expect& e, unsigned slot) {
  switch (slot) {
    case kExpSlotMaster: return {e.tuples, ct::kExpMaster, XA::kMaster};
    case kExpSlotExpected: return {e.tuples, ct::kExpExpected, XA::kExpected};
    case kExpSlotMask: return {e.tuples, ct::kExpMask, XA::kMask};
    default: return {e.nat, ct::kDirOrig, XA::kNatTuple};
  }
}

uint16_t tuple_bits(const ct::Flow& f, Dir d) {
  uint16_t b = 0;
  for (unsigned i = 0; i < kTupleFields; i++) {
    F fl = ct::tuple_field(d, static_cast<F>(static_cast<unsigned>(F::kOrigL3) + i));
    if (f.has(fl)) b = static_cast<uint16_t>(b | (1u << i));
  }
  return b;
}

uint16_t xa_bit(XA a) { return static_cast<uint16_t>(1u << static_cast<unsigned>(a)); }

// libnetfilter_conntrack's cmp_orig_l4proto() port protocols.
bool cmp_ports(uint8_t l4) {
  return l4 == uapi::kIpprotoTcp || l4 == uapi::kIpprotoUdp || l4 == uapi::kIpprotoUdplite ||
         l4 == uapi::kIpprotoDccp || l4 == uapi::kIpprotoSctp;
}
bool l4_is_icmp(uint8_t l4) { return l4 == uapi::kIpprotoIcmp || l4 == uapi::kIpprotoIcmpv6; }

// A tuple as the comparison sees it: descriptor plus address pointers.
struct TupleView {
  ExpTupleRec r;
  const uint8_t* src;
  const uint8_t* dst;
};

TupleView view_of(const Expect& e, unsigned slot) {
  SlotRef s = slot_of(e, slot);
  const ct::Tuple& t = s.f.tuple[s.d];
  TupleView v{};
  v.r.has = tuple_bits(s.f, s.d);
  v.r.l3 = t.l3;
  v.r.l4 = t.l4;
  v.r.sport = t.sport;
  v.r.dport = t.dport;
  v.r.icmp_type = t.icmp_type;
  v.r.icmp_code = t.icmp_code;
  v.r.icmp_id = t.icmp_id;
  v.src = t.src.b;
  v.dst = t.dst.b;
  return v;
}

// libnetfilter_conntrack's __cmp_orig() with flags 0: a field takes part
// only when both tuples have it; ports and ICMP fields only inside an
// equal L4 protocol.
bool tuple_equal(const TupleView& a, const TupleView& b, unsigned alen) {
  auto both = [&](uint16_t bit) { return (a.r.has & bit) && (b.r.has & bit); };
  if (both(kTL3) && a.r.l3 != b.r.l3) return false;
  if (both(kTL4)) {
    if (a.r.l4 != b.r.l4) return false;
    if (l4_is_icmp(a.r.l4)) {
      if (both(kTIcmpId) && a.r.icmp_id != b.r.icmp_id) return false;
      if (both(kTIcmpCode) && a.r.icmp_code != b.r.icmp_code) return false;
      if (both(kTIcmpType) && a.r.icmp_type != b.r.icmp_type) return false;
    } else if (cmp_ports(a.r.l4)) {
      if (both(kTSport) && a.r.sport != b.r.sport) return false;
      if (both(kTDport) && a.r.dport != b.r.dport) return false;
    }
  }
  if (both(kTSrc) && std::memcmp(a.src, b.src, alen) != 0) return false;
  if (both(kTDst) && std::memcmp(a.dst, b.dst, alen) != 0) return false;
  return true;
}

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 33);
}

unsigned alen_of(uint8_t family) { return family == uapi::kAfInet6 ? 16 : 4; }

// Copies a string view into a fixed NUL-terminated field, cut to fit.
void put_name(char* dst, size_t cap, std::string_view s) {
  size_t n = s.size() < cap - 1 ? s.size() : cap - 1;
  std::memset(dst, 0, cap);
  if (n > 0) std::memcpy(dst, s.data(), n);  // an empty view may hold nullptr
}

}  // namespace

ExpectCache::~ExpectCache() { free(buckets_); }

bool ExpectCache::init(uint32_t buckets, uint32_t limit) {
  if (buckets == 0 || limit == 0 || limit >= kV6Bit) return false;
  uint32_t n = 1, shift = 32;
  while (n < buckets && n < (1u << 30)) {
    n <<= 1;
    shift--;
  }
  free(buckets_);
  buckets_ = static_cast<uint32_t*>(malloc(size_t{n} * sizeof(uint32_t)));
  if (!buckets_) return false;
  std::memset(buckets_, 0xff, size_t{n} * sizeof(uint32_t));  // all kNilRef
  nbuckets_ = n;
  bucket_shift_ = shift;
  limit_ = limit;
  count_ = 0;
  return v4_.init(sizeof(ExpectRecord<4>), limit) && v6_.init(sizeof(ExpectRecord<16>), limit);
}

const uint8_t* ExpectCache::addr(uint32_t ref, unsigned slot, unsigned side) const {
  const ExpectHeader* h = hdr(ref);
  const unsigned alen = alen_of(h->family);
  return reinterpret_cast<const uint8_t*>(h + 1) + (slot * 2 + side) * alen;
}

// By the master tuple, as upstream (cache_exp_hash): every expectation of
// one master shares a bucket.  Absent fields hash as zero.
uint32_t ExpectCache::bucket_of(uint8_t family, bool has_master, const ExpTupleRec& m,
                                const uint8_t* src, const uint8_t* dst) const {
  const uint16_t has = has_master ? m.has : 0;
  uint64_t x = mix(0, uint64_t{family} << 40 | uint64_t{has & kTL4 ? m.l4 : 0u} << 32);
  x = mix(x, uint64_t{has & kTSport ? m.sport : 0u} << 48 |
                 uint64_t{has & kTDport ? m.dport : 0u} << 32 |
                 uint64_t{has & kTIcmpId ? m.icmp_id : 0u} << 16 |
                 uint64_t{has & kTIcmpType ? m.icmp_type : 0u} << 8 |
                 uint64_t{has & kTIcmpCode ? m.icmp_code : 0u});
  static constexpr uint8_t kZero[16] = {};
  if (!(has & kTSrc)) src = kZero;
  if (!(has & kTDst)) dst = kZero;
  const unsigned alen = alen_of(family);
  for (unsigned i = 0; i < alen; i += 4) {
    uint32_t a, b;
    std::memcpy(&a, src + i, 4);
    std::memcpy(&b, dst + i, 4);
    x = mix(x, uint64_t{a} << 32 | b);
  }
  if (bucket_shift_ >= 32) return 0;
  return static_cast<uint32_t>((x ^ (x >> 32)) * 0x9e3779b97f4a7c15ull >> 32) >> bucket_shift_;
}

uint32_t ExpectCache::bucket_of(const Expect& e) const {
  TupleView m = view_of(e, kExpSlotMaster);
  return bucket_of(e.family, e.has(XA::kMaster), m.r, m.src, m.dst);
}

uint32_t ExpectCache::bucket_of(uint32_t ref) const {
  const ExpectHeader* h = hdr(ref);
  return bucket_of(h->family, (h->attrs & xa_bit(XA::kMaster)) != 0, h->t[kExpSlotMaster],
                   addr(ref, kExpSlotMaster, 0), addr(ref, kExpSlotMaster, 1));
}

// nfexp_cmp(a, b, 0): see the header.
bool ExpectCache::equal(uint32_t ref, const Expect& e) const {
  const ExpectHeader* h = hdr(ref);
  if (h->family != e.family) return false;  // another record class
  auto both = [&](XA a) { return (h->attrs & xa_bit(a)) && e.has(a); };
  const unsigned alen = alen_of(h->family);
  for (unsigned slot = 0; slot < kExpSlots; slot++) {
    SlotRef s = slot_of(e, slot);
    if (!both(s.attr)) continue;
    TupleView mine{h->t[slot], addr(ref, slot, 0), addr(ref, slot, 1)};
    if (!tuple_equal(mine, view_of(e, slot), alen)) return false;
  }
  if (both(XA::kZone) && h->zone != e.zone) return false;
  if (both(XA::kFlags) && h->flags != e.flags) return false;
  if (both(XA::kHelper) &&
      std::string_view(h->helper, strnlen(h->helper, kExpHelperMax)) !=
          e.helper.substr(0, kExpHelperMax - 1))
    return false;
  if (both(XA::kClass) && h->cls != e.cls) return false;
  if (both(XA::kNatDir) && h->nat_dir != e.nat_dir) return false;
  if (both(XA::kFn) &&
      std::string_view(h->fn, strnlen(h->fn, kExpFnMax)) != e.fn.substr(0, kExpFnMax - 1))
    return false;
  return true;
}

uint32_t ExpectCache::lookup(const Expect& e) const {
  if (!buckets_ || (e.family != uapi::kAfInet && e.family != uapi::kAfInet6)) return kNilRef;
  for (uint32_t r = buckets_[bucket_of(e)]; r != kNilRef; r = hdr(r)->next)
    if (equal(r, e)) return r;
  return kNilRef;
}

// Everything but the hash link, times and object state.
void ExpectCache::store(uint32_t ref, const Expect& e) {
  ExpectHeader* h = hdr(ref);
  const unsigned alen = alen_of(h->family);
  h->attrs = e.attrs & static_cast<uint16_t>(~xa_bit(XA::kId));
  h->timeout = e.has(XA::kTimeout) ? e.timeout : 0;
  h->flags = e.has(XA::kFlags) ? e.flags : 0;
  h->cls = e.has(XA::kClass) ? e.cls : 0;
  h->nat_dir = e.has(XA::kNatDir) ? e.nat_dir : 0;
  h->zone = e.has(XA::kZone) ? e.zone : 0;
  put_name(h->helper, kExpHelperMax, e.has(XA::kHelper) ? e.helper : std::string_view());
  put_name(h->fn, kExpFnMax, e.has(XA::kFn) ? e.fn : std::string_view());
  uint8_t* a = reinterpret_cast<uint8_t*>(h + 1);
  for (unsigned slot = 0; slot < kExpSlots; slot++) {
    TupleView v = view_of(e, slot);
    h->t[slot] = v.r;
    std::memcpy(a + (slot * 2) * alen, v.src, alen);
    std::memcpy(a + (slot * 2 + 1) * alen, v.dst, alen);
  }
}

CacheErr ExpectCache::insert(const Expect& e, uint32_t now, uint32_t* out) {
  if (!buckets_ || (e.family != uapi::kAfInet && e.family != uapi::kAfInet6))
    return CacheErr::kInvalid;
  if (lookup(e) != kNilRef) return CacheErr::kExists;
  if (count_ >= limit_) return CacheErr::kNoSpace;
  const bool v6 = e.family == uapi::kAfInet6;
  SlabPool& pool = v6 ? v6_ : v4_;
  const uint32_t idx = pool.alloc();
  if (idx == kSlabPoolNil) return CacheErr::kNoMemory;
  const uint32_t ref = v6 ? idx | kV6Bit : idx;
  ExpectHeader* h = hdr(ref);
  std::memset(h, 0, pool.rec_size());
  h->family = e.family;
  store(ref, e);
  h->obj = ObjState::kNew;
  h->created = h->lastupdate = now;
  const uint32_t b = bucket_of(e);
  h->next = buckets_[b];
  buckets_[b] = ref;
  count_++;
  *out = ref;
  return CacheErr::kOk;
}

void ExpectCache::update(uint32_t ref, const Expect& e, uint32_t now) {
  // An equal entry shares the master tuple, unless one side lacks it (an
  // absent attribute compares equal); then the bucket may change.
  const uint32_t before = bucket_of(ref);
  ExpectHeader* h = hdr(ref);
  const uint32_t next = h->next;
  store(ref, e);
  h->next = next;
  h->lastupdate = now;
  if (h->obj == ObjState::kDead) dead_--;
  h->obj = ObjState::kAlive;
  const uint32_t after = bucket_of(ref);
  if (after == before) return;
  uint32_t* link = &buckets_[before];
  for (uint32_t i = 0; *link != ref && *link != kNilRef && i <= count_; i++)
    link = &hdr(*link)->next;
  if (*link == ref) *link = h->next;
  h->next = buckets_[after];
  buckets_[after] = ref;
}

void ExpectCache::erase(uint32_t ref) {
  uint32_t* link = &buckets_[bucket_of(ref)];
  for (uint32_t i = 0; *link != ref && *link != kNilRef && i <= count_; i++)
    link = &hdr(*link)->next;
  if (*link != ref) return;  // not linked (cannot happen): leave it be
  ExpectHeader* h = hdr(ref);
  if (h->queue != SyncQ::kNone && erase_hook_) erase_hook_(erase_ctx_, ref);
  if (h->obj == ObjState::kDead) dead_--;
  *link = h->next;
  if (ref & kV6Bit) v6_.release(ref & ~kV6Bit);
  else v4_.release(ref);
  count_--;
}

void ExpectCache::clear() {
  for_each([this](uint32_t r) { erase(r); });
}

void ExpectCache::to_expect(uint32_t ref, Expect* out) const {
  const ExpectHeader* h = hdr(ref);
  Expect& e = *out;
  e.clear();
  e.family = h->family;
  e.tuples.family = e.nat.family = h->family;
  e.attrs = h->attrs;
  e.timeout = h->timeout;
  e.flags = h->flags;
  e.cls = h->cls;
  e.nat_dir = h->nat_dir;
  e.zone = h->zone;
  e.id = 0;
  if (e.has(XA::kHelper)) e.helper = std::string_view(h->helper, strnlen(h->helper, kExpHelperMax));
  if (e.has(XA::kFn)) e.fn = std::string_view(h->fn, strnlen(h->fn, kExpFnMax));
  const unsigned alen = alen_of(h->family);
  for (unsigned slot = 0; slot < kExpSlots; slot++) {
    ct::Flow& f = slot == kExpSlotNat ? e.nat : e.tuples;
    const Dir d = slot_of(e, slot).d;
    ct::Tuple& t = f.tuple[d];
    const ExpTupleRec& r = h->t[slot];
    t = ct::Tuple{};
    t.l3 = r.l3;
    t.l4 = r.l4;
    t.sport = r.sport;
    t.dport = r.dport;
    t.icmp_type = r.icmp_type;
    t.icmp_code = r.icmp_code;
    t.icmp_id = r.icmp_id;
    std::memcpy(t.src.b, addr(ref, slot, 0), alen);
    std::memcpy(t.dst.b, addr(ref, slot, 1), alen);
    for (unsigned i = 0; i < kTupleFields; i++) {
      if (r.has & (1u << i))
        f.set.set(ct::tuple_field(d, static_cast<F>(static_cast<unsigned>(F::kOrigL3) + i)));
    }
  }
}

CacheMem ExpectCache::mem() const {
  CacheMem m{};
  m.reserved = v4_.reserved() + v6_.reserved() + size_t{nbuckets_} * sizeof(uint32_t);
  m.used = size_t{v4_.live()} * v4_.rec_size() + size_t{v6_.live()} * v6_.rec_size();
  m.flows_v4 = v4_.live();
  m.flows_v6 = v6_.live();
  return m;
}

}  // namespace ctd
