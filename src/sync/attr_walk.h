// The receive-side TLV walk shared by the conntrack and expectation
// decoders (upstream parse.c's loop and checks).
#pragma once
#include <cstdint>

#include "sync/codec.h"

namespace ctsync {

// Shared by both decoders: walks the TLVs of `m` against `rules`, calling
// fn(id, payload, payload_len) for each valid one.
template <class Fn>
DropReason walk_attrs(const MsgView& m, const AttrRule* rules, uint16_t max_id, Fn&& fn) {
  auto get16 = [](const uint8_t* q) { return static_cast<uint16_t>(q[0] << 8 | q[1]); };
  const uint8_t* p = m.bytes.data() + kHdrLen;
  long len = static_cast<long>(m.len) - static_cast<long>(kHdrLen);
  if (m.bytes.size() < m.len) return DropReason::kAttrOverrun;
  while (len > static_cast<long>(kAttrHdrLen)) {
    const uint16_t alen = get16(p);
    const uint16_t id = get16(p + 2);
    if (alen > len || alen < kAttrHdrLen) return DropReason::kAttrOverrun;
    if (id >= max_id) return DropReason::kUnknownAttr;
    const AttrRule& r = rules[id];
    if (r.variable ? alen > r.len : alen != r.len) return DropReason::kAttrSize;
    fn(id, p + kAttrHdrLen, static_cast<size_t>(alen - kAttrHdrLen));
    const long step = (alen + 3) & ~3;
    p += step;
    len -= step;
  }
  return DropReason::kNone;
}


}  // namespace ctsync
