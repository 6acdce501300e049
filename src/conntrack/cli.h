// conntrack(8)'s command line: one parse of argv into a Cli, applying
// every check upstream makes, with upstream's messages and exit codes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ct/filter.h"
#include "ct/flow.h"
#include "ct/flow_print.h"
#include "ct/labelmap.h"

namespace conntrack {

struct ProtoHandler;

enum class Cmd : uint8_t {
  kNone, kList, kCreate, kAdd, kUpdate, kDelete, kGet, kFlush, kEvent,
  kCount, kStats, kVersion, kHelp, kLoadFile
};
enum class Table : uint8_t { kConntrack, kExpect, kDying, kUnconfirmed };

// Option bits (upstream's CT_OPT_*); Cli::options has one per option given.
enum Opt : uint32_t {
  kOptOrigSrc = 1u << 0, kOptOrigDst = 1u << 1, kOptReplSrc = 1u << 2,
  kOptReplDst = 1u << 3, kOptProto = 1u << 4, kOptTimeout = 1u << 5,
  kOptStatus = 1u << 6, kOptZero = 1u << 7, kOptEventMask = 1u << 8,
  kOptExpSrc = 1u << 9, kOptExpDst = 1u << 10, kOptMaskSrc = 1u << 11,
  kOptMaskDst = 1u << 12, kOptNatRange = 1u << 13, kOptMark = 1u << 14,
  kOptId = 1u << 15, kOptFamily = 1u << 16, kOptSrcNat = 1u << 17,
  kOptDstNat = 1u << 18, kOptOutput = 1u << 19, kOptSecmark = 1u << 20,
  kOptBufferSize = 1u << 21, kOptAnyNat = 1u << 22, kOptZone = 1u << 23,
  kOptLabel = 1u << 24, kOptAddLabel = 1u << 25, kOptDelLabel = 1u << 26,
  kOptOrigZone = 1u << 27, kOptReplZone = 1u << 28,
  kOptOrig = kOptOrigSrc | kOptOrigDst,
  kOptRepl = kOptReplSrc | kOptReplDst,
  // Options that switch on the generic comparison (upstream CT_COMPARISON).
  kOptComparison = kOptProto | kOptOrig | kOptRepl | kOptMark | kOptSecmark |
                   kOptStatus | kOptId | kOptZone | kOptLabel | kOptOrigZone |
                   kOptReplZone,
};

// -o values (upstream _O_* bits; kOutJson and kOutOpenMetrics are ours).
// `userspace` parses and sets nothing.
enum Out : uint32_t {
  kOutXml = 1u << 0, kOutExtended = 1u << 1, kOutTimestamp = 1u << 2,
  kOutId = 1u << 3, kOutKtimestamp = 1u << 4, kOutLabels = 1u << 5,
  kOutSave = 1u << 6, kOutJson = 1u << 7, kOutOpenMetrics = 1u << 8,
};

// -e values (upstream CT_EVENT_F_*).
enum EventMask : uint32_t { kEvNew = 1u << 0, kEvUpdate = 1u << 1, kEvDestroy = 1u << 2 };

struct Cli {
  Cmd cmd = Cmd::kNone;
  Table table = Table::kConntrack;
  int cmd_bit = 0;          // upstream's command bit (CmdBit in cli_checks.h)
  uint8_t family = 0;       // after §0 defaults: AF_UNSPEC or AF_INET/INET6
  uint32_t options = 0;     // Opt bits
  uint32_t output = 0;      // Out bits
  bool zero = false;        // -z
  // The printer options -o asks for: format save > json > xml > text (only
  // save is exclusive upstream); labels is the loaded label map, if any;
  // save_prefix is 'D' for -D.  Commands drop what upstream omits (-D:
  // labels, ktimestamp).
  ct::PrintOpts print;
  uint32_t event_mask = 0;  // EventMask bits (meaningful with kOptEventMask)
  size_t buffer_size = 0;   // -b (atol)
  const char* argv0 = "conntrack";  // usage prints it

  // -p: the protocol number and its option handler (nullptr without -p).
  uint8_t l4proto = 0;
  const ProtoHandler* proto = nullptr;

  // The filter; filter.tmpl is also the -I/-A/-G/-U template and the
  // expectation master tuple (upstream tmpl->ct).
  ct::Filter filter;
  ct::Flow exptuple;  // --tuple-src/--tuple-dst and --tuple-port-* (expectations)
  ct::Flow mask;      // --mask-src/--mask-dst, CIDR masks, --mask-port-*
  uint32_t exp_timeout = 0;  // -t for -I expect

  // -u as parsed: value bits (also in filter.tmpl.status) and the "!" mask.
  uint32_t status_value = 0, status_mask = 0;
  // -m as parsed (also in filter.mark_*): -I sends value, -U applies it.
  uint32_t mark_value = 0, mark_mask = 0;

  // --label-add / --label-del names; label_modify_set is false for a bare
  // --label-del (clear all).
  bool label_modify_set = false;
  ct::LabelSet label_modify;

  // The label map is loaded (it changes the default output: labels=...).
  bool need_labelmap = false;
};

// The label map, loaded from connlabel.conf where upstream loads it (the
// first -l/--label-add/--label-del/-o labels; retried by each later one
// while loading fails, each failure printing "nfct_labelmap_new: ...").
// nullptr if not loaded: printers then show no label names.
const ct::LabelMap* cli_labelmap();

// Tests replace the label map: load() is called where upstream calls
// nfct_labelmap_new(), bit() for each name (-1: unknown).
struct LabelHooks {
  void (*load)() = nullptr;
  int (*bit)(std::string_view name) = nullptr;
};
// Returns the hooks it replaces.
LabelHooks cli_set_label_hooks(const LabelHooks& hooks);

// What upstream's parser keeps in globals from one -R line to the next:
// the -o bits of every line so far (one output mask for the whole batch:
// the "cannot combine save output" check sees them all and every line
// prints with their union) and the handler of the last -p (a later line
// without -p still gets its final check).  `quiet`: the line was parsed
// once already; its warnings are not printed again and the label map is
// not reloaded.
struct CliCarry {
  uint32_t output = 0;
  const ProtoHandler* proto = nullptr;
  bool quiet = false;
};

// Parses argv completely; on error prints upstream's message and exits.
// argv is permuted like glibc getopt does; strings are not copied.
// `carry` (-R batches only) is read before and updated after the parse.
void cli_parse(int argc, char** argv, Cli& out, CliCarry* carry = nullptr);

// Execution-time checks and filter set-up upstream does when -L/-U/-D/-E
// start (after opening sockets; for -E after the -b notice): `-z` with
// filters on -L, --mask-src without --src, and the network masks.
void cli_prepare_filter(Cli& cli);

// The usage text (-h, or no command), with "Proto `P' help:" for -h -p P.
void cli_print_usage(const Cli& cli);

}  // namespace conntrack
