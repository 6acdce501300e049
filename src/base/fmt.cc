#include "base/fmt.h"

#include <climits>
#include <cstdint>
#include <cstring>
#include <sys/types.h>

// Integer arguments travel as at most 64 bits.
static_assert(sizeof(unsigned long long) == 8 && sizeof(uintmax_t) == 8);

namespace base {
namespace {

enum : unsigned {
  kLeft = 1,    // '-'
  kZero = 2,    // '0'
  kPlus = 4,    // '+'
  kSpace = 8,   // ' '
  kAlt = 16,    // '#'
};

enum class Len { kNone, kHH, kH, kL, kLL, kZ, kJ, kT };

// Counts every byte; stores those that fit before the terminating NUL.
struct Sink {
  char* buf;
  size_t cap;  // bytes we may store, NUL excluded
  size_t pos = 0;

  void put(const char* s, size_t n) {
    if (pos < cap) {
      size_t room = cap - pos;
      std::memcpy(buf + pos, s, n < room ? n : room);
    }
    pos += n;
  }
  void fill(char c, size_t n) {
    if (pos < cap) {
      size_t room = cap - pos;
      std::memset(buf + pos, c, n < room ? n : room);
    }
    pos += n;
  }
};

// Pads `len` bytes of content to `width` on the side the flags ask for.
void put_padded(Sink& out, const char* s, size_t len, size_t width, unsigned flags) {
  size_t pad = width > len ? width - len : 0;
  if (!(flags & kLeft)) out.fill(' ', pad);
  out.put(s, len);
  if (flags & kLeft) out.fill(' ', pad);
}

void put_int(Sink& out, uint64_t v, bool negative, char conv, unsigned flags, size_t width,
             long prec) {
  char digits[22];  // octal UINT64_MAX
  char* end = digits + sizeof digits;
  char* p = end;
  unsigned base = conv == 'o' ? 8 : (conv == 'x' || conv == 'X') ? 16 : 10;
  const char* xdigits = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  for (uint64_t x = v; x != 0; x /= base) *--p = xdigits[x % base];
  size_t ndigits = static_cast<size_t>(end - p);
  if (prec < 0) prec = 1;  // no precision: at least one digit
  else flags &= ~kZero;    // a precision turns off '0'
  size_t nzeros = static_cast<size_t>(prec) > ndigits ? static_cast<size_t>(prec) - ndigits : 0;
  // '#' with 'o': the first digit printed is a 0.
  if (base == 8 && (flags & kAlt) && nzeros == 0 && (ndigits == 0 || *p != '0')) nzeros = 1;

  char prefix[2];
  size_t nprefix = 0;
  if (base == 10 && conv != 'u') {
    if (negative) prefix[nprefix++] = '-';
    else if (flags & kPlus) prefix[nprefix++] = '+';
    else if (flags & kSpace) prefix[nprefix++] = ' ';
  } else if (base == 16 && (flags & kAlt) && v != 0) {
    prefix[nprefix++] = '0';
    prefix[nprefix++] = conv;
  }

  size_t len = nprefix + nzeros + ndigits;
  size_t pad = width > len ? width - len : 0;
  if (flags & kLeft) {
    out.put(prefix, nprefix);
    out.fill('0', nzeros);
    out.put(p, ndigits);
    out.fill(' ', pad);
  } else if (flags & kZero) {
    out.put(prefix, nprefix);
    out.fill('0', nzeros + pad);
    out.put(p, ndigits);
  } else {
    out.fill(' ', pad);
    out.put(prefix, nprefix);
    out.fill('0', nzeros);
    out.put(p, ndigits);
  }
}

// The integer argument for a conversion with length modifier `len`: read
// with one of three va_arg types (the promoted sizes), then narrowed to
// the modifier's size and, for signed conversions, sign-extended.
uint64_t int_arg(Len len, bool is_signed, va_list& ap) {
  unsigned size;
  switch (len) {
    case Len::kHH: size = 1; break;
    case Len::kH: size = 2; break;
    case Len::kL: size = sizeof(long); break;
    case Len::kLL: size = sizeof(long long); break;
    case Len::kZ: size = sizeof(size_t); break;
    case Len::kJ: size = sizeof(intmax_t); break;
    case Len::kT: size = sizeof(ptrdiff_t); break;
    default: size = sizeof(int); break;
  }
  uint64_t raw;
  if (size == sizeof(unsigned long long)) raw = va_arg(ap, unsigned long long);
  else if (size == sizeof(unsigned long)) raw = va_arg(ap, unsigned long);
  else raw = va_arg(ap, unsigned);  // int and anything promoted to it
  unsigned shift = 64 - 8 * size;
  raw <<= shift;
  return is_signed ? static_cast<uint64_t>(static_cast<int64_t>(raw) >> shift) : raw >> shift;
}

// A decimal field (width or precision) written in the format; saturates
// above INT_MAX, which then makes the whole result overflow.
size_t parse_num(const char*& f) {
  size_t n = 0;
  while (*f >= '0' && *f <= '9') {
    if (n <= static_cast<size_t>(INT_MAX)) n = n * 10 + static_cast<size_t>(*f - '0');
    ++f;
  }
  return n;
}

}  // namespace

int format_v(char* buf, size_t cap, const char* fmt, va_list ap_in) {
  va_list ap;
  va_copy(ap, ap_in);
  Sink out{buf, cap > 0 ? cap - 1 : 0};
  const char* f = fmt;
  while (*f != '\0') {
    if (*f != '%') {
      const char* lit = f;
      while (*f != '\0' && *f != '%') ++f;
      out.put(lit, static_cast<size_t>(f - lit));
      continue;
    }
    const char* spec = f++;
    unsigned flags = 0;
    for (;; ++f) {
      if (*f == '-') flags |= kLeft;
      else if (*f == '0') flags |= kZero;
      else if (*f == '+') flags |= kPlus;
      else if (*f == ' ') flags |= kSpace;
      else if (*f == '#') flags |= kAlt;
      else break;
    }
    size_t width = 0;
    if (*f == '*') {
      ++f;
      int w = va_arg(ap, int);
      if (w < 0) {
        flags |= kLeft;
        width = static_cast<size_t>(-static_cast<long long>(w));
      } else {
        width = static_cast<size_t>(w);
      }
    } else {
      width = parse_num(f);
    }
    long prec = -1;
    if (*f == '.') {
      ++f;
      if (*f == '*') {
        ++f;
        int p = va_arg(ap, int);
        prec = p < 0 ? -1 : p;
      } else {
        prec = static_cast<long>(parse_num(f));
      }
    }
    if (flags & kLeft) flags &= ~kZero;
    if (flags & kPlus) flags &= ~kSpace;
    Len len = Len::kNone;
    if (*f == 'h') {
      ++f;
      len = Len::kH;
      if (*f == 'h') { ++f; len = Len::kHH; }
    } else if (*f == 'l') {
      ++f;
      len = Len::kL;
      if (*f == 'l') { ++f; len = Len::kLL; }
    } else if (*f == 'z') {
      ++f;
      len = Len::kZ;
    } else if (*f == 'j') {
      ++f;
      len = Len::kJ;
    } else if (*f == 't') {
      ++f;
      len = Len::kT;
    }
    char conv = *f;
    if (conv != '\0') ++f;
    switch (conv) {
      case 'd':
      case 'i': {
        int64_t v = static_cast<int64_t>(int_arg(len, true, ap));
        uint64_t mag = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
        put_int(out, mag, v < 0, 'd', flags, width, prec);
        break;
      }
      case 'u':
      case 'x':
      case 'X':
      case 'o':
        put_int(out, int_arg(len, false, ap), false, conv, flags, width, prec);
        break;
      case 'c': {
        char c = static_cast<char>(va_arg(ap, int));
        put_padded(out, &c, 1, width, flags);
        break;
      }
      case 's': {
        const char* s = va_arg(ap, const char*);
        if (s == nullptr) s = (prec < 0 || prec >= 6) ? "(null)" : "";
        size_t n = 0;
        if (prec < 0) n = std::strlen(s);
        else while (n < static_cast<size_t>(prec) && s[n] != '\0') ++n;
        put_padded(out, s, n, width, flags);
        break;
      }
      case '%':
        out.put("%", 1);
        break;
      default:
        // Unsupported: copy the conversion as written.
        out.put(spec, static_cast<size_t>(f - spec));
        break;
    }
  }
  va_end(ap);
  if (cap > 0) buf[out.pos < cap - 1 ? out.pos : cap - 1] = '\0';
  return out.pos > static_cast<size_t>(INT_MAX) ? -1 : static_cast<int>(out.pos);
}

int format(char* buf, size_t cap, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = format_v(buf, cap, fmt, ap);
  va_end(ap);
  return n;
}

}  // namespace base
