// The netlink layer on untrusted bytes: the datagram walk (headers,
// NLMSG_ERROR/DONE, extended acks) and the attribute parser with every
// typed getter, nested one level deeper, as a ctnetlink reader uses them.
#include <cstring>
#include <span>

#include "netlink/attr.h"
#include "netlink/recv_loop.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

// The getters on one attribute; their results are only checked for
// consistency with the payload length they were given.
void read_all(const nl::Attr& a) {
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  uint8_t bytes[16];
  if (nl::get_u8(a, u8) && a.len != 1) __builtin_trap();
  if (nl::get_u16_be(a, u16) && a.len != 2) __builtin_trap();
  if (nl::get_u32_be(a, u32) && a.len != 4) __builtin_trap();
  if (nl::get_u64_be(a, u64) && a.len != 8) __builtin_trap();
  (void)nl::get_bytes(a, bytes, sizeof bytes);
  if (nl::get_str(a).size() > a.len) __builtin_trap();
}

void parse_attrs(std::span<const uint8_t> buf, int depth) {
  constexpr uint16_t kMax = 32;
  nl::Attr tb[kMax + 1];
  if (nl::attr_parse(buf, tb, kMax)) {
    for (const nl::Attr& a : tb) {
      if (!a) continue;
      read_all(a);
      if (depth < 2) parse_attrs(a.payload(), depth + 1);
    }
  }
  nl::AttrIter it(buf);
  nl::Attr a;
  unsigned n = 0;
  while (it.next(a) && n++ < 4096) read_all(a);
}

int on_msg(const uapi::NlMsgHdr& h, std::span<const uint8_t> payload, void*) {
  (void)h;
  // ctnetlink payloads: a 4-byte nfgenmsg, then attributes.
  if (payload.size() >= 4) parse_attrs(payload.subspan(4), 0);
  return nl::kCbOk;
}

}  // namespace

FUZZ_TARGET(netlink_attr) {
  std::span<const uint8_t> in(data, size);
  parse_attrs(in, 0);
  nl::RecvState st;
  (void)nl::walk_datagram(in, st, on_msg, nullptr);
  if (std::memchr(st.ext_msg, '\0', sizeof st.ext_msg) == nullptr) __builtin_trap();
  return 0;
}
