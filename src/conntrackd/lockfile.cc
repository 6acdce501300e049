#include "conntrackd/lockfile.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace ctd {

int lockfile_create(const char* path) {
  int fd = open(path, O_CREAT | O_EXCL | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return -errno;
  close(fd);
  return 0;
}

void lockfile_remove(const char* path) {
  if (path && path[0]) unlink(path);
}

}  // namespace ctd
