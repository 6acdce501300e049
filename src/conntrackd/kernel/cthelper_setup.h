// The Helper { } block at start-up: what upstream's cthelper_init() tells
// the kernel, in its order and with its messages.
//
//   1. one NETLINK_NETFILTER socket; NFQUEUE "PF unbind" then "PF bind"
//      for AF_INET (no ack asked, as upstream);
//   2. per Type block: the notice lines "configuring helper `X' with
//      queuenum=N and queuelen=M" and "policy name=... expect_timeout=...
//      expect_max=...", then one NFNL_MSG_CTHELPER_NEW (CREATE|ACK) with
//      upstream's attributes (the private data length only with
//      `Setup on`), whose error ends start-up as
//      "trying to configure cthelper `X': <strerror>";
//   3. the helper's queue: bind, copy-packet mode with conntrack
//      information, QueueLen if set; "helper `X' configured successfully".
//
// What we do not have is the other half: the userspace parsers (ftp, rpc,
// tns, ...) that read queued packets and create expectations.  A daemon
// that bound a helper queue and never answered it would hold every packet
// the ruleset sends there, so after a successful setup we undo it and
// refuse to start with an error naming the helper (fail loudly, never
// silently).  The kernels we test on (6.x) reject upstream's own
// CTHELPER_NEW with EINVAL, so there both daemons stop at step 2 with the
// same lines.
#pragma once

namespace ctd {

class Daemon;

// Runs steps 1-3 for every configured helper.  -1 after logging why (with
// any helper configured, see above); 0 for a block without Type.  Leaves
// no socket open.
int cthelper_start(Daemon& d);

}  // namespace ctd
