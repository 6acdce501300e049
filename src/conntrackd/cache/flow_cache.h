// The daemon's flow caches (internal: local kernel state; external: state
// learned from peers): fixed-size records in slabs, found through an
// intrusive hash keyed by the original tuple plus zone.
//
// Why not cache ct::Flow (~300 bytes, string views into a netlink buffer)?
// A cache holds up to HashLimit entries for hours; what it needs is what the
// sync protocol carries (spec/conntrackd.md §3.4) plus the cache's own
// bookkeeping, in a compact owned form:
//
//   FlowRecord<4>  (IPv4)  bytes_per_flow(AF_INET)  = 96
//   FlowRecord<16> (IPv6)  bytes_per_flow(AF_INET6) = 144
//
// computed as sizeof(record) (static_assert'ed below).  A record holds the
// original and reply tuples (addresses, ports or ICMP type/code/id), zone,
// L4 proto, status, timeout, mark, kernel id, TCP state and window scales (or SCTP /
// DCCP state, DCCP role), the object state (NEW/ALIVE/DEAD), creation and
// last-update times, presence bits, the hash chain link, a link to an
// optional extension, and the sync queue links (QLinks: which queue the
// flow is on, its place there and the sequence number it was last sent
// with; pfsync's one explicit sync state per object), and the compact
// encoding's id state (16 bytes, CompactId: the flow's serial and which
// fields changed since the peer last acknowledged them, or in the
// external cache the id the peer gave the flow and its id-index link).  Rare, bulky attributes (master tuple, NAT sequence
// adjustment, helper name, labels, synproxy, SCTP vtags) live in one
// FlowExt record (bytes_per_ext() = 128) allocated only for flows that
// have any of them (an all-zero synproxy triple, which the kernel reports
// for every ctnetlink-created entry, is one presence bit instead).  Every slab is allocated whole (kSlabRecords records),
// so memory is reserved in large chunks and never per flow; the bucket
// array is 4 bytes per bucket.  mem() reports reserved and used bytes.
#pragma once
#include <cstddef>
#include <cstdint>

#include "conntrackd/cache/cache_counters.h"
#include "conntrackd/cache/slab_pool.h"
#include "ct/flow.h"

namespace ctd {

// Object state, as upstream's cache objects (NONE -> NEW -> ALIVE -> DEAD).
enum class ObjState : uint8_t { kNone, kNew, kAlive, kDead };

inline constexpr uint32_t kNilRef = kSlabPoolNil;
inline constexpr uint32_t kSlabRecords = kSlabPoolRecords;  // 4096 records per slab
inline constexpr unsigned kMaxLabelBytes = 16;  // kernel NF_CT_LABELS_MAX_SIZE
inline constexpr unsigned kMaxHelperName = 16;  // NTA_HELPER_NAME, NUL included

// Presence bits of a record (the ct::Flow fields we keep).
enum FlowHas : uint16_t {
  kHasReply = 1 << 0, kHasStatus = 1 << 1, kHasTimeout = 1 << 2, kHasMark = 1 << 3,
  kHasL4State = 1 << 4, kHasWscale = 1 << 5, kHasZone = 1 << 6, kHasIcmp = 1 << 7,
  kHasPorts = 1 << 8, kHasDccpRole = 1 << 9, kHasTcpFlags = 1 << 10,
  // Synproxy ISN/ITS/TSOFF present and all zero.  The kernel adds the
  // synproxy (and seqadj) extension to every entry created through
  // ctnetlink (ctnetlink_create_conntrack) and then dumps CTA_SYNPROXY
  // with zeros, so on a table filled by conntrack -I / a sync peer every
  // flow carries it: kept here rather than in a 128-byte FlowExt.
  kHasSynproxyZero = 1 << 11,
  kHasId = 1 << 12,
};
// Bookkeeping bits kept in the same word (never presence bits): the sync
// queue a flow is on, and the purge's "not seen by this dump" mark.
enum FlowMark : uint16_t {
  kMarkQueueMask = 3 << 13,  // SyncQ << 13
  kMarkUnseen = 1 << 15,
};

// Which sync queue holds an object (exactly one, or none).
enum class SyncQ : uint8_t { kNone = 0, kTx = 1, kRs = 2 };

// Intrusive links of the sync queues (sync/sync_queue.h).
struct QLinks {
  uint32_t next, prev;  // queue refs, kSlabPoolNil at the ends
  uint32_t seq;         // sequence number of the last transmission
};

// The compact sync encoding's per-flow state (sync/compact_wire.h).
// Internal cache: serial is the flow's id half beside its ref, state the
// fields changed since the peer last had them (kCidStatus..kCidTcpState
// are RecordField bits), kCidFull (send the whole state) and kCidKnown
// (the peer has had the whole state).  External cache: peer_ref/serial
// is the id the peer gave the flow, next its chain in the id index, and
// kCidBound says it is on that index.
enum CidState : uint16_t {
  kCidStatus = 0x10, kCidTimeout = 0x20, kCidMark = 0x40, kCidTcpState = 0x80,
  kCidFields = 0xf0,
  kCidFull = 0x100, kCidKnown = 0x200, kCidBound = 0x400,
  kCidSentFull = 0x800,  // the last send was a full record (settled on ACK)
};
struct CompactId {
  uint32_t peer_ref;
  uint32_t serial;
  uint32_t next;
  uint16_t state;  // CidState bits
  uint16_t unused;
};
static_assert(sizeof(CompactId) == 16);

// Fields common to both address sizes, ordered for no padding.
struct FlowHeader {
  uint32_t next;        // hash chain: next ref in the bucket, or kNilRef
  uint32_t ext;         // FlowExt ref, or kNilRef
  uint32_t status, timeout, mark;
  uint32_t created;     // seconds, the caller's clock ("active since")
  uint32_t lastupdate;  // seconds, the caller's clock
  uint32_t id;          // the kernel's conntrack id (`-i -x` shows it)
  QLinks q;             // sync queues
  uint16_t sport, dport;    // orig; ICMP: sport = id, dport = type << 8 | code
  uint16_t rsport, rdport;  // reply, same encoding
  uint16_t zone;
  uint16_t has;             // FlowHas bits
  uint8_t l4;
  uint8_t l4state;          // TCP, SCTP or DCCP state
  uint8_t wscale[2];        // TCP; DCCP role in wscale[0]
  uint8_t tcp_flags[2];     // TCP flags (orig, repl)
  ObjState obj;
  uint8_t family;
  CompactId cid;
};
static_assert(sizeof(FlowHeader) == 80);

template <unsigned N>
struct FlowRecord {
  FlowHeader h;
  uint8_t src[N], dst[N];    // orig tuple
  uint8_t rsrc[N], rdst[N];  // reply tuple
};
static_assert(sizeof(FlowRecord<4>) == 96);
static_assert(sizeof(FlowRecord<16>) == 144);

// Rare attributes, allocated only when a flow has one of them.
struct FlowExt {
  uint32_t next_free;  // free list link while unused
  uint16_t has;        // ExtHas bits
  uint8_t master_l3, master_l4;
  uint8_t master_src[16], master_dst[16];
  uint16_t master_sport, master_dport;
  uint32_t seq_adj[6];       // orig corr_pos, before, after; then reply
  uint32_t synproxy[3];      // isn, its, tsoff
  uint32_t sctp_vtag[2];
  char helper[kMaxHelperName];
  uint8_t labels[kMaxLabelBytes];
  uint8_t labels_len;
  uint8_t pad[7];
};
static_assert(sizeof(FlowExt) == 128);
enum ExtHas : uint16_t {
  kExtMaster = 1 << 0, kExtSeqAdj = 1 << 1, kExtSynproxy = 1 << 2, kExtVtags = 1 << 3,
  kExtHelper = 1 << 4, kExtLabels = 1 << 5,
};

struct CacheMem {
  size_t reserved;     // bytes obtained from the allocator (slabs + buckets + tables)
  size_t used;         // bytes of live records (flows and extensions)
  size_t flows_v4, flows_v6, exts;
};

enum class CacheErr : uint8_t { kOk, kExists, kNotFound, kNoSpace, kNoMemory, kInvalid };

class FlowCache {
 public:
  FlowCache() = default;
  ~FlowCache();
  FlowCache(const FlowCache&) = delete;
  FlowCache& operator=(const FlowCache&) = delete;

  // `buckets` (HashSize) is rounded up to a power of two; `limit`
  // (HashLimit) bounds the number of flows.  False if out of memory.
  bool init(uint32_t buckets, uint32_t limit);

  static constexpr size_t bytes_per_flow(int family) {
    return family == 10 /* AF_INET6 */ ? sizeof(FlowRecord<16>) : sizeof(FlowRecord<4>);
  }
  static constexpr size_t bytes_per_ext() { return sizeof(FlowExt); }

  // The flow's orig tuple (+zone) is the key.  kInvalid if the flow lacks
  // L3/L4/addresses or carries labels longer than kMaxLabelBytes;
  // kExists with *ref set to the entry already there (one lookup for an
  // upsert).
  CacheErr insert(const ct::Flow& f, uint32_t now, uint32_t* ref);
  uint32_t lookup(const ct::Flow& key) const;  // kNilRef if absent
  // For a batch of lookups: prefetch_bucket() of every key, then
  // prefetch_chain() of every key (its bucket is in cache by then, the
  // head record is fetched), so their misses overlap.  Hints only.
  void prefetch_bucket(const ct::Flow& key) const;
  void prefetch_chain(const ct::Flow& key) const;
  // Overwrites the stored attributes with those present in f (absent ones
  // are kept), sets lastupdate and ALIVE.
  CacheErr update(uint32_t ref, const ct::Flow& f, uint32_t now);
  void erase(uint32_t ref);
  void clear();

  // The stored flow as a ct::Flow (views point into the cache: valid until
  // the entry changes).
  void to_flow(uint32_t ref, ct::Flow* out) const;
  const FlowHeader& header(uint32_t ref) const { return *hdr(ref); }
  void set_state(uint32_t ref, ObjState s) { hdr(ref)->obj = s; }
  QLinks& qlinks(uint32_t ref) { return hdr(ref)->q; }
  SyncQ queue_of(uint32_t ref) const {
    return static_cast<SyncQ>((hdr(ref)->has & kMarkQueueMask) >> 13);
  }
  void set_queue(uint32_t ref, SyncQ q) {
    FlowHeader* h = hdr(ref);
    h->has = static_cast<uint16_t>((h->has & ~kMarkQueueMask) | (static_cast<unsigned>(q) << 13));
  }
  // The purge's mark: set on every entry before a purging dump; the dump
  // and events clear it (insert/update); what keeps it is gone.
  bool unseen(uint32_t ref) const { return hdr(ref)->has & kMarkUnseen; }
  void set_unseen(uint32_t ref) { hdr(ref)->has |= kMarkUnseen; }
  // Called before an entry that sits on a sync queue is erased, so the
  // queue can unlink it (sync/sync_queue.h).
  using EraseHook = void (*)(void* ctx, uint32_t ref);
  void set_erase_hook(EraseHook fn, void* ctx) {
    erase_hook_ = fn;
    erase_ctx_ = ctx;
  }
  // FT-FW keeps a destroyed flow until the peer acknowledges its DEL:
  // counted destroyed now, no longer active, erased later.
  void mark_dead(uint32_t ref) {
    if (hdr(ref)->obj == ObjState::kDead) return;
    hdr(ref)->obj = ObjState::kDead;
    cnt_.destroyed++;
    dead_++;
  }
  uint32_t dead() const { return dead_; }

  // Visits every flow; fn(ref) may erase that ref.
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
  // Visits every flow in the order the records lie in memory, slab by
  // slab: a walk over a large cache (a bulk send, a commit) then reads
  // memory sequentially instead of one cache miss per hash-chain hop,
  // and whatever queue it fills is in that order too.  fn(ref) may erase
  // that ref but must not insert.  Free records are told apart by their
  // state (erase() resets it, new slabs are zeroed).
  template <class Fn>
  void for_each_stored(Fn&& fn) {
    for_each_in_pool(v4_, 0, fn);
    for_each_in_pool(v6_, kV6Bit, fn);
  }
  // The flow has a master tuple (an expected flow), without a to_flow().
  bool has_master(uint32_t ref) const {
    const FlowHeader* h = hdr(ref);
    return h->ext != kNilRef && (reinterpret_cast<const FlowExt*>(ext_.at(h->ext))->has & kExtMaster);
  }

  // ---- the compact encoding's ids (see CompactId) ----
  // A ref received from the network names a live record of this cache.
  bool live(uint32_t ref) const {
    const SlabPool& p = ref & kV6Bit ? v6_ : v4_;
    return p.holds(ref & ~kV6Bit) && hdr(ref)->cid.serial != 0 && hdr(ref)->obj != ObjState::kNone;
  }
  uint32_t serial(uint32_t ref) const { return hdr(ref)->cid.serial; }
  uint16_t cid_state(uint32_t ref) const { return hdr(ref)->cid.state; }
  void set_cid_state(uint32_t ref, uint16_t s) { hdr(ref)->cid.state = s; }
  // External cache: the id index (4 bytes per bucket), allocated once.
  bool enable_cid_index();
  uint32_t cid_find(uint32_t peer_ref, uint32_t serial) const;  // kNilRef if unknown
  // Gives ref the id, taking it from any flow that had it.
  void cid_bind(uint32_t ref, uint32_t peer_ref, uint32_t serial);
  void cid_unbind(uint32_t ref);
  void cid_clear();  // every id forgotten (the peer restarted)

  uint32_t size() const { return count_; }
  uint32_t limit() const { return limit_; }
  CacheMem mem() const;

  // Counting operations: the raw ones above plus upstream's cache stats.
  // add: created, or create_failed with its reason (an existing entry is
  // reported in *ref and not counted).
  CacheErr add(const ct::Flow& f, uint32_t now, uint32_t* ref) {
    CacheErr e = insert(f, now, ref);
    if (e == CacheErr::kOk) cnt_.created++;
    else if (e != CacheErr::kExists) count_create_failure(e);
    return e;
  }
  CacheErr refresh(uint32_t ref, const ct::Flow& f, uint32_t now) {
    CacheErr e = update(ref, f, now);
    if (e == CacheErr::kOk) cnt_.updated++;
    else cnt_.update_failed++;
    return e;
  }
  // update, or add if missing (upstream's cache_update_force).
  CacheErr upsert(const ct::Flow& f, uint32_t now, uint32_t* ref) {
    CacheErr e = add(f, now, ref);
    return e == CacheErr::kExists ? refresh(*ref, f, now) : e;
  }
  void remove(uint32_t ref) {
    if (hdr(ref)->obj != ObjState::kDead) cnt_.destroyed++;
    erase(ref);
  }
  // upstream cache_flush(): every entry counts as destroyed.
  void flush() {
    cnt_.destroyed += count_ - dead_;
    clear();
  }
  void count_del_not_found() { cnt_.del_not_found++; }
  void count_upd_not_found() { cnt_.upd_not_found++; }
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

 private:
  // A ref is a pool index with the top bit naming the class (1 = IPv6).
  static constexpr uint32_t kV6Bit = 0x80000000u;

  FlowHeader* hdr(uint32_t ref) const {
    return reinterpret_cast<FlowHeader*>(ref & kV6Bit ? v6_.at(ref & ~kV6Bit) : v4_.at(ref));
  }
  template <class Fn>
  static void for_each_in_pool(const SlabPool& p, uint32_t tag, Fn& fn) {
    const uint32_t n = p.slots();
    for (uint32_t i = 0; i < n; i++)
      if (reinterpret_cast<const FlowHeader*>(p.at(i))->obj != ObjState::kNone) fn(i | tag);
  }
  uint32_t bucket_of(const FlowHeader& h, const uint8_t* src, const uint8_t* dst, unsigned alen) const;
  uint32_t bucket_of_key(const ct::Flow& key) const;  // nbuckets_ if not a valid key
  bool key_equal(uint32_t ref, const ct::Flow& f) const;
  uint32_t cid_bucket(uint32_t peer_ref, uint32_t serial) const;
  CacheErr store(uint32_t ref, const ct::Flow& f);
  void unlink(uint32_t ref);

  SlabPool v4_, v6_, ext_;  // one slab class per record size
  uint32_t* buckets_ = nullptr;
  uint32_t* cid_buckets_ = nullptr;  // the id index, when enabled
  uint32_t next_serial_ = 1;
  uint32_t nbuckets_ = 0, bucket_shift_ = 0;
  uint32_t limit_ = 0, count_ = 0;
  mutable CacheCounters cnt_{};
  uint32_t dead_ = 0;
  EraseHook erase_hook_ = nullptr;
  void* erase_ctx_ = nullptr;
};

}  // namespace ctd
