#include "netlink/cbpf.h"

#include <cerrno>
#include <sys/socket.h>

namespace nl::cbpf {
namespace {

struct Fprog {  // struct sock_fprog
  unsigned short len;
  const Insn* filter;
};
constexpr int kSoAttachFilter = 26;

}  // namespace

int attach(int fd, const Insn* prog, size_t n) {
  if (n == 0 || n > kMaxInsns) return -EINVAL;
  Fprog fp{static_cast<unsigned short>(n), prog};
  if (setsockopt(fd, SOL_SOCKET, kSoAttachFilter, &fp, sizeof fp) < 0) return -errno;
  return 0;
}

}  // namespace nl::cbpf
