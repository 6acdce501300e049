#include "conntrack/kernel_filter.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ct_uapi.h"

namespace conntrack {
namespace {

enum class Mode : uint8_t { kUnknown, kOn, kOff, kReject };
Mode g_mode = Mode::kUnknown;

Mode mode() {
  if (g_mode == Mode::kUnknown) {
    const char* e = std::getenv("CONNTRACK_NO_KERNEL_FILTER");
    if (e == nullptr || *e == '\0' || std::strcmp(e, "0") == 0)
      g_mode = Mode::kOn;
    else if (std::strcmp(e, "reject") == 0)
      g_mode = Mode::kReject;
    else
      g_mode = Mode::kOff;
  }
  return g_mode;
}

// A flag bit outside CTA_FILTER_F_ALL: ctnetlink_parse_filter answers
// EOPNOTSUPP.
constexpr uint32_t kUnknownFlag = 1u << 31;

}  // namespace

void kernel_filter_plan(Session& s, const Cli& cli, ct::KernelDumpFilter& kf, uint8_t& family) {
  using namespace uapi;
  kf.has_tuples = false;
  family = cli.family;
  Mode m = mode();
  if (m == Mode::kOff || cli.table != Table::kConntrack || cli.zero) return;
  if (!ct::filter_kernel_tuples(cli.filter, family == 0 ? kAfInet : family, kf.tuples)) return;
  if (m == Mode::kReject) kf.tuples.flags[ct::kDirOrig] |= kUnknownFlag;
  kf.has_tuples = true;
  if (family != 0) return;
  // No address was given (that would have set the family): the filter
  // holds no IPv4-only part.  Probe the IPv6 entries with it.
  ct::KernelTupleFilter& k = kf.tuples;
  k.tuple[ct::kDirOrig].l3 = k.tuple[ct::kDirRepl].l3 = kAfInet6;
  ct::build_ct_dump(s.request(), kCtMsgGet, kAfInet6, s.sock().next_seq(), &kf);
  unsigned n = 0;
  auto count = [&n](const NlMsgHdr&, std::span<const uint8_t>) {
    ++n;
    return int{nl::kCbOk};
  };
  int r = s.talk(count);
  k.tuple[ct::kDirOrig].l3 = k.tuple[ct::kDirRepl].l3 = kAfInet;
  if (r < 0) {
    // Refused (remembered), or any other failure: dump as upstream does,
    // which reports it.
    kernel_filter_rejected(r, n);
    kf.has_tuples = false;
    return;
  }
  if (n != 0) {
    kf.has_tuples = false;  // IPv6 entries match: one unfiltered walk keeps the order
    return;
  }
  family = kAfInet;
}

bool kernel_filter_rejected(int r, unsigned entries) {
  if (entries != 0 || (r != -EOPNOTSUPP && r != -EINVAL)) return false;
  g_mode = Mode::kOff;
  return true;
}

}  // namespace conntrack
