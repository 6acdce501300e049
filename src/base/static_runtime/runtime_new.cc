// operator new / delete for the static musl build (see runtime.cc): a
// member of its own, linked only when something allocates.
//
// Allocation failure aborts (operator new must not return null).
#include <cstddef>
#include <cstdlib>
#include <new>

#include "base/static_runtime/runtime.h"

using static_runtime::die;

namespace {
void* alloc(size_t n) {
  void* p = malloc(n != 0 ? n : 1);
  if (p == nullptr) die("out of memory");
  return p;
}

void* alloc_aligned(size_t n, std::align_val_t al) {
  size_t a = static_cast<size_t>(al);
  if (a < sizeof(void*)) a = sizeof(void*);
  void* p = nullptr;
  if (posix_memalign(&p, a, n != 0 ? n : 1) != 0) die("out of memory");
  return p;
}

}  // namespace

// ---- operator new / delete (every replaceable form) -----------------------
void* operator new(size_t n) { return alloc(n); }
void* operator new[](size_t n) { return alloc(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return malloc(n != 0 ? n : 1); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return malloc(n != 0 ? n : 1); }
void* operator new(size_t n, std::align_val_t al) { return alloc_aligned(n, al); }
void* operator new[](size_t n, std::align_val_t al) { return alloc_aligned(n, al); }
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, size_t) noexcept { free(p); }
void operator delete[](void* p, size_t) noexcept { free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { free(p); }
void operator delete(void* p, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { free(p); }

