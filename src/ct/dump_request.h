// The conntrack dump request and the filter attributes the kernel applies
// to a dump itself (mark/mask, status/mask, and CTA_FILTER tuple fields;
// the family is the nfgenmsg's).
#pragma once
#include <cstdint>

#include "ct/filter.h"
#include "netlink/msg_builder.h"

namespace ct {

struct KernelDumpFilter {
  bool has_mark = false;
  uint32_t mark = 0, mark_mask = 0;
  bool has_status = false;
  uint32_t status = 0, status_mask = 0;
  // CTA_FILTER{ORIG_FLAGS, REPLY_FLAGS} plus CTA_TUPLE_ORIG/REPLY holding
  // the values (see filter_kernel_tuples).  Needs an AF_INET/AF_INET6
  // dump: the kernel refuses it for family 0 (EOPNOTSUPP), and kernels
  // before 5.8 either ignore it or refuse it.
  bool has_tuples = false;
  KernelTupleFilter tuples;
};

// Builds one dump request (NLM_F_DUMP) of ctnetlink message `msg`
// (CT_GET, CT_GET_CTRZERO, CT_GET_DYING, ...) for `family` (0 = all).
bool build_ct_dump(nl::MsgBuilder& b, uint8_t msg, uint8_t family, uint32_t seq,
                   const KernelDumpFilter* filter);

}  // namespace ct
