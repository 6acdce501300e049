#include "conntrackd/sync/sync_queue.h"

namespace ctd {

SyncNodes::SyncNodes(FlowCache& flows, ExpectCache* exps) : flows_(flows), exps_(exps) {
  for (uint32_t i = kMaxCtl; i-- > 0;) {
    ctl_[i].q.next = ctl_free_;
    ctl_[i].where = SyncQ::kNone;
    ctl_free_ = kCtlBit | i;
  }
}

uint32_t SyncNodes::ctl_alloc(uint8_t flags, uint32_t from, uint32_t to) {
  if (ctl_free_ == kNilRef) return kNilRef;
  const uint32_t r = ctl_free_;
  CtlNode& c = ctl(r);
  ctl_free_ = c.q.next;
  c = CtlNode{};
  c.q.next = c.q.prev = kNilRef;
  c.flags = flags;
  c.from = from;
  c.to = to;
  c.where = SyncQ::kNone;
  ctl_used_++;
  return r;
}

void SyncNodes::ctl_free(uint32_t ref) {
  CtlNode& c = ctl(ref);
  c.where = SyncQ::kNone;
  c.q.next = ctl_free_;
  ctl_free_ = ref;
  ctl_used_--;
}

bool SyncQueue::push_back(uint32_t ref) {
  if (len_ >= max_) {
    no_space_++;
    return false;
  }
  force_push_back(ref);
  return true;
}

void SyncQueue::force_push_back(uint32_t ref) {
  QLinks& l = n_.links(ref);
  l.next = kNilRef;
  l.prev = tail_;
  if (tail_ != kNilRef) n_.links(tail_).next = ref;
  else head_ = ref;
  tail_ = ref;
  len_++;
  n_.set_where(ref, id_);
}

void SyncQueue::remove(uint32_t ref) {
  QLinks& l = n_.links(ref);
  if (l.prev != kNilRef) n_.links(l.prev).next = l.next;
  else head_ = l.next;
  if (l.next != kNilRef) n_.links(l.next).prev = l.prev;
  else tail_ = l.prev;
  l.next = l.prev = kNilRef;
  len_--;
  n_.set_where(ref, SyncQ::kNone);
}

uint32_t SyncQueue::pop_front() {
  const uint32_t r = head_;
  if (r != kNilRef) remove(r);
  return r;
}

}  // namespace ctd
