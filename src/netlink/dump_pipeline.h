// A dump receiver that overlaps the kernel's work with ours.
//
// During a large dump most of the time is spent in the kernel, inside
// recvmsg, filling the next datagram.  Here a helper thread does nothing
// but receive into a ring of buffers while the calling thread parses,
// filters and prints the previous ones, so on two cores a formatted
// listing costs about as much wall time as the raw dump alone.  Messages
// are walked by the caller's thread with the same checks as
// recv_until_done(); the helper only peeks at message types to know when
// the dump is over.
//
// Several dumps can run at once, one receiving thread each (a table
// dumped as its IPv4 and its IPv6 halves on two sockets): the kernel
// fills their datagrams on different cores while one thread walks them
// all.  Each dump's datagrams are walked in arrival order; the dumps
// interleave.
#pragma once
#include <cstddef>
#include <cstdint>

#include "netlink/recv_loop.h"
#include "netlink/socket.h"

namespace nl {

// Same contract as recv_until_done(); falls back to it if no thread can
// be started.
int recv_dump_pipelined(Socket& s, RecvState& st, MsgFn fn, void* ctx);

// n dumps already requested on n sockets (n <= kMaxDumps), sts[i] the
// state of socks[i].  fn runs on the calling thread only.  Returns 0 when
// every dump completed, or the first -errno (the other dumps are then
// abandoned).
inline constexpr unsigned kMaxDumps = 2;
int recv_dumps_pipelined(Socket* const* socks, RecvState* sts, unsigned n, MsgFn fn, void* ctx);

template <class F>
int recv_dumps_pipelined(Socket* const* socks, RecvState* sts, unsigned n, F& f) {
  return recv_dumps_pipelined(socks, sts, n,
      [](const uapi::NlMsgHdr& h, std::span<const uint8_t> p, void* c) -> int {
        return (*static_cast<F*>(c))(h, p);
      }, &f);
}

template <class F>
int recv_dump_pipelined(Socket& s, RecvState& st, F& f) {
  return recv_dump_pipelined(s, st,
      [](const uapi::NlMsgHdr& h, std::span<const uint8_t> p, void* c) -> int {
        return (*static_cast<F*>(c))(h, p);
      }, &f);
}

}  // namespace nl
