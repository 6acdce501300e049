// base/time_zone against glibc's localtime_r: the same broken-down local
// time for zone files (northern and southern DST, 30- and 45-minute
// offsets, negative DST, footer rules past the last transition) and POSIX
// TZ strings (M, J and plain day rules, negative and >24 h change times,
// quoted names, no DST, unreadable strings), over 1900-2100 and around
// every DST change of 2020-2040.  Also put_ctime against asctime_r.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include "base/out_buf.h"
#include "base/time_fmt.h"
#include "base/time_zone.h"

namespace {

const char* const kZones[] = {
    "UTC", "America/New_York", "Asia/Kolkata", "Europe/Berlin", "Australia/Sydney",
    "America/Sao_Paulo", "Pacific/Chatham", "Africa/Casablanca", "Europe/Dublin",
    "America/Nuuk", "Asia/Tehran", ":Europe/Paris", "/usr/share/zoneinfo/Asia/Tokyo",
    "<+0530>-5:30", "", ":", "EST5EDT,M3.2.0,M11.1.0", "CET-1CEST,M3.5.0,M10.5.0/3",
    "AEST-10AEDT,M10.1.0,M4.1.0/3", "XYZ-3:15", "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
    "IST-2IDT,M3.4.4/26,M10.5.0", "ABC3DEF,J60/1,J300", "ABC3DEF,59,300/4:30",
    "ABC-1DEF-3:30:15,M4.5.6/23:59:59,M9.1.1", "garbage", "No/Such_Zone", "ab1",
};

void set_tz(const char* tz) {
  if (tz == nullptr) unsetenv("TZ");
  else setenv("TZ", tz, 1);
  tzset();
  base::reload_time_zone();
}

::testing::AssertionResult same_as_libc(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm want;
  if (localtime_r(&tt, &want) == nullptr) return ::testing::AssertionFailure() << "libc failed";
  struct tm got;
  long off = base::local_utc_offset(t);
  if (!base::civil_time(t, off, &got)) return ::testing::AssertionFailure() << "ours failed";
  if (off != want.tm_gmtoff || got.tm_year != want.tm_year || got.tm_mon != want.tm_mon ||
      got.tm_mday != want.tm_mday || got.tm_hour != want.tm_hour || got.tm_min != want.tm_min ||
      got.tm_sec != want.tm_sec || got.tm_wday != want.tm_wday || got.tm_yday != want.tm_yday)
    return ::testing::AssertionFailure()
           << "t=" << t << " libc " << want.tm_year + 1900 << '-' << want.tm_mon + 1 << '-'
           << want.tm_mday << ' ' << want.tm_hour << ':' << want.tm_min << ':' << want.tm_sec
           << " off " << want.tm_gmtoff << ", ours " << got.tm_year + 1900 << '-'
           << got.tm_mon + 1 << '-' << got.tm_mday << ' ' << got.tm_hour << ':' << got.tm_min
           << ':' << got.tm_sec << " off " << off;
  return ::testing::AssertionSuccess();
}

TEST(TimeZone, MatchesLibcLocaltime) {
  const char* saved = getenv("TZ");
  std::string saved_tz = saved ? saved : "";
  for (const char* zone : kZones) {
    set_tz(zone);
    // 1900 .. 2100, an odd step so every time of day and weekday comes up.
    for (int64_t t = -2208988800; t < 4102444800; t += 86400 * 5 + 3623)
      ASSERT_TRUE(same_as_libc(t)) << "TZ=" << zone;
    // Around every change of 2020-2040: where libc's offset changes.
    for (int64_t t = 1577836800; t < 2208988800; t += 3600) {
      time_t a = static_cast<time_t>(t), b = static_cast<time_t>(t + 3600);
      struct tm ta, tb;
      localtime_r(&a, &ta);
      localtime_r(&b, &tb);
      if (ta.tm_gmtoff == tb.tm_gmtoff) continue;
      for (int64_t u = t; u <= t + 3600; u += 1) ASSERT_TRUE(same_as_libc(u)) << "TZ=" << zone;
    }
  }
  set_tz(nullptr);  // /etc/localtime
  for (int64_t t = 0; t < 4102444800; t += 86400 * 7 + 1)
    ASSERT_TRUE(same_as_libc(t)) << "TZ unset";
  if (saved) set_tz(saved_tz.c_str());
  else set_tz(nullptr);
}

TEST(TimeZone, PutCtimeMatchesAsctime) {
  const char* saved = getenv("TZ");
  std::string saved_tz = saved ? saved : "";
  set_tz("America/New_York");
  for (int64_t t : {int64_t{0}, int64_t{951782400}, int64_t{1700000000}, int64_t{1711846800},
                    int64_t{4102444799}}) {
    time_t tt = static_cast<time_t>(t);
    struct tm tm;
    char want[64];
    ASSERT_NE(localtime_r(&tt, &tm), nullptr);
    ASSERT_NE(asctime_r(&tm, want), nullptr);
    want[std::strlen(want) - 1] = '\0';  // the newline
    base::LineBuf<64> got;
    base::put_ctime(got, t);
    EXPECT_EQ(got.view(), std::string_view(want)) << t;
  }
  if (saved) set_tz(saved_tz.c_str());
  else set_tz(nullptr);
}

}  // namespace
