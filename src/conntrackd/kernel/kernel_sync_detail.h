// What the kernel_*.cc files that make up KernelSync share: the dump
// request, the non-blocking drain, the message class test and the static
// receive buffers (one daemon per process).
#pragma once
#include <cstddef>
#include <cstdint>

#include "netlink/recv_loop.h"
#include "netlink/socket.h"
#include "nl_uapi.h"

namespace ctd {

inline constexpr size_t kEvBufSize = 65536;
extern uint8_t g_evbuf[kEvBufSize];
inline constexpr size_t kReqBufSize = 256 * 1024;
extern uint8_t g_reqbuf[kReqBufSize];
inline constexpr size_t kDumpRcvbuf = 8u << 20;

// A conntrack table dump request (family 0: both halves).  0 or -errno.
int send_dump_request(nl::Socket& s, nl::RecvState& st, uint8_t family = 0);
// Reads whatever answers (errors of unacknowledged deletes) are queued.
void drain_nonblocking(nl::Socket& s);
inline bool is_ct_msg(const uapi::NlMsgHdr& h) {
  return (h.type >> 8) == uapi::kNfnlSubsysCtnetlink;
}

}  // namespace ctd
