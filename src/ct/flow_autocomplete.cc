#include "ct/flow_autocomplete.h"

#include "ct/names.h"
#include "ct_uapi.h"

namespace ct {
namespace {

void autocomplete(Flow& f, Dir to, Dir from) {
  Tuple& t = f.tuple[to];
  const Tuple& o = f.tuple[from];
  t.l3 = o.l3;
  t.l4 = o.l4;
  t.src = o.dst;
  t.dst = o.src;
  // GRE keys travel in the port fields.
  if (l4_has_ports(o.l4) || o.l4 == uapi::kIpprotoGre) {
    t.sport = o.dport;
    t.dport = o.sport;
  }
  // upstream marks the whole tuple as present, given or not.
  for (F base : {F::kOrigL3, F::kOrigSrc, F::kOrigDst, F::kOrigL4, F::kOrigPortSrc, F::kOrigPortDst})
    f.set.set(tuple_field(to, base));
}

}  // namespace

void flow_setup_reply(Flow& f) { autocomplete(f, kDirRepl, kDirOrig); }
void flow_setup_original(Flow& f) { autocomplete(f, kDirOrig, kDirRepl); }

}  // namespace ct
