// `conntrack -S -o openmetrics`: OpenMetrics forbids interleaving one
// family's samples with another's, but the kernel (and /proc) answer cpu by
// cpu.  The values are kept here until the last cpu, then written name by
// name (base/openmetrics.h).  A bounded table, no allocation: cpus past
// kMaxCpus and names past kMaxCols are left out.  Meant to be a static
// object: every member starts at zero, so it lives in .bss and costs the
// binary nothing.
#pragma once
#include <cstdint>
#include <string_view>

#include "base/out_buf.h"

namespace conntrack {

class StatTable {
 public:
  static constexpr unsigned kMaxCols = 48, kMaxCpus = 4096, kMaxNameLen = 40;

  void begin_cpu(unsigned cpu);
  // `suffix` > 0 appends a number to the name (unknownN).
  void put(std::string_view name, unsigned suffix, uint64_t v);
  void reset();
  // Families conntrack_stats_<name> (counters; /proc's "entries" is a
  // gauge), a sample {cpu="N"} per cpu that had the value, then "# EOF".
  void write(base::OutBuf& o) const;

 private:
  int column(std::string_view name);
  char names_[kMaxCols][kMaxNameLen] = {};
  uint8_t name_len_[kMaxCols] = {};
  unsigned ncols_ = 0;
  unsigned cpus_[kMaxCpus] = {};
  uint32_t values_[kMaxCpus][kMaxCols] = {};
  uint64_t present_[kMaxCpus] = {};
  unsigned nrows_ = 0;
  unsigned row_ = 0;
  bool in_row_ = false;
};
static_assert(StatTable::kMaxCols <= 64, "present_ is a 64-bit mask per cpu");

}  // namespace conntrack
