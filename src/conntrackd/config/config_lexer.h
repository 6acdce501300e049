// Tokenizer for conntrackd.conf.  It reproduces upstream's flex scanner
// (src/read_config_lex.l) token for token, because accept/reject decisions
// hinge on its quirks: longest match wins and ties go to the earlier rule,
// so "dead" is an IP address (hex digits), "1a" is an IP address, a path
// runs up to the next space/newline/quote (a tab, '#' or '}' belong to it),
// and the mode names' character classes contain a literal '|'.
#pragma once
#include <cstdint>
#include <string_view>

namespace ctd {

// Keywords, in the scanner's rule order (order matters for nothing but
// readability: keyword rules are all exact strings).
enum class Kw : uint8_t {
  kNone,
  kAuthKeyFile,  // ours (Sync)
  kUnix, kIpv4Addr, kIpv6Addr, kIpv4DestAddr, kIpv6DestAddr, kIpv4Iface,
  kIpv6Iface, kIface, kMulticast, kUdp, kTcp, kHashSize, kRefreshTime,
  kCacheTimeout, kCommitTimeout, kHashLimit, kPath, kBacklog, kGroup, kPort,
  kLogFile, kSyslog, kLockFile, kGeneral, kSync, kStats, kBufferSize,
  kBufferSizeMaxGrowth, kMode, kResendQueueSize, kChecksum, kAckWindowSize,
  kFor, kSynSent, kSynRecv, kEstablished, kFinWait, kCloseWait, kLastAck,
  kTimeWait, kClose, kListen, kSndSocketBuffer, kRcvSocketBuffer, kFilter,
  kProtocol, kAddress, kState, kAccept, kIgnore, kPurgeTimeout, kFrom,
  kUserspace, kKernelspace, kEventIterationLimit, kDefault, kPollSecs,
  kNetlinkOverrunResync, kNice, kScheduler, kType, kPriority,
  kNetlinkEventsReliable, kDisableInternalCache, kDisableExternalCache,
  kOptions, kTcpWindowTracking, kExpectationSync, kErrorQueueLength, kHelper,
  kQueueNum, kQueueLen, kPolicy, kExpectMax, kExpectTimeout, kSystemd,
  kStartupResync, kSetup, kCompactEncoding,
};

enum class Tok : uint8_t {
  kEof,
  kKeyword,   // kw says which
  kOn,        // on / yes, any case
  kOff,       // off / no, any case
  kNumber,    // [0-9]+
  kSigned,    // [+-][0-9]+
  kIp,        // IPv4 or IPv6 shape, optional /cidr (not validated here)
  kPathVal,   // '/' then anything but space, newline or '"'
  kAlarm,     // ALARM, or the deprecated PERSISTENT
  kFtfw,      // FTFW, or the deprecated NACK
  kNotrack,
  kString,    // [A-Za-z][A-Za-z0-9._-]*
  kChar,      // any other single byte ('{', '}', ';', ...)
};

struct Token {
  Tok tok = Tok::kEof;
  Kw kw = Kw::kNone;
  std::string_view text;  // the matched bytes ("" at end of input)
  uint32_t line = 1;      // upstream's yylineno after the match
  bool deprecated_mode = false;  // PERSISTENT or NACK: caller warns
};

class ConfigLexer {
 public:
  explicit ConfigLexer(std::string_view text) : s_(text) {}
  // The next significant token; comments and blanks are skipped.
  Token next();
  uint32_t line() const { return line_; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
};

// Longest match of upstream's {ip6} rule at the start of s (0 if none).
// Exposed for tests: it is the subtlest rule.
size_t lex_match_ip6(std::string_view s);

}  // namespace ctd
