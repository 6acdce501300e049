#include "netlink/socket.h"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

#include "nl_uapi.h"

namespace nl {

Socket::~Socket() { close(); }

void Socket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int Socket::open(uint32_t groups) {
  close();
  fd_ = ::socket(uapi::kAfNetlink, SOCK_RAW | SOCK_CLOEXEC, uapi::kNetlinkNetfilter);
  if (fd_ < 0) return -errno;
  uapi::SockaddrNl sa{};
  sa.family = uapi::kAfNetlink;
  sa.groups = groups;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    int e = errno;
    close();
    return -e;
  }
  socklen_t sl = sizeof sa;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &sl) < 0) {
    int e = errno;
    close();
    return -e;
  }
  portid_ = sa.pid;
  // Extended acks give the kernel's own reason for EINVAL and friends;
  // old kernels lack them, which is fine.
  set_opt(uapi::kNetlinkExtAck, 1);
  return 0;
}

int Socket::set_opt(int opt, int value) {
  if (::setsockopt(fd_, uapi::kSolNetlink, opt, &value, sizeof value) < 0) return -errno;
  return 0;
}

int Socket::join_group(uint32_t group) {
  return set_opt(uapi::kNetlinkAddMembership, static_cast<int>(group));
}

int Socket::set_rcvbuf(size_t bytes, bool force) {
  int v = bytes > 0x7fffffff ? 0x7fffffff : static_cast<int>(bytes);
  if (!force || ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) < 0)
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  return rcvbuf();
}

int Socket::rcvbuf() const {
  int v = 0;
  socklen_t l = sizeof v;
  if (::getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &v, &l) < 0) return -errno;
  return v;
}

int Socket::send(std::span<const uint8_t> buf) {
  uapi::SockaddrNl sa{};
  sa.family = uapi::kAfNetlink;
  for (;;) {
    ssize_t n = ::sendto(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    if (n >= 0) return 0;
    if (errno != EINTR) return -errno;
  }
}

ssize_t Socket::recv(uint8_t* buf, size_t cap) {
  for (;;) {
    iovec iov{buf, cap};
    uapi::SockaddrNl sa{};
    msghdr mh{};
    mh.msg_name = &sa;
    mh.msg_namelen = sizeof sa;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    ssize_t n = ::recvmsg(fd_, &mh, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (mh.msg_flags & MSG_TRUNC) return -EMSGSIZE;
    // Only the kernel (port 0) may talk to us.
    if (sa.pid != 0) continue;
    return n;
  }
}

}  // namespace nl
