// A sync mode (spec conntrackd.md §4): what is sent when local state
// changes, what a received message means, and what the idle timer sends.
// FT-FW (mode_ftfw.cc), NOTRACK (mode_notrack.cc) and ALARM
// (mode_alarm.cc) implement it; the SyncEngine (sync_engine.h) owns the
// channels, the sequence counter and the caches and calls the mode.  A new
// mode is a new file and one line in sync_mode_create().
#pragma once
#include <cstdint>

#include "base/out_buf.h"
#include "conntrackd/control/stats_format.h"
#include "sync/codec.h"

namespace ctd {

class SyncEngine;

// What a received message turned out to be (upstream's MSG_*).
enum class RecvResult : uint8_t { kData, kCtl, kBad, kDrop };

class SyncModeOps {
 public:
  virtual ~SyncModeOps() = default;
  // A flow of the internal cache was created, updated or destroyed (its
  // ObjState says which): queue it for the peers.
  virtual void local_changed(uint32_t ref) = 0;
  // Sends what is queued, at most `budget` messages.  True if more is left.
  virtual bool tx_pass(unsigned budget) = 0;
  // One message whose header passed the engine's checks.  The mode
  // digests control messages; for kData the engine applies the payload.
  virtual RecvResult recv(const ctsync::MsgView& m) = 0;
  // 1 s after the last transmission (FT-FW, NOTRACK: ALIVE or ACK).
  virtual void idle() {}
  // Every second (ALARM: refresh timers; external cache expiry).
  virtual void tick(uint32_t now) { (void)now; }
  // -n (and StartupResync): ask the peer for a bulk.
  virtual void request_resync() {}
  // -B, or a peer's RESYNC: queue the whole internal cache.
  virtual void bulk() = 0;
  // The idle timer runs in this mode (not in ALARM).
  virtual bool has_idle_timer() const { return true; }
  virtual void fill_stats(SyncStats* s) const { (void)s; }
  // -s rsqueue: the node lines (FT-FW).
  virtual void put_rsqueue(base::OutBuf& out) { (void)out; }
  virtual uint32_t rsqueue_len() const { return 0; }
};

SyncModeOps* sync_mode_create(SyncEngine& e);

}  // namespace ctd
