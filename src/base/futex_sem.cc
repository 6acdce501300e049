#include "base/futex_sem.h"

#include <sys/syscall.h>
#include <unistd.h>

namespace base {
namespace {

// <linux/futex.h> values (kernel ABI; the musl sysroot has no linux/).
constexpr int kFutexWait = 0;
constexpr int kFutexWake = 1;
constexpr int kFutexPrivate = 128;

int* word(std::atomic<int>& a) { return reinterpret_cast<int*>(&a); }

}  // namespace

void FutexSem::wait() {
  for (;;) {
    int v = value_.load();
    while (v > 0)
      if (value_.compare_exchange_weak(v, v - 1)) return;
    // Announce ourselves before sleeping; the kernel sleeps only if the
    // value is still 0, so a post between the two is never lost.
    waiters_.fetch_add(1);
    syscall(SYS_futex, word(value_), kFutexWait | kFutexPrivate, 0, nullptr, nullptr, 0);
    waiters_.fetch_sub(1);
  }
}

void FutexSem::post() {
  value_.fetch_add(1);
  if (waiters_.load() > 0)
    syscall(SYS_futex, word(value_), kFutexWake | kFutexPrivate, 1, nullptr, nullptr, 0);
}

}  // namespace base
