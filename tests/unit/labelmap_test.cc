// connlabel.conf loading, checked against libnetfilter_conntrack's rules
// (and upstream conntrack -o labels output for the odd cases).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <unistd.h>

#include "ct/labelmap.h"

namespace {

class LabelMapTest : public ::testing::Test {
 protected:
  bool load(const std::string& text) {
    char path[] = "/tmp/labelmap_test_XXXXXX";
    int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
    bool ok = map_.load(path);
    unlink(path);
    return ok;
  }
  ct::LabelMap map_;
};

TEST_F(LabelMapTest, BasicLookups) {
  ASSERT_TRUE(load("# comment\n0\teth0-in\n1 eth0-out\n2 ppp-in\n127 last\n"));
  EXPECT_EQ(map_.name(0), "eth0-in");
  EXPECT_EQ(map_.name(2), "ppp-in");
  EXPECT_EQ(map_.name(5), "");
  EXPECT_EQ(map_.name(127), "last");
  EXPECT_EQ(map_.name(128), "");
  EXPECT_EQ(map_.name(5000), "");
  EXPECT_EQ(map_.name_count(), 128u);
  EXPECT_EQ(map_.bit("eth0-out"), 1);
  EXPECT_EQ(map_.bit("last"), 127);
  EXPECT_EQ(map_.bit("eth0"), -1);
  EXPECT_EQ(map_.bit("ETH0-IN"), -1);
}

TEST_F(LabelMapTest, FirstBitAndFirstNameWin) {
  ASSERT_TRUE(load("0 a\n0 dup-bit\n5 a\n6 b\n"));
  EXPECT_EQ(map_.name(0), "a");
  EXPECT_EQ(map_.name(5), "");  // duplicate name: skipped, bit stays free
  EXPECT_EQ(map_.bit("dup-bit"), -1);
  EXPECT_EQ(map_.name(6), "b");
}

TEST_F(LabelMapTest, NumbersAreStrtoulBase0) {
  ASSERT_TRUE(load("0x7 hex seven\n010 octal-eight\n  12   spaced name   \n-0 minus-zero\n"
                   "-1 negative\n1024 too-big\n1023 top\n08 eight\n0x zero-x\n"));
  EXPECT_EQ(map_.name(7), "hex seven");
  EXPECT_EQ(map_.name(8), "octal-eight");
  EXPECT_EQ(map_.name(12), "spaced name");
  EXPECT_EQ(map_.name(0), "minus-zero");  // "-0" is 0 for strtoul
  EXPECT_EQ(map_.bit("negative"), -1);
  EXPECT_EQ(map_.bit("too-big"), -1);
  EXPECT_EQ(map_.name(1023), "top");
  EXPECT_EQ(map_.bit("eight"), -1);  // "08": bit 0 (taken), name "8 eight"
  EXPECT_EQ(map_.bit("x zero-x"), -1);
}

TEST_F(LabelMapTest, InsaneAndEmptyNamesAreSkipped) {
  ASSERT_TRUE(load("1 bad;name\n2 \n3\n4 ok_not\n5 fine\n 6 also fine \r\n"));
  EXPECT_EQ(map_.name(1), "");
  EXPECT_EQ(map_.name(2), "");
  EXPECT_EQ(map_.name(3), "");
  EXPECT_EQ(map_.name(4), "");
  EXPECT_EQ(map_.name(5), "fine");
  EXPECT_EQ(map_.name(6), "also fine");
  EXPECT_EQ(map_.name_count(), 7u);
}

TEST_F(LabelMapTest, CommentOnlyInFirstColumn) {
  ASSERT_TRUE(load("#1 hidden\n 2 shown\n"));
  EXPECT_EQ(map_.bit("hidden"), -1);
  EXPECT_EQ(map_.bit("shown"), 2);
}

// Upstream reads with fgets(buf, 1024): a longer line goes on as a new one.
// (Checked with conntrack -L -o labels: prints "labels=xxx...x,tail".)
TEST_F(LabelMapTest, LongLinesSplitLikeFgets) {
  std::string x(1021, 'x');
  ASSERT_TRUE(load("0 " + x + "2 tail\n"));
  EXPECT_EQ(map_.name(0), x);
  EXPECT_EQ(map_.name(2), "tail");
}

TEST_F(LabelMapTest, LastLineWithoutNewline) {
  ASSERT_TRUE(load("3 end"));
  EXPECT_EQ(map_.name(3), "end");
}

TEST_F(LabelMapTest, MissingFile) {
  EXPECT_FALSE(map_.load("/nonexistent/connlabel.conf"));
  EXPECT_EQ(map_.load_errno(), ENOENT);
  EXPECT_FALSE(map_.loaded());
  EXPECT_EQ(map_.bit("x"), -1);
  EXPECT_EQ(map_.name(0), "");
}

// Upstream returns NULL with errno 0: "nfct_labelmap_new: Success".
TEST_F(LabelMapTest, NoNamesIsAFailureWithErrnoZero) {
  EXPECT_FALSE(load("# nothing\n2000 big\n"));
  EXPECT_EQ(map_.load_errno(), 0);
}

TEST_F(LabelMapTest, ReloadReplaces) {
  ASSERT_TRUE(load("1 one\n"));
  ASSERT_TRUE(load("2 two\n"));
  EXPECT_EQ(map_.bit("one"), -1);
  EXPECT_EQ(map_.bit("two"), 2);
}

}  // namespace
