#include "conntrack/portid_name.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <unistd.h>

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

template <class Fn>
void for_each_netlink_row(Fn&& fn) {
  FILE* f = fopen("/proc/net/netlink", "re");
  if (!f) return;
  char line[256];
  while (fgets(line, sizeof line, f)) {
    NetlinkRow r;
    if (sscanf(line, "%*x %d %u %*x %*d %*d %*x %*d %ld %lu", &r.proto, &r.portid, &r.drops,
               &r.inode) == 4 && fn(r))
      break;
  }
  fclose(f);
}

bool comm_of(long pid, char* out, size_t cap) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  FILE* f = fopen(path, "re");
  if (!f) return false;
  char buf[512];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
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

bool holds_socket(long pid, unsigned long inode) {
  char dir_path[64];
  snprintf(dir_path, sizeof dir_path, "/proc/%ld/fd/", pid);
  DIR* d = opendir(dir_path);
  if (!d) return false;
  bool found = false;
  char want[48];
  int want_len = snprintf(want, sizeof want, "socket:[%lu]", inode);
  while (dirent* e = readdir(d)) {
    if (e->d_type != DT_LNK) continue;
    char link_path[320], target[128];
    snprintf(link_path, sizeof link_path, "/proc/%ld/fd/%s", pid, e->d_name);
    ssize_t n = readlink(link_path, target, sizeof target);
    if (n == want_len && memcmp(target, want, static_cast<size_t>(n)) == 0) {
      found = true;
      break;
    }
  }
  closedir(d);
  return found;
}

bool find_holder(uint32_t portid, unsigned long inode, char* out, size_t cap) {
  // Many programs take their pid as their first port id: try that first.
  if (holds_socket(portid, inode)) return comm_of(portid, out, cap);
  DIR* d = opendir("/proc");
  if (!d) return false;
  bool ok = false;
  while (dirent* e = readdir(d)) {
    if (e->d_type != DT_DIR) continue;
    char* end;
    long pid = strtol(e->d_name, &end, 10);
    if (pid <= 1 || *end || pid == static_cast<long>(portid)) continue;
    if (holds_socket(pid, inode)) {
      ok = comm_of(pid, out, cap);
      break;
    }
  }
  closedir(d);
  return ok;
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
