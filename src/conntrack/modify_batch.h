// Batched, pipelined per-entry requests for -D and -U over a large table.
//
// Requests are built into one buffer and sent with a single sendmsg per
// batch.  The kernel handles netlink requests synchronously inside
// sendmsg, so when it returns every answer is already queued on our
// socket: we drain them without blocking and match them to entries by
// sequence number.  Deletes carry no NLM_F_ACK (only failures answer),
// which halves the traffic; an update is followed by a CT_GET whose reply
// is what gets printed, as upstream prints it.
//
// Memory is fixed: kMaxEntries requests and their formatted lines.
#pragma once
#include <cstddef>
#include <cstdint>

#include <span>
#include <string_view>

#include "base/out_buf.h"
#include "ct/flow.h"
#include "netlink/socket.h"
#include "nl_uapi.h"

namespace conntrack {

class ModifyBatch {
 public:
  static constexpr size_t kMaxEntries = 128;

  enum class Kind : uint8_t { kDelete, kUpdate };
  // Called with the kernel's reply to an update's CT_GET (the entry as it
  // is now) to format its output line into `line`.
  using PrintFn = void (*)(const ct::Flow& now, base::OutBuf& line, void* ctx);

  ModifyBatch(Kind kind, PrintFn print, void* ctx) : kind_(kind), print_(print), ctx_(ctx) {}
  // Opens the second socket (upstream opens a "modifier" socket too).
  int open();

  // Queues a delete of `entry`; `line` is what to print once it succeeds.
  // Flushes first when the batch is full.  0 or -errno (fatal).
  int add_delete(const ct::Flow& entry, std::string_view line);
  // Queues an update to `req` (family = the entry's L3) and the CT_GET
  // that reads it back.
  int add_update(const ct::Flow& req, uint8_t family);
  // Sends the pending batch and settles every entry in it.
  int flush();

  unsigned done() const { return done_; }
  // -U: ENOSPC on a label update of an entry that had no labels is skipped
  // (upstream 1.4.8); the caller says per entry whether that applies.
  void set_skip_enospc(bool on) { skip_enospc_next_ = on; }

 private:
  struct Pending {
    uint32_t seq;
    uint32_t line_off;
    uint16_t line_len;
    int err;        // 0, or the errno the kernel answered
    bool answered;  // update: the CT_GET reply arrived
    bool skip_enospc;
  };
  int settle();
  int drain();
  void on_message(const uapi::NlMsgHdr& h, std::span<const uint8_t> p);

  Kind kind_;
  PrintFn print_;
  void* ctx_;
  nl::Socket sock_;
  uint32_t base_seq_ = 0;
  size_t n_ = 0;
  unsigned done_ = 0;
  bool skip_enospc_next_ = false;
  Pending pending_[kMaxEntries];
  alignas(8) uint8_t tx_[65536];
  size_t tx_len_ = 0;
  char lines_[kMaxEntries * 1024];
  size_t lines_len_ = 0;
  alignas(8) uint8_t rx_[65536];
};

}  // namespace conntrack
