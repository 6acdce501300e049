// The external cache as the receiving end of the sync protocol (upstream's
// external_cache.c): state learned from the peers is cached and touches the
// kernel only on commit (-c).
#pragma once
#include "conntrackd/cache/expect_cache.h"
#include "conntrackd/cache/flow_cache.h"
#include "conntrackd/sync/sync_engine.h"

namespace ctd {

class ExternalCache final : public ExternalHandler {
 public:
  ExternalCache(FlowCache& flows, ExpectCache* exps) : flows_(flows), exps_(exps) {}
  // NEW replaces any entry with the same key (counted destroyed, then
  // created), UPD updates or creates, DEL removes.
  void ct_new(const ct::Flow& f) override;
  void ct_upd(const ct::Flow& f) override;
  void ct_del(const ct::Flow& f) override;
  void exp_new(const ct::Expect& e) override;
  void exp_upd(const ct::Expect& e) override;
  void exp_del(const ct::Expect& e) override;
  void prefetch_bucket(const ct::Flow& f) const override { flows_.prefetch_bucket(f); }
  void prefetch_chain(const ct::Flow& f) const override { flows_.prefetch_chain(f); }

 private:
  FlowCache& flows_;
  ExpectCache* exps_;
};

}  // namespace ctd
