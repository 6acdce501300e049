// conntrackd's argv parsing; see client_args.h for the rules.
#include "conntrackd/control/client_args.h"

#include <unistd.h>

#include <cstring>
#include <ctime>
#include <string_view>

#include "base/out_buf.h"
#include "base/time_fmt.h"
#include "conntrackd/control/control_proto.h"

namespace ctd {
namespace {

constexpr std::string_view kVersion = "1.4.7";

constexpr std::string_view kUsageGeneral =
    "General commands:\n"
    "  -d, run in daemon mode\n"
    "  -C [configfile], configuration file path\n"
    "  -v, display conntrackd version\n"
    "  -h, display this help information\n";

constexpr std::string_view kUsageClient =
    "Client mode commands:\n"
    "  -c [ct|expect], commit external cache to conntrack table\n"
    "  -f [internal|external], flush internal and external cache\n"
    "  -F [ct|expect], flush kernel conntrack table\n"
    "  -i [ct|expect], display content of the internal cache\n"
    "  -e [ct|expect], display the content of the external cache\n"
    "  -k, kill conntrack daemon\n"
    "  -s  [network|cache|runtime|link|rsqueue|queue|ct|expect], dump statistics\n"
    "  -R [ct|expect], resync with kernel conntrack table\n"
    "  -n, request resync with other node (only FT-FW and NOTRACK modes)\n"
    "  -B, force a bulk send to other replica firewalls\n"
    "  -x, dump cache in XML format (requires -i or -e)\n"
    "  -t, reset the kernel timeout (see PurgeTimeout clause)\n";

constexpr int kLogErr = 3, kLogWarning = 4;

// strncmp(arg, word, strlen(arg)) == 0: `arg` is a prefix of `word`.
bool is_prefix(const char* arg, std::string_view word) {
  std::string_view a(arg);
  return a.size() <= word.size() && word.substr(0, a.size()) == a;
}

void put_usage(base::OutBuf& out, const char* progname) {
  out.put("Connection tracking userspace daemon v");
  out.put(kVersion);
  out.put("\nUsage: ");
  out.put(progname);
  out.put(" [commands] [options]\n\n");
  out.put(kUsageGeneral);
  out.put('\n');
  out.put(kUsageClient);
  out.put('\n');
}

// show_usage() then dlog(LOG_ERR, msg): stdio prints the error first unless
// stdout is a terminal (line buffered) -- the usage is flushed at exit().
bool usage_and_error(Args* out, const char* msg) {
  bool tty = isatty(STDOUT_FILENO) == 1;
  if (!tty) console_log(kLogErr, msg);
  print_usage(out->progname);
  if (tty) console_log(kLogErr, msg);
  out->exit_code = 1;
  return false;
}

bool error_only(Args* out, const char* msg) {
  console_log(kLogErr, msg);
  out->exit_code = 1;
  return false;
}

enum class Kind : uint8_t { kUnset, kDaemon, kRequest };

// Upstream set_operation_mode(): the first of daemon/request sticks.
bool set_kind(Kind* cur, Kind want, Args* out) {
  if (*cur == Kind::kUnset) {
    *cur = want;
    return true;
  }
  if (*cur != want) return usage_and_error(out, "Invalid parameters");
  return true;
}

// Upstream set_action_by_table(): returns the index of the last argument
// consumed.
int action_by_table(int i, int argc, char** argv, int ct, int exp, int dfl, int* action) {
  if (i + 1 < argc && argv[i + 1][0] != '-') {
    if (is_prefix(argv[i + 1], "ct")) {
      *action = ct;
      i++;
    } else if (is_prefix(argv[i + 1], "expect")) {
      *action = exp;
      i++;
    }
  } else {
    *action = dfl;
  }
  return i;
}

struct Word {
  std::string_view word;
  int code;
};

// -s sub-arguments in upstream's order of tests.
constexpr Word kStatsWords[] = {
    {"network", kReqStatsNetwork}, {"cache", kReqStatsCache},   {"runtime", kReqStatsRuntime},
    {"multicast", kReqStatsLink},  {"link", kReqStatsLink},     {"rsqueue", kReqStatsRsqueue},
    {"process", kReqStatsProcess}, {"queue", kReqStatsQueue},   {"ct", kReqStats},
    {"expect", kReqExpStats},
    // Ours, last: every prefix upstream matches keeps its meaning ("-s m"
    // is still multicast); upstream rejects "metrics" as unknown.
    {"metrics", kReqStatsMetrics},
};

bool unknown_param(Args* out, const char* arg, char opt) {
  base::LineBuf<512> m;
  m.put("unknown parameter `");
  m.put(std::string_view(arg).substr(0, 400));
  m.put("' for option `-");
  m.put(opt);
  m.put('\'');
  m.put('\0');
  return error_only(out, m.view().data());
}

}  // namespace

void console_log(int level, const char* msg) {
  std::string_view prio;
  int fd = STDERR_FILENO;
  switch (level) {
    case 3: prio = "ERROR"; break;
    case 4: prio = "warning"; break;
    case 5: prio = "notice"; fd = STDOUT_FILENO; break;
    case 6: prio = "info"; fd = STDOUT_FILENO; break;
    default: prio = "?"; break;
  }
  base::LineBuf<1024> line;
  line.put('[');
  base::put_ctime(line, static_cast<int64_t>(time(nullptr)));
  line.put("] (pid=");
  line.put_i64(getpid());
  line.put(") [");
  line.put(prio);
  line.put("] ");
  line.put(std::string_view(msg).substr(0, 900));
  line.put('\n');
  base::write_all(fd, line.view().data(), line.view().size());
}

void print_usage(const char* progname) {
  char storage[2048];
  base::OutBuf out(STDOUT_FILENO, storage, sizeof(storage));
  put_usage(out, progname);
  out.flush();
}

void print_version() {
  char storage[256];
  base::OutBuf out(STDOUT_FILENO, storage, sizeof(storage));
  out.put("Connection tracking userspace daemon v");
  out.put(kVersion);
  out.put(". Licensed under GPLv2.\n(C) 2006-2009 Pablo Neira Ayuso <pablo@netfilter.org>\n");
  out.flush();
}

bool parse_args(int argc, char** argv, Args* out) {
  *out = Args{};
  if (argc > 0 && argv[0] != nullptr) out->progname = argv[0];
  Kind kind = Kind::kUnset;
  int action = -1;
  // Every iteration consumes at least one argument.
  for (int i = 1; i < argc; i++) {
    const char* arg = argv[i];
    if (std::strcmp(arg, "--json") == 0) {
      out->json = true;
      continue;
    }
    // Upstream reads argv[i][1] unconditionally; an empty argument has no
    // second byte, so it is simply unknown here.
    char opt = arg[0] != '\0' ? arg[1] : '\0';
    switch (opt) {
      case 'd':
        if (!set_kind(&kind, Kind::kDaemon, out)) return false;
        out->daemonize = true;
        break;
      case 'c':
        if (!set_kind(&kind, Kind::kRequest, out)) return false;
        i = action_by_table(i, argc, argv, kReqCommit, kReqExpCommit, kReqAllCommit, &action);
        break;
      case 'i':
        if (!set_kind(&kind, Kind::kRequest, out)) return false;
        i = action_by_table(i, argc, argv, kReqDumpInternal, kReqExpDumpInternal, kReqDumpInternal,
                            &action);
        break;
      case 'e':
        if (!set_kind(&kind, Kind::kRequest, out)) return false;
        i = action_by_table(i, argc, argv, kReqDumpExternal, kReqExpDumpExternal, kReqDumpExternal,
                            &action);
        break;
      case 'C': {
        if (++i >= argc) return usage_and_error(out, "Missing config filename");
        size_t len = std::strlen(argv[i]);
        if (len > kConfigPathMax) {
          console_log(kLogWarning,
                      "Path to config file to long. Cutting it down to 4096 characters");
        }
        // snprintf(config_file, PATH_MAX, ...): at most PATH_MAX - 1 bytes.
        if (len > kConfigPathMax - 1) len = kConfigPathMax - 1;
        std::memcpy(out->config_path, argv[i], len);
        out->config_path[len] = '\0';
        break;
      }
      case 'F':
        if (!set_kind(&kind, Kind::kRequest, out)) return false;
        i = action_by_table(i, argc, argv, kReqFlushMaster, kReqExpFlushMaster, kReqAllFlushMaster,
                            &action);
        break;
      case 'f':
        if (!set_kind(&kind, Kind::kRequest, out)) return false;
        if (i + 1 < argc && argv[i + 1][0] != '-') {
          if (is_prefix(argv[i + 1], "internal")) {
            action = kReqFlushIntCache;
          } else if (is_prefix(argv[i + 1], "external")) {
            action = kReqFlushExtCache;
          } else {
            return unknown_param(out, argv[i + 1], 'f');
          }
          i++;
        } else {
          action = kReqAllFlushCache;
        }
        break;
      case 'R':
        if (!set_kind(&kind, Kind::kRequest, out)) return false;
        i = action_by_table(i, argc, argv, kReqResyncMaster, kReqExpResyncMaster,
                            kReqAllResyncMaster, &action);
        break;
      case 'B':
        if (!set_kind(&kind, Kind::kRequest, out)) return false;
        action = kReqSendBulk;
        break;
      case 't':
        if (!set_kind(&kind, Kind::kRequest, out)) return false;
        action = kReqResetTimers;
        break;
      case 'k':
        if (!set_kind(&kind, Kind::kRequest, out)) return false;
        action = kReqKill;
        break;
      case 's':
        if (!set_kind(&kind, Kind::kRequest, out)) return false;
        if (i + 1 < argc && argv[i + 1][0] != '-') {
          const Word* hit = nullptr;
          for (const Word& w : kStatsWords) {
            if (is_prefix(argv[i + 1], w.word)) {
              hit = &w;
              break;
            }
          }
          if (hit == nullptr) return unknown_param(out, argv[i + 1], 's');
          if (hit->word == "multicast")
            console_log(kLogWarning, "use `link' instead of `multicast' as parameter.");
          action = hit->code;
          i++;
        } else {
          action = kReqStats;
        }
        break;
      case 'n':
        if (!set_kind(&kind, Kind::kRequest, out)) return false;
        action = kReqRequestDump;
        break;
      case 'x': {
        int x = request_xml_form(action);
        if (x < 0) return usage_and_error(out, "Invalid parameters");
        action = x;
        out->xml = true;
        break;
      }
      case 'v':
        out->mode = RunMode::kVersion;
        return true;
      case 'h':
        out->mode = RunMode::kHelp;
        return true;
      default: {
        base::LineBuf<512> m;
        m.put("Unknown option: ");
        m.put(std::string_view(arg).substr(0, 400));
        m.put('\0');
        // Upstream's main() returns 0 here (1.4.7 and 1.4.8 alike; only
        // later snapshots exit 1), so scripts see success: so do we.
        usage_and_error(out, m.view().data());
        out->exit_code = 0;
        return false;
      }
    }
  }
  if (out->config_path[0] == '\0') {
    std::memcpy(out->config_path, kDefaultConfigFile, std::strlen(kDefaultConfigFile) + 1);
  }
  if (out->json) {
    if (kind != Kind::kRequest || !request_is_stats(action))
      return usage_and_error(out, "Invalid parameters");
    action |= kReqJsonBit;
  }
  if (kind == Kind::kRequest) {
    out->mode = RunMode::kClient;
    out->request = action;
  } else {
    out->mode = RunMode::kDaemon;
  }
  return true;
}

}  // namespace ctd
