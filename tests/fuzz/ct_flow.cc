// ctnetlink conntrack messages (CT_NEW/CT_DELETE payloads: nfgenmsg and
// attributes) into a Flow, then every printer over what was parsed, since
// printers read the views parse_flow left into the message.
#include <span>

#include "base/out_buf.h"
#include "ct/flow.h"
#include "ct/flow_parse.h"
#include "ct/flow_print.h"
#include "tests/fuzz/fuzz_target.h"

FUZZ_TARGET(ct_flow) {
  std::span<const uint8_t> in(data, size);
  static ct::Flow f;
  f = ct::Flow{};
  (void)ct::flow_parse_tuples(in, f);
  f = ct::Flow{};
  if (!ct::flow_parse(in, f)) return 0;
  static base::LineBuf<8192> line;
  const ct::OutFormat formats[] = {ct::OutFormat::kText, ct::OutFormat::kXml, ct::OutFormat::kSave,
                                   ct::OutFormat::kJson};
  const ct::MsgKind kinds[] = {ct::MsgKind::kList, ct::MsgKind::kNew, ct::MsgKind::kDestroy};
  for (ct::OutFormat fmt : formats) {
    for (ct::MsgKind kind : kinds) {
      ct::PrintOpts o;
      o.format = fmt;
      o.extended = o.show_id = o.ktimestamp = o.timestamp = kind != ct::MsgKind::kList;
      line.clear();
      (void)ct::flow_print(line, f, o, kind, 1700000000ull * 1000000000ull);
    }
  }
  return 0;
}
