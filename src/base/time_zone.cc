#include "base/time_zone.h"

#include <cstdlib>
#include <cstring>

#include "base/line_reader.h"

namespace base {
namespace {

constexpr int64_t kDay = 86400;

// One change date of a POSIX TZ rule, as glibc's tzset.c reads it.
struct Change {
  enum Kind : uint8_t { kJulian1, kJulian0, kMonth } kind = kMonth;  // Jn, n, Mm.w.d
  unsigned m = 0, n = 0, d = 0;
  long secs = 7200;  // local time of day of the change (default 02:00)
};

// A POSIX TZ string: standard offset, and if there is DST its offset and
// the changes into it (start) and out of it (end).
struct Posix {
  long std_off = 0, dst_off = 0;
  Change start, end;
};

// Fixed room for a TZif file's data: the largest zoneinfo files have a few
// hundred transitions.
constexpr unsigned kMaxTimes = 4096, kMaxTypes = 256;
constexpr size_t kMaxFile = 128 * 1024;

struct Zone {
  bool loaded = false;
  bool from_file = false;
  unsigned ntimes = 0, ntypes = 0;
  int64_t times[kMaxTimes];
  uint8_t type_of[kMaxTimes];
  long utoff[kMaxTypes];
  bool isdst[kMaxTypes];
  bool has_rule = false;  // footer rule (file), or the TZ string itself
  Posix rule;
};
Zone g_zone;
char g_file[kMaxFile];

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// sscanf("%hu") on what glibc feeds it: decimal digits, wrapping at 16 bits.
bool scan_u16(const char*& p, unsigned& v) {
  if (!is_digit(*p)) return false;
  v = 0;
  while (is_digit(*p)) v = (v * 10 + static_cast<unsigned>(*p++ - '0')) & 0xffff;
  return true;
}

// "hh[:mm[:ss]]" as sscanf("%hu%n:%hu%n:%hu%n") consumes it.
bool scan_hms(const char*& p, unsigned& hh, unsigned& mm, unsigned& ss) {
  mm = ss = 0;
  if (!scan_u16(p, hh)) return false;
  const char* q = p;
  if (*q == ':' && (++q, scan_u16(q, mm))) {
    p = q;
    if (*q == ':' && (++q, scan_u16(q, ss))) p = q;
  }
  return true;
}

unsigned min_u(unsigned a, unsigned b) { return a < b ? a : b; }

bool parse_name(const char*& p) {
  const char* q = p;
  while (is_alpha(*q)) ++q;
  if (q - p >= 3) {
    p = q;
    return true;
  }
  q = p;
  if (*q++ != '<') return false;
  const char* start = q;
  while (is_alpha(*q) || is_digit(*q) || *q == '+' || *q == '-') ++q;
  if (*q != '>' || q - start < 3) return false;
  p = q + 1;
  return true;
}

// glibc's parse_offset: POSIX offsets count west, ours east.
bool parse_offset(const char*& p, bool dst, long std_off, long& off) {
  if (!dst && *p != '+' && *p != '-' && !is_digit(*p)) return false;
  long sign = -1;
  if (*p == '+' || *p == '-') sign = *p++ == '-' ? 1 : -1;
  unsigned hh, mm, ss;
  if (scan_hms(p, hh, mm, ss)) {
    off = sign * static_cast<long>(min_u(ss, 59) + min_u(mm, 59) * 60 + min_u(hh, 24) * 3600);
  } else if (!dst) {
    off = 0;
    return false;
  } else {
    off = std_off + 3600;
  }
  return true;
}

bool parse_change(const char*& p, Change& c, bool is_start) {
  if (*p == ',') ++p;
  if (*p == 'J' || is_digit(*p)) {
    c.kind = *p == 'J' ? Change::kJulian1 : Change::kJulian0;
    if (c.kind == Change::kJulian1 && !is_digit(*++p)) return false;
    unsigned long d = 0;
    while (is_digit(*p)) {
      d = d * 10 + static_cast<unsigned long>(*p++ - '0');
      if (d > 365) return false;
    }
    if (c.kind == Change::kJulian1 && d == 0) return false;
    c.d = static_cast<unsigned>(d);
  } else if (*p == 'M') {
    ++p;
    c.kind = Change::kMonth;
    if (!scan_u16(p, c.m) || *p++ != '.' || !scan_u16(p, c.n) || *p++ != '.' || !scan_u16(p, c.d))
      return false;
    if (c.m < 1 || c.m > 12 || c.n < 1 || c.n > 5 || c.d > 6) return false;
  } else if (*p == '\0') {
    // No rule given: the US rule since 2007, as glibc assumes.
    c.kind = Change::kMonth;
    c.m = is_start ? 3 : 11;
    c.n = is_start ? 2 : 1;
    c.d = 0;
  } else {
    return false;
  }
  if (*p != '\0' && *p != '/' && *p != ',') return false;
  c.secs = 7200;
  if (*p == '/') {
    ++p;
    if (*p == '\0') return false;
    bool neg = *p == '-';
    if (neg) ++p;
    unsigned hh = 2, mm = 0, ss = 0;
    scan_hms(p, hh, mm, ss);
    c.secs = (neg ? -1 : 1) * static_cast<long>(hh * 3600 + mm * 60 + ss);
  }
  return true;
}

// glibc's __tzset_parse_tz; a string it cannot read is UTC.
void parse_posix(const char* p, Posix& r) {
  r = Posix{};
  if (!parse_name(p) || !parse_offset(p, false, 0, r.std_off)) {
    r.std_off = r.dst_off = 0;
    return;
  }
  r.dst_off = r.std_off;
  if (!parse_name(p)) return;
  parse_offset(p, true, r.std_off, r.dst_off);
  if (parse_change(p, r.start, true)) parse_change(p, r.end, false);
}

// Days from 1970-01-01 to January 1st of `year` (glibc's compute_change
// counts from 1970 and clamps earlier years to 0).
int64_t days_to_year(int64_t year) {
  if (year <= 1970) return 0;
  return (year - 1970) * 365 + ((year - 1) / 4 - 1970 / 4) - ((year - 1) / 100 - 1970 / 100) +
         ((year - 1) / 400 - 1970 / 400);
}

constexpr unsigned short kMonthStart[2][13] = {
    {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365},
    {0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366}};

// UTC time of change `c` in `year`, the local time of day counted in `off`.
int64_t change_time(const Change& c, int64_t year, long off) {
  int64_t t = days_to_year(year) * kDay;
  bool leap = is_leap(year);
  switch (c.kind) {
    case Change::kJulian1:
      t += (c.d - 1) * kDay;
      if (c.d >= 60 && leap) t += kDay;
      break;
    case Change::kJulian0:
      t += c.d * kDay;
      break;
    case Change::kMonth: {
      const unsigned short* md = &kMonthStart[leap][c.m];
      t += md[-1] * kDay;
      // Zeller's congruence: weekday of the month's first day.
      int64_t m1 = (c.m + 9) % 12 + 1;
      int64_t yy0 = c.m <= 2 ? year - 1 : year;
      int64_t yy1 = yy0 / 100, yy2 = yy0 % 100;
      int64_t dow = ((26 * m1 - 2) / 10 + 1 + yy2 + yy2 / 4 + yy1 / 4 - 2 * yy1) % 7;
      if (dow < 0) dow += 7;
      int64_t d = static_cast<int64_t>(c.d) - dow;
      if (d < 0) d += 7;
      for (unsigned i = 1; i < c.n; ++i) {
        if (d + 7 >= md[0] - md[-1]) break;
        d += 7;
      }
      t += d * kDay;
      break;
    }
  }
  return t - off + c.secs;
}

// Year of `t` in UTC (the year glibc computes a TZ rule's changes for).
int64_t utc_year(int64_t t) {
  struct tm tm;
  if (!civil_time(t, 0, &tm)) return 1970;
  return static_cast<int64_t>(tm.tm_year) + 1900;
}

long posix_offset(const Posix& r, int64_t t) {
  if (r.std_off == r.dst_off) return r.std_off;
  int64_t year = utc_year(t);
  int64_t start = change_time(r.start, year, r.std_off);
  int64_t end = change_time(r.end, year, r.dst_off);
  // Southern hemisphere: DST spans the new year.
  bool dst = start > end ? (t < end || t >= start) : (t >= start && t < end);
  return dst ? r.dst_off : r.std_off;
}

int64_t be(const uint8_t* p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i) v = v << 8 | p[i];
  if (n == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

// A TZif file (RFC 8536), its 64-bit part when there is one.
bool parse_tzif(const uint8_t* p, size_t len, Zone& z) {
  constexpr size_t kHdr = 44;
  if (len < kHdr || std::memcmp(p, "TZif", 4) != 0) return false;
  bool v2 = p[4] >= '2';
  unsigned tsize = 4;
  for (int pass = 0;; ++pass) {
    if (len < kHdr || std::memcmp(p, "TZif", 4) != 0) return false;
    uint64_t isut = static_cast<uint64_t>(be(p + 20, 4)) & 0xffffffff;
    uint64_t isstd = static_cast<uint64_t>(be(p + 24, 4)) & 0xffffffff;
    uint64_t leap = static_cast<uint64_t>(be(p + 28, 4)) & 0xffffffff;
    uint64_t ntimes = static_cast<uint64_t>(be(p + 32, 4)) & 0xffffffff;
    uint64_t ntypes = static_cast<uint64_t>(be(p + 36, 4)) & 0xffffffff;
    uint64_t chars = static_cast<uint64_t>(be(p + 40, 4)) & 0xffffffff;
    uint64_t body = ntimes * (tsize + 1) + ntypes * 6 + chars + leap * (tsize + 4) + isstd + isut;
    if (body > len - kHdr) return false;
    if (v2 && pass == 0) {
      p += kHdr + body;
      len -= kHdr + body;
      tsize = 8;
      continue;
    }
    if (ntypes == 0 || ntypes > kMaxTypes || ntimes > kMaxTimes) return false;
    const uint8_t* q = p + kHdr;
    for (uint64_t i = 0; i < ntimes; ++i) z.times[i] = be(q + i * tsize, tsize);
    q += ntimes * tsize;
    for (uint64_t i = 0; i < ntimes; ++i) {
      if (q[i] >= ntypes) return false;
      z.type_of[i] = q[i];
    }
    q += ntimes;
    for (uint64_t i = 0; i < ntypes; ++i) {
      z.utoff[i] = static_cast<long>(be(q + i * 6, 4));
      z.isdst[i] = q[i * 6 + 4] != 0;
    }
    z.ntimes = static_cast<unsigned>(ntimes);
    z.ntypes = static_cast<unsigned>(ntypes);
    z.has_rule = false;
    // The footer: "\n<POSIX TZ string>\n" after the 64-bit data.
    size_t used = kHdr + body;
    if (v2 && used < len && p[used] == '\n') {
      const char* s = reinterpret_cast<const char*>(p + used + 1);
      const char* e = static_cast<const char*>(std::memchr(s, '\n', len - used - 1));
      if (e != nullptr && e > s) {
        static char spec[128];
        size_t n = static_cast<size_t>(e - s);
        if (n < sizeof spec) {
          std::memcpy(spec, s, n);
          spec[n] = '\0';
          parse_posix(spec, z.rule);
          z.has_rule = true;
        }
      }
    }
    return true;
  }
}

bool load_file(const char* name, Zone& z) {
  char path[512];
  const char* file = name;
  if (name[0] != '/') {
    const char* dir = std::getenv("TZDIR");
    if (dir == nullptr || *dir == '\0') dir = "/usr/share/zoneinfo";
    size_t a = std::strlen(dir), b = std::strlen(name);
    if (a + 1 + b >= sizeof path) return false;
    std::memcpy(path, dir, a);
    path[a] = '/';
    std::memcpy(path + a + 1, name, b + 1);
    file = path;
  }
  long n = read_file(file, g_file, sizeof g_file);
  return n > 0 && parse_tzif(reinterpret_cast<const uint8_t*>(g_file), static_cast<size_t>(n), z);
}

// glibc's tzset_internal.
void load(Zone& z) {
  z.loaded = true;
  z.from_file = false;
  z.has_rule = false;
  z.rule = Posix{};
  const char* tz = std::getenv("TZ");
  if (tz == nullptr) tz = "/etc/localtime";
  else if (*tz == '\0') tz = "Universal";
  if (*tz == ':') ++tz;
  if (*tz != '\0' && load_file(tz, z)) {
    z.from_file = true;
    return;
  }
  if (*tz == '\0' || std::strcmp(tz, "/etc/localtime") == 0) return;  // UTC
  parse_posix(tz, z.rule);
  z.has_rule = true;
}

long file_offset(const Zone& z, int64_t t) {
  if (z.ntimes == 0 || t < z.times[0]) {
    // Before the first transition: the first standard-time type.
    unsigned i = 0;
    while (i < z.ntypes && z.isdst[i]) ++i;
    return z.utoff[i == z.ntypes ? 0 : i];
  }
  if (t >= z.times[z.ntimes - 1] && z.has_rule) return posix_offset(z.rule, t);
  unsigned lo = 0, hi = z.ntimes;  // last transition <= t
  while (hi - lo > 1) {
    unsigned mid = lo + (hi - lo) / 2;
    if (z.times[mid] <= t) lo = mid;
    else hi = mid;
  }
  return z.utoff[z.type_of[lo]];
}

}  // namespace

long local_utc_offset(int64_t t) {
  Zone& z = g_zone;
  if (!z.loaded) load(z);
  if (z.from_file) return file_offset(z, t);
  return z.has_rule ? posix_offset(z.rule, t) : 0;
}

void reload_time_zone() { g_zone.loaded = false; }

bool civil_time(int64_t t, long offset, struct tm* out) {
  std::memset(out, 0, sizeof *out);
  t += offset;
  int64_t days = t / kDay, rem = t % kDay;
  if (rem < 0) {
    rem += kDay;
    --days;
  }
  out->tm_hour = static_cast<int>(rem / 3600);
  out->tm_min = static_cast<int>(rem % 3600 / 60);
  out->tm_sec = static_cast<int>(rem % 60);
  int64_t wday = (days + 4) % 7;  // 1970-01-01 was a Thursday
  out->tm_wday = static_cast<int>(wday < 0 ? wday + 7 : wday);
  // Civil from days (Howard Hinnant's algorithm), eras of 400 years.
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t mday = doy - (153 * mp + 2) / 5 + 1;
  int64_t mon = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (mon <= 2 ? 1 : 0);
  if (year - 1900 > 2147483647 || year - 1900 < -2147483647 - 1) return false;
  out->tm_year = static_cast<int>(year - 1900);
  out->tm_mon = static_cast<int>(mon - 1);
  out->tm_mday = static_cast<int>(mday);
  out->tm_yday = static_cast<int>(kMonthStart[is_leap(year)][mon - 1] + mday - 1);
  return true;
}

}  // namespace base
