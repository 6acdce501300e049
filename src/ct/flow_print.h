// The conntrack entry printer: one walk per format back end (default text
// with its -o flags, XML, save, JSON), each writing ONE entry into a line
// buffer, without the trailing newline.
//
// The caller owns everything around the entry: the XML header/footer (and
// when to print them), the newline, the -o timestamp event prefix (see
// flow_print_event_prefix) and the " [USERSPACE] portid=" event suffix.
//
// What upstream leaves out per command is the caller's choice through
// PrintOpts: -D prints without labels or ktimestamp (labels = nullptr,
// ktimestamp = false), -L and -E with them.
#pragma once
#include <cstdint>
#include <string_view>

#include "base/out_buf.h"
#include "ct/flow.h"

namespace ct {

class LabelMap;

enum class OutFormat : uint8_t { kText, kXml, kSave, kJson };
// Events print a type prefix ("    [NEW] ", <flow type="new">, -A/-U/-D).
enum class MsgKind : uint8_t { kList, kNew, kUpdate, kDestroy };

struct PrintOpts {
  OutFormat format = OutFormat::kText;
  bool extended = false;    // -o extended: L3 name and number first (text)
  bool show_id = false;     // -o id (text; XML always shows the id)
  bool ktimestamp = false;  // -o ktimestamp: [start=..] [stop=..] / <timestamp>
  bool timestamp = false;   // -o timestamp: XML <when> on events (text: see
                            // flow_print_event_prefix)
  const LabelMap* labels = nullptr;  // the loaded label map, if any
  char save_prefix = 'A';   // -o save on kList: 'A' (-L, -G, -U print-back), 'D' (-D)
};

enum class PrintResult : uint8_t {
  kOk,
  // -o save only: the entry's L3 protocol (flow_save_l3()) has no save
  // syntax.  The caller prints flow_print_l3_warning() on stderr; the line
  // holds what upstream still prints on stdout ("-A -t 9 -u UNSET ", its
  // prefix and generic options, untrimmed).
  kUnsupportedL3,
};

// `now_ns` is the wall clock (CLOCK_REALTIME), used for the delta-time of
// entries without a stop timestamp and for XML <when>.
PrintResult flow_print(base::OutBuf& line, const Flow& f, const PrintOpts& o,
                       MsgKind kind, uint64_t now_ns);

// The -o timestamp prefix of a text event line, "[%08lu.%06lu]\t": the
// kernel's event timestamp when the message has one (1.4.8), else now_ns.
void flow_print_event_prefix(base::OutBuf& line, const Flow& f, uint64_t now_ns);

// The L3 protocol -o save writes: the original tuple's, else the reply's.
uint8_t flow_save_l3(const Flow& f);
// "WARNING: unsupported l3proto N, skipping.\n"
void flow_print_l3_warning(base::OutBuf& err, uint8_t l3);

constexpr std::string_view kXmlHeader =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<conntrack>\n";
constexpr std::string_view kXmlFooter = "</conntrack>\n";

}  // namespace ct
