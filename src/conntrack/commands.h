// The commands the CLI runs.  Each returns 0 or -errno (the caller turns
// that into upstream's "Operation failed" message) and counts the entries
// it printed or changed in `counter` for the summary line.
#pragma once
#include <cstdint>

#include "conntrack/cli.h"
#include "conntrack/session.h"

namespace conntrack {

int cmd_list(Session& s, const Cli& cli, unsigned& counter);
int cmd_get(Session& s, const Cli& cli, unsigned& counter);
int cmd_flush(Session& s, const Cli& cli);
int cmd_create(Session& s, const Cli& cli, unsigned& counter);  // -I and -A
int cmd_delete(Session& s, const Cli& cli, unsigned& counter);
int cmd_update(Session& s, const Cli& cli, unsigned& counter);
// -L/-G/-D/-I expect (cmd_expect.cc).  -D expect never counts (upstream).
int cmd_expect(Session& s, const Cli& cli, unsigned& counter);
// -E runs until SIGINT/SIGTERM and exits from there with upstream's summary.
int cmd_event(Session& s, Cli& cli, unsigned& counter);
// -C and -S print their own output and handle upstream's /proc fallback.
int cmd_count(Session& s, const Cli& cli);
int cmd_stats(Session& s, const Cli& cli);

// upstream's err2str(): friendlier texts for some errno/command pairs.
const char* error_text(int err, Cmd cmd, Table table);

}  // namespace conntrack
