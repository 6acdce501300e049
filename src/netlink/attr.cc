#include "netlink/attr.h"

namespace nl {

bool AttrIter::next(Attr& out) {
  size_t left = static_cast<size_t>(end_ - p_);
  if (left == 0) return false;
  if (left < sizeof(uapi::NlAttr)) {
    // A trailing fragment shorter than a header is malformed: attribute
    // lengths are always padded to 4, so a well-formed stream ends exactly.
    ok_ = false;
    return false;
  }
  uapi::NlAttr h;
  std::memcpy(&h, p_, sizeof h);
  if (h.len < sizeof h || h.len > left) {
    ok_ = false;
    return false;
  }
  out.data = p_ + uapi::kAttrHdrLen;
  out.len = static_cast<uint16_t>(h.len - uapi::kAttrHdrLen);
  out.type = h.type & uapi::kNlaTypeMask;
  size_t step = uapi::nl_align(h.len);
  p_ += step < left ? step : left;
  return true;
}

bool attr_parse(std::span<const uint8_t> buf, Attr* table, uint16_t max_type) {
  for (uint16_t i = 0; i <= max_type; ++i) table[i] = Attr{};
  AttrIter it(buf);
  Attr a;
  while (it.next(a)) {
    if (a.type <= max_type) table[a.type] = a;
  }
  return it.ok();
}

bool get_u8(const Attr& a, uint8_t& out) {
  if (a.len != 1) return false;
  out = a.data[0];
  return true;
}

bool get_u16_be(const Attr& a, uint16_t& out) {
  if (a.len != 2) return false;
  out = static_cast<uint16_t>(a.data[0] << 8 | a.data[1]);
  return true;
}

bool get_u32_be(const Attr& a, uint32_t& out) {
  if (a.len != 4) return false;
  out = static_cast<uint32_t>(a.data[0]) << 24 | static_cast<uint32_t>(a.data[1]) << 16 |
        static_cast<uint32_t>(a.data[2]) << 8 | a.data[3];
  return true;
}

bool get_u64_be(const Attr& a, uint64_t& out) {
  if (a.len != 8) return false;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | a.data[i];
  out = v;
  return true;
}

bool get_bytes(const Attr& a, void* out, size_t n) {
  if (a.len != n) return false;
  std::memcpy(out, a.data, n);
  return true;
}

std::string_view get_str(const Attr& a) {
  const char* s = reinterpret_cast<const char*>(a.data);
  size_t n = 0;
  while (n < a.len && s[n] != '\0') ++n;
  return {s, n};
}

}  // namespace nl
