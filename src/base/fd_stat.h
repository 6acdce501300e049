// What our programs ask of fstat(2), through statx(2): musl's fstat is
// ~700 bytes of the static build (fstatat and its /proc fallback).
#pragma once
#include <cstdint>

namespace base {

struct FdStat {
  uint64_t dev = 0;  // major << 32 | minor: only compared
  uint64_t ino = 0;
  uint32_t blksize = 0;
};

// False (and `out` untouched) if the kernel cannot say (no statx: < 4.11).
bool fd_stat(int fd, FdStat& out);

}  // namespace base
