#include "conntrackd/kernel/commit_totals.h"

#include <sys/mman.h>

#include <new>

namespace ctd {

static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "the totals are shared between processes: atomics must not need a lock");

CommitTotals* commit_totals_create() {
  void* p = mmap(nullptr, sizeof(CommitTotals), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  return new (p) CommitTotals();
}

void commit_totals_destroy(CommitTotals* t) {
  if (t) munmap(t, sizeof(CommitTotals));
}

}  // namespace ctd
