// The v1 codec: ct::Flow / ct::Expect <-> sync messages (wire.h).
//
// Encoding follows upstream's build.c attribute for attribute and in its
// order; decoding follows parse.c's checks (an error anywhere rejects the
// whole message, and the caller must then discard what was filled).
// Nothing allocates: messages are built into the caller's buffer, decoded
// flows hold views into the message (the helper name) or into the
// caller's DecodeScratch (labels, converted to the kernel's bitmap layout).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "ct/expect.h"
#include "ct/flow.h"
#include "sync/wire.h"

namespace ctsync {

struct EncodeOpts {
  bool send_timeout = true;          // false when CommitTimeout is set
  bool tcp_window_tracking = false;  // TCPWindowTracking: window scales too
};

// A whole message with seq 0 and no flags; its length, or 0 if it does
// not fit in `out`.
size_t encode_ct(std::span<uint8_t> out, uint8_t type, const ct::Flow& f, const EncodeOpts& o);
size_t encode_exp(std::span<uint8_t> out, uint8_t type, const ct::Expect& e, const EncodeOpts& o);
// A control message: 16 bytes for ACK, NACK and RESYNC, 8 otherwise.
size_t encode_ctl(std::span<uint8_t> out, uint8_t flags, uint32_t from, uint32_t to);
void msg_set_seq(std::span<uint8_t> msg, uint32_t seq);
void msg_or_flags(std::span<uint8_t> msg, uint8_t flags);

// One message of a received datagram or stream, its header in host order.
struct MsgView {
  uint8_t version = 0, type = 0, flags = 0;
  uint16_t len = 0;
  uint32_t seq = 0, from = 0, to = 0;   // from/to: ACK, NACK, RESYNC only
  std::span<const uint8_t> bytes;       // the whole message
  DropReason reason = DropReason::kNone;  // when next_message refuses it
};

enum class WalkResult : uint8_t {
  kOk,          // *m is a message to process
  kSkip,        // this message is dropped (m->reason), the walk goes on
  kStop,        // the rest of the data is dropped (m->reason)
  kIncomplete,  // stream only: the rest is the start of a message
};

// upstream's receive loop checks, in its order: fewer than 8 bytes left
// (truncated), len 0 or beyond the data (bad size), a control range
// message shorter than 16 bytes, any other below 8 (bad size), then a
// version other than 1 (bad version: skipped; `accept_v2`: version 2,
// the compact encoding, passes too).  `stream`: the data is a TCP stream,
// where a short tail is a partial message, not an error.
WalkResult next_message(std::span<const uint8_t> data, size_t* off, MsgView* m, bool stream,
                        bool accept_v2 = false);

// Classification (upstream's IS_DATA, IS_ACK, ...).
inline bool is_data(const MsgView& m) {
  return m.type <= kMsgDataMax && (m.flags & ~(kFlagHello | kFlagHelloBack)) == 0;
}
inline bool is_ctl_type(const MsgView& m) { return m.type == kMsgCtl; }
inline bool is_ack(const MsgView& m) { return m.type == kMsgCtl && (m.flags & kFlagAck); }
inline bool is_nack(const MsgView& m) { return m.type == kMsgCtl && (m.flags & kFlagNack); }
inline bool is_resync(const MsgView& m) { return m.type == kMsgCtl && (m.flags & kFlagResync); }
inline bool is_alive(const MsgView& m) { return m.type == kMsgCtl && (m.flags & kFlagAlive); }

struct DecodeScratch {
  uint8_t labels[1024];  // NTA_LABELS at most (4 + 1024 bytes)
};

// kNone, or why the message was rejected (then *out is garbage).
DropReason decode_ct(const MsgView& m, ct::Flow* out, DecodeScratch* s);
DropReason decode_exp(const MsgView& m, ct::Expect* out, DecodeScratch* s);
// The attributes of m written over *f (nothing cleared, no attribute
// required): the compact encoding's UPD applied to a known flow.
DropReason decode_ct_overlay(const MsgView& m, ct::Flow* f, DecodeScratch* s);

// libnetfilter_conntrack's NFCT_SOPT_SETUP_REPLY: the reply tuple from the
// original one and the NAT mapping (F::kSnatIp etc.), for kernel creates.
void flow_setup_reply(ct::Flow* f);

// The NAT mapping upstream sends for a flow with both tuples
// (libnetfilter_conntrack's NFCT_GOPT_IS_SNAT/DNAT/SPAT/DPAT).
bool flow_is_snat(const ct::Flow& f);
bool flow_is_dnat(const ct::Flow& f);
bool flow_is_spat(const ct::Flow& f);
bool flow_is_dpat(const ct::Flow& f);

}  // namespace ctsync
