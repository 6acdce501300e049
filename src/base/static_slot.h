// Room for one T with static storage duration, constructed when the
// program gets there.  A plain `static T x;` of a type with non-zero
// default members is stored, defaults and all, in the binary's .data
// (1.7 KB for a conntrack::Cli); a slot is zero-filled .bss instead and
// costs only the constructor call.
#pragma once
#include <new>

namespace base {

template <class T>
class StaticSlot {
 public:
  constexpr StaticSlot() {}
  ~StaticSlot() {}  // T is never destroyed: these live until exit
  StaticSlot(const StaticSlot&) = delete;
  StaticSlot& operator=(const StaticSlot&) = delete;

  // Constructs a fresh T (a previous one is overwritten, not destroyed).
  T& construct() { return *::new (static_cast<void*>(&value_)) T(); }

 private:
  union {
    T value_;
  };
};

}  // namespace base
