#include "base/out_buf.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace base {

bool write_all(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

void OutBuf::drain_chunk() {
  if (!failed_ && !write_all(fd_, buf_, len_)) failed_ = true;
  len_ = 0;
}

void OutBuf::put_slow(std::string_view s) {
  while (!s.empty()) {
    size_t room = chunk_ - len_;
    if (room == 0) {
      if (fd_ < 0) { truncated_ = true; return; }
      drain_chunk();
      continue;
    }
    size_t n = s.size() < room ? s.size() : room;
    std::memcpy(buf_ + len_, s.data(), n);
    len_ += n;
    s.remove_prefix(n);
  }
}

bool OutBuf::flush() {
  if (fd_ >= 0 && len_ > 0) drain_chunk();
  return !failed_;
}

static size_t format_u64(uint64_t v, char* end) {
  char* p = end;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  return static_cast<size_t>(end - p);
}

static constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static constexpr uint64_t kPow10[20] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
    100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
    10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
    100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
};

// Decimal digits of v from its bit length (log10(2) ~ 1233/4096), no division.
static unsigned digits_u64(uint64_t v) {
  unsigned bits = 64 - static_cast<unsigned>(__builtin_clzll(v | 1));
  unsigned n = (bits * 1233) >> 12;
  return n + ((v | 1) >= kPow10[n] ? 1 : 0);
}

template <typename U>
static char* write_pairs(char* end, U& v) {
  while (v >= 100) {
    unsigned i = static_cast<unsigned>(v % 100) * 2;
    v /= 100;
    *--end = kDigitPairs[i + 1];
    *--end = kDigitPairs[i];
  }
  return end;
}

// Writes the digits of v so that they end at `end`, two at a time; 32-bit
// arithmetic when the value allows it, as most of ours do.
static void write_digits(char* end, uint64_t v) {
  unsigned small;
  if (v > 0xffffffffu) {
    end = write_pairs(end, v);
    small = static_cast<unsigned>(v);
  } else {
    small = static_cast<unsigned>(v);
    end = write_pairs(end, small);
  }
  if (small >= 10) {
    *--end = kDigitPairs[small * 2 + 1];
    *--end = kDigitPairs[small * 2];
  } else {
    *--end = static_cast<char>('0' + small);
  }
}

void OutBuf::put_u64(uint64_t v) {
  if (chunk_ - len_ >= 20) {  // the common case: digits straight into place
    unsigned n = digits_u64(v);
    write_digits(buf_ + len_ + n, v);
    len_ += n;
    return;
  }
  char tmp[20];
  size_t n = format_u64(v, tmp + sizeof tmp);
  put(std::string_view(tmp + sizeof tmp - n, n));
}

void OutBuf::put_i64(int64_t v) {
  if (v < 0) {
    put('-');
    put_u64(0 - static_cast<uint64_t>(v));
  } else {
    put_u64(static_cast<uint64_t>(v));
  }
}

void OutBuf::put_hex(uint64_t v) {
  char tmp[16];
  char* p = tmp + sizeof tmp;
  do {
    *--p = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v != 0);
  put(std::string_view(p, static_cast<size_t>(tmp + sizeof tmp - p)));
}

void OutBuf::put_padded(std::string_view s, size_t width) {
  put(s);
  for (size_t i = s.size(); i < width; ++i) put(' ');
}

void OutBuf::put_u64_width(uint64_t v, unsigned width, char pad) {
  char tmp[20];
  size_t n = format_u64(v, tmp + sizeof tmp);
  for (size_t i = n; i < width; ++i) put(pad);
  put(std::string_view(tmp + sizeof tmp - n, n));
}

void OutBuf::put_ipv4(const uint8_t* b) {
  if (chunk_ - len_ >= 15) {
    char* p = buf_ + len_;
    for (int i = 0; i < 4; ++i) {
      if (i) *p++ = '.';
      unsigned v = b[i];
      unsigned n = v >= 100 ? 3 : v >= 10 ? 2 : 1;
      write_digits(p + n, v);
      p += n;
    }
    len_ = static_cast<size_t>(p - buf_);
    return;
  }
  for (int i = 0; i < 4; ++i) {
    if (i) put('.');
    put_u64(b[i]);
  }
}

// glibc's rules: the longest run (first on ties) of two or more zero
// 16-bit words becomes "::"; an address whose first 96 bits are zero or
// ::ffff:0:0/96 ends in dotted quad form.
void OutBuf::put_ipv6(const uint8_t* b) {
  uint16_t w[8];
  for (int i = 0; i < 8; ++i) w[i] = static_cast<uint16_t>(b[2 * i] << 8 | b[2 * i + 1]);
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (w[i] != 0) { ++i; continue; }
    int j = i;
    while (j < 8 && w[j] == 0) ++j;
    if (j - i > best_len) { best = i; best_len = j - i; }
    i = j;
  }
  if (best_len < 2) best = -1;
  for (int i = 0; i < 8; ++i) {
    if (best >= 0 && i >= best && i < best + best_len) {
      if (i == best) put(':');
      continue;
    }
    if (i != 0) put(':');
    if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
      put_ipv4(b + 12);
      break;
    }
    put_hex(w[i]);
  }
  if (best >= 0 && best + best_len == 8) put(':');
}

void OutBuf::put_xml_escaped(std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': put("&amp;"); break;
      case '<': put("&lt;"); break;
      case '>': put("&gt;"); break;
      case '"': put("&quot;"); break;
      case '\'': put("&apos;"); break;
      default: put(c);
    }
  }
}

void OutBuf::put_json_string(std::string_view s) {
  put('"');
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      put('\\');
      put(static_cast<char>(c));
    } else if (c < 0x20) {
      put("\\u00");
      put("0123456789abcdef"[c >> 4]);
      put("0123456789abcdef"[c & 15]);
    } else {
      put(static_cast<char>(c));
    }
  }
  put('"');
}

}  // namespace base
