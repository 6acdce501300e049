// Replay protection for authenticated sync packets (auth_wire.h): per
// sender session, the highest counter accepted and a sliding window of the
// kWindow counters below it (RFC 4303 §3.4.3 / WireGuard's scheme).  A
// counter is taken once; one kWindow or more below the highest is too old.
// Only packets whose tag verified reach this, so a forger can neither move
// a window nor fill the session table.
#pragma once
#include <cstddef>
#include <cstdint>

namespace ctsync {

enum class ReplayVerdict : uint8_t { kOk, kNewSession, kReplayed, kTooOld };

class ReplayWindow {
 public:
  static constexpr uint64_t kWindow = 1024;
  // Counters start at 1; 0 is never valid.
  ReplayVerdict check(uint64_t counter) const;
  // Records `counter` (check() said kOk).
  void accept(uint64_t counter);
  // A window whose every counter up to `top` counts as seen (a session
  // brought back from the retired list: its window was forgotten).
  void reset_to(uint64_t top);
  uint64_t top() const { return top_; }

 private:
  bool bit(uint64_t c) const { return (bits_[(c / 64) % kWords] >> (c % 64)) & 1; }
  static constexpr size_t kWords = kWindow / 64;
  uint64_t top_ = 0;
  uint64_t bits_[kWords] = {};
};

// The sessions a receiver knows: kActive with their windows, the least
// recently used one retired (session id and highest counter only) when a
// new one needs its slot, and kRetired retired ones.  A packet of a
// retired session is too old unless its counter is above the highest one
// seen; then the session is active again.  A session never seen (or
// forgotten: more than kActive + kRetired sessions since) starts a new
// window: the limit the man page's threat model states.
class AuthSessions {
 public:
  static constexpr unsigned kActive = 8, kRetired = 32;
  ReplayVerdict accept(uint64_t session, uint64_t counter);
  unsigned active() const;

 private:
  struct Active {
    bool used = false;
    uint64_t session = 0, last_use = 0;
    ReplayWindow win;
  };
  struct Retired {
    bool used = false;
    uint64_t session = 0, top = 0;
    uint64_t when = 0;  // clock_ at retirement: the oldest is forgotten first
  };
  Active* take_slot();
  Active act_[kActive];
  Retired ret_[kRetired];
  uint64_t clock_ = 0;
};

}  // namespace ctsync
