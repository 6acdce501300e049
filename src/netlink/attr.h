// Netlink attribute access: a view type and a validating parser.
//
// Every attribute is checked against the bytes that contain it before any
// caller sees it: a header that does not fit, a length shorter than the
// header or longer than what remains, makes the whole parse fail.  Callers
// then check each payload's size with the typed getters (get_u32 etc.),
// which refuse a payload of the wrong length instead of reading past it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "nl_uapi.h"

namespace nl {

struct Attr {
  const uint8_t* data = nullptr;  // payload
  uint16_t len = 0;               // payload length
  uint16_t type = 0;              // without NLA_F_* flags

  explicit operator bool() const { return data != nullptr; }
  std::span<const uint8_t> payload() const { return {data, len}; }
};

// Typed reads.  Netlink integers in ctnetlink are big endian; the *_be
// forms convert.  Each returns false (and leaves `out` alone) when the
// payload size is wrong.
bool get_u8(const Attr& a, uint8_t& out);
bool get_u16_be(const Attr& a, uint16_t& out);
bool get_u32_be(const Attr& a, uint32_t& out);
bool get_u64_be(const Attr& a, uint64_t& out);
bool get_bytes(const Attr& a, void* out, size_t n);  // exactly n bytes
// A NUL-terminated string attribute; the view excludes the terminator.
// Without a terminator the whole payload is the string.
std::string_view get_str(const Attr& a);

// Parse the attribute stream `buf` into `table[0..max_type]`, indexed by
// type.  Types above max_type are skipped (newer kernels add attributes);
// a repeated type keeps the last one, as the kernel's own parser does.
// Returns false if the stream is malformed.  `table` is cleared first.
bool attr_parse(std::span<const uint8_t> buf, Attr* table, uint16_t max_type);

// Parse the payload of a nested attribute.
inline bool attr_parse_nested(const Attr& nest, Attr* table, uint16_t max_type) {
  return attr_parse(nest.payload(), table, max_type);
}

// Iterate attributes one by one (for repeated-type streams).  next()
// returns false at the end or on malformed input; ok() tells which.
class AttrIter {
 public:
  explicit AttrIter(std::span<const uint8_t> buf) : p_(buf.data()), end_(buf.data() + buf.size()) {}
  bool next(Attr& out);
  bool ok() const { return ok_; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

}  // namespace nl
