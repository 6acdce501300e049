// Sync channels: how sync messages travel between peers (spec
// conntrackd.md §1.3, §3.1, §3.6, §5.6).  One Channel per `UDP {}`,
// `Multicast {}` or `TCP {}` block; a ChannelSet holds up to four of them
// (one protocol), sends on the current one and receives on all.
//
// A channel knows nothing about the sync protocol beyond two facts it
// needs for framing: messages are at most kMaxMessage bytes, and a TCP
// stream is cut into messages by the 16-bit big-endian length at bytes
// 2-3 of each header (the receiver does that: see ChannelReceiver).
//
// Batching as upstream's channel buffer: a channel buffers messages up to
// MTU - 28 (UDP, multicast) or MTU - 40 (TCP) bytes; a message is added
// while `buffered + len < size` (strict), otherwise the buffer is sent
// first.  flush() sends what is buffered (the sync mode calls it after
// each pass over its transmit queue).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "conntrackd/config/config.h"
#include "conntrackd/control/stats_format.h"

namespace ctd {

class Daemon;
class EventLoop;

inline constexpr size_t kMaxMessage = 4096;      // one sync message, at most
inline constexpr size_t kChannelRecvBuf = 65536;  // upstream's receive buffer

// Where received bytes go.  `data` is one datagram (UDP, multicast) or the
// bytes of a TCP stream not consumed yet.  Returns how many bytes were
// consumed: a datagram channel drops the rest; the TCP channel keeps the
// unconsumed tail and prepends it to the next read (a partial message).
class ChannelReceiver {
 public:
  virtual ~ChannelReceiver() = default;
  virtual size_t on_channel_data(unsigned channel, std::span<const uint8_t> data) = 0;
  // Two datagrams read back to back, `a` first: the authentication layer
  // verifies their tags together (half the cost of the second one).
  virtual void on_datagram_pair(unsigned channel, std::span<const uint8_t> a, std::span<const uint8_t> b) {
    on_channel_data(channel, a);
    on_channel_data(channel, b);
  }
};

// What a channel calls on each packet it is about to write (a datagram,
// or one buffer of the TCP stream): the authentication layer
// (sync_auth.h) appends its trailer there.  Channels without one write
// exactly what upstream's would.
class PacketSealer {
 public:
  virtual ~PacketSealer() = default;
  // Bytes seal() appends; the channel keeps that much room.
  virtual size_t overhead() const = 0;
  // Appends to buf[0, len) (cap bytes in all); the new length, 0 if it
  // could not.
  virtual size_t seal(uint8_t* buf, size_t len, size_t cap) = 0;
  // Two packets to be written one after the other, `a` first: as seal()
  // on each (*len_a and *len_b become the new lengths, 0 where it could
  // not), but the authentication layer computes both tags at once.
  virtual void seal_pair(uint8_t* a, size_t* len_a, size_t cap_a, uint8_t* b, size_t* len_b, size_t cap_b) {
    *len_a = seal(a, *len_a, cap_a);
    *len_b = seal(b, *len_b, cap_b);
  }
};

// upstream's per-channel counters (-s, -s link).
struct ChannelCounters {
  uint64_t bytes_sent = 0, bytes_recv = 0;
  uint64_t pkts_sent = 0, pkts_recv = 0;
  uint64_t err_send = 0, err_recv = 0;
};

class Channel {
 public:
  virtual ~Channel() = default;
  // Opens the sockets and watches their fds on `loop`; received data goes
  // to rx.  0, or -1 after logging upstream's error line through d.log().
  virtual int open(Daemon& d, EventLoop& loop, ChannelReceiver& rx, unsigned index) = 0;
  virtual void close(EventLoop& loop) = 0;
  // Buffers one message (len <= kMaxMessage); sends the buffer first if
  // the message does not fit.  0 or -errno (counted as a send error).
  virtual int send(std::span<const uint8_t> msg) = 0;
  // Sends whatever is buffered.
  virtual int flush() = 0;
  // True while the interface is both UP and RUNNING (upstream's nlif
  // check), refreshed by ChannelSet from rtnetlink link events.
  virtual bool link_up() const = 0;
  virtual void set_link(unsigned ifflags) = 0;
  virtual int ifindex() const = 0;
  // A byte stream (TCP): the receiver keeps a partial message.
  virtual bool stream() const { return false; }
  // -s / -s link: protocol, device, status, counters (and TCP's
  // server/client state).
  virtual void stats(ChannelStats* out) const = 0;
  virtual const ChannelCounters& counters() const = 0;
  // -s queue's errorq (TCP: buffers kept while disconnected): adds its
  // length and the adds a full queue refused.
  virtual void error_queue_stats(uint32_t* len, uint32_t* no_space) const {
    (void)len;
    (void)no_space;
  }
  // Before open().
  void set_sealer(PacketSealer* s) { sealer_ = s; }

 protected:
  PacketSealer* sealer_ = nullptr;
  size_t seal_overhead() const { return sealer_ ? sealer_->overhead() : 0; }
};

// Creates the channel for one config block (nullptr for kNone).
Channel* channel_create(const Config& cfg, unsigned index);

// The channels of the Sync block, and which one is current (upstream's
// multichannel): sends go to the current channel only; any valid message
// received on channel C makes C current (mark_receiving); when the
// current channel's link goes down the next one that is up takes over,
// round-robin, logging "device 'X' becomes dedicated link" or "no
// dedicated links available!".
class ChannelSet {
 public:
  ChannelSet() = default;
  ~ChannelSet();
  ChannelSet(const ChannelSet&) = delete;
  ChannelSet& operator=(const ChannelSet&) = delete;

  // Opens every channel of cfg and a rtnetlink link monitor.  0 or -1
  // (logged).  The first form uses d.config(); the second takes the
  // configuration on its own (unit tests: a Daemon's is set by run()).
  int open(Daemon& d, EventLoop& loop, ChannelReceiver& rx);
  int open(Daemon& d, const Config& cfg, EventLoop& loop, ChannelReceiver& rx);
  // Every channel opened after this seals its packets with s.
  void set_sealer(PacketSealer* s) { sealer_ = s; }
  void close();
  int send(std::span<const uint8_t> msg);
  int flush();
  // A valid DATA/CTL message arrived on channel i.
  void mark_receiving(unsigned i);
  unsigned size() const { return n_; }
  unsigned current() const { return cur_; }
  Channel* at(unsigned i) const { return i < n_ ? ch_[i] : nullptr; }
  // -s / -s link / -s network: every channel's stats and the current one.
  void fill_stats(SyncStats* s) const;
  // upstream's one error queue: the sum over the channels.
  void error_queue_stats(uint32_t* len, uint32_t* no_space) const;

 private:
  void on_link_event(uint32_t events);
  void check_current();
  Daemon* d_ = nullptr;
  const Config* cfg_ = nullptr;
  EventLoop* loop_ = nullptr;
  Channel* ch_[kMaxChannels] = {};
  unsigned n_ = 0, cur_ = 0;
  int rtnl_ = -1;
  // Sync messages per channel (a packet batches many): the channels count
  // only bytes and packets.
  uint64_t msgs_sent_[kMaxChannels] = {}, msgs_recv_[kMaxChannels] = {};
  PacketSealer* sealer_ = nullptr;
};

}  // namespace ctd
