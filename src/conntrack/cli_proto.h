// Per-protocol options of conntrack(8) (upstream's extensions/libct_proto_*):
// the long options each protocol adds after `-p`, how their arguments are
// parsed into the templates, and each protocol's command/option matrix.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "conntrack/cli_getopt.h"
#include "ct/flow.h"

namespace base { class OutBuf; }

namespace conntrack {

// The objects options write into: upstream's tmpl->ct, ->exptuple, ->mask.
struct ProtoTemplates {
  ct::Flow& ct;
  ct::Flow& exptuple;
  ct::Flow& mask;
};

struct ProtoHandler {
  std::string_view name;
  uint8_t protonum;
  std::span<const LongOpt> opts;
  // Parse option `c` (the table's value, offset removed) with `arg`;
  // records the option's bit in *flags.  Errors exit.
  void (*parse)(int c, const char* arg, ProtoTemplates& t, uint32_t* flags);
  // The matrix check for command `cmd_bit` plus template fix-ups (TCP
  // window-tracking flags, the reply protocol of unknown protocols).
  void (*final_check)(uint32_t flags, int cmd_bit, ct::Flow& ct);
  // The lines `-h -p P` prints after "Proto `P' help:".
  std::string_view help;
};

// Upstream's lookup order: a built-in name (any case), a name from
// /etc/protocols, then a number 0..255 (strtoul base 0, nothing trailing).
// Returns nullptr if none applies.
const ProtoHandler* proto_find(const char* name, int* protonum);
bool proto_is_unknown(const ProtoHandler* h);

// The name `-h -p P` prints: the handler's, or for protocols without an
// extension the /etc/protocols name of the number ("unknown" if none).
std::string_view proto_help_name(const ProtoHandler* h, int protonum);

// /etc/protocols, read the way glibc's getprotobyname/getprotobynumber
// see it (files backend).  Exposed for tests.
bool etc_protocols_by_name(std::string_view name, int* num);
bool etc_protocols_by_number(int num, std::string_view* name);

}  // namespace conntrack
