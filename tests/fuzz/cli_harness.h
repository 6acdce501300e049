// What the two conntrack CLI targets share: the parser's error exits turned
// into a longjmp back to the target, silenced, and a label map that never
// touches the file system.
#pragma once
#include <csetjmp>

namespace fuzz {

// The jump target an exit_with() during cli_run_guarded's call lands on.
extern std::jmp_buf g_cli_exit;

// Runs fn(ctx) with conntrack's exits caught; true if it returned, false
// if it ended in exit_with (an error, or -h/-V).
bool cli_run_guarded(void (*fn)(void*), void* ctx);

}  // namespace fuzz
