// Internal to the config parser: the recursive-descent parser shared by
// config_parser.cc (top level, General, Stats, defaults), config_parse_sync.cc
// (Sync, modes, channels, Options) and config_parse_helper.cc (Helper).
//
// Every parse_* function mirrors one group of upstream grammar rules and
// runs upstream's semantic action at the point bison would reduce it, so
// fatal checks fire in upstream's order.  A function returns false after
// recording the first fatal error; callers just propagate it.
#pragma once
#include <cstdint>
#include <string_view>

#include "conntrackd/config/config.h"
#include "conntrackd/config/config_lexer.h"

namespace ctd {

class ConfigParser {
 public:
  ConfigParser(std::string_view text, const char* filename, Config* cfg, ConfigDiag* diag);
  bool parse_file();

 private:
  // Token handling.  `cur_` is the one-token lookahead, like bison's.
  void advance();
  bool is_char(char c) const { return cur_.tok == Tok::kChar && cur_.text.size() == 1 && cur_.text[0] == c; }
  bool is_kw(Kw k) const { return cur_.tok == Tok::kKeyword && cur_.kw == k; }
  bool expect_char(char c);
  // Consumes a T_NUMBER and checks it fits in [0, max].
  bool take_number(int64_t max, uint32_t* out);
  bool take_on_off(bool* out);

  // Errors and warnings.
  bool syntax_error();
  bool fatal(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  void warn(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

  // General { } and its children (config_parser.cc, config_parse_filter.cc).
  bool parse_general();
  bool parse_logfile(char* dst, const char* on_path, const char* what);
  bool parse_syslog(int* dst, const int* other, bool stats);
  bool parse_unix();
  bool parse_scheduler();
  bool parse_filter();
  bool parse_filter_protocols();
  bool parse_filter_addresses();
  bool parse_filter_states();
  void filter_add_proto(std::string_view name);
  void filter_add_addr(std::string_view text, bool v6);
  bool parse_stats();

  // Sync { } (config_parse_sync.cc).
  bool parse_sync();
  bool parse_mode();
  bool parse_channel(ChannelProto proto);
  bool parse_channel_option(ChannelProto proto);
  bool channel_slot(ChannelConfig** out);
  bool parse_options();

  // Helper { } (config_parse_helper.cc).
  bool parse_helper();
  bool parse_helper_item(bool* handled);
  bool parse_helper_type();
  bool parse_helper_policy();

  // Upstream's symbol stack for Helper blocks (LIFO; see config_parse_helper.cc).
  struct HelperItem {
    enum Kind : uint8_t { kQueueNum, kQueueLen, kPolicyLeaf, kPolicyRoot } kind;
    uint32_t value;
    HelperPolicyConfig policy;
  };
  static constexpr unsigned kMaxHelperItems = 64;
  HelperItem hstack_[kMaxHelperItems];
  unsigned hdepth_ = 0;

  ConfigLexer lex_;
  Token cur_;
  const char* filename_;
  Config* cfg_;
  ConfigDiag* diag_;
};

// Value helpers (config_values.cc).
// glibc inet_aton(): dotted quad only here (the lexer never yields other
// shapes), octal for a leading 0, each part <= 255.
bool parse_inet4(std::string_view s, uint8_t out[4]);
// inet_pton(AF_INET6) without the dotted-IPv4 tail (the lexer cannot
// produce one).
bool parse_inet6(std::string_view s, uint8_t out[16]);
// getprotobyname() over /etc/protocols (names and aliases, case-sensitive).
// Returns -1 if not found or not below IPPROTO_MAX
// (KernelFilterSets::kIpprotoMax).
int protocol_by_name(std::string_view name);
// daemon, local0..local7 -> LOG_* value; -1 if unknown.
int syslog_facility_by_name(std::string_view name);

// The userspace helpers upstream ships (src/helpers/*.c), with their
// transport protocol and policy names: the parser rejects anything else,
// as upstream's helper_find() does.
// The userspace helpers upstream ships, with their built-in policy (used
// when the Type block has no Policy) and private data size (sent to the
// kernel with `Setup on`).
struct KnownHelper {
  const char* name;
  uint8_t l4;
  const char* policy;
  uint32_t expect_max, expect_timeout;
  uint32_t priv_data_len;
};
const KnownHelper* known_helper(std::string_view name, uint8_t l4);

}  // namespace ctd
