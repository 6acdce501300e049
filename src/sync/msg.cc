// Message headers: control messages, sequence stamps and the receive walk.
#include <cstring>

#include "sync/codec.h"

namespace ctsync {

namespace {

uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

bool has_range(uint8_t type, uint8_t flags) {
  return type == kMsgCtl && (flags & (kFlagAck | kFlagNack | kFlagResync));
}

}  // namespace

size_t encode_ctl(std::span<uint8_t> out, uint8_t flags, uint32_t from, uint32_t to) {
  const bool range = has_range(kMsgCtl, flags);
  const size_t len = range ? kAckLen : kHdrLen;
  if (out.size() < len) return 0;
  std::memset(out.data(), 0, len);
  out[0] = static_cast<uint8_t>(kVersion << 4 | kMsgCtl);
  out[1] = flags;
  out[2] = 0;
  out[3] = static_cast<uint8_t>(len);
  if (range) {
    put32(&out[8], from);
    put32(&out[12], to);
  }
  return len;
}

void msg_set_seq(std::span<uint8_t> msg, uint32_t seq) {
  if (msg.size() >= kHdrLen) put32(&msg[4], seq);
}

void msg_or_flags(std::span<uint8_t> msg, uint8_t flags) {
  if (msg.size() >= kHdrLen) msg[1] |= flags;
}

WalkResult next_message(std::span<const uint8_t> data, size_t* off, MsgView* m, bool stream,
                        bool accept_v2) {
  *m = MsgView{};
  const size_t at = *off;
  const size_t remain = at < data.size() ? data.size() - at : 0;
  const uint8_t* p = data.data() + at;
  auto stop = [&](DropReason r, bool partial) {
    if (stream && partial) return WalkResult::kIncomplete;
    m->reason = r;
    *off = data.size();
    return WalkResult::kStop;
  };
  if (remain < kHdrLen) return stop(DropReason::kTruncated, true);
  const uint16_t len = get16(p + 2);
  if (len == 0) return stop(DropReason::kBadSize, false);
  if (len > remain) return stop(DropReason::kBadSize, true);
  const uint8_t type = p[0] & 0x0f;
  const uint8_t flags = p[1];
  if (has_range(type, flags)) {
    if (remain < kAckLen) return stop(DropReason::kTruncated, true);
    if (len < kAckLen) return stop(DropReason::kBadSize, false);
  } else if (len < kHdrLen) {
    return stop(DropReason::kBadSize, false);
  }
  m->version = p[0] >> 4;
  m->type = type;
  m->flags = flags;
  m->len = len;
  m->seq = get32(p + 4);
  if (has_range(type, flags)) {
    m->from = get32(p + 8);
    m->to = get32(p + 12);
  }
  m->bytes = data.subspan(at, len);
  *off = at + len;
  if (m->version != kVersion && !(accept_v2 && m->version == 2)) {
    m->reason = DropReason::kBadVersion;
    return WalkResult::kSkip;
  }
  return WalkResult::kOk;
}

}  // namespace ctsync
