// fgets(3) over a file descriptor: the same pieces a FILE* would give,
// without stdio (whose FILE buffers pull malloc into the static build).
#pragma once
#include <cstddef>

namespace base {

class FgetsReader {
 public:
  // Takes `fd` (may be < 0: then there are no lines); the destructor
  // closes it.
  explicit FgetsReader(int fd) : fd_(fd) {}
  ~FgetsReader();
  FgetsReader(const FgetsReader&) = delete;
  FgetsReader& operator=(const FgetsReader&) = delete;

  // fgets(line, size, f): up to size - 1 bytes, through the first '\n'
  // (kept), then a NUL.  False at end of file or on a read error with
  // nothing read; end of file sticks, as a FILE's EOF flag does.
  bool next(char* line, size_t size);

 private:
  bool refill();

  int fd_;
  bool eof_ = false;
  size_t pos_ = 0, len_ = 0;
  char buf_[4096];
};

// open(path, O_RDONLY | O_CLOEXEC), retried on EINTR; -1 with errno set.
int open_read_only(const char* path);

}  // namespace base
