// The client side of the control socket; see control_client.h.
#include "conntrackd/control/control_client.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "base/out_buf.h"
#include "conntrackd/control/client_args.h"
#include "conntrackd/daemon.h"

namespace ctd {

int control_request(const char* path, int request_code, int out_fd) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  size_t len = strnlen(path, sizeof(sa.sun_path));
  if (len == 0 || len >= sizeof(sa.sun_path)) return -ENAMETOOLONG;
  std::memcpy(sa.sun_path, path, len);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  socklen_t salen = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  int rc;
  do {
    rc = connect(fd, reinterpret_cast<sockaddr*>(&sa), salen);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  ssize_t n;
  do {
    n = send(fd, &request_code, sizeof(request_code), MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  // Copy until EOF (or an error, which upstream treats as the end too).
  char buf[16384];
  for (;;) {
    ssize_t r = recv(fd, buf, sizeof(buf), 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (!base::write_all(out_fd, buf, static_cast<size_t>(r))) break;
  }
  close(fd);
  return 0;
}

int control_client_main(const Config& cfg, int request_code, bool /*xml*/) {
  if (control_request(cfg.unix_path, request_code, STDOUT_FILENO) < 0) {
    console_log(3, "can't connect: is conntrackd running? appropriate permissions?");
    return 1;
  }
  return 0;
}

}  // namespace ctd
