// conntrackd: argv (client_args.cc), the configuration, then either one
// client request (control_client.cc) or the daemon (daemon.cc).
#include <cstdio>
#include <sys/stat.h>

#include "conntrackd/control/client_args.h"
#include "conntrackd/config/config.h"
#include "conntrackd/daemon.h"
#include "conntrackd/log.h"

namespace {

// Large (the filter's address table): static, not on the stack.
ctd::Config g_cfg;
ctd::ConfigDiag g_diag;
ctd::Daemon g_daemon;

void print_warnings(const ctd::ConfigDiag& d, unsigned from) {
  for (unsigned i = from; i < d.nwarnings && i < ctd::kMaxWarnings; i++)
    ctd::console_log(ctd::kLogWarning, d.warnings[i]);
}

}  // namespace

int main(int argc, char** argv) {
  ctd::Args args;
  if (!ctd::parse_args(argc, argv, &args)) return args.exit_code;
  if (args.mode == ctd::RunMode::kVersion) {
    ctd::print_version();
    return 0;
  }
  if (args.mode == ctd::RunMode::kHelp) {
    ctd::print_usage(args.progname);
    return 0;
  }
  umask(0177);
  bool ok = ctd::config_load(args.config_path, &g_cfg, &g_diag);
  print_warnings(g_diag, 0);
  if (!ok) {
    ctd::console_log(ctd::kLogErr, g_diag.error.message);
    return 1;
  }
  unsigned seen = g_diag.nwarnings;
  ctd::config_evaluate(&g_cfg, &g_diag);
  print_warnings(g_diag, seen);
  if (args.mode == ctd::RunMode::kClient)
    return ctd::control_client_main(g_cfg, args.request, args.xml);
  return g_daemon.run(g_cfg, args.daemonize);
}
