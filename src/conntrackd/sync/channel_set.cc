// The channels of the Sync block and the dedicated-link choice (upstream's
// multichannel.c and sync-mode.c interface_handler): sends go to the
// current channel; rtnetlink link events and received traffic move it.
#include <cerrno>
#include <cstring>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conntrackd/daemon.h"
#include "conntrackd/event_loop.h"
#include "conntrackd/sync/channel.h"
#include "conntrackd/sync/iface.h"
#include "nl_uapi.h"
#include "rtnl_uapi.h"

namespace ctd {

Channel* channel_create_udp(const Config& cfg, unsigned index);
Channel* channel_create_mcast(const Config& cfg, unsigned index);
Channel* channel_create_tcp(const Config& cfg, unsigned index);

Channel* channel_create(const Config& cfg, unsigned index) {
  switch (cfg.channels[index].proto) {
    case ChannelProto::kUdp: return channel_create_udp(cfg, index);
    case ChannelProto::kMulticast: return channel_create_mcast(cfg, index);
    case ChannelProto::kTcp: return channel_create_tcp(cfg, index);
    case ChannelProto::kNone: break;
  }
  return nullptr;
}

// upstream's interface_candidate(): called "round robin", it takes the
// first channel in configuration order on another interface that is UP
// or RUNNING.
unsigned channel_pick_next(const unsigned* flags, const int* ifindex, unsigned n, unsigned cur) {
  for (unsigned i = 0; i < n; i++) {
    if (ifindex[i] == ifindex[cur]) continue;
    if (flags[i] & (IFF_UP | IFF_RUNNING)) return i;
  }
  return n;  // none
}

ChannelSet::~ChannelSet() { close(); }

int ChannelSet::open(Daemon& d, EventLoop& loop, ChannelReceiver& rx) { return open(d, d.config(), loop, rx); }

int ChannelSet::open(Daemon& d, const Config& cfg, EventLoop& loop, ChannelReceiver& rx) {
  d_ = &d;
  cfg_ = &cfg;
  loop_ = &loop;
  n_ = cfg.channel_num < kMaxChannels ? cfg.channel_num : kMaxChannels;
  cur_ = cfg.channel_default < n_ ? cfg.channel_default : 0;
  if (n_ == 0) {
    errno = ENOENT;
    d.log(kLogErr, "can't open channel socket: %s", strerror(errno));
    return -1;
  }
  for (unsigned i = 0; i < n_; i++) {
    ch_[i] = channel_create(cfg, i);
    if (ch_[i]) ch_[i]->set_sealer(sealer_);
    if (!ch_[i] || ch_[i]->open(d, loop, rx, i) < 0) {
      d.log(kLogErr, "can't open channel socket: %s", strerror(errno));
      return -1;
    }
  }
  rtnl_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, uapi::kNetlinkRoute);
  if (rtnl_ >= 0) {
    uapi::SockaddrNl sa{};
    sa.family = AF_NETLINK;
    sa.groups = uapi::kRtmgrpLink;
    if (bind(rtnl_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 ||
        loop.watch<&ChannelSet::on_link_event>(rtnl_, this) < 0) {
      ::close(rtnl_);
      rtnl_ = -1;
    }
  }
  return 0;
}

void ChannelSet::close() {
  for (unsigned i = 0; i < n_; i++) {
    if (!ch_[i]) continue;
    if (loop_) ch_[i]->close(*loop_);
    delete ch_[i];
    ch_[i] = nullptr;
  }
  if (rtnl_ >= 0) {
    if (loop_) loop_->unwatch(rtnl_);
    ::close(rtnl_);
    rtnl_ = -1;
  }
  n_ = 0;
  loop_ = nullptr;
}

int ChannelSet::send(std::span<const uint8_t> msg) {
  if (cur_ >= n_ || !ch_[cur_]) return -ENOTCONN;
  const int r = ch_[cur_]->send(msg);
  if (r >= 0) msgs_sent_[cur_]++;
  return r;
}

int ChannelSet::flush() {
  int r = 0;
  for (unsigned i = 0; i < n_; i++)
    if (ch_[i]) {
      int e = ch_[i]->flush();
      if (r == 0) r = e;
    }
  return r;
}

void ChannelSet::mark_receiving(unsigned i) {
  if (i < n_) msgs_recv_[i]++;
  if (i < n_ && i != cur_) {
    ch_[cur_]->flush();
    cur_ = i;
  }
}

void ChannelSet::check_current() {
  if (cur_ >= n_ || ch_[cur_]->link_up()) return;
  unsigned flags[kMaxChannels] = {};
  int index[kMaxChannels] = {};
  for (unsigned i = 0; i < n_; i++) {
    flags[i] = iface_flags(cfg_->channels[i].ifname);
    index[i] = ch_[i]->ifindex();
  }
  const unsigned next = channel_pick_next(flags, index, n_, cur_);
  if (next >= n_) {
    d_->log(kLogErr, "no dedicated links available!");
    return;
  }
  ch_[cur_]->flush();
  cur_ = next;
  d_->log(kLogNotice, "device `%s' becomes dedicated link", cfg_->channels[next].ifname);
}

// RTM_NEWLINK for one of our interfaces: refresh its flags, then check
// the current link (upstream re-reads the flags of every link it knows).
void ChannelSet::on_link_event(uint32_t) {
  alignas(8) uint8_t buf[8192];
  bool ours = false;
  for (int k = 0; k < 64; k++) {
    const ssize_t n = recv(rtnl_, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) break;
    size_t off = 0;
    while (off + sizeof(uapi::NlMsgHdr) <= static_cast<size_t>(n)) {
      uapi::NlMsgHdr h;
      std::memcpy(&h, buf + off, sizeof h);
      if (h.len < sizeof h || off + h.len > static_cast<size_t>(n)) break;
      if ((h.type == uapi::kRtmNewLink || h.type == uapi::kRtmDelLink) &&
          h.len >= sizeof h + sizeof(uapi::IfInfoMsg)) {
        uapi::IfInfoMsg ifi;
        std::memcpy(&ifi, buf + off + sizeof h, sizeof ifi);
        for (unsigned i = 0; i < n_; i++) {
          if (ch_[i]->ifindex() != ifi.index) continue;
          ch_[i]->set_link(h.type == uapi::kRtmDelLink ? 0u : ifi.flags);
          ours = true;
        }
      }
      off += uapi::nl_align(h.len);
    }
  }
  if (ours) check_current();
}

void ChannelSet::fill_stats(SyncStats* s) const {
  s->nchannels = n_;
  s->current = cur_;
  for (unsigned i = 0; i < n_; i++) {
    s->channels[i] = ChannelStats{};
    ch_[i]->stats(&s->channels[i]);
    s->channels[i].msgs_sent = msgs_sent_[i];
    s->channels[i].msgs_recv = msgs_recv_[i];
  }
}

void ChannelSet::error_queue_stats(uint32_t* len, uint32_t* no_space) const {
  *len = *no_space = 0;
  for (unsigned i = 0; i < n_; i++) ch_[i]->error_queue_stats(len, no_space);
}

}  // namespace ctd
