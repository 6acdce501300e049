// Room for one T with static storage duration, constructed when the
// program gets there.  A plain `static T x;` of a type with non-zero
// default members is stored, defaults and all, in the binary's .data
// (1.7 KB for a conntrack::Cli); a slot is zero-filled .bss instead and
// costs only the constructor call.  T is never destroyed: slots live until
// exit.
#pragma once
#include <new>

namespace base {

template <class T>
class StaticSlot {
 public:
  constexpr StaticSlot() = default;
  StaticSlot(const StaticSlot&) = delete;
  StaticSlot& operator=(const StaticSlot&) = delete;

  // Constructs a fresh T (a previous one is overwritten, not destroyed).
  template <class... Args>
  T& construct(Args&&... args) {
    return *::new (static_cast<void*>(storage_)) T(static_cast<Args&&>(args)...);
  }

 private:
  // Raw bytes, so the slot is trivially destructible whatever T is: a
  // function-local static slot then needs no guard variable and registers
  // no destructor with atexit (which would link musl's atexit and calloc).
  alignas(T) unsigned char storage_[sizeof(T)];
};

}  // namespace base
