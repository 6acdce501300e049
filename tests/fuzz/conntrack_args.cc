// conntrack's command line: the input is argv[1..], NUL-separated (at most
// 64 arguments), parsed with every check upstream makes, then the
// execution-time checks and filter set-up of -L/-D/-U/-E.  Errors, -h and
// -V end in exit_with, caught by cli_harness (nothing is printed).
#include <cstring>

#include "conntrack/cli.h"
#include "tests/fuzz/cli_harness.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

constexpr int kMaxArgs = 64;

struct Job {
  int argc;
  char** argv;
};

void parse(void* ctx) {
  Job* j = static_cast<Job*>(ctx);
  static conntrack::Cli cli;
  cli = conntrack::Cli{};
  conntrack::cli_parse(j->argc, j->argv, cli);
  if (cli.cmd == conntrack::Cmd::kList || cli.cmd == conntrack::Cmd::kDelete ||
      cli.cmd == conntrack::Cmd::kUpdate || cli.cmd == conntrack::Cmd::kEvent)
    conntrack::cli_prepare_filter(cli);
}

}  // namespace

FUZZ_TARGET(conntrack_args) {
  static char text[1 << 16];
  static char* argv[kMaxArgs + 2];
  static char argv0[] = "conntrack";
  if (size >= sizeof text) return 0;
  std::memcpy(text, data, size);
  text[size] = '\0';
  int argc = 0;
  argv[argc++] = argv0;
  // A terminating NUL ends the last argument; it does not start an empty one.
  for (size_t i = 0; i < size && argc <= kMaxArgs; i += std::strlen(text + i) + 1)
    argv[argc++] = text + i;
  argv[argc] = nullptr;
  Job j{argc, argv};
  fuzz::cli_run_guarded(parse, &j);
  return 0;
}
