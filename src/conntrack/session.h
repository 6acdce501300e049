// The CLI's netlink session: one NETLINK_NETFILTER socket plus the
// buffers every command shares (allocated once; no command allocates
// per message).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "netlink/dump_pipeline.h"
#include "netlink/msg_builder.h"
#include "netlink/recv_loop.h"
#include "netlink/socket.h"

namespace conntrack {

class Session {
 public:
  // Opens the socket; on failure prints upstream's "Can't open handler"
  // and exits 1.
  void open_or_die();
  nl::Socket& sock() { return sock_; }
  // A builder over the shared request buffer, reset.
  nl::MsgBuilder& request();
  // Sends what request() holds and runs the receive loop until the
  // exchange completes.  fn(const NlMsgHdr&, span) as in recv_loop.h.
  template <class F>
  int talk(F& fn) {
    nl::RecvState st;
    return talk(st, fn);
  }
  // For large dumps: receives on a helper thread while `fn` runs here.
  template <class F>
  int talk_dump(F& fn) {
    nl::RecvState st;
    int r = send_request(st);
    if (r < 0) return r;
    return nl::recv_dump_pipelined(sock_, st, fn);
  }
  template <class F>
  int talk(nl::RecvState& st, F& fn) {
    int r = send_request(st);
    if (r < 0) return r;
    return nl::recv_until_done(sock_, rx_, sizeof rx_, st, fn);
  }

 private:
  int send_request(nl::RecvState& st);
  nl::Socket sock_;
  // The kernel sends dump datagrams of up to 32 KiB; 64 KiB leaves room.
  alignas(8) uint8_t rx_[65536];
  alignas(8) uint8_t tx_[8192];
  nl::MsgBuilder builder_{tx_, sizeof tx_};
};

}  // namespace conntrack
