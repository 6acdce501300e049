// Append-only text buffers with the number and address formatting our
// printers need, replacing stdio on hot paths.  Nothing allocates.
//
// One class serves two roles:
//  - a line buffer (fd < 0): a fixed scratch area a printer fills; bytes
//    that do not fit are dropped and `truncated()` says so;
//  - an output buffer (fd >= 0): when full, pending bytes go out with
//    write(2).  `set_chunk(n)` makes writes happen in exactly n-byte blocks,
//    which reproduces stdio's block-buffer boundaries where they are
//    observable (stdout and stderr captured into one file).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace base {

class OutBuf {
 public:
  constexpr OutBuf(int fd, char* storage, size_t cap) : fd_(fd), buf_(storage), cap_(cap), chunk_(cap) {}
  OutBuf(const OutBuf&) = delete;
  OutBuf& operator=(const OutBuf&) = delete;

  void set_chunk(size_t n) { chunk_ = (n == 0 || n > cap_) ? cap_ : n; }
  void set_line_buffered(bool on) { line_buffered_ = on; }

  // Inline when it fits, so constant-length pieces become plain stores.
  void put(std::string_view s) {
    // An empty view may have a null data(), which memcpy/memchr must not see.
    if (s.empty()) return;
    if (s.size() <= chunk_ - len_) {
      std::memcpy(buf_ + len_, s.data(), s.size());
      len_ += s.size();
    } else {
      put_slow(s);
    }
    // stdio on a terminal writes out each completed line.
    if (line_buffered_ && std::memchr(s.data(), '\n', s.size())) flush();
  }
  void put(char c) {
    if (len_ < chunk_) buf_[len_++] = c;
    else put_slow(std::string_view(&c, 1));
    if (line_buffered_ && c == '\n') flush();
  }
  void put_u64(uint64_t v);
  void put_i64(int64_t v);
  void put_hex(uint64_t v);  // lowercase, no prefix
  // printf("%-*s"): left-justified, padded with spaces to `width`.
  void put_padded(std::string_view s, size_t width);
  // printf("%*llu") / printf("%0*llu"): right-justified to `width`.
  void put_u64_width(uint64_t v, unsigned width, char pad);
  void put_ipv4(const uint8_t* b);  // dotted quad (inet_ntoa)
  void put_ipv6(const uint8_t* b);  // glibc inet_ntop(AF_INET6) text
  void put_xml_escaped(std::string_view s);   // & < > " '
  void put_json_string(std::string_view s);   // quoted, escaped

  // Remove one trailing space, if the last byte pending is one.
  void drop_trailing_space() { if (len_ > 0 && buf_[len_ - 1] == ' ') --len_; }
  void end_line() { put('\n'); }

  std::string_view view() const { return {buf_, len_}; }
  size_t size() const { return len_; }
  void clear() { len_ = 0; truncated_ = false; }
  bool truncated() const { return truncated_; }

  // Write out everything pending (no-op for line buffers).  Returns false
  // after a write error; later output is then discarded.
  bool flush();
  bool failed() const { return failed_; }
  int fd() const { return fd_; }

 private:
  void drain_chunk();
  void put_slow(std::string_view s);
  int fd_;
  char* buf_;
  size_t cap_;
  size_t chunk_;
  size_t len_ = 0;
  bool line_buffered_ = false;
  bool failed_ = false;
  bool truncated_ = false;
};

// A line buffer with its own storage.
template <size_t N>
class LineBuf : public OutBuf {
 public:
  LineBuf() : OutBuf(-1, storage_, N) {}
 private:
  char storage_[N];
};

// Write all of `data` to `fd`, retrying on EINTR and short writes.
bool write_all(int fd, const char* data, size_t len);

}  // namespace base
