// The conntrackd sync protocol, version 1, as it is on the wire: what
// upstream conntrack-tools 1.4.x sends between peers (include/network.h
// there), bit for bit.  Every multi-byte field is big-endian.  Nothing here
// depends on the daemon: tools/ and unit tests use it alone.
//
// A datagram (or a TCP stream) is a plain concatenation of messages, each
// starting with this header:
//
//    0       1       2       3       4       5       6       7
//   +-------+-------+-------+-------+-------+-------+-------+-------+
//   |ver|typ| flags |     len       |             seq               |
//   +-------+-------+-------+-------+-------+-------+-------+-------+
//   ver: high nibble, always 1.  typ: low nibble (MsgType).
//   len: the whole message, header included.
//
// ACK, NACK and RESYNC control messages carry a range after it (16 bytes
// in all); ALIVE is the bare 8-byte header:
//
//    8       9      10      11      12      13      14      15
//   +-------+-------+-------+-------+-------+-------+-------+-------+
//   |             from              |              to               |
//   +-------+-------+-------+-------+-------+-------+-------+-------+
//
// Data messages (types 0-5) carry attributes (TLVs) after the header:
//
//   +-------+-------+-------+-------+---------------------+---------+
//   |    nta_len    |   nta_attr    | payload             | 0 pad   |
//   +-------+-------+-------+-------+---------------------+---------+
//   nta_len = 4 + payload (padding excluded); the next attribute starts
//   at the attribute's offset + ALIGN4(nta_len).
#pragma once
#include <cstddef>
#include <cstdint>

namespace ctsync {

inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kHdrLen = 8;
inline constexpr size_t kAckLen = 16;
inline constexpr size_t kAttrHdrLen = 4;
inline constexpr size_t kMaxMsgLen = 4096;  // upstream builds into 4 KiB

struct __attribute__((packed)) NetHdr {
  uint8_t ver_type;  // version << 4 | type
  uint8_t flags;
  uint16_t len;      // BE
  uint32_t seq;      // BE
};
static_assert(sizeof(NetHdr) == kHdrLen);

struct __attribute__((packed)) NetHdrAck {
  NetHdr h;
  uint32_t from, to;  // BE
};
static_assert(sizeof(NetHdrAck) == kAckLen);

struct __attribute__((packed)) NetAttr {
  uint16_t nta_len;   // BE
  uint16_t nta_attr;  // BE
};
static_assert(sizeof(NetAttr) == kAttrHdrLen);

enum MsgType : uint8_t {
  kMsgCtNew = 0, kMsgCtUpd = 1, kMsgCtDel = 2,
  kMsgExpNew = 3, kMsgExpUpd = 4, kMsgExpDel = 5,
  kMsgDataMax = kMsgExpDel,
  kMsgCtl = 10,
};

enum MsgFlag : uint8_t {
  kFlagUnused = 0x01, kFlagResync = 0x02, kFlagNack = 0x04, kFlagAck = 0x08,
  kFlagAlive = 0x10, kFlagHello = 0x20, kFlagHelloBack = 0x40,
};

// Conntrack attributes (upstream enum nta_attr).
enum NtaAttr : uint16_t {
  kNtaIpv4 = 0, kNtaIpv6, kNtaL4Proto, kNtaPort, kNtaTcpState, kNtaStatus, kNtaTimeout,
  kNtaMark, kNtaMasterIpv4, kNtaMasterIpv6, kNtaMasterL4Proto, kNtaMasterPort,
  kNtaSnatIpv4, kNtaDnatIpv4, kNtaSpatPort, kNtaDpatPort, kNtaNatSeqAdj, kNtaSctpState,
  kNtaSctpVtagOrig, kNtaSctpVtagRepl, kNtaDccpState, kNtaDccpRole, kNtaIcmpType,
  kNtaIcmpCode, kNtaIcmpId, kNtaTcpWscaleOrig, kNtaTcpWscaleRepl, kNtaHelperName,
  kNtaLabels, kNtaSnatIpv6, kNtaDnatIpv6, kNtaSynproxy, kNtaZone,
  kNtaMax  // 33: an id at or above it rejects the whole message
};

// Expectation attributes (upstream enum nta_exp_attr).
enum NtaExpAttr : uint16_t {
  kNtaExpMasterIpv4 = 0, kNtaExpMasterIpv6, kNtaExpMasterL4Proto, kNtaExpMasterPort,
  kNtaExpExpectIpv4, kNtaExpExpectIpv6, kNtaExpExpectL4Proto, kNtaExpExpectPort,
  kNtaExpMaskIpv4, kNtaExpMaskIpv6, kNtaExpMaskL4Proto, kNtaExpMaskPort,
  kNtaExpTimeout, kNtaExpFlags, kNtaExpClass, kNtaExpNatIpv4, kNtaExpNatPort,
  kNtaExpNatL4Proto, kNtaExpNatDir, kNtaExpHelperName, kNtaExpFn,
  kNtaExpMax  // 21
};

// The nta_len a receiver demands: exact for fixed-size attributes; for
// the variable ones (helper, labels, expectation fn) the maximum, with
// `variable` set.  Indexed by id (< kNtaMax / kNtaExpMax).
struct AttrRule {
  uint16_t len;
  bool variable;
};
extern const AttrRule kCtAttrRules[kNtaMax];
extern const AttrRule kExpAttrRules[kNtaExpMax];

// Names, for decoders and logs ("CT_NEW", "NTA_IPV4", "HELLO", ...).
const char* msg_type_name(uint8_t type);   // "type?" when unknown
const char* msg_flag_name(uint8_t bit);    // one bit
const char* ct_attr_name(uint16_t id);
const char* exp_attr_name(uint16_t id);

// Why a received message was dropped.  Each reason maps onto one of
// upstream's "-s network" counters (upstream_counter()); the finer ones
// are ours and tell an operator what exactly was wrong.
enum class DropReason : uint8_t {
  kNone = 0,
  kTruncated,      // fewer bytes left than a header
  kBadSize,        // len 0, beyond the data, or below the header size
  kBadVersion,     // version nibble != 1
  kBadType,        // a type with no meaning (6-9, 11-15)
  kBadHeader,      // flags that make no sense for the mode (upstream MSG_BAD)
  kBadPayload,     // attribute errors, upstream's catch-all:
  kUnknownAttr,    //   id >= 33 (conntrack) or >= 21 (expectation)
  kAttrSize,       //   a fixed-size attribute of another length, or too long
  kAttrOverrun,    //   nta_len beyond the message, or below 4
  kMissingAttr,    //   no address or no protocol: nothing to key a cache on
  kCount
};
const char* drop_reason_name(DropReason r);

// upstream's counters (STATE_SYNC(error)), for -s network.
enum class UpstreamCounter : uint8_t {
  kNone, kTruncated, kBadSize, kBadVersion, kBadType, kBadHeader, kBadPayload,
};
UpstreamCounter upstream_counter(DropReason r);

}  // namespace ctsync
