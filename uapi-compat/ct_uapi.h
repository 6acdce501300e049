// ctnetlink (nfnetlink_conntrack) message types, attribute numbers and the
// conntrack constants they carry.  Self-contained for the same reason as
// nl_uapi.h; CTA_TIMESTAMP_EVENT and the newest stats counters are missing
// from many distribution headers.
#pragma once
#include <cstdint>

namespace uapi {

enum CtMsg : uint8_t {
  kCtMsgNew = 0, kCtMsgGet, kCtMsgDelete, kCtMsgGetCtrZero, kCtMsgGetStatsCpu,
  kCtMsgGetStats, kCtMsgGetDying, kCtMsgGetUnconfirmed,
};
enum ExpMsg : uint8_t {
  kExpMsgNew = 0, kExpMsgGet, kExpMsgDelete, kExpMsgGetStatsCpu,
};

// Multicast groups (1-based group numbers for NETLINK_ADD_MEMBERSHIP).
enum NfnlGroup : uint32_t {
  kGrpCtNew = 1, kGrpCtUpdate = 2, kGrpCtDestroy = 3,
  kGrpExpNew = 4, kGrpExpUpdate = 5, kGrpExpDestroy = 6,
};

enum CtAttr : uint16_t {
  CTA_UNSPEC, CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_STATUS, CTA_PROTOINFO,
  CTA_HELP, CTA_NAT_SRC, CTA_TIMEOUT, CTA_MARK, CTA_COUNTERS_ORIG,
  CTA_COUNTERS_REPLY, CTA_USE, CTA_ID, CTA_NAT_DST, CTA_TUPLE_MASTER,
  CTA_SEQ_ADJ_ORIG, CTA_SEQ_ADJ_REPLY, CTA_SECMARK, CTA_ZONE, CTA_SECCTX,
  CTA_TIMESTAMP, CTA_MARK_MASK, CTA_LABELS, CTA_LABELS_MASK, CTA_SYNPROXY,
  CTA_FILTER, CTA_STATUS_MASK, CTA_TIMESTAMP_EVENT, CTA_MAX_ = CTA_TIMESTAMP_EVENT,
};
enum CtaTuple : uint16_t { CTA_TUPLE_IP = 1, CTA_TUPLE_PROTO, CTA_TUPLE_ZONE, CTA_TUPLE_MAX_ = CTA_TUPLE_ZONE };
enum CtaIp : uint16_t { CTA_IP_V4_SRC = 1, CTA_IP_V4_DST, CTA_IP_V6_SRC, CTA_IP_V6_DST, CTA_IP_MAX_ = CTA_IP_V6_DST };
enum CtaProto : uint16_t {
  CTA_PROTO_NUM = 1, CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT, CTA_PROTO_ICMP_ID,
  CTA_PROTO_ICMP_TYPE, CTA_PROTO_ICMP_CODE, CTA_PROTO_ICMPV6_ID,
  CTA_PROTO_ICMPV6_TYPE, CTA_PROTO_ICMPV6_CODE, CTA_PROTO_MAX_ = CTA_PROTO_ICMPV6_CODE,
};
enum CtaProtoinfo : uint16_t { CTA_PROTOINFO_TCP = 1, CTA_PROTOINFO_DCCP, CTA_PROTOINFO_SCTP, CTA_PROTOINFO_MAX_ = CTA_PROTOINFO_SCTP };
enum CtaProtoinfoTcp : uint16_t {
  CTA_PROTOINFO_TCP_STATE = 1, CTA_PROTOINFO_TCP_WSCALE_ORIGINAL,
  CTA_PROTOINFO_TCP_WSCALE_REPLY, CTA_PROTOINFO_TCP_FLAGS_ORIGINAL,
  CTA_PROTOINFO_TCP_FLAGS_REPLY, CTA_PROTOINFO_TCP_MAX_ = CTA_PROTOINFO_TCP_FLAGS_REPLY,
};
enum CtaProtoinfoDccp : uint16_t {
  CTA_PROTOINFO_DCCP_STATE = 1, CTA_PROTOINFO_DCCP_ROLE,
  CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ, CTA_PROTOINFO_DCCP_PAD,
  CTA_PROTOINFO_DCCP_MAX_ = CTA_PROTOINFO_DCCP_PAD,
};
enum CtaProtoinfoSctp : uint16_t {
  CTA_PROTOINFO_SCTP_STATE = 1, CTA_PROTOINFO_SCTP_VTAG_ORIGINAL,
  CTA_PROTOINFO_SCTP_VTAG_REPLY, CTA_PROTOINFO_SCTP_MAX_ = CTA_PROTOINFO_SCTP_VTAG_REPLY,
};
enum CtaCounters : uint16_t {
  CTA_COUNTERS_PACKETS = 1, CTA_COUNTERS_BYTES, CTA_COUNTERS32_PACKETS,
  CTA_COUNTERS32_BYTES, CTA_COUNTERS_PAD, CTA_COUNTERS_MAX_ = CTA_COUNTERS_PAD,
};
enum CtaTimestamp : uint16_t { CTA_TIMESTAMP_START = 1, CTA_TIMESTAMP_STOP, CTA_TIMESTAMP_PAD, CTA_TIMESTAMP_MAX_ = CTA_TIMESTAMP_PAD };
enum CtaNat : uint16_t {
  CTA_NAT_V4_MINIP = 1, CTA_NAT_V4_MAXIP, CTA_NAT_PROTO, CTA_NAT_V6_MINIP,
  CTA_NAT_V6_MAXIP, CTA_NAT_MAX_ = CTA_NAT_V6_MAXIP,
};
enum CtaProtoNat : uint16_t { CTA_PROTONAT_PORT_MIN = 1, CTA_PROTONAT_PORT_MAX, CTA_PROTONAT_MAX_ = CTA_PROTONAT_PORT_MAX };
enum CtaSeqAdj : uint16_t {
  CTA_SEQADJ_CORRECTION_POS = 1, CTA_SEQADJ_OFFSET_BEFORE,
  CTA_SEQADJ_OFFSET_AFTER, CTA_SEQADJ_MAX_ = CTA_SEQADJ_OFFSET_AFTER,
};
enum CtaSynproxy : uint16_t { CTA_SYNPROXY_ISN = 1, CTA_SYNPROXY_ITS, CTA_SYNPROXY_TSOFF, CTA_SYNPROXY_MAX_ = CTA_SYNPROXY_TSOFF };
enum CtaHelp : uint16_t { CTA_HELP_NAME = 1, CTA_HELP_INFO, CTA_HELP_MAX_ = CTA_HELP_INFO };
enum CtaSecctx : uint16_t { CTA_SECCTX_NAME = 1, CTA_SECCTX_MAX_ = CTA_SECCTX_NAME };
enum CtaExpect : uint16_t {
  CTA_EXPECT_MASTER = 1, CTA_EXPECT_TUPLE, CTA_EXPECT_MASK, CTA_EXPECT_TIMEOUT,
  CTA_EXPECT_ID, CTA_EXPECT_HELP_NAME, CTA_EXPECT_ZONE, CTA_EXPECT_FLAGS,
  CTA_EXPECT_CLASS, CTA_EXPECT_NAT, CTA_EXPECT_FN, CTA_EXPECT_MAX_ = CTA_EXPECT_FN,
};
enum CtaExpectNat : uint16_t { CTA_EXPECT_NAT_DIR = 1, CTA_EXPECT_NAT_TUPLE, CTA_EXPECT_NAT_MAX_ = CTA_EXPECT_NAT_TUPLE };
enum CtaFilter : uint16_t { CTA_FILTER_ORIG_FLAGS = 1, CTA_FILTER_REPLY_FLAGS, CTA_FILTER_MAX_ = CTA_FILTER_REPLY_FLAGS };
// Per-cpu statistics (CT_GET_STATS_CPU) and global ones (CT_GET_STATS).
enum CtaStats : uint16_t {
  CTA_STATS_SEARCHED = 1, CTA_STATS_FOUND, CTA_STATS_NEW, CTA_STATS_INVALID,
  CTA_STATS_IGNORE, CTA_STATS_DELETE, CTA_STATS_DELETE_LIST, CTA_STATS_INSERT,
  CTA_STATS_INSERT_FAILED, CTA_STATS_DROP, CTA_STATS_EARLY_DROP, CTA_STATS_ERROR,
  CTA_STATS_SEARCH_RESTART, CTA_STATS_CLASH_RESOLVE, CTA_STATS_CHAIN_TOOLONG,
  CTA_STATS_MAX_ = CTA_STATS_CHAIN_TOOLONG,
};
enum CtaStatsGlobal : uint16_t { CTA_STATS_GLOBAL_ENTRIES = 1, CTA_STATS_GLOBAL_MAX_ENTRIES };
enum CtaStatsExp : uint16_t { CTA_STATS_EXP_NEW = 1, CTA_STATS_EXP_CREATE, CTA_STATS_EXP_DELETE, CTA_STATS_EXP_MAX_ = CTA_STATS_EXP_DELETE };

// CTA_FILTER_*_FLAGS bits.
constexpr uint32_t kCtaFilterFlagIpSrc = 1u << 0;
constexpr uint32_t kCtaFilterFlagIpDst = 1u << 1;
constexpr uint32_t kCtaFilterFlagTupleZone = 1u << 2;
constexpr uint32_t kCtaFilterFlagProtoNum = 1u << 3;
constexpr uint32_t kCtaFilterFlagProtoSrcPort = 1u << 4;
constexpr uint32_t kCtaFilterFlagProtoDstPort = 1u << 5;
constexpr uint32_t kCtaFilterFlagIcmpType = 1u << 6;
constexpr uint32_t kCtaFilterFlagIcmpCode = 1u << 7;
constexpr uint32_t kCtaFilterFlagIcmpId = 1u << 8;
constexpr uint32_t kCtaFilterFlagIcmpv6Type = 1u << 9;
constexpr uint32_t kCtaFilterFlagIcmpv6Code = 1u << 10;
constexpr uint32_t kCtaFilterFlagIcmpv6Id = 1u << 11;

// IP_CT_* status bits (nf_conntrack_common.h).
enum CtStatus : uint32_t {
  kIpsExpected = 1u << 0, kIpsSeenReply = 1u << 1, kIpsAssured = 1u << 2,
  kIpsConfirmed = 1u << 3, kIpsSrcNat = 1u << 4, kIpsDstNat = 1u << 5,
  kIpsSeqAdjust = 1u << 6, kIpsSrcNatDone = 1u << 7, kIpsDstNatDone = 1u << 8,
  kIpsDying = 1u << 9, kIpsFixedTimeout = 1u << 10, kIpsTemplate = 1u << 11,
  kIpsUntracked = 1u << 12, kIpsHelper = 1u << 13, kIpsOffload = 1u << 14,
  kIpsHwOffload = 1u << 15,
};

// Expectation flags (NF_CT_EXPECT_*).
constexpr uint32_t kExpFPermanent = 1u << 0;
constexpr uint32_t kExpFInactive = 1u << 1;
constexpr uint32_t kExpFUserspace = 1u << 2;

// TCP flags carried in CTA_PROTOINFO_TCP_FLAGS_* (nf_conntrack_tcp.h).
constexpr uint8_t kTcpFlagWindowScale = 0x01;
constexpr uint8_t kTcpFlagSackPerm = 0x02;
constexpr uint8_t kTcpFlagCloseInit = 0x04;
constexpr uint8_t kTcpFlagBeLiberal = 0x08;

enum TcpState : uint8_t {
  kTcpNone, kTcpSynSent, kTcpSynRecv, kTcpEstablished, kTcpFinWait,
  kTcpCloseWait, kTcpLastAck, kTcpTimeWait, kTcpClose, kTcpSynSent2, kTcpMax,
};

constexpr uint8_t kIpprotoIcmp = 1;
constexpr uint8_t kIpprotoIgmp = 2;
constexpr uint8_t kIpprotoTcp = 6;
constexpr uint8_t kIpprotoUdp = 17;
constexpr uint8_t kIpprotoDccp = 33;
constexpr uint8_t kIpprotoGre = 47;
constexpr uint8_t kIpprotoIcmpv6 = 58;
constexpr uint8_t kIpprotoSctp = 132;
constexpr uint8_t kIpprotoUdplite = 136;

constexpr uint8_t kAfUnspec = 0;
constexpr uint8_t kAfInet = 2;
constexpr uint8_t kAfInet6 = 10;

}  // namespace uapi
