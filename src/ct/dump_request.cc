#include "ct/dump_request.h"

#include "ct_uapi.h"

namespace ct {

bool build_ct_dump(nl::MsgBuilder& b, uint8_t msg, uint8_t family, uint32_t seq,
                   const KernelDumpFilter* filter) {
  using namespace uapi;
  if (!b.begin_nfmsg(kNfnlSubsysCtnetlink, msg, kNlmFRequest | kNlmFDump, seq, family))
    return false;
  if (filter && filter->has_mark) {
    b.put_u32_be(CTA_MARK, filter->mark);
    b.put_u32_be(CTA_MARK_MASK, filter->mark_mask);
  }
  if (filter && filter->has_status) {
    b.put_u32_be(CTA_STATUS, filter->status);
    b.put_u32_be(CTA_STATUS_MASK, filter->status_mask);
  }
  return b.end_msg();
}

}  // namespace ct
