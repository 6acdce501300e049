#include "tests/fuzz/cli_harness.h"

#include <string_view>

#include "conntrack/cli.h"
#include "conntrack/process_output.h"

namespace fuzz {

std::jmp_buf g_cli_exit;

namespace {

[[noreturn]] void exit_to_target(int status) { std::longjmp(g_cli_exit, status + 1); }

void no_load() {}

int label_bit(std::string_view name) {
  if (name == "a") return 0;
  if (name == "b") return 1;
  if (name == "web") return 5;
  return -1;
}

}  // namespace

bool cli_run_guarded(void (*fn)(void*), void* ctx) {
  // Set for this call only: the unit-test binary runs other CLI tests
  // (death tests among them) after the corpus replay.
  conntrack::set_exit_hook(exit_to_target, true);
  const conntrack::LabelHooks saved = conntrack::cli_set_label_hooks({no_load, label_bit});
  volatile bool returned = false;  // read after a longjmp
  if (setjmp(g_cli_exit) == 0) {
    fn(ctx);
    returned = true;
  }
  conntrack::cli_set_label_hooks(saved);
  conntrack::set_exit_hook(nullptr, false);
  // -h and friends print into stdout's buffer; never write it out.
  conntrack::out().clear();
  return returned;
}

}  // namespace fuzz
