#include "conntrackd/kernel/filter_bpf.h"

#include <cerrno>
#include <cstdint>

#include "ct_uapi.h"
#include "nl_uapi.h"

namespace ctd {
namespace {

using namespace nl::cbpf;

// Offsets in an event: nlmsghdr, nfgenmsg, then the attributes.
constexpr uint32_t kPayloadOff = sizeof(uapi::NlMsgHdr) + sizeof(uapi::NfGenMsg);
constexpr uint32_t kAttrHdr = sizeof(uapi::NlAttr);
// nlmsg_type's high byte is the nfnetlink subsystem; in memory it is the
// second byte on little-endian hosts, the first on big-endian ones.
constexpr uint32_t kSubsysOff = 4 + (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 1 : 0);

class Emitter {
 public:
  Emitter(Insn* out, size_t cap) : out_(out), cap_(cap) {}
  size_t pos() const { return n_; }
  bool ok() const { return ok_; }
  void put(uint16_t code, uint32_t k, uint8_t jt = 0, uint8_t jf = 0) {
    if (n_ >= cap_) {
      ok_ = false;
      return;
    }
    out_[n_++] = Insn{code, jt, jf, k};
  }
  // A JEQ whose true branch goes to absolute instruction `target`.
  // Upstream computes its offsets in 8 bits and lets them wrap; so do we,
  // so that long blocks jump where upstream's do.
  void jeq_to(uint32_t k, size_t target) {
    put(kJeqK, k, static_cast<uint8_t>(target - n_ - 1), 0);
  }

 private:
  Insn* out_;
  size_t cap_;
  size_t n_ = 0;
  bool ok_ = true;
};

// One block: find an attribute by its path from the top level, then
// compare.  `nested` is upstream's IPv6 variant: levels below the first
// are searched inside their nest (NLATTR_NEST) instead of over the rest of
// the message (A += header, NLATTR).
struct BlockShape {
  uint16_t path[3];
  bool nested;
  bool load_byte;  // one u8 load for all values (protocol, state)
  size_t per_value;
  size_t nvalues;
};

size_t header_len(const BlockShape& s) {
  return 1 + 3 * 3 + (s.nested ? 0 : 2) + 1 + (s.load_byte ? 1 : 0);
}

// Emits the header and returns the block's "end": the instruction after
// the last comparison, where NEGATIVE has `ja 1` and then both `ret 0`.
// A missing attribute jumps past the block: it has nothing to say.
size_t emit_header(Emitter& e, const BlockShape& s, bool negative) {
  const size_t base = e.pos();
  const size_t end = base + header_len(s) + s.per_value * s.nvalues;
  // Past the block: end + ret (POSITIVE) or end + ja + ret (NEGATIVE).
  const size_t next = end + (negative ? 2 : 1);
  e.put(kLdImm, kPayloadOff);
  for (int lvl = 0; lvl < 3; lvl++) {
    if (lvl > 0 && !s.nested) e.put(kAddK, kAttrHdr);
    e.put(kLdxImm, s.path[lvl]);
    e.put(kLdBAbs, kAdOff + (lvl > 0 && s.nested ? kAdNlattrNest : kAdNlattr));
    e.jeq_to(0, next);  // A == 0: not found
  }
  e.put(kTax, 0);
  if (s.load_byte) e.put(kLdBInd, kAttrHdr);
  return end;
}

// A hit jumps to end + 1: for POSITIVE that skips `ret 0` to the next
// block; for NEGATIVE it skips `ja 1` and lands on `ret 0`.
bool emit_tail(Emitter& e, size_t end, bool negative) {
  if (e.pos() != end) return false;  // the shape did not match the body
  if (negative) e.put(kJa, 1);
  e.put(kRetK, kReject);
  return true;
}

bool byte_block(Emitter& e, uint16_t a0, uint16_t a1, uint16_t a2, const uint32_t* bitmap,
                unsigned nbits, bool negative) {
  size_t n = 0;
  for (unsigned i = 0; i < nbits; i++) n += (bitmap[i >> 5] >> (i & 31)) & 1;
  if (n == 0) return true;
  BlockShape s{{a0, a1, a2}, false, true, 1, n};
  const size_t end = emit_header(e, s, negative);
  for (unsigned i = 0; i < nbits; i++)
    if ((bitmap[i >> 5] >> (i & 31)) & 1) e.jeq_to(i, end + 1);
  return emit_tail(e, end, negative);
}

uint32_t be32_at(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// upstream's cidr2mask_host for one 32-bit word of a prefix.
uint32_t mask_word(unsigned prefix, unsigned word) {
  const unsigned lo = word * 32;
  if (prefix <= lo) return 0;
  if (prefix >= lo + 32) return 0xffffffff;
  return 0xffffffffu << (32 - (prefix - lo));
}

bool ipv4_block(Emitter& e, const KernelFilterSets& k, uint16_t which) {
  if (k.nv4 == 0) return true;
  BlockShape s{{uapi::CTA_TUPLE_ORIG, uapi::CTA_TUPLE_IP, which}, false, false, 3, k.nv4};
  const size_t end = emit_header(e, s, k.addr_negative);
  for (unsigned i = 0; i < k.nv4; i++) {
    const uint32_t mask = mask_word(k.v4[i].prefix, 0);
    e.put(kLdWInd, kAttrHdr);
    e.put(kAndK, mask);
    e.jeq_to(be32_at(k.v4[i].addr) & mask, end + 1);
  }
  return emit_tail(e, end, k.addr_negative);
}

// Four words per address; a mismatch in one of the first three skips to
// the next address (libnetfilter_conntrack >= 1.1.0), a match of the last
// one is a hit.
bool ipv6_block(Emitter& e, const KernelFilterSets& k, uint16_t which) {
  if (k.nv6 == 0) return true;
  BlockShape s{{uapi::CTA_TUPLE_ORIG, uapi::CTA_TUPLE_IP, which}, true, false, 12, k.nv6};
  const size_t end = emit_header(e, s, k.addr_negative);
  for (unsigned i = 0; i < k.nv6; i++) {
    for (unsigned w = 0; w < 4; w++) {
      const uint32_t mask = mask_word(k.v6[i].prefix, w);
      const uint32_t want = be32_at(k.v6[i].addr + 4 * w) & mask;
      e.put(kLdWInd, kAttrHdr + 4 * w);
      e.put(kAndK, mask);
      if (w < 3) e.put(kJeqK, want, 0, static_cast<uint8_t>((3 - w) * 3));
      else e.jeq_to(want, end + 1);
    }
  }
  return emit_tail(e, end, k.addr_negative);
}

}  // namespace

size_t filter_bpf_build(const FilterConfig& fc, Insn* out, size_t cap) {
  const KernelFilterSets& k = fc.kernel;
  Emitter e(out, cap);
  // Not ctnetlink (expectations, NLMSG_DONE/ERROR, ...): accept as is.
  e.put(kLdxImm, 4);  // offsetof(nlmsghdr, nlmsg_type)
  e.put(kLdBInd, kSubsysOff - 4);
  e.put(kJeqK, uapi::kNfnlSubsysCtnetlink, 1, 0);
  e.put(kRetK, kAccept);
  bool ok = byte_block(e, uapi::CTA_TUPLE_ORIG, uapi::CTA_TUPLE_PROTO, uapi::CTA_PROTO_NUM,
                       k.protos, KernelFilterSets::kIpprotoMax, k.proto_negative) &&
            ipv4_block(e, k, uapi::CTA_IP_V4_SRC) && ipv4_block(e, k, uapi::CTA_IP_V4_DST) &&
            ipv6_block(e, k, uapi::CTA_IP_V6_SRC) && ipv6_block(e, k, uapi::CTA_IP_V6_DST);
  if (ok && fc.tcp_states != 0) {
    const uint32_t states = fc.tcp_states;
    ok = byte_block(e, uapi::CTA_PROTOINFO, uapi::CTA_PROTOINFO_TCP,
                    uapi::CTA_PROTOINFO_TCP_STATE, &states, 16, k.state_negative);
  }
  e.put(kRetK, kAccept);
  return ok && e.ok() ? e.pos() : 0;
}

int filter_bpf_attach(int fd, const FilterConfig& fc) {
  static Insn prog[kFilterBpfMax];  // built once at start-up
  const size_t n = filter_bpf_build(fc, prog, kFilterBpfMax);
  if (n == 0) return -ENOSPC;
  return nl::cbpf::attach(fd, prog, n);
}

}  // namespace ctd
