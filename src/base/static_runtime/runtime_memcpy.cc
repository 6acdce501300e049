// memcpy and memmove for the static musl build, replacing musl's (`make
// static-musl` links this archive member before libc.a; memmove comes too
// because musl's jumps into its own memcpy's object).
//
// Why: musl's x86-64 memcpy aligns and finishes with one `movsb` per byte
// around a `rep movsq`, which costs tens of cycles even for 5 bytes.  Our
// printers append many short fields per line (OutBuf::put), and with that
// memcpy the static `conntrack -L` spent half its user time copying.  Here
// short copies are a few overlapping loads and stores, chosen by size.
//
// memcpy loads every source byte before it stores over bytes that could
// overlap it, going forwards, so memmove uses it for any copy to a lower
// address (or without overlap) and has only the backward walk of its own.
//
// Built with -fno-builtin and without LTO (see Makefile): the compiler must
// not turn these loops back into calls to memcpy.
#include <cstddef>
#include <cstdint>

#if defined(__x86_64__)
#include <emmintrin.h>

namespace {

using U64 = uint64_t __attribute__((may_alias, aligned(1)));
using U32 = uint32_t __attribute__((may_alias, aligned(1)));
using U16 = uint16_t __attribute__((may_alias, aligned(1)));

inline __m128i load16(const unsigned char* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline void store16(unsigned char* p, __m128i v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }

}  // namespace

extern "C" void* memcpy(void* dst, const void* src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  if (n <= 16) {
    if (n >= 8) {
      uint64_t a = *reinterpret_cast<const U64*>(s), b = *reinterpret_cast<const U64*>(s + n - 8);
      *reinterpret_cast<U64*>(d) = a;
      *reinterpret_cast<U64*>(d + n - 8) = b;
    } else if (n >= 4) {
      uint32_t a = *reinterpret_cast<const U32*>(s), b = *reinterpret_cast<const U32*>(s + n - 4);
      *reinterpret_cast<U32*>(d) = a;
      *reinterpret_cast<U32*>(d + n - 4) = b;
    } else if (n >= 2) {
      uint16_t a = *reinterpret_cast<const U16*>(s), b = *reinterpret_cast<const U16*>(s + n - 2);
      *reinterpret_cast<U16*>(d) = a;
      *reinterpret_cast<U16*>(d + n - 2) = b;
    } else if (n == 1) {
      *d = *s;
    }
    return dst;
  }
  __m128i tail = load16(s + n - 16);
  if (n <= 32) {
    store16(d, load16(s));
    store16(d + n - 16, tail);
    return dst;
  }
  if (n >= 1024) {
    // Long copies: the CPU's string copy is at its best here.
    unsigned char* end = d + n - 16;
    size_t body = n - 16;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(body) : : "memory");
    store16(end, tail);
    return dst;
  }
  size_t i = 0;
  for (; i + 32 < n; i += 32) {
    __m128i a = load16(s + i), b = load16(s + i + 16);
    store16(d + i, a);
    store16(d + i + 16, b);
  }
  if (i + 16 < n) store16(d + i, load16(s + i));
  store16(d + n - 16, tail);
  return dst;
}

extern "C" void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  if (reinterpret_cast<uintptr_t>(d) - reinterpret_cast<uintptr_t>(s) >= n || n <= 32)
    return memcpy(dst, src, n);
  // Overlapping, to a higher address: from the end down, the first 16
  // source bytes kept aside before anything can overwrite them.
  __m128i head = load16(s);
  size_t i = n;
  for (; i > 32; i -= 32) {
    __m128i a = load16(s + i - 16), b = load16(s + i - 32);
    store16(d + i - 16, a);
    store16(d + i - 32, b);
  }
  if (i > 16) store16(d + i - 16, load16(s + i - 16));
  store16(d, head);
  return dst;
}

#endif
