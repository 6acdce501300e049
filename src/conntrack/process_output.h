// The conntrack CLI's stdout and stderr, reproducing stdio's observable
// buffering (upstream uses printf/fprintf): stdout is line-buffered on a
// tty and block-buffered otherwise; stderr is unbuffered.  When stdout and
// stderr are the same file, stdout flushes in st_blksize blocks exactly as
// glibc does, so a `2>&1` capture interleaves the same way.  Otherwise
// stdout uses a large buffer.
#pragma once
#include <cstdarg>
#include <string_view>

#include "base/out_buf.h"

namespace conntrack {

constexpr int kOtherProblem = 1;
constexpr int kParameterProblem = 2;

// Program name and version as upstream prints them in every message.
constexpr std::string_view kProgName = "conntrack";
constexpr std::string_view kProgVersion = "1.4.7";

void output_init();
base::OutBuf& out();

// fprintf(stderr, ...), unbuffered.
void err_printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void err_vprintf(const char* fmt, va_list ap);

// "conntrack v1.4.7 (conntrack-tools): <msg>\n" on stderr, plus the "Try"
// line for kParameterProblem; then flush stdout and exit(status).
[[noreturn]] void exit_error(int status, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// Flush stdout and exit.
[[noreturn]] void exit_with(int status);

// Fuzz targets run the argument parser, whose errors end in exit_with,
// thousands of times in one process: with a hook set, exit_with calls it
// instead of exiting (it must not return: it longjmps back to the
// target), and with `quiet` nothing is written to stderr.
using ExitHook = void (*)(int status);
void set_exit_hook(ExitHook hook, bool quiet);

}  // namespace conntrack
