// FT-FW, the reliable mode (spec conntrackd.md §4.1): every message is kept
// on the resend queue until the peer acknowledges its sequence number; the
// receiver acknowledges every ACKWindowSize messages and on the 1 s idle
// timer, and asks for what it missed with a NACK as soon as it sees a gap.
// A HELLO / HELLO_BACK exchange tells a restarted peer apart, so neither
// side waits for acknowledgements the other cannot give.
//
// Two departures from upstream, both invisible on the wire, close the
// holes through which upstream loses flows when packets are lost from the
// very first one (a receiver skips sequence checks for every message that
// carries HELLO, so it acknowledges what it never saw):
//  * as a receiver, only a HELLO that starts a new sequence space (the
//    first message, or a jump backwards or far ahead) resets tracking;
//    later HELLO messages are checked, and gaps NACKed, as any other;
//  * as a sender, once the handshake completes, every flow last sent
//    while saying HELLO is queued once more, since a peer that skipped the
//    checks may have acknowledged it without having it.
#include "conntrackd/daemon.h"
#include "conntrackd/sync/sync_engine.h"
#include "conntrackd/sync/sync_mode.h"

namespace ctd {

using namespace ctsync;

namespace {

enum class Hello : uint8_t { kInit, kSay, kDone };

inline bool seq_before(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
inline bool seq_after(uint32_t a, uint32_t b) { return static_cast<int32_t>(b - a) < 0; }

class Ftfw final : public SyncModeOps {
 public:
  explicit Ftfw(SyncEngine& e) : e_(e), window_(e.cfg().window_size) {}

  void local_changed(uint32_t ref) override { to_tx(ref); }

  bool tx_pass(unsigned budget) override {
    SyncQueue& tx = e_.txq();
    for (unsigned i = 0; i < budget; i++) {
      const uint32_t r = tx.pop_front();
      if (r == kNilRef) return false;
      if (is_ctl_ref(r)) send_ctl_node(r);
      else send_object(r);
    }
    return tx.size() != 0;
  }

  RecvResult recv(const MsgView& m) override;

  void idle() override {
    if (ack_from_set_ && e_.seq_set()) {
      queue_ctl(kFlagAck, ack_from_, e_.last_seq_recv());
      ack_from_set_ = false;
    } else {
      queue_ctl(kFlagAlive, 0, 0);
    }
    e_.kick();
  }

  void request_resync() override { queue_ctl(kFlagResync, 0, 0); }

  void bulk() override {
    e_.for_each_live([this](uint32_t ref) { to_tx(ref); });
  }

  void fill_stats(SyncStats* s) const override {
    s->rsqueue_len = e_.rsq().size();
    s->rsqueue_stale_resent = stale_resent_;
  }
  uint32_t rsqueue_len() const override { return e_.rsq().size(); }

  void put_rsqueue(base::OutBuf& out) override {
    SyncQueue& rs = e_.rsq();
    for (uint32_t r = rs.front(); r != kNilRef; r = rs.next(r)) {
      const QLinks& l = e_.nodes().links(r);
      if (is_ctl_ref(r)) stats_put_rsqueue_node(out, true, l.seq, e_.nodes().ctl(r).flags);
      else stats_put_rsqueue_node(out, false, l.seq, 0);
    }
  }

 private:
  // Only the latest state is ever sent: a flow waiting for its ACK goes
  // back to the transmit queue; one already waiting to be sent stays.
  void to_tx(uint32_t ref) {
    SyncNodes& n = e_.nodes();
    if (n.where(ref) == SyncQ::kTx) return;
    if (n.where(ref) == SyncQ::kRs) e_.rsq().remove(ref);
    e_.txq().push_back(ref);
  }

  void queue_ctl(uint8_t flags, uint32_t from, uint32_t to) {
    const uint32_t r = e_.nodes().ctl_alloc(flags, from, to);
    if (r == kNilRef) return;  // pool exhausted: the idle timer retries
    if (!e_.txq().push_back(r)) e_.nodes().ctl_free(r);
  }

  uint8_t hello_flags() {
    uint8_t f = 0;
    if (hello_ == Hello::kInit) hello_ = Hello::kSay;
    if (hello_ == Hello::kSay) {
      f |= kFlagHello;
    }
    if (say_hello_back_) {
      f |= kFlagHelloBack;
      say_hello_back_ = false;
    }
    return f;
  }

  // An object waiting for its ACK lives in its cache record, so a full
  // resend queue costs no memory and never evicts one: upstream drops the
  // oldest, and that flow is then missing on the peer until it changes
  // again.  The limit is still counted ("not enough space" in -s queue),
  // and control nodes, which the fixed pool bounds, follow the same rule.
  void rs_push(uint32_t ref) {
    SyncQueue& rs = e_.rsq();
    if (rs.full()) rs.count_no_space();
    rs.force_push_back(ref);
  }

  void send_ctl_node(uint32_t r) {
    CtlNode& c = e_.nodes().ctl(r);
    const uint8_t flags = static_cast<uint8_t>(c.flags | hello_flags());
    // Kept as sent, as upstream keeps the message itself: -s rsqueue shows
    // the HELLO bits, and a resend repeats them.
    c.flags = flags;
    c.q.seq = e_.send_ctl(flags, c.from, c.to);
    if (c.flags & (kFlagAck | kFlagNack | kFlagResync)) rs_push(r);
    else e_.nodes().ctl_free(r);
  }

  void send_object(uint32_t ref) {
    const uint8_t flags = hello_flags();
    const uint32_t seq = e_.send_object(ref, flags);
    e_.nodes().links(ref).seq = seq;
    if (flags & kFlagHello) note_hello_seq(seq);
    rs_push(ref);  // released once the peer acknowledges it
  }

  // Walks the resend queue over [from, to]: acknowledged nodes leave it,
  // NACKed ones go back to the transmit queue.  The queue is in sequence
  // order and the receiver acknowledges every window in turn, so what is
  // still here before `from` lost its ACK or its NACK on the way: it goes
  // out again (a duplicate state is harmless, a lost NACK is not), and a
  // stale control message is dropped, since the peer's next ACK covers it.
  // Every node is passed over at most once, however many are lost.
  void rs_walk(uint32_t from, uint32_t to, bool ack) {
    SyncQueue& rs = e_.rsq();
    uint32_t r = rs.front();
    while (r != kNilRef) {
      const uint32_t next = rs.next(r);
      const uint32_t seq = e_.nodes().links(r).seq;
      if (seq_after(seq, to)) break;
      if (seq_before(seq, from)) {
        rs_stale(r);
      } else if (ack) {
        if (!is_ctl_ref(r) && !is_exp_ref(r)) e_.compact().acked(r);
        e_.dequeue(r, true);
      } else {
        rs.remove(r);
        e_.txq().push_back(r);
      }
      r = next;
    }
  }

  void rs_stale(uint32_t r) {
    if (is_ctl_ref(r)) {
      e_.dequeue(r, true);
      return;
    }
    e_.rsq().remove(r);
    e_.txq().push_back(r);
    stale_resent_++;
  }

  void rs_empty() {
    SyncQueue& rs = e_.rsq();
    for (uint32_t r = rs.front(); r != kNilRef; r = rs.front()) e_.dequeue(r, true);
  }

  RecvResult digest(const MsgView& m) {
    if (is_data(m)) return RecvResult::kData;
    if (is_ack(m) || is_nack(m)) {
      if (seq_before(m.to, m.from)) return RecvResult::kBad;
      rs_walk(m.from, m.to, is_ack(m));
      return RecvResult::kCtl;
    }
    if (is_resync(m)) {
      e_.daemon().log(kLogNotice, "resync requested by other node");
      bulk();
      return RecvResult::kCtl;
    }
    if (is_alive(m)) return RecvResult::kCtl;
    return RecvResult::kBad;
  }

  void note_hello_seq(uint32_t seq) {
    if (!hello_range_) {
      hello_first_ = seq;
      hello_range_ = true;
    }
    hello_last_ = seq;
  }

  // The handshake is done: what went out under HELLO goes out again.
  void resend_hello_phase() {
    if (!hello_range_) return;
    hello_range_ = false;
    e_.for_each_object(false, [&](uint32_t ref) {
      const uint32_t s = e_.nodes().links(ref).seq;
      if (e_.nodes().where(ref) == SyncQ::kTx || seq_before(s, hello_first_) || seq_after(s, hello_last_))
        return;
      to_tx(ref);
    });
    e_.kick();
  }

  static constexpr uint32_t kHelloJump = 1u << 20;

  SyncEngine& e_;
  uint64_t stale_resent_ = 0;
  bool hello_range_ = false;
  uint32_t hello_first_ = 0, hello_last_ = 0;
  int64_t window_;
  uint32_t ack_from_ = 0;
  bool ack_from_set_ = false;
  Hello hello_ = Hello::kInit;
  bool say_hello_back_ = false;
};

RecvResult Ftfw::recv(const MsgView& m) {
  const int64_t wsize = e_.cfg().window_size;
  bool bypass = false;
  if (m.flags & kFlagHello) {
    // Answered at once (an ALIVE carries the HELLO_BACK), not with the
    // next idle message a second later: the peer stops saying HELLO,
    // and has less to send again (see the header), one round trip on.
    if (!say_hello_back_) {
      queue_ctl(kFlagAlive, 0, 0);
      e_.kick();
    }
    say_hello_back_ = true;
    const uint32_t exp = e_.last_seq_recv() + 1;
    bypass = !e_.seq_set() || seq_before(m.seq, exp) || m.seq - exp > kHelloJump;
    // A peer that restarted may have come back without the compact encoding.
    if (bypass && e_.seq_set()) e_.compact().peer_restarted();
  }
  if ((m.flags & kFlagHelloBack) && hello_ == Hello::kSay) {
    hello_ = Hello::kDone;
    resend_hello_phase();
  }
  if (bypass) {
    // A fresh peer: it knows nothing of what we were waiting to have
    // acknowledged, so forget it; its sequence numbers start anew.
    if (ack_from_set_ && seq_before(m.seq, ack_from_)) {
      window_ = wsize - 1;
      ack_from_ = m.seq;
    }
    rs_empty();
  }
  RecvResult ret = RecvResult::kData;
  uint32_t exp = 0;
  const SeqTrack t = bypass ? SeqTrack::kInSync : e_.track_seq(m.seq, &exp);
  switch (t) {
    case SeqTrack::kAfter:
      ret = digest(m);
      if (ret == RecvResult::kBad) break;
      if (ack_from_set_) {
        queue_ctl(kFlagAck, ack_from_, exp - 1);
        ack_from_set_ = false;
      }
      queue_ctl(kFlagNack, exp, m.seq - 1);
      window_ = wsize - 1;
      ack_from_ = m.seq;
      ack_from_set_ = true;
      break;
    case SeqTrack::kBefore:
      ret = RecvResult::kDrop;  // delayed or replayed: never applied
      break;
    case SeqTrack::kUnset:
    case SeqTrack::kInSync:
      ret = digest(m);
      if (ret == RecvResult::kBad) break;
      if (!ack_from_set_) {
        ack_from_set_ = true;
        ack_from_ = m.seq;
      }
      if (--window_ <= 0) {
        queue_ctl(kFlagAck, ack_from_, m.seq);
        window_ = wsize;
        ack_from_set_ = false;
      }
      break;
  }
  if (ret == RecvResult::kData || ret == RecvResult::kCtl) e_.update_seq(m.seq);
  return ret;
}

}  // namespace

SyncModeOps* sync_mode_create_ftfw(SyncEngine& e) { return new Ftfw(e); }

}  // namespace ctd
