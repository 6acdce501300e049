// upstream's channel buffer: messages are gathered up to the link's
// payload size (MTU minus the IP and UDP/TCP headers) and sent together;
// a message is added while `used + len < size` (strictly), else the
// buffer goes first.  Allocated once, at open.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <utility>

namespace ctd {

class ChannelBuffer {
 public:
  ChannelBuffer() = default;
  ~ChannelBuffer() { free(buf_); }
  ChannelBuffer(const ChannelBuffer&) = delete;
  ChannelBuffer& operator=(const ChannelBuffer&) = delete;

  // `cap` > size leaves room behind the batch: a sealer's trailer, or one
  // message larger than the batch that must be sealed on its own.
  bool init(size_t size, size_t cap = 0) {
    if (cap < size) cap = size;
    buf_ = static_cast<uint8_t*>(malloc(cap));
    size_ = buf_ ? size : 0;
    cap_ = buf_ ? cap : 0;
    return buf_ != nullptr;
  }
  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  uint8_t* raw() { return buf_; }
  // Into an empty buffer regardless of size(), within capacity().
  bool put_alone(std::span<const uint8_t> msg) {
    if (used_ != 0 || msg.size() > cap_) return false;
    std::memcpy(buf_, msg.data(), msg.size());
    used_ = msg.size();
    return true;
  }
  bool fits(size_t len) const { return used_ + len < size_; }
  // Appends; false if it does not fit (the caller sends first).
  bool add(std::span<const uint8_t> msg) {
    if (!fits(msg.size())) return false;
    std::memcpy(buf_ + used_, msg.data(), msg.size());
    used_ += msg.size();
    return true;
  }
  std::span<const uint8_t> data() const { return {buf_, used_}; }
  bool empty() const { return used_ == 0; }
  void clear() { used_ = 0; }
  void swap(ChannelBuffer& o) {
    std::swap(buf_, o.buf_);
    std::swap(size_, o.size_);
    std::swap(cap_, o.cap_);
    std::swap(used_, o.used_);
  }

 private:
  uint8_t* buf_ = nullptr;
  size_t size_ = 0, cap_ = 0, used_ = 0;
};

}  // namespace ctd
