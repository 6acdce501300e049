// Expect -> CTNETLINK_EXP requests (get, create, delete, flush, dump).
#pragma once
#include <cstdint>

#include "ct/expect.h"
#include "netlink/msg_builder.h"

namespace ct {

// One expectation request (EXP_NEW/EXP_GET/EXP_DELETE) carrying what is
// present in `e`, in libnetfilter_conntrack's order: CTA_EXPECT_TUPLE,
// _MASTER, _MASK, _TIMEOUT, _FLAGS, _ZONE, _HELP_NAME, _CLASS, _NAT (its
// direction and tuple, when both are present), _FN.  `flags` is added to
// NLM_F_REQUEST.  The nfgen family is the master tuple's L3 protocol when
// the master is present, else the expected tuple's; false if neither has
// one (upstream builds no request then) or the buffer is too small.
//
// Each tuple is written as upstream writes expectation tuples: the
// addresses of its L3 protocol (a tuple whose L3 protocol is neither IPv4
// nor IPv6 is left out entirely), CTA_PROTO_NUM always, both ports for
// tcp/udp/udplite/sctp/dccp/gre and code, type and id for icmp/icmpv6,
// absent fields as zero; no tuple zone.
bool build_exp_request(nl::MsgBuilder& b, uint8_t msg, uint16_t flags, uint32_t seq,
                       const Expect& e);

// EXP_GET dump of every expectation of `family` (AF_UNSPEC: all).
bool build_exp_dump(nl::MsgBuilder& b, uint32_t seq, uint8_t family);

// EXP_DELETE without attributes, with an ack: flush `family`.
bool build_exp_flush(nl::MsgBuilder& b, uint32_t seq, uint8_t family);

}  // namespace ct
