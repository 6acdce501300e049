// The local time zone as glibc's localtime() sees it, without libc's
// time-zone code (musl's is ~5 KB of the static `conntrack`, and glibc's
// rules are the ones upstream's output follows).
//
// The zone comes from TZ, read once: unset means /etc/localtime, empty
// means UTC, a leading ':' is dropped, a name is a TZif file (absolute,
// or under $TZDIR or /usr/share/zoneinfo), else a POSIX TZ string
// ("<+0530>-5:30", "CET-1CEST,M3.5.0,M10.5.0/3"); anything unreadable is
// UTC.  A TZif file's footer rule covers times past its last transition.
// Leap-second ("right/") zones are read without their leap seconds.
#pragma once
#include <cstdint>
#include <ctime>

namespace base {

// Seconds east of UTC in effect at `t` (seconds since the epoch).
long local_utc_offset(int64_t t);

// `t` shifted by `offset` seconds, broken down (gmtime-style, all fields
// but tm_isdst/tm_zone); false if the year does not fit an int.
bool civil_time(int64_t t, long offset, struct tm* out);

// Forget the loaded zone, so that the next call reads TZ again (tests).
void reload_time_zone();

}  // namespace base
