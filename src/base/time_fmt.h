// Local-time formatting without stdio or locales.
#pragma once
#include <cstdint>
#include <ctime>

#include "base/out_buf.h"

namespace base {

// ctime(3) without the trailing newline: "Wed Nov 25 13:15:33 2026" (the
// day of the month padded with a space), in local time.  Remembers the last
// second it converted, since a table dump repeats the same few seconds.
void put_ctime(OutBuf& out, int64_t t);

// localtime_r (the zone as glibc reads TZ, base/time_zone.h) with the same
// one-entry cache; false if `t` is out of range.
bool local_time(int64_t t, struct tm* out);

}  // namespace base
