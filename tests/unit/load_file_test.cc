// The -R line splitter and line filter (spec §6): upstream's rules for
// blanks, quotes, escapes and its two limits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conntrack/cli.h"
#include "conntrack/load_file.h"

namespace conntrack {
namespace {

using V = std::vector<std::string>;

LineArgs g_args;  // large: one for all tests

LineArgs::Status split(const std::string& line, V* out) {
  LineArgs::Status st = g_args.split("conntrack", line.c_str());
  out->clear();
  for (int i = 1; i < g_args.argc(); ++i) out->push_back(g_args.arg(i));
  return st;
}

V split_ok(const std::string& line) {
  V v;
  EXPECT_EQ(split(line, &v), LineArgs::Status::kOk) << line;
  return v;
}

TEST(LoadFileSplit, Blanks) {
  EXPECT_EQ(split_ok("-D -s 1.1.1.1\n"), (V{"-D", "-s", "1.1.1.1"}));
  EXPECT_EQ(split_ok("-D\t\t-s  1.1.1.1 \t\n"), (V{"-D", "-s", "1.1.1.1"}));
  EXPECT_EQ(split_ok("-F"), (V{"-F"}));  // last line without a newline
  EXPECT_EQ(split_ok(""), V{});
  EXPECT_EQ(split_ok("   \n"), V{});
  EXPECT_EQ(g_args.argc(), 1);
  EXPECT_STREQ(g_args.argv()[0], "conntrack");
  EXPECT_EQ(g_args.argv()[1], nullptr);
}

TEST(LoadFileSplit, OtherCharactersAreNotBlanks) {
  EXPECT_EQ(split_ok("-F\r\n"), (V{"-F\r"}));
  EXPECT_EQ(split_ok("a\vb\fc\n"), (V{"a\vb\fc"}));
  EXPECT_EQ(split_ok("a#b #c\n"), (V{"a#b", "#c"}));
}

TEST(LoadFileSplit, Quotes) {
  EXPECT_EQ(split_ok("-F \"a b\"\n"), (V{"-F", "a b"}));
  EXPECT_EQ(split_ok("\"a\tb\" c\n"), (V{"a\tb", "c"}));
  // A word may open a quote; the closing quote ends the argument.
  EXPECT_EQ(split_ok("a\"b c\"d\n"), (V{"ab c", "d"}));
  EXPECT_EQ(split_ok("\"a\"\"b\"\n"), (V{"a", "b"}));
  // An empty pair of quotes is an empty argument.
  EXPECT_EQ(split_ok("-F \"\" x\n"), (V{"-F", "", "x"}));
  EXPECT_EQ(split_ok("\"\"\n"), (V{""}));
  // An unclosed quote keeps everything up to the end, newline included.
  EXPECT_EQ(split_ok("-F \"abc\n"), (V{"-F", "abc\n"}));
  EXPECT_EQ(split_ok("-F \"abc"), (V{"-F", "abc"}));
  EXPECT_EQ(split_ok("-F \""), (V{"-F"}));
  EXPECT_EQ(split_ok("-F \"\n"), (V{"-F", "\n"}));
}

TEST(LoadFileSplit, Escapes) {
  // Inside quotes a backslash takes the next character as it is.
  EXPECT_EQ(split_ok("\"a\\\"b\"\n"), (V{"a\"b"}));
  EXPECT_EQ(split_ok("\"a\\\\b\"\n"), (V{"a\\b"}));
  EXPECT_EQ(split_ok("\"a\\tb\"\n"), (V{"atb"}));
  EXPECT_EQ(split_ok("\"a\\ b\"\n"), (V{"a b"}));
  // Outside quotes it is an ordinary character.
  EXPECT_EQ(split_ok("a\\b a\\ b\n"), (V{"a\\b", "a\\", "b"}));
  EXPECT_EQ(split_ok("a\\\"b c\"\n"), (V{"a\\b c"}));
}

TEST(LoadFileSplit, ArgumentLimit) {
  std::string line;
  for (int i = 0; i < 253; ++i) line += "x ";
  V v;
  EXPECT_EQ(split(line + "\n", &v), LineArgs::Status::kOk);
  EXPECT_EQ(v.size(), 253u);
  EXPECT_EQ(g_args.argc(), LineArgs::kMaxArgc);
  EXPECT_EQ(g_args.argv()[LineArgs::kMaxArgc], nullptr);
  EXPECT_EQ(split(line + "y\n", &v), LineArgs::Status::kTooManyArgs);
  EXPECT_EQ(split(line + "\"\"\n", &v), LineArgs::Status::kTooManyArgs);
  // Trailing blanks do not count.
  EXPECT_EQ(split(line + "   \n", &v), LineArgs::Status::kOk);
}

TEST(LoadFileSplit, LengthLimit) {
  V v;
  std::string a(LineArgs::kMaxParam, 'a');
  EXPECT_EQ(split("-F " + a + "\n", &v), LineArgs::Status::kOk);
  EXPECT_EQ(v[1].size(), 1023u);
  EXPECT_EQ(split("-F " + a + "b\n", &v), LineArgs::Status::kParamTooLong);
  EXPECT_EQ(split("-F \"" + a + "b\"\n", &v), LineArgs::Status::kParamTooLong);
  // Escapes do not count, the characters they keep do.
  EXPECT_EQ(split("\"" + std::string(1000, '\\') + "\"\n", &v), LineArgs::Status::kOk);
  EXPECT_EQ(v[0].size(), 500u);
  // Whichever limit the scan meets first is the error.
  std::string many;
  for (int i = 0; i < 300; ++i) many += "x ";
  EXPECT_EQ(split(many + a + "b\n", &v), LineArgs::Status::kTooManyArgs);
  EXPECT_EQ(split(a + "b " + many + "\n", &v), LineArgs::Status::kParamTooLong);
  // Many long arguments together fit in the store.
  std::string big;
  for (int i = 0; i < 253; ++i) big += a + " ";
  EXPECT_EQ(split(big + "\n", &v), LineArgs::Status::kOk);
  EXPECT_EQ(v.size(), 253u);
  EXPECT_EQ(v[252], a);
}

TEST(LoadFileSplit, ReusedBetweenLines) {
  EXPECT_EQ(split_ok("-I -p tcp -s 1.1.1.1\n").size(), 5u);
  EXPECT_EQ(split_ok("-F\n"), (V{"-F"}));
  EXPECT_EQ(g_args.argv()[2], nullptr);
}

TEST(LoadFileLineStart, SkippedLines) {
  EXPECT_EQ(load_file_line_start("\n"), nullptr);
  EXPECT_EQ(load_file_line_start("  \t \n"), nullptr);
  EXPECT_EQ(load_file_line_start("# comment\n"), nullptr);
  EXPECT_EQ(load_file_line_start(" \t# comment\n"), nullptr);
  const char* l = "  \t-F\n";
  EXPECT_EQ(load_file_line_start(l), l + 3);
  // Not skipped: a blank last line without newline, CR line ends, a '#'
  // after the first word.
  const char* eof = "   ";
  EXPECT_EQ(load_file_line_start(eof), eof + 3);
  EXPECT_NE(load_file_line_start("\r\n"), nullptr);
  EXPECT_NE(load_file_line_start("-F # x\n"), nullptr);
  EXPECT_NE(load_file_line_start("\v#\n"), nullptr);
}

}  // namespace
}  // namespace conntrack

// What upstream's parser carries from one -R line to the next.
namespace conntrack {
namespace {

Cli g_cli;

void parse_line(const std::string& line, CliCarry* carry) {
  static LineArgs a;
  ASSERT_EQ(a.split("conntrack", line.c_str()), LineArgs::Status::kOk);
  cli_parse(a.argc(), a.argv(), g_cli, carry);
}

TEST(LoadFileCarry, OutputMaskIsShared) {
  CliCarry carry;
  parse_line("-D -o xml\n", &carry);
  parse_line("-D -o id\n", &carry);
  EXPECT_EQ(carry.output, kOutXml | kOutId);
  EXPECT_EQ(g_cli.print.format, ct::OutFormat::kXml);
  EXPECT_TRUE(g_cli.print.show_id);
  parse_line("-F\n", &carry);
  EXPECT_EQ(g_cli.output, kOutXml | kOutId);
  EXPECT_EQ(g_cli.options & kOptOutput, 0u);
  EXPECT_EXIT(parse_line("-D -o save\n", &carry), ::testing::ExitedWithCode(1),
              "cannot combine save output with any other output type");
}

TEST(LoadFileCarry, LastProtocolFinalCheck) {
  CliCarry carry;
  parse_line("-D -s 1.1.1.1\n", &carry);
  EXPECT_FALSE(g_cli.filter.tmpl.has(ct::F::kTcpFlagsOrig));
  parse_line("-I -p tcp -s 1.1.1.1 -d 2.2.2.2 --sport 1 --dport 2 --state LISTEN -t 1\n", &carry);
  EXPECT_NE(carry.proto, nullptr);
  // A later line without -p still gets TCP's final check and its flags.
  parse_line("-D -s 1.1.1.1\n", &carry);
  EXPECT_EQ(g_cli.proto, nullptr);
  EXPECT_TRUE(g_cli.filter.tmpl.has(ct::F::kTcpFlagsOrig));
  // Without a carry nothing leaks.
  parse_line("-D -s 1.1.1.1\n", nullptr);
  EXPECT_FALSE(g_cli.filter.tmpl.has(ct::F::kTcpFlagsOrig));
}

TEST(LoadFileCarry, QuietSecondParse) {
  CliCarry carry;
  carry.quiet = true;
  testing::internal::CaptureStderr();
  parse_line("-D -a x -u SRC_NAT\n", &carry);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  testing::internal::CaptureStderr();
  parse_line("-D -a x\n", nullptr);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "WARNING: ignoring -a, deprecated option.\n");
}

}  // namespace
}  // namespace conntrack
