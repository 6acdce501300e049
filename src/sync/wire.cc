#include "sync/wire.h"

namespace ctsync {

namespace {
constexpr AttrRule fixed(uint16_t payload) { return {static_cast<uint16_t>(kAttrHdrLen + payload), false}; }
constexpr AttrRule upto(uint16_t max_len) { return {max_len, true}; }
}  // namespace

// parse.c's table: exact nta_len for fixed attributes, a maximum for the
// helper name (NFCT_HELPER_NAME_MAX = 16), labels (4 + 1024) and the
// expectation function name (32).
const AttrRule kCtAttrRules[kNtaMax] = {
    fixed(8), fixed(32), fixed(1), fixed(4), fixed(1), fixed(4), fixed(4), fixed(4),
    fixed(8), fixed(32), fixed(1), fixed(4), fixed(4), fixed(4), fixed(2), fixed(2),
    fixed(24), fixed(1), fixed(4), fixed(4), fixed(1), fixed(1), fixed(1), fixed(1),
    fixed(2), fixed(1), fixed(1), upto(16), upto(4 + 1024), fixed(16), fixed(16), fixed(12),
    fixed(2),
};

const AttrRule kExpAttrRules[kNtaExpMax] = {
    fixed(8), fixed(32), fixed(1), fixed(4),   // master
    fixed(8), fixed(32), fixed(1), fixed(4),   // expected
    fixed(8), fixed(32), fixed(1), fixed(4),   // mask
    fixed(4), fixed(4), fixed(4),              // timeout, flags, class
    fixed(8), fixed(4), fixed(1), fixed(4),    // nat ipv4, port, l4proto, dir
    upto(16), upto(32),                        // helper, fn
};

const char* msg_type_name(uint8_t type) {
  switch (type) {
    case kMsgCtNew: return "CT_NEW";
    case kMsgCtUpd: return "CT_UPD";
    case kMsgCtDel: return "CT_DEL";
    case kMsgExpNew: return "EXP_NEW";
    case kMsgExpUpd: return "EXP_UPD";
    case kMsgExpDel: return "EXP_DEL";
    case kMsgCtl: return "CTL";
    default: return "type?";
  }
}

const char* msg_flag_name(uint8_t bit) {
  switch (bit) {
    case kFlagUnused: return "UNUSED";
    case kFlagResync: return "RESYNC";
    case kFlagNack: return "NACK";
    case kFlagAck: return "ACK";
    case kFlagAlive: return "ALIVE";
    case kFlagHello: return "HELLO";
    case kFlagHelloBack: return "HELLO_BACK";
    default: return "flag?";
  }
}

const char* ct_attr_name(uint16_t id) {
  static const char* const names[kNtaMax] = {
      "NTA_IPV4", "NTA_IPV6", "NTA_L4PROTO", "NTA_PORT", "NTA_TCP_STATE", "NTA_STATUS",
      "NTA_TIMEOUT", "NTA_MARK", "NTA_MASTER_IPV4", "NTA_MASTER_IPV6", "NTA_MASTER_L4PROTO",
      "NTA_MASTER_PORT", "NTA_SNAT_IPV4", "NTA_DNAT_IPV4", "NTA_SPAT_PORT", "NTA_DPAT_PORT",
      "NTA_NAT_SEQ_ADJ", "NTA_SCTP_STATE", "NTA_SCTP_VTAG_ORIG", "NTA_SCTP_VTAG_REPL",
      "NTA_DCCP_STATE", "NTA_DCCP_ROLE", "NTA_ICMP_TYPE", "NTA_ICMP_CODE", "NTA_ICMP_ID",
      "NTA_TCP_WSCALE_ORIG", "NTA_TCP_WSCALE_REPL", "NTA_HELPER_NAME", "NTA_LABELS",
      "NTA_SNAT_IPV6", "NTA_DNAT_IPV6", "NTA_SYNPROXY", "NTA_ZONE",
  };
  return id < kNtaMax ? names[id] : "NTA_?";
}

const char* exp_attr_name(uint16_t id) {
  static const char* const names[kNtaExpMax] = {
      "NTA_EXP_MASTER_IPV4", "NTA_EXP_MASTER_IPV6", "NTA_EXP_MASTER_L4PROTO",
      "NTA_EXP_MASTER_PORT", "NTA_EXP_EXPECT_IPV4", "NTA_EXP_EXPECT_IPV6",
      "NTA_EXP_EXPECT_L4PROTO", "NTA_EXP_EXPECT_PORT", "NTA_EXP_MASK_IPV4",
      "NTA_EXP_MASK_IPV6", "NTA_EXP_MASK_L4PROTO", "NTA_EXP_MASK_PORT", "NTA_EXP_TIMEOUT",
      "NTA_EXP_FLAGS", "NTA_EXP_CLASS", "NTA_EXP_NAT_IPV4", "NTA_EXP_NAT_PORT",
      "NTA_EXP_NAT_L4PROTO", "NTA_EXP_NAT_DIR", "NTA_EXP_HELPER_NAME", "NTA_EXP_FN",
  };
  return id < kNtaExpMax ? names[id] : "NTA_EXP_?";
}

const char* drop_reason_name(DropReason r) {
  switch (r) {
    case DropReason::kNone: return "none";
    case DropReason::kTruncated: return "truncated";
    case DropReason::kBadSize: return "bad_size";
    case DropReason::kBadVersion: return "bad_version";
    case DropReason::kBadType: return "bad_type";
    case DropReason::kBadHeader: return "bad_header";
    case DropReason::kBadPayload: return "bad_payload";
    case DropReason::kUnknownAttr: return "unknown_attribute";
    case DropReason::kAttrSize: return "attribute_size";
    case DropReason::kAttrOverrun: return "attribute_overrun";
    case DropReason::kMissingAttr: return "missing_attribute";
    case DropReason::kCount: break;
  }
  return "?";
}

UpstreamCounter upstream_counter(DropReason r) {
  switch (r) {
    case DropReason::kNone: return UpstreamCounter::kNone;
    case DropReason::kTruncated: return UpstreamCounter::kTruncated;
    case DropReason::kBadSize: return UpstreamCounter::kBadSize;
    case DropReason::kBadVersion: return UpstreamCounter::kBadVersion;
    case DropReason::kBadType: return UpstreamCounter::kBadType;
    case DropReason::kBadHeader: return UpstreamCounter::kBadHeader;
    default: return UpstreamCounter::kBadPayload;
  }
}

}  // namespace ctsync
