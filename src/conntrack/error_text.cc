// upstream's err2str(): a few errno values get a command-specific text;
// everything else is strerror().
#include <cerrno>
#include <cstring>

#include "conntrack/commands.h"

namespace conntrack {

namespace {
constexpr int kEnotsupp = 524;  // kernel-internal ENOTSUPP leaks from some paths
}

// Upstream matches a table of (command bits, errno) pairs; the EINVAL
// row covers only the command bits below 0x10000, which leaves out
// -C expect, -S, -S expect and -A.
const char* error_text(int err, Cmd cmd, Table table) {
  bool exp = table == Table::kExpect;
  bool create = cmd == Cmd::kCreate || cmd == Cmd::kAdd;
  bool einval_row = !(cmd == Cmd::kAdd || cmd == Cmd::kStats || (exp && cmd == Cmd::kCount));
  if (!exp && cmd == Cmd::kList && err == kEnotsupp) return "function not implemented";
  if (err == EINVAL && einval_row) return "invalid parameters";
  if (!exp) {
    if (cmd == Cmd::kCreate && err == EEXIST) return "Such conntrack exists, try -U to update";
    if ((create || cmd == Cmd::kGet || cmd == Cmd::kDelete) && err == ENOENT)
      return "such conntrack doesn't exist";
    if ((create || cmd == Cmd::kGet) && err == ENOMEM) return "not enough memory";
    if (cmd == Cmd::kGet && err == EAFNOSUPPORT) return "protocol not supported";
    if (create && err == ETIME) return "conntrack has expired";
  } else if (cmd == Cmd::kCreate && err == ENOENT) {
    return "master conntrack not found";
  }
  if (err == EPERM) return "sorry, you must be root or get CAP_NET_ADMIN capability to do this";
  return strerror(err);
}

}  // namespace conntrack
