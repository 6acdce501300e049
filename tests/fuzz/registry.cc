// The unit-test build's table of fuzz targets (see fuzz_target.h).  Not
// part of the libFuzzer build: there each target is its own program.
#include "tests/fuzz/fuzz_target.h"

namespace fuzz {
namespace {

constexpr size_t kMaxTargets = 32;

// A function-local table: registrars run during static initialisation, in
// whatever order the objects were linked.
Target* table(size_t** count) {
  static Target t[kMaxTargets];
  static size_t n = 0;
  *count = &n;
  return t;
}

}  // namespace

Registrar::Registrar(const char* name, TargetFn fn) {
  size_t* n;
  Target* t = table(&n);
  if (*n < kMaxTargets) t[(*n)++] = Target{name, fn};
}

const Target* targets(size_t* count) {
  size_t* n;
  const Target* t = table(&n);
  *count = *n;
  return t;
}

}  // namespace fuzz
