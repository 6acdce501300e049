// Replays every fuzz target's corpus (tests/fuzz/corpus/NAME/: the seeds
// and every input that once crashed) through the target, built here with
// g++ and no libFuzzer, so `make check` (and `make check SANITIZE=1`)
// re-runs them all.  A crash or sanitizer report ends the test binary.
#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_target.h"

namespace {

std::string corpus_dir(const char* name) {
  const char* top = std::getenv("TOP");
  return std::string(top && *top ? top : ".") + "/tests/fuzz/corpus/" + name;
}

bool read_file(const std::string& path, std::vector<uint8_t>* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out->clear();
  uint8_t buf[65536];
  for (int i = 0; i < 1024; ++i) {  // corpus files are small: at most 64 MiB
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out->insert(out->end(), buf, buf + n);
  }
  close(fd);
  return true;
}

TEST(FuzzCorpus, EveryTargetRegistered) {
  size_t n = 0;
  const fuzz::Target* t = fuzz::targets(&n);
  std::vector<std::string> names;
  for (size_t i = 0; i < n; ++i) names.push_back(t[i].name);
  std::sort(names.begin(), names.end());
  const std::vector<std::string> want = {"conntrack_args", "conntrackd_config", "control_request",
                                         "ct_expect", "ct_flow", "load_file", "netlink_attr",
                                         "sync_auth", "sync_compact", "sync_v1"};
  EXPECT_EQ(names, want);
}

TEST(FuzzCorpus, ReplayEveryInput) {
  size_t n = 0;
  const fuzz::Target* t = fuzz::targets(&n);
  for (size_t i = 0; i < n; ++i) {
    const std::string dir = corpus_dir(t[i].name);
    DIR* d = opendir(dir.c_str());
    ASSERT_NE(d, nullptr) << dir << ": every target needs a seed corpus";
    std::vector<std::string> files;
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') files.push_back(dir + "/" + e->d_name);
    }
    closedir(d);
    std::sort(files.begin(), files.end());
    EXPECT_GE(files.size(), 3u) << dir << ": a few valid inputs at least";
    std::vector<uint8_t> input;
    for (const std::string& f : files) {
      ASSERT_TRUE(read_file(f, &input)) << f;
      SCOPED_TRACE(f);
      EXPECT_EQ(t[i].fn(input.data(), input.size()), 0);
    }
  }
}

}  // namespace
