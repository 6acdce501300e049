#include "conntrack/session.h"

#include <cerrno>
#include <ctime>

#include "conntrack/process_output.h"
#include "nl_uapi.h"

namespace conntrack {

void Session::open_or_die() {
  if (sock_.open() < 0) exit_error(kOtherProblem, "Can't open handler");
  // Upstream numbers its requests from the clock; any value works as long
  // as replies are matched against it.
  sock_.set_seq(static_cast<uint32_t>(time(nullptr)));
}

nl::MsgBuilder& Session::request() {
  builder_.reset();
  return builder_;
}

int Session::send_request(nl::RecvState& st) {
  if (!builder_.ok() || builder_.size() < sizeof(uapi::NlMsgHdr)) return -EMSGSIZE;
  // The request's own sequence number was set when it was built.
  uapi::NlMsgHdr h;
  __builtin_memcpy(&h, builder_.data().data(), sizeof h);
  st.seq = h.seq;
  st.portid = sock_.portid();
  return sock_.send(builder_.data());
}

}  // namespace conntrack
