// What the UDP and multicast channels share: one receiving and one sending
// datagram socket, the MTU-sized send buffer, counters and the receive
// loop.  A subclass opens the two sockets and sets the destination.
#pragma once
#include <sys/socket.h>

#include "conntrackd/sync/channel.h"
#include "conntrackd/sync/channel_buffer.h"

namespace ctd {

class DatagramChannel : public Channel {
 public:
  DatagramChannel(const Config& cfg, unsigned index, ChannelProto proto)
      : cfg_(cfg), index_(index), proto_(proto) {}
  ~DatagramChannel() override;

  int open(Daemon& d, EventLoop& loop, ChannelReceiver& rx, unsigned index) override;
  void close(EventLoop& loop) override;
  int send(std::span<const uint8_t> msg) override;
  int flush() override;
  bool link_up() const override;
  void set_link(unsigned ifflags) override { ifflags_ = ifflags; }
  int ifindex() const override { return ifindex_; }
  void stats(ChannelStats* out) const override;
  const ChannelCounters& counters() const override { return cnt_; }

 protected:
  virtual int open_sockets() = 0;  // 0 or -1 with errno set
  const ChannelConfig& cc() const { return cfg_.channels[index_]; }
  int rx_fd_ = -1, tx_fd_ = -1;
  sockaddr_storage dest_{};
  socklen_t dest_len_ = 0;

 private:
  void on_readable(uint32_t events);
  // One datagram into buf (kChannelRecvBuf bytes), counted: its length,
  // or -1 when none is queued (or an error, counted).
  ssize_t recv_one(uint8_t* buf);
  // A full batch: sent at once, or (sealed channels) kept in held_ until
  // the next one is full too, so that the two are sealed as a pair.
  int flush_full();
  int send_sealed(ChannelBuffer& b);
  int send_pair();
  int transmit(std::span<const uint8_t> d);
  const Config& cfg_;
  unsigned index_;
  ChannelProto proto_;
  ChannelReceiver* rx_ = nullptr;
  EventLoop* loop_ = nullptr;
  int ifindex_ = 0;
  unsigned ifflags_ = 0;
  ChannelBuffer buf_;
  ChannelBuffer held_;  // sealed channels only: a full batch, sent before buf_
  ChannelCounters cnt_;
};

// The header sizes upstream subtracts from the MTU.
inline constexpr int kUdpOverhead = 28;  // IPv4 + UDP
inline constexpr int kTcpOverhead = 40;  // IPv4 + TCP
// A sealed channel's batch must still hold a sync header.
inline constexpr size_t kHdrReserve = 8;

}  // namespace ctd
