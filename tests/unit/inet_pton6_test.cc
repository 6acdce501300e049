// conntrack::inet_pton6_glibc against the glibc inet_pton(AF_INET6) the
// unit tests link: chosen edge cases, then many random strings over the
// characters an IPv6 address is made of.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "conntrack/cli_addr.h"

namespace {

void expect_like_glibc(const std::string& s) {
  uint8_t ours[16], theirs[16];
  std::memset(ours, 0xaa, sizeof ours);
  bool ok = conntrack::inet_pton6_glibc(s.c_str(), ours);
  bool want = inet_pton(AF_INET6, s.c_str(), theirs) > 0;
  ASSERT_EQ(ok, want) << '"' << s << '"';
  if (want) {
    EXPECT_EQ(std::memcmp(ours, theirs, 16), 0) << '"' << s << '"';
  }
}

TEST(InetPton6, EdgeCasesLikeGlibc) {
  const char* cases[] = {
      "", ":", "::", ":::", "::1", "1::", "1:", ":1", "1::2", "1::2::3", "::ffff:1.2.3.4",
      "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
      "1:2:3:4:5:6:7:8::", "1::3:4:5:6:7:8", "12345::", "0000:0:0:0:0:0:0:1", "fFfF::",
      "::1.2.3.4", "::1.2.3", "::1.2.3.4.5", "::01.2.3.4", "::0.0.0.0", "::256.1.1.1",
      "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4:5", "1.2.3.4", "::1.2..3",
      "::.1.2.3", "::1.2.3.", "g::", "1::2 ", " ::1", "::1%eth0", "1:2:3:4:5:6:7:8:",
      "::ffff:255.255.255.255", "a:b::c:1.2.3.4", "::12345", "::0x1", "2001:db8::/64",
  };
  for (const char* c : cases) expect_like_glibc(c);
}

TEST(InetPton6, RandomStringsLikeGlibc) {
  const char alphabet[] = "0123456789abcdefABCDEF::::...x";
  uint32_t seed = 12345;
  auto next = [&seed] { return seed = seed * 1103515245u + 12345u, seed >> 8; };
  for (int i = 0; i < 200000; i++) {
    std::string s;
    size_t len = next() % 46;
    for (size_t j = 0; j < len; j++) s += alphabet[next() % (sizeof alphabet - 1)];
    expect_like_glibc(s);
    if (HasFatalFailure()) return;
  }
}

// Mostly well-formed: 1-9 groups of 0-5 hex digits, sometimes a dotted
// quad at the end, so that both accepting and refusing paths are taken.
TEST(InetPton6, RandomGroupsLikeGlibc) {
  const char hex[] = "0123456789abcdefABCDEF";
  uint32_t seed = 777;
  auto next = [&seed] { return seed = seed * 1103515245u + 12345u, seed >> 8; };
  int accepted = 0;
  for (int i = 0; i < 100000; i++) {
    std::string s;
    int groups = 1 + static_cast<int>(next() % 9);
    for (int g = 0; g < groups; g++) {
      if (g > 0) s += ':';
      int digits = static_cast<int>(next() % 6);
      if (digits == 5 && next() % 4 != 0) digits = 2;
      for (int d = 0; d < digits; d++) s += hex[next() % (sizeof hex - 1)];
    }
    if (next() % 4 == 0) {
      s += ':';
      for (int o = 0; o < 4; o++) s += (o ? "." : "") + std::to_string(next() % 300);
    }
    uint8_t tmp[16];
    accepted += conntrack::inet_pton6_glibc(s.c_str(), tmp);
    expect_like_glibc(s);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(accepted, 1000);
}

}  // namespace
