// A classic BPF socket filter for the -E event socket, so the kernel
// drops events we would filter out before they take room in our receive
// buffer.  It is only a pre-filter: everything it lets through still goes
// through filter_match_event(), so it must never drop an event that
// filter must accept -- when in doubt it accepts.
#pragma once
#include <cstdint>

namespace conntrack {

// family: 0 for any; l4proto: -1 for any.  Returns 0 or -errno (no filter
// attached; the caller carries on without it).
int attach_event_bpf(int fd, uint8_t family, int l4proto);

}  // namespace conntrack
