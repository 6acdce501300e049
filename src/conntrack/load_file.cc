// -R: read and split every line, parse each one with every check (nothing
// is sent yet), refuse the batch if a line holds a command -R cannot run,
// then run the lines in order.
//
// Parsed lines are not kept: a Cli is about 1.7 KB and a batch may have
// 100k lines.  The split arguments are kept instead, in one buffer about
// the size of the file, and each line is parsed again right before it
// runs.  That second parse is silent and reaches the same result, so what
// the user sees is what upstream shows.
//
// Upstream state shared between lines that a user can see (all kept in
// upstream globals, none reset between lines) is reproduced on purpose:
//  * -o: one output mask for the whole batch (CliCarry::output);
//  * the last -p handler's final check runs for lines without -p
//    (CliCarry::proto);
//  * the template of the LAST line supplies the mark and the labels -U
//    sets and the labels -U/-D filter on (SharedTemplate below).
#include "conntrack/load_file.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstring>

#include "base/fgets_reader.h"
#include "base/static_slot.h"

#include "conntrack/cli.h"
#include "conntrack/cli_checks.h"
#include "conntrack/commands.h"
#include "conntrack/process_output.h"

namespace conntrack {

LineArgs::Status LineArgs::split(const char* argv0, const char* line) {
  argc_ = 0;
  argv_[argc_++] = const_cast<char*>(argv0);
  argv_[argc_] = nullptr;
  char* cur = store_;  // the argument being built
  size_t len = 0;
  bool quoted = false, escaped = false;
  auto put = [&](char ch) {
    if (len == kMaxParam) return false;
    cur[len++] = ch;
    return true;
  };
  auto end_arg = [&] {
    if (argc_ >= kMaxArgc) return false;
    cur[len] = '\0';
    argv_[argc_++] = cur;
    argv_[argc_] = nullptr;
    cur += len + 1;
    len = 0;
    return true;
  };
  for (const char* p = line; *p != '\0'; ++p) {
    char ch = *p;
    if (quoted) {
      if (escaped) {
        escaped = false;
        if (!put(ch)) return Status::kParamTooLong;
      } else if (ch == '\\') {
        escaped = true;
      } else if (ch == '"') {
        // A closing quote ends the argument, even an empty one.
        quoted = false;
        if (!end_arg()) return Status::kTooManyArgs;
      } else if (!put(ch)) {
        return Status::kParamTooLong;
      }
      continue;
    }
    if (ch == '"') {
      quoted = true;
    } else if (ch == ' ' || ch == '\t' || ch == '\n') {
      if (len != 0 && !end_arg()) return Status::kTooManyArgs;
    } else if (!put(ch)) {
      return Status::kParamTooLong;
    }
  }
  // An unclosed quote keeps what it collected (the newline included).
  if (len != 0 && !end_arg()) return Status::kTooManyArgs;
  return Status::kOk;
}

const char* load_file_line_start(const char* line) {
  while (*line == ' ' || *line == '\t') ++line;
  if (*line == '\n' || *line == '#') return nullptr;
  return line;
}

namespace {

// upstream reads lines with fgets into a buffer of this size: a longer
// line is read (and split, and parsed) as several lines.
constexpr int kLineBuf = 10240;

// The split lines, back to back: per line a count byte, then its
// arguments (argv[1..]), each NUL-terminated.
class LineStore {
 public:
  void add(const LineArgs& a) {
    size_t need = 1;
    for (int i = 1; i < a.argc(); ++i) need += std::strlen(a.arg(i)) + 1;
    reserve(need);
    data_[len_++] = static_cast<char>(a.argc() - 1);
    for (int i = 1; i < a.argc(); ++i) {
      size_t n = std::strlen(a.arg(i)) + 1;
      std::memcpy(data_ + len_, a.arg(i), n);
      len_ += n;
    }
  }

  // Fills argv (argv[0] = progname) with line number `*pos`'s arguments
  // and moves *pos past it; false at the end.
  bool next(size_t* pos, char* progname, char** argv, int* argc) const {
    if (*pos >= len_) return false;
    int n = static_cast<unsigned char>(data_[(*pos)++]);
    argv[0] = progname;
    for (int i = 1; i <= n; ++i) {
      argv[i] = data_ + *pos;
      *pos += std::strlen(argv[i]) + 1;
    }
    argv[n + 1] = nullptr;
    *argc = n + 1;
    return true;
  }

 private:
  void reserve(size_t need) {
    if (cap_ - len_ >= need) return;
    size_t cap = cap_ ? cap_ : 1 << 16;
    while (cap - len_ < need) cap *= 2;
    // Pages of their own rather than realloc: nothing else in conntrack
    // needs malloc's free lists (see docs/ARCHITECTURE.md, static sizes).
    void* d = data_ == nullptr
                  ? mmap(nullptr, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                  : mremap(data_, cap_, cap, MREMAP_MAYMOVE);
    if (d == MAP_FAILED) exit_error(kOtherProblem, "OOM");
    data_ = static_cast<char*>(d);
    cap_ = cap;
  }

  char* data_ = nullptr;
  size_t len_ = 0, cap_ = 0;
};

// What every line takes from the LAST line's template: upstream keeps a
// global pointer to the template parsed last, and -U reads the mark and
// labels to set through it, -U/-D the labels to filter on (-l).
struct SharedTemplate {
  uint32_t mark_value = 0, mark_mask = 0;
  bool label_modify_set = false;
  ct::LabelSet label_modify;
  bool filter_labels = false;
  ct::LabelSet filter_label_bits;

  void take(const Cli& last) {
    mark_value = last.mark_value;
    mark_mask = last.mark_mask;
    label_modify_set = last.label_modify_set;
    label_modify = last.label_modify;
    filter_labels = last.filter.labels;
    filter_label_bits = last.filter.label_bits;
  }

  void apply(Cli& cli) const {
    if (cli.cmd == Cmd::kUpdate) {
      cli.mark_value = mark_value;
      cli.mark_mask = mark_mask;
      cli.label_modify_set = label_modify_set;
      cli.label_modify = label_modify;
    }
    if (cli.cmd == Cmd::kUpdate || cli.cmd == Cmd::kDelete) {
      cli.filter.labels = filter_labels;
      cli.filter.label_bits = filter_label_bits;
    }
  }
};

// The text upstream names a command by when -R refuses it (its table
// calls the expectation create "-C expect"); nullptr for the commands -R
// runs.
const char* refused_command(const Cli& cli) {
  switch (cli.cmd_bit) {
    case kCtCreate: case kCtAdd: case kCtUpdate: case kCtDelete: case kCtFlush:
      return nullptr;
    case kCtList: return "-L";
    case kCtGet: return "-G";
    case kCtEvent: return "-E";
    case kCtVersion: return "-V";
    case kCtHelp: return "-h";
    case kExpList: return "-L expect";
    case kExpCreate: return "-C expect";
    case kExpDelete: return "-D expect";
    case kExpGet: return "-G expect";
    case kExpFlush: return "-F expect";
    case kExpEvent: return "-E expect";
    case kCtCount: return "-C";
    case kExpCount: return "-C expect";
    case kCtStats: return "-S";
    case kExpStats: return "-S expect";
    default: return "unknown";
  }
}

int run_line(Session& s, Cli& cli) {
  unsigned counter = 0;  // no summary lines in a batch
  switch (cli.cmd) {
    case Cmd::kCreate:
    case Cmd::kAdd: return cmd_create(s, cli, counter);
    case Cmd::kUpdate: cli_prepare_filter(cli); return cmd_update(s, cli, counter);
    case Cmd::kDelete: cli_prepare_filter(cli); return cmd_delete(s, cli, counter);
    case Cmd::kFlush: return cmd_flush(s, cli);
    default: return 0;  // refused before anything ran
  }
}

// The split lines of the batch, for pass 2.
LineStore g_lines;

}  // namespace

bool load_file_parse(base::FgetsReader& in, const char* progname, Cli& cli, CliCarry& carry,
                     bool keep_lines) {
  // Large objects: static, one of each for the whole batch.
  static char buf[kLineBuf];
  static LineArgs args;
  const char* refused = nullptr;
  bool any = false;
  while (in.next(buf, sizeof buf)) {
    const char* line = load_file_line_start(buf);
    if (line == nullptr) continue;
    switch (args.split(progname, line)) {
      case LineArgs::Status::kOk: break;
      case LineArgs::Status::kTooManyArgs: exit_error(kParameterProblem, "too many arguments");
      case LineArgs::Status::kParamTooLong: exit_error(kParameterProblem, "Parameter too long!");
    }
    if (keep_lines) g_lines.add(args);  // before cli_parse permutes argv
    cli_parse(args.argc(), args.argv(), cli, &carry);
    if (refused == nullptr) refused = refused_command(cli);
    any = true;
  }
  if (refused != nullptr)
    exit_error(kParameterProblem, "Cannot use command `%s' with --load-file", refused);
  return any;
}

void load_file_main(Session& s, const char* progname, const char* path) {
  if (std::strcmp(path, "-") == 0) path = "/dev/stdin";
  int fd = base::open_read_only(path);
  if (fd < 0) exit_error(kParameterProblem, "Failed to open file %s for reading", path);

  // The same Cli serves every line (commands may keep a reference to it
  // between calls).
  static base::StaticSlot<Cli> cli_slot;
  Cli& cli = cli_slot.construct();
  LineStore& lines = g_lines;

  // Pass 1: split, keep and parse every line.
  CliCarry carry;
  bool any;
  {
    base::FgetsReader in(fd);  // closes the file at the end of pass 1
    any = load_file_parse(in, progname, cli, carry, true);
  }
  if (!any) exit_with(0);

  static base::StaticSlot<SharedTemplate> shared_slot;
  SharedTemplate& shared = shared_slot.construct();
  shared.take(cli);

  // Pass 2: parse each line again (silently, with the batch's final -o
  // mask) and run it.  The first failure ends the batch.
  CliCarry again;
  again.output = carry.output;
  again.quiet = true;
  static char* argv[LineArgs::kMaxArgc + 1];
  int argc;
  size_t pos = 0;
  while (lines.next(&pos, const_cast<char*>(progname), argv, &argc)) {
    cli_parse(argc, argv, cli, &again);
    shared.apply(cli);
    int r = run_line(s, cli);
    if (r < 0) exit_error(kOtherProblem, "Operation failed: %s", error_text(-r, cli.cmd, cli.table));
  }
  exit_with(0);
}

}  // namespace conntrack
