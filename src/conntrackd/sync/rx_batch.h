// The flow messages of one received datagram, decoded before any of them
// is applied.  Applying a flow to the external cache starts with a hash
// lookup whose bucket and chain head are cache misses (a profile of a
// bulk receive put 40 % of the receiver there); with the whole datagram
// decoded first, the handler prefetches every bucket, then every chain
// head, so the misses of ~16 flows overlap instead of following one
// another.  The mode still sees and judges each message in order: a
// decoded flow is only used if its message is applied (take()).
#pragma once
#include <cstdint>
#include <span>

#include "ct/flow.h"
#include "sync/codec.h"

namespace ctd {

class ExternalHandler;

class RxBatch {
 public:
  static constexpr unsigned kSlots = 32;  // more than an MTU's worth of flows
  struct Slot {
    const uint8_t* at;  // the message's first byte
    ctsync::DropReason result;
    ct::Flow flow;
    ctsync::DecodeScratch scratch;
  };

  // Decodes the v1 flow messages of `data` (walked as the receive loop
  // walks it), up to kSlots, and has `ext` prefetch what their lookups
  // will read.
  void prepare(std::span<const uint8_t> data, bool stream, bool accept_v2, ExternalHandler& ext);
  // The decoded message m, or nullptr (not decoded here: decode it).
  // Messages are taken in data order; skipped ones are passed over.
  const Slot* take(const ctsync::MsgView& m);
  // Forgets the datagram (its buffer is reused by the next one).
  void clear() { n_ = next_ = 0; }

 private:
  Slot slots_[kSlots];
  unsigned n_ = 0, next_ = 0;
};

}  // namespace ctd
