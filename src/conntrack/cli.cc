// The conntrack(8) option loop: upstream's do_parse() in behaviour, every
// message, check order and quirk included (spec §1, §2, §8; 1.4.8 where
// 1.4.7 differs).
#include "conntrack/cli.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "base/c_strto.h"
#include "conntrack/cli_addr.h"
#include "conntrack/cli_checks.h"
#include "conntrack/cli_getopt.h"
#include "conntrack/cli_proto.h"
#include "conntrack/process_output.h"
#include "ct_uapi.h"

namespace conntrack {
namespace {

using ct::F;
using ct::Flow;

// 1.4.8's option string: command letters take no attached argument.
constexpr char kOptString[] =
    ":LIUDGEFAhVs:d:r:q:p:t:u:e:a:z[:]:{:}:m:i:f:o:n::g::c:b:C::Sj::w:l:<:>::(:):";

constexpr LongOpt kMainOpts[] = {
    {"dump", kOptionalArg, 'L'},     {"create", kOptionalArg, 'I'},
    {"add", kOptionalArg, 'A'},      {"delete", kOptionalArg, 'D'},
    {"update", kOptionalArg, 'U'},   {"get", kOptionalArg, 'G'},
    {"flush", kOptionalArg, 'F'},    {"event", kOptionalArg, 'E'},
    {"counter", kOptionalArg, 'C'},  {"stats", kNoArg, 'S'},
    {"version", kNoArg, 'V'},        {"help", kNoArg, 'h'},
    {"orig-src", kRequiredArg, 's'}, {"src", kRequiredArg, 's'},
    {"orig-dst", kRequiredArg, 'd'}, {"dst", kRequiredArg, 'd'},
    {"reply-src", kRequiredArg, 'r'}, {"reply-dst", kRequiredArg, 'q'},
    {"protonum", kRequiredArg, 'p'}, {"timeout", kRequiredArg, 't'},
    {"status", kRequiredArg, 'u'},   {"zero", kNoArg, 'z'},
    {"event-mask", kRequiredArg, 'e'}, {"tuple-src", kRequiredArg, '['},
    {"tuple-dst", kRequiredArg, ']'}, {"mask-src", kRequiredArg, '{'},
    {"mask-dst", kRequiredArg, '}'}, {"nat-range", kRequiredArg, 'a'},
    {"mark", kRequiredArg, 'm'},     {"secmark", kRequiredArg, 'c'},
    {"id", kOptionalArg, 'i'},       {"family", kRequiredArg, 'f'},
    {"src-nat", kOptionalArg, 'n'},  {"dst-nat", kOptionalArg, 'g'},
    {"output", kRequiredArg, 'o'},   {"buffer-size", kRequiredArg, 'b'},
    {"any-nat", kOptionalArg, 'j'},  {"zone", kRequiredArg, 'w'},
    {"label", kRequiredArg, 'l'},    {"label-add", kRequiredArg, '<'},
    {"label-del", kOptionalArg, '>'}, {"orig-zone", kRequiredArg, '('},
    {"reply-zone", kRequiredArg, ')'},
};

// Column names of the main matrix, in bit order (upstream optflags).
constexpr std::string_view kOptNames[] = {
    "src", "dst", "reply-src", "reply-dst", "protonum", "timeout", "status",
    "zero", "event-mask", "tuple-src", "tuple-dst", "mask-src", "mask-dst",
    "nat-range", "mark", "id", "family", "src-nat", "dst-nat", "output",
    "secmark", "buffer-size", "any-nat", "zone", "label", "label-add",
    "label-del", "orig-zone", "reply-zone"};

constexpr uint32_t kAddrPairs[] = {kOptOrig, kOptRepl};

ct::LabelMap g_labelmap;
bool g_labelmap_ok = false;

void default_label_load() {
  if (g_labelmap_ok) return;
  g_labelmap_ok = g_labelmap.load();
  if (!g_labelmap_ok) err_printf("nfct_labelmap_new: %s\n", std::strerror(g_labelmap.load_errno()));
}
int default_label_bit(std::string_view name) { return g_labelmap_ok ? g_labelmap.bit(name) : -1; }

LabelHooks g_label_hooks{default_label_load, default_label_bit};

// Set while a -R line is parsed the second time (CliCarry::quiet): its
// warnings were printed by the first parse and are not repeated.
bool g_quiet = false;

// State of one parse (upstream's do_parse locals and globals).
struct Parser {
  Cli& cli;
  int argc;
  char** argv;
  Getopt g;
  LongOptSet longopts;
  int command = -1;  // CmdBit, -1 = none yet
  int type = 0;      // Table as parsed
  uint32_t l4flags = 0;
  int protonum = 0;
  uint8_t family = 0;
  int merges = 0;
  // -R: the last -p handler of an earlier line (upstream's global `h`).
  const ProtoHandler* carried_proto = nullptr;
  Flow& tmpl() { return cli.filter.tmpl; }
};

[[noreturn]] void die_param(const char* fmt, const char* arg) {
  exit_error(kParameterProblem, fmt, arg);
}

// The long name of a short option for messages (first in table order).
const char* long_name(int c) {
  for (const LongOpt& o : kMainOpts)
    if (o.val == c) return o.name.data();
  return "unknown";
}

// The table word after a command (upstream get_optional_arg): the next
// argv element unless it starts with '-' or '!'.  An attached argument
// (--dump=X) makes upstream ignore both.
const char* optional_arg(Parser& p) {
  if (p.g.optarg) return nullptr;
  if (p.g.optind < p.argc && p.argv[p.g.optind][0] != '-' && p.argv[p.g.optind][0] != '!')
    return p.argv[p.g.optind++];
  return nullptr;
}

bool word_prefix(std::string_view word, const char* arg) {
  size_t n = std::strlen(arg);
  return n <= word.size() && word.compare(0, n, arg) == 0;
}

int check_type(Parser& p) {
  const char* t = optional_arg(p);
  if (t == nullptr) return static_cast<int>(Table::kConntrack);
  if (word_prefix("expect", t)) return static_cast<int>(Table::kExpect);
  if (word_prefix("conntrack", t)) return static_cast<int>(Table::kConntrack);
  if (word_prefix("dying", t)) return static_cast<int>(Table::kDying);
  if (word_prefix("unconfirmed", t)) return static_cast<int>(Table::kUnconfirmed);
  die_param("unknown type `%s'", t);
}

void add_command(Parser& p, int bit) {
  if (p.command >= 0) exit_error(kParameterProblem, "Invalid commands combination");
  p.command = bit;
}

// upstream cmd2type: {conntrack, expect}; -1 where a table has no such command.
void cmd_bits(int c, int* ct_bit, int* exp_bit) {
  switch (c) {
    case 'L': *ct_bit = kCtList; *exp_bit = kExpList; return;
    case 'I': *ct_bit = kCtCreate; *exp_bit = kExpCreate; return;
    case 'D': *ct_bit = kCtDelete; *exp_bit = kExpDelete; return;
    case 'G': *ct_bit = kCtGet; *exp_bit = kExpGet; return;
    case 'F': *ct_bit = kCtFlush; *exp_bit = kExpFlush; return;
    case 'E': *ct_bit = kCtEvent; *exp_bit = kExpEvent; return;
    case 'V': *ct_bit = kCtVersion; *exp_bit = kCtVersion; return;
    case 'h': *ct_bit = kCtHelp; *exp_bit = kCtHelp; return;
    case 'C': *ct_bit = kCtCount; *exp_bit = kExpCount; return;
    case 'S': *ct_bit = kCtStats; *exp_bit = kExpStats; return;
    case 'U': *ct_bit = kCtUpdate; *exp_bit = -1; return;
    case 'A': *ct_bit = kCtAdd; *exp_bit = -1; return;
    default: *ct_bit = *exp_bit = -1; return;
  }
}

void parse_command(Parser& p, int c) {
  int type = check_type(p);
  p.type = type;
  int ct_bit, exp_bit;
  cmd_bits(c, &ct_bit, &exp_bit);
  bool debug_list = type == static_cast<int>(Table::kDying) ||
                    type == static_cast<int>(Table::kUnconfirmed);
  if (c == 'L') {
    add_command(p, type == static_cast<int>(Table::kExpect) ? exp_bit : ct_bit);
    return;
  }
  if (debug_list)
    exit_error(kParameterProblem, "Can't do that command with tables `dying' and `unconfirmed'");
  int bit = type == static_cast<int>(Table::kExpect) ? exp_bit : ct_bit;
  if (bit < 0)
    exit_error(kParameterProblem, "Can't do --%s on %s", long_name(c),
               type == static_cast<int>(Table::kConntrack) ? "conntrack" : "expectations");
  add_command(p, bit);
}

void set_family(Parser& p, uint8_t fam) {
  if (p.family == 0)
    p.family = fam;
  else if (p.family != fam)
    exit_error(kParameterProblem, "mismatched address family");
}

// Where each address option goes (upstream opt2family_attr / opt2attr /
// opt2type / opt2maskopt).
struct AddrOpt {
  Flow* flow;
  ct::Dir dir;
  bool dst;
  uint32_t opt_bit;
  int maskopt;  // 0: no CIDR allowed
};

AddrOpt addr_opt(Parser& p, int c) {
  Cli& cli = p.cli;
  switch (c) {
    case 's': return {&p.tmpl(), ct::kDirOrig, false, kOptOrigSrc, '{'};
    case 'd': return {&p.tmpl(), ct::kDirOrig, true, kOptOrigDst, '}'};
    case 'r': return {&p.tmpl(), ct::kDirRepl, false, kOptReplSrc, 0};
    case 'q': return {&p.tmpl(), ct::kDirRepl, true, kOptReplDst, 0};
    case '[': return {&cli.exptuple, ct::kDirOrig, false, kOptExpSrc, '{'};
    case ']': return {&cli.exptuple, ct::kDirOrig, true, kOptExpDst, '}'};
    case '{': return {&cli.mask, ct::kDirOrig, false, kOptMaskSrc, 0};
    case '}': return {&cli.mask, ct::kDirOrig, true, kOptMaskDst, 0};
    default: return {nullptr, ct::kDirOrig, false, 0, 0};
  }
}

void set_tuple_addr(Flow& f, ct::Dir d, bool dst, const ct::Addr& a, uint8_t fam) {
  ct::Tuple& t = f.tuple[d];
  (dst ? t.dst : t.src) = a;
  f.set.set(ct::tuple_field(d, dst ? F::kOrigDst : F::kOrigSrc));
  t.l3 = fam;
  f.set.set(ct::tuple_field(d, F::kOrigL3));
}

// -s -d -r -q --tuple-* --mask-*: upstream nfct_parse_addr_from_opt().
// `into_mask` is false for --mask-* themselves (no mask of a mask).
void parse_addr_opt(Parser& p, int c, const char* arg, bool into_mask) {
  ct::Addr ad;
  int mask;
  int fam = parse_addr(arg, &ad, &mask);
  if (fam == 0) die_param("Invalid IP address `%s'", arg);
  set_family(p, static_cast<uint8_t>(fam));
  AddrOpt o = addr_opt(p, c);
  if (mask != kNoNetmask && !o.maskopt)
    exit_error(kParameterProblem, "CIDR notation unavailable for `--%s'", long_name(c));
  if (mask == kBadNetmask) exit_error(kParameterProblem, "Invalid netmask");
  p.cli.options |= o.opt_bit;
  set_tuple_addr(*o.flow, o.dir, o.dst, ad, static_cast<uint8_t>(fam));
  if (mask == kNoNetmask || !into_mask) return;
  int full = fam == uapi::kAfInet ? 32 : 128;
  if (mask == full) return;
  build_netmask(&ad, mask, fam == uapi::kAfInet ? 1 : 4);
  AddrOpt m = addr_opt(p, o.maskopt);
  p.cli.options |= m.opt_bit;
  set_tuple_addr(*m.flow, m.dir, m.dst, ad, static_cast<uint8_t>(fam));
}

// strncasecmp(tok, name, len) == 0 for a token of length len.
bool token_matches(const char* tok, size_t len, std::string_view name) {
  for (size_t i = 0; i < len; i++) {
    if (i >= name.size()) return false;
    char a = tok[i], b = name[i];
    if (a >= 'a' && a <= 'z') a = static_cast<char>(a - 'a' + 'A');
    if (b >= 'a' && b <= 'z') b = static_cast<char>(b - 'a' + 'A');
    if (a != b) return false;
  }
  return true;
}

struct ParamWord {
  std::string_view name;
  uint32_t value;
};
constexpr ParamWord kStatusWords[] = {
    {"ASSURED", uapi::kIpsAssured}, {"SEEN_REPLY", uapi::kIpsSeenReply}, {"UNSET", 0},
    {"FIXED_TIMEOUT", uapi::kIpsFixedTimeout}, {"EXPECTED", uapi::kIpsExpected},
    {"OFFLOAD", uapi::kIpsOffload}, {"HW_OFFLOAD", uapi::kIpsHwOffload}};
constexpr ParamWord kEventWords[] = {
    {"ALL", kEvNew | kEvUpdate | kEvDestroy}, {"NEW", kEvNew}, {"UPDATES", kEvUpdate},
    {"DESTROY", kEvDestroy}};
// "json" and "openmetrics" are ours; appended so no upstream abbreviation
// changes meaning.
constexpr ParamWord kOutputWords[] = {
    {"xml", kOutXml}, {"extended", kOutExtended}, {"timestamp", kOutTimestamp},
    {"id", kOutId}, {"ktimestamp", kOutKtimestamp}, {"labels", kOutLabels},
    {"userspace", 0}, {"save", kOutSave}, {"json", kOutJson},
    {"openmetrics", kOutOpenMetrics}};

// upstream do_parse_parameter(): SRC_NAT / DST_NAT are tried first for
// every list (so `-o s` warns), then the list's words by prefix.
bool parse_word(const char* tok, size_t len, uint32_t* value, std::span<const ParamWord> words) {
  if (token_matches(tok, len, "SRC_NAT")) {
    if (!g_quiet) err_printf("WARNING: ignoring SRC_NAT, use --src-nat instead\n");
    return true;
  }
  if (token_matches(tok, len, "DST_NAT")) {
    if (!g_quiet) err_printf("WARNING: ignoring DST_NAT, use --dst-nat instead\n");
    return true;
  }
  for (const ParamWord& w : words)
    if (token_matches(tok, len, w.name)) {
      *value |= w.value;
      return true;
    }
  return false;
}

// A comma list; the error quotes the rest of the string from the bad token.
void parse_list(const char* arg, uint32_t* value, std::span<const ParamWord> words) {
  const char* comma;
  while ((comma = std::strchr(arg, ',')) != nullptr) {
    if (comma == arg || !parse_word(arg, static_cast<size_t>(comma - arg), value, words))
      die_param("Bad parameter `%s'", arg);
    arg = comma + 1;
  }
  if (*arg == '\0' || !parse_word(arg, std::strlen(arg), value, words))
    die_param("Bad parameter `%s'", arg);
}

// -u: like parse_list, plus "!NAME" into the mask and a token starting
// with "UNREPLIED" (case-sensitive) meaning "!SEEN_REPLY".
void parse_status(const char* arg, uint32_t* status, uint32_t* mask) {
  static constexpr char kUnreplied[] = "UNREPLIED";
  const char* comma;
  while ((comma = std::strchr(arg, ',')) != nullptr) {
    if (comma == arg) die_param("Bad parameter `%s'", arg);
    bool negated = *arg == '!';
    if (negated) arg++;
    if (comma == arg) die_param("Bad parameter `%s'", arg);
    if (!negated && std::strncmp(arg, kUnreplied, 9) == 0) {
      *mask |= uapi::kIpsSeenReply;
      arg = comma + 1;
      continue;
    }
    if (!parse_word(arg, static_cast<size_t>(comma - arg), negated ? mask : status, kStatusWords))
      die_param("Bad parameter `%s'", arg);
    arg = comma + 1;
  }
  bool negated = *arg == '!';
  if (negated) arg++;
  if (!negated && std::strncmp(arg, kUnreplied, 9) == 0) {
    *mask |= uapi::kIpsSeenReply;
    return;
  }
  if (*arg == '\0' || !parse_word(arg, std::strlen(arg), negated ? mask : status, kStatusWords))
    die_param("Bad parameter `%s'", arg);
}

// 1.4.8 parse_value(): strtoul base 0, whole string, <= max.
bool parse_value(const char* s, uint32_t* out, unsigned long max) {
  char* end;
  errno = 0;
  unsigned long v = base::c_strtoul(s, &end, 0);
  if (end == s || *end != '\0' || (v == ULONG_MAX && errno == ERANGE) || v > max) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

// 1.4.8 parse_u32_mask(), including its loose mask checks: after '/' any
// number is taken (truncated to 32 bits), even an empty one.
bool parse_mark(const char* s, uint32_t* value, uint32_t* mask) {
  char* end;
  unsigned long v = base::c_strtoul(s, &end, 0);
  if (end == s || (*end != '\0' && *end != '/') || v > UINT32_MAX) return false;
  *value = static_cast<uint32_t>(v);
  if (*end != '/') {
    *mask = ~0u;
    return true;
  }
  unsigned long m = base::c_strtoul(end + 1, &end, 0);
  if (*end != '\0') return false;
  *mask = static_cast<uint32_t>(m);
  return true;
}

[[noreturn]] void die_value(const char* arg, int c) {
  exit_error(kOtherProblem, "unexpected value '%s' with -%c option", arg, c);
}

// -n/-g/-j "IP", "IP:port", "[v6]:port", bare v6 (upstream
// split_address_and_port); `addr` gets a copy of the address part.
bool valid_port(const char* s) {
  if (*s == '\0') return false;
  for (const char* c = s; *c; c++)
    if (*c < '0' || *c > '9') return false;
  errno = 0;
  long port = base::c_strtol(s, nullptr, 10);
  if ((errno == ERANGE && (port == LONG_MAX || port == LONG_MIN)) || (errno != 0 && port == 0) ||
      port > 65535)
    return false;
  return true;
}

void split_nat(const char* arg, char* addr, size_t cap, const char** port) {
  auto copy = [&](const char* s, size_t n) {
    if (n >= cap) n = cap - 1;  // longer than any address parse_addr reads
    std::memcpy(addr, s, n);
    addr[n] = '\0';
  };
  const char* cursor = std::strchr(arg, '[');
  *port = nullptr;
  if (cursor) {
    const char* start = cursor + 1;
    cursor = std::strchr(start, ']');
    if (cursor == start) exit_error(kParameterProblem, "No IPv6 address specified");
    if (!cursor) exit_error(kParameterProblem, "No closing ']' around IPv6 address");
    size_t len = static_cast<size_t>(cursor - start);
    cursor = std::strchr(cursor, ':');
    if (cursor) copy(start, len);
  } else {
    cursor = std::strchr(arg, ':');
    if (cursor && !std::strchr(cursor + 1, ':'))
      copy(arg, static_cast<size_t>(cursor - arg));
    else
      cursor = nullptr;
  }
  if (!cursor) {
    copy(arg, std::strlen(arg));
    return;
  }
  cursor++;
  if (*cursor == '\0') exit_error(kParameterProblem, "No port specified after `:'");
  if (!valid_port(cursor)) die_param("Invalid port `%s'", cursor);
  *port = cursor;
}

void set_nat(Flow& f, bool dst, const ct::Addr& a, const char* port) {
  (dst ? f.dnat_ip : f.snat_ip) = a;
  f.set.set(dst ? F::kDnatIp : F::kSnatIp);
  if (!port) return;
  // atoi, truncated to 16 bits.
  (dst ? f.dnat_port : f.snat_port) = static_cast<uint16_t>(base::c_strtol(port, nullptr, 10));
  f.set.set(dst ? F::kDnatPort : F::kSnatPort);
}

void parse_nat(Parser& p, int c) {
  p.cli.options |= c == 'n' ? kOptSrcNat : c == 'g' ? kOptDstNat : kOptAnyNat;
  const char* arg = optional_arg(p);
  if (!arg) return;
  char addr[256];
  const char* port;
  split_nat(arg, addr, sizeof addr, &port);
  ct::Addr ad;
  int mask;
  int fam = parse_addr(addr, &ad, &mask);
  if (fam == 0) die_param("Invalid IP address `%s'", addr);
  set_family(p, static_cast<uint8_t>(fam));
  if (mask != kNoNetmask)
    exit_error(kParameterProblem, "CIDR notation unavailable for `--%s'", long_name(c));
  Flow& t = p.tmpl();
  if (c != 'j') {
    // upstream also records the NAT address family as the orig L3.
    t.tuple[ct::kDirOrig].l3 = static_cast<uint8_t>(fam);
    t.set.set(F::kOrigL3);
  }
  if (c == 'n' || c == 'j') set_nat(t, false, ad, port);
  if (c == 'g' || c == 'j') set_nat(t, true, ad, port);
  bool v4 = fam == uapi::kAfInet;
  if (c == 'n' || c == 'j') p.cli.filter.snat_addr_v4 = v4;
  if (c == 'g' || c == 'j') p.cli.filter.dnat_addr_v4 = v4;
}

void load_labelmap(Parser& p) {
  p.cli.need_labelmap = true;
  // A second parse: upstream loads (or fails to load) the map only once.
  if (g_label_hooks.load && !g_quiet) g_label_hooks.load();
}

// Both passes of upstream: every name must resolve before any bit is set.
void parse_labels(const char* arg, ct::LabelSet* into) {
  ct::LabelSet bits;
  std::string_view rest(arg);
  for (;;) {
    size_t comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    int bit = g_label_hooks.bit ? g_label_hooks.bit(name) : -1;
    if (bit < 0)
      exit_error(kParameterProblem, "unknown label '%.*s'", static_cast<int>(name.size()),
                 name.data());
    bits.set(static_cast<unsigned>(bit));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  into->merge(bits);
}

void parse_label_opt(Parser& p, int c, const char* arg) {
  Cli& cli = p.cli;
  cli.options |= c == 'l' ? kOptLabel : c == '<' ? kOptAddLabel : kOptDelLabel;
  load_labelmap(p);
  if ((cli.options & (kOptAddLabel | kOptDelLabel)) == (kOptAddLabel | kOptDelLabel))
    exit_error(kOtherProblem, "cannot use --label-add and --label-del at the same time");
  if (c == '>') {
    arg = optional_arg(p);
    if (!arg) return;  // delete every label
  }
  if (c == 'l') {
    parse_labels(arg, &cli.filter.label_bits);
    cli.filter.labels = true;
  } else {
    parse_labels(arg, &cli.label_modify);
    cli.label_modify_set = true;
  }
}

void parse_proto(Parser& p, const char* arg) {
  p.cli.options |= kOptProto;
  const ProtoHandler* h = proto_find(arg, &p.protonum);
  if (!h) die_param("`%s' unsupported protocol", arg);
  p.cli.proto = h;
  // upstream merges the protocol's options with a new value offset each
  // time -p is seen (so -p twice makes abbreviations ambiguous).
  p.merges++;
  p.longopts.add(h->opts, 256 * p.merges);
  Flow& t = p.tmpl();
  t.tuple[ct::kDirOrig].l4 = static_cast<uint8_t>(p.protonum);
  t.set.set(F::kOrigL4);
}

void parse_one(Parser& p, int c) {
  Cli& cli = p.cli;
  const char* arg = p.g.optarg;
  switch (c) {
    case 'L': case 'I': case 'D': case 'G': case 'F': case 'E': case 'V':
    case 'h': case 'C': case 'S': case 'U': case 'A':
      parse_command(p, c);
      return;
    case 's': case 'd': case 'r': case 'q': case '[': case ']':
      parse_addr_opt(p, c, arg, true);
      return;
    case '{': case '}':
      parse_addr_opt(p, c, arg, false);
      return;
    case 'p':
      parse_proto(p, arg);
      return;
    case 't': {
      cli.options |= kOptTimeout;
      auto v = static_cast<uint32_t>(base::c_strtol(arg, nullptr, 10));  // atol
      p.tmpl().timeout = v;
      p.tmpl().set.set(F::kTimeout);
      cli.exp_timeout = v;
      return;
    }
    case 'u': {
      cli.options |= kOptStatus;
      ct::Filter& f = cli.filter;
      parse_status(arg, &cli.status_value, &f.kernel_status_mask);
      p.tmpl().status = cli.status_value;
      p.tmpl().set.set(F::kStatus);
      if (f.kernel_status_mask == 0) f.kernel_status_mask = cli.status_value;
      f.kernel_status_value = cli.status_value;
      f.kernel_status = true;
      cli.status_mask = f.kernel_status_mask;
      return;
    }
    case 'e':
      cli.options |= kOptEventMask;
      parse_list(arg, &cli.event_mask, kEventWords);
      return;
    case 'o':
      cli.options |= kOptOutput;
      parse_list(arg, &cli.output, kOutputWords);
      if (cli.output & kOutLabels) load_labelmap(p);
      if ((cli.output & kOutSave) && (cli.output & ~kOutSave))
        exit_error(kOtherProblem,
                   "cannot combine save output with any other output type, use -o save only");
      return;
    case 'z':
      cli.options |= kOptZero;
      return;
    case 'n': case 'g': case 'j':
      parse_nat(p, c);
      return;
    case 'w': case '(': case ')': {
      uint32_t v;
      if (!parse_value(arg, &v, 65535)) die_value(arg, c);
      Flow& t = p.tmpl();
      if (c == 'w') {
        cli.options |= kOptZone;
        t.zone = static_cast<uint16_t>(v);
        t.set.set(F::kZone);
      } else {
        ct::Dir d = c == '(' ? ct::kDirOrig : ct::kDirRepl;
        cli.options |= c == '(' ? kOptOrigZone : kOptReplZone;
        t.tuple[d].zone = static_cast<uint16_t>(v);
        t.set.set(ct::tuple_field(d, F::kOrigZone));
      }
      return;
    }
    case 'i': case 'c': {
      // 1.4.8 crashes on a bare --id (optional argument, none given);
      // we report it the way 1.4.9, where the argument is mandatory, does.
      if (!arg) exit_error(kParameterProblem, "option `%s' requires an argument", p.argv[p.g.optind - 1]);
      uint32_t v;
      if (!parse_value(arg, &v, UINT32_MAX)) die_value(arg, c);
      Flow& t = p.tmpl();
      if (c == 'i') {
        cli.options |= kOptId;
        t.id = v;
        t.set.set(F::kId);
      } else {
        cli.options |= kOptSecmark;
        t.secmark = v;
        t.set.set(F::kSecmark);
      }
      return;
    }
    case 'm':
      cli.options |= kOptMark;
      if (!parse_mark(arg, &cli.mark_value, &cli.mark_mask)) die_value(arg, c);
      cli.filter.kernel_mark = true;
      cli.filter.kernel_mark_value = cli.mark_value;
      cli.filter.kernel_mark_mask = cli.mark_mask;
      return;
    case 'l': case '<': case '>':
      parse_label_opt(p, c, arg);
      return;
    case 'a':
      if (!g_quiet) err_printf("WARNING: ignoring -%c, deprecated option.\n", c);
      return;
    case 'f':
      cli.options |= kOptFamily;
      if (std::strncmp(arg, "ipv4", 4) == 0)
        set_family(p, uapi::kAfInet);
      else if (std::strncmp(arg, "ipv6", 4) == 0)
        set_family(p, uapi::kAfInet6);
      else
        die_param("`%s' unsupported protocol", arg);
      return;
    case 'b':
      cli.options |= kOptBufferSize;
      cli.buffer_size = static_cast<size_t>(base::c_strtol(arg, nullptr, 10));
      return;
    case kGetoptMissingArg:
      die_param("option `%s' requires an argument", p.argv[p.g.optind - 1]);
    case kGetoptUnknown:
      die_param("unknown option `%s'", p.argv[p.g.optind - 1]);
    default:
      // A protocol option: upstream hands (value - offset of the last -p),
      // truncated to a char, to the last -p's parser.
      if (cli.proto && cli.proto->parse) {
        ProtoTemplates t{p.tmpl(), cli.exptuple, cli.mask};
        int base = static_cast<signed char>(static_cast<char>(c - 256 * p.merges));
        cli.proto->parse(base, arg, t, &p.l4flags);
      }
      return;
  }
}

Cmd cmd_of(int bit, Table* table) {
  switch (bit) {
    case kCtList: return Cmd::kList;
    case kCtCreate: return Cmd::kCreate;
    case kCtUpdate: return Cmd::kUpdate;
    case kCtDelete: return Cmd::kDelete;
    case kCtGet: return Cmd::kGet;
    case kCtFlush: return Cmd::kFlush;
    case kCtEvent: return Cmd::kEvent;
    case kCtVersion: return Cmd::kVersion;
    case kCtHelp: return Cmd::kHelp;
    case kCtCount: return Cmd::kCount;
    case kCtStats: return Cmd::kStats;
    case kCtAdd: return Cmd::kAdd;
    case kExpList: *table = Table::kExpect; return Cmd::kList;
    case kExpCreate: *table = Table::kExpect; return Cmd::kCreate;
    case kExpDelete: *table = Table::kExpect; return Cmd::kDelete;
    case kExpGet: *table = Table::kExpect; return Cmd::kGet;
    case kExpFlush: *table = Table::kExpect; return Cmd::kFlush;
    case kExpEvent: *table = Table::kExpect; return Cmd::kEvent;
    case kExpCount: *table = Table::kExpect; return Cmd::kCount;
    case kExpStats: *table = Table::kExpect; return Cmd::kStats;
    default: return Cmd::kNone;
  }
}

void set_print_opts(Cli& cli) {
  ct::PrintOpts& po = cli.print;
  uint32_t o = cli.output;
  po.format = (o & kOutSave)   ? ct::OutFormat::kSave
              : (o & kOutJson) ? ct::OutFormat::kJson
              : (o & kOutXml)  ? ct::OutFormat::kXml
                               : ct::OutFormat::kText;
  po.extended = o & kOutExtended;
  po.show_id = o & kOutId;
  po.ktimestamp = o & kOutKtimestamp;
  po.timestamp = o & kOutTimestamp;
  po.labels = cli_labelmap();
  po.save_prefix = cli.cmd == Cmd::kDelete ? 'D' : 'A';
}

// After the loop: family default, NAT combination, the matrices.
void finish(Parser& p) {
  Cli& cli = p.cli;
  int bit = p.command < 0 ? kCmdBitNone : p.command;
  switch (bit) {
    case kCtList: case kCtUpdate: case kCtDelete: case kCtGet: case kCtFlush: case kCtEvent:
      break;
    default:
      if (p.family == 0) p.family = uapi::kAfInet;
  }
  if ((cli.options & kOptAnyNat) && (cli.options & (kOptSrcNat | kOptDstNat)))
    exit_error(kParameterProblem, "cannot specify `--src-nat' or `--dst-nat' with `--any-nat'");
  int partial;
  uint32_t checked = cli.options;
  // `-o json` and `-o openmetrics` are ours, and -S and -C take either
  // alone (and no other -o value, as upstream).  openmetrics means nothing
  // to the commands that print flows.
  bool counts = bit == kCtCount || bit == kExpCount || bit == kCtStats || bit == kExpStats;
  if (counts && (cli.output == kOutJson || cli.output == kOutOpenMetrics)) checked &= ~kOptOutput;
  if (!opt_check(checked, kOptNames, main_matrix_row(bit), kAddrPairs, &partial)) {
    if (partial == 1)
      exit_error(kParameterProblem, "you have to specify `--reply-src' and `--reply-dst'");
    exit_error(kParameterProblem, "you have to specify `--src' and `--dst'");
  }
  // Upstream keeps the last -p handler in a global that no parse resets:
  // in a -R batch a line without -p gets the previous -p's final check.
  // A line without a command (found by fuzzing -R) has no row in the
  // protocols' matrices (upstream reads one past them; Debian's binary
  // finds nothing there to object to): it cannot have -p (the main
  // matrix refused that above), so l4flags is 0 and no check could fire.
  const ProtoHandler* h = cli.proto ? cli.proto : p.carried_proto;
  if (bit != kCtHelp && bit != kCmdBitNone && h) h->final_check(p.l4flags, bit, p.tmpl());
  // After upstream's checks, so whatever upstream rejects fails as there.
  if (!counts && (cli.output & kOutOpenMetrics))
    exit_error(kParameterProblem, "`-o openmetrics' is only for -S and -C");

  cli.cmd_bit = bit;
  cli.table = Table::kConntrack;
  if (p.type == static_cast<int>(Table::kDying) || p.type == static_cast<int>(Table::kUnconfirmed))
    cli.table = static_cast<Table>(p.type);
  cli.cmd = cmd_of(bit, &cli.table);
  cli.family = p.family;
  cli.l4proto = static_cast<uint8_t>(p.protonum);

  cli.zero = cli.options & kOptZero;
  set_print_opts(cli);

  ct::Filter& f = cli.filter;
  f.family = p.family;
  f.nat_src = cli.options & kOptSrcNat;
  f.nat_dst = cli.options & kOptDstNat;
  f.nat_any = cli.options & kOptAnyNat;
  f.mark = cli.options & kOptMark;
  f.mark_value = cli.mark_value;
  f.mark_mask = cli.mark_mask;
  f.cmp = cli.options & kOptComparison;
  f.upd_orig = cli.options & (kOptOrig | kOptProto);
  f.upd_repl = cli.options & (kOptRepl | kOptProto);
  // Network rules are live from here; until cli_prepare_filter() gives
  // them a family they reject everything, like upstream's unprepared
  // state (-L dying/unconfirmed never prepare).
  f.net_src = cli.options & kOptMaskSrc;
  f.net_dst = cli.options & kOptMaskDst;
}

}  // namespace

LabelHooks cli_set_label_hooks(const LabelHooks& hooks) {
  LabelHooks old = g_label_hooks;
  g_label_hooks = hooks;
  return old;
}

const ct::LabelMap* cli_labelmap() { return g_labelmap_ok ? &g_labelmap : nullptr; }

void cli_parse(int argc, char** argv, Cli& out, CliCarry* carry) {
  out = Cli();
  if (argc > 0) out.argv0 = argv[0];
  Parser p{out, argc, argv, Getopt(argc, argv, kOptString), {}};
  if (carry) {
    out.output = carry->output;
    p.carried_proto = carry->proto;
    g_quiet = carry->quiet;
  }
  p.longopts.add(kMainOpts, 0);
  int c;
  while ((c = p.g.next(p.longopts)) != kGetoptEnd) parse_one(p, c);
  finish(p);
  g_quiet = false;
  if (carry) {
    carry->output = out.output;
    if (out.proto) carry->proto = out.proto;
  }
}

void cli_prepare_filter(Cli& cli) {
  ct::Filter& f = cli.filter;
  if (cli.cmd == Cmd::kList && (cli.options & kOptComparison) && (cli.options & kOptZero))
    exit_error(kParameterProblem, "Can't use -z with filtering parameters");
  f.net_family = cli.family;
  unsigned n = cli.family == uapi::kAfInet6 ? 16 : 4;
  auto prepare = [&](bool dst, ct::Addr* net, ct::Addr* mask) {
    F field = dst ? F::kOrigDst : F::kOrigSrc;
    const ct::Tuple& t = f.tmpl.orig();
    const ct::Addr& addr = dst ? t.dst : t.src;
    *mask = dst ? cli.mask.orig().dst : cli.mask.orig().src;
    *net = ct::Addr{};
    for (unsigned i = 0; i < n; i++) net->b[i] = addr.b[i] & mask->b[i];
    // The network replaces the exact address match.
    f.tmpl.set.clear(field);
  };
  if (cli.options & kOptMaskSrc) {
    if (!(cli.options & kOptOrigSrc))
      exit_error(kParameterProblem, "Can't use --mask-src without --src");
    prepare(false, &f.src_net, &f.src_mask);
  }
  if (cli.options & kOptMaskDst) {
    if (!(cli.options & kOptOrigDst))
      exit_error(kParameterProblem, "Can't use --mask-dst without --dst");
    prepare(true, &f.dst_net, &f.dst_mask);
  }
}

}  // namespace conntrack
