// conntrack -R: the input is the batch file, read line by line, split by
// upstream's quoting rules and every line parsed with the batch's shared
// state (pass 1 of load_file_main; nothing runs).  Error exits are caught
// by cli_harness.
#include <sys/mman.h>
#include <unistd.h>

#include "base/fgets_reader.h"

#include "conntrack/cli.h"
#include "conntrack/load_file.h"
#include "tests/fuzz/cli_harness.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

struct Job {
  base::FgetsReader* in;
};

void parse(void* ctx) {
  static conntrack::Cli cli;
  cli = conntrack::Cli{};
  conntrack::CliCarry carry;
  (void)conntrack::load_file_parse(*static_cast<Job*>(ctx)->in, "conntrack", cli, carry, false);
}

}  // namespace

FUZZ_TARGET(load_file) {
  // The batch reader reads a file descriptor: the input goes into a memfd.
  int fd = memfd_create("load_file", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (size > 0 && write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return 0;
  }
  lseek(fd, 0, SEEK_SET);
  base::FgetsReader in(fd);  // closes fd, also after an exit caught by the harness
  Job j{&in};
  fuzz::cli_run_guarded(parse, &j);
  return 0;
}
