// Fill one tuple of a request from the other (upstream's
// NFCT_SOPT_SETUP_REPLY / _ORIGINAL): addresses swapped, ports swapped for
// the protocols that have them.  ICMP is left alone: its reply type is
// derived when the type is parsed, as upstream does.
#pragma once
#include "ct/flow.h"

namespace ct {

void flow_setup_reply(Flow& f);     // reply from original
void flow_setup_original(Flow& f);  // original from reply

}  // namespace ct
