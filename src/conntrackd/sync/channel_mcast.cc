// The multicast channel (upstream's mcast.c): the server socket binds the
// wildcard address on the Group port and joins the group on
// IPv4_interface (IPv6: on the Interface's index); the client sends to the
// group with loopback off, from that interface, TTL left at 1.
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>

#include "conntrackd/sync/channel_datagram.h"

namespace ctd {

namespace {

class McastChannel final : public DatagramChannel {
 public:
  McastChannel(const Config& cfg, unsigned index) : DatagramChannel(cfg, index, ChannelProto::kMulticast) {}

 protected:
  int open_sockets() override { return cc().family == AF_INET6 ? open6() : open4(); }

 private:
  // Upstream sets up the sending socket first, and when its multicast
  // options fail (an IPv4_interface that is not local, say) it closes
  // the socket twice, so the start-up error always reads "Bad file
  // descriptor"; the drop-in fails in the same order with the same words.
  static int tx_failed() {
    errno = EBADF;
    return -1;
  }

  int common(int fam) {
    const ChannelConfig& c = cc();
    rx_fd_ = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (rx_fd_ < 0) return -1;
    int one = 1;
    setsockopt(rx_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (c.rcvbuf > 0) setsockopt(rx_fd_, SOL_SOCKET, SO_RCVBUFFORCE, &c.rcvbuf, sizeof c.rcvbuf);
    tx_fd_ = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (tx_fd_ < 0) return -1;
    if (!c.checksum) setsockopt(tx_fd_, SOL_SOCKET, SO_NO_CHECK, &one, sizeof one);
    if (c.sndbuf > 0) setsockopt(tx_fd_, SOL_SOCKET, SO_SNDBUFFORCE, &c.sndbuf, sizeof c.sndbuf);
    return 0;
  }

  int open4() {
    const ChannelConfig& c = cc();
    if (common(AF_INET) < 0) return -1;
    const unsigned char no = 0;
    if (setsockopt(tx_fd_, IPPROTO_IP, IP_MULTICAST_LOOP, &no, sizeof no) < 0) return tx_failed();
    in_addr ifa;
    std::memcpy(&ifa, c.mcast_iface, 4);
    if (setsockopt(tx_fd_, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof ifa) < 0) return tx_failed();
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(c.port));
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(rx_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return -1;
    ip_mreq mr{};
    std::memcpy(&mr.imr_multiaddr, c.local, 4);
    std::memcpy(&mr.imr_interface, c.mcast_iface, 4);
    if (setsockopt(rx_fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) return -1;
    sockaddr_in* d = reinterpret_cast<sockaddr_in*>(&dest_);
    d->sin_family = AF_INET;
    d->sin_port = htons(static_cast<uint16_t>(c.port));
    std::memcpy(&d->sin_addr, c.local, 4);
    dest_len_ = sizeof *d;
    return 0;
  }

  int open6() {
    const ChannelConfig& c = cc();
    if (common(AF_INET6) < 0) return -1;
    const int no = 0;
    if (setsockopt(tx_fd_, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &no, sizeof no) < 0) return tx_failed();
    const int idx = ifindex();
    if (setsockopt(tx_fd_, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx) < 0) return tx_failed();
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(static_cast<uint16_t>(c.port));
    sa.sin6_addr = in6addr_any;
    if (bind(rx_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return -1;
    ipv6_mreq mr{};
    std::memcpy(&mr.ipv6mr_multiaddr, c.local, 16);
    mr.ipv6mr_interface = static_cast<unsigned>(ifindex());
    if (setsockopt(rx_fd_, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof mr) < 0) return -1;
    sockaddr_in6* d = reinterpret_cast<sockaddr_in6*>(&dest_);
    d->sin6_family = AF_INET6;
    d->sin6_port = htons(static_cast<uint16_t>(c.port));
    std::memcpy(&d->sin6_addr, c.local, 16);
    d->sin6_scope_id = static_cast<uint32_t>(idx);
    dest_len_ = sizeof *d;
    return 0;
  }
};

}  // namespace

Channel* channel_create_mcast(const Config& cfg, unsigned index) { return new McastChannel(cfg, index); }

}  // namespace ctd
