// The command/option matrices (upstream's commands_v_options and the
// per-protocol ones) and the checks made against them.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

namespace conntrack {

// Matrix cell values, as upstream's tables.
enum : uint8_t { kIllegal = 0, kMandatory = 1, kOptional = 2, kPairRule = 3 };

// upstream's command bits (CT_*_BIT / EXP_*_BIT); kCmdBitNone is what a
// run without a command indexes.
enum CmdBit : int {
  kCtList = 0, kCtCreate, kCtUpdate, kCtDelete, kCtGet, kCtFlush, kCtEvent,
  kCtVersion, kCtHelp, kExpList, kExpCreate, kExpDelete, kExpGet, kExpFlush,
  kExpEvent, kCtCount, kExpCount, kCtStats, kExpStats, kCtAdd,
  kCmdBits, kCmdBitNone = kCmdBits
};

// Checks `options` (one bit per column) against `row`: a missing
// mandatory option or an illegal one exits with upstream's message
// (`--NAME' from `names`).  If the row has pair-rule cells, one of the
// `pairs` must be complete: returns false when none is, with *partial set
// to the first pair that is partly given (-1 if none).
bool opt_check(uint32_t options, std::span<const std::string_view> names,
               const uint8_t* row, std::span<const uint32_t> pairs, int* partial);

// The main matrix row for a command bit (kCmdBitNone included).
const uint8_t* main_matrix_row(int cmd_bit);

}  // namespace conntrack
