// conntrack -R FILE / --load-file FILE / -R - (spec §6): a batch of
// commands, one per line, every line parsed before any of them runs.
#pragma once
#include <cstddef>

#include "base/fgets_reader.h"
#include "conntrack/session.h"

namespace conntrack {

// One line of a batch split into arguments by upstream's rules: blanks
// (space, tab, newline) separate arguments, double quotes group words
// (and always end an argument when they close, so "" is an empty one),
// and inside quotes a backslash takes the next character literally.
class LineArgs {
 public:
  // Upstream's argv store has 255 slots: argv[0] plus 253 arguments and
  // the terminating null.  An argument may have up to 1023 characters.
  static constexpr int kMaxArgc = 254;
  static constexpr size_t kMaxParam = 1023;

  enum class Status { kOk, kTooManyArgs, kParamTooLong };

  // Splits `line` (NUL-terminated) into argv[1..]; argv[0] is `argv0`.
  // On an error the arguments split so far stay in place.
  Status split(const char* argv0, const char* line);

  int argc() const { return argc_; }
  char** argv() { return argv_; }
  const char* arg(int i) const { return argv_[i]; }

 private:
  char* argv_[kMaxArgc + 1] = {};
  int argc_ = 0;
  // Every argument with its NUL fits, whatever the line length.
  char store_[kMaxArgc * (kMaxParam + 1)];
};

// Upstream's line filter: leading spaces and tabs are skipped; a line that
// then starts with a newline or '#' is ignored (returns nullptr).  Note
// that a last line without a newline is not ignored even if blank.
const char* load_file_line_start(const char* line);

struct Cli;
struct CliCarry;

// Pass 1 of a batch: reads, splits and parses every line `in` reads (nothing
// runs), exiting as load_file_main does on a line that does not split or
// parse and on a command -R refuses.  Returns whether any line held a
// command; `cli` is the last line's.  `keep_lines`: store the split lines
// for load_file_main's pass 2 (the fuzz target does not).
bool load_file_parse(base::FgetsReader& in, const char* progname, Cli& cli, CliCarry& carry,
                     bool keep_lines);

// Runs the batch in `path` ("-" is stdin) and exits: 0 when every line
// ran, 1 at the first failing line (earlier lines stay applied), 2 when
// the file cannot be opened, a line does not parse, or a line holds a
// command other than -I -A -U -D -F (then nothing has run).
[[noreturn]] void load_file_main(Session& s, const char* progname, const char* path);

}  // namespace conntrack
