// See compact_link.h.
#include "conntrackd/sync/compact_link.h"

#include <cstring>
#include <sys/random.h>

#include "conntrackd/daemon.h"
#include "conntrackd/sync/sync_engine.h"

namespace ctd {

using namespace ctsync;

void CompactLink::open(ExternalHandler* ext, FlowCache* external) {
  const Config& c = e_.cfg();
  enabled_ = c.compact_encoding;
  if (!enabled_) return;
  ftfw_ = c.sync_mode() == SyncMode::kFtfw;
  // Ids live in the caches: no internal cache, nothing to send in v2; no
  // external cache, nothing to apply v2 records to.
  can_send_ = !c.internal_cache_disable;
  external_ = external && external->enable_cid_index() ? external : nullptr;
  can_receive_ = external_ != nullptr;
  rx_.open(ext, external_);
  while (node_ == 0)
    if (getrandom(&node_, sizeof node_, 0) != static_cast<ssize_t>(sizeof node_)) node_ = static_cast<uint32_t>(time(nullptr));
  asks_ = kAsks;
  send_offer(kOfferAsk);
  asks_--;
}

// ---- negotiation ------------------------------------------------------------

void CompactLink::send_offer(uint8_t flags) {
  uint8_t b[kOfferLen];
  const size_t n = encode_offer(b, node_, can_receive_ ? uint32_t{kCapReceive} : 0u, flags);
  e_.channels().send(std::span<const uint8_t>(b, n));
  e_.channels().flush();
  last_offer_tx_ = Daemon::now();
  cnt_.offers_sent++;
}

void CompactLink::tick(uint32_t now) {
  if (!enabled_) return;
  if (peer_alive_ && now - last_offer_rx_ >= kLease) {
    peer_alive_ = peer_ok_ = false;
    asks_ = kAsks;
    forget_peer_state();
    e_.daemon().log(kLogNotice, "compact encoding: no offer from the peer for %us, back to v1", kLease);
  }
  if (peer_alive_) {
    if (now - last_offer_tx_ >= kOfferEvery) send_offer(0);
  } else if (asks_ > 0) {
    asks_--;
    send_offer(kOfferAsk);
  }
}

void CompactLink::forget_peer_state() {
  FlowCache& in = e_.internal();
  in.for_each([&](uint32_t r) {
    in.set_cid_state(r, static_cast<uint16_t>((in.cid_state(r) | kCidFull) & ~kCidKnown));
  });
}

void CompactLink::note_node(uint32_t node) {
  if (peer_node_set_ && node == peer_node_) return;
  if (peer_node_set_) {
    // The peer restarted: its ids mean nothing now, and it has none of ours.
    if (external_) external_->cid_clear();
    forget_peer_state();
    e_.daemon().log(kLogNotice, "compact encoding: peer node changed from %08x to %08x", peer_node_, node);
  }
  peer_node_ = node;
  peer_node_set_ = true;
}

void CompactLink::peer_restarted() {
  if (!enabled_ || !peer_alive_) return;
  peer_alive_ = peer_ok_ = false;
  asks_ = kAsks;
  forget_peer_state();
}

// ---- sending ----------------------------------------------------------------

uint32_t CompactLink::add_flow(uint32_t ref, uint8_t flags) {
  FlowCache& c = e_.internal();
  const FlowHeader& h = c.header(ref);
  const uint16_t st = h.cid.state;
  const bool known = (st & kCidKnown) != 0;
  uint8_t kind;
  if (h.obj == ObjState::kDead) kind = known ? kRecDel : kRecDelFull;
  else if (h.obj == ObjState::kNew) kind = kRecNew;
  else if ((st & kCidFull) || !known) kind = kRecUpdFull;
  else kind = kRecUpd;
  size_t len = 0;
  if (kind != kRecDel) {
    c.to_flow(ref, &flow_);
    len = encode_ct(std::span<uint8_t>(v1_, sizeof v1_), kMsgCtUpd, flow_, e_.encode_opts());
    if (len == 0) {
      e_.net_.send_malformed++;
      return 0;
    }
  }
  const std::span<const uint8_t> v1(v1_, len);
  const uint8_t fields = static_cast<uint8_t>(st & kCidFields);
  if (!pkt_.is_open()) pkt_.open(pkt_buf_, node_, e_.next_seq());
  if (!pkt_.add(kind, ref, h.cid.serial, v1, fields)) {
    close_packet();
    pkt_.open(pkt_buf_, node_, e_.next_seq());
    if (!pkt_.add(kind, ref, h.cid.serial, v1, fields)) {
      e_.net_.send_malformed++;
      return 0;
    }
  }
  pkt_.or_flags(flags);
  cnt_.records_sent++;
  uint16_t next = static_cast<uint16_t>(st & ~kCidSentFull);
  if (record_is_full(kind)) next |= kCidSentFull;
  c.set_cid_state(ref, next);
  if (!ftfw_) settle(ref);
  return pkt_.seq();
}

void CompactLink::close_packet() {
  const std::span<const uint8_t> p = pkt_.close();
  if (p.empty()) return;
  e_.channels().send(p);
  cnt_.packets_sent++;
}

// What the peer has of the flow after the last send reached it.
void CompactLink::settle(uint32_t ref) {
  FlowCache& c = e_.internal();
  uint16_t st = c.cid_state(ref);
  if (st & kCidSentFull) st = static_cast<uint16_t>((st | kCidKnown) & ~kCidFull);
  st &= static_cast<uint16_t>(~(kCidFields | kCidSentFull));
  c.set_cid_state(ref, st);
}

void CompactLink::acked(uint32_t ref) {
  if (enabled_) settle(ref);
}

void CompactLink::sent_v1(uint32_t ref) {
  if (!enabled_) return;
  FlowCache& c = e_.internal();
  // v1 carried everything, so nothing is pending, but it gave no id.
  c.set_cid_state(ref, static_cast<uint16_t>((c.cid_state(ref) | kCidFull) & ~(kCidKnown | kCidSentFull | kCidFields)));
}

// ---- receiving --------------------------------------------------------------

void CompactLink::on_control(const MsgView& m) {
  if (m.type == kV2Offer) {
    uint32_t node, caps;
    if (!decode_offer(m, &node, &caps) || node == node_) return;
    cnt_.offers_recv++;
    note_node(node);
    const bool ok = (caps & kCapReceive) != 0;
    if (ok && !peer_ok_)
      e_.daemon().log(kLogNotice, "compact encoding in use with peer node %08x", node);
    peer_ok_ = ok;
    peer_alive_ = true;
    last_offer_rx_ = Daemon::now();
    if (m.flags & kOfferAsk) send_offer(0);
    return;
  }
  if (m.type != kV2Need) return;
  uint32_t node;
  FlowCache& c = e_.internal();
  bool any = false;
  const bool ok = walk_need(m, &node, [&](uint32_t ref, uint32_t serial) {
    cnt_.need_recv++;
    if (!can_send_ || !c.live(ref) || c.serial(ref) != serial) return;  // gone: nothing to say
    c.set_cid_state(ref, static_cast<uint16_t>((c.cid_state(ref) | kCidFull) & ~kCidKnown));
    e_.mode_->local_changed(ref);
    any = true;
  });
  if (!ok) e_.count_drop(DropReason::kAttrOverrun);
  if (any) e_.kick();
}

void CompactLink::need(uint32_t ref, uint32_t serial) {
  cnt_.unknown_ids++;
  if (!need_open_) {
    need_.open(need_buf_, node_);
    need_open_ = true;
  }
  if (!need_.add(ref, serial)) {
    flush_need();
    need_.open(need_buf_, node_);
    need_open_ = true;
    need_.add(ref, serial);
  }
  cnt_.need_sent++;
}

void CompactLink::flush_need() {
  if (!need_open_) return;
  need_open_ = false;
  const std::span<const uint8_t> p = need_.close();
  if (p.empty()) return;
  e_.channels().send(p);
  e_.channels().flush();
}

void CompactLink::apply(const MsgView& m) {
  cnt_.packets_recv++;
  RecordReader rd(m);
  note_node(rd.node());
  RecordView r;
  DropReason err;
  while (rd.next(&r, &err)) {
    cnt_.records_recv++;
    if (!rx_.ready()) continue;
    apply_record(r);
  }
  if (err != DropReason::kNone) e_.count_drop(err);
}

void CompactLink::apply_record(const RecordView& r) {
  DropReason why;
  switch (rx_.apply(r, &why)) {
    case CompactApply::Result::kApplied: break;
    case CompactApply::Result::kUnknownId: need(r.ref, r.serial); break;  // the sender tells us again
    case CompactApply::Result::kDropped: e_.count_drop(why); break;
  }
}

void CompactLink::fill(CompactCounters* c) const {
  *c = cnt_;
  c->enabled = enabled_;
  c->in_use = sending();
  c->peer_offered = peer_ok_;
  c->node = node_;
  c->peer_node = peer_node_;
}

}  // namespace ctd
