#include "conntrackd/sync/channel_datagram.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <net/if.h>
#include <unistd.h>

#include "conntrackd/daemon.h"
#include "conntrackd/event_loop.h"
#include "conntrackd/sync/iface.h"

namespace ctd {

namespace {
alignas(8) uint8_t g_rxbuf[kChannelRecvBuf];  // one loop, one read at a time
}  // namespace

DatagramChannel::~DatagramChannel() {
  if (rx_fd_ >= 0) ::close(rx_fd_);
  if (tx_fd_ >= 0) ::close(tx_fd_);
}

int DatagramChannel::open(Daemon& d, EventLoop& loop, ChannelReceiver& rx, unsigned index) {
  (void)d;
  index_ = index;
  rx_ = &rx;
  const ChannelConfig& c = cc();
  ifindex_ = iface_index(c.ifname);
  const int mtu = iface_mtu(c.ifname);
  if (ifindex_ == 0 || mtu <= kUdpOverhead) {
    // upstream: an unset Interface fails with ENOENT, an unknown one ENODEV
    errno = c.ifname[0] ? ENODEV : ENOENT;
    return -1;
  }
  ifflags_ = iface_flags(c.ifname);
  const size_t seal = seal_overhead();
  if (static_cast<size_t>(mtu - kUdpOverhead) <= seal + kHdrReserve) {
    errno = EMSGSIZE;
    return -1;
  }
  // Sealed packets keep the MTU: the batch shrinks by the trailer.
  const size_t batch = static_cast<size_t>(mtu - kUdpOverhead) - seal;
  if (!buf_.init(batch, seal ? std::max(batch, kMaxMessage) + seal : batch)) return -1;
  if (open_sockets() < 0) return -1;
  if (loop.watch<&DatagramChannel::on_readable>(rx_fd_, this) < 0) return -1;
  loop_ = &loop;
  return 0;
}

void DatagramChannel::close(EventLoop& loop) {
  if (rx_fd_ >= 0) loop.unwatch(rx_fd_);
  loop_ = nullptr;
}

int DatagramChannel::flush() {
  if (buf_.empty()) return 0;
  std::span<const uint8_t> d = buf_.data();
  if (sealer_) {
    const size_t n = sealer_->seal(buf_.raw(), d.size(), buf_.capacity());
    if (n == 0) {
      buf_.clear();
      cnt_.err_send++;
      return -EIO;
    }
    d = {buf_.raw(), n};
  }
  const ssize_t n = sendto(tx_fd_, d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&dest_), dest_len_);
  buf_.clear();
  if (n < 0) {
    cnt_.err_send++;
    return -errno;
  }
  cnt_.bytes_sent += static_cast<uint64_t>(n);
  cnt_.pkts_sent++;
  return 0;
}

int DatagramChannel::send(std::span<const uint8_t> msg) {
  if (msg.size() > kMaxMessage) {
    cnt_.err_send++;
    return -EMSGSIZE;
  }
  if (!buf_.fits(msg.size())) {
    int r = flush();
    if (!buf_.fits(msg.size()) && sealer_) {
      buf_.put_alone(msg);  // sealed on its own
      const int e = flush();
      return r ? r : e;
    }
    if (!buf_.fits(msg.size())) {
      // Larger than the link's payload: sent alone, as upstream's buffer
      // would (it is only a batching aid).
      const ssize_t n = sendto(tx_fd_, msg.data(), msg.size(), 0, reinterpret_cast<const sockaddr*>(&dest_), dest_len_);
      if (n < 0) {
        cnt_.err_send++;
        return -errno;
      }
      cnt_.bytes_sent += static_cast<uint64_t>(n);
      cnt_.pkts_sent++;
      return r;
    }
  }
  buf_.add(msg);
  return 0;
}

void DatagramChannel::on_readable(uint32_t) {
  const unsigned limit = cfg_.event_iterations_limit ? cfg_.event_iterations_limit : 100;
  for (unsigned k = 0; k < limit; k++) {
    const ssize_t n = recv(rx_fd_, g_rxbuf, sizeof g_rxbuf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) cnt_.err_recv++;
      return;
    }
    cnt_.bytes_recv += static_cast<uint64_t>(n);
    cnt_.pkts_recv++;
    rx_->on_channel_data(index_, {g_rxbuf, static_cast<size_t>(n)});
  }
}

bool DatagramChannel::link_up() const { return (ifflags_ & IFF_UP) && (ifflags_ & IFF_RUNNING); }

void DatagramChannel::stats(ChannelStats* out) const {
  out->proto = proto_;
  std::memcpy(out->ifname, cc().ifname, sizeof(out->ifname));
  out->ifname[sizeof(out->ifname) - 1] = '\0';
  out->status = !(ifflags_ & IFF_UP) ? "DOWN" : (ifflags_ & IFF_RUNNING) ? "RUNNING" : "NO-CARRIER";
  out->bytes_sent = cnt_.bytes_sent;
  out->bytes_recv = cnt_.bytes_recv;
  out->pkts_sent = cnt_.pkts_sent;
  out->pkts_recv = cnt_.pkts_recv;
  out->err_sent = cnt_.err_send;
  out->err_recv = cnt_.err_recv;
}

}  // namespace ctd
