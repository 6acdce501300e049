// Classic BPF socket filters for netlink sockets: the instruction format
// and opcodes of <linux/filter.h> (which musl's sysroot lacks), the
// kernel's netlink-attribute finders for classic programs, and
// SO_ATTACH_FILTER.  Both `conntrack -E` (src/conntrack/event_bpf) and the
// daemon's `Filter From Kernelspace` (src/conntrackd/filter_bpf) build
// their programs from these pieces; nothing here knows about conntrack.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nl::cbpf {

struct Insn {  // struct sock_filter
  uint16_t code;
  uint8_t jt, jf;
  uint32_t k;
};

// The opcode combinations we emit (class | size | mode, or class | op | src).
constexpr uint16_t kLdImm = 0x00;   // A = k
constexpr uint16_t kLdxImm = 0x01;  // X = k
constexpr uint16_t kLdWAbs = 0x20;  // A = u32 at k (big endian), or ancillary
constexpr uint16_t kLdBAbs = 0x30;  // A = u8 at k, or ancillary
constexpr uint16_t kLdWInd = 0x40;  // A = u32 at X + k (big endian)
constexpr uint16_t kLdBInd = 0x50;  // A = u8 at X + k
constexpr uint16_t kAddK = 0x04;    // A += k
constexpr uint16_t kAndK = 0x54;    // A &= k
constexpr uint16_t kJa = 0x05;      // skip k instructions
constexpr uint16_t kJeqK = 0x15;    // A == k ? skip jt : skip jf
constexpr uint16_t kRetK = 0x06;    // return k (bytes of the packet kept)
constexpr uint16_t kTax = 0x07;     // X = A
constexpr uint16_t kTxa = 0x87;     // A = X

// Ancillary loads (an ABS load at kAdOff + n).  NLATTR: A = offset of the
// first attribute of type X found walking from offset A to the end of the
// packet, at one level (nla_find), or 0.  NLATTR_NEST: the same, but A is
// the offset of a nest and only its payload is searched.
constexpr uint32_t kAdOff = static_cast<uint32_t>(-0x1000);
constexpr uint32_t kAdNlattr = 12;
constexpr uint32_t kAdNlattrNest = 16;

constexpr uint32_t kAccept = 0xffffffff;  // keep the whole message
constexpr uint32_t kReject = 0;

inline constexpr size_t kMaxInsns = 4096;  // BPF_MAXINSNS

// SO_ATTACH_FILTER: replaces any program already on fd.  0 or -errno.
int attach(int fd, const Insn* prog, size_t n);

}  // namespace nl::cbpf
