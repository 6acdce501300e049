// The compact sync encoding on the daemon's side (sync/compact_wire.h):
// the negotiation with the peer, the DATA packet being filled during a
// transmit pass, the id state of internal flows, and the application of
// received records to the external cache.
//
// Negotiation, per peer (upstream's sync is one peer per link; its node
// id keys what we learned from it): with CompactEncoding on we send an
// OFFER asking for an answer at start-up and once a second, at most
// kAsks times; a peer that decodes v2 answers with its own OFFER, and
// both then send DATA in v2.  Negotiated peers repeat an OFFER every
// kOfferEvery seconds; kLease seconds without one (the peer restarted with
// the option off, say) and we are back to v1 and asking.  FT-FW also
// falls back at once when the peer's sequence space starts anew.  A peer
// that never answers (upstream's daemon, ours with the option off) sees at
// most kAsks OFFERs, which it drops as a wrong protocol version, and only
// v1 otherwise.  A new node id means the peer restarted: every id we
// learned from it and every "the peer has this flow" bit are forgotten.
//
// Sending: a flow the peer has never had in full (or whose rare
// attributes changed) goes as a full record; otherwise as an UPD of the
// fields changed since the peer last had them (CidState); a destroy as
// its id alone, or keyed when the peer may not know the id.  FT-FW keeps
// those bits until the peer acknowledges the packet (acked()), so a resend
// after a NACK carries everything the lost packet did; the other modes
// settle them when the packet leaves.
#pragma once
#include <cstdint>

#include "conntrackd/cache/flow_cache.h"
#include "conntrackd/control/stats_format.h"
#include "conntrackd/sync/compact_apply.h"
#include "ct/flow.h"
#include "sync/compact_codec.h"

namespace ctd {

class SyncEngine;

class CompactLink {
 public:
  static constexpr unsigned kAsks = 3;
  static constexpr uint32_t kOfferEvery = 1, kLease = 5;  // seconds

  explicit CompactLink(SyncEngine& e) : e_(e) {}
  // `external`: the external cache (null with DisableExternalCache: we
  // then do not decode v2, and say so in our OFFER).
  void open(ExternalHandler* ext, FlowCache* external);
  bool enabled() const { return enabled_; }
  bool accepts_v2() const { return enabled_; }
  // Flows are sent in v2 now.
  bool sending() const { return enabled_ && peer_ok_ && can_send_; }

  // ---- sending ----
  // Adds internal flow `ref` to the open DATA packet (opening one, with a
  // fresh sequence number, when needed); the packet's sequence number, or
  // 0 when the flow could not be encoded (counted).
  uint32_t add_flow(uint32_t ref, uint8_t flags);
  // Sends the open packet: before any other sequenced message, and at the
  // end of every transmit pass.
  void close_packet();
  // The peer acknowledged the last packet that carried `ref` (FT-FW).
  void acked(uint32_t ref);
  // `ref` went out in v1: the peer's view of it is v1's, whole.
  void sent_v1(uint32_t ref);
  // FT-FW: the peer's sequence numbers started anew (it restarted).
  void peer_restarted();
  void tick(uint32_t now);

  // ---- receiving ----
  void on_control(const ctsync::MsgView& m);  // OFFER, NEED
  void apply(const ctsync::MsgView& m);       // DATA the mode accepted
  void flush_need();                          // after each datagram

  void fill(CompactCounters* c) const;

 private:
  void send_offer(uint8_t flags);
  void note_node(uint32_t node);
  void forget_peer_state();
  void settle(uint32_t ref);
  void need(uint32_t ref, uint32_t serial);
  void apply_record(const ctsync::RecordView& r);

  SyncEngine& e_;
  FlowCache* external_ = nullptr;
  CompactApply rx_;
  bool enabled_ = false, can_send_ = false, can_receive_ = false;
  bool peer_alive_ = false;  // an OFFER came within kLease seconds
  bool peer_ok_ = false;     // ... and it says the peer decodes v2
  bool peer_node_set_ = false;
  uint32_t node_ = 0, peer_node_ = 0;
  unsigned asks_ = 0;
  uint32_t last_offer_rx_ = 0, last_offer_tx_ = 0;
  bool ftfw_ = false;
  CompactCounters cnt_{};
  ctsync::CompactPacket pkt_;
  ctsync::NeedPacket need_;
  bool need_open_ = false;
  ct::Flow flow_;  // the flow being sent
  alignas(8) uint8_t pkt_buf_[ctsync::kV2PacketMax];
  alignas(8) uint8_t need_buf_[ctsync::kV2PacketMax];
  alignas(8) uint8_t v1_[4096];
};

}  // namespace ctd
