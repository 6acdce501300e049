#include "conntrackd/sd_notify.h"

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string_view>

#include "base/c_strto.h"
#include "base/line_reader.h"

namespace ctd {

int sd_notify_send(std::string_view msg) {
  const char* path = getenv("NOTIFY_SOCKET");
  if (!path || !path[0]) return 0;
  size_t plen = strlen(path);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (plen >= sizeof sa.sun_path || (path[0] != '/' && path[0] != '@')) return -EINVAL;
  memcpy(sa.sun_path, path, plen);
  if (path[0] == '@') sa.sun_path[0] = '\0';
  socklen_t salen = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + plen +
                                           (path[0] == '@' ? 0 : 1));
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  ssize_t n = sendto(fd, msg.data(), msg.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sa),
                     salen);
  int err = n < 0 ? -errno : 1;
  close(fd);
  return err;
}

uint64_t sd_watchdog_usec() {
  const char* us = getenv("WATCHDOG_USEC");
  if (!us || !us[0]) return 0;
  const char* pid = getenv("WATCHDOG_PID");
  if (pid && pid[0] && base::c_strtol(pid, nullptr, 10) != getpid()) return 0;
  // strtoull(us, &end, 10) with nothing after the number.
  const char* p = us;
  while (*p == ' ' || (*p >= '\t' && *p <= '\r')) ++p;
  uint64_t v;
  bool neg;
  std::string_view digits(p);
  if (base::scan_number(digits, 10, v, neg) != digits.size()) return 0;
  return neg ? 0 - v : v;
}

}  // namespace ctd
