// The client side of the control socket (control_proto.h): connect to the
// configured UNIX path, send one request code, copy the reply to stdout.
#pragma once
#include "conntrackd/config/config.h"

namespace ctd {

// Connects to cfg.unix_path, sends `request_code` (a native-endian int) and
// writes every byte the daemon sends to stdout until it closes the
// connection.  Returns the exit code: 0 once the request was sent (also
// when the reply is empty: upstream has no error reply), 1 if the daemon
// cannot be reached, after upstream's log line
// "can't connect: is conntrackd running? appropriate permissions?" on
// stderr.  `xml` is informational (already folded into the code).  There is
// no timeout: a commit (-c) legitimately keeps the connection open until it
// has finished, as upstream.
int control_client_main(const Config& cfg, int request_code, bool xml);

// The same without the message and without touching stdout: the reply goes
// to `out_fd`.  Returns 0, or -errno from socket/connect/send.
int control_request(const char* path, int request_code, int out_fd);

}  // namespace ctd
