// base::format_v against the C library's vsnprintf: same bytes, same return
// value, same truncation, for every conversion our messages use and the
// edge cases around them.  Also the /proc helpers of base/line_reader.h.
#include <gtest/gtest.h>

#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/types.h>
#include <unistd.h>
#include <vector>

#include "base/fmt.h"
#include "base/line_reader.h"

namespace {

constexpr size_t kBuf = 512;

struct Result {
  int ret;
  char buf[kBuf];
};

Result run_libc(size_t cap, const char* fmt, va_list ap) {
  Result r;
  std::memset(r.buf, 'Z', sizeof r.buf);
  r.ret = vsnprintf(r.buf, cap, fmt, ap);
  return r;
}

Result run_ours(size_t cap, const char* fmt, va_list ap) {
  Result r;
  std::memset(r.buf, 'Z', sizeof r.buf);
  r.ret = base::format_v(r.buf, cap, fmt, ap);
  return r;
}

// Formats with both, with a `cap`-byte buffer; compares the return values
// and the whole buffers (so bytes past the NUL must be untouched as well).
// The format is not a literal here, so the compiler's format checks cannot
// object to the deliberately odd ones below.
void check_cap(size_t cap, const char* fmt, ...) {
  ASSERT_LE(cap, kBuf);
  va_list a1, a2;
  va_start(a1, fmt);
  va_copy(a2, a1);
  Result want = run_libc(cap, fmt, a1);
  Result got = run_ours(cap, fmt, a2);
  va_end(a2);
  va_end(a1);
  EXPECT_EQ(want.ret, got.ret) << "format \"" << fmt << "\" cap " << cap;
  EXPECT_EQ(std::string(want.buf, kBuf), std::string(got.buf, kBuf))
      << "format \"" << fmt << "\" cap " << cap << ": want \""
      << std::string(want.buf, strnlen(want.buf, kBuf)) << "\" got \""
      << std::string(got.buf, strnlen(got.buf, kBuf)) << "\"";
}

#define CHECK(...) check_cap(kBuf, __VA_ARGS__)

// base::format without the compiler's format checks, for formats it would
// reject at compile time.
int ours(char* buf, size_t cap, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = base::format_v(buf, cap, fmt, ap);
  va_end(ap);
  return n;
}

TEST(Fmt, Literals) {
  CHECK("");
  CHECK("plain text");
  CHECK("%%");
  CHECK("100%% done, %d%%", 5);
  CHECK("%5%");
  CHECK("a%%b%%%%c");
}

TEST(Fmt, SignedInts) {
  const int values[] = {0, 1, -1, 7, -7, 42, -42, 999, 1000, -1000, 1234567,
                        INT_MAX, INT_MIN, INT_MAX - 1, INT_MIN + 1};
  const char* formats[] = {"%d", "%i", "%1d", "%5d", "%-5d|", "%05d", "%.3d", "%8.3d",
                           "%-8.3d|", "%08.3d", "%+d", "% d", "%+05d", "% 05d", "%+ d",
                           "%.0d", "%5.0d", "%-05d|", "%012d", "%-+12d|", "%.12d",
                           "%+.12d", "[%3d]"};
  for (const char* f : formats)
    for (int v : values) check_cap(kBuf, f, v);
}

TEST(Fmt, UnsignedInts) {
  const unsigned values[] = {0u, 1u, 7u, 8u, 15u, 16u, 42u, 255u, 4096u,
                             0xdeadbeefu, UINT_MAX, UINT_MAX - 1, 1u << 31};
  const char* formats[] = {"%u", "%x", "%X", "%o", "%#x", "%#X", "%#o", "%#.0o", "%#.0x",
                           "%.0u", "%.0x", "%08x", "%-8x|", "%#010x", "%#-10x|", "%#10.6x",
                           "%4u", "%-4u|", "%-4u\t", "cpu=%-4u\t", "%.5o", "%#.5o", "%#5o",
                           "%+u", "% u", "%010u", "%10.4u", "%#o%#x"};
  for (const char* f : formats)
    for (unsigned v : values) check_cap(kBuf, f, v, v);
}

TEST(Fmt, LengthModifiers) {
  const long lv[] = {0, 1, -1, LONG_MAX, LONG_MIN, 1234567890123L, -98765432109L};
  for (long v : lv) {
    CHECK("%ld", v);
    CHECK("%li", v);
    CHECK("%20ld|", v);
    CHECK("%-20ld|", v);
    CHECK("%+ld", v);
    CHECK("%lu", static_cast<unsigned long>(v));
    CHECK("%lx", static_cast<unsigned long>(v));
    CHECK("%#lo", static_cast<unsigned long>(v));
    CHECK("/proc/%ld/stat", v);
    CHECK("socket:[%lu]", static_cast<unsigned long>(v));
  }
  const long long llv[] = {0, -1, LLONG_MAX, LLONG_MIN, 18446744073709LL};
  for (long long v : llv) {
    CHECK("%lld", v);
    CHECK("%llu", static_cast<unsigned long long>(v));
    CHECK("%llx", static_cast<unsigned long long>(v));
    CHECK("%#llX", static_cast<unsigned long long>(v));
    CHECK("%llo", static_cast<unsigned long long>(v));
    CHECK("%025lld", v);
  }
  CHECK("%llu", ULLONG_MAX);
  CHECK("%zu %zx", SIZE_MAX, size_t{4096});
  CHECK("%zu", size_t{0});
  CHECK("%zd %zd", ssize_t{-5}, ssize_t{SSIZE_MAX});
  CHECK("%td %tx", ptrdiff_t{-12345}, ptrdiff_t{255});
  CHECK("%jd %ju", INTMAX_MIN, UINTMAX_MAX);
  // hh and h narrow the promoted int.
  const int narrow[] = {0, 1, -1, 127, 128, 255, 256, 300, -129, 32767, 32768, 65535, 70000,
                        -70000, INT_MIN, INT_MAX};
  for (int v : narrow) {
    CHECK("%hhd", v);
    CHECK("%hhu", v);
    CHECK("%hhx", v);
    CHECK("%hd", v);
    CHECK("%hu", v);
    CHECK("%#ho", v);
  }
  // Several arguments of mixed sizes in one format.
  CHECK("%hhd %ld %d %llu %hu %zu %c %s", 300, LONG_MIN, INT_MIN, ULLONG_MAX, 70000,
        size_t{77}, 'q', "end");
}

TEST(Fmt, Chars) {
  for (int c : {int{'a'}, int{'Z'}, int{' '}, int{'%'}, 0x7f, 0xe9}) {
    CHECK("%c", c);
    CHECK("[%3c]", c);
    CHECK("[%-3c]", c);
    CHECK("[%03c]", c);
    CHECK("[%*c]", -4, c);
  }
  // A NUL character is output (and counted) like any other.
  CHECK("a%cb", 0);
}

TEST(Fmt, Strings) {
  const char* strs[] = {"", "a", "abc", "conntrack", "a longer string with spaces"};
  const char* formats[] = {"%s", "[%10s]", "[%-10s]", "[%.2s]", "[%10.2s]", "[%-10.2s]",
                           "[%.0s]", "[%.100s]", "[%1s]", "[%010s]", "[%-8s]", "[%.9s]"};
  for (const char* f : formats)
    for (const char* s : strs) check_cap(kBuf, f, s);
  const char* null = nullptr;
  CHECK("%s", null);
  CHECK("[%10s]", null);
  CHECK("[%.3s]", null);
  CHECK("[%.6s]", null);
  CHECK("[%-8.7s]", null);
}

TEST(Fmt, StarWidthAndPrecision) {
  // %.*s over bytes that are not NUL-terminated: reads stop at the precision.
  const char raw[4] = {'a', 'b', 'c', 'd'};
  CHECK("[%.*s]", 4, raw);
  CHECK("[%.*s]", 2, raw);
  CHECK("[%.*s]", 0, raw);
  CHECK("%.*s v%.*s (conntrack-tools): ", 9, "conntrack", 5, "1.4.7");
  CHECK("Try `%.*s -h' or '%.*s --help' for more information.\n", 9, "conntrack", 9,
        "conntrack");
  for (int w : {-12, -5, -1, 0, 1, 5, 12}) {
    CHECK("[%*s]", w, "abc");
    CHECK("[%-*s]", w, "abc");
    CHECK("[%*d]", w, -42);
    CHECK("[%0*d]", w, -42);
    CHECK("[%-*d]", w, 42);
    CHECK("[%*llu]", w, 123ULL);
    CHECK("[%0*llu]", w, 123ULL);
    CHECK("[%*c]", w, 'x');
    for (int p : {-3, -1, 0, 1, 2, 6}) {
      CHECK("[%.*s]", p, "abcdef");
      CHECK("[%*.*s]", w, p, "abcdef");
      CHECK("[%.*d]", p, 7);
      CHECK("[%*.*d]", w, p, -7);
      CHECK("[%0*.*d]", w, p, 0);
      CHECK("[%*.*x]", w, p, 0xabcu);
      CHECK("[%#*.*o]", w, p, 0u);
    }
  }
  CHECK("[%-*s]", 20, "padded");
  CHECK("[%*llu]", 20, ULLONG_MAX);
  CHECK("[%0*llu]", 25, 1ULL);
}

TEST(Fmt, Truncation) {
  const char* fmt = "%s=%d, %-6s|%x";
  for (size_t cap : {size_t{0}, size_t{1}, size_t{2}, size_t{5}, size_t{10}, size_t{18},
                     size_t{19}, size_t{20}, size_t{21}, size_t{64}})
    check_cap(cap, fmt, "name", -1234, "ab", 0xbeefu);
  // Width and padding beyond the buffer still count.
  for (size_t cap : {size_t{0}, size_t{1}, size_t{7}, size_t{100}, size_t{kBuf}}) {
    check_cap(cap, "%2000d", 5);
    check_cap(cap, "%-2000d|", 5);
    check_cap(cap, "%02000d", -5);
    check_cap(cap, "%.1500d", 5);
    check_cap(cap, "%*s", 1000, "x");
    check_cap(cap, "%.*s", 1000, "only this");
  }
  // A zero-sized buffer: nothing written, the full length returned.
  Result r;
  std::memset(r.buf, 'Z', sizeof r.buf);
  EXPECT_EQ(base::format(r.buf, 0, "%s", "abcdef"), 6);
  EXPECT_EQ(r.buf[0], 'Z');
  EXPECT_EQ(base::format(nullptr, 0, "%d-%s", 12, "ab"), 5);
}

TEST(Fmt, Unsupported) {
  // Unknown conversions are copied as written, as glibc does for these.
  // (glibc rewrites the flags of some, e.g. "%-08y" as "%-8y", and fails on
  // a lone trailing '%'; we copy both verbatim.  No program format has any.)
  CHECK("%y");
  CHECK("a %5k b");
  CHECK("%5y|%-3k");
  char buf[16];
  EXPECT_EQ(base::format(buf, sizeof buf, "%s%%", "x"), 2);
  const char* lone = "trailing %";
  EXPECT_EQ(ours(buf, sizeof buf, lone), 10);
  EXPECT_STREQ(buf, "trailing %");
}

TEST(Fmt, Overflow) {
  // Output longer than INT_MAX is an error, as in libc (EOVERFLOW): a '*'
  // width of INT_MIN means '-' and 2^31 columns.  (glibc agrees, but takes
  // seconds to pad its way there, so only ours is run.)
  char buf[16];
  EXPECT_EQ(ours(buf, sizeof buf, "%*d", INT_MIN, 1), -1);
  EXPECT_EQ(ours(buf, sizeof buf, "%*s|%*s", INT_MAX, "a", INT_MAX, "b"), -1);
  EXPECT_EQ(ours(buf, sizeof buf, "%*s", INT_MAX, "a"), INT_MAX);
  EXPECT_EQ(ours(buf, sizeof buf, "%99999999999d", 1), -1);
}

TEST(Fmt, ProgramFormats) {
  // Every format string our programs pass, with typical arguments.
  CHECK("%u flow entries have been shown.\n", 0u);
  CHECK("%u expectations have been shown.\n", 123456u);
  CHECK("Operation failed: %s", "No such file or directory");
  CHECK("You need to supply the `--%.*s' option for this command", 4, "orig-src");
  CHECK("Illegal option `--%.*s' with this command", 8, "reply-dst");
  CHECK("nfct_labelmap_new: %s\n", "Permission denied");
  CHECK("Can't open %s", "/proc/sys/net/netfilter/nf_conntrack_count");
  CHECK("%-8s%u", "tcp", 6u);
  CHECK("%d\n", INT_MIN);
  CHECK("cpu=%-4u\t", 65535u);
  CHECK("cpu=%-4u\t", 12345u);
}

// ---- base/line_reader.h ---------------------------------------------------

std::string write_temp(const std::string& text) {
  char path[] = "/tmp/fmt_test_XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  return path;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> out;
  base::LineReader r(path.c_str());
  EXPECT_TRUE(r.ok());
  std::string_view l;
  while (r.next(l)) out.emplace_back(l);
  return out;
}

TEST(LineReader, Lines) {
  std::string p = write_temp("one\ntwo words\n\nlast without newline");
  EXPECT_EQ(lines_of(p), (std::vector<std::string>{"one", "two words", "", "last without newline"}));
  unlink(p.c_str());
  p = write_temp("");
  EXPECT_TRUE(lines_of(p).empty());
  unlink(p.c_str());
  base::LineReader missing("/nonexistent/file");
  EXPECT_FALSE(missing.ok());
  std::string_view l;
  EXPECT_FALSE(missing.next(l));
}

TEST(LineReader, LongLinesSplitLikeFgets) {
  // fgets into a 4096-byte buffer returns 4095 bytes at a time.
  std::string big(5000, 'x');
  big[4094] = 'y';
  std::string p = write_temp(big + "\nshort\n" + std::string(4095, 'z') + "\n");
  auto v = lines_of(p);
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v[0], big.substr(0, 4095));
  EXPECT_EQ(v[1], big.substr(4095));
  EXPECT_EQ(v[2], "short");
  EXPECT_EQ(v[3], std::string(4095, 'z'));
  EXPECT_EQ(v[4], "");
  unlink(p.c_str());
}

TEST(LineReader, ManyLinesAcrossReads) {
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "line " + std::to_string(i) + "\n";
  std::string p = write_temp(text);
  auto v = lines_of(p);
  ASSERT_EQ(v.size(), 3000u);
  for (int i = 0; i < 3000; ++i) EXPECT_EQ(v[static_cast<size_t>(i)], "line " + std::to_string(i));
  unlink(p.c_str());
}

TEST(LineReader, ReadFile) {
  std::string p = write_temp("12345\n");
  char buf[4];
  EXPECT_EQ(base::read_file(p.c_str(), buf, sizeof buf), 4);
  EXPECT_EQ(std::string(buf, 4), "1234");
  char big[64];
  EXPECT_EQ(base::read_file(p.c_str(), big, sizeof big), 6);
  unlink(p.c_str());
  EXPECT_EQ(base::read_file("/nonexistent/file", big, sizeof big), -1);
}

TEST(LineReader, Fields) {
  std::string_view s = "  cpu  entries   searched ";
  std::string_view f;
  std::vector<std::string> got;
  while (base::next_field(s, f, ' ')) got.emplace_back(f);
  EXPECT_EQ(got, (std::vector<std::string>{"cpu", "entries", "searched"}));
  s = "\ta\tb c\n";
  got.clear();
  while (base::next_field(s, f, ' ')) got.emplace_back(f);
  EXPECT_EQ(got, (std::vector<std::string>{"\ta\tb", "c\n"}));
  s = " \ta\v b\r\nc ";
  got.clear();
  while (base::next_word(s, f)) got.emplace_back(f);
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b", "c"}));
}

// scan_number against strtoull (which also reports the consumed length).
void check_scan(const char* s, unsigned base) {
  errno = 0;
  char* end;
  unsigned long long want = strtoull(s, &end, static_cast<int>(base));
  bool want_neg = false;
  size_t want_len = static_cast<size_t>(end - s);
  uint64_t mag;
  bool neg;
  size_t len = base::scan_number(s, base, mag, neg);
  EXPECT_EQ(len, want_len) << s << " base " << base;
  if (want_len == 0) return;
  want_neg = s[0] == '-';
  EXPECT_EQ(neg, want_neg) << s;
  // strtoull negates the magnitude (ULLONG_MAX stays saturated).
  uint64_t signed_val = neg && mag != UINT64_MAX ? 0 - mag : mag;
  EXPECT_EQ(signed_val, want) << s << " base " << base;
}

TEST(LineReader, ScanNumber) {
  for (const char* s : {"0", "1", "42", "-42", "+7", "00000000", "0000a1b2", "ffffffff",
                        "FFFFFFFFFFFFFFFF", "10000000000000000", "99999999999999999999999",
                        "0x1f", "0X1F", "0x", "0xg", "-0x10", "12abc", "abc", "", "-", "+",
                        "4294967295", "18446744073709551615", "18446744073709551616", "1 2"}) {
    check_scan(s, 10);
    check_scan(s, 16);
  }
}

}  // namespace
