// conntrack(8): parse the command line, run one command, print upstream's
// summary line and exit with upstream's status.
#include <cstring>

#include "base/static_slot.h"
#include "conntrack/cli.h"
#include "conntrack/commands.h"
#include "conntrack/load_file.h"
#include "conntrack/process_output.h"
#include "conntrack/session.h"

namespace conntrack {
namespace {

// Large buffers: off the stack.  In a slot, so that no destructor is
// registered with atexit (musl's atexit table and calloc in the static build).
base::StaticSlot<Session> g_session_slot;

// The stderr summary of the commands that have one ("" for none).
const char* summary_format(Cmd cmd, Table table) {
  if (table == Table::kExpect) {
    switch (cmd) {
      case Cmd::kList:
      case Cmd::kDelete: return "%u expectations have been shown.\n";
      default: return nullptr;
    }
  }
  switch (cmd) {
    case Cmd::kList:
    case Cmd::kGet: return "%u flow entries have been shown.\n";
    case Cmd::kCreate: return "%u flow entries have been created.\n";
    case Cmd::kAdd: return "%u flow entries have been added.\n";
    case Cmd::kUpdate: return "%u flow entries have been updated.\n";
    case Cmd::kDelete: return "%u flow entries have been deleted.\n";
    case Cmd::kEvent: return "%u flow events have been shown.\n";
    default: return nullptr;
  }
}

int run(Session& session, Cli& cli, unsigned& counter) {
  if (cli.table == Table::kExpect && (cli.cmd == Cmd::kList || cli.cmd == Cmd::kGet ||
                                      cli.cmd == Cmd::kDelete || cli.cmd == Cmd::kCreate))
    return cmd_expect(session, cli, counter);
  switch (cli.cmd) {
    case Cmd::kList: return cmd_list(session, cli, counter);
    case Cmd::kGet: return cmd_get(session, cli, counter);
    case Cmd::kFlush: return cmd_flush(session, cli);
    case Cmd::kCreate:
    case Cmd::kAdd: return cmd_create(session, cli, counter);
    case Cmd::kDelete: return cmd_delete(session, cli, counter);
    case Cmd::kUpdate: return cmd_update(session, cli, counter);
    case Cmd::kEvent: return cmd_event(session, cli, counter);
    case Cmd::kCount: return cmd_count(session, cli);
    case Cmd::kStats: return cmd_stats(session, cli);
    case Cmd::kVersion:
      out().put(kProgName);
      out().put(" v");
      out().put(kProgVersion);
      out().put(" (conntrack-tools)\n");
      return 0;
    case Cmd::kHelp:
      cli_print_usage(cli);
      return 0;
    case Cmd::kNone:
      cli_print_usage(cli);
      return 0;
    default:
      exit_error(kOtherProblem, "this command is not implemented yet");
  }
}

}  // namespace
}  // namespace conntrack

int main(int argc, char** argv) {
  using namespace conntrack;
  output_init();
  Session& session = g_session_slot.construct();
  // Upstream opens its netlink socket before it looks at the arguments.
  session.open_or_die();
  // Batch mode only as the very first argument (spec §6).
  if (argc > 2 && (std::strcmp(argv[1], "-R") == 0 || std::strcmp(argv[1], "--load-file") == 0))
    load_file_main(session, argv[0], argv[2]);
  static base::StaticSlot<Cli> cli_slot;
  Cli& cli = cli_slot.construct();
  cli_parse(argc, argv, cli);
  // -E does this itself, after its buffer-size notice, as upstream does.
  if ((cli.cmd == Cmd::kList && cli.table == Table::kConntrack) || cli.cmd == Cmd::kDelete ||
      cli.cmd == Cmd::kUpdate)
    cli_prepare_filter(cli);
  unsigned counter = 0;
  int r = run(session, cli, counter);
  if (r < 0) exit_error(kOtherProblem, "Operation failed: %s", error_text(-r, cli.cmd, cli.table));
  const char* fmt = summary_format(cli.cmd, cli.table);
  if (fmt) {
    err_printf("%.*s v%.*s (conntrack-tools): ", static_cast<int>(kProgName.size()),
               kProgName.data(), static_cast<int>(kProgVersion.size()), kProgVersion.data());
    err_printf(fmt, counter);
    if (counter == 0 && cli.cmd != Cmd::kList) exit_with(kOtherProblem);
  }
  exit_with(0);
}
