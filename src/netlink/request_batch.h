// Many netlink requests per sendmsg, answers drained without blocking.
//
// The kernel handles netlink requests inside sendmsg, so when it returns
// every answer of the batch is queued on the socket already.  Requests
// carry no NLM_F_ACK: only failures answer, each with its request's
// sequence number, which tells the caller which one failed.  Used by the
// daemon's commit and kernel injection; the socket should have a receive
// buffer that holds a whole batch of error answers and NETLINK_CAP_ACK set
// (prepare()).  Memory is fixed: one transmit and one receive buffer.
#pragma once
#include <cstddef>
#include <cstdint>

#include "netlink/msg_builder.h"
#include "netlink/socket.h"

namespace nl {

class RequestBatch {
 public:
  static constexpr size_t kMaxRequests = 256;
  // Called for every request the kernel refused: its index in the batch
  // (0-based, in add order) and the positive errno.
  using ErrorFn = void (*)(void* ctx, unsigned index, int err);

  explicit RequestBatch(Socket& s) : s_(s) {}
  // Raises the receive buffer and sets NETLINK_CAP_ACK.
  static void prepare(Socket& s);

  // Starts the next request: a builder over the free space, with `seq`
  // set to use in its header.  After building, commit() it, or call
  // flush() first when it did not fit (builder not ok) and retry.
  MsgBuilder start(uint32_t* seq);
  void commit(const MsgBuilder& b);
  bool full() const { return n_ >= kMaxRequests || sizeof(tx_) - len_ < 4096; }
  unsigned pending() const { return n_; }
  // Sends the batch and reports every failure.  0 or -errno (send failed,
  // or answers were lost: ENOBUFS).
  int flush(ErrorFn fn, void* ctx);

 private:
  int drain(ErrorFn fn, void* ctx);
  Socket& s_;
  uint32_t base_seq_ = 0x10000;
  unsigned n_ = 0;
  size_t len_ = 0;
  alignas(8) uint8_t tx_[65536];
  alignas(8) uint8_t rx_[65536];
};

}  // namespace nl
