// conntrack -R: the input is the batch file, read with fgets, split by
// upstream's quoting rules and every line parsed with the batch's shared
// state (pass 1 of load_file_main; nothing runs).  Error exits are caught
// by cli_harness.
#include <cstdio>

#include "conntrack/cli.h"
#include "conntrack/load_file.h"
#include "tests/fuzz/cli_harness.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

struct Job {
  std::FILE* f;
};

void parse(void* ctx) {
  static conntrack::Cli cli;
  cli = conntrack::Cli{};
  conntrack::CliCarry carry;
  (void)conntrack::load_file_parse(static_cast<Job*>(ctx)->f, "conntrack", cli, carry, false);
}

}  // namespace

FUZZ_TARGET(load_file) {
  if (size == 0) return 0;  // fmemopen refuses an empty buffer
  Job j{fmemopen(const_cast<uint8_t*>(data), size, "r")};
  if (j.f == nullptr) return 0;
  fuzz::cli_run_guarded(parse, &j);
  std::fclose(j.f);  // also after an exit: the FILE must not leak
  return 0;
}
