// -S and -C: per-cpu statistics and the entry count, each with upstream's
// /proc fallback for kernels (or users) that refuse the netlink request.
#include <climits>
#include <cstring>

#include "base/fmt.h"
#include "base/line_reader.h"
#include "base/openmetrics.h"
#include "conntrack/commands.h"
#include "conntrack/stats_table.h"
#include "conntrack/process_output.h"
#include "ct_uapi.h"
#include "netlink/attr.h"

namespace conntrack {
namespace {

using namespace uapi;

// Attribute numbers past the newest we know print as unknownN, so a newer
// kernel's counters still show up.
constexpr uint16_t kUnknownStats = 4;
constexpr const char* kCtStatNames[CTA_STATS_MAX_ + 1] = {
    nullptr, "searched", "found", "new", "invalid", "ignore", "delete",
    "delete_list", "insert", "insert_failed", "drop", "early_drop", "error",
    "search_restart", "clash_resolve", "chaintoolong"};
constexpr const char* kExpStatNames[CTA_STATS_EXP_MAX_ + 1] = {
    nullptr, "expect_new", "expect_create", "expect_delete"};

enum class StatsFormat : uint8_t { kText, kJson, kOpenMetrics };

StatsFormat stats_format(const Cli& cli) {
  if (cli.output == kOutOpenMetrics) return StatsFormat::kOpenMetrics;
  return cli.print.format == ct::OutFormat::kJson ? StatsFormat::kJson : StatsFormat::kText;
}

StatTable g_table;  // -o openmetrics only; one -S per process

// One cpu's -S counters, from netlink or /proc, to where the format wants
// them: upstream's "cpu=%-4u\t" and "name=%u " fields, with -o json (ours)
// one object per cpu {"cpu":0,"found":0,...}, with -o openmetrics (ours)
// the table above.
class CpuLine {
 public:
  CpuLine(base::OutBuf& o, StatsFormat fmt, unsigned cpu) : o_(o), fmt_(fmt) {
    switch (fmt_) {
      case StatsFormat::kOpenMetrics:
        g_table.begin_cpu(cpu);
        return;
      case StatsFormat::kJson:
        o_.put("{\"cpu\":");
        o_.put_u64(cpu);
        return;
      case StatsFormat::kText: {
        char tmp[24];
        int n = base::format(tmp, sizeof tmp, "cpu=%-4u\t", cpu);
        o_.put(std::string_view(tmp, static_cast<size_t>(n)));
        return;
      }
    }
  }
  // `suffix` > 0 appends a number to the name (unknownN).
  void field(std::string_view name, unsigned suffix, uint64_t v) {
    if (fmt_ == StatsFormat::kOpenMetrics) {
      g_table.put(name, suffix, v);
      return;
    }
    const bool json = fmt_ == StatsFormat::kJson;
    if (json) o_.put(",\"");
    o_.put(name);
    if (suffix) o_.put_u64(suffix);
    o_.put(json ? "\":" : "=");
    o_.put_u64(v);
    if (!json) o_.put(' ');
  }
  void end() {
    if (fmt_ == StatsFormat::kOpenMetrics) return;
    if (fmt_ == StatsFormat::kJson) o_.put('}');
    o_.end_line();
  }

 private:
  base::OutBuf& o_;
  StatsFormat fmt_;
};

void print_cpu_line(std::span<const uint8_t> payload, const char* const* names, uint16_t max,
                    StatsFormat fmt) {
  uint16_t cpu = payload.size() >= 4 ? static_cast<uint16_t>(payload[2] << 8 | payload[3]) : 0;
  CpuLine line(out(), fmt, cpu);
  nl::Attr tb[CTA_STATS_MAX_ + kUnknownStats + 1];
  uint16_t limit = static_cast<uint16_t>(max + (names == kCtStatNames ? kUnknownStats : 0));
  std::span<const uint8_t> attrs = payload.size() >= 4 ? payload.subspan(4) : payload.subspan(payload.size());
  if (nl::attr_parse(attrs, tb, limit)) {
    for (uint16_t i = 1; i <= limit; ++i) {
      uint32_t v;
      if (!tb[i] || !nl::get_u32_be(tb[i], v)) continue;
      if (i <= max)
        line.field(names[i], 0, v);
      else
        line.field("unknown", i - max, v);
    }
  }
  line.end();
}

// strtol(s, nullptr, base): leading blanks, sign, digits; saturating.
long c_strtol(std::string_view s, unsigned base) {
  while (!s.empty() && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))) s.remove_prefix(1);
  uint64_t mag;
  bool neg;
  base::scan_number(s, base, mag, neg);
  if (!neg) return mag > static_cast<uint64_t>(LONG_MAX) ? LONG_MAX : static_cast<long>(mag);
  if (mag > static_cast<uint64_t>(LONG_MAX) + 1) return LONG_MIN;
  return static_cast<long>(0 - mag);
}

// /proc/net/stat/nf_conntrack: a header line of names, then one line of
// hex values per cpu.  Printed in the same layout as the netlink answer.
int print_proc_stats(StatsFormat fmt) {
  base::LineReader f("/proc/net/stat/nf_conntrack");
  if (!f.ok()) return -1;
  constexpr int kMaxCols = 64;
  char header[base::LineReader::kCap];
  std::string_view names[kMaxCols];
  int ncols = 0;
  std::string_view line;
  if (!f.next(line)) return -1;
  // The reader reuses its buffer: keep the names in our own.
  std::memcpy(header, line.data(), line.size());
  std::string_view rest(header, line.size());
  for (std::string_view t; ncols < kMaxCols && base::next_field(rest, t, ' ');) names[ncols++] = t;
  unsigned cpu = 0;
  base::OutBuf& o = out();
  while (f.next(line)) {
    unsigned values[kMaxCols] = {};
    int i = 0;
    for (std::string_view t; i < kMaxCols && base::next_field(line, t, ' ');)
      values[i++] = static_cast<unsigned>(c_strtol(t, 16));
    CpuLine out_line(o, fmt, cpu);
    for (int c = 0; c < ncols; ++c) out_line.field(names[c], 0, values[c]);
    out_line.end();
    ++cpu;
  }
  return cpu == 0 ? -1 : 0;
}

// "%d\n", {"count":N} with -o json, or a gauge with -o openmetrics.
void put_int_line(int v, StatsFormat fmt, bool exp) {
  if (fmt == StatsFormat::kOpenMetrics) {
    base::MetricsWriter w(out());
    w.family(exp ? "conntrack_expect_entries" : "conntrack_entries", base::MetricType::kGauge,
             exp ? "Expectations in the table (conntrack -C)" : "Entries in the table (conntrack -C)");
    w.sample_signed({}, v);
    w.finish();
    return;
  }
  const bool json = fmt == StatsFormat::kJson;
  if (json) out().put("{\"count\":");
  out().put_i64(v);
  if (json) out().put('}');
  out().put('\n');
}

}  // namespace

int cmd_stats(Session& s, const Cli& cli) {
  bool exp = cli.table == Table::kExpect;
  const StatsFormat fmt = stats_format(cli);
  nl::MsgBuilder& b = s.request();
  b.begin_nfmsg(exp ? kNfnlSubsysCtnetlinkExp : kNfnlSubsysCtnetlink,
                exp ? uint8_t{kExpMsgGetStatsCpu} : uint8_t{kCtMsgGetStatsCpu}, kNlmFRequest | kNlmFDump,
                s.sock().next_seq(), kAfUnspec);
  b.end_msg();
  auto fn = [&](const NlMsgHdr&, std::span<const uint8_t> p) {
    if (exp)
      print_cpu_line(p, kExpStatNames, CTA_STATS_EXP_MAX_, fmt);
    else
      print_cpu_line(p, kCtStatNames, CTA_STATS_MAX_, fmt);
    return int{nl::kCbOk};
  };
  int r = s.talk(fn);
  if (r >= 0) {
    if (fmt == StatsFormat::kOpenMetrics) g_table.write(out());
    return 0;
  }
  g_table.reset();  // a dump that failed half-way is not mixed with /proc's
  if (print_proc_stats(fmt) < 0) exit_error(kOtherProblem, "Can't open /proc interface");
  if (fmt == StatsFormat::kOpenMetrics) g_table.write(out());
  return r;
}

int cmd_count(Session& s, const Cli& cli) {
  const StatsFormat fmt = stats_format(cli);
  const bool exp = cli.table == Table::kExpect;
  if (cli.table == Table::kExpect) {
    // Expectations have no global counter: count a dump.
    nl::MsgBuilder& b = s.request();
    b.begin_nfmsg(kNfnlSubsysCtnetlinkExp, kExpMsgGet, kNlmFRequest | kNlmFDump,
                  s.sock().next_seq(), cli.family);
    b.end_msg();
    int count = 0;
    auto fn = [&](const NlMsgHdr&, std::span<const uint8_t>) { ++count; return int{nl::kCbOk}; };
    int r = s.talk(fn);
    put_int_line(count, fmt, exp);
    return r < 0 ? r : 0;
  }
  nl::MsgBuilder& b = s.request();
  b.begin_nfmsg(kNfnlSubsysCtnetlink, kCtMsgGetStats, kNlmFRequest, s.sock().next_seq(), kAfUnspec);
  b.end_msg();
  auto fn = [&](const NlMsgHdr&, std::span<const uint8_t> p) {
    nl::Attr tb[CTA_STATS_GLOBAL_MAX_ENTRIES + 1];
    uint32_t v;
    if (p.size() >= 4 && nl::attr_parse(p.subspan(4), tb, CTA_STATS_GLOBAL_MAX_ENTRIES) &&
        tb[CTA_STATS_GLOBAL_ENTRIES] && nl::get_u32_be(tb[CTA_STATS_GLOBAL_ENTRIES], v)) {
      put_int_line(static_cast<int>(v), fmt, exp);
    }
    // The answer is a single message with no NLMSG_DONE.
    return int{nl::kCbStop};
  };
  int r = s.talk(fn);
  if (r >= 0) return 0;
  const char* path = "/proc/sys/net/netfilter/nf_conntrack_count";
  // fscanf(f, "%d", &count)
  char buf[64];
  long n = base::read_file(path, buf, sizeof buf);
  if (n < 0) exit_error(kOtherProblem, "Can't open %s", path);
  std::string_view text(buf, static_cast<size_t>(n));
  while (!text.empty() && (text[0] == ' ' || (text[0] >= '\t' && text[0] <= '\r')))
    text.remove_prefix(1);
  uint64_t mag;
  bool neg;
  if (base::scan_number(text, 10, mag, neg) == 0) exit_error(kOtherProblem, "Can't read %s", path);
  put_int_line(static_cast<int>(neg ? 0 - mag : mag), fmt, exp);
  return r;
}

}  // namespace conntrack
