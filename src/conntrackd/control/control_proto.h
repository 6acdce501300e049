// The control protocol between `conntrackd <command>` (client) and the
// running daemon, over the UNIX stream socket named by `UNIX { Path }`.
//
// One request per connection: the client connects, writes ONE native-endian
// `int` holding a request code, and reads plain text until the daemon
// closes the connection.  There is no status reply: a request the daemon
// does not serve simply produces no output (spec/conntrackd.md §2.1).
//
// The codes are upstream's (include/conntrackd.h), so an upstream client
// works against our daemon and ours against upstream's.  The only code of
// our own is the JSON bit below, which an upstream daemon ignores (it
// answers an unknown code with nothing).
#pragma once
#include <cstdint>

namespace ctd {

enum Request : int {
  kReqFlushMaster = 0,        // -F ct
  kReqResyncMaster = 1,       // -R ct
  kReqDumpInternal = 16,      // -i [ct]
  kReqDumpExternal = 17,      // -e [ct]
  kReqCommit = 18,            // -c ct
  kReqFlushCache = 19,        // (no client flag; internal + external)
  kReqKill = 20,              // -k
  kReqStats = 21,             // -s / -s ct
  kReqSendBulk = 22,          // -B
  kReqRequestDump = 23,       // -n
  kReqDumpIntXml = 24,        // -i -x
  kReqDumpExtXml = 25,        // -e -x
  kReqResetTimers = 26,       // -t
  kReqDebugInfo = 27,         // unused upstream
  kReqStatsNetwork = 28,      // -s network
  kReqStatsCache = 29,        // -s cache
  kReqStatsRuntime = 30,      // -s runtime
  kReqStatsLink = 31,         // -s link (alias multicast)
  kReqStatsRsqueue = 32,      // -s rsqueue
  kReqFlushIntCache = 33,     // -f internal
  kReqFlushExtCache = 34,     // -f external
  kReqStatsProcess = 35,      // -s process
  kReqStatsQueue = 36,        // -s queue
  kReqExpStats = 37,          // -s expect
  kReqExpFlushMaster = 38,    // -F expect
  kReqExpResyncMaster = 39,   // -R expect
  kReqExpDumpInternal = 40,   // -i expect
  kReqExpDumpExternal = 41,   // -e expect
  kReqExpCommit = 42,         // -c expect
  kReqAllFlushMaster = 43,    // -F
  kReqAllResyncMaster = 44,   // -R
  kReqAllFlushCache = 45,     // -f
  kReqAllCommit = 46,         // -c
  kReqExpDumpIntXml = 47,     // -i expect -x
  kReqExpDumpExtXml = 48,     // -e expect -x
};

// Our extension: a statistics request code (21, 28-32, 35-37) with this bit
// set asks for the same sections as one JSON object instead of text
// (client flag `--json` after `-s`, see client_args.h; format in
// stats_format.h).  Upstream daemons answer it with nothing.
inline constexpr int kReqJsonBit = 0x100;

// Our extension: every statistics section at once in the OpenMetrics text
// format (client `-s metrics`, stats_format.h).  Outside upstream's range
// and the JSON bit's, so an upstream daemon counts it as an unknown
// request and answers nothing.
inline constexpr int kReqStatsMetrics = 0x200;

inline constexpr bool request_is_stats(int code) {
  return code == kReqStats || (code >= kReqStatsNetwork && code <= kReqStatsRsqueue) ||
         code == kReqStatsProcess || code == kReqStatsQueue || code == kReqExpStats;
}

// The dump requests and their XML forms (-x turns the first into the second).
inline constexpr int request_xml_form(int code) {
  switch (code) {
    case kReqDumpInternal: return kReqDumpIntXml;
    case kReqDumpExternal: return kReqDumpExtXml;
    case kReqExpDumpInternal: return kReqExpDumpIntXml;
    case kReqExpDumpExternal: return kReqExpDumpExtXml;
    default: return -1;
  }
}

}  // namespace ctd
