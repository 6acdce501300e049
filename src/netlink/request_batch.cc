#include "netlink/request_batch.h"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>

#include "nl_uapi.h"

namespace nl {

using uapi::NlMsgHdr;

void RequestBatch::prepare(Socket& s) {
  s.set_rcvbuf(4u << 20, true);
  s.set_opt(uapi::kNetlinkCapAck, 1);
}

MsgBuilder RequestBatch::start(uint32_t* seq) {
  *seq = base_seq_ + n_;
  return MsgBuilder(tx_ + len_, sizeof tx_ - len_);
}

void RequestBatch::commit(const MsgBuilder& b) {
  len_ += b.size();
  n_++;
}

int RequestBatch::flush(ErrorFn fn, void* ctx) {
  if (n_ == 0) return 0;
  int r = s_.send({tx_, len_});
  if (r == 0) r = drain(fn, ctx);
  base_seq_ += n_;
  if (base_seq_ > 0x7fff0000u) base_seq_ = 0x10000;
  n_ = 0;
  len_ = 0;
  return r;
}

int RequestBatch::drain(ErrorFn fn, void* ctx) {
  for (;;) {
    ssize_t n = recv(s_.fd(), rx_, sizeof rx_, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return -errno;
    }
    const uint8_t* q = rx_;
    size_t left = static_cast<size_t>(n);
    while (left >= sizeof(NlMsgHdr)) {
      NlMsgHdr h;
      std::memcpy(&h, q, sizeof h);
      if (h.len < sizeof h || h.len > left) break;
      if (h.type == uapi::kNlmsgError && h.len >= sizeof h + sizeof(int32_t)) {
        int32_t err;
        std::memcpy(&err, q + sizeof h, sizeof err);
        const uint32_t idx = h.seq - base_seq_;
        if (err < 0 && idx < n_) fn(ctx, idx, -err);
      }
      size_t step = (h.len + 3u) & ~size_t{3};
      if (step > left) step = left;
      q += step;
      left -= step;
    }
  }
}

}  // namespace nl
