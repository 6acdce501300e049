// ALARM (spec conntrackd.md §4.3): no control messages at all; every flow
// is re-sent on its own refresh timer (1..RefreshTime s plus 0.2-1.0 s,
// re-armed on every change), and the receiver forgets what is not
// refreshed within CacheTimeout.  A new peer converges within RefreshTime.
//
// The per-flow timer is a deadline (monotonic seconds) kept in the flow's
// QLinks.seq, which ALARM never needs for sequence numbers; a once-a-second
// tick sweeps the cache.  Upstream's sub-second jitter only spreads the
// re-sends, which the sweep's one-second granularity does as well.
#include <cstdlib>

#include "conntrackd/daemon.h"
#include "conntrackd/sync/sync_engine.h"
#include "conntrackd/sync/sync_mode.h"

namespace ctd {

using namespace ctsync;

namespace {

class Alarm final : public SyncModeOps {
 public:
  explicit Alarm(SyncEngine& e) : e_(e) {}

  void local_changed(uint32_t ref) override {
    e_.nodes().links(ref).seq = Daemon::now() + next_delay();
    if (e_.nodes().where(ref) == SyncQ::kNone) e_.txq().push_back(ref);
  }

  bool tx_pass(unsigned budget) override {
    SyncQueue& tx = e_.txq();
    for (unsigned i = 0; i < budget; i++) {
      const uint32_t r = tx.pop_front();
      if (r == kNilRef) return false;
      e_.send_object(r, 0);
      e_.release_if_dead(r);
    }
    return tx.size() != 0;
  }

  RecvResult recv(const MsgView& m) override {
    // Flagged messages come from a FT-FW or NOTRACK peer: ignored, not
    // errors.  Sequence numbers are looked at for the statistics only, and
    // (as upstream) never recorded.
    if (m.flags) return RecvResult::kCtl;
    uint32_t exp;
    e_.track_seq(m.seq, &exp);
    return RecvResult::kData;
  }

  void tick(uint32_t now) override {
    bool queued = false;
    e_.for_each_live([&](uint32_t ref) {
      QLinks& l = e_.nodes().links(ref);
      // No deadline yet: a flow from a kernel dump, which (as upstream's
      // cache_alarm_add) is not sent now but gets its first random refresh.
      if (l.seq == 0) {
        l.seq = now + next_delay();
        return;
      }
      if (static_cast<int32_t>(now - l.seq) < 0 || e_.nodes().where(ref) != SyncQ::kNone) return;
      l.seq = now + next_delay();
      e_.txq().push_back(ref);
      queued = true;
    });
    if (queued) e_.kick();
    expire_external(now);
  }

  void bulk() override {}  // upstream: -B and -n do nothing in ALARM
  bool has_idle_timer() const override { return false; }

 private:
  static uint32_t next_delay_secs(uint32_t refresh) {
    return static_cast<uint32_t>(random() % (refresh ? refresh : 1)) + 1;
  }
  uint32_t next_delay() const { return next_delay_secs(e_.cfg().refresh); }

  // The external cache's TIMER feature: CacheTimeout after its last
  // refresh an entry is dropped.
  void expire_external(uint32_t now) {
    FlowCache& x = e_.daemon().external();
    const uint32_t ttl = e_.cfg().cache_timeout;
    x.for_each([&](uint32_t ref) {
      if (now - x.header(ref).lastupdate >= ttl) x.remove(ref);
    });
    if (!e_.daemon().expect_enabled()) return;
    ExpectCache& xe = e_.daemon().exp_external();
    xe.for_each([&](uint32_t ref) {
      if (now - xe.header(ref).lastupdate >= ttl) xe.remove(ref);
    });
  }

  SyncEngine& e_;
};

}  // namespace

SyncModeOps* sync_mode_create_alarm(SyncEngine& e) { return new Alarm(e); }

}  // namespace ctd
