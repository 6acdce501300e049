// The program behind a netlink port id, for the event line's
// "[USERSPACE] portid=N progname=X" suffix: /proc/net/netlink maps the
// port id to a socket inode, and /proc/<pid>/fd tells which process holds
// it.  Racy by nature (the process may be gone); the last answer is
// cached as upstream does.
#pragma once
#include <cstdint>
#include <string_view>

namespace conntrack {

// Empty when it cannot be resolved.
std::string_view portid_progname(uint32_t portid);

// Drops counted by the kernel for the netlink socket with inode `inode`
// (the "Drops" column of /proc/net/netlink), or -1.
long netlink_socket_drops(unsigned long inode);

}  // namespace conntrack
