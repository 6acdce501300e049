// Top level of the conntrackd.conf parser: tokens, errors, General { },
// Stats { }, the defaults, and file loading.  See config_parser.h.
#include "conntrackd/config/config_parser.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

namespace ctd {
namespace {

void copy_trunc(char* dst, size_t cap, std::string_view s) {
  size_t n = s.size() < cap - 1 ? s.size() : cap - 1;
  // An empty view may have a null data(): memcpy must not see it (UBSan).
  if (n > 0) std::memcpy(dst, s.data(), n);
  dst[n] = '\0';
}

}  // namespace

ConfigParser::ConfigParser(std::string_view text, const char* filename, Config* cfg,
                           ConfigDiag* diag)
    : lex_(text), filename_(filename), cfg_(cfg), diag_(diag) {}

void ConfigParser::advance() {
  cur_ = lex_.next();
  // Upstream's scanner logs these as it matches them, parse error or not.
  if (cur_.deprecated_mode) {
    if (cur_.tok == Tok::kAlarm)
      warn("Now `persistent' mode is called `alarm'. Please, update your conntrackd.conf file.");
    else
      warn("Now `nack' mode is called `ftfw'. Please, update your conntrackd.conf file.\n");
  }
}

bool ConfigParser::syntax_error() {
  // bison's yyerror() with yytext and yylineno, exactly.
  return fatal("parsing config file in line (%u), symbol '%.*s': syntax error", cur_.line,
               static_cast<int>(cur_.text.size()), cur_.text.data());
}

bool ConfigParser::fatal(const char* fmt, ...) {
  ConfigError& e = diag_->error;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e.message, sizeof(e.message), fmt, ap);
  va_end(ap);
  copy_trunc(e.file, sizeof(e.file), filename_ ? filename_ : "");
  e.line = cur_.line;
  copy_trunc(e.symbol, sizeof(e.symbol), cur_.text);
  return false;
}

void ConfigParser::warn(const char* fmt, ...) {
  if (diag_->nwarnings >= kMaxWarnings) {
    diag_->warnings_truncated = true;
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(diag_->warnings[diag_->nwarnings++], sizeof(diag_->warnings[0]), fmt, ap);
  va_end(ap);
}

bool ConfigParser::expect_char(char c) {
  if (!is_char(c)) return syntax_error();
  advance();
  return true;
}

// Upstream converts with atoi() into an int, so 4294967296 silently becomes
// 0 and 99999999999999999999 becomes -1 (the daemon then aborts in malloc).
// We refuse any value that does not fit instead: loud beats garbage.
bool ConfigParser::take_number(int64_t max, uint32_t* out) {
  if (cur_.tok != Tok::kNumber) return syntax_error();
  int64_t v = 0;
  for (char c : cur_.text) {
    v = v * 10 + (c - '0');
    if (v > max) {
      // Not an upstream message (upstream says nothing and wraps), so it
      // names the file and says why a working upstream file fails here.
      return fatal("parsing config file `%s' in line (%u), symbol '%.*s': value out of range "
                   "(maximum %lld): upstream wraps it silently, this version refuses it",
                   filename_ ? filename_ : "", cur_.line, static_cast<int>(cur_.text.size()),
                   cur_.text.data(), static_cast<long long>(max));
    }
  }
  *out = static_cast<uint32_t>(v);
  advance();
  return true;
}

bool ConfigParser::take_on_off(bool* out) {
  if (cur_.tok == Tok::kOn) *out = true;
  else if (cur_.tok == Tok::kOff) *out = false;
  else return syntax_error();
  advance();
  return true;
}

bool ConfigParser::parse_file() {
  advance();
  while (cur_.tok != Tok::kEof) {
    bool ok;
    if (is_kw(Kw::kGeneral)) ok = parse_general();
    else if (is_kw(Kw::kSync)) ok = parse_sync();
    else if (is_kw(Kw::kStats)) ok = parse_stats();
    else if (is_kw(Kw::kHelper)) ok = parse_helper();
    else ok = syntax_error();
    if (!ok) return false;
  }
  return true;
}

// LogFile on | off | /path.  "off" leaves an earlier value alone, as upstream.
bool ConfigParser::parse_logfile(char* dst, const char* on_path, const char* what) {
  advance();
  if (cur_.tok == Tok::kOn) {
    copy_trunc(dst, kFilenameMax + 1, on_path);
  } else if (cur_.tok == Tok::kOff) {
  } else if (cur_.tok == Tok::kPathVal) {
    if (cur_.text.size() > kFilenameMax)
      return fatal("%s is longer than %u characters", what, kFilenameMax);
    copy_trunc(dst, kFilenameMax + 1, cur_.text);
  } else {
    return syntax_error();
  }
  advance();
  return true;
}

// Syslog on | off | facility.  `other` is the other block's facility, for
// upstream's "conflicting" warning (given for a facility name only).
bool ConfigParser::parse_syslog(int* dst, const int* other, bool stats) {
  advance();
  if (cur_.tok == Tok::kOn) {
    *dst = kLogDaemon;
  } else if (cur_.tok == Tok::kOff) {
    *dst = kSyslogOff;
  } else if (cur_.tok == Tok::kString) {
    int f = syslog_facility_by_name(cur_.text);
    if (f < 0) {
      warn(stats ? "'%.*s' is not a known syslog facility, ignoring."
                 : "'%.*s' is not a known syslog facility, ignoring",
           static_cast<int>(cur_.text.size()), cur_.text.data());
    } else {
      *dst = f;
      if (*other != kSyslogOff && *dst != *other)
        warn("conflicting Syslog facility values, defaulting to General");
    }
  } else {
    return syntax_error();
  }
  advance();
  return true;
}

bool ConfigParser::parse_unix() {
  advance();
  if (!expect_char('{')) return false;
  while (!is_char('}')) {
    if (is_kw(Kw::kPath)) {
      advance();
      if (cur_.tok != Tok::kPathVal) return syntax_error();
      if (cur_.text.size() >= kUnixPathMax)
        return fatal("Path is longer than %u characters", kUnixPathMax - 1);
      copy_trunc(cfg_->unix_path, sizeof(cfg_->unix_path), cur_.text);
      advance();
    } else if (is_kw(Kw::kBacklog)) {
      advance();
      uint32_t ignored;
      if (!take_number(INT32_MAX, &ignored)) return false;
      warn("deprecated unix backlog configuration, ignoring.");
    } else if (is_kw(Kw::kGroup)) {
      advance();
      uint32_t gid;
      if (!take_number(INT32_MAX, &gid)) return false;
      cfg_->unix_group = static_cast<gid_t>(gid);
    } else {
      return syntax_error();
    }
  }
  advance();
  return true;
}

bool ConfigParser::parse_scheduler() {
  advance();
  if (!expect_char('{')) return false;
  while (!is_char('}')) {
    if (is_kw(Kw::kType)) {
      advance();
      if (cur_.tok != Tok::kString) return syntax_error();
      if (strncasecmp(cur_.text.data(), "rr", cur_.text.size()) == 0 && cur_.text.size() == 2)
        cfg_->sched_type = SchedType::kRr;
      else if (cur_.text.size() == 4 && strncasecmp(cur_.text.data(), "fifo", 4) == 0)
        cfg_->sched_type = SchedType::kFifo;
      else
        return fatal("unknown scheduler `%.*s'", static_cast<int>(cur_.text.size()),
                     cur_.text.data());
      advance();
    } else if (is_kw(Kw::kPriority)) {
      advance();
      uint32_t prio;
      if (!take_number(INT32_MAX, &prio)) return false;
      // Upstream's message carries a stray "\n"; kept for byte-identical logs.
      if (prio > 99) return fatal("`Priority' must be [0, 99]\n");
      cfg_->sched_prio = static_cast<uint8_t>(prio);
    } else {
      return syntax_error();
    }
  }
  advance();
  return true;
}

bool ConfigParser::parse_general() {
  advance();
  if (!expect_char('{')) return false;
  Config& c = *cfg_;
  while (!is_char('}')) {
    if (cur_.tok != Tok::kKeyword) return syntax_error();
    bool ok = true;
    switch (cur_.kw) {
      case Kw::kHashSize: advance(); ok = take_number(INT32_MAX, &c.hashsize); break;
      case Kw::kHashLimit: advance(); ok = take_number(INT32_MAX, &c.hashlimit); break;
      case Kw::kLogFile:
        ok = parse_logfile(c.logfile, "/var/log/conntrackd.log", "LogFile path");
        break;
      case Kw::kSyslog: ok = parse_syslog(&c.syslog_facility, &c.stats_syslog_facility, false); break;
      case Kw::kLockFile:
        advance();
        if (cur_.tok != Tok::kPathVal) return syntax_error();
        if (cur_.text.size() > kFilenameMax)
          return fatal("LockFile path is longer than %u characters", kFilenameMax);
        copy_trunc(c.lockfile, sizeof(c.lockfile), cur_.text);
        advance();
        break;
      case Kw::kUnix: ok = parse_unix(); break;
      case Kw::kBufferSize: advance(); ok = take_number(INT32_MAX, &c.netlink_buffer_size); break;
      case Kw::kBufferSizeMaxGrowth:
        advance();
        ok = take_number(INT32_MAX, &c.netlink_buffer_size_max_grown);
        break;
      case Kw::kEventIterationLimit:
        advance();
        ok = take_number(INT32_MAX, &c.event_iterations_limit);
        break;
      case Kw::kPollSecs:
        advance();
        ok = take_number(INT32_MAX, &c.poll_secs);
        if (ok && c.poll_secs == 0) return fatal("`PollSecs' clause must be > 0");
        break;
      case Kw::kFilter: ok = parse_filter(); break;
      case Kw::kNetlinkOverrunResync: {
        advance();
        if (cur_.tok == Tok::kOn) { c.netlink_overrun_resync = 30; advance(); }
        else if (cur_.tok == Tok::kOff) { c.netlink_overrun_resync = -1; advance(); }
        else {
          uint32_t v;
          ok = take_number(INT32_MAX, &v);
          c.netlink_overrun_resync = static_cast<int32_t>(v);
        }
        break;
      }
      case Kw::kNetlinkEventsReliable: advance(); ok = take_on_off(&c.netlink_events_reliable); break;
      case Kw::kNice:
        advance();
        if (cur_.tok != Tok::kSigned) return syntax_error();
        advance();
        warn("deprecated nice configuration, ignoring. The nice value can be set "
             "externally with nice(1) and renice(1).");
        break;
      case Kw::kScheduler: ok = parse_scheduler(); break;
      case Kw::kSystemd: advance(); ok = take_on_off(&c.systemd); break;
      default: return syntax_error();
    }
    if (!ok) return false;
  }
  advance();
  return true;
}

bool ConfigParser::parse_stats() {
  advance();
  if (!expect_char('{')) return false;
  while (!is_char('}')) {
    bool ok;
    if (is_kw(Kw::kLogFile))
      ok = parse_logfile(cfg_->stats_logfile, "/var/log/conntrackd-stats.log",
                         "stats LogFile path");
    else if (is_kw(Kw::kSyslog))
      ok = parse_syslog(&cfg_->stats_syslog_facility, &cfg_->syslog_facility, true);
    else
      ok = syntax_error();
    if (!ok) return false;
  }
  // Checked when the block closes, as upstream's rule action does.
  if (cfg_->sync)
    return fatal("cannot use both `Stats' and `Sync' clauses in conntrackd.conf");
  cfg_->stats = true;
  advance();
  return true;
}

void config_apply_defaults(Config* c) {
  if (c->lockfile[0] == '\0') copy_trunc(c->lockfile, sizeof(c->lockfile), "/var/lock/conntrackd.lock");
  if (c->cache_timeout == 0) c->cache_timeout = 180;
  if (c->purge_timeout == 0) c->purge_timeout = 60;
  if (c->refresh == 0) c->refresh = 60;
  if (c->resend_queue_size == 0) c->resend_queue_size = 131072;
  if (c->window_size == 0) c->window_size = 300;
  if (c->event_iterations_limit == 0) c->event_iterations_limit = 100;
  if (c->commit_steps == 0) c->commit_steps = 8192;
  if (c->netlink_overrun_resync == 0) c->netlink_overrun_resync = 30;
  if (c->error_queue_length == 0) c->error_queue_length = 128;
  if (c->hashsize == 0) c->hashsize = 65536;
  if (c->hashlimit == 0) c->hashlimit = 262144;
}

void config_evaluate(Config* c, ConfigDiag* diag) {
  if (c->external_cache_disable && c->commit_timeout) {
    if (diag->nwarnings < kMaxWarnings)
      snprintf(diag->warnings[diag->nwarnings++], sizeof(diag->warnings[0]), "%s",
               "`CommitTimeout' can't be combined with `DisableExternalCache', ignoring "
               "this option. Fix your configuration file.");
    else
      diag->warnings_truncated = true;
    c->commit_timeout = 0;
  }
}

bool config_parse(std::string_view text, const char* filename, Config* cfg, ConfigDiag* diag) {
  ConfigParser p(text, filename, cfg, diag);
  if (!p.parse_file()) return false;
  config_apply_defaults(cfg);
  return true;
}

bool config_load(const char* path, Config* cfg, ConfigDiag* diag) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  char* buf = nullptr;
  size_t len = 0;
  bool ok = fd >= 0;
  if (ok) {
    // Read up to the cap plus one byte, to tell "exactly at the cap" from
    // "too large".
    buf = static_cast<char*>(malloc(kMaxConfigFileBytes + 1));
    ok = buf != nullptr;
    while (ok && len <= kMaxConfigFileBytes) {
      ssize_t n = read(fd, buf + len, kMaxConfigFileBytes + 1 - len);
      if (n < 0) ok = false;
      else if (n == 0) break;
      else len += static_cast<size_t>(n);
    }
    close(fd);
  }
  ConfigError& e = diag->error;
  if (!ok) {
    free(buf);
    snprintf(e.message, sizeof(e.message), "can't open config file `%s'", path);
    copy_trunc(e.file, sizeof(e.file), path);
    return false;
  }
  if (len > kMaxConfigFileBytes) {
    free(buf);
    snprintf(e.message, sizeof(e.message), "config file `%s' is larger than %zu bytes", path,
             kMaxConfigFileBytes);
    copy_trunc(e.file, sizeof(e.file), path);
    return false;
  }
  ok = config_parse(std::string_view(buf, len), path, cfg, diag);
  free(buf);
  return ok;
}

}  // namespace ctd
