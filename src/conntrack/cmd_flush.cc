// -F: flush the conntrack or expectation table.
#include "conntrack/commands.h"
#include "conntrack/process_output.h"
#include "ct_uapi.h"

namespace conntrack {

int cmd_flush(Session& s, const Cli& cli) {
  using namespace uapi;
  bool exp = cli.table == Table::kExpect;
  nl::MsgBuilder& b = s.request();
  b.begin_nfmsg(exp ? kNfnlSubsysCtnetlinkExp : kNfnlSubsysCtnetlink,
                exp ? uint8_t{kExpMsgDelete} : uint8_t{kCtMsgDelete}, kNlmFRequest | kNlmFAck,
                s.sock().next_seq(), cli.family);
  b.end_msg();
  auto fn = [](const NlMsgHdr&, std::span<const uint8_t>) { return int{nl::kCbOk}; };
  int r = s.talk(fn);
  // Upstream reports the flush before looking at the result.
  err_printf("%.*s v%.*s (conntrack-tools): %s table has been emptied.\n",
             static_cast<int>(kProgName.size()), kProgName.data(),
             static_cast<int>(kProgVersion.size()), kProgVersion.data(),
             exp ? "expectation" : "connection tracking");
  return r;
}

}  // namespace conntrack
