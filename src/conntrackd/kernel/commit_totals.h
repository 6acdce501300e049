// What `conntrackd -c` achieved, for `-s metrics`.  A commit runs in a
// forked child (kernel/commit.h), whose counters would die with it: the
// totals live in one page mapped MAP_SHARED before any fork, written only
// by the commit child (commits are exclusive, so there is one writer at a
// time) and read by the daemon when a client asks.
#pragma once
#include <atomic>
#include <cstdint>

namespace ctd {

struct CommitTotals {
  std::atomic<uint64_t> runs{0};              // commits finished
  std::atomic<uint64_t> ct_ok{0}, ct_failed{0};
  std::atomic<uint64_t> exp_ok{0}, exp_failed{0};
  std::atomic<uint64_t> last_duration_us{0};  // of the last finished commit
};

// A zeroed CommitTotals in a shared anonymous mapping, or nullptr when the
// mapping cannot be made (then nothing is counted).
CommitTotals* commit_totals_create();
void commit_totals_destroy(CommitTotals* t);

}  // namespace ctd
