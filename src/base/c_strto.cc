#include "base/c_strto.h"

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>

#include "base/line_reader.h"

namespace base {
namespace {

bool is_c_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// The magnitude strtoul/strtol read; false on overflow of 64 bits.
bool scan(const char* s, char** end, int base, uint64_t& mag, bool& neg) {
  const char* p = s;
  while (is_c_space(*p)) ++p;
  if (base == 0) {
    const char* q = p + (*p == '+' || *p == '-');
    base = q[0] != '0' ? 10 : (q[1] == 'x' || q[1] == 'X') ? 16 : 8;
  }
  bool overflow = false;
  size_t n = scan_number(std::string_view(p, std::strlen(p)), static_cast<unsigned>(base), mag,
                         neg, &overflow);
  if (end != nullptr) *end = const_cast<char*>(n == 0 ? s : p + n);
  return !overflow;
}

}  // namespace

unsigned long c_strtoul(const char* s, char** end, int base) {
  uint64_t mag;
  bool neg;
  if (!scan(s, end, base, mag, neg) || mag > ULONG_MAX) {
    errno = ERANGE;
    return ULONG_MAX;
  }
  return neg ? 0 - mag : mag;
}

long c_strtol(const char* s, char** end, int base) {
  uint64_t mag;
  bool neg;
  bool ok = scan(s, end, base, mag, neg);
  uint64_t limit = neg ? static_cast<uint64_t>(LONG_MAX) + 1 : LONG_MAX;
  if (!ok || mag > limit) {
    errno = ERANGE;
    return neg ? LONG_MIN : LONG_MAX;
  }
  return neg ? static_cast<long>(0 - mag) : static_cast<long>(mag);
}

}  // namespace base
