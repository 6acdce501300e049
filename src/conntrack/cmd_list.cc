// -L (conntrack, dying, unconfirmed; -z) and -G: dump or fetch, filter,
// print.  Entries are parsed in place from the receive buffer into one
// reused Flow and formatted into one reused line buffer: nothing is
// allocated per entry.
#include <cerrno>
#include <ctime>

#include "base/clock.h"
#include "conntrack/commands.h"
#include "conntrack/process_output.h"
#include "ct/dump_request.h"
#include "ct/filter.h"
#include "ct/flow_build.h"
#include "ct/flow_parse.h"
#include "ct/flow_print.h"
#include "ct_uapi.h"
#include "conntrack/kernel_filter.h"

namespace conntrack {
namespace {

// Prints matching entries as they arrive; shared by -L and -G.
class EntryPrinter {
 public:
  EntryPrinter(const Cli& cli, bool filter) : cli_(cli), filter_(filter) {}

  int operator()(const uapi::NlMsgHdr&, std::span<const uint8_t> payload) {
    ++seen_;
    if (!ct::flow_parse(payload, flow_)) {
      ++malformed_;
      return nl::kCbOk;
    }
    if (filter_ && !ct::filter_match(cli_.filter, flow_)) return nl::kCbOk;
    line_.clear();
    const ct::PrintOpts& po = cli_.print;
    if (po.format == ct::OutFormat::kXml && !xml_started_) {
      out().put(ct::kXmlHeader);
      xml_started_ = true;
    }
    ct::PrintResult r = ct::flow_print(line_, flow_, po, ct::MsgKind::kList, base::wall_clock_ns());
    if (r == ct::PrintResult::kUnsupportedL3) {
      base::LineBuf<64> warn;
      ct::flow_print_l3_warning(warn, ct::flow_save_l3(flow_));
      base::write_all(2, warn.view().data(), warn.size());
    }
    out().put(line_.view());
    out().put('\n');
    ++counter_;
    return nl::kCbOk;
  }

  unsigned counter() const { return counter_; }
  unsigned seen() const { return seen_; }
  unsigned malformed() const { return malformed_; }
  bool xml_started() const { return xml_started_; }

 private:
  const Cli& cli_;
  bool filter_;
  ct::Flow flow_;
  base::LineBuf<4096> line_;
  unsigned counter_ = 0;
  unsigned seen_ = 0;
  unsigned malformed_ = 0;
  bool xml_started_ = false;
};

void warn_malformed(unsigned n) {
  if (n == 0) return;
  err_printf("%.*s v%.*s (conntrack-tools): WARNING: skipped %u malformed entries from the kernel\n",
             static_cast<int>(kProgName.size()), kProgName.data(),
             static_cast<int>(kProgVersion.size()), kProgVersion.data(), n);
}

}  // namespace

int cmd_list(Session& s, const Cli& cli, unsigned& counter) {
  using namespace uapi;
  uint8_t msg = kCtMsgGet;
  ct::KernelDumpFilter kf;
  const ct::KernelDumpFilter* kfp = nullptr;
  uint8_t family = cli.family;
  if (cli.table == Table::kDying) {
    msg = kCtMsgGetDying;
  } else if (cli.table == Table::kUnconfirmed) {
    msg = kCtMsgGetUnconfirmed;
  } else {
    msg = cli.zero ? kCtMsgGetCtrZero : kCtMsgGet;
    const ct::Filter& f = cli.filter;
    kf.has_mark = f.kernel_mark;
    kf.mark = f.kernel_mark_value;
    kf.mark_mask = f.kernel_mark_mask;
    kf.has_status = f.kernel_status;
    kf.status = f.kernel_status_value;
    kf.status_mask = f.kernel_status_mask;
    kfp = &kf;
    kernel_filter_plan(s, cli, kf, family);
  }
  ct::build_ct_dump(s.request(), msg, family, s.sock().next_seq(), kfp);
  static EntryPrinter printer(cli, true);
  int r = s.talk_dump(printer);
  if (kf.has_tuples && kernel_filter_rejected(r, printer.seen())) {
    kf.has_tuples = false;
    ct::build_ct_dump(s.request(), msg, cli.family, s.sock().next_seq(), kfp);
    r = s.talk_dump(printer);
  }
  counter = printer.counter();
  warn_malformed(printer.malformed());
  if (r < 0) return r;
  if (printer.xml_started()) {
    out().put(ct::kXmlFooter);
    out().flush();
  }
  return 0;
}

int cmd_get(Session& s, const Cli& cli, unsigned& counter) {
  using namespace uapi;
  const ct::Flow& t = cli.filter.tmpl;
  // libnetfilter_conntrack refuses to build a request whose original L3
  // protocol is unset (a reply-tuple-only -G): upstream reports EINVAL.
  if (!t.has(ct::F::kOrigL3)) return -EINVAL;
  nl::MsgBuilder& b = s.request();
  b.begin_nfmsg(kNfnlSubsysCtnetlink, kCtMsgGet, kNlmFRequest, s.sock().next_seq(), cli.family);
  if (t.has(ct::F::kOrigSrc) || t.has(ct::F::kOrigDst)) ct::put_tuple(b, t, ct::kDirOrig);
  if (t.has(ct::F::kReplSrc) || t.has(ct::F::kReplDst)) ct::put_tuple(b, t, ct::kDirRepl);
  if (t.has(ct::F::kZone)) b.put_u16_be(CTA_ZONE, t.zone);
  b.end_msg();
  // The answer is one message and no NLMSG_DONE.  Upstream runs its
  // userspace filter on it too (so -i, or a protocol the kernel stored as
  // generic, can still reject it).
  EntryPrinter printer(cli, true);
  auto fn = [&](const NlMsgHdr& h, std::span<const uint8_t> p) {
    printer(h, p);
    return int{nl::kCbStop};
  };
  int r = s.talk(fn);
  counter = printer.counter();
  warn_malformed(printer.malformed());
  return r < 0 ? r : 0;
}

}  // namespace conntrack
