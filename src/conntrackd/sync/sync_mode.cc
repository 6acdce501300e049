#include "conntrackd/sync/sync_mode.h"

#include "conntrackd/sync/sync_engine.h"

namespace ctd {

SyncModeOps* sync_mode_create_ftfw(SyncEngine& e);
SyncModeOps* sync_mode_create_notrack(SyncEngine& e);
SyncModeOps* sync_mode_create_alarm(SyncEngine& e);

SyncModeOps* sync_mode_create(SyncEngine& e) {
  switch (e.cfg().sync_mode()) {
    case SyncMode::kAlarm: return sync_mode_create_alarm(e);
    case SyncMode::kNotrack: return sync_mode_create_notrack(e);
    case SyncMode::kFtfw: break;
  }
  return sync_mode_create_ftfw(e);
}

}  // namespace ctd
