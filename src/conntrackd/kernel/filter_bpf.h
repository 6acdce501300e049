// `Filter From Kernelspace`: the General Filter compiled into a classic BPF
// program for the event socket, so the kernel drops unwanted events before
// they are queued for us.
//
// The program is, instruction for instruction, the one libnetfilter_conntrack
// (src/conntrack/bsf.c, >= 1.1.0) builds from the nfct_filter that upstream
// conntrackd fills while parsing (FilterConfig::kernel), so the kernel
// decides exactly as it does for upstream.  Its semantics are NOT those of
// the userspace filter (kernel_sync.h):
//  - a message whose nlmsg_type is not ctnetlink's (expectations,
//    NLMSG_DONE, NLMSG_ERROR, ...) is accepted untouched;
//  - then one block per non-empty set, in this order, each must pass:
//    L4 protocol; orig source IPv4; orig DESTINATION IPv4; orig source IPv6;
//    orig destination IPv6; TCP state.  The address blocks check the
//    original tuple's source and destination (userspace checks the orig and
//    reply sources), so with Accept both ends must be listed;
//  - in a block an event lacking the attribute passes; otherwise POSITIVE
//    (Accept) passes on a hit and NEGATIVE (Ignore) on a miss;
//  - attributes are found with the kernel's nla_find over the rest of the
//    message, not within their nest (except IPv6), so an IPv6 event seen
//    by the IPv4 destination block compares the first word of its
//    CTA_TUPLE_PROTO nest; upstream behaves the same way;
//  - jump offsets are 8 bits and wrap, as upstream's do, past about 81
//    IPv4 addresses.
// Debian's libnetfilter_conntrack 1.0.9 differs in one place, with two or
// more IPv6 addresses: a mismatch in an address's first three words ends
// the search (upstream commit d9e4d16 fixed it); we follow the fix.
#pragma once
#include <cstddef>

#include "conntrackd/config/config.h"
#include "netlink/cbpf.h"

namespace ctd {

// upstream's BSF_BUFFER_SIZE; the largest program the limits allow is
// about 1600 instructions.
inline constexpr size_t kFilterBpfMax = 2048;

// Builds the program for fc.kernel and fc.tcp_states into out; returns its
// length, or 0 if it does not fit in cap.
size_t filter_bpf_build(const FilterConfig& fc, nl::cbpf::Insn* out, size_t cap);

// Builds and attaches it to fd (SO_ATTACH_FILTER).  0 or -errno.
int filter_bpf_attach(int fd, const FilterConfig& fc);

}  // namespace ctd
