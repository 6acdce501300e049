// The daemon's expectation caches (ExpectationSync): internal (the local
// kernel's expectation table) and external (learned from peers, empty until
// the sync protocol exists).  Same scheme as the flow cache: fixed-size
// records in slabs, an intrusive hash of 32-bit refs, nothing allocated per
// entry.
//
// Key and hash, as upstream's cache-exp.c: the bucket is chosen by the
// MASTER tuple (L3/L4 protocol, addresses, ports or ICMP id/type/code), and
// entries are told apart with libnetfilter_conntrack's nfexp_cmp(a, b, 0):
// every attribute but the timeout (and the id) takes part -- master,
// expected and mask tuples, zone, flags, helper name, class, NAT tuple, NAT
// direction, expectfn -- and an attribute present in only one of the two
// does not make them differ (flags 0: no NFCT_CMP_STRICT).  Within a tuple,
// fields compare the same way (ports only under an equal L4 protocol).
//
// Bytes per cached expectation (sizeof the record, static_assert'ed):
//
//   ExpectRecord<4>  (IPv4)   bytes_per_expect(AF_INET)  = 168
//   ExpectRecord<16> (IPv6)   bytes_per_expect(AF_INET6) = 264
//
// A 136-byte header (hash link, times, timeout, flags, class, NAT
// direction, zone, presence bits, four tuple descriptors, helper name,
// expectfn name, the sync queue links, family, object state, queue) plus
// the addresses of the four
// tuples (master, expected, mask, NAT) at the family's width.  The record
// class follows the message family; the kernel never mixes families within
// one expectation.  Not kept: the kernel's expectation id (never printed,
// compared or sent by upstream's daemon).  Buckets cost 4 bytes each.
#pragma once
#include <cstddef>
#include <cstdint>

#include "conntrackd/cache/flow_cache.h"  // CacheErr, ObjState, CacheMem, kNilRef
#include "conntrackd/cache/slab_pool.h"
#include "ct/expect.h"

namespace ctd {

// Name lengths, NUL included: libnetfilter_conntrack's helper_name[16]
// (NF_CT_HELPER_NAME_LEN) and the expectfn bound of ct/expect_parse.cc.
inline constexpr unsigned kExpHelperMax = 16;
inline constexpr unsigned kExpFnMax = 24;

// Tuple slots of a record.
enum ExpSlot : uint8_t { kExpSlotMaster, kExpSlotExpected, kExpSlotMask, kExpSlotNat, kExpSlots };

// One tuple without its addresses.  `has` holds the tuple's ct::F presence
// bits relative to kOrigL3 (bit i = field kOrigL3 + i, i < 9).  No tuple
// zone: the kernel never puts CTA_TUPLE_ZONE in an expectation's tuples
// (the expectation's zone is CTA_EXPECT_ZONE, kept in the header).
struct ExpTupleRec {
  uint16_t has;
  uint8_t l3, l4;
  uint16_t sport, dport;
  uint8_t icmp_type, icmp_code;
  uint16_t icmp_id;
};
static_assert(sizeof(ExpTupleRec) == 12);

struct ExpectHeader {
  uint32_t next;        // hash chain (and free-list link while unused)
  uint32_t created;     // seconds, the caller's clock ("active since")
  uint32_t lastupdate;  // seconds, the caller's clock
  uint32_t timeout, flags, cls, nat_dir;
  uint16_t attrs;       // ct::XA presence bits
  uint16_t zone;
  ExpTupleRec t[kExpSlots];
  char helper[kExpHelperMax];  // NUL-terminated
  char fn[kExpFnMax];          // NUL-terminated
  QLinks q;                    // sync queues (internal cache only)
  uint8_t family;              // AF_INET or AF_INET6
  ObjState obj;
  uint8_t mark;                // the caller's (a purge's "not seen yet")
  SyncQ queue;                 // which sync queue holds it
};
static_assert(sizeof(ExpectHeader) == 136);

template <unsigned N>
struct ExpectRecord {
  ExpectHeader h;
  uint8_t addr[kExpSlots][2][N];  // per slot: src, dst
};
static_assert(sizeof(ExpectRecord<4>) == 168);
static_assert(sizeof(ExpectRecord<16>) == 264);

class ExpectCache {
 public:
  ExpectCache() = default;
  ~ExpectCache();
  ExpectCache(const ExpectCache&) = delete;
  ExpectCache& operator=(const ExpectCache&) = delete;

  // `buckets` (HashSize) is rounded up to a power of two; `limit`
  // (HashLimit) bounds the number of entries.  False if out of memory.
  bool init(uint32_t buckets, uint32_t limit);
  bool ready() const { return buckets_ != nullptr; }

  static constexpr size_t bytes_per_expect(int family) {
    return family == 10 /* AF_INET6 */ ? sizeof(ExpectRecord<16>) : sizeof(ExpectRecord<4>);
  }

  // kInvalid if the message family is neither IPv4 nor IPv6; kExists if an
  // equal entry is cached; kNoSpace at the limit; kNoMemory without a slab.
  CacheErr insert(const ct::Expect& e, uint32_t now, uint32_t* ref);
  uint32_t lookup(const ct::Expect& key) const;  // kNilRef if absent
  // Overwrites the stored attributes with e's (upstream copies the whole
  // object), sets lastupdate and ALIVE.  e must equal the entry (lookup).
  void update(uint32_t ref, const ct::Expect& e, uint32_t now);
  void erase(uint32_t ref);
  void clear();

  // The stored expectation (views point into the cache: valid until the
  // entry changes).
  void to_expect(uint32_t ref, ct::Expect* out) const;
  const ExpectHeader& header(uint32_t ref) const { return *hdr(ref); }
  void set_state(uint32_t ref, ObjState s) { hdr(ref)->obj = s; }
  void set_mark(uint32_t ref, bool m) { hdr(ref)->mark = m; }

  // The sync queues' view, as FlowCache's (sync/sync_queue.h).
  QLinks& qlinks(uint32_t ref) { return hdr(ref)->q; }
  SyncQ queue_of(uint32_t ref) const { return hdr(ref)->queue; }
  void set_queue(uint32_t ref, SyncQ q) { hdr(ref)->queue = q; }
  using EraseHook = void (*)(void* ctx, uint32_t ref);
  void set_erase_hook(EraseHook fn, void* ctx) {
    erase_hook_ = fn;
    erase_ctx_ = ctx;
  }
  // A destroyed expectation waits (DEAD, hidden) until its DEL has gone
  // out, or in FT-FW been acknowledged: counted destroyed now.
  void mark_dead(uint32_t ref) {
    if (hdr(ref)->obj == ObjState::kDead) return;
    hdr(ref)->obj = ObjState::kDead;
    cnt_.destroyed++;
    dead_++;
  }
  uint32_t dead() const { return dead_; }

  // Visits every entry; fn(ref) may erase that ref.
  template <class Fn>
  void for_each(Fn&& fn) {
    for (uint32_t b = 0; b < nbuckets_; b++) {
      uint32_t r = buckets_[b];
      while (r != kNilRef) {
        uint32_t next = hdr(r)->next;
        fn(r);
        r = next;
      }
    }
  }

  // Counting operations (upstream's cache stats); see FlowCache.
  CacheErr add(const ct::Expect& e, uint32_t now, uint32_t* ref) {
    CacheErr r = insert(e, now, ref);
    if (r == CacheErr::kOk) cnt_.created++;
    else if (r != CacheErr::kExists) count_create_failure(r);
    return r;
  }
  // Dead entries were counted destroyed when they died.
  void remove(uint32_t ref) {
    if (header(ref).obj != ObjState::kDead) cnt_.destroyed++;
    erase(ref);
  }
  void flush() {
    cnt_.destroyed += count_ - dead_;
    clear();
  }
  void count_updated() { cnt_.updated++; }
  void count_create_failure(CacheErr e) {
    cnt_.create_failed++;
    if (e == CacheErr::kNoSpace) cnt_.no_space++;
    else if (e == CacheErr::kNoMemory) cnt_.no_memory++;
  }
  const CacheCounters& stats() const {
    cnt_.active = count_ - dead_;
    cnt_.total_entries = limit_;
    return cnt_;
  }
  uint32_t size() const { return count_; }
  uint32_t limit() const { return limit_; }
  CacheMem mem() const;  // flows_v4/flows_v6 count IPv4/IPv6 expectations

 private:
  // A ref is a pool index with the top bit naming the class (1 = IPv6).
  static constexpr uint32_t kV6Bit = 0x80000000u;

  ExpectHeader* hdr(uint32_t ref) const {
    return reinterpret_cast<ExpectHeader*>(ref & kV6Bit ? v6_.at(ref & ~kV6Bit) : v4_.at(ref));
  }
  const uint8_t* addr(uint32_t ref, unsigned slot, unsigned side) const;
  uint32_t bucket_of(uint8_t family, bool has_master, const ExpTupleRec& m, const uint8_t* src,
                     const uint8_t* dst) const;
  uint32_t bucket_of(const ct::Expect& e) const;
  uint32_t bucket_of(uint32_t ref) const;
  bool equal(uint32_t ref, const ct::Expect& e) const;
  void store(uint32_t ref, const ct::Expect& e);

  SlabPool v4_, v6_;
  uint32_t* buckets_ = nullptr;
  uint32_t nbuckets_ = 0, bucket_shift_ = 0;
  uint32_t limit_ = 0, count_ = 0, dead_ = 0;
  mutable CacheCounters cnt_{};
  EraseHook erase_hook_ = nullptr;
  void* erase_ctx_ = nullptr;
};

}  // namespace ctd
