// The expectation table: -L expect (dump), -G expect (get), -D expect
// (delete), -I expect (create).  -F expect and -C expect live with their
// conntrack twins (cmd_flush.cc, cmd_stats.cc); -E expect prints through
// ct::expect_print_line() from the event loop.
//
// Requests follow upstream (spec/conntrack.md §1, §3.6):
//  -L: EXP_GET dump, family -f (default AF_INET).
//  -G: EXP_GET, REQUEST|ACK, CTA_EXPECT_MASTER = the -s/-d/-p/ports tuple
//      (the kernel looks the expectation up by it).
//  -D: EXP_DELETE, REQUEST|ACK, CTA_EXPECT_TUPLE = that tuple.
//  -I: EXP_NEW, REQUEST|CREATE|ACK|EXCL, master = -s/-d/-p/ports, expected
//      = --tuple-*, mask = --mask-*, CTA_EXPECT_TIMEOUT = -t.
// The nfgen family is the tuple's (master's for -G/-I, -s/-d's for -D).
#include <cerrno>

#include "base/clock.h"
#include "conntrack/commands.h"
#include "conntrack/process_output.h"
#include "ct/expect.h"
#include "ct/expect_build.h"
#include "ct/expect_parse.h"
#include "ct/expect_print.h"
#include "ct_uapi.h"

namespace conntrack {
namespace {

using namespace uapi;

// Prints every expectation message it is given (dump and get replies).
class ExpectPrinter {
 public:
  explicit ExpectPrinter(const Cli& cli) : cli_(cli) {}

  int operator()(const NlMsgHdr&, std::span<const uint8_t> payload) {
    if (!ct::expect_parse(payload, exp_)) {
      ++malformed_;
      return nl::kCbOk;
    }
    const ct::PrintOpts& po = cli_.print;
    if (po.format == ct::OutFormat::kXml && !xml_started_) {
      out().put(ct::kExpectXmlHeader);
      xml_started_ = true;
    }
    ct::expect_print_line(out(), line_, exp_, po, ct::MsgKind::kList, base::wall_clock_ns());
    ++counter_;
    return nl::kCbOk;
  }

  unsigned counter() const { return counter_; }
  unsigned malformed() const { return malformed_; }
  bool xml_started() const { return xml_started_; }

 private:
  const Cli& cli_;
  ct::Expect exp_;
  base::LineBuf<4096> line_;
  unsigned counter_ = 0;
  unsigned malformed_ = 0;
  bool xml_started_ = false;
};

void warn_malformed(unsigned n) {
  if (n == 0) return;
  err_printf("%.*s v%.*s (conntrack-tools): WARNING: skipped %u malformed expectations from the kernel\n",
             static_cast<int>(kProgName.size()), kProgName.data(),
             static_cast<int>(kProgVersion.size()), kProgVersion.data(), n);
}

int expect_list(Session& s, const Cli& cli, unsigned& counter) {
  ct::build_exp_dump(s.request(), s.sock().next_seq(), cli.family);
  ExpectPrinter printer(cli);
  int r = s.talk(printer);
  counter = printer.counter();
  warn_malformed(printer.malformed());
  if (r < 0) return r;
  // Upstream closes the document only if it opened one.
  if (printer.xml_started()) {
    out().put(ct::kExpectXmlFooter);
    out().flush();
  }
  return 0;
}

// Sends `e` as an expectation request; replies (the -G answer) are printed.
int expect_request(Session& s, const Cli& cli, uint8_t msg, uint16_t flags, const ct::Expect& e,
                   unsigned& counter) {
  if (!ct::build_exp_request(s.request(), msg, flags, s.sock().next_seq(), e)) return -EINVAL;
  ExpectPrinter printer(cli);
  int r = s.talk(printer);
  counter = printer.counter();
  warn_malformed(printer.malformed());
  // -G prints the XML header (if it printed anything) but never a footer,
  // like upstream.
  return r < 0 ? r : 0;
}

}  // namespace

int cmd_expect(Session& s, const Cli& cli, unsigned& counter) {
  static ct::Expect e;  // two Flows: keep them off the stack
  e.clear();
  const ct::Flow& tmpl = cli.filter.tmpl;
  switch (cli.cmd) {
    case Cmd::kList:
      return expect_list(s, cli, counter);
    case Cmd::kGet:
      ct::copy_tuple(tmpl, ct::kDirOrig, e.tuples, ct::kExpMaster);
      e.set(ct::XA::kMaster);
      return expect_request(s, cli, kExpMsgGet, kNlmFAck, e, counter);
    case Cmd::kDelete: {
      ct::copy_tuple(tmpl, ct::kDirOrig, e.tuples, ct::kExpExpected);
      e.set(ct::XA::kExpected);
      // Upstream's -D expect never counts: its summary always says
      // "0 expectations have been shown." and the exit status is 1.
      unsigned ignored = 0;
      return expect_request(s, cli, kExpMsgDelete, kNlmFAck, e, ignored);
    }
    case Cmd::kCreate: {
      ct::copy_tuple(tmpl, ct::kDirOrig, e.tuples, ct::kExpMaster);
      ct::copy_tuple(cli.exptuple, ct::kDirOrig, e.tuples, ct::kExpExpected);
      ct::copy_tuple(cli.mask, ct::kDirOrig, e.tuples, ct::kExpMask);
      e.set(ct::XA::kMaster);
      e.set(ct::XA::kExpected);
      e.set(ct::XA::kMask);
      if (cli.options & kOptTimeout) {
        e.timeout = cli.exp_timeout;
        e.set(ct::XA::kTimeout);
      }
      unsigned ignored = 0;
      return expect_request(s, cli, kExpMsgNew, kNlmFCreate | kNlmFAck | kNlmFExcl, e, ignored);
    }
    default:
      return -EOPNOTSUPP;
  }
}

}  // namespace conntrack
