#include "base/time_fmt.h"

#include "base/time_zone.h"

namespace base {
namespace {

constexpr char kDays[] = "SunMonTueWedThuFriSat";
constexpr char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

struct Cache {
  bool valid = false;
  int64_t t = 0;
  struct tm tm {};
};
Cache g_cache;  // single-threaded programs; see put_ctime()

void put_2digits(OutBuf& out, int v) {
  out.put(static_cast<char>('0' + v / 10 % 10));
  out.put(static_cast<char>('0' + v % 10));
}

}  // namespace

bool local_time(int64_t t, struct tm* out) {
  if (!g_cache.valid || g_cache.t != t) {
    if (!civil_time(t, local_utc_offset(t), &g_cache.tm)) return false;
    g_cache.t = t;
    g_cache.valid = true;
  }
  *out = g_cache.tm;
  return true;
}

// asctime's layout is "%.3s %.3s%3d %.2d:%.2d:%.2d %d".
void put_ctime(OutBuf& out, int64_t t) {
  struct tm tm;
  if (!local_time(t, &tm)) return;
  unsigned wday = static_cast<unsigned>(tm.tm_wday) % 7;
  unsigned mon = static_cast<unsigned>(tm.tm_mon) % 12;
  out.put(std::string_view(kDays + 3 * wday, 3));
  out.put(' ');
  out.put(std::string_view(kMonths + 3 * mon, 3));
  out.put(' ');
  if (tm.tm_mday < 10) out.put(' ');
  out.put_u64(static_cast<uint64_t>(tm.tm_mday));
  out.put(' ');
  put_2digits(out, tm.tm_hour);
  out.put(':');
  put_2digits(out, tm.tm_min);
  out.put(':');
  put_2digits(out, tm.tm_sec);
  out.put(' ');
  out.put_i64(static_cast<int64_t>(tm.tm_year) + 1900);
}

}  // namespace base
