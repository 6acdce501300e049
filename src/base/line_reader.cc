#include "base/line_reader.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

#include "base/fgets_reader.h"

namespace base {
namespace {

ssize_t read_some(int fd, char* buf, size_t n) {
  ssize_t r;
  do r = ::read(fd, buf, n);
  while (r < 0 && errno == EINTR);
  return r;
}

}  // namespace

LineReader::LineReader(const char* path) : fd_(open_read_only(path)) {}

LineReader::~LineReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool LineReader::next(std::string_view& line) {
  if (fd_ < 0) return false;
  for (;;) {
    const char* nl = static_cast<const char*>(std::memchr(buf_ + start_, '\n', end_ - start_));
    if (nl != nullptr) {
      size_t len = static_cast<size_t>(nl - (buf_ + start_));
      line = std::string_view(buf_ + start_, len);
      start_ += len + 1;
      return true;
    }
    if (end_ - start_ == sizeof buf_ || (eof_ && end_ > start_)) {
      // A full buffer without a newline, or a last line without one.
      line = std::string_view(buf_ + start_, end_ - start_);
      start_ = end_;
      return true;
    }
    if (eof_) return false;
    if (start_ > 0) {
      std::memmove(buf_, buf_ + start_, end_ - start_);
      end_ -= start_;
      start_ = 0;
    }
    ssize_t r = read_some(fd_, buf_ + end_, sizeof buf_ - end_);
    if (r <= 0) eof_ = true;
    else end_ += static_cast<size_t>(r);
  }
}

long read_file(const char* path, char* buf, size_t cap) {
  int fd = open_read_only(path);
  if (fd < 0) return -1;
  size_t n = 0;
  while (n < cap) {
    ssize_t r = read_some(fd, buf + n, cap - n);
    if (r <= 0) break;
    n += static_cast<size_t>(r);
  }
  ::close(fd);
  return static_cast<long>(n);
}

bool next_field(std::string_view& s, std::string_view& field, char sep) {
  size_t b = 0;
  while (b < s.size() && s[b] == sep) ++b;
  if (b == s.size()) {
    s = {};
    return false;
  }
  size_t e = b;
  while (e < s.size() && s[e] != sep) ++e;
  field = s.substr(b, e - b);
  s.remove_prefix(e);
  return true;
}

static bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool next_word(std::string_view& s, std::string_view& field) {
  size_t b = 0;
  while (b < s.size() && is_space(s[b])) ++b;
  if (b == s.size()) {
    s = {};
    return false;
  }
  size_t e = b;
  while (e < s.size() && !is_space(s[e])) ++e;
  field = s.substr(b, e - b);
  s.remove_prefix(e);
  return true;
}

static unsigned digit_value(char c) {
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  if (c >= 'a' && c <= 'z') return static_cast<unsigned>(c - 'a' + 10);
  if (c >= 'A' && c <= 'Z') return static_cast<unsigned>(c - 'A' + 10);
  return 99;
}

size_t scan_number(std::string_view s, unsigned base, uint64_t& mag, bool& negative,
                   bool* overflow) {
  size_t i = 0;
  bool big = false;
  mag = 0;
  negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  // "0x" counts only when a hex digit follows (strtol reads "0x" as "0").
  if (base == 16 && i + 2 < s.size() && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
      digit_value(s[i + 2]) < 16)
    i += 2;
  size_t first = i;
  for (; i < s.size(); ++i) {
    unsigned d = digit_value(s[i]);
    if (d >= base) break;
    if (big || mag > (UINT64_MAX - d) / base) mag = UINT64_MAX, big = true;
    else mag = mag * base + d;
  }
  if (overflow != nullptr) *overflow = big;
  if (i == first) {
    negative = false;
    return 0;
  }
  return i;
}

}  // namespace base
