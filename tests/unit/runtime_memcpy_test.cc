// The static build's memcpy/memmove (src/base/static_runtime/runtime_memcpy.cc)
// against a byte loop: every size class (0-16 by pairs of loads, 17-32,
// the 32-byte loop, rep movsb from 1024), every alignment of source and
// destination, and for memmove overlaps in both directions.  The file is
// compiled here under other names, so the test's own memcpy stays libc's.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <emmintrin.h>

#define memcpy rt_memcpy
#define memmove rt_memmove
#include "base/static_runtime/runtime_memcpy.cc"
#undef memcpy
#undef memmove

namespace {

const size_t kSizes[] = {0,  1,  2,  3,  4,  5,  7,  8,  9,   15,  16,  17,   24,   31,  32,
                         33, 47, 48, 63, 64, 65, 95, 96, 127, 200, 255, 1000, 1023, 1024,
                         1025, 1040, 4096, 5000};

void fill(std::vector<unsigned char>& v, unsigned seed) {
  for (size_t i = 0; i < v.size(); i++) v[i] = static_cast<unsigned char>(i * 131 + seed * 7 + 1);
}

TEST(RuntimeMemcpy, MatchesByteCopyAtEverySizeAndAlignment) {
  constexpr size_t kPad = 64;
  for (size_t n : kSizes) {
    for (size_t so = 0; so < 16; so++) {
      for (size_t doff = 0; doff < 16; doff++) {
        std::vector<unsigned char> src(n + 2 * kPad), dst(n + 2 * kPad), want(n + 2 * kPad);
        fill(src, 1);
        fill(dst, 2);
        want = dst;
        for (size_t i = 0; i < n; i++) want[kPad + doff + i] = src[kPad + so + i];
        void* r = rt_memcpy(dst.data() + kPad + doff, src.data() + kPad + so, n);
        ASSERT_EQ(r, dst.data() + kPad + doff);
        ASSERT_EQ(dst, want) << "n=" << n << " src+" << so << " dst+" << doff;
      }
    }
  }
}

TEST(RuntimeMemmove, OverlapsInBothDirections) {
  constexpr size_t kPad = 128;
  for (size_t n : kSizes) {
    for (long shift = -70; shift <= 70; shift++) {
      std::vector<unsigned char> buf(n + 2 * kPad + 140), want;
      fill(buf, 3);
      want = buf;
      size_t from = kPad + 70;
      size_t to = static_cast<size_t>(static_cast<long>(from) + shift);
      std::vector<unsigned char> tmp(want.begin() + static_cast<long>(from),
                                     want.begin() + static_cast<long>(from + n));
      for (size_t i = 0; i < n; i++) want[to + i] = tmp[i];
      void* r = rt_memmove(buf.data() + to, buf.data() + from, n);
      ASSERT_EQ(r, buf.data() + to);
      ASSERT_EQ(buf, want) << "n=" << n << " shift=" << shift;
    }
  }
}

}  // namespace
#endif
