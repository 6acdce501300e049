#include "conntrackd/sync/rx_batch.h"

#include "conntrackd/sync/sync_engine.h"
#include "sync/wire.h"

namespace ctd {

using namespace ctsync;

void RxBatch::prepare(std::span<const uint8_t> data, bool stream, bool accept_v2, ExternalHandler& ext) {
  clear();
  size_t off = 0;
  MsgView m;
  while (off < data.size() && n_ < kSlots) {
    const WalkResult r = next_message(data, &off, &m, stream, accept_v2);
    if (r == WalkResult::kIncomplete || r == WalkResult::kStop) break;
    if (r == WalkResult::kSkip || m.version != kVersion || !is_data(m) || m.type > kMsgCtDel) continue;
    Slot& s = slots_[n_++];
    s.at = m.bytes.data();
    s.result = decode_ct(m, &s.flow, &s.scratch);
    if (s.result == DropReason::kNone) ext.prefetch_bucket(s.flow);
  }
  for (unsigned i = 0; i < n_; i++)
    if (slots_[i].result == DropReason::kNone) ext.prefetch_chain(slots_[i].flow);
}

const RxBatch::Slot* RxBatch::take(const MsgView& m) {
  const uint8_t* at = m.bytes.data();
  while (next_ < n_ && slots_[next_].at < at) next_++;
  if (next_ < n_ && slots_[next_].at == at) return &slots_[next_++];
  return nullptr;
}

}  // namespace ctd
