// NOTRACK (spec conntrackd.md §4.2): every change is sent once, nothing is
// kept for resending; sequence numbers are tracked for the statistics only.
// A peer's RESYNC is answered with the whole internal cache (or, with
// DisableInternalCache, a fresh kernel dump).
#include "conntrackd/daemon.h"
#include "conntrackd/sync/sync_engine.h"
#include "conntrackd/sync/sync_mode.h"

namespace ctd {

using namespace ctsync;

namespace {

class Notrack final : public SyncModeOps {
 public:
  explicit Notrack(SyncEngine& e) : e_(e) {}

  void local_changed(uint32_t ref) override {
    if (e_.nodes().where(ref) == SyncQ::kNone) e_.txq().push_back(ref);
  }

  bool tx_pass(unsigned budget) override {
    SyncQueue& tx = e_.txq();
    for (unsigned i = 0; i < budget; i++) {
      const uint32_t r = tx.pop_front();
      if (r == kNilRef) return false;
      if (is_ctl_ref(r)) {
        CtlNode& c = e_.nodes().ctl(r);
        e_.send_ctl(c.flags, c.from, c.to);
        e_.nodes().ctl_free(r);
      } else {
        e_.send_object(r, 0);
        e_.release_if_dead(r);  // sent once: a destroyed object is gone now
      }
    }
    return tx.size() != 0;
  }

  RecvResult recv(const MsgView& m) override {
    uint32_t exp;
    e_.track_seq(m.seq, &exp);
    RecvResult r = RecvResult::kBad;
    if (is_data(m)) {
      r = RecvResult::kData;
    } else if (is_resync(m)) {
      e_.daemon().log(kLogNotice, "resync requested by other node");
      bulk();
      r = RecvResult::kCtl;
    } else if (is_alive(m)) {
      r = RecvResult::kCtl;
    }
    if (r != RecvResult::kBad) e_.update_seq(m.seq);
    return r;
  }

  void idle() override { queue_ctl(kFlagAlive); }
  void request_resync() override { queue_ctl(kFlagResync); }

  void bulk() override {
    if (e_.cfg().internal_cache_disable) {
      e_.bulk_from_kernel();
      return;
    }
    e_.for_each_live([this](uint32_t ref) { local_changed(ref); });
  }

 private:
  void queue_ctl(uint8_t flags) {
    const uint32_t r = e_.nodes().ctl_alloc(flags, 0, 0);
    if (r == kNilRef) return;
    if (!e_.txq().push_back(r)) e_.nodes().ctl_free(r);
    e_.kick();
  }
  SyncEngine& e_;
};

}  // namespace

SyncModeOps* sync_mode_create_notrack(SyncEngine& e) { return new Notrack(e); }

}  // namespace ctd
