// Helper { } start-up; see cthelper_setup.h.
#include "conntrackd/kernel/cthelper_setup.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>

#include "conntrackd/config/config_parser.h"
#include "conntrackd/daemon.h"
#include "cthelper_uapi.h"
#include "netlink/msg_builder.h"
#include "netlink/recv_loop.h"
#include "netlink/socket.h"

namespace ctd {
namespace {

uint16_t be16(uint16_t v) { return static_cast<uint16_t>((v << 8) | (v >> 8)); }

// One NFQNL_MSG_CONFIG command, no ack (as upstream's nfq_hdr_put()).
int send_queue_cmd(nl::Socket& s, uint16_t queue, uint8_t cmd) {
  alignas(4) uint8_t buf[64];
  nl::MsgBuilder b(buf, sizeof buf);
  b.begin_nfmsg(uapi::kNfnlSubsysQueue, uapi::kNfqnlMsgConfig, uapi::kNlmFRequest, 0, 0, queue);
  uapi::NfqCfgCmd c{cmd, 0, be16(2 /* AF_INET */)};
  b.put(uapi::kNfqaCfgCmd, &c, sizeof c);
  if (!b.end_msg()) return -EMSGSIZE;
  return s.send(b.data());
}

// The helper's queue: copy whole packets, with their conntrack.
int send_queue_params(nl::Socket& s, const HelperTypeConfig& h) {
  alignas(4) uint8_t buf[128];
  nl::MsgBuilder b(buf, sizeof buf);
  b.begin_nfmsg(uapi::kNfnlSubsysQueue, uapi::kNfqnlMsgConfig, uapi::kNlmFRequest, 0, 0,
                static_cast<uint16_t>(h.queue_num));
  uint8_t params[5] = {0, 0, 0xff, 0xff, uapi::kNfqnlCopyPacket};  // be32 range, u8 mode
  b.put(uapi::kNfqaCfgParams, params, sizeof params);
  b.put_u32_be(uapi::kNfqaCfgFlags, uapi::kNfqaCfgFConntrack);
  b.put_u32_be(uapi::kNfqaCfgMask, 0xffffffffu);
  if (h.queue_len > 0) b.put_u32_be(uapi::kNfqaCfgQueueMaxlen, h.queue_len);
  if (!b.end_msg()) return -EMSGSIZE;
  return s.send(b.data());
}

struct Policy {
  const char* name;
  uint32_t expect_max, expect_timeout;
};

// NFCTH_TUPLE: the helper's L3 and L4 protocol.
void put_helper_tuple(nl::MsgBuilder& b, const HelperTypeConfig& h) {
  size_t t = b.nest_start(uapi::kNfcthTuple);
  b.put_u16_be(uapi::kNfcthTupleL3protonum, h.l3);
  b.put_u8(uapi::kNfcthTupleL4protonum, h.l4);
  b.nest_end(t);
}

// NFNL_MSG_CTHELPER_NEW in upstream's attribute order.
bool build_helper_new(nl::MsgBuilder& b, const HelperTypeConfig& h, const KnownHelper& k,
                      const Policy& p, bool setup, uint32_t seq) {
  b.begin_nfmsg(uapi::kNfnlSubsysCthelper, uapi::kCthelperMsgNew,
                uapi::kNlmFRequest | uapi::kNlmFAck | uapi::kNlmFCreate, seq, 0);
  b.put_str(uapi::kNfcthName, h.name);
  b.put_u32_be(uapi::kNfcthQueueNum, h.queue_num);
  if (setup) b.put_u32_be(uapi::kNfcthPrivDataLen, k.priv_data_len);
  put_helper_tuple(b, h);
  size_t pol = b.nest_start(uapi::kNfcthPolicy);
  size_t set = b.nest_start(uapi::kNfcthPolicySet1);
  b.put_str(uapi::kNfcthPolicyName, p.name);
  b.put_u32_be(uapi::kNfcthPolicyExpectMax, p.expect_max);
  b.put_u32_be(uapi::kNfcthPolicyExpectTimeout, p.expect_timeout);
  b.nest_end(set);
  b.put_u32_be(uapi::kNfcthPolicySetNum, 1);
  b.nest_end(pol);
  b.put_u32_be(uapi::kNfcthStatus, uapi::kNfcthStatusEnabled);
  return b.end_msg();
}

int send_helper_del(nl::Socket& s, const HelperTypeConfig& h) {
  alignas(4) uint8_t buf[128];
  nl::MsgBuilder b(buf, sizeof buf);
  b.begin_nfmsg(uapi::kNfnlSubsysCthelper, uapi::kCthelperMsgDel, uapi::kNlmFRequest, 0, 0);
  b.put_str(uapi::kNfcthName, h.name);
  put_helper_tuple(b, h);
  if (!b.end_msg()) return -EMSGSIZE;
  return s.send(b.data());
}

// Sends the configuration and waits for its ack: 0 or -errno.
int configure_helper(Daemon& d, nl::Socket& s, const HelperTypeConfig& h, const KnownHelper& k) {
  d.log(kLogNotice, "configuring helper `%s' with queuenum=%d and queuelen=%d", h.name,
        static_cast<int>(h.queue_num), static_cast<int>(h.queue_len));
  // A Policy block replaces the helper's built-in one.
  Policy p{k.policy, k.expect_max, k.expect_timeout};
  if (h.npolicies > 0)
    p = Policy{h.policies[0].name, h.policies[0].expect_max, h.policies[0].expect_timeout};
  d.log(kLogNotice, "policy name=%s expect_timeout=%d expect_max=%d", p.name,
        static_cast<int>(p.expect_timeout), static_cast<int>(p.expect_max));
  alignas(4) uint8_t buf[512];
  nl::MsgBuilder b(buf, sizeof buf);
  const uint32_t seq = static_cast<uint32_t>(time(nullptr));
  if (!build_helper_new(b, h, k, p, d.config().helper_setup, seq) || s.send(b.data()) < 0) {
    d.log(kLogErr, "sending cthelper configuration");
    return -EIO;
  }
  nl::RecvState st;
  st.seq = seq;
  st.portid = s.portid();
  alignas(8) static uint8_t rbuf[8192];
  auto ignore = [](const uapi::NlMsgHdr&, std::span<const uint8_t>) -> int { return nl::kCbOk; };
  int r = nl::recv_until_done(s, rbuf, sizeof rbuf, st, ignore);
  if (r < 0) {
    d.log(kLogErr, "trying to configure cthelper `%s': %s", h.name, strerror(-r));
    return r;
  }
  return 0;
}

}  // namespace

int cthelper_start(Daemon& d) {
  const Config& c = d.config();
  if (c.nhelpers == 0) return 0;  // an empty block configures nothing
  nl::Socket s;
  int r = s.open(0);
  if (r < 0) {
    d.log(kLogErr, r == -EADDRINUSE ? "cannot bind nfq socket" : "cannot open nfq socket");
    return -1;
  }
  if (send_queue_cmd(s, 0, uapi::kNfqnlCfgCmdPfUnbind) < 0) {
    d.log(kLogErr, "failed to send pf unbind command");
    return -1;
  }
  if (send_queue_cmd(s, 0, uapi::kNfqnlCfgCmdPfBind) < 0) {
    d.log(kLogErr, "failed to send pf bind command");
    return -1;
  }
  // Upstream keeps its helper list newest first, so the last Type block
  // is configured first.
  unsigned done = 0;
  for (; done < c.nhelpers; done++) {
    const HelperTypeConfig& h = c.helpers[c.nhelpers - 1 - done];
    const KnownHelper* k = known_helper(h.name, h.l4);
    if (!k) return -1;  // the parser accepted only known helpers
    if (configure_helper(d, s, h, *k) < 0) break;
    if (send_queue_cmd(s, static_cast<uint16_t>(h.queue_num), uapi::kNfqnlCfgCmdBind) < 0) {
      d.log(kLogErr, "failed to send bind command");
      break;
    }
    if (send_queue_params(s, h) < 0) {
      d.log(kLogErr, "failed to send configuration");
      break;
    }
    d.log(kLogNotice, "helper `%s' configured successfully", h.name);
  }
  // Undo what the kernel accepted: nothing here would answer the queues.
  const bool all = done == c.nhelpers;
  for (unsigned i = 0; i < done; i++) {
    const HelperTypeConfig& h = c.helpers[c.nhelpers - 1 - i];
    send_queue_cmd(s, static_cast<uint16_t>(h.queue_num), uapi::kNfqnlCfgCmdUnbind);
    if (c.helper_setup) send_helper_del(s, h);
  }
  if (all && c.nhelpers > 0)
    d.log(kLogErr,
          "userspace helper `%s' is not supported by this conntrackd: its queue would never "
          "get a verdict; remove the Helper block",
          c.helpers[c.nhelpers - 1].name);
  return -1;
}

}  // namespace ctd
