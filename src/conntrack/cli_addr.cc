#include "conntrack/cli_addr.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "base/c_strto.h"
#include "ct_uapi.h"

namespace conntrack {
namespace {

bool c_isdigit(char c) { return c >= '0' && c <= '9'; }
bool c_isspace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

}  // namespace

// Same algorithm as glibc's inet_aton_end(): C-style numbers (0x hex,
// leading-0 octal) separated by dots; the last part fills the remaining
// bytes; trailing whitespace ends the address.
bool inet_aton_glibc(const char* cp, uint8_t out[4]) {
  static const uint32_t kMax[4] = {0xffffffffu, 0xffffffu, 0xffffu, 0xffu};
  uint8_t parts[4] = {0, 0, 0, 0};
  int n = 0;
  uint32_t val = 0;
  bool digit = false;
  char c = *cp;
  int saved = errno;
  for (;;) {
    if (!c_isdigit(c)) return errno = saved, false;
    char* end;
    errno = 0;
    unsigned long ul = base::c_strtoul(cp, &end, 0);
    if ((ul == ULONG_MAX && errno == ERANGE) || ul > 0xfffffffful) return errno = saved, false;
    val = static_cast<uint32_t>(ul);
    digit = cp != end;
    cp = end;
    c = *cp;
    if (c != '.') break;
    if (n > 2 || val > 0xff) return errno = saved, false;
    parts[n++] = static_cast<uint8_t>(val);
    c = *++cp;
  }
  errno = saved;
  if (c != '\0' && (static_cast<unsigned char>(c) > 127 || !c_isspace(c))) return false;
  if (!digit || val > kMax[n]) return false;
  uint32_t word = static_cast<uint32_t>(parts[0]) << 24 | static_cast<uint32_t>(parts[1]) << 16 |
                  static_cast<uint32_t>(parts[2]) << 8 | parts[3];
  word |= val;
  out[0] = static_cast<uint8_t>(word >> 24);
  out[1] = static_cast<uint8_t>(word >> 16);
  out[2] = static_cast<uint8_t>(word >> 8);
  out[3] = static_cast<uint8_t>(word);
  return true;
}

namespace {

// glibc's inet_pton(AF_INET) part of an IPv6 address: exactly four
// decimal octets, none above 255, no leading zeros.
bool dotted_quad(const char* s, uint8_t out[4]) {
  int octets = 0;
  bool in_octet = false;
  unsigned v = 0;
  for (; *s != '\0'; ++s) {
    if (c_isdigit(*s)) {
      if (in_octet && v == 0) return false;
      v = v * 10 + static_cast<unsigned>(*s - '0');
      if (v > 255) return false;
      if (!in_octet) {
        if (++octets > 4) return false;
        in_octet = true;
      }
      out[octets - 1] = static_cast<uint8_t>(v);
    } else if (*s == '.' && in_octet) {
      if (octets == 4) return false;
      in_octet = false;
      v = 0;
    } else {
      return false;
    }
  }
  return octets == 4;
}

}  // namespace

// The rules of glibc's inet_pton(AF_INET6) (musl's differ, and libc's is
// ~0.8 KB of the static binary): groups of at most four hex digits, one
// "::" (which may stand for a single group), a leading ':' only as "::",
// no trailing single ':', an IPv4 dotted quad as the last 32 bits.
bool inet_pton6_glibc(const char* s, uint8_t out[16]) {
  uint8_t tmp[16] = {};
  int n = 0;         // bytes filled
  int gap = -1;      // where "::" was, in bytes
  int digits = 0;    // hex digits of the group being read
  unsigned v = 0;
  if (*s == ':' && *++s != ':') return false;
  const char* group = s;
  for (char c; (c = *s) != '\0'; ++s) {
    int h = base::hex_digit_value(c);
    if (h >= 0) {
      if (digits == 4) return false;
      v = v << 4 | static_cast<unsigned>(h);
      digits++;
      continue;
    }
    if (c == ':') {
      group = s + 1;
      if (digits == 0) {
        if (gap >= 0) return false;
        gap = n;
        continue;
      }
      if (s[1] == '\0' || n + 2 > 16) return false;
      tmp[n++] = static_cast<uint8_t>(v >> 8);
      tmp[n++] = static_cast<uint8_t>(v);
      digits = 0;
      v = 0;
      continue;
    }
    if (c == '.' && n + 4 <= 16 && dotted_quad(group, tmp + n)) {
      n += 4;
      digits = 0;
      break;
    }
    return false;
  }
  if (digits > 0) {
    if (n + 2 > 16) return false;
    tmp[n++] = static_cast<uint8_t>(v >> 8);
    tmp[n++] = static_cast<uint8_t>(v);
  }
  if (gap >= 0) {
    if (n == 16) return false;
    int tail = n - gap;
    std::memmove(tmp + 16 - tail, tmp + gap, static_cast<size_t>(tail));
    std::memset(tmp + gap, 0, static_cast<size_t>(16 - tail - gap));
    n = 16;
  }
  if (n != 16) return false;
  std::memcpy(out, tmp, 16);
  return true;
}

int parse_addr(const char* s, ct::Addr* addr, int* mask) {
  // upstream copies into char[INET6_ADDRSTRLEN] with strncpy: longer
  // arguments are cut to 45 characters before parsing.
  char buf[46];
  size_t n = 0;
  for (; n < sizeof buf - 1 && s[n] != '\0'; ++n) buf[n] = s[n];
  buf[n] = '\0';
  if (mask) {
    char* slash = std::strchr(buf, '/');
    if (slash) {
      char* end;
      // An int, as upstream stores strtol()'s result.
      *mask = static_cast<int>(base::c_strtol(slash + 1, &end, 10));
      if (*mask < 0 || end != slash + std::strlen(slash)) *mask = kBadNetmask;
      *slash = '\0';
    } else {
      *mask = kNoNetmask;
    }
  }
  std::memset(addr->b, 0, sizeof addr->b);
  if (inet_aton_glibc(buf, addr->b)) {
    if (mask && *mask > 32) *mask = kBadNetmask;
    return uapi::kAfInet;
  }
  if (inet_pton6_glibc(buf, addr->b)) {
    if (mask && *mask > 128) *mask = kBadNetmask;
    return uapi::kAfInet6;
  }
  return 0;
}

void build_netmask(ct::Addr* out, int bits, int words) {
  std::memset(out->b, 0, sizeof out->b);
  for (int i = 0; i < words; i++) {
    uint32_t w;
    if (bits >= 32) {
      w = 0xffffffffu;
      bits -= 32;
    } else if (bits > 0) {
      w = ~0u << (32 - bits);
      bits = 0;
    } else {
      w = 0;
    }
    out->b[i * 4] = static_cast<uint8_t>(w >> 24);
    out->b[i * 4 + 1] = static_cast<uint8_t>(w >> 16);
    out->b[i * 4 + 2] = static_cast<uint8_t>(w >> 8);
    out->b[i * 4 + 3] = static_cast<uint8_t>(w);
  }
}

}  // namespace conntrack
