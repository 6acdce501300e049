// See control_socket.h.
#include "conntrackd/control/control_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

namespace ctd {
namespace {

socklen_t fill_addr(const char* path, sockaddr_un* sa) {
  size_t len = strnlen(path, sizeof(sa->sun_path));
  if (len == 0 || len >= sizeof(sa->sun_path)) return 0;
  *sa = sockaddr_un{};
  sa->sun_family = AF_UNIX;
  std::memcpy(sa->sun_path, path, len);
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
}

// 0 when the path is free (or was a dead socket, now removed), else -errno.
int clear_stale(const char* path, const sockaddr_un& sa, socklen_t salen) {
  struct stat st;
  if (lstat(path, &st) < 0) return errno == ENOENT ? 0 : -errno;
  if (!S_ISSOCK(st.st_mode)) return -EEXIST;  // a symlink, a file: not ours to remove
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return -errno;
  int rc = connect(probe, reinterpret_cast<const sockaddr*>(&sa), salen);
  int err = errno;
  close(probe);
  if (rc == 0) return -EADDRINUSE;  // a live daemon answers there
  if (err != ECONNREFUSED) return -err;
  return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

}  // namespace

int bind_control_socket(const char* path, gid_t group, int backlog) {
  sockaddr_un sa;
  socklen_t salen = fill_addr(path, &sa);
  if (salen == 0) return path[0] == '\0' ? -EINVAL : -ENAMETOOLONG;
  int err = clear_stale(path, sa, salen);
  if (err < 0) return err;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  // The mode comes from the umask at bind(); fchmod() does not reach a
  // socket's file.  Only owner (and group) may connect.
  mode_t old = umask(group == kNoControlGroup ? 0177 : 0117);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&sa), salen);
  umask(old);
  const bool bound = rc == 0;
  if (bound && group != kNoControlGroup &&
      fchownat(AT_FDCWD, path, static_cast<uid_t>(-1), group, AT_SYMLINK_NOFOLLOW) < 0)
    rc = -1;
  if (rc == 0) rc = listen(fd, backlog);
  if (rc < 0) {
    err = -errno;
    close(fd);
    if (bound) unlink(path);  // only a file this call made
    return err;
  }
  return fd;
}

bool peer_allowed(int fd, gid_t group) {
  ucred cr{};
  socklen_t len = sizeof(cr);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || len != sizeof(cr)) return false;
  if (cr.uid == 0 || cr.uid == geteuid()) return true;
  return group != kNoControlGroup && cr.gid == group;
}

}  // namespace ctd
