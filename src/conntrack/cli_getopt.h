// A GNU getopt_long work-alike.  upstream conntrack(8) relies on glibc's
// exact behaviour in ways a user can see: error messages quote
// argv[optind-1] after argv has been permuted, attached optional arguments
// are only recognised in the same argv element, long options match by
// unique prefix, and a leading ':' in the option string selects ':' for a
// missing argument.  libc getopt differs between glibc and musl, so we
// carry our own and follow glibc's algorithm step by step.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

namespace conntrack {

enum ArgKind : uint8_t { kNoArg = 0, kRequiredArg = 1, kOptionalArg = 2 };

struct LongOpt {
  std::string_view name;
  ArgKind has_arg;
  int val;
};

// The long options in effect: upstream's table plus one table per `-p`
// seen so far (merged with a growing value offset, as upstream does).
class LongOptSet {
 public:
  static constexpr int kMaxParts = 64;
  // Returns false once full; later merges are then dropped.
  bool add(std::span<const LongOpt> opts, int offset);
  int parts() const { return n_; }
  std::span<const LongOpt> table(int i) const { return parts_[i].opts; }
  int offset(int i) const { return parts_[i].offset; }

 private:
  struct Part {
    std::span<const LongOpt> opts;
    int offset;
  };
  Part parts_[kMaxParts];
  int n_ = 0;
};

// Return values of Getopt::next() besides option values.
constexpr int kGetoptEnd = -1;
constexpr int kGetoptUnknown = '?';
constexpr int kGetoptMissingArg = ':';

class Getopt {
 public:
  // argv is permuted in place, as glibc does; the strings themselves are
  // not touched, so views into them stay valid.
  Getopt(int argc, char** argv, const char* optstring);

  int next(const LongOptSet& longopts);

  const char* optarg = nullptr;
  int optind = 1;

 private:
  int next_short();
  int next_long(const LongOptSet& longopts);
  void exchange();
  bool is_nonoption(int i) const { return argv_[i][0] != '-' || argv_[i][1] == '\0'; }

  int argc_;
  char** argv_;
  const char* optstring_;
  bool permute_;
  bool colon_;  // optstring starts with ':'
  const char* nextchar_ = nullptr;
  int first_nonopt_ = 1;
  int last_nonopt_ = 1;
};

}  // namespace conntrack
