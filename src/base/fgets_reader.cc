#include "base/fgets_reader.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace base {

int open_read_only(const char* path) {
  int fd;
  do fd = ::open(path, O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  return fd;
}

FgetsReader::~FgetsReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool FgetsReader::refill() {
  if (eof_ || fd_ < 0) return false;
  ssize_t r;
  do r = ::read(fd_, buf_, sizeof buf_);
  while (r < 0 && errno == EINTR);
  pos_ = 0;
  len_ = r > 0 ? static_cast<size_t>(r) : 0;
  eof_ = len_ == 0;
  return !eof_;
}

bool FgetsReader::next(char* line, size_t size) {
  if (size == 0) return false;
  size_t n = 0;
  while (n + 1 < size) {
    if (pos_ == len_ && !refill()) break;
    char c = buf_[pos_++];
    line[n++] = c;
    if (c == '\n') break;
  }
  line[n] = '\0';
  return n > 0;
}

}  // namespace base
