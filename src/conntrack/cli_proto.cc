// Facts from upstream's extensions/libct_proto_*.c: option names and
// values, matrices, argument parsing (atoi/strtoul without validation) and
// the error texts, including their typos.
#include "conntrack/cli_proto.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "base/c_strto.h"
#include "conntrack/cli_checks.h"
#include "conntrack/process_output.h"
#include "ct/names.h"
#include "ct_uapi.h"

namespace conntrack {
namespace {

using ct::F;
using ct::Flow;
namespace uapi = ::uapi;

// atoi() as glibc defines it: (int)strtol(s, NULL, 10).
int c_atoi(const char* s) { return static_cast<int>(base::c_strtol(s, nullptr, 10)); }
uint16_t port_arg(const char* s) { return static_cast<uint16_t>(c_atoi(s)); }

void set_port(Flow& f, ct::Dir d, bool dst, uint16_t port, uint8_t proto) {
  ct::Tuple& t = f.tuple[d];
  (dst ? t.dport : t.sport) = port;
  f.set.set(ct::tuple_field(d, dst ? F::kOrigPortDst : F::kOrigPortSrc));
  t.l4 = proto;
  f.set.set(ct::tuple_field(d, F::kOrigL4));
}

// Upstream's SCTP/DCCP --tuple-port-* store the network-order port,
// truncated to 8 bits, as the L4 protocol (spec §2.2: still in 1.4.8).
uint8_t buggy_tuple_proto(uint16_t port) { return static_cast<uint8_t>(htons(port)); }

void die_pair(int partial, const char* fwd, const char* rev) {
  if (partial == 1) exit_error(kParameterProblem, "you have to specify %s", rev);
  exit_error(kParameterProblem, "you have to specify %s", fwd);
}

// ---- ports: tcp udp udplite sctp dccp (and gre keys) -----------------------

// Option values common to the port protocols (tcp, udp, udplite and gre
// use the characters '1'..; sctp and dccp the numbers 1..).
enum PortOpt { kOSport = 0, kODport, kRSport, kRDport, kMSport, kMDport };

// Handles the four tuple ports and the two mask ports; `idx` is the
// option's column.  Returns false for other columns.
bool parse_port_common(int idx, uint16_t port, uint8_t proto, ProtoTemplates& t,
                       uint32_t* flags) {
  switch (idx) {
    case kOSport: set_port(t.ct, ct::kDirOrig, false, port, proto); break;
    case kODport: set_port(t.ct, ct::kDirOrig, true, port, proto); break;
    case kRSport: set_port(t.ct, ct::kDirRepl, false, port, proto); break;
    case kRDport: set_port(t.ct, ct::kDirRepl, true, port, proto); break;
    case kMSport: set_port(t.mask, ct::kDirOrig, false, port, proto); break;
    case kMDport: set_port(t.mask, ct::kDirOrig, true, port, proto); break;
    default: return false;
  }
  *flags |= 1u << idx;
  return true;
}

void set_exp_port(ProtoTemplates& t, bool dst, uint16_t port, uint8_t proto) {
  set_port(t.exptuple, ct::kDirOrig, dst, port, proto);
}

// ---- TCP -------------------------------------------------------------------

constexpr LongOpt kTcpOpts[] = {
    {"orig-port-src", kRequiredArg, '1'}, {"sport", kRequiredArg, '1'},
    {"orig-port-dst", kRequiredArg, '2'}, {"dport", kRequiredArg, '2'},
    {"reply-port-src", kRequiredArg, '3'}, {"reply-port-dst", kRequiredArg, '4'},
    {"mask-port-src", kRequiredArg, '5'}, {"mask-port-dst", kRequiredArg, '6'},
    {"state", kRequiredArg, '7'}, {"tuple-port-src", kRequiredArg, '8'},
    {"tuple-port-dst", kRequiredArg, '9'},
};
constexpr std::string_view kTcpNames[] = {
    "sport", "dport", "reply-port-src", "reply-port-dst", "mask-port-src",
    "mask-port-dst", "state", "tuple-port-src", "tuple-port-dst"};
const uint8_t kTcpMatrix[kCmdBits][9] = {
    /* -L */ {2,2,2,2,0,0,2,0,0}, /* -I */ {3,3,3,3,0,0,1,0,0},
    /* -U */ {2,2,2,2,0,0,2,0,0}, /* -D */ {2,2,2,2,0,0,2,0,0},
    /* -G */ {3,3,3,3,0,0,2,0,0}, /* -F */ {0}, /* -E */ {2,2,2,2,0,0,2,0,0},
    /* -V */ {0}, /* -h */ {0}, /* -L e */ {0}, /* -I e */ {1,1,0,0,1,1,0,1,1},
    /* -D e */ {1,1,1,1,0,0,0,0,0}, /* -G e */ {1,1,1,1,0,0,0,0,0},
    /* -F e */ {0}, /* -E e */ {0}, /* -C */ {0}, /* -C e */ {0}, /* -S */ {0},
    /* -S e */ {0}, /* -A */ {3,3,3,3,0,0,1,0,0},
};
constexpr uint32_t kPortPairs[] = {0x3, 0xc};

void tcp_parse(int c, const char* arg, ProtoTemplates& t, uint32_t* flags) {
  int idx = c - '1';
  if (parse_port_common(idx, port_arg(arg), uapi::kIpprotoTcp, t, flags)) return;
  switch (idx) {
    case 6: {
      int st = ct::tcp_state_from_name(arg);
      if (st < 0) exit_error(kParameterProblem, "unknown TCP state `%s'", arg);
      t.ct.tcp_state = static_cast<uint8_t>(st);
      t.ct.set.set(F::kTcpState);
      break;
    }
    case 7: case 8:
      set_exp_port(t, idx == 8, port_arg(arg), uapi::kIpprotoTcp);
      break;
    default:
      return;
  }
  *flags |= 1u << idx;
}

void tcp_final(uint32_t flags, int cmd, Flow& f) {
  int partial;
  if (!opt_check(flags, kTcpNames, kTcpMatrix[cmd], kPortPairs, &partial))
    die_pair(partial, "`--sport' and `--dport'", "`--reply-src-port' and `--reply-dst-port'");
  // Manually created entries skip window tracking; TIME_WAIT and later may
  // be reopened directly (upstream does this for every TCP command).
  uint8_t tf = uapi::kTcpFlagBeLiberal | uapi::kTcpFlagSackPerm;
  if (f.has(F::kTcpState) && f.tcp_state >= uapi::kTcpTimeWait) tf |= uapi::kTcpFlagCloseInit;
  f.tcp_flags[0] = f.tcp_flags[1] = f.tcp_mask[0] = f.tcp_mask[1] = tf;
  f.set.set(F::kTcpFlagsOrig);
  f.set.set(F::kTcpFlagsRepl);
  f.set.set(F::kTcpMaskOrig);
  f.set.set(F::kTcpMaskRepl);
}

constexpr std::string_view kPortHelp =
    "  --orig-port-src\t\toriginal source port\n"
    "  --orig-port-dst\t\toriginal destination port\n"
    "  --reply-port-src\t\treply source port\n"
    "  --reply-port-dst\t\treply destination port\n"
    "  --mask-port-src\t\tmask source port\n"
    "  --mask-port-dst\t\tmask destination port\n"
    "  --tuple-port-src\t\texpectation tuple src port\n"
    "  --tuple-port-src\t\texpectation tuple dst port\n";
constexpr char kTcpHelp[] =
    "  --orig-port-src\t\toriginal source port\n"
    "  --orig-port-dst\t\toriginal destination port\n"
    "  --reply-port-src\t\treply source port\n"
    "  --reply-port-dst\t\treply destination port\n"
    "  --mask-port-src\t\tmask source port\n"
    "  --mask-port-dst\t\tmask destination port\n"
    "  --tuple-port-src\t\texpectation tuple src port\n"
    "  --tuple-port-src\t\texpectation tuple dst port\n"
    "  --state\t\t\tTCP state, fe. ESTABLISHED\n";

// ---- UDP / UDPlite -----------------------------------------------------------

constexpr LongOpt kUdpOpts[] = {
    {"orig-port-src", kRequiredArg, '1'}, {"sport", kRequiredArg, '1'},
    {"orig-port-dst", kRequiredArg, '2'}, {"dport", kRequiredArg, '2'},
    {"reply-port-src", kRequiredArg, '3'}, {"reply-port-dst", kRequiredArg, '4'},
    {"mask-port-src", kRequiredArg, '5'}, {"mask-port-dst", kRequiredArg, '6'},
    {"tuple-port-src", kRequiredArg, '7'}, {"tuple-port-dst", kRequiredArg, '8'},
};
// UDPlite lists the aliases last: it matters for prefix matching only in
// which entry is found first, and both carry the same value.
constexpr LongOpt kUdpliteOpts[] = {
    {"orig-port-src", kRequiredArg, '1'}, {"orig-port-dst", kRequiredArg, '2'},
    {"reply-port-src", kRequiredArg, '3'}, {"reply-port-dst", kRequiredArg, '4'},
    {"mask-port-src", kRequiredArg, '5'}, {"mask-port-dst", kRequiredArg, '6'},
    {"tuple-port-src", kRequiredArg, '7'}, {"tuple-port-dst", kRequiredArg, '8'},
    {"sport", kRequiredArg, '1'}, {"dport", kRequiredArg, '2'},
};
constexpr std::string_view kUdpNames[] = {
    "sport", "dport", "reply-port-src", "reply-port-dst", "mask-port-src",
    "mask-port-dst", "tuple-port-src", "tuple-port-dst"};
const uint8_t kUdpMatrix[kCmdBits][8] = {
    /* -L */ {2,2,2,2,0,0,0,0}, /* -I */ {3,3,3,3,0,0,0,0},
    /* -U */ {2,2,2,2,0,0,0,0}, /* -D */ {2,2,2,2,0,0,0,0},
    /* -G */ {3,3,3,3,0,0,0,0}, /* -F */ {0}, /* -E */ {2,2,2,2,0,0,0,0},
    /* -V */ {0}, /* -h */ {0}, /* -L e */ {0}, /* -I e */ {1,1,0,0,1,1,1,1},
    /* -D e */ {1,1,1,1,0,0,0,0}, /* -G e */ {1,1,1,1,0,0,0,0},
    /* -F e */ {0}, /* -E e */ {0}, /* -C */ {0}, /* -C e */ {0}, /* -S */ {0},
    /* -S e */ {0}, /* -A */ {3,3,3,3,0,0,0,0},
};

template <uint8_t kProto>
void udp_parse(int c, const char* arg, ProtoTemplates& t, uint32_t* flags) {
  int idx = c - '1';
  if (parse_port_common(idx, port_arg(arg), kProto, t, flags)) return;
  if (idx != 6 && idx != 7) return;
  set_exp_port(t, idx == 7, port_arg(arg), kProto);
  *flags |= 1u << idx;
}

void udp_final(uint32_t flags, int cmd, Flow&) {
  int partial;
  if (!opt_check(flags, kUdpNames, kUdpMatrix[cmd], kPortPairs, &partial))
    die_pair(partial, "`--sport' and `--dport'", "`--reply-src-port' and `--reply-dst-port'");
}

// ---- SCTP ------------------------------------------------------------------

constexpr LongOpt kSctpOpts[] = {
    {"orig-port-src", kRequiredArg, 1}, {"orig-port-dst", kRequiredArg, 2},
    {"reply-port-src", kRequiredArg, 3}, {"reply-port-dst", kRequiredArg, 4},
    {"mask-port-src", kRequiredArg, 5}, {"mask-port-dst", kRequiredArg, 6},
    {"state", kRequiredArg, 7}, {"tuple-port-src", kRequiredArg, 8},
    {"tuple-port-dst", kRequiredArg, 9}, {"orig-vtag", kRequiredArg, 10},
    {"reply-vtag", kRequiredArg, 11}, {"sport", kRequiredArg, 1},
    {"dport", kRequiredArg, 2},
};
constexpr std::string_view kSctpNames[] = {
    "sport", "dport", "reply-port-src", "reply-port-dst", "mask-port-src",
    "mask-port-dst", "state", "tuple-port-src", "tuple-port-dst", "orig-vtag",
    "reply-vtag"};
const uint8_t kSctpMatrix[kCmdBits][11] = {
    /* -L */ {2,2,2,2,0,0,2,0,0,0,0}, /* -I */ {3,3,3,3,0,0,1,0,0,1,1},
    /* -U */ {2,2,2,2,0,0,2,0,0,2,2}, /* -D */ {2,2,2,2,0,0,2,0,0,0,0},
    /* -G */ {3,3,3,3,0,0,2,0,0,2,2}, /* -F */ {0}, /* -E */ {2,2,2,2,0,0,2,0,0,0,0},
    /* -V */ {0}, /* -h */ {0}, /* -L e */ {0}, /* -I e */ {1,1,0,0,1,1,0,1,1,1,1},
    /* -D e */ {1,1,1,1,0,0,0,0,0,0,0}, /* -G e */ {1,1,1,1,0,0,0,0,0,0,0},
    /* -F e */ {0}, /* -E e */ {0}, /* -C */ {0}, /* -C e */ {0}, /* -S */ {0},
    /* -S e */ {0}, /* -A */ {3,3,3,3,0,0,1,0,0,1,1},
};

void sctp_parse(int c, const char* arg, ProtoTemplates& t, uint32_t* flags) {
  int idx = c - 1;
  if (parse_port_common(idx, port_arg(arg), uapi::kIpprotoSctp, t, flags)) return;
  switch (idx) {
    case 6: {
      int st = ct::sctp_state_from_name(arg);
      if (st < 0) exit_error(kParameterProblem, "unknown SCTP state `%s'", arg);
      t.ct.sctp_state = static_cast<uint8_t>(st);
      t.ct.set.set(F::kSctpState);
      break;
    }
    case 7: case 8: {
      uint16_t p = port_arg(arg);
      set_exp_port(t, idx == 8, p, buggy_tuple_proto(p));
      break;
    }
    case 9: case 10: {
      // Upstream stores htonl(atoi()) and its request builder converts
      // again, so the kernel keeps the tag byte-swapped (and `-o save`
      // swaps it back).  Reproduce the stored value exactly.
      int d = idx - 9;
      t.ct.sctp_vtag[d] = htonl(static_cast<uint32_t>(c_atoi(arg)));
      t.ct.set.set(d ? F::kSctpVtagRepl : F::kSctpVtagOrig);
      break;
    }
    default:
      return;
  }
  *flags |= 1u << idx;
}

void sctp_final(uint32_t flags, int cmd, Flow&) {
  int partial;
  if (!opt_check(flags, kSctpNames, kSctpMatrix[cmd], kPortPairs, &partial))
    die_pair(partial, "`--sport' and `--dport'", "`--reply-src-port' and `--reply-dst-port'");
}

constexpr char kSctpHelp[] =
    "  --orig-port-src\t\toriginal source port\n"
    "  --orig-port-dst\t\toriginal destination port\n"
    "  --reply-port-src\t\treply source port\n"
    "  --reply-port-dst\t\treply destination port\n"
    "  --mask-port-src\t\tmask source port\n"
    "  --mask-port-dst\t\tmask destination port\n"
    "  --tuple-port-src\t\texpectation tuple src port\n"
    "  --tuple-port-src\t\texpectation tuple dst port\n"
    "  --state\t\t\tSCTP state, fe. ESTABLISHED\n"
    "  --orig-vtag\t\toriginal verification tag\n"
    "  --reply-vtag\t\treply verification tag\n";

// ---- DCCP ------------------------------------------------------------------

constexpr LongOpt kDccpOpts[] = {
    {"orig-port-src", kRequiredArg, 1}, {"orig-port-dst", kRequiredArg, 2},
    {"reply-port-src", kRequiredArg, 3}, {"reply-port-dst", kRequiredArg, 4},
    {"mask-port-src", kRequiredArg, 5}, {"mask-port-dst", kRequiredArg, 6},
    {"state", kRequiredArg, 7}, {"tuple-port-src", kRequiredArg, 8},
    {"tuple-port-dst", kRequiredArg, 9}, {"sport", kRequiredArg, 1},
    {"dport", kRequiredArg, 2}, {"role", kRequiredArg, 10},
};
constexpr std::string_view kDccpNames[] = {
    "sport", "dport", "reply-port-src", "reply-port-dst", "mask-port-src",
    "mask-port-dst", "state", "tuple-port-src", "tuple-port-dst", "role"};
const uint8_t kDccpMatrix[kCmdBits][10] = {
    /* -L */ {2,2,2,2,0,0,2,0,0,0}, /* -I */ {3,3,3,3,0,0,1,0,0,1},
    /* -U */ {2,2,2,2,0,0,2,0,0,0}, /* -D */ {2,2,2,2,0,0,2,0,0,0},
    /* -G */ {3,3,3,3,0,0,2,0,0,0}, /* -F */ {0}, /* -E */ {2,2,2,2,0,0,2,0,0,0},
    /* -V */ {0}, /* -h */ {0}, /* -L e */ {0}, /* -I e */ {1,1,0,0,1,1,0,1,1,1},
    /* -D e */ {1,1,1,1,0,0,0,0,0,0}, /* -G e */ {1,1,1,1,0,0,0,0,0,0},
    /* -F e */ {0}, /* -E e */ {0}, /* -C */ {0}, /* -C e */ {0}, /* -S */ {0},
    /* -S e */ {0}, /* -A */ {3,3,3,3,0,0,1,0,0,1},
};

// strncasecmp(arg, word, strlen(arg)) == 0: any prefix, even the empty one.
bool is_prefix_nocase(const char* arg, std::string_view word) {
  size_t n = std::strlen(arg);
  if (n > word.size()) return false;
  for (size_t i = 0; i < n; i++) {
    char a = arg[i], b = word[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

void dccp_parse(int c, const char* arg, ProtoTemplates& t, uint32_t* flags) {
  int idx = c - 1;
  if (parse_port_common(idx, port_arg(arg), uapi::kIpprotoDccp, t, flags)) return;
  switch (idx) {
    case 6: {
      int st = ct::dccp_state_from_name(arg);
      if (st < 0) exit_error(kParameterProblem, "Unknown DCCP state `%s'", arg);
      t.ct.dccp_state = static_cast<uint8_t>(st);
      t.ct.set.set(F::kDccpState);
      break;
    }
    case 7: case 8: {
      uint16_t p = port_arg(arg);
      set_exp_port(t, idx == 8, p, buggy_tuple_proto(p));
      break;
    }
    case 9:
      if (is_prefix_nocase(arg, "client"))
        t.ct.dccp_role = 0;
      else if (is_prefix_nocase(arg, "server"))
        t.ct.dccp_role = 1;
      else
        exit_error(kParameterProblem, "Unknown DCCP role `%s'", arg);
      t.ct.set.set(F::kDccpRole);
      break;
    default:
      return;
  }
  *flags |= 1u << idx;
}

void dccp_final(uint32_t flags, int cmd, Flow&) {
  int partial;
  if (!opt_check(flags, kDccpNames, kDccpMatrix[cmd], kPortPairs, &partial))
    die_pair(partial, "`--sport' and `--dport'", "`--reply-port-src' and `--report-port-dst'");
}

constexpr char kDccpHelp[] =
    "  --orig-port-src\t\toriginal source port\n"
    "  --orig-port-dst\t\toriginal destination port\n"
    "  --reply-port-src\t\treply source port\n"
    "  --reply-port-dst\t\treply destination port\n"
    "  --mask-port-src\t\tmask source port\n"
    "  --mask-port-dst\t\tmask destination port\n"
    "  --tuple-port-src\t\texpectation tuple src port\n"
    "  --tuple-port-src\t\texpectation tuple dst port\n"
    "  --state\t\t\tDCCP state, fe. RESPOND\n";

// ---- GRE -------------------------------------------------------------------

constexpr LongOpt kGreOpts[] = {
    {"orig-key-src", kRequiredArg, '1'}, {"srckey", kRequiredArg, '1'},
    {"orig-key-dst", kRequiredArg, '2'}, {"dstkey", kRequiredArg, '2'},
    {"reply-key-src", kRequiredArg, '3'}, {"reply-key-dst", kRequiredArg, '4'},
    {"mask-key-src", kRequiredArg, '5'}, {"mask-key-dst", kRequiredArg, '6'},
    {"tuple-key-src", kRequiredArg, '7'}, {"tuple-key-dst", kRequiredArg, '8'},
};
constexpr std::string_view kGreNames[] = {
    "srckey", "dstkey", "reply-key-src", "reply-key-dst", "mask-key-src",
    "mask-key-dst", "tuple-key-src", "tuple-key-dst"};
const uint8_t kGreMatrix[kCmdBits][8] = {
    /* -L */ {2,2,2,2,0,0,0,0}, /* -I */ {3,3,3,3,0,0,0,0},
    /* -U */ {2,2,2,2,0,0,0,0}, /* -D */ {2,2,2,2,0,0,0,0},
    /* -G */ {3,3,3,3,0,0,0,0}, /* -F */ {0}, /* -E */ {2,2,2,2,0,0,0,0},
    /* -V */ {0}, /* -h */ {0}, /* -L e */ {0}, /* -I e */ {1,1,1,1,1,1,1,1},
    /* -D e */ {1,1,1,1,0,0,0,0}, /* -G e */ {1,1,1,1,0,0,0,0},
    /* -F e */ {0}, /* -E e */ {0}, /* -C */ {0}, /* -C e */ {0}, /* -S */ {0},
    /* -S e */ {0}, /* -A */ {3,3,3,3,0,0,0,0},
};

void gre_parse(int c, const char* arg, ProtoTemplates& t, uint32_t* flags) {
  int idx = c - '1';
  // Keys: strtoul base 0, truncated to 16 bits, stored in the port fields.
  uint16_t key = static_cast<uint16_t>(base::c_strtoul(arg, nullptr, 0));
  if (parse_port_common(idx, key, uapi::kIpprotoGre, t, flags)) return;
  if (idx != 6 && idx != 7) return;
  set_exp_port(t, idx == 7, key, uapi::kIpprotoGre);
  *flags |= 1u << idx;
}

void gre_final(uint32_t flags, int cmd, Flow&) {
  int partial;
  if (!opt_check(flags, kGreNames, kGreMatrix[cmd], kPortPairs, &partial))
    die_pair(partial, "`--srckey' and `--dstkey'", "`--reply-src-key' and `--reply-dst-key'");
}

constexpr char kGreHelp[] =
    "  --orig-key-src\t\toriginal source key\n"
    "  --orig-key-dst\t\toriginal destination key\n"
    "  --reply-key-src\t\treply source key\n"
    "  --reply-key-dst\t\treply destination key\n"
    "  --mask-key-src\t\tmask source key\n"
    "  --mask-key-dst\t\tmask destination key\n"
    "  --tuple-key-src\t\texpectation tuple src key\n"
    "  --tuple-key-src\t\texpectation tuple dst key\n";

// ---- ICMP / ICMPv6 -----------------------------------------------------------

constexpr LongOpt kIcmpOpts[] = {
    {"icmp-type", kRequiredArg, '1'}, {"icmp-code", kRequiredArg, '2'},
    {"icmp-id", kRequiredArg, '3'},
};
constexpr LongOpt kIcmpv6Opts[] = {
    {"icmpv6-type", kRequiredArg, '1'}, {"icmpv6-code", kRequiredArg, '2'},
    {"icmpv6-id", kRequiredArg, '3'},
};
constexpr std::string_view kIcmpNames[] = {"icmp-type", "icmp-code", "icmp-id"};
constexpr std::string_view kIcmpv6Names[] = {"icmpv6-type", "icmpv6-code", "icmpv6-id"};
const uint8_t kIcmpMatrix[kCmdBits][3] = {
    /* -L */ {2,2,2}, /* -I */ {1,1,2}, /* -U */ {2,2,2}, /* -D */ {2,2,2},
    /* -G */ {1,1,2}, /* -F */ {0}, /* -E */ {2,2,2}, /* -V */ {0}, /* -h */ {0},
    /* -L e */ {0}, /* -I e */ {0}, /* -D e */ {0}, /* -G e */ {0}, /* -F e */ {0},
    /* -E e */ {0}, /* -C */ {0}, /* -C e */ {0}, /* -S */ {0}, /* -S e */ {0},
    /* -A */ {1,1,2},
};

// libnetfilter_conntrack's reply-type table (value + 1; 0 = none).
uint8_t icmp_reply_type(uint8_t l3, uint8_t type) {
  // Index: request type; value: reply type + 1.
  static const uint8_t v4[19] = {9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 15, 14, 17, 16, 19, 18};
  static const uint8_t v6[13] = {130, 129, 0, 0, 0, 0, 0, 0, 0, 0, 0, 141, 140};
  if (l3 == uapi::kAfInet) return type < sizeof v4 ? v4[type] : 0;
  if (l3 == uapi::kAfInet6) {
    unsigned i = static_cast<unsigned>(type) - 128u;
    return i < sizeof v6 ? v6[i] : 0;
  }
  return 0;
}

// ICMP options write the orig tuple and, as libnetfilter_conntrack's
// setters do, the reply tuple too (the reply type is derived from the
// family known at this moment; 255 if none, which the kernel rejects).
template <uint8_t kProto>
void icmp_parse(int c, const char* arg, ProtoTemplates& t, uint32_t* flags) {
  Flow& f = t.ct;
  ct::Tuple& o = f.tuple[ct::kDirOrig];
  ct::Tuple& r = f.tuple[ct::kDirRepl];
  switch (c) {
    case '1': {
      o.icmp_type = static_cast<uint8_t>(c_atoi(arg));
      uint8_t rt = icmp_reply_type(o.l3, o.icmp_type);
      r.icmp_type = rt ? static_cast<uint8_t>(rt - 1) : 255;
      f.set.set(F::kOrigIcmpType);
      f.set.set(F::kReplIcmpType);
      break;
    }
    case '2':
      o.icmp_code = r.icmp_code = static_cast<uint8_t>(c_atoi(arg));
      f.set.set(F::kOrigIcmpCode);
      f.set.set(F::kReplIcmpCode);
      break;
    case '3':
      o.icmp_id = r.icmp_id = static_cast<uint16_t>(c_atoi(arg));
      f.set.set(F::kOrigIcmpId);
      f.set.set(F::kReplIcmpId);
      break;
    default:
      return;
  }
  o.l4 = kProto;
  f.set.set(F::kOrigL4);
  if (f.has(F::kReplL3)) {
    r.l4 = kProto;
    f.set.set(F::kReplL4);
  }
  *flags |= 1u << (c - '1');
}

void icmp_final(uint32_t flags, int cmd, Flow&) {
  int partial;
  opt_check(flags, kIcmpNames, kIcmpMatrix[cmd], {}, &partial);
}
void icmpv6_final(uint32_t flags, int cmd, Flow&) {
  int partial;
  opt_check(flags, kIcmpv6Names, kIcmpMatrix[cmd], {}, &partial);
}

// ---- unknown -----------------------------------------------------------------

void unknown_final(uint32_t, int, Flow& f) {
  if (f.has(F::kReplL3) && f.has(F::kOrigL4) && !f.has(F::kReplL4)) {
    f.tuple[ct::kDirRepl].l4 = f.tuple[ct::kDirOrig].l4;
    f.set.set(F::kReplL4);
  }
}

// constexpr: a table built from views and spans at compile time, not by
// start-up code (~0.7 KB of stores in the static build).
constexpr ProtoHandler kHandlers[] = {
    {"tcp", uapi::kIpprotoTcp, kTcpOpts, tcp_parse, tcp_final, kTcpHelp},
    {"udp", uapi::kIpprotoUdp, kUdpOpts, udp_parse<uapi::kIpprotoUdp>, udp_final, kPortHelp},
    {"udplite", uapi::kIpprotoUdplite, kUdpliteOpts, udp_parse<uapi::kIpprotoUdplite>,
     udp_final, kPortHelp},
    {"sctp", uapi::kIpprotoSctp, kSctpOpts, sctp_parse, sctp_final, kSctpHelp},
    {"dccp", uapi::kIpprotoDccp, kDccpOpts, dccp_parse, dccp_final, kDccpHelp},
    {"icmp", uapi::kIpprotoIcmp, kIcmpOpts, icmp_parse<uapi::kIpprotoIcmp>, icmp_final,
     "  --icmp-type\t\t\ticmp type\n  --icmp-code\t\t\ticmp code\n  --icmp-id\t\t\ticmp id\n"},
    {"icmpv6", uapi::kIpprotoIcmpv6, kIcmpv6Opts, icmp_parse<uapi::kIpprotoIcmpv6>,
     icmpv6_final,
     "  --icmpv6-type\t\t\ticmpv6 type\n  --icmpv6-code\t\t\ticmpv6 code\n"
     "  --icmpv6-id\t\t\ticmpv6 id\n"},
    {"gre", uapi::kIpprotoGre, kGreOpts, gre_parse, gre_final, kGreHelp},
};
constexpr ProtoHandler kUnknown = {"unknown", 0, {}, nullptr, unknown_final,
                               "  no options (unsupported)\n"};

bool equal_nocase(std::string_view a, const char* b) {
  size_t n = std::strlen(b);
  if (n != a.size()) return false;
  for (size_t i = 0; i < n; i++) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// strtoul(base 0) <= 255 with nothing trailing (upstream parse_proto_num).
int parse_proto_num(const char* s) {
  char* end;
  unsigned long v = base::c_strtoul(s, &end, 0);
  if (v > 255 || end == s || *end != '\0') return -1;
  return static_cast<int>(v);
}

// ---- /etc/protocols ----------------------------------------------------------

char g_protocols[16384];
size_t g_protocols_len;
bool g_protocols_loaded;

void load_protocols() {
  if (g_protocols_loaded) return;
  g_protocols_loaded = true;
  int fd = open("/etc/protocols", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n;
  while (g_protocols_len < sizeof g_protocols &&
         (n = read(fd, g_protocols + g_protocols_len, sizeof g_protocols - g_protocols_len)) > 0)
    g_protocols_len += static_cast<size_t>(n);
  close(fd);
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

// Calls fn(name, number, is_official) for every name on every line, in
// file order, until fn returns true.
template <typename Fn>
bool for_each_protocol(Fn fn) {
  load_protocols();
  std::string_view all(g_protocols, g_protocols_len);
  while (!all.empty()) {
    size_t nl = all.find('\n');
    std::string_view line = all.substr(0, nl);
    all = nl == std::string_view::npos ? std::string_view() : all.substr(nl + 1);
    size_t hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    std::string_view words[64];
    size_t nw = 0;
    size_t i = 0;
    while (i < line.size() && nw < 64) {
      while (i < line.size() && is_space(line[i])) i++;
      size_t s = i;
      while (i < line.size() && !is_space(line[i])) i++;
      if (i > s) words[nw++] = line.substr(s, i - s);
    }
    if (nw < 2) continue;
    char* end;
    char num[16] = {0};
    if (words[1].size() >= sizeof num) continue;
    std::memcpy(num, words[1].data(), words[1].size());
    long v = base::c_strtol(num, &end, 10);
    if (*end != '\0' || end == num) continue;
    for (size_t w = 0; w < nw; w++)
      if (w != 1 && fn(words[w], static_cast<int>(v), w == 0)) return true;
  }
  return false;
}

}  // namespace

bool etc_protocols_by_name(std::string_view name, int* num) {
  return for_each_protocol([&](std::string_view n, int v, bool) {
    if (n != name) return false;
    *num = v;
    return true;
  });
}

bool etc_protocols_by_number(int num, std::string_view* name) {
  return for_each_protocol([&](std::string_view n, int v, bool official) {
    if (!official || v != num) return false;
    *name = n;
    return true;
  });
}

const ProtoHandler* proto_find(const char* name, int* protonum) {
  for (const ProtoHandler& h : kHandlers)
    if (equal_nocase(h.name, name)) {
      *protonum = h.protonum;
      return &h;
    }
  if (etc_protocols_by_name(name, protonum)) return &kUnknown;
  int n = parse_proto_num(name);
  if (n < 0) return nullptr;
  *protonum = n;
  for (const ProtoHandler& h : kHandlers)
    if (h.protonum == n) return &h;
  return &kUnknown;
}

bool proto_is_unknown(const ProtoHandler* h) { return h == &kUnknown; }

std::string_view proto_help_name(const ProtoHandler* h, int protonum) {
  std::string_view name;
  if (h == &kUnknown && etc_protocols_by_number(protonum, &name)) return name;
  return h->name;
}

}  // namespace conntrack
