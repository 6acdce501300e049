#include "conntrack/stats_table.h"

#include "base/openmetrics.h"

namespace conntrack {

void StatTable::begin_cpu(unsigned cpu) {
  in_row_ = nrows_ < kMaxCpus;
  if (!in_row_) return;
  row_ = nrows_++;
  cpus_[row_] = cpu;
  present_[row_] = 0;
}

void StatTable::put(std::string_view name, unsigned suffix, uint64_t v) {
  if (!in_row_) return;
  base::LineBuf<kMaxNameLen> n;
  n.put(name);
  if (suffix) n.put_u64(suffix);
  if (n.truncated()) return;
  const int col = column(n.view());
  if (col < 0) return;
  values_[row_][col] = static_cast<uint32_t>(v);
  present_[row_] |= uint64_t{1} << col;
}

void StatTable::reset() {
  nrows_ = ncols_ = row_ = 0;
  in_row_ = false;
}

int StatTable::column(std::string_view name) {
  for (unsigned c = 0; c < ncols_; c++)
    if (std::string_view(names_[c], name_len_[c]) == name) return static_cast<int>(c);
  if (ncols_ >= kMaxCols || name.size() > kMaxNameLen) return -1;
  name.copy(names_[ncols_], name.size());
  name_len_[ncols_] = static_cast<uint8_t>(name.size());
  return static_cast<int>(ncols_++);
}

void StatTable::write(base::OutBuf& o) const {
  base::MetricsWriter w(o);
  for (unsigned c = 0; c < ncols_; c++) {
    const std::string_view name(names_[c], name_len_[c]);
    base::LineBuf<base::MetricsWriter::kMaxName> family;
    family.put("conntrack_stats_");
    family.put(name);
    base::LineBuf<128> help;
    // /proc's "entries" is the table's size, repeated on every cpu's line.
    const bool gauge = name == "entries";
    help.put(gauge ? "Entries in the table (conntrack -S, /proc)" : "conntrack -S counter ");
    if (!gauge) help.put(name);
    if (!w.family(family.view(), gauge ? base::MetricType::kGauge : base::MetricType::kCounter,
                  help.view()))
      continue;
    for (unsigned r = 0; r < nrows_; r++) {
      if (!(present_[r] & (uint64_t{1} << c))) continue;
      base::LineBuf<16> cpu;
      cpu.put_u64(cpus_[r]);
      base::MetricLabel l[] = {{"cpu", cpu.view()}};
      w.sample(l, values_[r][c]);
    }
  }
  w.finish();
}

}  // namespace conntrack
