#include "conntrack/process_output.h"

#include <cstdio>  // BUFSIZ
#include <unistd.h>

#include "base/fd_stat.h"
#include "base/fmt.h"

namespace conntrack {
namespace {

constexpr size_t kBigBuffer = 1 << 18;
char g_out_storage[kBigBuffer];
constinit base::OutBuf g_out(1, g_out_storage, sizeof g_out_storage);
ExitHook g_exit_hook = nullptr;
bool g_quiet = false;

}  // namespace

void output_init() {
  if (isatty(1)) {
    g_out.set_line_buffered(true);
    return;
  }
  base::FdStat so, se;
  if (base::fd_stat(1, so) && base::fd_stat(2, se) && so.dev == se.dev && so.ino == se.ino) {
    // glibc sizes stdout's buffer from st_blksize (BUFSIZ if unknown).
    size_t blk = so.blksize > 0 ? static_cast<size_t>(so.blksize) : BUFSIZ;
    g_out.set_chunk(blk);
  }
}

base::OutBuf& out() { return g_out; }

void err_vprintf(const char* fmt, va_list ap) {
  if (g_quiet) return;
  char buf[4096];
  int n = base::format_v(buf, sizeof buf, fmt, ap);
  if (n < 0) return;
  size_t len = static_cast<size_t>(n) < sizeof buf ? static_cast<size_t>(n) : sizeof buf - 1;
  base::write_all(2, buf, len);
}

void err_printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  err_vprintf(fmt, ap);
  va_end(ap);
}

void set_exit_hook(ExitHook hook, bool quiet) {
  g_exit_hook = hook;
  g_quiet = quiet;
}

void exit_with(int status) {
  if (g_exit_hook != nullptr) g_exit_hook(status);
  g_out.flush();
  _exit(status);
}

void exit_error(int status, const char* fmt, ...) {
  err_printf("%.*s v%.*s (conntrack-tools): ", static_cast<int>(kProgName.size()),
             kProgName.data(), static_cast<int>(kProgVersion.size()), kProgVersion.data());
  va_list ap;
  va_start(ap, fmt);
  err_vprintf(fmt, ap);
  va_end(ap);
  err_printf("\n");
  if (status == kParameterProblem)
    err_printf("Try `%.*s -h' or '%.*s --help' for more information.\n",
               static_cast<int>(kProgName.size()), kProgName.data(),
               static_cast<int>(kProgName.size()), kProgName.data());
  exit_with(status);
}

}  // namespace conntrack
