// The expectation printer (spec/conntrack.md §3.6): default text, XML and
// our JSON, each writing ONE expectation into a line buffer, without the
// trailing newline.
//
// Formats, from PrintOpts::format:
//  - kText: libnetfilter_conntrack's default line, with the event prefix
//    ("    [NEW] " ...) for event kinds.  Upstream has no other text form
//    for expectations: -o save, extended, id, ktimestamp and labels print
//    this same line, so kSave prints as kText too.
//  - kXml: one <flow> element (<flow type="new"> ... for events); with
//    PrintOpts::timestamp, <when> (local time of printing) inside <meta>,
//    for list and event lines alike.  The caller prints kExpectXmlHeader
//    before the first entry and kExpectXmlFooter at the end.
//  - kJson: one object per line; the schema is at the top of
//    expect_print.cc.
//
// The caller owns the -o timestamp prefix of text lines
// (expect_print_timestamp_prefix), printed for -L, -G and -E expect alike.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/out_buf.h"
#include "ct/expect.h"
#include "ct/flow_print.h"

namespace ct {

// `now_ns` is the wall clock (CLOCK_REALTIME), used for XML <when>.
void expect_print(base::OutBuf& line, const Expect& e, const PrintOpts& o, MsgKind kind,
                  uint64_t now_ns);

// The -o timestamp prefix of a text expectation line: printf
// "[%-8ld.%-6ld]\t" of the wall clock (seconds, then microseconds
// left-justified and padded on the RIGHT with spaces, unlike the conntrack
// event prefix).  Upstream prints it for text output only (XML gets
// <when>); JSON has no prefix.
void expect_print_timestamp_prefix(base::OutBuf& line, uint64_t now_ns);

// One complete line as upstream's -L/-G/-E expect callbacks print it:
// the -o timestamp prefix (text formats only), the entry formatted into
// `scratch` (cleared first) and cut to kExpectLineMax bytes like
// upstream's 1024-byte snprintf buffer, then '\n'.  The XML header and
// footer, the flush and the counting are the caller's.
void expect_print_line(base::OutBuf& out, base::OutBuf& scratch, const Expect& e,
                       const PrintOpts& o, MsgKind kind, uint64_t now_ns);
constexpr size_t kExpectLineMax = 1023;

constexpr std::string_view kExpectXmlHeader =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<expect>\n";
constexpr std::string_view kExpectXmlFooter = "</expect>\n";

}  // namespace ct
