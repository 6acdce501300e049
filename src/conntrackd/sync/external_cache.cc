#include "conntrackd/sync/external_cache.h"

#include "conntrackd/daemon.h"

namespace ctd {

void ExternalCache::ct_new(const ct::Flow& f) {
  uint32_t ref;
  // One lookup when the flow is new (add() reports an existing entry).
  if (flows_.add(f, Daemon::now(), &ref) != CacheErr::kExists) return;
  flows_.remove(ref);
  flows_.add(f, Daemon::now(), &ref);
}

void ExternalCache::ct_upd(const ct::Flow& f) {
  uint32_t ref;
  flows_.upsert(f, Daemon::now(), &ref);
}

void ExternalCache::ct_del(const ct::Flow& f) {
  const uint32_t ref = flows_.lookup(f);
  if (ref == kNilRef) {
    flows_.count_del_not_found();
    return;
  }
  flows_.remove(ref);
}

void ExternalCache::exp_new(const ct::Expect& e) {
  if (!exps_ || !exps_->ready()) return;
  uint32_t ref = exps_->lookup(e);
  if (ref != kNilRef) exps_->remove(ref);
  exps_->add(e, Daemon::now(), &ref);
}

void ExternalCache::exp_upd(const ct::Expect& e) {
  if (!exps_ || !exps_->ready()) return;
  const uint32_t ref = exps_->lookup(e);
  if (ref == kNilRef) {
    uint32_t nref;
    exps_->add(e, Daemon::now(), &nref);
    return;
  }
  exps_->update(ref, e, Daemon::now());
  exps_->count_updated();
}

void ExternalCache::exp_del(const ct::Expect& e) {
  if (!exps_ || !exps_->ready()) return;
  const uint32_t ref = exps_->lookup(e);
  if (ref != kNilRef) exps_->remove(ref);
}

}  // namespace ctd
