// Unit tests that need a kernel of their own: run_in_netns() forks a
// child that moves into a private network namespace (unshare(CLONE_NEWNET),
// or a user namespace of its own too when not root), brings `lo` up and
// runs the body there, so nothing touches the host's interfaces, ports or
// conntrack table.  The child reports with its gtest failures (printed as
// they happen) and its exit code; child_skip() makes the parent skip; the
// parent kills the child (its own, by pid) after a deadline.
#pragma once
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace netns_child {

inline constexpr int kSkipExit = 77;
inline int g_report_fd = -1;

// In the child: give up with a reason the parent turns into GTEST_SKIP.
[[noreturn]] inline void child_skip(const std::string& why) {
  if (g_report_fd >= 0 && write(g_report_fd, why.data(), why.size()) < 0) {
  }
  fflush(stdout);
  _exit(kSkipExit);
}

inline int64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

inline int if_flags_change(const char* name, unsigned set, unsigned clear) {
  const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  int r = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (r == 0) {
    ifr.ifr_flags = static_cast<short>((static_cast<unsigned>(ifr.ifr_flags) | set) & ~clear);
    r = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  const int e = errno;
  close(s);
  return r < 0 ? -e : 0;
}

inline int write_file(const char* path, const char* text) {
  const int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  const ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n == static_cast<ssize_t>(strlen(text)) ? 0 : -1;
}

// Not root: a user namespace of our own maps us to its root, which owns
// the new network namespace.
inline int enter_user_netns() {
  const unsigned uid = getuid(), gid = getgid();
  if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) return -1;
  char map[64];
  write_file("/proc/self/setgroups", "deny");
  snprintf(map, sizeof map, "0 %u 1", uid);
  if (write_file("/proc/self/uid_map", map) < 0) return -1;
  snprintf(map, sizeof map, "0 %u 1", gid);
  return write_file("/proc/self/gid_map", map);
}

// Runs body() in a forked child inside a fresh network namespace with lo
// up.  The child's assertion failures make it exit 1.
template <class F>
void run_in_netns(F body, int budget_ms = 8000) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  fflush(stdout);
  fflush(stderr);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(p[0]);
    g_report_fd = p[1];
    if (unshare(CLONE_NEWNET) < 0 && enter_user_netns() < 0)
      child_skip(std::string("unshare(CLONE_NEWNET): ") + strerror(errno) +
                 " (needs root, or unprivileged user namespaces)");
    if (if_flags_change("lo", IFF_UP, 0) < 0) child_skip("cannot bring lo up in the namespace");
    body();
    fflush(stdout);
    fflush(stderr);
    _exit(::testing::Test::HasFailure() ? 1 : 0);
  }
  close(p[1]);
  std::string why;
  const int64_t deadline = now_ms() + budget_ms;
  bool eof = false;
  while (!eof) {
    const int64_t left = deadline - now_ms();
    if (left <= 0) break;
    pollfd pf{p[0], POLLIN, 0};
    if (poll(&pf, 1, static_cast<int>(left)) <= 0) continue;
    char b[256];
    const ssize_t n = read(p[0], b, sizeof b);
    if (n <= 0) eof = true;
    else why.append(b, static_cast<size_t>(n));
  }
  close(p[0]);
  if (!eof) {
    kill(pid, SIGKILL);  // our own child, by pid
    waitpid(pid, nullptr, 0);
    FAIL() << "test child timed out after " << budget_ms << " ms";
  }
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  if (WIFEXITED(st) && WEXITSTATUS(st) == kSkipExit) GTEST_SKIP() << why;
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "child status " << st << " (failures printed above)";
}

}  // namespace netns_child
