// conntrackd's command line, parsed as upstream's main() does (1.4.8;
// spec/conntrackd.md §2.1-§2.3).
//
// Upstream's rules, reproduced:
//  * each argument is classified by its SECOND byte only (argv[i][1]): the
//    leading '-' is not checked, so "xs" is -s and "-sfoo" is -s;
//  * -i/-e/-c/-F/-R take an optional sub-argument (ct|expect), -f
//    (internal|external) and -s (network|cache|runtime|link|multicast|
//    rsqueue|process|queue|ct|expect): the next argument, if it does not
//    start with '-', matched as a PREFIX (so "-s n" is network, and an
//    empty argument matches the first word).  An unmatched sub-argument of
//    -i/-e/-c/-F/-R is left in place and parsed as the next option; one of
//    -f/-s is fatal: "unknown parameter `foo' for option `-s'";
//  * -x turns the dump request before it into its XML form, else
//    "Invalid parameters" + usage;
//  * mixing -d with a client command: usage + "Invalid parameters";
//  * -C needs an argument: usage + "Missing config filename"; a path longer
//    than PATH_MAX is cut (with upstream's warning);
//  * -v / -h print and stop at once (later arguments are not looked at);
//  * anything else: usage + "Unknown option: <arg>".
//  The last client command wins ("-s n -s c" asks for cache stats).
//
// Exit codes follow 1.4.8: an unknown option and a missing -C argument exit
// 1 (1.4.7 exited 0 after "Unknown option" and ignored a bare trailing -C).
//
// Our additions: `-s metrics` (after upstream's words, so their prefixes
// keep their meaning) asks for the OpenMetrics exposition
// (kReqStatsMetrics); the exact argument `--json` (anywhere) with a -s
// request asks the daemon for the statistics as JSON (control_proto.h
// kReqJsonBit); with any other request it is "Invalid parameters".
//
// Messages go where upstream's dlog() sends them before the log is open:
// "[<ctime>] (pid=N) [ERROR] msg" / "[warning]" on stderr; usage on stdout
// (written after the error line unless stdout is a terminal, as stdio's
// buffering orders them).
#pragma once
#include <cstdint>

namespace ctd {

inline constexpr unsigned kConfigPathMax = 4096;  // PATH_MAX
inline constexpr const char* kDefaultConfigFile = "/etc/conntrackd/conntrackd.conf";

enum class RunMode : uint8_t {
  kDaemon,   // no client command: run the daemon (console mode unless -d)
  kClient,   // send `request` to the running daemon
  kVersion,  // -v: main calls print_version(), exit 0
  kHelp,     // -h: main calls print_usage(progname), exit 0
};

struct Args {
  RunMode mode = RunMode::kDaemon;
  int request = -1;        // client: the request code, -x / --json folded in
  bool xml = false;        // -x was given (already folded into `request`)
  bool json = false;       // --json was given (already folded into `request`)
  bool daemonize = false;  // -d
  int exit_code = 0;       // when parse_args() returns false
  const char* progname = "conntrackd";  // argv[0], for the usage text
  char config_path[kConfigPathMax + 1] = {};  // -C, else kDefaultConfigFile
};

// Parses argv.  Returns false when the program must stop now with
// out->exit_code (1, or 0 after an unknown option as upstream; the messages
// are already printed).  Returns true with
// out->mode set otherwise; the caller then loads config_path (client mode
// parses the whole configuration too, as upstream) and either prints
// (kVersion, kHelp), runs the daemon (kDaemon) or calls
// control_client_main(cfg, out->request, out->xml) (kClient).
bool parse_args(int argc, char** argv, Args* out);

// Upstream's texts on stdout (spec §2.3, §2.2 -v).
void print_usage(const char* progname);
void print_version();

// One line in upstream's pre-log console format on stderr (ERROR, WARNING)
// or stdout (NOTICE, INFO): "[<ctime>] (pid=N) [ERROR] msg\n".  `level` is a
// <syslog.h> priority (3 ERROR, 4 warning, 5 notice, 6 info).
void console_log(int level, const char* msg);

}  // namespace ctd
