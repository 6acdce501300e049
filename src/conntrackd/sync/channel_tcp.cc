// The TCP channel (upstream's tcp.c and channel_tcp.c): two one-way
// connections per pair of peers.  Each node listens on IPv4_address:Port
// (backlog 1; a new connection replaces the session) and receives there;
// it sends over its own client connection to IPv4_Destination_Address.
// The client connects without blocking, at most once a second; what cannot
// be written meanwhile waits in the error queue (ErrorQueueLength buffers,
// the oldest dropped when full) and goes out first, in order.  The stream
// is cut into messages by the receiver, which keeps a partial message for
// the next read.
#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conntrackd/daemon.h"
#include "conntrackd/event_loop.h"
#include "conntrackd/sync/channel.h"
#include "conntrackd/sync/channel_buffer.h"
#include "conntrackd/sync/channel_datagram.h"
#include "conntrackd/sync/iface.h"

namespace ctd {

namespace {

int64_t mono_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

socklen_t tcp_addr(sockaddr_storage* ss, uint8_t family, const uint8_t* a, int port, int ifindex) {
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

// Bounded FIFO of byte chunks (the error queue), one slab allocated once.
class ErrorQueue {
 public:
  ~ErrorQueue() { free(mem_); }
  bool init(unsigned slots, size_t slot_size) {
    mem_ = static_cast<uint8_t*>(malloc(size_t{slots} * slot_size + slots * sizeof(size_t)));
    if (!mem_) return false;
    lens_ = reinterpret_cast<size_t*>(mem_ + size_t{slots} * slot_size);
    slots_ = slots;
    slot_size_ = slot_size;
    return true;
  }
  // Drops the oldest chunk when full (counted).
  void push(std::span<const uint8_t> d) {
    if (d.size() > slot_size_ || slots_ == 0) return;
    if (n_ == slots_) {
      pop();
      dropped_++;
    }
    const unsigned i = (head_ + n_) % slots_;
    std::memcpy(mem_ + size_t{i} * slot_size_, d.data(), d.size());
    lens_[i] = d.size();
    n_++;
  }
  std::span<const uint8_t> front() const { return {mem_ + size_t{head_} * slot_size_, lens_[head_]}; }
  // The first `k` bytes of the front chunk were written.
  void consume(size_t k) {
    uint8_t* p = mem_ + size_t{head_} * slot_size_;
    std::memmove(p, p + k, lens_[head_] - k);
    lens_[head_] -= k;
    if (lens_[head_] == 0) pop();
  }
  void pop() {
    head_ = (head_ + 1) % slots_;
    n_--;
  }
  unsigned size() const { return n_; }
  bool empty() const { return n_ == 0; }
  unsigned dropped() const { return dropped_; }

 private:
  uint8_t* mem_ = nullptr;
  size_t* lens_ = nullptr;
  unsigned slots_ = 0, head_ = 0, n_ = 0, dropped_ = 0;
  size_t slot_size_ = 0;
};

class TcpChannel final : public Channel {
 public:
  TcpChannel(const Config& cfg, unsigned index) : cfg_(cfg), index_(index) {}
  ~TcpChannel() override {
    for (int fd : {listen_fd_, server_fd_, client_fd_})
      if (fd >= 0) ::close(fd);
    free(rx_);
  }

  int open(Daemon& d, EventLoop& loop, ChannelReceiver& rx, unsigned index) override {
    (void)d;
    index_ = index;
    rxr_ = &rx;
    loop_ = &loop;
    const ChannelConfig& c = cfg_.channels[index_];
    ifindex_ = iface_index(c.ifname);
    const int mtu = iface_mtu(c.ifname);
    if (ifindex_ == 0 || mtu <= kTcpOverhead) {
      // as the datagram channels: no Interface at all is ENOENT
      errno = c.ifname[0] ? ENODEV : ENOENT;
      return -1;
    }
    ifflags_ = iface_flags(c.ifname);
    fam_ = c.family == AF_INET6 ? AF_INET6 : AF_INET;
    const size_t seal = seal_overhead();
    if (static_cast<size_t>(mtu - kTcpOverhead) <= seal + kHdrReserve) {
      errno = EMSGSIZE;
      return -1;
    }
    const size_t batch = static_cast<size_t>(mtu - kTcpOverhead) - seal;
    if (!buf_.init(batch, seal ? std::max(batch, kMaxMessage) + seal : batch) ||
        !errq_.init(cfg_.error_queue_length ? cfg_.error_queue_length : 128, buf_.capacity() + kMaxMessage))
      return -1;
    rx_ = static_cast<uint8_t*>(malloc(kChannelRecvBuf));
    if (!rx_) return -1;
    listen_fd_ = socket(fam_, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listen_fd_ < 0) return -1;
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(listen_fd_, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    if (c.rcvbuf > 0) setsockopt(listen_fd_, SOL_SOCKET, SO_RCVBUFFORCE, &c.rcvbuf, sizeof c.rcvbuf);
    sockaddr_storage ss;
    const socklen_t sl = tcp_addr(&ss, fam_, c.local, c.port, ifindex_);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&ss), sl) < 0 || listen(listen_fd_, 1) < 0) return -1;
    if (loop.watch<&TcpChannel::on_accept>(listen_fd_, this) < 0) return -1;
    dest_len_ = tcp_addr(&dest_, fam_, c.dest, c.port, ifindex_);
    try_connect();
    return 0;
  }

  void close(EventLoop& loop) override {
    for (int fd : {listen_fd_, server_fd_, client_fd_})
      if (fd >= 0) loop.unwatch(fd);
    loop_ = nullptr;
  }

  int send(std::span<const uint8_t> msg) override {
    if (msg.size() > kMaxMessage) {
      cnt_.err_send++;
      return -EMSGSIZE;
    }
    if (!buf_.fits(msg.size())) flush();
    if (!buf_.fits(msg.size()) && sealer_) {
      buf_.put_alone(msg);  // sealed on its own
      return flush();
    }
    if (!buf_.add(msg)) {
      write_out(msg);  // bigger than the buffer: on its own
      return 0;
    }
    return 0;
  }

  int flush() override {
    if (buf_.empty()) return 0;
    if (sealer_) {
      const size_t n = sealer_->seal(buf_.raw(), buf_.data().size(), buf_.capacity());
      if (n) write_out({buf_.raw(), n});
      else cnt_.err_send++;
      buf_.clear();
      return n ? 0 : -EIO;
    }
    write_out(buf_.data());
    buf_.clear();
    return 0;
  }

  bool link_up() const override { return (ifflags_ & IFF_UP) && (ifflags_ & IFF_RUNNING); }
  void set_link(unsigned f) override { ifflags_ = f; }
  int ifindex() const override { return ifindex_; }
  bool stream() const override { return true; }

  void stats(ChannelStats* o) const override {
    o->proto = ChannelProto::kTcp;
    std::memcpy(o->ifname, cfg_.channels[index_].ifname, sizeof(o->ifname));
    o->ifname[sizeof(o->ifname) - 1] = '\0';
    o->status = !(ifflags_ & IFF_UP) ? "DOWN" : (ifflags_ & IFF_RUNNING) ? "RUNNING" : "NO-CARRIER";
    o->tcp_server_connected = server_fd_ >= 0;
    o->tcp_client_connected = connected_;
    o->bytes_sent = cnt_.bytes_sent;
    o->bytes_recv = cnt_.bytes_recv;
    o->pkts_sent = cnt_.pkts_sent;
    o->pkts_recv = cnt_.pkts_recv;
    o->err_sent = cnt_.err_send;
    o->err_recv = cnt_.err_recv;
  }
  const ChannelCounters& counters() const override { return cnt_; }
  void error_queue_stats(uint32_t* len, uint32_t* no_space) const override {
    *len += errq_.size();
    *no_space += errq_.dropped();
  }

 private:
  // At most one attempt a second, as upstream.
  void try_connect() {
    if (client_fd_ >= 0) return;
    const int64_t now = mono_ms();
    if (last_connect_ms_ && now - last_connect_ms_ < 1000) return;
    last_connect_ms_ = now;
    client_fd_ = socket(fam_, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (client_fd_ < 0) return;
    const ChannelConfig& c = cfg_.channels[index_];
    int one = 1;
    setsockopt(client_fd_, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    setsockopt(client_fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (c.sndbuf > 0) setsockopt(client_fd_, SOL_SOCKET, SO_SNDBUFFORCE, &c.sndbuf, sizeof c.sndbuf);
    const int r = connect(client_fd_, reinterpret_cast<sockaddr*>(&dest_), dest_len_);
    if (r < 0 && errno != EINPROGRESS) {
      ::close(client_fd_);
      client_fd_ = -1;
      return;
    }
    connected_ = r == 0;
    if (loop_) loop_->watch<&TcpChannel::on_client>(client_fd_, this, EPOLLOUT | EPOLLIN);
  }

  void drop_client() {
    if (client_fd_ < 0) return;
    if (loop_) loop_->unwatch(client_fd_);
    ::close(client_fd_);
    client_fd_ = -1;
    connected_ = false;
  }

  // Writes what it can; the rest (and everything while not connected)
  // waits in the error queue.
  void write_out(std::span<const uint8_t> d) {
    if (!connected_ || !errq_.empty()) {
      errq_.push(d);
      try_connect();
      return;
    }
    const ssize_t n = ::send(client_fd_, d.data(), d.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        cnt_.err_send++;
        drop_client();  // EPIPE, ECONNRESET...: a new client socket next time
      }
      errq_.push(d);
      arm_write();
      return;
    }
    cnt_.bytes_sent += static_cast<uint64_t>(n);
    cnt_.pkts_sent++;
    if (static_cast<size_t>(n) < d.size()) {
      errq_.push(d.subspan(static_cast<size_t>(n)));
      arm_write();
    }
  }

  void arm_write() {
    if (client_fd_ >= 0 && loop_) loop_->modify(client_fd_, EPOLLIN | EPOLLOUT);
  }

  void drain_errq() {
    while (connected_ && !errq_.empty()) {
      std::span<const uint8_t> d = errq_.front();
      const ssize_t n = ::send(client_fd_, d.data(), d.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          cnt_.err_send++;
          drop_client();
        }
        return;
      }
      cnt_.bytes_sent += static_cast<uint64_t>(n);
      cnt_.pkts_sent++;
      errq_.consume(static_cast<size_t>(n));
    }
    if (connected_ && errq_.empty() && loop_) loop_->modify(client_fd_, EPOLLIN);
  }

  void on_client(uint32_t ev) {
    if (ev & (EPOLLERR | EPOLLHUP)) {
      drop_client();
      return;
    }
    if (ev & EPOLLIN) {
      // The peer never writes on our client connection; EOF means it left.
      uint8_t junk[256];
      const ssize_t n = recv(client_fd_, junk, sizeof junk, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        drop_client();
        return;
      }
    }
    if (ev & EPOLLOUT) {
      if (!connected_) {
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(client_fd_, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) {
          drop_client();
          return;
        }
        connected_ = true;
      }
      drain_errq();
    }
  }

  void on_accept(uint32_t) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    if (server_fd_ >= 0) {  // a new connection replaces the session
      loop_->unwatch(server_fd_);
      ::close(server_fd_);
    }
    server_fd_ = fd;
    pending_ = 0;
    loop_->watch<&TcpChannel::on_server>(server_fd_, this);
  }

  void on_server(uint32_t) {
    const unsigned limit = cfg_.event_iterations_limit ? cfg_.event_iterations_limit : 100;
    for (unsigned k = 0; k < limit && server_fd_ >= 0; k++) {
      const ssize_t n = recv(server_fd_, rx_ + pending_, kChannelRecvBuf - pending_, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        if (n < 0) cnt_.err_recv++;
        loop_->unwatch(server_fd_);
        ::close(server_fd_);
        server_fd_ = -1;
        pending_ = 0;
        return;
      }
      if (n < 0) return;
      cnt_.bytes_recv += static_cast<uint64_t>(n);
      cnt_.pkts_recv++;
      const size_t have = pending_ + static_cast<size_t>(n);
      size_t used = rxr_->on_channel_data(index_, {rx_, have});
      if (used > have) used = have;
      pending_ = have - used;
      if (pending_ == kChannelRecvBuf) pending_ = 0;  // no message is that long: resync on the next
      if (pending_) std::memmove(rx_, rx_ + used, pending_);
    }
  }

  const Config& cfg_;
  unsigned index_;
  ChannelReceiver* rxr_ = nullptr;
  EventLoop* loop_ = nullptr;
  int ifindex_ = 0;
  unsigned ifflags_ = 0;
  int fam_ = AF_INET;
  int listen_fd_ = -1, server_fd_ = -1, client_fd_ = -1;
  bool connected_ = false;
  int64_t last_connect_ms_ = 0;
  sockaddr_storage dest_{};
  socklen_t dest_len_ = 0;
  ChannelBuffer buf_;
  ErrorQueue errq_;
  uint8_t* rx_ = nullptr;
  size_t pending_ = 0;
  ChannelCounters cnt_;
};

}  // namespace

Channel* channel_create_tcp(const Config& cfg, unsigned index) { return new TcpChannel(cfg, index); }

}  // namespace ctd
