// The one receive loop: every reply to a request goes through here.
//
// Port id and sequence number are checked, and control messages
// (NLMSG_DONE, NLMSG_ERROR and acks, NLMSG_OVERRUN, NLM_F_DUMP_INTR) are
// handled before any callback sees a data message, so callers only ever
// handle their own payloads.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "netlink/socket.h"
#include "nl_uapi.h"

namespace nl {

// What a message callback returns.
enum CbResult : int { kCbError = -1, kCbStop = 0, kCbOk = 1 };

struct RecvState {
  uint32_t seq = 0;       // 0: accept any (event sockets)
  uint32_t portid = 0;    // checked when seq != 0
  bool dump_intr = false; // NLM_F_DUMP_INTR seen: the dump may be inconsistent
  int cb_error = 0;       // errno a callback asked to return
  char ext_msg[128] = {}; // the kernel's extended-ack text, if any
};

// Walks the messages of one datagram.  Returns 1 to keep receiving, 0 when
// the exchange is complete (NLMSG_DONE, an ack, or a callback's kCbStop),
// or -errno (a kernel error, a malformed datagram as -EBADMSG, or a
// callback's kCbError as -st.cb_error or -EPROTO).
using MsgFn = int (*)(const uapi::NlMsgHdr& h, std::span<const uint8_t> payload, void* ctx);
int walk_datagram(std::span<const uint8_t> dgram, RecvState& st, MsgFn fn, void* ctx);

// Receives and walks datagrams until the exchange completes.
int recv_until_done(Socket& s, uint8_t* buf, size_t cap, RecvState& st, MsgFn fn, void* ctx);

// Adapter: pass any callable as fn/ctx without allocating.
template <class F>
int recv_until_done(Socket& s, uint8_t* buf, size_t cap, RecvState& st, F& f) {
  return recv_until_done(s, buf, cap, st,
      [](const uapi::NlMsgHdr& h, std::span<const uint8_t> p, void* c) -> int {
        return (*static_cast<F*>(c))(h, p);
      }, &f);
}
template <class F>
int walk_datagram(std::span<const uint8_t> dgram, RecvState& st, F& f) {
  return walk_datagram(dgram, st,
      [](const uapi::NlMsgHdr& h, std::span<const uint8_t> p, void* c) -> int {
        return (*static_cast<F*>(c))(h, p);
      }, &f);
}

}  // namespace nl
