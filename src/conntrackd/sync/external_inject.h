// DisableExternalCache (upstream's external_inject.c): what peers send goes
// straight into the kernel table.  NEW creates (an existing entry is
// deleted and created again), UPD updates or else creates, DEL deletes;
// expectations the same (an update is a create), counted apart (-s expect).
// Its own netlink socket's port id lets the kernel side ignore the events
// these changes cause.  Counted as "external inject:" in -s.
#pragma once
#include "conntrackd/sync/sync_engine.h"
#include "netlink/msg_builder.h"
#include "netlink/socket.h"

namespace ctd {

class ExternalInject final : public ExternalHandler {
 public:
  explicit ExternalInject(Daemon& d) : d_(d) {}
  int open();
  void ct_new(const ct::Flow& f) override;
  void ct_upd(const ct::Flow& f) override;
  void ct_del(const ct::Flow& f) override;
  // Expectations (upstream: an update is handled as a new one).
  void exp_new(const ct::Expect& e) override;
  void exp_upd(const ct::Expect& e) override { exp_new(e); }
  void exp_del(const ct::Expect& e) override;
  uint32_t portid() const override { return s_.portid(); }

 private:
  // One request, waiting for its answer: 0 or the positive errno.
  int request(uint8_t msg, uint16_t flags, const ct::Flow& f);
  int exp_request(uint8_t msg, uint16_t flags, const ct::Expect& e);
  // Sends the request built in buf_ and waits for its answer.
  int transact(const nl::MsgBuilder& b, uint32_t seq);
  Daemon& d_;
  nl::Socket s_;
  ct::Flow f_;
  alignas(8) uint8_t buf_[4096];
};

}  // namespace ctd
