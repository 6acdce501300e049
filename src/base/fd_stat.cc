#include "base/fd_stat.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "statx_uapi.h"

namespace base {

bool fd_stat(int fd, FdStat& out) {
  uapi::Statx sx{};
  if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, uapi::kStatxIno, &sx) != 0) return false;
  out.dev = uint64_t{sx.dev_major} << 32 | sx.dev_minor;
  out.ino = sx.ino;
  out.blksize = sx.blksize;
  return true;
}

}  // namespace base
