#include "conntrack/event_bpf.h"

#include <cstddef>

#include "ct_uapi.h"
#include "netlink/cbpf.h"
#include "nl_uapi.h"

namespace conntrack {
namespace {

using namespace nl::cbpf;  // opcodes, ancillary offsets, verdicts
using SockFilter = nl::cbpf::Insn;

// Byte offsets in an event skb: nlmsghdr, then nfgenmsg, then attributes.
constexpr uint32_t kFamilyOff = sizeof(uapi::NlMsgHdr);
constexpr uint32_t kAttrsOff = sizeof(uapi::NlMsgHdr) + sizeof(uapi::NfGenMsg);

class Program {
 public:
  void op(uint16_t code, uint32_t k) { ins_[n_++] = {code, 0, 0, k}; }
  // A conditional jump whose targets are fixed up by finish().
  void jeq(uint32_t k, int jt, int jf) {
    jt_[n_] = jt;
    jf_[n_] = jf;
    ins_[n_++] = {kJeqK, 0, 0, k};
  }
  static constexpr int kNext = -1, kAcc = -2, kRej = -3;
  int attach(int fd) {
    size_t acc = n_, rej = n_ + 1;
    ins_[n_++] = {kRetK, 0, 0, kAccept};
    ins_[n_++] = {kRetK, 0, 0, kReject};
    for (size_t i = 0; i < acc; ++i) {
      if (ins_[i].code != kJeqK) continue;
      ins_[i].jt = offset(i, jt_[i], acc, rej);
      ins_[i].jf = offset(i, jf_[i], acc, rej);
    }
    return nl::cbpf::attach(fd, ins_, n_);
  }

 private:
  static uint8_t offset(size_t at, int target, size_t acc, size_t rej) {
    if (target == kNext) return 0;
    size_t to = target == kAcc ? acc : rej;
    return static_cast<uint8_t>(to - at - 1);
  }
  SockFilter ins_[32];
  int jt_[32] = {}, jf_[32] = {};
  size_t n_ = 0;
};

}  // namespace

int attach_event_bpf(int fd, uint8_t family, int l4proto) {
  if (family == 0 && l4proto < 0) return 0;
  Program p;
  if (family != 0) {
    p.op(kLdBAbs, kFamilyOff);
    p.jeq(family, Program::kNext, Program::kRej);
  }
  if (l4proto >= 0) {
    // Walk CTA_TUPLE_ORIG / CTA_TUPLE_PROTO / CTA_PROTO_NUM with the
    // kernel's attribute-finding loads; an event without them is passed
    // on for userspace to judge.
    p.op(kLdImm, kAttrsOff);
    p.op(kLdxImm, uapi::CTA_TUPLE_ORIG);
    p.op(kLdWAbs, kAdOff + kAdNlattr);
    p.jeq(0, Program::kAcc, Program::kNext);
    p.op(kLdxImm, uapi::CTA_TUPLE_PROTO);
    p.op(kLdWAbs, kAdOff + kAdNlattrNest);
    p.jeq(0, Program::kAcc, Program::kNext);
    p.op(kLdxImm, uapi::CTA_PROTO_NUM);
    p.op(kLdWAbs, kAdOff + kAdNlattrNest);
    p.jeq(0, Program::kAcc, Program::kNext);
    p.op(kTax, 0);
    p.op(kLdBInd, sizeof(uapi::NlAttr));  // the u8 after the attribute header
    p.jeq(static_cast<uint32_t>(l4proto), Program::kAcc, Program::kRej);
  } else {
    p.jeq(0, Program::kAcc, Program::kAcc);  // family matched: accept
  }
  return p.attach(fd);
}

}  // namespace conntrack
