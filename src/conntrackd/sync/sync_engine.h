// The sync side of the daemon: channels, the sequence counter, sequence
// tracking, receive-side validation with a counter per drop reason, the
// transmit and resend queues, and the mode (sync_mode.h) that decides
// what to send.  Received flows go to an ExternalHandler: the external
// cache, or (DisableExternalCache) straight into the kernel.
//
// Data flow: kernel event -> internal cache -> local_changed(ref) -> mode
// queues it -> tx pass (an eventfd wakes the loop once per burst) ->
// codec -> ChannelSet.  Channel data -> on_channel_data -> header checks
// -> mode.recv -> (data) codec -> ExternalHandler.
#pragma once
#include <cstdint>
#include <span>

#include "conntrackd/config/config.h"
#include "conntrackd/event_loop.h"
#include "conntrackd/sync/channel.h"
#include "conntrackd/sync/compact_link.h"
#include "conntrackd/sync/rx_batch.h"
#include "conntrackd/sync/sync_mode.h"
#include "conntrackd/sync/sync_queue.h"
#include "ct/expect.h"
#include "ct/flow.h"
#include "sync/codec.h"

namespace ctd {

class Daemon;
class SyncAuth;

// Where flows received from peers go.
class ExternalHandler {
 public:
  virtual ~ExternalHandler() = default;
  virtual void ct_new(const ct::Flow& f) = 0;
  virtual void ct_upd(const ct::Flow& f) = 0;
  virtual void ct_del(const ct::Flow& f) = 0;
  virtual void exp_new(const ct::Expect& e) { (void)e; }
  virtual void exp_upd(const ct::Expect& e) { (void)e; }
  virtual void exp_del(const ct::Expect& e) { (void)e; }
  // A received datagram's flows, before they are applied (rx_batch.h):
  // first the bucket of every one, then every chain head.
  virtual void prefetch_bucket(const ct::Flow& f) const { (void)f; }
  virtual void prefetch_chain(const ct::Flow& f) const { (void)f; }
  // The netlink port id of a socket writing to the kernel (0: none).
  virtual uint32_t portid() const { return 0; }
};

// upstream's sequence tracking results.
enum class SeqTrack : uint8_t { kUnset, kInSync, kAfter, kBefore };

class SyncEngine final : public ChannelReceiver {
  friend class CompactLink;  // the encoding's other half: counters, sequence, mode

 public:
  static constexpr unsigned kTxBudget = 2048;  // messages per loop wake-up

  explicit SyncEngine(Daemon& d);
  ~SyncEngine() override;
  SyncEngine(const SyncEngine&) = delete;
  SyncEngine& operator=(const SyncEngine&) = delete;

  // Opens the channels and timers.  0 or -1 (logged).
  int open(EventLoop& loop, ExternalHandler* ext);
  void close();

  // ---- the daemon's side ----
  void local_changed(uint32_t ref);  // internal cache entry changed
  void bulk();                       // -B
  void request_resync();             // -n
  // DisableInternalCache: a kernel event (0 new, 1 update, 2 destroy)
  // sent at once, and the bulk that dumps the kernel instead.
  void send_event(const ct::Flow& f, uint8_t type);
  void bulk_from_kernel();
  void fill_stats(SyncStats* s) const;
  void put_rsqueue(base::OutBuf& out) { mode_->put_rsqueue(out); }
  // SIGHUP: the AuthKeyFile is read again (nothing without one).
  void reload_auth();
  NetworkCounters& net() { return net_; }
  const NetworkCounters& net() const { return net_; }

  // ---- the modes' side ----
  Daemon& daemon() { return d_; }
  const Config& cfg() const;
  FlowCache& internal();
  SyncNodes& nodes() { return *nodes_; }
  SyncQueue& txq() { return *txq_; }
  SyncQueue& rsq() { return *rsq_; }  // FT-FW's resend queue
  // Takes a flow off whichever queue holds it (ACKed, erased, flushed);
  // a DEAD flow leaves the cache with it when `release` is set.
  void dequeue(uint32_t ref, bool release);
  // Wakes the loop for a transmit pass (once per burst).
  void kick();
  // Builds the message of queue ref `ref` (an internal flow or
  // expectation; type from its ObjState), ORs `flags`, stamps a fresh
  // sequence number and sends it.  Returns the sequence number used.
  uint32_t send_object(uint32_t ref, uint8_t flags);
  // NOTRACK and ALARM forget a destroyed object once its DEL is out.
  void release_if_dead(uint32_t ref);
  // Visits every internal flow and (ExpectationSync) expectation, by
  // queue ref, DEAD ones too unless `live_only`; fn must not erase.
  // Flows in memory order: a bulk queues them so, and the transmit pass,
  // the resend queue and the ACK walk then read the records in sequence.
  template <class Fn>
  void for_each_object(bool live_only, Fn&& fn) {
    FlowCache& c = internal();
    c.for_each_stored([&](uint32_t r) {
      if (!live_only || c.header(r).obj != ObjState::kDead) fn(r);
    });
    ExpectCache* x = nodes_->exps();
    if (!x) return;
    x->for_each([&](uint32_t r) {
      if (!live_only || x->header(r).obj != ObjState::kDead) fn(exp_qref(r));
    });
  }
  template <class Fn>
  void for_each_live(Fn&& fn) { for_each_object(true, fn); }

  // A message for an arbitrary flow (DisableInternalCache).
  uint32_t send_flow_msg(const ct::Flow& f, uint8_t type, uint8_t flags);
  uint32_t send_ctl(uint8_t flags, uint32_t from, uint32_t to);
  void flush_channels() { channels_.flush(); }
  SeqTrack track_seq(uint32_t seq, uint32_t* exp);
  void update_seq(uint32_t seq);
  bool seq_set() const { return seq_set_; }
  uint32_t last_seq_recv() const { return last_seq_recv_; }
  ChannelSet& channels() { return channels_; }
  CompactLink& compact() { return compact_; }

  // ChannelReceiver
  size_t on_channel_data(unsigned channel, std::span<const uint8_t> data) override;

 private:
  void on_kick(uint32_t events);
  void on_idle_timer(uint32_t events);
  void on_tick_timer(uint32_t events);
  void handle_message(unsigned channel, const ctsync::MsgView& m);
  void apply(const ctsync::MsgView& m);
  uint32_t next_seq();
  void count_drop(ctsync::DropReason r);
  static void on_erase(void* ctx, uint32_t ref);
  static void on_exp_erase(void* ctx, uint32_t ref);
  uint32_t send_flow(uint32_t ref, uint8_t flags);
  uint32_t send_exp(uint32_t cache_ref, uint8_t flags);
  ctsync::EncodeOpts encode_opts() const;
  // Stamps the message built in msg_ (len 0: it did not encode) with
  // `flags` and a fresh sequence number and sends it; the number used.
  uint32_t send_encoded(size_t len, uint8_t flags);

  Daemon& d_;
  EventLoop* loop_ = nullptr;
  ExternalHandler* ext_ = nullptr;
  ChannelSet channels_;
  SyncAuth* auth_ = nullptr;  // AuthKeyFile: between channels_ and us
  SyncNodes* nodes_ = nullptr;
  SyncQueue* txq_ = nullptr;
  SyncQueue* rsq_ = nullptr;
  SyncModeOps* mode_ = nullptr;
  Timer idle_timer_, tick_timer_;
  int kick_fd_ = -1;
  bool kicked_ = false;
  bool stream_ = false;  // TCP: a short tail is a partial message
  bool seq_started_ = false;
  uint32_t seq_ = 0;
  bool seq_set_ = false;
  uint32_t last_seq_recv_ = 0;
  NetworkCounters net_;
  alignas(8) uint8_t msg_[kMaxMessage];
  RxBatch rx_;         // the received datagram's flows, decoded ahead
  ct::Flow flow_;      // scratch: a cache entry or a decoded message
  ct::Expect exp_;
  ctsync::DecodeScratch scratch_;
  CompactLink compact_{*this};
};

}  // namespace ctd
