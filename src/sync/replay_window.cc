#include "sync/replay_window.h"

namespace ctsync {

ReplayVerdict ReplayWindow::check(uint64_t c) const {
  if (c == 0) return ReplayVerdict::kTooOld;
  if (c > top_) return ReplayVerdict::kOk;
  if (top_ - c >= kWindow) return ReplayVerdict::kTooOld;
  return bit(c) ? ReplayVerdict::kReplayed : ReplayVerdict::kOk;
}

void ReplayWindow::accept(uint64_t c) {
  if (c > top_) {
    // Clear the slots of the counters skipped over (they were not seen).
    const uint64_t gap = c - top_;
    if (gap >= kWindow) {
      for (uint64_t& w : bits_) w = 0;
    } else {
      for (uint64_t i = 1; i <= gap; i++) {  // counted, not compared: c may be 2^64 - 1
        const uint64_t k = top_ + i;
        bits_[(k / 64) % kWords] &= ~(uint64_t{1} << (k % 64));
      }
    }
    top_ = c;
  }
  bits_[(c / 64) % kWords] |= uint64_t{1} << (c % 64);
}

void ReplayWindow::reset_to(uint64_t top) {
  top_ = top;
  for (uint64_t& w : bits_) w = ~uint64_t{0};
}

unsigned AuthSessions::active() const {
  unsigned n = 0;
  for (const Active& a : act_) n += a.used;
  return n;
}

AuthSessions::Active* AuthSessions::take_slot() {
  Active* lru = &act_[0];
  for (Active& a : act_) {
    if (!a.used) return &a;
    if (a.last_use < lru->last_use) lru = &a;
  }
  // A free retired slot, else the one retired longest ago: so a session
  // is forgotten only when kRetired others were retired after it, never
  // by a few sessions taking turns (a ring would overwrite it after
  // kRetired retirements of any sessions, its old packets then new).
  Retired* r = &ret_[0];
  for (Retired& x : ret_) {
    if (!x.used) {
      r = &x;
      break;
    }
    if (x.when < r->when) r = &x;
  }
  r->used = true;
  r->when = clock_;
  r->session = lru->session;
  r->top = lru->win.top();
  return lru;
}

ReplayVerdict AuthSessions::accept(uint64_t session, uint64_t counter) {
  clock_++;
  for (Active& a : act_) {
    if (!a.used || a.session != session) continue;
    const ReplayVerdict v = a.win.check(counter);
    if (v == ReplayVerdict::kOk) {
      a.win.accept(counter);
      a.last_use = clock_;
    }
    return v;
  }
  if (counter == 0) return ReplayVerdict::kTooOld;
  bool known = false;
  uint64_t top = 0;
  for (Retired& r : ret_) {
    if (!r.used || r.session != session) continue;
    if (counter <= r.top) return ReplayVerdict::kTooOld;
    known = true;
    top = r.top;
    r.used = false;  // active again
  }
  Active* a = take_slot();
  a->used = true;
  a->session = session;
  a->last_use = clock_;
  a->win = ReplayWindow{};
  if (known) a->win.reset_to(top);
  a->win.accept(counter);
  return known ? ReplayVerdict::kOk : ReplayVerdict::kNewSession;
}

}  // namespace ctsync
