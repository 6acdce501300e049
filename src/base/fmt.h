// A small printf-like formatter, so the static musl build need not link
// libc's vfprintf (10 KB, with its floating-point code) for our messages.
//
// Supported, with snprintf's exact output (tests/unit/fmt_test.cc compares
// against libc):
//   conversions  d i u x X o c s %
//   flags        - 0 + space #
//   width and precision, either may be '*' (a negative '*' width means '-'
//   plus its absolute value; a negative '*' precision means none)
//   length       hh h l ll z j t
// Anything else (floating point, %n, %p, positional arguments) is not
// supported: the conversion is copied to the output as written.
#pragma once
#include <cstdarg>
#include <cstddef>

namespace base {

// vsnprintf(buf, cap, fmt, ap): writes at most cap - 1 bytes plus a NUL
// (nothing when cap is 0) and returns the length the whole output would
// have, or -1 if that exceeds INT_MAX.
int format_v(char* buf, size_t cap, const char* fmt, va_list ap);
int format(char* buf, size_t cap, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

}  // namespace base
