#include "base/thread.h"

#include <signal.h>

#if BASE_THREAD_CLONE
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace base {

#if BASE_THREAD_CLONE

namespace {
// <linux/futex.h> (kernel ABI; the musl sysroot has no linux/).
constexpr int kFutexWait = 0;
}  // namespace

int Thread::entry(void* self) {
  Thread* t = static_cast<Thread*>(self);
  t->fn_(t->arg_);
  return 0;
}

bool Thread::start(Fn fn, void* arg) {
  fn_ = fn;
  arg_ = arg;
  for (uintptr_t& w : tls_) w = 0;
  // The thread pointer sits in the middle: static TLS (none here) would
  // lie below it, musl's per-thread fields above.
  uintptr_t* tp = &tls_[64];
  *tp = reinterpret_cast<uintptr_t>(tp);
  tid_.store(1);
  // The same sharing as a pthread: memory, files, fs info, signal
  // handlers, thread group, SysV semaphore undo.
  int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
              CLONE_SYSVSEM | CLONE_SETTLS | CLONE_CHILD_CLEARTID;
  // Started with every signal blocked, so the kernel delivers signals to
  // the caller's thread only: no handler ever runs on this thread's
  // borrowed thread-pointer block or on its small stack.
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  int r = clone(entry, stack_ + sizeof stack_, flags, this, nullptr, tp,
                reinterpret_cast<int*>(&tid_));
  sigprocmask(SIG_SETMASK, &old, nullptr);
  started_ = r > 0;
  if (!started_) tid_.store(0);
  return started_;
}

void Thread::join() {
  if (!started_) return;
  for (int v = tid_.load(); v != 0; v = tid_.load())
    syscall(SYS_futex, reinterpret_cast<int*>(&tid_), kFutexWait, v, nullptr, nullptr, 0);
  started_ = false;
}

#else

void* Thread::entry(void* self) {
  Thread* t = static_cast<Thread*>(self);
  t->fn_(t->arg_);
  return nullptr;
}

bool Thread::start(Fn fn, void* arg) {
  fn_ = fn;
  arg_ = arg;
  // Signals stay with the caller's thread, as for the clone variant.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  started_ = pthread_create(&th_, nullptr, entry, this) == 0;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return started_;
}

void Thread::join() {
  if (!started_) return;
  pthread_join(th_, nullptr);
  started_ = false;
}

#endif

}  // namespace base
