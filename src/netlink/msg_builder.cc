#include "netlink/msg_builder.h"

#include <cstring>

namespace nl {

uint8_t* MsgBuilder::reserve(size_t n) {
  size_t need = uapi::nl_align(static_cast<uint32_t>(n));
  if (!ok_ || n > cap_ || need > cap_ - len_) {
    ok_ = false;
    return nullptr;
  }
  uint8_t* p = buf_ + len_;
  std::memset(p, 0, need);
  len_ += need;
  return p;
}

bool MsgBuilder::begin_msg(uint16_t type, uint16_t flags, uint32_t seq, uint32_t pid) {
  if (in_msg_ && !end_msg()) return false;
  size_t start = len_;
  uint8_t* p = reserve(sizeof(uapi::NlMsgHdr));
  if (!p) return false;
  uapi::NlMsgHdr h{0, type, flags, seq, pid};
  std::memcpy(p, &h, sizeof h);
  msg_start_ = start;
  in_msg_ = true;
  return true;
}

bool MsgBuilder::begin_nfmsg(uint8_t subsys, uint8_t msg, uint16_t flags, uint32_t seq,
                             uint8_t family, uint16_t res_id) {
  if (!begin_msg(static_cast<uint16_t>(subsys << 8 | msg), flags, seq)) return false;
  uint8_t* p = reserve(sizeof(uapi::NfGenMsg));
  if (!p) return false;
  uapi::NfGenMsg g{family, uapi::kNfnetlinkV0,
                   static_cast<uint16_t>((res_id >> 8) | (res_id << 8))};
  std::memcpy(p, &g, sizeof g);
  return true;
}

bool MsgBuilder::end_msg() {
  if (!in_msg_) return ok_;
  // A message that did not fit stays open so cancel_msg() can drop it.
  if (!ok_) return false;
  in_msg_ = false;
  uint32_t n = static_cast<uint32_t>(len_ - msg_start_);
  std::memcpy(buf_ + msg_start_, &n, sizeof n);
  return true;
}

void MsgBuilder::cancel_msg() {
  if (!in_msg_) return;
  len_ = msg_start_;
  in_msg_ = false;
  ok_ = true;
}

bool MsgBuilder::put(uint16_t type, const void* data, size_t len) {
  if (len > 0xffff - uapi::kAttrHdrLen) {
    ok_ = false;
    return false;
  }
  uint8_t* p = reserve(uapi::kAttrHdrLen + len);
  if (!p) return false;
  uapi::NlAttr h{static_cast<uint16_t>(uapi::kAttrHdrLen + len), type};
  std::memcpy(p, &h, sizeof h);
  if (len) std::memcpy(p + uapi::kAttrHdrLen, data, len);
  return true;
}

bool MsgBuilder::put_u16_be(uint16_t type, uint16_t v) {
  uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  return put(type, b, 2);
}

bool MsgBuilder::put_u32_be(uint16_t type, uint32_t v) {
  uint8_t b[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                  static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  return put(type, b, 4);
}

bool MsgBuilder::put_u64_be(uint16_t type, uint64_t v) {
  uint8_t b[8];
  for (int i = 7; i >= 0; --i, v >>= 8) b[i] = static_cast<uint8_t>(v);
  return put(type, b, 8);
}

bool MsgBuilder::put_str(uint16_t type, std::string_view s) {
  uint8_t* p = reserve(uapi::kAttrHdrLen + s.size() + 1);
  if (!p) return false;
  uapi::NlAttr h{static_cast<uint16_t>(uapi::kAttrHdrLen + s.size() + 1), type};
  std::memcpy(p, &h, sizeof h);
  if (!s.empty()) std::memcpy(p + uapi::kAttrHdrLen, s.data(), s.size());  // data() may be null
  return true;
}

size_t MsgBuilder::nest_start(uint16_t type) {
  size_t at = len_;
  if (!put(type | uapi::kNlaFNested, nullptr, 0)) return 0;
  return at + 1;  // 0 means "failed", so offsets are shifted by one
}

void MsgBuilder::nest_end(size_t token) {
  if (token == 0 || !ok_) return;
  size_t at = token - 1;
  size_t n = len_ - at;
  if (n > 0xffff) {
    ok_ = false;
    return;
  }
  uint16_t len16 = static_cast<uint16_t>(n);
  std::memcpy(buf_ + at, &len16, sizeof len16);
}

}  // namespace nl
