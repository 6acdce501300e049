// The UDP channel (upstream's udp.c): a server socket bound to
// IPv4_address:Port (or IPv6_address) receives, and a second, unbound
// socket sends to IPv4_Destination_Address:Port.  The receiver does not
// check who sent a datagram, as upstream.
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conntrackd/daemon.h"
#include "conntrackd/event_loop.h"
#include "conntrackd/sync/channel_buffer.h"
#include "conntrackd/sync/channel_datagram.h"
#include "conntrackd/sync/iface.h"

namespace ctd {

namespace {

// sockaddr for an address of the channel config (IPv4 in its first four
// bytes) and a port; the ifindex scopes IPv6 link-local addresses.
socklen_t make_addr(sockaddr_storage* ss, uint8_t family, const uint8_t* a, int port, int ifindex) {
  std::memset(ss, 0, sizeof *ss);
  if (family == AF_INET6) {
    sockaddr_in6* s6 = reinterpret_cast<sockaddr_in6*>(ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(static_cast<uint16_t>(port));
    std::memcpy(&s6->sin6_addr, a, 16);
    s6->sin6_scope_id = static_cast<uint32_t>(ifindex);
    return sizeof *s6;
  }
  sockaddr_in* s4 = reinterpret_cast<sockaddr_in*>(ss);
  s4->sin_family = AF_INET;
  s4->sin_port = htons(static_cast<uint16_t>(port));
  std::memcpy(&s4->sin_addr, a, 4);
  return sizeof *s4;
}

class UdpChannel final : public DatagramChannel {
 public:
  UdpChannel(const Config& cfg, unsigned index) : DatagramChannel(cfg, index, ChannelProto::kUdp) {}

 protected:
  int open_sockets() override {
    const ChannelConfig& c = cc();
    const uint8_t fam = c.family == AF_INET6 ? AF_INET6 : AF_INET;
    rx_fd_ = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (rx_fd_ < 0) return -1;
    int one = 1;
    setsockopt(rx_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (c.rcvbuf > 0) setsockopt(rx_fd_, SOL_SOCKET, SO_RCVBUFFORCE, &c.rcvbuf, sizeof c.rcvbuf);
    sockaddr_storage ss;
    socklen_t sl = make_addr(&ss, fam, c.local, c.port, ifindex());
    if (bind(rx_fd_, reinterpret_cast<sockaddr*>(&ss), sl) < 0) return -1;
    tx_fd_ = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (tx_fd_ < 0) return -1;
    if (!c.checksum) setsockopt(tx_fd_, SOL_SOCKET, SO_NO_CHECK, &one, sizeof one);
    if (c.sndbuf > 0) setsockopt(tx_fd_, SOL_SOCKET, SO_SNDBUFFORCE, &c.sndbuf, sizeof c.sndbuf);
    dest_len_ = make_addr(&dest_, fam, c.dest, c.port, ifindex());
    return 0;
  }
};

}  // namespace

Channel* channel_create_udp(const Config& cfg, unsigned index) { return new UdpChannel(cfg, index); }

}  // namespace ctd
