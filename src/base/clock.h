// Wall-clock time in nanoseconds (delta-time and event timestamps).
#pragma once
#include <cstdint>
#include <ctime>

namespace base {

inline uint64_t wall_clock_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace base
