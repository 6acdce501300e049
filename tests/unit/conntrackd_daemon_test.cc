// conntrackd daemon pieces that need no kernel: the lock file, the log
// line format, the user-space Filter evaluation, the event path into the
// internal cache (messages built by hand) and the sd_notify datagram.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conntrackd/config/config.h"
#include "conntrackd/kernel/kernel_sync.h"
#include "conntrackd/lockfile.h"
#include "conntrackd/log.h"
#include "conntrackd/sd_notify.h"
#include "ct_uapi.h"

namespace {

using ct::F;

std::string fmt_line(time_t t, int pid, int level, const char* fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  size_t n = ctd::log_format_line(buf, sizeof buf, t, pid, level, fmt, ap);
  va_end(ap);
  return std::string(buf, n);
}

TEST(ConntrackdLog, LineFormatMatchesUpstream) {
  setenv("TZ", "UTC", 1);
  tzset();
  time_t t = 1700000000;  // Tue Nov 14 22:13:20 2023 UTC
  EXPECT_EQ(fmt_line(t, 42, 5, "initialization %s", "completed"),
            "[Tue Nov 14 22:13:20 2023] (pid=42) [notice] initialization completed\n");
  EXPECT_EQ(fmt_line(t, 1, 3, "x"), "[Tue Nov 14 22:13:20 2023] (pid=1) [ERROR] x\n");
  EXPECT_EQ(fmt_line(t, 1, 4, "x"), "[Tue Nov 14 22:13:20 2023] (pid=1) [warning] x\n");
  EXPECT_EQ(fmt_line(t, 1, 6, "x"), "[Tue Nov 14 22:13:20 2023] (pid=1) [info] x\n");
  EXPECT_EQ(fmt_line(t, 1, 7, "x"), "[Tue Nov 14 22:13:20 2023] (pid=1) [?] x\n");
}

TEST(ConntrackdLog, LongLinesAreTruncatedButEndWithNewline) {
  char big[1000];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  char buf[64];
  va_list ap;
  auto call = [&](const char* f, ...) {
    va_start(ap, f);
    size_t n = ctd::log_format_line(buf, sizeof buf, 0, 1, 5, f, ap);
    va_end(ap);
    return n;
  };
  size_t n = call("%s", big);
  EXPECT_EQ(n, sizeof buf - 1);
  EXPECT_EQ(buf[n - 1], '\n');
  EXPECT_EQ(buf[n], '\0');
}

TEST(ConntrackdLog, FlowLine) {
  setenv("TZ", "UTC", 1);
  tzset();
  char buf[128];
  size_t n = ctd::log_format_flow_line(buf, sizeof buf, 1700000000, "tcp      6 ESTABLISHED");
  EXPECT_EQ(std::string(buf, n), "Tue Nov 14 22:13:20 2023\ttcp      6 ESTABLISHED\n");
}

TEST(ConntrackdLockfile, SecondCreateRefusedAndStaleLockToo) {
  char path[] = "/tmp/ctd_lock_test_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  // An existing file (stale or live: upstream does not look) refuses.
  EXPECT_EQ(ctd::lockfile_create(path), -EEXIST);
  ctd::lockfile_remove(path);
  EXPECT_EQ(ctd::lockfile_create(path), 0);
  EXPECT_EQ(ctd::lockfile_create(path), -EEXIST);
  ctd::lockfile_remove(path);
  EXPECT_NE(access(path, F_OK), 0);
}

ct::Flow v4_flow(const char* src, const char* dst, uint8_t l4, const char* rsrc = nullptr) {
  ct::Flow f;
  f.family = uapi::kAfInet;
  for (ct::Dir d : {ct::kDirOrig, ct::kDirRepl}) {
    ct::Tuple& t = f.tuple[d];
    t.l3 = uapi::kAfInet;
    t.l4 = l4;
    const char* s = d == ct::kDirOrig ? src : (rsrc ? rsrc : dst);
    const char* x = d == ct::kDirOrig ? dst : src;
    inet_pton(AF_INET, s, t.src.b);
    inet_pton(AF_INET, x, t.dst.b);
    f.set.set(ct::tuple_field(d, F::kOrigL3));
    f.set.set(ct::tuple_field(d, F::kOrigL4));
    f.set.set(ct::tuple_field(d, F::kOrigSrc));
    f.set.set(ct::tuple_field(d, F::kOrigDst));
  }
  return f;
}

void add_addr(ctd::FilterConfig& fc, const char* a, uint8_t prefix) {
  ctd::FilterAddr& x = fc.addrs[fc.naddrs++];
  x.family = AF_INET;
  x.prefix = prefix;
  memset(x.addr, 0, sizeof x.addr);
  inet_pton(AF_INET, a, x.addr);
}

TEST(ConntrackdFilter, SanityNeedsL3AndBothSources) {
  ct::Flow f = v4_flow("1.1.1.1", "2.2.2.2", 6);
  EXPECT_TRUE(ctd::filter_sane(f));
  f.set.clear(F::kReplSrc);
  EXPECT_FALSE(ctd::filter_sane(f));
  ct::Flow g = v4_flow("1.1.1.1", "2.2.2.2", 6);
  g.set.clear(F::kOrigL3);
  EXPECT_FALSE(ctd::filter_sane(g));
}

TEST(ConntrackdFilter, NoRulesAcceptsEverything) {
  static ctd::FilterConfig fc;
  EXPECT_TRUE(ctd::filter_accepts(fc, v4_flow("1.1.1.1", "2.2.2.2", 17)));
}

TEST(ConntrackdFilter, Protocol) {
  static ctd::FilterConfig fc;
  fc = ctd::FilterConfig{};
  fc.proto_logic = ctd::FilterLogic::kAccept;
  fc.protos[6 >> 5] |= 1u << (6 & 31);
  EXPECT_TRUE(ctd::filter_check(fc, v4_flow("1.1.1.1", "2.2.2.2", 6)));
  EXPECT_FALSE(ctd::filter_check(fc, v4_flow("1.1.1.1", "2.2.2.2", 17)));
  fc.proto_logic = ctd::FilterLogic::kIgnore;
  EXPECT_FALSE(ctd::filter_check(fc, v4_flow("1.1.1.1", "2.2.2.2", 6)));
  EXPECT_TRUE(ctd::filter_check(fc, v4_flow("1.1.1.1", "2.2.2.2", 17)));
}

TEST(ConntrackdFilter, AddressHostsAndNetworks) {
  static ctd::FilterConfig fc;
  fc = ctd::FilterConfig{};
  fc.addr_logic = ctd::FilterLogic::kIgnore;
  add_addr(fc, "127.0.0.1", 32);
  add_addr(fc, "192.168.0.0", 16);
  EXPECT_FALSE(ctd::filter_check(fc, v4_flow("127.0.0.1", "2.2.2.2", 6)));
  // The reply source (the real destination, after NAT) counts too.
  EXPECT_FALSE(ctd::filter_check(fc, v4_flow("3.3.3.3", "2.2.2.2", 6, "127.0.0.1")));
  // The orig destination does not.
  EXPECT_TRUE(ctd::filter_check(fc, v4_flow("3.3.3.3", "127.0.0.1", 6, "4.4.4.4")));
  EXPECT_FALSE(ctd::filter_check(fc, v4_flow("192.168.7.9", "2.2.2.2", 6)));
  EXPECT_TRUE(ctd::filter_check(fc, v4_flow("192.169.7.9", "2.2.2.2", 6)));
  fc.addr_logic = ctd::FilterLogic::kAccept;
  EXPECT_TRUE(ctd::filter_check(fc, v4_flow("127.0.0.1", "2.2.2.2", 6)));
  EXPECT_TRUE(ctd::filter_check(fc, v4_flow("192.168.7.9", "2.2.2.2", 6)));
  EXPECT_FALSE(ctd::filter_check(fc, v4_flow("10.0.0.1", "2.2.2.2", 6)));
}

TEST(ConntrackdFilter, StateOnlyForTcpWithState) {
  static ctd::FilterConfig fc;
  fc = ctd::FilterConfig{};
  fc.state_logic = ctd::FilterLogic::kAccept;
  fc.tcp_states = 1u << 3;  // ESTABLISHED
  ct::Flow f = v4_flow("1.1.1.1", "2.2.2.2", 6);
  EXPECT_TRUE(ctd::filter_check(fc, f));  // no state: neutral
  f.set.set(F::kTcpState);
  f.tcp_state = 3;
  EXPECT_TRUE(ctd::filter_check(fc, f));
  f.tcp_state = 7;  // TIME_WAIT
  EXPECT_FALSE(ctd::filter_check(fc, f));
  EXPECT_TRUE(ctd::filter_check(fc, v4_flow("1.1.1.1", "2.2.2.2", 17)));  // UDP: neutral
  fc.state_logic = ctd::FilterLogic::kIgnore;
  EXPECT_TRUE(ctd::filter_check(fc, f));
  f.tcp_state = 3;
  EXPECT_FALSE(ctd::filter_check(fc, f));
}

TEST(ConntrackdSdNotify, SendsDatagramToNotifySocket) {
  char path[108];
  snprintf(path, sizeof path, "/tmp/ctd_notify_%d", static_cast<int>(getpid()));
  unlink(path);
  int s = socket(AF_UNIX, SOCK_DGRAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  strcpy(sa.sun_path, path);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  setenv("NOTIFY_SOCKET", path, 1);
  EXPECT_EQ(ctd::sd_notify_send("READY=1"), 1);
  char buf[32] = {};
  ssize_t n = recv(s, buf, sizeof buf - 1, MSG_DONTWAIT);
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "READY=1");
  unsetenv("NOTIFY_SOCKET");
  EXPECT_EQ(ctd::sd_notify_send("READY=1"), 0);
  close(s);
  unlink(path);
}

TEST(ConntrackdSdNotify, WatchdogInterval) {
  setenv("WATCHDOG_USEC", "20000000", 1);
  unsetenv("WATCHDOG_PID");
  EXPECT_EQ(ctd::sd_watchdog_usec(), 20000000u);
  setenv("WATCHDOG_PID", "1", 1);
  EXPECT_EQ(ctd::sd_watchdog_usec(), getpid() == 1 ? 20000000u : 0u);
  unsetenv("WATCHDOG_PID");
  unsetenv("WATCHDOG_USEC");
  EXPECT_EQ(ctd::sd_watchdog_usec(), 0u);
}

}  // namespace
