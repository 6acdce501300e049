// base::Thread's clone(2) variant, the one the static musl build runs,
// compiled here under another name so the library's (pthread) Thread is
// untouched.  The thread functions only touch atomics: on glibc the bare
// thread has no TLS of glibc's, as on musl it has none of musl's beyond
// the zeroed block.
#include <gtest/gtest.h>

#include <atomic>

#if defined(__x86_64__)
#define BASE_THREAD_CLONE 1
#define Thread CloneThread
#include "base/thread.cc"
#undef Thread

namespace {

struct Shared {
  std::atomic<bool> go{false};
  std::atomic<int> steps{0};
  std::atomic<bool> done{false};
};

// Uninstrumented: a sanitizer's runtime would look for thread state the
// bare thread does not have.
__attribute__((no_sanitize("address", "undefined")))
void count_after_go(void* arg) {
  Shared* s = static_cast<Shared*>(arg);
  while (!s->go.load()) {
  }
  for (int i = 0; i < 100000; i++) s->steps.fetch_add(1);
  s->done.store(true);
}

TEST(CloneThread, RunsTheFunctionAndJoinWaitsForItsExit) {
  static base::CloneThread t;  // 33 KB: its stack is inside
  Shared s;
  ASSERT_TRUE(t.start(count_after_go, &s));
  // The thread cannot finish before it is let go.
  EXPECT_FALSE(s.done.load());
  s.go.store(true);
  t.join();
  EXPECT_TRUE(s.done.load());
  EXPECT_EQ(s.steps.load(), 100000);
}

TEST(CloneThread, StartsAgainAfterJoin) {
  static base::CloneThread t;
  for (int round = 0; round < 3; round++) {
    Shared s;
    s.go.store(true);
    ASSERT_TRUE(t.start(count_after_go, &s));
    t.join();
    EXPECT_EQ(s.steps.load(), 100000) << "round " << round;
  }
}

}  // namespace
#endif
