#include "conntrack/modify_batch.h"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>

#include "conntrack/process_output.h"
#include "ct/flow_build.h"
#include "ct/flow_parse.h"
#include "ct_uapi.h"
#include "netlink/msg_builder.h"
#include "netlink/recv_loop.h"

namespace conntrack {

using namespace uapi;

int ModifyBatch::open() {
  int r = sock_.open();
  if (r < 0) return r;
  // Every answer of a batch is queued before sendmsg returns: make sure a
  // whole batch of error messages and CT_GET replies fits, or answers
  // would be lost.  Root may exceed rmem_max.
  sock_.set_rcvbuf(4u << 20, true);
  sock_.set_opt(kNetlinkCapAck, 1);
  sock_.set_seq(base_seq_ = 1);
  n_ = tx_len_ = lines_len_ = 0;
  done_ = 0;  // batch mode (-R) reuses one instance per line
  return 0;
}

int ModifyBatch::add_delete(const ct::Flow& e, std::string_view line) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (n_ == kMaxEntries || lines_len_ + line.size() > sizeof lines_) {
      int r = flush();
      if (r < 0) return r;
    }
    nl::MsgBuilder b(tx_ + tx_len_, sizeof tx_ - tx_len_);
    uint32_t seq = base_seq_ + static_cast<uint32_t>(n_);
    b.begin_nfmsg(kNfnlSubsysCtnetlink, kCtMsgDelete, kNlmFRequest, seq, e.orig().l3);
    ct::put_tuple(b, e, ct::kDirOrig);
    if (e.has(ct::F::kZone)) b.put_u16_be(CTA_ZONE, e.zone);
    // The id pins the entry we matched: if it was replaced by a new one
    // with the same tuple meanwhile, the kernel answers ENOENT.
    if (e.has(ct::F::kId)) b.put_u32_be(CTA_ID, e.id);
    if (!b.end_msg()) {
      if (n_ == 0) return -EMSGSIZE;
      int r = flush();
      if (r < 0) return r;
      continue;
    }
    tx_len_ += b.size();
    Pending& p = pending_[n_++];
    p = Pending{seq, static_cast<uint32_t>(lines_len_), static_cast<uint16_t>(line.size()), 0, false, false};
    std::memcpy(lines_ + lines_len_, line.data(), line.size());
    lines_len_ += line.size();
    return 0;
  }
  return -EMSGSIZE;
}

int ModifyBatch::add_update(const ct::Flow& req, uint8_t family) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (n_ == kMaxEntries) {
      int r = flush();
      if (r < 0) return r;
    }
    nl::MsgBuilder b(tx_ + tx_len_, sizeof tx_ - tx_len_);
    // Two messages per entry: seq base+2i updates, base+2i+1 reads back.
    uint32_t seq = base_seq_ + 2 * static_cast<uint32_t>(n_);
    b.begin_nfmsg(kNfnlSubsysCtnetlink, kCtMsgNew, kNlmFRequest, seq, family);
    ct::put_tuple(b, req, ct::kDirOrig);
    ct::put_flow_meta(b, req);
    b.end_msg();
    b.begin_nfmsg(kNfnlSubsysCtnetlink, kCtMsgGet, kNlmFRequest, seq + 1, family);
    ct::put_tuple(b, req, ct::kDirOrig);
    if (req.has(ct::F::kZone)) b.put_u16_be(CTA_ZONE, req.zone);
    if (!b.end_msg()) {
      if (n_ == 0) return -EMSGSIZE;
      int r = flush();
      if (r < 0) return r;
      continue;
    }
    tx_len_ += b.size();
    pending_[n_++] = Pending{seq, 0, 0, 0, false, skip_enospc_next_};
    return 0;
  }
  return -EMSGSIZE;
}

void ModifyBatch::on_message(const NlMsgHdr& h, std::span<const uint8_t> p) {
  uint32_t per = kind_ == Kind::kUpdate ? 2 : 1;
  if (h.seq < base_seq_) return;
  uint32_t idx = (h.seq - base_seq_) / per;
  if (idx >= n_) return;
  Pending& e = pending_[idx];
  bool is_get = kind_ == Kind::kUpdate && (h.seq - base_seq_) % 2 == 1;
  if (h.type == kNlmsgError) {
    if (p.size() < sizeof(NlMsgErr)) return;
    NlMsgErr err;
    std::memcpy(&err, p.data(), sizeof err);
    if (err.error == 0) return;  // an ack
    // The update's error is what counts; a failed update makes the
    // read-back fail too.
    if (e.err == 0) e.err = -err.error;
    return;
  }
  if (!is_get || e.err != 0) return;
  ct::Flow now;
  if (!ct::flow_parse(p, now)) return;
  base::LineBuf<1024> line;
  print_(now, line, ctx_);
  size_t n = line.size();
  if (lines_len_ + n > sizeof lines_) return;
  std::memcpy(lines_ + lines_len_, line.view().data(), n);
  e.line_off = static_cast<uint32_t>(lines_len_);
  e.line_len = static_cast<uint16_t>(n);
  e.answered = true;
  lines_len_ += n;
}

// Reads every answer already queued, without blocking.
int ModifyBatch::drain() {
  for (;;) {
    ssize_t n = recv(sock_.fd(), rx_, sizeof rx_, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return -errno;  // ENOBUFS: answers were lost; we cannot tell which
    }
    const uint8_t* q = rx_;
    size_t left = static_cast<size_t>(n);
    while (left >= sizeof(NlMsgHdr)) {
      NlMsgHdr h;
      std::memcpy(&h, q, sizeof h);
      if (h.len < sizeof h || h.len > left) break;
      on_message(h, {q + kNlHdrLen, h.len - kNlHdrLen});
      size_t step = nl_align(h.len);
      if (step > left) step = left;
      q += step;
      left -= step;
    }
  }
}

int ModifyBatch::flush() {
  if (n_ == 0) return 0;
  int r = sock_.send({tx_, tx_len_});
  if (r == 0) r = drain();
  if (r == 0) r = settle();
  base_seq_ += static_cast<uint32_t>(n_) * (kind_ == Kind::kUpdate ? 2 : 1);
  n_ = 0;
  tx_len_ = 0;
  lines_len_ = 0;
  return r;
}

// Prints the entries that succeeded, in order; an entry that vanished
// meanwhile (ENOENT) is skipped like upstream 1.4.8 does; any other error
// stops the command.  The whole batch was applied by the kernel, so even after an error the
// entries that did change are printed and counted.
int ModifyBatch::settle() {
  int first_err = 0;
  for (size_t i = 0; i < n_; ++i) {
    Pending& e = pending_[i];
    if (e.err == ENOENT) continue;
    if (e.err == ENOSPC && e.skip_enospc) continue;
    if (e.err != 0) {
      if (first_err == 0) first_err = -e.err;
      continue;
    }
    if (kind_ == Kind::kUpdate && !e.answered) continue;
    out().put(std::string_view(lines_ + e.line_off, e.line_len));
    out().put('\n');
    ++done_;
  }
  return first_err;
}

}  // namespace conntrack
