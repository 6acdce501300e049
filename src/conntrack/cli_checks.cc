#include "conntrack/cli_checks.h"

#include "conntrack/process_output.h"

namespace conntrack {
namespace {

constexpr int kMainOpts = 29;

// Columns: s d r q p t u z e [ ] { } a m i f n g o c b j w l < > ( )
const uint8_t kMainMatrix[kCmdBits + 1][kMainOpts] = {
    /* -L   */ {2,2,2,2,2,0,2,2,0,0,0,2,2,0,2,0,2,2,2,2,2,0,2,2,2,0,0,2,2},
    /* -I   */ {3,3,3,3,1,1,2,0,0,0,0,0,0,2,2,0,0,2,2,0,0,0,0,2,0,2,0,2,2},
    /* -U   */ {2,2,2,2,2,2,2,0,0,0,0,2,2,0,2,2,2,2,2,2,0,0,0,0,2,2,2,0,0},
    /* -D   */ {2,2,2,2,2,2,2,0,0,0,0,2,2,0,2,2,2,2,2,2,0,0,0,2,2,0,0,2,2},
    /* -G   */ {3,3,3,3,1,0,0,0,0,0,0,0,0,0,0,2,0,0,0,2,0,0,0,0,2,0,0,0,0},
    /* -F   */ {0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0,0,0,0},
    /* -E   */ {2,2,2,2,2,0,0,0,2,0,0,2,2,0,2,0,2,2,2,2,2,2,2,2,2,0,0,2,2},
    /* -V   */ {0},
    /* -h   */ {0,0,0,0,2,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0},
    /* -L e */ {0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,0,0,2,0,0,0,0,0,0,0,0,0},
    /* -I e */ {1,1,2,2,1,1,2,0,0,1,1,1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0},
    /* -D e */ {1,1,2,2,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0},
    /* -G e */ {1,1,2,2,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0},
    /* -F e */ {0},
    /* -E e */ {0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,0,0},
    /* -C   */ {0},
    /* -C e */ {0},
    /* -S   */ {0},
    /* -S e */ {0},
    /* -A   */ {3,3,3,3,1,1,2,0,0,0,0,0,0,2,2,0,0,2,2,0,0,0,0,2,0,2,0,2,2},
    // No command: upstream indexes one row past its table.  The Debian
    // 1.4.7 binary finds zeros there except under --reply-zone (observed:
    // `conntrack --reply-zone 1` prints the usage and exits 0).
    /* none */ {0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2},
};

}  // namespace

const uint8_t* main_matrix_row(int cmd_bit) { return kMainMatrix[cmd_bit]; }

bool opt_check(uint32_t options, std::span<const std::string_view> names,
               const uint8_t* row, std::span<const uint32_t> pairs, int* partial) {
  bool pair_rule = false;
  for (size_t i = 0; i < names.size(); i++) {
    std::string_view n = names[i];
    bool given = options & (1u << i);
    if (!given && row[i] == kMandatory)
      exit_error(kParameterProblem, "You need to supply the `--%.*s' option for this command",
                 static_cast<int>(n.size()), n.data());
    if (given && row[i] == kIllegal)
      exit_error(kParameterProblem, "Illegal option `--%.*s' with this command",
                 static_cast<int>(n.size()), n.data());
    if (row[i] == kPairRule) pair_rule = true;
  }
  if (!pair_rule || pairs.empty()) return true;
  *partial = -1;
  for (size_t i = 0; i < pairs.size(); i++) {
    if ((options & pairs[i]) == pairs[i]) return true;
    if ((options & pairs[i]) && *partial < 0) *partial = static_cast<int>(i);
  }
  return false;
}

}  // namespace conntrack
