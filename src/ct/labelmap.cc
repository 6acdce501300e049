#include "ct/labelmap.h"

#include <cerrno>
#include <cstring>

#include "base/fgets_reader.h"

namespace ct {
namespace {

// fgets(buf, 1024, fp) reads at most this many bytes per call.
constexpr size_t kLineMax = 1023;

bool is_c_space(char c) {  // isspace() in the C locale, as strtoul uses
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
bool is_blank(char c) {    // upstream's trim set: isspace() minus '\n'
  return c == ' ' || c == '\f' || c == '\r' || c == '\t' || c == '\v';
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

// strtoul(s, &end, 0) followed by upstream's checks: returns the bit, or -1
// when there is no number or it is not below kMaxBits (negative values wrap
// to huge ones in strtoul, so only "-0" survives).
int parse_bit(const char* s, const char** end) {
  const char* p = s;
  while (is_c_space(*p)) ++p;
  bool neg = false;
  if (*p == '+' || *p == '-') neg = (*p++ == '-');
  int base = 10;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digit_value(p[2]) < 16) {
    base = 16;
    p += 2;
  } else if (p[0] == '0') {
    base = 8;
  }
  const char* digits = p;
  uint64_t v = 0;
  bool big = false;
  for (; digit_value(*p) < base; ++p) {
    v = v * static_cast<unsigned>(base) + static_cast<unsigned>(digit_value(*p));
    if (v >= LabelMap::kMaxBits) big = true;
  }
  if (p == digits) {
    *end = s;
    return -1;
  }
  *end = p;
  if (big || (neg && v != 0)) return -1;
  return static_cast<int>(v);
}

// Skips leading blanks, ends the name at a newline and drops trailing
// blanks.  Empty names give an empty view.
std::string_view trim_name(const char* s) {
  while (is_blank(*s)) ++s;
  size_t n = 0;
  while (s[n] != '\0' && s[n] != '\n') ++n;
  while (n > 1 && is_blank(s[n - 1])) --n;
  return {s, n};
}

// Names are printed unescaped, so upstream only accepts a safe alphabet.
bool name_is_sane(std::string_view name) {
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == ' ' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void LabelMap::reset() {
  pool_used_ = 0;
  name_count_ = 0;
  dropped_ = 0;
  errno_ = 0;
  std::memset(len_, 0, sizeof len_);
}

bool LabelMap::load(const char* path) {
  reset();
  int fd = base::open_read_only(path);
  if (fd < 0) {
    errno_ = errno;
    return false;
  }
  base::FgetsReader reader(fd);
  char line[kLineMax + 1];
  while (reader.next(line, sizeof line)) add_line(line);
  return loaded();
}

void LabelMap::add_line(char* line) {
  // A NUL byte inside the line ends it, as for any C string.
  if (line[0] == '#') return;
  const char* end;
  int b = parse_bit(line, &end);
  if (b < 0 || len_[b] != 0) return;
  std::string_view name = trim_name(end);
  if (name.empty() || !name_is_sane(name)) return;
  insert(name, static_cast<unsigned>(b));
}

bool LabelMap::insert(std::string_view name, unsigned b) {
  if (bit(name) >= 0) return false;
  if (name.size() > kPoolSize - pool_used_) {
    ++dropped_;
    return false;
  }
  std::memcpy(pool_ + pool_used_, name.data(), name.size());
  off_[b] = pool_used_;
  len_[b] = static_cast<uint16_t>(name.size());
  pool_used_ += static_cast<uint32_t>(name.size());
  if (b + 1 > name_count_) name_count_ = b + 1;
  return true;
}

int LabelMap::bit(std::string_view name) const {
  for (unsigned b = 0; b < name_count_; ++b)
    if (len_[b] != 0 && name == std::string_view(pool_ + off_[b], len_[b]))
      return static_cast<int>(b);
  return -1;
}

}  // namespace ct
