// One helper thread that runs a function and is joined once: all the
// dump pipeline needs of pthreads.
//
// Against glibc (and under the sanitizers, which intercept pthreads) it is
// a pthread.  In the static musl build for x86-64 it is a bare clone(2)
// thread with its own stack and thread-pointer block: musl's
// pthread_create, pthread_join and their thread list, cancellation and
// timed waits are ~4.3 KB of a 126 KB `conntrack`.  Such a thread is
// unknown to musl, so musl keeps believing the process single-threaded
// and its internal locks (stdio, malloc) stay off: the function run must
// make only plain system calls (recvmsg, futex), never touch stdio or
// the heap.
#pragma once
#include <atomic>
#include <cstdint>

// tests/unit/thread_test.cc sets it to 1 to run the clone variant on glibc.
#ifndef BASE_THREAD_CLONE
#if defined(__x86_64__) && !defined(__GLIBC__)
#define BASE_THREAD_CLONE 1
#else
#define BASE_THREAD_CLONE 0
#endif
#endif
#if !BASE_THREAD_CLONE
#include <pthread.h>
#endif

namespace base {

class Thread {
 public:
  using Fn = void (*)(void* arg);
  // False if no thread could be started (the caller does the work itself).
  bool start(Fn fn, void* arg);
  // Waits until the thread has exited; a no-op if start() failed.
  void join();

 private:
  Fn fn_ = nullptr;
  void* arg_ = nullptr;
  bool started_ = false;
#if BASE_THREAD_CLONE
  static int entry(void* self);
  // The kernel zeroes it and wakes a futex on it when the thread exits.
  std::atomic<int> tid_{0};
  // What %fs points at in the thread: x86-64's ABI has the word at the
  // thread pointer hold its own address; musl keeps errno and its
  // cancellation flags in the bytes after it (zero: none pending), so a
  // zeroed block gives the thread an errno of its own.
  alignas(64) uintptr_t tls_[128];
  alignas(16) unsigned char stack_[32768];
#else
  static void* entry(void* self);
  pthread_t th_{};
#endif
};

}  // namespace base
