// strtol(3) and strtoul(3) as C defines them in the "C" locale, for the
// places where upstream's parsing behaviour (base 0 prefixes, wrapping of
// negative numbers, ERANGE) is part of what the user sees.  Ours because
// libc's share a generic scanner that costs ~2 KB in the static build.
#pragma once

namespace base {

// Leading isspace() skipped, optional sign, then digits in `base` (0:
// "0x" hex, "0" octal, else decimal; 16 also takes "0x").  *end (if not
// null) points after the digits, or at `s` when there are none.  On
// overflow the result saturates and errno is ERANGE; errno is otherwise
// left alone.
unsigned long c_strtoul(const char* s, char** end, int base);
long c_strtol(const char* s, char** end, int base);

// The value of one hexadecimal digit (either case), or -1.
inline int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace base
