// Reading small files (mostly under /proc) with open(2)/read(2) into
// fixed buffers: no stdio FILE, hence no malloc, in the static build.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace base {

// Lines of a file, one at a time, without the trailing '\n' (like fgets
// into a `kCap`-byte buffer: a longer line comes back in pieces).
class LineReader {
 public:
  static constexpr size_t kCap = 4096;
  explicit LineReader(const char* path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  bool ok() const { return fd_ >= 0; }
  // False at end of file or on a read error.
  bool next(std::string_view& line);

 private:
  int fd_;
  size_t start_ = 0;  // first unconsumed byte
  size_t end_ = 0;    // end of the bytes read
  bool eof_ = false;
  char buf_[kCap - 1];  // fgets keeps one byte for the NUL
};

// Reads up to `cap` bytes of the file at `path` (fread-style: until EOF
// or full).  Returns the byte count, or -1 if it cannot be opened.
long read_file(const char* path, char* buf, size_t cap);

// Splits `s` at runs of `sep`; each call returns the next non-empty field
// (strtok_r-style), or false when none is left.
bool next_field(std::string_view& s, std::string_view& field, char sep = ' ');
// As above, with any whitespace (" \t\n\v\f\r", as scanf skips) separating.
bool next_word(std::string_view& s, std::string_view& field);

// The number at the start of `s`, as strtoull reads it (without skipping
// leading blanks): optional sign, then digits in `base` (16 also accepts
// a "0x"/"0X" prefix).  The magnitude saturates at UINT64_MAX.  Returns
// the bytes consumed, 0 when there are no digits (then mag is 0).
// *overflow (if given) tells a saturated magnitude from UINT64_MAX itself.
size_t scan_number(std::string_view s, unsigned base, uint64_t& mag, bool& negative,
                   bool* overflow = nullptr);

}  // namespace base
