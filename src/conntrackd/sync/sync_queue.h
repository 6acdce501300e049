// The sync queues: FIFO lists of the objects and control messages waiting
// to be sent (txqueue) or waiting for the peer's acknowledgement
// (rsqueue, FT-FW).  Lists are intrusive: a flow's links live in its cache
// record (QLinks), a control message's in a small fixed pool here, so
// queueing never allocates and an object is on one queue at most (its
// SyncQ state says which).
//
// A queue ref is a FlowCache ref (bit 30 clear) or a control node
// (kCtlBit | index).  FlowCache refs use bit 31 for IPv6 and pool indexes
// far below 2^30, so the two never collide.
#pragma once
#include <cstdint>

#include "conntrackd/cache/flow_cache.h"

namespace ctd {

inline constexpr uint32_t kCtlBit = 0x40000000u;
inline constexpr bool is_ctl_ref(uint32_t r) { return r != kNilRef && (r & kCtlBit) && !(r & 0x80000000u); }

// A control message kept for resending (ACK, NACK, RESYNC) or waiting to
// be sent (ALIVE too).
struct CtlNode {
  QLinks q;
  uint32_t from, to;
  uint8_t flags;     // NET_F_* of the message
  SyncQ where;
};

// The nodes every queue links: the internal flow cache's records and the
// control pool.
class SyncNodes {
 public:
  static constexpr uint32_t kMaxCtl = 4096;
  explicit SyncNodes(FlowCache& flows);
  FlowCache& flows() { return flows_; }

  QLinks& links(uint32_t ref) {
    return is_ctl_ref(ref) ? ctl_[ref & ~kCtlBit].q : flows_.qlinks(ref);
  }
  SyncQ where(uint32_t ref) const {
    return is_ctl_ref(ref) ? ctl_[ref & ~kCtlBit].where : flows_.queue_of(ref);
  }
  void set_where(uint32_t ref, SyncQ q) {
    if (is_ctl_ref(ref)) ctl_[ref & ~kCtlBit].where = q;
    else flows_.set_queue(ref, q);
  }
  CtlNode& ctl(uint32_t ref) { return ctl_[ref & ~kCtlBit]; }
  // A new control node (kNilRef when all kMaxCtl are in use).
  uint32_t ctl_alloc(uint8_t flags, uint32_t from, uint32_t to);
  void ctl_free(uint32_t ref);
  uint32_t ctl_used() const { return ctl_used_; }

 private:
  FlowCache& flows_;
  CtlNode ctl_[kMaxCtl];
  uint32_t ctl_free_ = kNilRef;  // free list through q.next
  uint32_t ctl_used_ = 0;
};

class SyncQueue {
 public:
  SyncQueue(SyncNodes& nodes, SyncQ id, uint32_t max) : n_(nodes), id_(id), max_(max) {}
  // False (counted as "not enough space") when full.
  bool push_back(uint32_t ref);
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
