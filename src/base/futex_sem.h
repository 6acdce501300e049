// A counting semaphore on a Linux futex, shared by the threads of one
// process.  It does what sem_t does for netlink/dump_pipeline.cc, but
// without the static musl build linking libc's semaphores, mutexes and
// timed waits (~3 KB) for it.  A post makes the futex system call only
// when a thread may be waiting.
#pragma once
#include <atomic>

namespace base {

class FutexSem {
 public:
  explicit constexpr FutexSem(int initial = 0) : value_(initial) {}
  FutexSem(const FutexSem&) = delete;
  FutexSem& operator=(const FutexSem&) = delete;

  void reset(int value) { value_.store(value); }
  void wait();  // takes one unit, sleeping while there is none
  void post();  // gives one back, waking one waiter

 private:
  std::atomic<int> value_;
  std::atomic<int> waiters_{0};
};

// A mutex as a one-unit semaphore: the critical sections it guards are
// a few stores long.
class FutexLock {
 public:
  void lock() { sem_.wait(); }
  void unlock() { sem_.post(); }

 private:
  FutexSem sem_{1};
};

}  // namespace base
