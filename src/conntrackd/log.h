// The daemon's log: upstream's line format "[<ctime>] (pid=N) [level] msg"
// to the LogFile and/or syslog, and to the console (stdout for notices,
// stderr for warnings and errors) while not daemonized or before the log
// is open.  Stats mode's flow log ("<ctime>\t<flow>") lives here too.
//
// Lines are formatted into a fixed buffer and written with one write(2)
// on an O_APPEND descriptor, so concurrent writers (the client process
// logging a lock-file refusal into the same file) never interleave.
#pragma once
#include <cstdarg>
#include <cstddef>
#include <ctime>
#include <string_view>

#include "conntrackd/config/config.h"

namespace ctd {

// "info", "notice", "warning", "ERROR", or "?" (upstream's spellings).
const char* log_level_name(int level);

// Formats one line, newline included, into buf (truncated to cap - 1 with
// the newline kept).  Returns the length written.
size_t log_format_line(char* buf, size_t cap, time_t t, int pid, int level, const char* fmt,
                       va_list ap);

// "<ctime without newline>\t<text>\n" (stats mode).  Returns the length.
size_t log_format_flow_line(char* buf, size_t cap, time_t t, std::string_view text);

class Logger {
 public:
  // Opens LogFile / the Stats LogFile (mode "a+" as upstream) and syslog.
  // On failure prints upstream's "ERROR: can't open logfile ..." on stderr
  // and returns -1.
  int open(const Config& cfg);
  // SIGHUP: reopen both files (log rotation).
  int reopen();
  void close();
  void set_daemon(bool on) { daemon_ = on; }
  bool is_open() const { return init_; }

  void vlog(int level, const char* fmt, va_list ap);
  // A destroyed/purged flow in stats mode: to the Stats LogFile with the
  // date, to syslog (Stats Syslog) at LOG_INFO without it.
  void flow(std::string_view text);

 private:
  int open_file(const char* path, int* fd);
  const Config* cfg_ = nullptr;
  int fd_ = -1, stats_fd_ = -1;
  bool syslog_ = false, stats_syslog_ = false;
  bool daemon_ = false;
  bool init_ = false;
};

}  // namespace ctd
