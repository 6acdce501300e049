// statx(2)'s result (<linux/stat.h>): the same layout on every
// architecture, unlike struct stat.  musl's sysroot has no linux/ headers.
#pragma once
#include <cstdint>

namespace uapi {

constexpr unsigned kStatxIno = 0x100;  // STATX_INO

struct StatxTimestamp {  // struct statx_timestamp
  int64_t tv_sec;
  uint32_t tv_nsec;
  int32_t reserved;
};

struct Statx {  // struct statx
  uint32_t mask;
  uint32_t blksize;
  uint64_t attributes;
  uint32_t nlink, uid, gid;
  uint16_t mode, spare0;
  uint64_t ino, size, blocks, attributes_mask;
  StatxTimestamp atime, btime, ctime, mtime;
  uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
  uint64_t spare2[14];
};
static_assert(sizeof(Statx) == 256);

}  // namespace uapi
