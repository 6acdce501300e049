// The v1 sync protocol on a received datagram or TCP stream: the message
// walk with upstream's checks, then the conntrack and expectation
// decoders for every data message, and what a receiver does with a
// decoded flow (the reply tuple from the NAT mapping, re-encoding it when
// it is sent on).  The first byte picks datagram (even) or stream (odd).
// The compact encoding (v2) has its own target, sync_compact.
#include <span>

#include "ct/expect.h"
#include "ct/flow.h"
#include "sync/codec.h"
#include "tests/fuzz/fuzz_target.h"

FUZZ_TARGET(sync_v1) {
  if (size < 1) return 0;
  const bool stream = data[0] & 1;
  std::span<const uint8_t> in(data + 1, size - 1);
  static ct::Flow f;
  static ct::Expect e;
  static ctsync::DecodeScratch scratch;
  static uint8_t out[65536];
  size_t off = 0;
  for (unsigned n = 0; n < 65536; ++n) {
    ctsync::MsgView m;
    ctsync::WalkResult r = ctsync::next_message(in, &off, &m, stream);
    if (r == ctsync::WalkResult::kStop || r == ctsync::WalkResult::kIncomplete) break;
    if (r == ctsync::WalkResult::kSkip) continue;
    if (m.bytes.size() != m.len || off > in.size()) __builtin_trap();
    if (!ctsync::is_data(m)) continue;
    ctsync::EncodeOpts o;
    o.tcp_window_tracking = m.seq & 1;
    if (m.type <= ctsync::kMsgCtDel) {
      f = ct::Flow{};
      if (ctsync::decode_ct(m, &f, &scratch) != ctsync::DropReason::kNone) continue;
      (void)ctsync::flow_is_snat(f);
      (void)ctsync::flow_is_dnat(f);
      (void)ctsync::encode_ct(out, m.type, f, o);
      ctsync::flow_setup_reply(&f);
      (void)ctsync::encode_ct(out, m.type, f, o);
    } else {
      e = ct::Expect{};
      if (ctsync::decode_exp(m, &e, &scratch) != ctsync::DropReason::kNone) continue;
      (void)ctsync::encode_exp(out, m.type, e, o);
    }
  }
  return 0;
}
