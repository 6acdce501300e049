#include "conntrack/portid_name.h"

#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fmt.h"
#include "base/line_reader.h"

namespace conntrack {
namespace {

constexpr int kNetlinkNetfilter = 12;

// One row of /proc/net/netlink: sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
struct NetlinkRow {
  int proto;
  uint32_t portid;
  long drops;
  unsigned long inode;
};

// sscanf(line, "%*x %d %u %*x %*d %*d %*x %*d %ld %lu") == 4, field by
// field: each must be a whole number in its base (scanf's %x/%d/%u take
// an optional sign; values wrap to the target type).
bool parse_netlink_row(std::string_view line, NetlinkRow& r) {
  static constexpr uint8_t kBase[10] = {16, 10, 10, 16, 10, 10, 16, 10, 10, 10};
  uint64_t v[10];
  for (int i = 0; i < 10; ++i) {
    std::string_view t;
    uint64_t mag;
    bool neg;
    if (!base::next_word(line, t) || base::scan_number(t, kBase[i], mag, neg) != t.size())
      return false;
    v[i] = neg ? 0 - mag : mag;
  }
  r.proto = static_cast<int>(v[1]);
  r.portid = static_cast<uint32_t>(v[2]);
  r.drops = static_cast<long>(v[8]);
  r.inode = static_cast<unsigned long>(v[9]);
  return true;
}

template <class Fn>
void for_each_netlink_row(Fn&& fn) {
  base::LineReader f("/proc/net/netlink");
  std::string_view line;
  while (f.next(line)) {
    NetlinkRow r;
    if (parse_netlink_row(line, r) && fn(r)) break;
  }
}

bool comm_of(long pid, char* out, size_t cap) {
  char path[64];
  base::format(path, sizeof path, "/proc/%ld/stat", pid);
  char buf[512];
  long n = base::read_file(path, buf, sizeof buf - 1);
  if (n < 0) return false;
  buf[n] = '\0';
  // "pid (comm) ..." -- upstream stops the name at the first ')'.
  char* open = strchr(buf, '(');
  if (!open) return false;
  char* close = strchr(open + 1, ')');
  if (!close) return false;
  size_t len = static_cast<size_t>(close - open - 1);
  if (len == 0 || len >= cap) return false;
  memcpy(out, open + 1, len);
  out[len] = '\0';
  return true;
}

// The entries of a directory through getdents64(2): opendir() would
// allocate its buffer (and pull malloc into the static build).
class Dir {
 public:
  explicit Dir(const char* path) : fd_(::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}
  ~Dir() {
    if (fd_ >= 0) ::close(fd_);
  }
  Dir(const Dir&) = delete;
  Dir& operator=(const Dir&) = delete;
  int fd() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  // The next entry's name and type (DT_*), or false at the end.
  bool next(const char*& name, unsigned char& type) {
    if (pos_ >= len_) {
      long n = fd_ < 0 ? -1 : syscall(SYS_getdents64, fd_, buf_, sizeof buf_);
      if (n <= 0) return false;
      len_ = static_cast<size_t>(n);
      pos_ = 0;
    }
    // struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, char d_name[]
    const char* e = buf_ + pos_;
    uint16_t reclen;
    memcpy(&reclen, e + 16, sizeof reclen);
    type = static_cast<unsigned char>(e[18]);
    name = e + 19;
    pos_ += reclen;
    return true;
  }

 private:
  int fd_;
  size_t pos_ = 0;
  size_t len_ = 0;
  alignas(8) char buf_[4096];
};

constexpr unsigned char kDtDir = 4;   // DT_DIR
constexpr unsigned char kDtLnk = 10;  // DT_LNK

bool holds_socket(long pid, unsigned long inode) {
  char dir_path[64];
  base::format(dir_path, sizeof dir_path, "/proc/%ld/fd/", pid);
  Dir d(dir_path);
  if (!d.ok()) return false;
  char want[48];
  int want_len = base::format(want, sizeof want, "socket:[%lu]", inode);
  const char* name;
  unsigned char type;
  while (d.next(name, type)) {
    if (type != kDtLnk) continue;
    char target[128];
    ssize_t n = readlinkat(d.fd(), name, target, sizeof target);
    if (n == want_len && memcmp(target, want, static_cast<size_t>(n)) == 0) return true;
  }
  return false;
}

bool find_holder(uint32_t portid, unsigned long inode, char* out, size_t cap) {
  // Many programs take their pid as their first port id: try that first.
  if (holds_socket(portid, inode)) return comm_of(portid, out, cap);
  Dir d("/proc");
  if (!d.ok()) return false;
  const char* name;
  unsigned char type;
  while (d.next(name, type)) {
    if (type != kDtDir) continue;
    // strtol(name, &end, 10) with nothing after the number.
    std::string_view s(name);
    uint64_t mag;
    bool neg;
    if (base::scan_number(s, 10, mag, neg) != s.size() || neg) continue;
    long pid = mag > static_cast<uint64_t>(LONG_MAX) ? LONG_MAX : static_cast<long>(mag);
    if (pid <= 1 || pid == static_cast<long>(portid)) continue;
    if (holds_socket(pid, inode)) return comm_of(pid, out, cap);
  }
  return false;
}

}  // namespace

std::string_view portid_progname(uint32_t portid) {
  static uint32_t last_portid = 0;
  static unsigned long last_inode = 0;
  static char last_name[64];
  static bool last_ok = false;
  unsigned long inode = 0;
  bool seen = false;
  for_each_netlink_row([&](const NetlinkRow& r) {
    if (r.proto != kNetlinkNetfilter || r.portid != portid) return false;
    inode = r.inode;
    seen = true;
    return true;
  });
  if (!seen) return {};
  if (portid != last_portid || inode != last_inode) {
    last_ok = find_holder(portid, inode, last_name, sizeof last_name);
    last_portid = portid;
    last_inode = inode;
  }
  return last_ok ? std::string_view(last_name) : std::string_view();
}

long netlink_socket_drops(unsigned long inode) {
  long drops = -1;
  for_each_netlink_row([&](const NetlinkRow& r) {
    if (r.inode != inode) return false;
    drops = r.drops;
    return true;
  });
  return drops;
}

}  // namespace conntrack
