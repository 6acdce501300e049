// The receiving half of the compact encoding (sync/compact_wire.h): one
// DATA record applied to the external cache and its id index.  Kept apart
// from CompactLink (negotiation, sending, NEEDs) so that what a receiver
// does with a record is one piece of code, which the sync_compact fuzz
// target runs exactly as the daemon does.
//
// A full record is rebuilt into a v1 message and decoded by the v1
// decoder; NEW and UPD_FULL then bind the sender's id to the flow, a
// DEL_FULL forgets it.  UPD and DEL name the flow by id only: an id the
// index does not hold is never applied to anything (kUnknownId: the
// caller asks the sender with a NEED).
#pragma once
#include <cstdint>

#include "conntrackd/cache/flow_cache.h"
#include "ct/flow.h"
#include "sync/compact_codec.h"

namespace ctd {

class ExternalHandler;  // sync_engine.h

class CompactApply {
 public:
  enum class Result : uint8_t { kApplied, kUnknownId, kDropped };

  // `external` has its id index enabled; `ext` writes to it.
  void open(ExternalHandler* ext, FlowCache* external) {
    ext_ = ext;
    external_ = external;
  }
  bool ready() const { return ext_ && external_; }
  // kDropped with *why set when the record is malformed.
  Result apply(const ctsync::RecordView& r, ctsync::DropReason* why);

 private:
  bool rebuild(const ctsync::RecordView& r, ctsync::MsgView* v);
  void detach_views();
  void bind(uint32_t peer_ref, uint32_t serial);

  ExternalHandler* ext_ = nullptr;
  FlowCache* external_ = nullptr;
  ct::Flow flow_;
  ctsync::DecodeScratch scratch_;
  char helper_[kMaxHelperName];
  uint8_t labels_[kMaxLabelBytes];
  alignas(8) uint8_t v1_[4096];
};

}  // namespace ctd
