// See compact_apply.h.
#include "conntrackd/sync/compact_apply.h"

#include <cstring>

#include "conntrackd/sync/sync_engine.h"

namespace ctd {

using namespace ctsync;

bool CompactApply::rebuild(const RecordView& r, MsgView* v) {
  const size_t len = record_to_v1(r, std::span<uint8_t>(v1_, sizeof v1_));
  size_t off = 0;
  return len != 0 && next_message(std::span<const uint8_t>(v1_, len), &off, v, false) == WalkResult::kOk;
}

// to_flow's views point into the cache record that the update rewrites.
void CompactApply::detach_views() {
  if (flow_.has(ct::F::kHelper)) {
    const size_t n = flow_.helper.size() < sizeof helper_ ? flow_.helper.size() : sizeof helper_;
    std::memcpy(helper_, flow_.helper.data(), n);
    flow_.helper = std::string_view(helper_, n);
  }
  if (flow_.has(ct::F::kLabels) && flow_.labels) {
    const size_t n = flow_.labels_len < sizeof labels_ ? flow_.labels_len : sizeof labels_;
    std::memcpy(labels_, flow_.labels, n);
    flow_.labels = labels_;
    flow_.labels_len = static_cast<uint16_t>(n);
  }
}

void CompactApply::bind(uint32_t peer_ref, uint32_t serial) {
  const uint32_t x = external_->lookup(flow_);
  if (x != kNilRef) external_->cid_bind(x, peer_ref, serial);
}

CompactApply::Result CompactApply::apply(const RecordView& r, DropReason* why) {
  *why = DropReason::kNone;
  MsgView v;
  if (record_is_full(r.kind)) {
    if (!rebuild(r, &v)) {
      *why = DropReason::kAttrOverrun;
      return Result::kDropped;
    }
    *why = decode_ct(v, &flow_, &scratch_);
    if (*why != DropReason::kNone) return Result::kDropped;
    if (r.kind == kRecNew) {
      ext_->ct_new(flow_);
      bind(r.ref, r.serial);
    } else if (r.kind == kRecUpdFull) {
      ext_->ct_upd(flow_);
      bind(r.ref, r.serial);
    } else {
      const uint32_t stale = external_->cid_find(r.ref, r.serial);
      if (stale != kNilRef) external_->cid_unbind(stale);
      ext_->ct_del(flow_);
    }
    return Result::kApplied;
  }
  const uint32_t x = external_->cid_find(r.ref, r.serial);
  if (x == kNilRef) return Result::kUnknownId;  // never guessed
  external_->to_flow(x, &flow_);
  if (r.kind == kRecDel) {
    ext_->ct_del(flow_);
    return Result::kApplied;
  }
  detach_views();
  if (!rebuild(r, &v)) {
    *why = DropReason::kAttrOverrun;
    return Result::kDropped;
  }
  *why = decode_ct_overlay(v, &flow_, &scratch_);
  if (*why != DropReason::kNone) return Result::kDropped;
  ext_->ct_upd(flow_);
  return Result::kApplied;
}

}  // namespace ctd
