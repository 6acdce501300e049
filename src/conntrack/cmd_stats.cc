// -S and -C: per-cpu statistics and the entry count, each with upstream's
// /proc fallback for kernels (or users) that refuse the netlink request.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "conntrack/commands.h"
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

void print_cpu_line(std::span<const uint8_t> payload, const char* const* names, uint16_t max) {
  base::OutBuf& o = out();
  uint16_t cpu = payload.size() >= 4 ? static_cast<uint16_t>(payload[2] << 8 | payload[3]) : 0;
  o.put("cpu=");
  // printf("%-4u\t")
  char tmp[8];
  int n = snprintf(tmp, sizeof tmp, "%-4u", cpu);
  o.put(std::string_view(tmp, static_cast<size_t>(n)));
  o.put('\t');
  nl::Attr tb[CTA_STATS_MAX_ + kUnknownStats + 1];
  uint16_t limit = static_cast<uint16_t>(max + (names == kCtStatNames ? kUnknownStats : 0));
  std::span<const uint8_t> attrs = payload.size() >= 4 ? payload.subspan(4) : payload.subspan(payload.size());
  if (nl::attr_parse(attrs, tb, limit)) {
    for (uint16_t i = 1; i <= limit; ++i) {
      uint32_t v;
      if (!tb[i] || !nl::get_u32_be(tb[i], v)) continue;
      if (i <= max) {
        o.put(names[i]);
      } else {
        o.put("unknown");
        o.put_u64(i - max);
      }
      o.put('=');
      o.put_u64(v);
      o.put(' ');
    }
  }
  o.end_line();
}

// /proc/net/stat/nf_conntrack: a header line of names, then one line of
// hex values per cpu.  Printed in the same layout as the netlink answer.
int print_proc_stats() {
  FILE* f = fopen("/proc/net/stat/nf_conntrack", "re");
  if (!f) return -1;
  constexpr int kMaxCols = 64;
  char header[4096], line[4096];
  char* names[kMaxCols];
  int ncols = 0;
  if (!fgets(header, sizeof header, f)) {
    fclose(f);
    return -1;
  }
  header[strcspn(header, "\n")] = '\0';
  for (char* save = nullptr, *t = strtok_r(header, " ", &save); t && ncols < kMaxCols;
       t = strtok_r(nullptr, " ", &save))
    names[ncols++] = t;
  unsigned cpu = 0;
  base::OutBuf& o = out();
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    unsigned values[kMaxCols] = {};
    int i = 0;
    for (char* save = nullptr, *t = strtok_r(line, " ", &save); t && i < kMaxCols;
         t = strtok_r(nullptr, " ", &save))
      values[i++] = static_cast<unsigned>(strtol(t, nullptr, 16));
    char tmp[16];
    int n = snprintf(tmp, sizeof tmp, "cpu=%-4u\t", cpu);
    o.put(std::string_view(tmp, static_cast<size_t>(n)));
    for (int c = 0; c < ncols; ++c) {
      o.put(names[c]);
      o.put('=');
      o.put_u64(values[c]);
      o.put(' ');
    }
    o.end_line();
    ++cpu;
  }
  fclose(f);
  return cpu == 0 ? -1 : 0;
}

}  // namespace

int cmd_stats(Session& s, const Cli& cli) {
  bool exp = cli.table == Table::kExpect;
  nl::MsgBuilder& b = s.request();
  b.begin_nfmsg(exp ? kNfnlSubsysCtnetlinkExp : kNfnlSubsysCtnetlink,
                exp ? uint8_t{kExpMsgGetStatsCpu} : uint8_t{kCtMsgGetStatsCpu}, kNlmFRequest | kNlmFDump,
                s.sock().next_seq(), kAfUnspec);
  b.end_msg();
  auto fn = [&](const NlMsgHdr&, std::span<const uint8_t> p) {
    if (exp)
      print_cpu_line(p, kExpStatNames, CTA_STATS_EXP_MAX_);
    else
      print_cpu_line(p, kCtStatNames, CTA_STATS_MAX_);
    return int{nl::kCbOk};
  };
  int r = s.talk(fn);
  if (r >= 0) return 0;
  if (print_proc_stats() < 0) exit_error(kOtherProblem, "Can't open /proc interface");
  return r;
}

int cmd_count(Session& s, const Cli& cli) {
  if (cli.table == Table::kExpect) {
    // Expectations have no global counter: count a dump.
    nl::MsgBuilder& b = s.request();
    b.begin_nfmsg(kNfnlSubsysCtnetlinkExp, kExpMsgGet, kNlmFRequest | kNlmFDump,
                  s.sock().next_seq(), cli.family);
    b.end_msg();
    int count = 0;
    auto fn = [&](const NlMsgHdr&, std::span<const uint8_t>) { ++count; return int{nl::kCbOk}; };
    int r = s.talk(fn);
    char tmp[16];
    int n = snprintf(tmp, sizeof tmp, "%d\n", count);
    out().put(std::string_view(tmp, static_cast<size_t>(n)));
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
      char tmp[16];
      int n = snprintf(tmp, sizeof tmp, "%d\n", static_cast<int>(v));
      out().put(std::string_view(tmp, static_cast<size_t>(n)));
    }
    // The answer is a single message with no NLMSG_DONE.
    return int{nl::kCbStop};
  };
  int r = s.talk(fn);
  if (r >= 0) return 0;
  const char* path = "/proc/sys/net/netfilter/nf_conntrack_count";
  FILE* f = fopen(path, "re");
  if (!f) exit_error(kOtherProblem, "Can't open %s", path);
  int count;
  if (fscanf(f, "%d", &count) != 1) exit_error(kOtherProblem, "Can't read %s", path);
  fclose(f);
  char tmp[16];
  int n = snprintf(tmp, sizeof tmp, "%d\n", count);
  out().put(std::string_view(tmp, static_cast<size_t>(n)));
  return r;
}

}  // namespace conntrack
