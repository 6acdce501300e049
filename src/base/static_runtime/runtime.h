// Shared by the files of src/base/static_runtime/ (musl build only).
//
// The runtime is split into separately linked archive members so that a
// program pulls only what it references: the `std::__throw_*` hooks alone
// must not drag in operator new/delete, and with them musl's full malloc
// (free() anywhere in the link selects it over the small bump allocator).
#pragma once

namespace static_runtime {
// "fatal: <what>" on stderr with write(2) only, then abort().
[[noreturn]] void die(const char* what);
}  // namespace static_runtime
