// The daemon's lock file, as upstream: created with O_CREAT|O_EXCL at
// start (an existing file, stale or not, refuses the start: upstream does
// not look inside it), removed at exit.
#pragma once

namespace ctd {

// 0, or -errno (-EEXIST: "perhaps conntrackd already running?").
int lockfile_create(const char* path);
void lockfile_remove(const char* path);

}  // namespace ctd
