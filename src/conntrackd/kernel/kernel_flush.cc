// KernelSync, its flush side: -F and the selective flush of a Filter.
#include "conntrackd/kernel/kernel_sync.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>

#include "base/clock.h"
#include "base/out_buf.h"
#include "conntrackd/daemon.h"
#include "conntrackd/kernel/filter_bpf.h"
#include "conntrackd/kernel/kernel_expect.h"
#include "ct/dump_request.h"
#include "ct/expect_parse.h"
#include "ct/flow_build.h"
#include "ct/flow_parse.h"
#include "ct/flow_print.h"
#include "ct_uapi.h"
#include "netlink/dump_pipeline.h"
#include "netlink/msg_builder.h"
#include "netlink/recv_loop.h"
#include "conntrackd/kernel/kernel_sync_detail.h"

namespace ctd {

using ct::F;
using uapi::NlMsgHdr;


int KernelSync::flush_kernel() {
  const FilterConfig& fc = d_.config().filter;
  if (!fc.used) {
    // Nothing is filtered: one flush request does what a dump plus one
    // delete per entry would.
    nl::MsgBuilder b(g_reqbuf, kReqBufSize);
    b.begin_nfmsg(uapi::kNfnlSubsysCtnetlink, uapi::kCtMsgDelete,
                  uapi::kNlmFRequest | uapi::kNlmFAck, req_.next_seq(), 0);
    b.end_msg();
    int r = req_.send(b.data());
    drain_nonblocking(req_);
    return r;
  }
  nl::MsgBuilder b(g_reqbuf, kReqBufSize);
  int err = 0;
  auto send_batch = [&]() {
    if (b.size() > 0) {
      int r = req_.send(b.data());
      if (r < 0 && err == 0) err = r;
      drain_nonblocking(req_);
    }
    b.reset();
  };
  nl::RecvState st;
  int r = send_dump_request(dump_, st);
  if (r < 0) return r;
  auto fn = [&](const NlMsgHdr& h, std::span<const uint8_t> p) -> int {
    if (!is_ct_msg(h) || (h.type & 0xff) != uapi::kCtMsgNew) return nl::kCbOk;
    ct::Flow& f = scratch_;
    f.clear();
    if (!ct::flow_parse(p, f) || !filter_accepts(fc, f)) return nl::kCbOk;
    for (int attempt = 0; attempt < 2; attempt++) {
      if (ct::build_ct_delete(b, f, 0, req_.next_seq())) break;
      b.cancel_msg();
      send_batch();
    }
    if (b.room() < 1024) send_batch();
    return nl::kCbOk;
  };
  r = nl::recv_dump_pipelined(dump_, st, fn);
  send_batch();
  return r < 0 ? r : err;
}

}  // namespace ctd
