// The control socket's file and who may use it.
//
// Upstream unlinks whatever is at the path and trusts whoever can connect.
// Ours:
//  * bind_control_socket(): the file is made srw------- (srw-rw---- with
//    `UNIX { Group gid }`, then chowned to that group without following a
//    link).  A file already at the path is replaced only if it is a
//    socket nobody listens on (a crashed daemon's); a symlink, any other
//    kind of file, or a socket some process still accepts on is left
//    alone and the bind fails (-EEXIST / -EADDRINUSE).  bind() itself
//    never follows a symlink: an existing name fails with EADDRINUSE.
//  * peer_allowed(): SO_PEERCRED of an accepted connection must be root,
//    the daemon's own effective uid, or (with Group) that gid.  The file
//    mode already keeps others out; this holds even when the path's
//    directory or mode was changed behind our back.
#pragma once
#include <sys/types.h>

namespace ctd {

inline constexpr gid_t kNoControlGroup = static_cast<gid_t>(-1);

// A non-blocking, close-on-exec listening socket bound at `path`, or -errno.
int bind_control_socket(const char* path, gid_t group, int backlog);
bool peer_allowed(int fd, gid_t group);

}  // namespace ctd
