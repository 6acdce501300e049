// ctnetlink expectation messages (EXP_NEW payloads) into an Expect, then
// its printers, which read the views the parser left into the message.
#include <span>

#include "base/out_buf.h"
#include "ct/expect.h"
#include "ct/expect_parse.h"
#include "ct/expect_print.h"
#include "tests/fuzz/fuzz_target.h"

FUZZ_TARGET(ct_expect) {
  static ct::Expect e;
  e = ct::Expect{};
  if (!ct::expect_parse(std::span<const uint8_t>(data, size), e)) return 0;
  static base::LineBuf<8192> line;
  const ct::OutFormat formats[] = {ct::OutFormat::kText, ct::OutFormat::kXml, ct::OutFormat::kJson};
  for (ct::OutFormat fmt : formats) {
    ct::PrintOpts o;
    o.format = fmt;
    o.timestamp = true;
    line.clear();
    ct::expect_print(line, e, o, ct::MsgKind::kNew, 1700000000ull * 1000000000ull);
  }
  return 0;
}
