#include "netlink/recv_loop.h"

#include <cerrno>
#include <cstring>

#include "netlink/attr.h"

namespace nl {
namespace {

// NLMSG_ERROR: error 0 is an ack.  With NLM_F_ACK_TLVS, the echoed
// request (capped or whole) is followed by extended-ack attributes.
int handle_error(const uapi::NlMsgHdr& h, std::span<const uint8_t> payload, RecvState& st) {
  if (payload.size() < sizeof(uapi::NlMsgErr)) return -EBADMSG;
  uapi::NlMsgErr e;
  std::memcpy(&e, payload.data(), sizeof e);
  if ((h.flags & uapi::kNlmFAckTlvs) != 0) {
    size_t skip = sizeof(int32_t) + ((h.flags & uapi::kNlmFCapped) ? sizeof(uapi::NlMsgHdr) : e.msg.len);
    size_t off = uapi::nl_align(static_cast<uint32_t>(skip));
    if (off < payload.size()) {
      AttrIter it(payload.subspan(off));
      Attr a;
      while (it.next(a)) {
        if (a.type != uapi::kNlmsgerrAttrMsg) continue;
        std::string_view m = get_str(a);
        size_t n = m.size() < sizeof st.ext_msg - 1 ? m.size() : sizeof st.ext_msg - 1;
        std::memcpy(st.ext_msg, m.data(), n);
        st.ext_msg[n] = '\0';
      }
    }
  }
  if (e.error == 0) return 0;
  return e.error < 0 ? e.error : -e.error;
}

}  // namespace

int walk_datagram(std::span<const uint8_t> dgram, RecvState& st, MsgFn fn, void* ctx) {
  const uint8_t* p = dgram.data();
  size_t left = dgram.size();
  while (left >= sizeof(uapi::NlMsgHdr)) {
    uapi::NlMsgHdr h;
    std::memcpy(&h, p, sizeof h);
    if (h.len < sizeof h || h.len > left) return -EBADMSG;
    std::span<const uint8_t> payload(p + uapi::kNlHdrLen, h.len - uapi::kNlHdrLen);
    size_t step = uapi::nl_align(h.len);
    p += step < left ? step : left;
    left -= step < left ? step : left;

    // Leftovers of an earlier exchange (a late ack) are not ours to judge.
    if (st.seq != 0 && (h.seq != st.seq || h.pid != st.portid)) continue;
    if (h.flags & uapi::kNlmFDumpIntr) st.dump_intr = true;

    switch (h.type) {
      case uapi::kNlmsgNoop: continue;
      case uapi::kNlmsgDone: return 0;
      case uapi::kNlmsgOverrun: return -ENOSPC;
      case uapi::kNlmsgError: {
        int r = handle_error(h, payload, st);
        if (r != 0) return r;
        return 0;
      }
      default: break;
    }
    if (h.type < uapi::kNlmsgMinType) continue;
    int r = fn(h, payload, ctx);
    if (r == kCbStop) return 0;
    if (r == kCbError) return st.cb_error ? -st.cb_error : -EPROTO;
  }
  if (left != 0) return -EBADMSG;
  return 1;
}

int recv_until_done(Socket& s, uint8_t* buf, size_t cap, RecvState& st, MsgFn fn, void* ctx) {
  for (;;) {
    ssize_t n = s.recv(buf, cap);
    if (n < 0) return static_cast<int>(n);
    int r = walk_datagram({buf, static_cast<size_t>(n)}, st, fn, ctx);
    if (r <= 0) return r;
  }
}

}  // namespace nl
