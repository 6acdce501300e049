// Appends TLV attributes to a sync message being built in a caller's
// buffer.  Every put is bounds-checked; the first one that does not fit
// fails the message (ok() turns false and stays so).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "sync/wire.h"

namespace ctsync {

class AttrWriter {
 public:
  // Writes the header (version, type, seq 0); len is set by finish().
  AttrWriter(std::span<uint8_t> out, uint8_t type) : out_(out) {
    if (out.size() < kHdrLen) {
      ok_ = false;
      return;
    }
    std::memset(out.data(), 0, kHdrLen);
    out[0] = static_cast<uint8_t>(kVersion << 4 | (type & 0x0f));
    len_ = kHdrLen;
  }
  // A payload slot of n bytes, zero padded to 4; nullptr when full.
  uint8_t* put(uint16_t attr, size_t n) {
    const size_t total = (kAttrHdrLen + n + 3) & ~size_t{3};
    if (!ok_ || total > out_.size() - len_ || len_ + total > kMaxMsgLen) {
      ok_ = false;
      return nullptr;
    }
    uint8_t* p = out_.data() + len_;
    std::memset(p, 0, total);
    const uint16_t nl = static_cast<uint16_t>(kAttrHdrLen + n);
    p[0] = static_cast<uint8_t>(nl >> 8);
    p[1] = static_cast<uint8_t>(nl);
    p[2] = static_cast<uint8_t>(attr >> 8);
    p[3] = static_cast<uint8_t>(attr);
    len_ += total;
    return p + kAttrHdrLen;
  }
  void raw(uint16_t attr, const void* data, size_t n) {
    if (uint8_t* p = put(attr, n)) std::memcpy(p, data, n);
  }
  void u8(uint16_t attr, uint8_t v) { raw(attr, &v, 1); }
  void u16(uint16_t attr, uint16_t v) {
    uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    raw(attr, b, 2);
  }
  void u32(uint16_t attr, uint32_t v) {
    uint8_t b[4];
    be32(b, v);
    raw(attr, b, 4);
  }
  static void be32(uint8_t* b, uint32_t v) {
    b[0] = static_cast<uint8_t>(v >> 24);
    b[1] = static_cast<uint8_t>(v >> 16);
    b[2] = static_cast<uint8_t>(v >> 8);
    b[3] = static_cast<uint8_t>(v);
  }
  // The message's length, or 0 if anything failed.
  size_t finish() {
    if (!ok_) return 0;
    out_[2] = static_cast<uint8_t>(len_ >> 8);
    out_[3] = static_cast<uint8_t>(len_);
    return len_;
  }

 private:
  std::span<uint8_t> out_;
  size_t len_ = 0;
  bool ok_ = true;
};

}  // namespace ctsync
