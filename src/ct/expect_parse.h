// CTNETLINK_EXP message -> Expect.
#pragma once
#include <cstdint>
#include <span>

#include "ct/expect.h"
#include "ct/flow_print.h"
#include "nl_uapi.h"

namespace ct {

// Parses the payload of an EXP_NEW/EXP_DELETE message (nfgenmsg plus
// attributes) into `out`.  Returns false if any attribute is malformed
// (bad length, bad nesting); `out` is then unspecified.  Attributes this
// code does not know are skipped.  Views in `out` point into `payload`.
bool expect_parse(std::span<const uint8_t> payload, Expect& out);

// The event type of an expectation EVENT message, as upstream decides it:
// EXP_NEW with NLM_F_CREATE or NLM_F_EXCL is NEW, EXP_NEW otherwise is
// UPDATE, EXP_DELETE is DESTROY; other types are kList.  Not for dump or
// get replies (EXP_NEW without flags): upstream prints those as kList.
MsgKind expect_msg_kind(const uapi::NlMsgHdr& h);

}  // namespace ct
