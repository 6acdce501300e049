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
// One loop, one read at a time; two, so that two datagrams can be handed
// on together (ChannelReceiver::on_datagram_pair).
alignas(8) uint8_t g_rxbuf[2][kChannelRecvBuf];
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
  if (seal && !held_.init(batch, std::max(batch, kMaxMessage) + seal)) return -1;
  if (open_sockets() < 0) return -1;
  if (loop.watch<&DatagramChannel::on_readable>(rx_fd_, this) < 0) return -1;
  loop_ = &loop;
  return 0;
}

void DatagramChannel::close(EventLoop& loop) {
  if (rx_fd_ >= 0) loop.unwatch(rx_fd_);
  loop_ = nullptr;
}

int DatagramChannel::transmit(std::span<const uint8_t> d) {
  const ssize_t n = sendto(tx_fd_, d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&dest_), dest_len_);
  if (n < 0) {
    cnt_.err_send++;
    return -errno;
  }
  cnt_.bytes_sent += static_cast<uint64_t>(n);
  cnt_.pkts_sent++;
  return 0;
}

int DatagramChannel::send_sealed(ChannelBuffer& b) {
  const size_t n = sealer_->seal(b.raw(), b.data().size(), b.capacity());
  b.clear();
  if (n == 0) {
    cnt_.err_send++;
    return -EIO;
  }
  return transmit({b.raw(), n});
}

int DatagramChannel::send_pair() {
  size_t na = held_.data().size(), nb = buf_.data().size();
  sealer_->seal_pair(held_.raw(), &na, held_.capacity(), buf_.raw(), &nb, buf_.capacity());
  held_.clear();
  buf_.clear();
  int r = 0;
  if (na == 0) {
    cnt_.err_send++;
    r = -EIO;
  } else {
    r = transmit({held_.raw(), na});
  }
  if (nb == 0) {
    cnt_.err_send++;
    return r ? r : -EIO;
  }
  const int e = transmit({buf_.raw(), nb});
  return r ? r : e;
}

int DatagramChannel::flush() {
  if (!sealer_) {
    if (buf_.empty()) return 0;
    const int r = transmit(buf_.data());
    buf_.clear();
    return r;
  }
  if (held_.empty()) return buf_.empty() ? 0 : send_sealed(buf_);
  if (buf_.empty()) return send_sealed(held_);
  return send_pair();
}

int DatagramChannel::flush_full() {
  if (!sealer_ || !held_.empty()) return flush();
  held_.swap(buf_);  // buf_ is now held_'s empty buffer
  return 0;
}

int DatagramChannel::send(std::span<const uint8_t> msg) {
  if (msg.size() > kMaxMessage) {
    cnt_.err_send++;
    return -EMSGSIZE;
  }
  if (!buf_.fits(msg.size())) {
    int r = flush_full();
    if (!buf_.fits(msg.size()) && sealer_) {
      buf_.put_alone(msg);  // larger than a batch: a packet of its own
      const int e = flush();
      return r ? r : e;
    }
    if (!buf_.fits(msg.size())) {
      // Larger than the link's payload: sent alone, as upstream's buffer
      // would (it is only a batching aid).
      const int e = transmit(msg);
      return e ? e : r;
    }
  }
  buf_.add(msg);
  return 0;
}

ssize_t DatagramChannel::recv_one(uint8_t* buf) {
  const ssize_t n = recv(rx_fd_, buf, kChannelRecvBuf, MSG_DONTWAIT);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) cnt_.err_recv++;
    return -1;
  }
  cnt_.bytes_recv += static_cast<uint64_t>(n);
  cnt_.pkts_recv++;
  return n;
}

void DatagramChannel::on_readable(uint32_t) {
  const unsigned limit = cfg_.event_iterations_limit ? cfg_.event_iterations_limit : 100;
  for (unsigned k = 0; k < limit; k++) {
    const ssize_t n = recv_one(g_rxbuf[0]);
    if (n < 0) return;
    // A second datagram already queued goes with this one.
    const ssize_t m = k + 1 < limit ? recv_one(g_rxbuf[1]) : -1;
    if (m < 0) {
      rx_->on_channel_data(index_, {g_rxbuf[0], static_cast<size_t>(n)});
      if (k + 1 < limit) return;  // nothing more queued
      continue;
    }
    k++;
    rx_->on_datagram_pair(index_, {g_rxbuf[0], static_cast<size_t>(n)}, {g_rxbuf[1], static_cast<size_t>(m)});
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
