// Netlink and nfnetlink wire constants and header layouts.
//
// We define these ourselves instead of including <linux/netlink.h>: musl's
// sysroot ships no kernel headers, and older glibc build hosts lack the newer
// ones (extended ack attributes, NLM_F_DUMP_FILTERED).  Values are kernel ABI
// and never change.
#pragma once
#include <cstdint>

namespace uapi {

constexpr int kAfNetlink = 16;
constexpr int kNetlinkNetfilter = 12;
constexpr int kSolNetlink = 270;
constexpr int kNetlinkAddMembership = 1;
constexpr int kNetlinkDropMembership = 2;
constexpr int kNetlinkNoEnobufs = 5;
constexpr int kNetlinkBroadcastError = 4;
constexpr int kNetlinkCapAck = 10;
constexpr int kNetlinkExtAck = 11;
constexpr int kNetlinkGetStrictChk = 12;

// nfnetlink multicast groups (NFNLGRP_*); as a bind() bitmask group g is
// bit g-1.
constexpr int kNfnlgrpConntrackNew = 1;

struct NlMsgHdr {
  uint32_t len;
  uint16_t type;
  uint16_t flags;
  uint32_t seq;
  uint32_t pid;
};
static_assert(sizeof(NlMsgHdr) == 16);

struct NlMsgErr {
  int32_t error;
  NlMsgHdr msg;
};

struct NlAttr {
  uint16_t len;
  uint16_t type;
};

struct NfGenMsg {
  uint8_t family;
  uint8_t version;
  uint16_t res_id;  // big endian
};

struct SockaddrNl {
  uint16_t family;
  uint16_t pad;
  uint32_t pid;
  uint32_t groups;
};

constexpr uint32_t kNlAlign = 4;
constexpr uint32_t nl_align(uint32_t n) { return (n + kNlAlign - 1) & ~(kNlAlign - 1); }
constexpr uint32_t kNlHdrLen = nl_align(sizeof(NlMsgHdr));
constexpr uint32_t kAttrHdrLen = nl_align(sizeof(NlAttr));

// nlmsg_type values below 16 are control messages.
constexpr uint16_t kNlmsgNoop = 1;
constexpr uint16_t kNlmsgError = 2;
constexpr uint16_t kNlmsgDone = 3;
constexpr uint16_t kNlmsgOverrun = 4;
constexpr uint16_t kNlmsgMinType = 16;

constexpr uint16_t kNlmFRequest = 0x01;
constexpr uint16_t kNlmFMulti = 0x02;
constexpr uint16_t kNlmFAck = 0x04;
constexpr uint16_t kNlmFEcho = 0x08;
constexpr uint16_t kNlmFDumpIntr = 0x10;
constexpr uint16_t kNlmFDumpFiltered = 0x20;
constexpr uint16_t kNlmFRoot = 0x100;
constexpr uint16_t kNlmFMatch = 0x200;
constexpr uint16_t kNlmFAtomic = 0x400;
constexpr uint16_t kNlmFDump = kNlmFRoot | kNlmFMatch;
constexpr uint16_t kNlmFReplace = 0x100;
constexpr uint16_t kNlmFExcl = 0x200;
constexpr uint16_t kNlmFCreate = 0x400;
constexpr uint16_t kNlmFAppend = 0x800;
// Flags on an NLMSG_ERROR/ack message.
constexpr uint16_t kNlmFCapped = 0x100;
constexpr uint16_t kNlmFAckTlvs = 0x200;

constexpr uint16_t kNlaFNested = 1u << 15;
constexpr uint16_t kNlaFNetByteorder = 1u << 14;
constexpr uint16_t kNlaTypeMask = 0x3fff;  // without the two flag bits

// Extended ack TLVs (after the echoed request in NLMSG_ERROR).
constexpr uint16_t kNlmsgerrAttrMsg = 1;
constexpr uint16_t kNlmsgerrAttrOffs = 2;

constexpr uint8_t kNfnetlinkV0 = 0;
constexpr uint8_t kNfnlSubsysCtnetlink = 1;
constexpr uint8_t kNfnlSubsysCtnetlinkExp = 2;

}  // namespace uapi
