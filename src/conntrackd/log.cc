#include "conntrackd/log.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include "base/out_buf.h"
#include "base/time_fmt.h"

namespace ctd {

namespace {

constexpr size_t kLineMax = 2048;

// ctime(3) text without its newline; "?" if the time cannot be shown.
size_t put_ctime(char* buf, size_t cap, time_t t) {
  if (cap == 0) return 0;
  base::LineBuf<64> tmp;  // the same local time as conntrack's (base/time_zone.h)
  base::put_ctime(tmp, static_cast<int64_t>(t));
  size_t n = tmp.size();
  if (n >= cap) n = cap - 1;
  memcpy(buf, tmp.view().data(), n);
  buf[n] = '\0';
  return n;
}

void write_all(int fd, const char* p, size_t n) {
  for (int tries = 0; n > 0 && tries < 64; tries++) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

const char* log_level_name(int level) {
  switch (level) {
    case LOG_INFO: return "info";
    case LOG_NOTICE: return "notice";
    case LOG_WARNING: return "warning";
    case LOG_ERR: return "ERROR";
    default: return "?";
  }
}

size_t log_format_line(char* buf, size_t cap, time_t t, int pid, int level, const char* fmt,
                       va_list ap) {
  if (cap < 2) return 0;
  char date[64];
  put_ctime(date, sizeof date, t);
  int n = snprintf(buf, cap, "[%s] (pid=%d) [%s] ", date, pid, log_level_name(level));
  size_t len = n < 0 ? 0 : static_cast<size_t>(n);
  if (len > cap - 2) len = cap - 2;
  int m = vsnprintf(buf + len, cap - 1 - len, fmt, ap);
  if (m > 0) len += static_cast<size_t>(m);
  if (len > cap - 2) len = cap - 2;
  buf[len++] = '\n';
  buf[len] = '\0';
  return len;
}

size_t log_format_flow_line(char* buf, size_t cap, time_t t, std::string_view text) {
  if (cap < 2) return 0;
  size_t len = put_ctime(buf, cap - 1, t);
  if (len < cap - 2) buf[len++] = '\t';
  size_t room = cap - 2 - len;
  size_t n = text.size() < room ? text.size() : room;
  if (n > 0) memcpy(buf + len, text.data(), n);  // empty: data() may be null
  len += n;
  buf[len++] = '\n';
  buf[len] = '\0';
  return len;
}

int Logger::open_file(const char* path, int* fd) {
  *fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (*fd < 0) {
    fprintf(stderr, "ERROR: can't open logfile `%s'.Reason: %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}

int Logger::open(const Config& cfg) {
  cfg_ = &cfg;
  if (cfg.logfile[0] && open_file(cfg.logfile, &fd_) < 0) return -1;
  if (cfg.stats_logfile[0] && open_file(cfg.stats_logfile, &stats_fd_) < 0) return -1;
  syslog_ = cfg.syslog_facility != kSyslogOff;
  stats_syslog_ = cfg.stats_syslog_facility != kSyslogOff;
  if (syslog_ || stats_syslog_)
    openlog("conntrackd", LOG_PID, syslog_ ? cfg.syslog_facility : cfg.stats_syslog_facility);
  init_ = true;
  return 0;
}

int Logger::reopen() {
  if (!cfg_) return 0;
  int r = 0;
  if (cfg_->logfile[0]) {
    int nfd;
    if (open_file(cfg_->logfile, &nfd) == 0) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = nfd;
    } else {
      r = -1;
    }
  }
  if (cfg_->stats_logfile[0]) {
    int nfd;
    if (open_file(cfg_->stats_logfile, &nfd) == 0) {
      if (stats_fd_ >= 0) ::close(stats_fd_);
      stats_fd_ = nfd;
    } else {
      r = -1;
    }
  }
  return r;
}

void Logger::close() {
  if (fd_ >= 0) ::close(fd_);
  if (stats_fd_ >= 0) ::close(stats_fd_);
  fd_ = stats_fd_ = -1;
  if (syslog_ || stats_syslog_) closelog();
  init_ = false;
}

void Logger::vlog(int level, const char* fmt, va_list ap) {
  char line[kLineMax];
  va_list cp;
  va_copy(cp, ap);
  size_t n = log_format_line(line, sizeof line, time(nullptr), getpid(), level, fmt, cp);
  va_end(cp);
  if (!daemon_ || !init_) {
    int out = (level == LOG_INFO || level == LOG_NOTICE) ? STDOUT_FILENO : STDERR_FILENO;
    write_all(out, line, n);
  }
  if (!init_) return;
  if (fd_ >= 0) write_all(fd_, line, n);
  if (syslog_) {
    va_copy(cp, ap);
    vsyslog(level, fmt, cp);
    va_end(cp);
  }
}

void Logger::flow(std::string_view text) {
  if (stats_fd_ >= 0) {
    char line[kLineMax];
    size_t n = log_format_flow_line(line, sizeof line, time(nullptr), text);
    write_all(stats_fd_, line, n);
  }
  if (stats_syslog_)
    syslog(LOG_INFO, "%.*s", static_cast<int>(text.size()), text.data());
}

}  // namespace ctd
