// Our small replacements for libc pieces the static build leaves out,
// each against the C library itself: base::c_strtoul/c_strtol against
// strtoul/strtol (value, end pointer, errno) and base::FgetsReader against
// fgets on the same bytes.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

#include "base/c_strto.h"
#include "base/fgets_reader.h"

namespace {

const char* const kNumbers[] = {
    "", " ", "0", "-0", "+0", "7", "  42", "\t\n\v\f\r 13x", "-1", "+12", "--1", "+-1",
    "0x", "0x1f", "0X1F", "0xg", "-0x10", "010", "08", "09", "0", "00x1", "0b1",
    "4294967295", "4294967296", "18446744073709551615", "18446744073709551616",
    "99999999999999999999999", "-18446744073709551615", "-18446744073709551616",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "-9223372036854775809", "12abc", "abc", "z", "1/2", "0xffffffffffffffff",
    "0x10000000000000000", "0777", "-0777", " +0x7fffffffffffffff",
};
const int kBases[] = {0, 8, 10, 16};

TEST(CStrto, UnsignedMatchesLibc) {
  for (const char* s : kNumbers) {
    for (int base : kBases) {
      char* end_libc;
      char* end_ours;
      errno = 0;
      unsigned long want = std::strtoul(s, &end_libc, base);
      int want_errno = errno;
      errno = 0;
      unsigned long got = base::c_strtoul(s, &end_ours, base);
      EXPECT_EQ(got, want) << '"' << s << "\" base " << base;
      EXPECT_EQ(end_ours - s, end_libc - s) << '"' << s << "\" base " << base;
      EXPECT_EQ(errno, want_errno) << '"' << s << "\" base " << base;
    }
  }
}

TEST(CStrto, SignedMatchesLibc) {
  for (const char* s : kNumbers) {
    for (int base : kBases) {
      char* end_libc;
      char* end_ours;
      errno = 0;
      long want = std::strtol(s, &end_libc, base);
      int want_errno = errno;
      errno = 0;
      long got = base::c_strtol(s, &end_ours, base);
      EXPECT_EQ(got, want) << '"' << s << "\" base " << base;
      EXPECT_EQ(end_ours - s, end_libc - s) << '"' << s << "\" base " << base;
      EXPECT_EQ(errno, want_errno) << '"' << s << "\" base " << base;
    }
  }
}

TEST(CStrto, NullEndAndErrnoKept) {
  errno = 1234;
  EXPECT_EQ(base::c_strtol("55", nullptr, 10), 55);
  EXPECT_EQ(errno, 1234);
}

// Every piece fgets gives for `content` read with a `size`-byte buffer.
std::string pieces_fgets(const std::string& path, int size) {
  FILE* f = std::fopen(path.c_str(), "r");
  std::string out;
  char buf[64];
  while (std::fgets(buf, size, f) != nullptr) out += std::string(buf) + "|";
  std::fclose(f);
  return out;
}

std::string pieces_ours(const std::string& path, int size) {
  base::FgetsReader r(base::open_read_only(path.c_str()));
  std::string out;
  char buf[64];
  while (r.next(buf, static_cast<size_t>(size))) out += std::string(buf) + "|";
  return out;
}

TEST(FgetsReader, SamePiecesAsFgets) {
  const std::string contents[] = {
      "", "\n", "a", "a\n", "abc\ndef\n", "abcdefgh\n\n\nxy", "exactly7\n", "123456\n7",
      std::string(10000, 'x') + "\n" + std::string(5000, 'y'),
      std::string("nul\0inside\nline\n", 17),
  };
  char tmpl[] = "/tmp/fgets_readerXXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  for (const std::string& c : contents) {
    ASSERT_EQ(ftruncate(fd, 0), 0);
    ASSERT_EQ(pwrite(fd, c.data(), c.size(), 0), static_cast<ssize_t>(c.size()));
    for (int size : {2, 3, 8, 9, 64}) {
      EXPECT_EQ(pieces_ours(tmpl, size), pieces_fgets(tmpl, size)) << c.size() << " bytes, size " << size;
    }
  }
  close(fd);
  unlink(tmpl);
}

TEST(FgetsReader, MissingFileHasNoLines) {
  errno = 0;
  int fd = base::open_read_only("/nonexistent/fgets_reader");
  EXPECT_LT(fd, 0);
  EXPECT_EQ(errno, ENOENT);
  base::FgetsReader r(fd);
  char buf[8];
  EXPECT_FALSE(r.next(buf, sizeof buf));
}

}  // namespace
