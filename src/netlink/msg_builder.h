// Builds netlink messages into a caller-owned buffer.
//
// Several messages may be built back to back (one sendmsg carries them
// all).  Every put checks the remaining room; the first one that does not
// fit marks the builder failed and leaves the bytes already written alone,
// so callers check ok() once per message instead of after every put.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "nl_uapi.h"

namespace nl {

class MsgBuilder {
 public:
  MsgBuilder(uint8_t* buf, size_t cap) : buf_(buf), cap_(cap) {}

  // Starts a message at the end of the buffer.  Call end_msg() to close it.
  bool begin_msg(uint16_t type, uint16_t flags, uint32_t seq, uint32_t pid = 0);
  // nfnetlink: type is (subsys << 8) | msg, followed by an nfgenmsg.
  bool begin_nfmsg(uint8_t subsys, uint8_t msg, uint16_t flags, uint32_t seq,
                   uint8_t family, uint16_t res_id = 0);
  // Finishes the current message (fills nlmsg_len).  Returns ok().
  bool end_msg();
  // Drops the message being built (e.g. it did not fit: send what is done
  // and rebuild it in a fresh buffer).
  void cancel_msg();

  bool put(uint16_t type, const void* data, size_t len);
  bool put_u8(uint16_t type, uint8_t v) { return put(type, &v, 1); }
  bool put_u16_be(uint16_t type, uint16_t v);
  bool put_u32_be(uint16_t type, uint32_t v);
  bool put_u64_be(uint16_t type, uint64_t v);
  bool put_str(uint16_t type, std::string_view s);  // NUL-terminated

  // Nesting: nest_start returns a token for nest_end, or 0 on overflow
  // (nest_end(0) is then a harmless no-op; ok() is already false).
  size_t nest_start(uint16_t type);
  void nest_end(size_t token);

  bool ok() const { return ok_; }
  std::span<const uint8_t> data() const { return {buf_, len_}; }
  size_t size() const { return len_; }
  size_t room() const { return cap_ - len_; }
  void reset() { len_ = msg_start_ = 0; in_msg_ = false; ok_ = true; }
  // The header of the message being built (valid between begin and end).
  uapi::NlMsgHdr* current() { return in_msg_ ? reinterpret_cast<uapi::NlMsgHdr*>(buf_ + msg_start_) : nullptr; }

 private:
  uint8_t* reserve(size_t n);  // aligned, zero-filled, or nullptr
  uint8_t* buf_;
  size_t cap_;
  size_t len_ = 0;
  size_t msg_start_ = 0;
  bool in_msg_ = false;
  bool ok_ = true;
};

}  // namespace nl
