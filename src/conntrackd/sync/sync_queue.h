// The sync queues: FIFO lists of the objects and control messages waiting
// to be sent (txqueue) or waiting for the peer's acknowledgement
// (rsqueue, FT-FW).  Lists are intrusive: a flow's links live in its cache
// record (QLinks), a control message's in a small fixed pool here, so
// queueing never allocates and an object is on one queue at most (its
// SyncQ state says which).
//
// A queue ref is one of
//   a FlowCache ref         bit 31 = IPv6, bit 30 clear (pool index < 2^30)
//   a control node          kCtlBit | index, bit 31 clear
//   an expectation          kExpTag | (IPv6 ? kExpV6 : 0) | pool index
// The tags never collide: FlowCache refs never set bit 30, control refs
// never set bit 31, and kNilRef (all ones) is none of them.
#pragma once
#include <cstdint>

#include "conntrackd/cache/expect_cache.h"
#include "conntrackd/cache/flow_cache.h"

namespace ctd {

inline constexpr uint32_t kCtlBit = 0x40000000u;
inline constexpr uint32_t kExpTag = 0xC0000000u;
inline constexpr uint32_t kExpV6 = 0x20000000u;
inline constexpr uint32_t kExpIndexMask = 0x1fffffffu;
inline constexpr bool is_ctl_ref(uint32_t r) { return r != kNilRef && (r & kCtlBit) && !(r & 0x80000000u); }
inline constexpr bool is_exp_ref(uint32_t r) { return r != kNilRef && (r & kExpTag) == kExpTag; }
// ExpectCache ref <-> queue ref (ExpectCache: bit 31 = IPv6).
inline constexpr uint32_t exp_qref(uint32_t cache_ref) {
  return kExpTag | ((cache_ref & 0x80000000u) ? kExpV6 : 0) | (cache_ref & kExpIndexMask);
}
inline constexpr uint32_t exp_cache_ref(uint32_t qref) {
  return ((qref & kExpV6) ? 0x80000000u : 0) | (qref & kExpIndexMask);
}

// A control message kept for resending (ACK, NACK, RESYNC) or waiting to
// be sent (ALIVE too).
struct CtlNode {
  QLinks q;
  uint32_t from, to;
  uint8_t flags;     // NET_F_* of the message
  SyncQ where;
};

// The nodes every queue links: the internal flow cache's records, the
// internal expectation cache's (ExpectationSync) and the control pool.
class SyncNodes {
 public:
  static constexpr uint32_t kMaxCtl = 4096;
  // `exps` may be null (no ExpectationSync): no expectation ref is made.
  SyncNodes(FlowCache& flows, ExpectCache* exps);
  FlowCache& flows() { return flows_; }
  ExpectCache* exps() { return exps_; }

  QLinks& links(uint32_t ref) {
    if (is_ctl_ref(ref)) return ctl_[ref & ~kCtlBit].q;
    if (is_exp_ref(ref)) return exps_->qlinks(exp_cache_ref(ref));
    return flows_.qlinks(ref);
  }
  SyncQ where(uint32_t ref) const {
    if (is_ctl_ref(ref)) return ctl_[ref & ~kCtlBit].where;
    if (is_exp_ref(ref)) return exps_->queue_of(exp_cache_ref(ref));
    return flows_.queue_of(ref);
  }
  void set_where(uint32_t ref, SyncQ q) {
    if (is_ctl_ref(ref)) ctl_[ref & ~kCtlBit].where = q;
    else if (is_exp_ref(ref)) exps_->set_queue(exp_cache_ref(ref), q);
    else flows_.set_queue(ref, q);
  }
  // The object state of a flow or expectation ref.
  ObjState obj_state(uint32_t ref) const {
    return is_exp_ref(ref) ? exps_->header(exp_cache_ref(ref)).obj : flows_.header(ref).obj;
  }
  CtlNode& ctl(uint32_t ref) { return ctl_[ref & ~kCtlBit]; }
  // A new control node (kNilRef when all kMaxCtl are in use).
  uint32_t ctl_alloc(uint8_t flags, uint32_t from, uint32_t to);
  void ctl_free(uint32_t ref);
  uint32_t ctl_used() const { return ctl_used_; }

 private:
  FlowCache& flows_;
  ExpectCache* exps_;
  CtlNode ctl_[kMaxCtl];
  uint32_t ctl_free_ = kNilRef;  // free list through q.next
  uint32_t ctl_used_ = 0;
};

class SyncQueue {
 public:
  SyncQueue(SyncNodes& nodes, SyncQ id, uint32_t max) : n_(nodes), id_(id), max_(max) {}
  // False (counted as "not enough space") when full.
  bool push_back(uint32_t ref);
  // Appends even past max() (the caller counts that): for nodes whose
  // memory is bounded elsewhere.
  void force_push_back(uint32_t ref);
  void remove(uint32_t ref);
  uint32_t pop_front();  // kNilRef when empty
  uint32_t front() const { return head_; }
  uint32_t next(uint32_t ref) { return n_.links(ref).next; }
  uint32_t size() const { return len_; }
  uint32_t max() const { return max_; }
  bool full() const { return len_ >= max_; }
  uint32_t no_space() const { return no_space_; }
  void count_no_space() { no_space_++; }

 private:
  SyncNodes& n_;
  SyncQ id_;
  uint32_t max_;
  uint32_t head_ = kNilRef, tail_ = kNilRef, len_ = 0, no_space_ = 0;
};

}  // namespace ctd
