// ctnetlink message -> Flow.
#pragma once
#include <cstdint>
#include <span>

#include "ct/flow.h"
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

}  // namespace ct
