// A NETLINK_NETFILTER socket: open, bind, send, receive, buffer sizing.
// It knows nothing about conntrack; see dump.h for the receive loop.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <sys/types.h>

namespace nl {

class Socket {
 public:
  Socket() = default;
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Opens and binds (groups is the legacy bitmask; 0 for none).  Returns 0
  // or -errno.  Extended acks are requested when the kernel has them.
  int open(uint32_t groups = 0);
  // Takes over an open descriptor instead: the unit tests' fake kernel,
  // one end of an AF_UNIX datagram socketpair (its sender reads as port
  // id 0, as the kernel does), so replies can be scripted byte by byte.
  void adopt(int fd, uint32_t portid) {
    close();
    fd_ = fd;
    portid_ = portid;
  }
  void close();
  int fd() const { return fd_; }
  uint32_t portid() const { return portid_; }
  uint32_t next_seq() { return ++seq_; }
  void set_seq(uint32_t seq) { seq_ = seq; }

  // Joins multicast group `group` (1-based).  0 or -errno.
  int join_group(uint32_t group);
  // Sets SO_RCVBUF; with force, tries SO_RCVBUFFORCE first (root can go
  // past net.core.rmem_max).  Returns the size the kernel reports back.
  int set_rcvbuf(size_t bytes, bool force);
  int rcvbuf() const;
  // NETLINK_NO_ENOBUFS etc.
  int set_opt(int opt, int value);

  // Sends one buffer (possibly many messages) to the kernel.  0 or -errno.
  int send(std::span<const uint8_t> buf);
  // Receives one datagram; returns its length or -errno (EINTR retried).
  // A datagram longer than `buf` is reported as -EMSGSIZE.
  ssize_t recv(uint8_t* buf, size_t cap);

 private:
  int fd_ = -1;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
};

}  // namespace nl
