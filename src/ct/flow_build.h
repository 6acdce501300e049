// Flow -> ctnetlink attributes (requests: get, create, update, delete).
// The inverse of flow_parse; only fields present in the Flow are written.
#pragma once
#include <cstdint>

#include "ct/flow.h"
#include "netlink/msg_builder.h"

namespace ct {

// CTA_TUPLE_{ORIG,REPLY,MASTER} nest for tuple `d`.  Both addresses are
// always written (zero when not given), as upstream does.
bool put_tuple(nl::MsgBuilder& b, const Flow& f, Dir d);

// Whether the request carries tuple `d` (any of its fields was given),
// as libnetfilter_conntrack decides it.
bool tuple_given(const Flow& f, Dir d);

// Everything of a create/update request after the tuples: status,
// timeout, mark, zone, protoinfo, NAT, labels, secmark.
bool put_flow_meta(nl::MsgBuilder& b, const Flow& f);

// A complete CT_NEW request (tuples + meta) with the given flags.
bool build_ct_new(nl::MsgBuilder& b, const Flow& f, uint16_t flags, uint32_t seq);
// A CT_DELETE of the entry with f's original tuple (and zone): what the
// daemon's commit, injection and selective flush send.  On false the
// caller cancels the message.
bool build_ct_delete(nl::MsgBuilder& b, const Flow& f, uint16_t flags, uint32_t seq);

}  // namespace ct
