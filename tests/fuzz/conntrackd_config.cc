// conntrackd.conf text through the lexer and parser (every block, every
// value check), then what the daemon derives from an accepted file: the
// evaluated config and the kernel-side BPF filter program, which must be
// one the kernel would load (every jump lands inside, it ends in a RET).
#include <string_view>

#include "conntrackd/config/config.h"
#include "conntrackd/kernel/filter_bpf.h"
#include "netlink/cbpf.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

void check_program(const nl::cbpf::Insn* p, size_t n) {
  if (n == 0) return;
  if ((p[n - 1].code & 0x07) != 0x06) __builtin_trap();  // BPF_RET class
  for (size_t pc = 0; pc < n; ++pc) {
    if ((p[pc].code & 0x07) != 0x05) continue;  // BPF_JMP class
    if (p[pc].code == nl::cbpf::kJa) {
      if (p[pc].k >= n - pc - 1) __builtin_trap();
    } else if (pc + 1 + p[pc].jt >= n || pc + 1 + p[pc].jf >= n) {
      __builtin_trap();
    }
  }
}

}  // namespace

FUZZ_TARGET(conntrackd_config) {
  // Config is large (the filter's address pool): static, reset per input.
  static ctd::Config cfg;
  static ctd::ConfigDiag diag;
  static nl::cbpf::Insn prog[ctd::kFilterBpfMax];
  cfg = ctd::Config{};
  diag = ctd::ConfigDiag{};
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!ctd::config_parse(text, "fuzz.conf", &cfg, &diag)) return 0;
  ctd::config_evaluate(&cfg, &diag);
  check_program(prog, ctd::filter_bpf_build(cfg.filter, prog, ctd::kFilterBpfMax));
  return 0;
}
