// DisableInternalCache (NOTRACK): there is no internal cache, so `-i`
// shows the kernel's table instead, as upstream's internal_bypass does:
//
//   * conntracks: one dump of all families; each entry that passes the
//     General Filter (with its sanity check) is written as the plain
//     listing line (NFCT_O_DEFAULT: timeout, counters, use, no L3 column)
//     and a newline.  `-i -x` gets the same text: upstream's bypass dump
//     ignores the format;
//   * expectations (ExpectationSync): upstream runs each expectation's
//     master through the conntrack filter, whose sanity check wants a
//     reply source address that an expectation's master never has; so
//     nothing is written and each expectation the helper list accepts logs
//     upstream's "missing IPv4/IPv6 address" error.  Kept as upstream does.
//
// Both run in a forked dump child with a socket of their own.
#pragma once

namespace ctd {

class Daemon;

void bypass_dump_ct(int fd, Daemon& d);
void bypass_dump_exp(int fd, Daemon& d);

}  // namespace ctd
