// systemd's notification protocol, spoken directly (no libsystemd): one
// datagram with "KEY=value" lines to the AF_UNIX socket named by
// $NOTIFY_SOCKET ("@name" is the abstract namespace).  A missing variable
// is not an error (not started by systemd).
#pragma once
#include <cstdint>
#include <string_view>

namespace ctd {

// 1 if sent, 0 if $NOTIFY_SOCKET is unset, -errno on failure.
int sd_notify_send(std::string_view msg);

// The watchdog interval in microseconds from $WATCHDOG_USEC (only when
// $WATCHDOG_PID is unset or names this process), or 0.
uint64_t sd_watchdog_usec();

}  // namespace ctd
