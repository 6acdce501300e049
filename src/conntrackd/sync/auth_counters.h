// What the sync authentication layer (sync_auth.h) counts, for -s network
// and its JSON.  All zero, and not shown, without an AuthKeyFile.
#pragma once
#include <cstdint>

namespace ctd {

struct AuthCounters {
  bool enabled = false;
  bool kernel = false;         // HMAC by the kernel (AF_ALG), else built in
  uint8_t send_key_id = 0;
  uint8_t nkeys = 0;
  uint64_t sent = 0, seal_failed = 0;
  uint64_t accepted = 0, new_sessions = 0;
  // Drops, one reason each.
  uint64_t bad_tag = 0;        // the tag does not verify (forged, wrong key)
  uint64_t unknown_key = 0;    // a key id this node does not have
  uint64_t replayed = 0;       // a counter already taken
  uint64_t too_old = 0;        // below the replay window (or a retired session's)
  uint64_t truncated = 0;      // too short for a trailer, or a malformed one
  uint64_t missing = 0;        // no trailer (e.g. a peer without AuthKeyFile)
  uint64_t reloads = 0, reload_failed = 0;
};

}  // namespace ctd
