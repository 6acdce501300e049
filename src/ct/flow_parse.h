// ctnetlink message -> Flow.
#pragma once
#include <cstdint>
#include <span>

#include "ct/flow.h"
#include "netlink/attr.h"
#include "nl_uapi.h"

namespace ct {

// Parses the payload of a CT_NEW/CT_DELETE message (nfgenmsg plus
// attributes) into `out`.  Returns false if any attribute is malformed
// (bad length, bad nesting); `out` is then unspecified.  Attributes this
// code does not know are skipped.  Views in `out` point into `payload`.
bool flow_parse(std::span<const uint8_t> payload, Flow& out);

// Parses only what a tuple-level filter needs (nfgenmsg family and the
// original and reply tuples).  Cheap pre-filter for dumps.
bool flow_parse_tuples(std::span<const uint8_t> payload, Flow& out);

// Parses one tuple nest (CTA_TUPLE_ORIG/REPLY/MASTER, CTA_EXPECT_MASTER/
// TUPLE/MASK, ...) into tuple `d` of `f`.  The tuple's L3 protocol is set
// to f.family, which the caller sets first (the message's nfgen_family).
// Returns false if the nest is malformed.
bool parse_tuple_attr(const nl::Attr& nest, Dir d, Flow& f);

}  // namespace ct
