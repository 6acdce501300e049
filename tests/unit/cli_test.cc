// cli_parse: successful parses are checked in-process; errors in a forked
// child (EXPECT_EXIT), comparing upstream's stderr text and exit status.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "conntrack/cli.h"
#include "conntrack/cli_addr.h"
#include "conntrack/cli_getopt.h"
#include "ct_uapi.h"

namespace conntrack {
namespace {

// argv storage that outlives the parse (the Cli keeps views into it).
struct Argv {
  std::vector<std::string> s;
  std::vector<char*> p;
  explicit Argv(std::vector<std::string> args) : s(std::move(args)) {
    s.insert(s.begin(), "conntrack");
    for (auto& x : s) p.push_back(x.data());
    p.push_back(nullptr);
  }
  int argc() const { return static_cast<int>(s.size()); }
  char** argv() { return p.data(); }
};

Cli& parse(std::vector<std::string> args) {
  static Argv* keep;
  static Cli cli;
  delete keep;
  keep = new Argv(std::move(args));
  cli_parse(keep->argc(), keep->argv(), cli);
  return cli;
}

constexpr const char* P = "conntrack v1\\.4\\.7 \\(conntrack-tools\\): ";

#define EXPECT_PARAM_ERROR(args, msg) \
  EXPECT_EXIT(parse(args), ::testing::ExitedWithCode(2), std::string(P) + (msg) + "\nTry `conntrack -h' or 'conntrack --help' for more information\\.\n")
#define EXPECT_OTHER_ERROR(args, msg) \
  EXPECT_EXIT(parse(args), ::testing::ExitedWithCode(1), std::string("^") + P + (msg) + "\n$")

using V = std::vector<std::string>;

TEST(Cli, ListDefaults) {
  Cli& c = parse({"-L"});
  EXPECT_EQ(c.cmd, Cmd::kList);
  EXPECT_EQ(c.table, Table::kConntrack);
  EXPECT_EQ(c.family, 0);
  EXPECT_FALSE(c.filter.cmp);
}

TEST(Cli, TablesAndFamilyDefaults) {
  EXPECT_EQ(parse({"-L", "exp"}).table, Table::kExpect);
  EXPECT_EQ(parse({"-L", "expect"}).family, uapi::kAfInet);  // §0
  EXPECT_EQ(parse({"-L", "d"}).table, Table::kDying);
  EXPECT_EQ(parse({"-L", "u"}).table, Table::kUnconfirmed);
  EXPECT_EQ(parse({"-L", ""}).table, Table::kExpect);  // empty prefix matches
  EXPECT_EQ(parse({"--dump=expect"}).table, Table::kConntrack);  // attached: ignored
  EXPECT_EQ(parse({"-C"}).family, uapi::kAfInet);
  EXPECT_EQ(parse({"-F"}).family, 0);
}

TEST(Cli, LoOptionCluster148) {
  Cli& c = parse({"-Lo", "extended"});
  EXPECT_EQ(c.cmd, Cmd::kList);
  EXPECT_TRUE(c.output & kOutExtended);
  EXPECT_TRUE(c.print.extended);
}

TEST(Cli, OutputWords) {
  EXPECT_EQ(parse({"-L", "-o", "XM,ext,id"}).output, kOutXml | kOutExtended | kOutId);
  EXPECT_EQ(parse({"-L", "-o", "json"}).print.format, ct::OutFormat::kJson);
  EXPECT_EQ(parse({"-D", "-o", "save"}).print.save_prefix, 'D');
}

TEST(Cli, StatusMaskAndKernelFilter) {
  Cli& c = parse({"-L", "-u", "ASSURED,!SEEN_REPLY"});
  EXPECT_EQ(c.filter.tmpl.status, uapi::kIpsAssured);
  EXPECT_EQ(c.filter.kernel_status_value, uapi::kIpsAssured);
  EXPECT_EQ(c.filter.kernel_status_mask, uapi::kIpsSeenReply);
  Cli& d = parse({"-L", "-u", "assured"});
  EXPECT_EQ(d.filter.kernel_status_mask, uapi::kIpsAssured);  // mask 0 -> value
  Cli& u = parse({"-L", "-u", "UNREPLIED"});
  EXPECT_EQ(u.filter.kernel_status_mask, uapi::kIpsSeenReply);
  EXPECT_EQ(u.filter.kernel_status_value, 0u);
}

TEST(Cli, MarkParse148) {
  Cli& c = parse({"-L", "-m", "0x10/0xff"});
  EXPECT_TRUE(c.filter.mark);
  EXPECT_EQ(c.filter.mark_value, 0x10u);
  EXPECT_EQ(c.filter.mark_mask, 0xffu);
  EXPECT_EQ(parse({"-L", "-m", "5"}).filter.mark_mask, 0xffffffffu);
  EXPECT_EQ(parse({"-L", "-m", "5/"}).filter.mark_mask, 0u);  // upstream accepts
  EXPECT_OTHER_ERROR(V({"-L", "-m", "1/x"}), "unexpected value '1/x' with -m option");
  EXPECT_OTHER_ERROR(V({"-L", "-m", "0x100000000"}), "unexpected value '0x100000000' with -m option");
}

TEST(Cli, ValueValidation148) {
  EXPECT_EQ(parse({"-L", "-w", "0x10"}).filter.tmpl.zone, 16);
  EXPECT_OTHER_ERROR(V({"-L", "-w", "abc"}), "unexpected value 'abc' with -w option");
  EXPECT_OTHER_ERROR(V({"-L", "-w", "65536"}), "unexpected value '65536' with -w option");
  EXPECT_OTHER_ERROR(V({"-L", "--orig-zone", "x"}), "unexpected value 'x' with -\\( option");
  EXPECT_OTHER_ERROR(V({"-D", "--id=-1"}), "unexpected value '-1' with -i option");
}

TEST(Cli, Addresses) {
  Cli& c = parse({"-L", "-s", "0x7f.1", "-d", "10.0.0.0/8"});
  EXPECT_EQ(c.family, uapi::kAfInet);
  const ct::Tuple& o = c.filter.tmpl.orig();
  EXPECT_EQ(o.src.b[0], 127);
  EXPECT_EQ(o.src.b[3], 1);
  EXPECT_TRUE(c.options & kOptMaskDst);
  EXPECT_FALSE(c.options & kOptMaskSrc);
  EXPECT_EQ(c.mask.orig().dst.b[0], 255);
  EXPECT_EQ(c.mask.orig().dst.b[1], 0);
  // /32 is an exact match, no mask.
  EXPECT_FALSE(parse({"-L", "-s", "1.2.3.4/32"}).options & kOptMaskSrc);
}

TEST(Cli, InetAtonLikeGlibc) {
  uint8_t a[4];
  EXPECT_TRUE(inet_aton_glibc("1", a));
  EXPECT_EQ(a[3], 1);
  EXPECT_TRUE(inet_aton_glibc("1.2.3.4 junk", a));
  EXPECT_FALSE(inet_aton_glibc("08", a));
  EXPECT_FALSE(inet_aton_glibc("1.2.3.4.5", a));
  EXPECT_FALSE(inet_aton_glibc(" 1.2.3.4", a));
  EXPECT_TRUE(inet_aton_glibc("1.0x10000", a));
  EXPECT_EQ(a[1], 1);
  EXPECT_EQ(a[2], 0);
}

TEST(Cli, ProtoOptionsAfterP) {
  Cli& c = parse({"-L", "-p", "tcp", "--dport", "80", "--state", "LISTEN"});
  EXPECT_EQ(c.l4proto, uapi::kIpprotoTcp);
  EXPECT_EQ(c.filter.tmpl.orig().dport, 80);
  EXPECT_EQ(c.filter.tmpl.tcp_state, 9);
  EXPECT_PARAM_ERROR(V({"-L", "--dport", "80", "-p", "tcp"}), "unknown option `--dport'");
  // -p twice: the same option names twice with different values, so an
  // abbreviation becomes ambiguous.
  EXPECT_PARAM_ERROR(V({"-L", "-p", "tcp", "-p", "tcp", "--dp", "1"}), "unknown option `--dp'");
  EXPECT_EQ(parse({"-L", "-p", "tcp", "--dp", "1"}).filter.tmpl.orig().dport, 1);
}

TEST(Cli, IcmpReplyTypeUsesFamilyKnownAtThatPoint) {
  Cli& c = parse({"-I", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "icmp", "-t", "5",
                  "--icmp-type", "8", "--icmp-code", "0"});
  EXPECT_EQ(c.filter.tmpl.repl().icmp_type, 0);
  Cli& d = parse({"-I", "-p", "icmp", "-t", "5", "--icmp-type", "8", "--icmp-code", "0",
                  "-s", "1.1.1.1", "-d", "2.2.2.2"});
  EXPECT_EQ(d.filter.tmpl.repl().icmp_type, 255);
}

TEST(Cli, TcpCreateSetsWindowFlags) {
  Cli& c = parse({"-I", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "tcp", "-t", "5", "--sport",
                  "1", "--dport", "2", "--state", "TIME_WAIT"});
  EXPECT_EQ(c.filter.tmpl.tcp_flags[0], uapi::kTcpFlagBeLiberal | uapi::kTcpFlagSackPerm |
                                            uapi::kTcpFlagCloseInit);
}

TEST(Cli, NatArguments) {
  Cli& c = parse({"-L", "-n", "1.2.3.4:80"});
  EXPECT_TRUE(c.filter.nat_src);
  EXPECT_TRUE(c.filter.snat_addr_v4);
  EXPECT_EQ(c.filter.tmpl.snat_port, 80);
  // An attached optional argument is ignored by upstream.
  Cli& d = parse({"-L", "--src-nat=1.2.3.4"});
  EXPECT_FALSE(d.filter.tmpl.has(ct::F::kSnatIp));
  EXPECT_PARAM_ERROR(V({"-L", "-n", "1.2.3.4:"}), "No port specified after `:'");
  EXPECT_PARAM_ERROR(V({"-L", "-n", "1.2.3.4:70000"}), "Invalid port `70000'");
  EXPECT_PARAM_ERROR(V({"-L", "-n", "[::1"}), "No closing ']' around IPv6 address");
  EXPECT_PARAM_ERROR(V({"-L", "-n", "1.2.3.4/8"}), "CIDR notation unavailable for `--src-nat'");
  EXPECT_PARAM_ERROR(V({"-L", "-j", "-n"}), "cannot specify `--src-nat' or `--dst-nat' with `--any-nat'");
}

TEST(Cli, GetoptMessagesQuotePermutedArgv) {
  EXPECT_PARAM_ERROR(V({"-xL"}), "unknown option `conntrack'");
  EXPECT_PARAM_ERROR(V({"foo", "-L", "-xs"}), "unknown option `foo'");
  EXPECT_PARAM_ERROR(V({"-L", "-s"}), "option `-s' requires an argument");
  EXPECT_PARAM_ERROR(V({"-L", "--src"}), "option `--src' requires an argument");
  EXPECT_PARAM_ERROR(V({"--zero=1"}), "unknown option `--zero=1'");
  EXPECT_PARAM_ERROR(V({"-L", "--or", "1.1.1.1"}), "unknown option `--or'");
}

TEST(Cli, CommandErrors) {
  EXPECT_PARAM_ERROR(V({"-L", "-L"}), "Invalid commands combination");
  EXPECT_PARAM_ERROR(V({"-L", "foo"}), "unknown type `foo'");
  EXPECT_PARAM_ERROR(V({"-U", "expect"}), "Can't do --update on expectations");
  EXPECT_PARAM_ERROR(V({"-D", "dying"}), "Can't do that command with tables `dying' and `unconfirmed'");
}

TEST(Cli, Matrix) {
  EXPECT_PARAM_ERROR(V({"-s", "1.1.1.1"}), "Illegal option `--src' with this command");
  EXPECT_EQ(parse({"--reply-zone", "1"}).cmd, Cmd::kNone);  // as the 1.4.7 binary
  EXPECT_PARAM_ERROR(V({"-I"}), "You need to supply the `--protonum' option for this command");
  EXPECT_PARAM_ERROR(V({"-I", "-p", "tcp", "-t", "1"}), "you have to specify `--src' and `--dst'");
  EXPECT_PARAM_ERROR(V({"-I", "-r", "1.1.1.1", "-p", "tcp", "-t", "1"}),
                     "you have to specify `--reply-src' and `--reply-dst'");
  EXPECT_PARAM_ERROR(V({"-I", "-s", "1.1.1.1", "-d", "2.2.2.2", "-p", "dccp", "-t", "1",
                        "--reply-port-src", "1", "--state", "OPEN", "--role", "client"}),
                     "you have to specify `--reply-port-src' and `--report-port-dst'");
  EXPECT_PARAM_ERROR(V({"-L", "-p", "tcp", "--mask-port-src", "1"}),
                     "Illegal option `--mask-port-src' with this command");
}

TEST(Cli, OutputSaveIsExclusive) {
  EXPECT_OTHER_ERROR(V({"-L", "-o", "save,xml"}),
                     "cannot combine save output with any other output type, use -o save only");
}

TEST(Cli, StatusWordErrors) {
  EXPECT_PARAM_ERROR(V({"-L", "-u", "FOO,ASSURED"}), "Bad parameter `FOO,ASSURED'");
  EXPECT_PARAM_ERROR(V({"-L", "-u", "ASSURED,"}), "Bad parameter `'");
  EXPECT_PARAM_ERROR(V({"-L", "-u", "!"}), "Bad parameter `'");
}

TEST(Cli, PrepareFilter) {
  EXPECT_EXIT(
      {
        Cli& c = parse({"-L", "-z", "-p", "tcp"});
        cli_prepare_filter(c);
      },
      ::testing::ExitedWithCode(2), "Can't use -z with filtering parameters");
  EXPECT_EXIT(
      {
        Cli& c = parse({"-L", "--mask-src", "255.0.0.0"});
        cli_prepare_filter(c);
      },
      ::testing::ExitedWithCode(2), "Can't use --mask-src without --src");
  Cli& c = parse({"-L", "-s", "10.1.2.3/8"});
  cli_prepare_filter(c);
  EXPECT_TRUE(c.filter.net_src);
  EXPECT_EQ(c.filter.src_net.b[0], 10);
  EXPECT_EQ(c.filter.src_net.b[1], 0);
  EXPECT_FALSE(c.filter.tmpl.has(ct::F::kOrigSrc));  // network replaces exact match
}

int g_bits_loaded;
void fake_load() { g_bits_loaded++; }
int fake_bit(std::string_view n) { return n == "a" ? 3 : n == "b" ? 40 : -1; }

TEST(Cli, Labels) {
  cli_set_label_hooks({fake_load, fake_bit});
  Cli& c = parse({"-L", "-l", "a", "-l", "b"});
  EXPECT_TRUE(c.filter.labels);
  EXPECT_TRUE(c.filter.label_bits.test(3));
  EXPECT_TRUE(c.filter.label_bits.test(40));
  EXPECT_TRUE(c.need_labelmap);
  EXPECT_PARAM_ERROR(V({"-L", "-l", "a,zz"}), "unknown label 'zz'");
  EXPECT_OTHER_ERROR(V({"-U", "--label-add", "a", "--label-del"}),
                     "cannot use --label-add and --label-del at the same time");
  Cli& d = parse({"-U", "--label-del"});
  EXPECT_FALSE(d.label_modify_set);
  cli_set_label_hooks({});
}

TEST(Getopt, PermutesNonOptionsToTheEnd) {
  Argv a({"x", "-L", "y", "-s", "1"});
  Getopt g(a.argc(), a.argv(), ":Ls:");
  LongOptSet none;
  EXPECT_EQ(g.next(none), 'L');
  EXPECT_EQ(g.next(none), 's');
  EXPECT_STREQ(g.optarg, "1");
  EXPECT_EQ(g.next(none), kGetoptEnd);
  EXPECT_EQ(g.optind, 4);
  EXPECT_STREQ(a.argv()[4], "x");
  EXPECT_STREQ(a.argv()[5], "y");
}

}  // namespace
}  // namespace conntrack
