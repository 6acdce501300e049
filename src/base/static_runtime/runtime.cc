// The few C++ runtime symbols that libstdc++'s headers and g++ expect from
// libstdc++.so / libsupc++, for the static musl build only (`make
// static-musl`).  Debian's musl-tools ship no C++ library, and our code uses
// only header-only parts of the standard library, no exceptions and no RTTI,
// so this short list is all the runtime it needs.  The normal build never
// compiles this directory.
//
// Failure policy: where libstdc++ would throw, we abort.  Allocation
// failure aborts too (operator new must not return null).
#include <bits/functexcept.h>
#include <cstddef>
#include <csignal>
#include <cstdlib>
#include <unistd.h>

#include "base/static_runtime/runtime.h"

namespace static_runtime {

[[noreturn]] void die(const char* what) {
  // write(2) only: stdio may be what failed.
  size_t n = 0;
  while (what[n] != '\0') ++n;
  (void)!write(2, "fatal: ", 7);
  (void)!write(2, what, n);
  (void)!write(2, "\n", 1);
  // SIGABRT as abort() raises it, without musl's abort and raise (~300
  // bytes of signal-mask handling): nothing here catches or blocks it.
  kill(getpid(), SIGABRT);
  _exit(127);
}

}  // namespace static_runtime

using static_runtime::die;

// ---- what the headers call instead of `throw` ----------------------------
namespace std {
void __throw_bad_exception() { die("bad_exception"); }
void __throw_bad_alloc() { die("bad_alloc"); }
void __throw_bad_array_new_length() { die("bad_array_new_length"); }
void __throw_bad_cast() { die("bad_cast"); }
void __throw_bad_typeid() { die("bad_typeid"); }
void __throw_logic_error(const char* s) { die(s); }
void __throw_domain_error(const char* s) { die(s); }
void __throw_invalid_argument(const char* s) { die(s); }
void __throw_length_error(const char* s) { die(s); }
void __throw_out_of_range(const char* s) { die(s); }
void __throw_out_of_range_fmt(const char* s, ...) { die(s); }
void __throw_runtime_error(const char* s) { die(s); }
void __throw_range_error(const char* s) { die(s); }
void __throw_overflow_error(const char* s) { die(s); }
void __throw_underflow_error(const char* s) { die(s); }
void __throw_ios_failure(const char* s) { die(s); }
void __throw_ios_failure(const char* s, int) { die(s); }
void __throw_system_error(int) { die("system_error"); }
void __throw_future_error(int) { die("future_error"); }
void __throw_bad_function_call() { die("bad_function_call"); }
void terminate() noexcept { die("terminate"); }

}  // namespace std

// ---- g++ ABI hooks --------------------------------------------------------
extern "C" {
void __cxa_pure_virtual() { die("pure virtual call"); }
void __cxa_deleted_virtual() { die("deleted virtual call"); }

// Function-local statics.  A guard is a plain flag (byte 0 set means
// "initialised"): only the main thread ever initialises one.  The one
// helper thread we start (netlink/dump_pipeline.cc) touches no
// function-local statics -- keep it that way, or make these atomic.
int __cxa_guard_acquire(unsigned long long* g) { return *reinterpret_cast<char*>(g) == 0; }
void __cxa_guard_release(unsigned long long* g) { *reinterpret_cast<char*>(g) = 1; }
void __cxa_guard_abort(unsigned long long*) {}

// Normally in crtbegin.o, which a -nostdlib link leaves out; __cxa_atexit
// (musl) takes it to register static destructors.
void* __dso_handle = &__dso_handle;
}
