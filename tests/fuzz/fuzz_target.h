// One fuzz target per file in tests/fuzz/, written once for two builds:
//  - `make fuzz` (clang, -DFUZZ_LIBFUZZER): the file is the whole program's
//    LLVMFuzzerTestOneInput, linked with libFuzzer into build-fuzz/fuzz_NAME;
//  - the unit tests (g++): the function registers under its NAME, and
//    tests/unit/fuzz_corpus_test.cc replays tests/fuzz/corpus/NAME/* through
//    it, so every seed and every crash ever found is re-run by `make check`.
// A target returns 0 and must not exit, leak or keep state between inputs
// that changes what a later input does.
#pragma once
#include <cstddef>
#include <cstdint>

namespace fuzz {

using TargetFn = int (*)(const uint8_t* data, size_t size);

struct Target {
  const char* name;
  TargetFn fn;
};

// The registered targets (unit-test build only), in link order.
const Target* targets(size_t* count);

struct Registrar {
  Registrar(const char* name, TargetFn fn);
};

}  // namespace fuzz

#ifdef FUZZ_LIBFUZZER
#define FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
#else
#define FUZZ_TARGET(name)                                        \
  static int fuzz_##name(const uint8_t* data, size_t size);      \
  static const ::fuzz::Registrar fuzz_registrar_##name(#name, fuzz_##name); \
  static int fuzz_##name(const uint8_t* data, size_t size)
#endif
