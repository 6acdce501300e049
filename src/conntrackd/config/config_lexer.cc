// See config_lexer.h.  Each rule of upstream's scanner becomes a function
// returning the length of its longest match; next() picks the longest,
// earliest rule, exactly as flex does.
#include "conntrackd/config/config_lexer.h"

#include <bitset>

namespace ctd {
namespace {

struct KwName {
  std::string_view name;
  Kw kw;
};

constexpr KwName kKeywords[] = {
    {"UNIX", Kw::kUnix},
    {"IPv4_address", Kw::kIpv4Addr},
    {"IPv6_address", Kw::kIpv6Addr},
    {"IPv4_Destination_Address", Kw::kIpv4DestAddr},
    {"IPv6_Destination_Address", Kw::kIpv6DestAddr},
    {"IPv4_interface", Kw::kIpv4Iface},
    {"IPv6_interface", Kw::kIpv6Iface},
    {"Interface", Kw::kIface},
    {"Multicast", Kw::kMulticast},
    {"UDP", Kw::kUdp},
    {"TCP", Kw::kTcp},
    {"HashSize", Kw::kHashSize},
    {"RefreshTime", Kw::kRefreshTime},
    {"CacheTimeout", Kw::kCacheTimeout},
    {"CommitTimeout", Kw::kCommitTimeout},
    {"HashLimit", Kw::kHashLimit},
    {"Path", Kw::kPath},
    {"Backlog", Kw::kBacklog},
    {"Group", Kw::kGroup},
    {"Port", Kw::kPort},
    {"LogFile", Kw::kLogFile},
    {"Syslog", Kw::kSyslog},
    {"LockFile", Kw::kLockFile},
    {"AuthKeyFile", Kw::kAuthKeyFile},
    {"General", Kw::kGeneral},
    {"Sync", Kw::kSync},
    {"Stats", Kw::kStats},
    {"SocketBufferSize", Kw::kBufferSize},
    {"SocketBufferSizeMaxGrown", Kw::kBufferSizeMaxGrowth},
    {"SocketBufferSizeMaxGrowth", Kw::kBufferSizeMaxGrowth},
    {"NetlinkBufferSize", Kw::kBufferSize},
    {"NetlinkBufferSizeMaxGrowth", Kw::kBufferSizeMaxGrowth},
    {"Mode", Kw::kMode},
    {"ResendQueueSize", Kw::kResendQueueSize},
    {"Checksum", Kw::kChecksum},
    {"ACKWindowSize", Kw::kAckWindowSize},
    {"for", Kw::kFor},
    {"SYN_SENT", Kw::kSynSent},
    {"SYN_RECV", Kw::kSynRecv},
    {"ESTABLISHED", Kw::kEstablished},
    {"FIN_WAIT", Kw::kFinWait},
    {"CLOSE_WAIT", Kw::kCloseWait},
    {"LAST_ACK", Kw::kLastAck},
    {"TIME_WAIT", Kw::kTimeWait},
    {"CLOSE", Kw::kClose},
    {"CLOSED", Kw::kClose},
    {"LISTEN", Kw::kListen},
    {"SndSocketBuffer", Kw::kSndSocketBuffer},
    {"RcvSocketBuffer", Kw::kRcvSocketBuffer},
    {"Filter", Kw::kFilter},
    {"Protocol", Kw::kProtocol},
    {"Address", Kw::kAddress},
    {"State", Kw::kState},
    {"Accept", Kw::kAccept},
    {"Ignore", Kw::kIgnore},
    {"PurgeTimeout", Kw::kPurgeTimeout},
    {"From", Kw::kFrom},
    {"Userspace", Kw::kUserspace},
    {"Kernelspace", Kw::kKernelspace},
    {"EventIterationLimit", Kw::kEventIterationLimit},
    {"Default", Kw::kDefault},
    {"PollSecs", Kw::kPollSecs},
    {"NetlinkOverrunResync", Kw::kNetlinkOverrunResync},
    {"Nice", Kw::kNice},
    {"Scheduler", Kw::kScheduler},
    {"Type", Kw::kType},
    {"Priority", Kw::kPriority},
    {"NetlinkEventsReliable", Kw::kNetlinkEventsReliable},
    {"DisableInternalCache", Kw::kDisableInternalCache},
    {"DisableExternalCache", Kw::kDisableExternalCache},
    {"Options", Kw::kOptions},
    {"TCPWindowTracking", Kw::kTcpWindowTracking},
    {"CompactEncoding", Kw::kCompactEncoding},
    {"ExpectationSync", Kw::kExpectationSync},
    {"ErrorQueueLength", Kw::kErrorQueueLength},
    {"Helper", Kw::kHelper},
    {"QueueNum", Kw::kQueueNum},
    {"QueueLen", Kw::kQueueLen},
    {"Policy", Kw::kPolicy},
    {"ExpectMax", Kw::kExpectMax},
    {"ExpectTimeout", Kw::kExpectTimeout},
    {"Systemd", Kw::kSystemd},
    {"StartupResync", Kw::kStartupResync},
    {"Setup", Kw::kSetup},
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

size_t digits(std::string_view s, size_t at) {
  size_t n = 0;
  while (at + n < s.size() && is_digit(s[at + n])) n++;
  return n;
}

// A fixed sequence of character classes, one per input byte.  Upstream
// writes classes like [o|O]: the '|' is a member, and we keep it.
size_t match_classes(std::string_view s, std::initializer_list<std::string_view> classes) {
  size_t i = 0;
  for (std::string_view cls : classes) {
    if (i >= s.size() || cls.find(s[i]) == std::string_view::npos) return 0;
    i++;
  }
  return i;
}

size_t match_keyword(std::string_view s, Kw* kw) {
  size_t best = 0;
  for (const KwName& k : kKeywords) {
    if (k.name.size() > best && s.substr(0, k.name.size()) == k.name) {
      best = k.name.size();
      *kw = k.kw;
    }
  }
  return best;
}

size_t match_true(std::string_view s) {
  size_t a = match_classes(s, {"o|O", "n|N"});
  size_t b = match_classes(s, {"y|Y", "e|E", "s|S"});
  return a > b ? a : b;
}

size_t match_false(std::string_view s) {
  size_t a = match_classes(s, {"o|O", "f|F", "f|F"});
  size_t b = match_classes(s, {"n|N", "o|O"});
  return a > b ? a : b;
}

size_t match_signed(std::string_view s) {
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return 0;
  size_t n = digits(s, 1);
  return n ? n + 1 : 0;
}

// {ip4}: upstream's parts ([0-2]*[0-9]*[0-9]+) and cidr (\/[0-2]*[0-9]+)
// both reduce to "one or more digits".
size_t match_ip4(std::string_view s) {
  size_t at = 0;
  for (int part = 0; part < 4; part++) {
    if (part > 0) {
      if (at >= s.size() || s[at] != '.') return 0;
      at++;
    }
    size_t n = digits(s, at);
    if (n == 0) return 0;
    at += n;
  }
  if (at < s.size() && s[at] == '/') {
    size_t n = digits(s, at + 1);
    if (n) at += 1 + n;
  }
  return at;
}

size_t match_path(std::string_view s) {
  if (s.empty() || s[0] != '/') return 0;
  size_t i = 1;
  while (i < s.size() && s[i] != '"' && s[i] != '\n' && s[i] != ' ') i++;
  return i;
}

size_t match_string(std::string_view s) {
  if (s.empty() || !is_alpha(s[0])) return 0;
  size_t i = 1;
  while (i < s.size() && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '.' ||
                          s[i] == '-' || s[i] == '_'))
    i++;
  return i;
}

}  // namespace

// {ip6} is a regular expression with optional colons inside repeated
// groups, so several split points can match; we track the set of reachable
// end offsets (an NFA simulation).  The longest form is 7*5 + 2 + 7*5 = 72
// bytes before the optional /cidr, hence the 80-bit sets.
size_t lex_match_ip6(std::string_view s) {
  using Set = std::bitset<80>;
  // Only the leading run of hex digits and colons can be matched: the
  // scan stops there, so the whitespace, words and paths the lexer tries
  // this at (every token start) cost a byte or two instead of the whole
  // simulation (fuzzing measured 30 ms for a 4.6 KB file before).
  size_t lim = 0;
  while (lim < s.size() && lim < 79 && (is_hex(s[lim]) || s[lim] == ':')) lim++;
  if (lim == 0) return 0;
  auto hex1to4 = [&](const Set& in) {
    Set out;
    for (size_t p = 0; p < lim; p++) {
      if (!in[p]) continue;
      for (size_t n = 1; n <= 4 && p + n <= lim && is_hex(s[p + n - 1]); n++) out.set(p + n);
    }
    return out;
  };
  auto colon = [&](const Set& in) {
    Set out;
    for (size_t p = 0; p < lim; p++)
      if (in[p] && s[p] == ':') out.set(p + 1);
    return out;
  };
  // ip6_part{0,7}, where ip6_part = hex{1,4} ":"?
  auto parts = [&](const Set& start) {
    Set acc = start, cur = start;
    for (int i = 0; i < 7; i++) {
      Set h = hex1to4(cur);
      cur = h | colon(h);
      acc |= cur;
    }
    return acc;
  };
  Set start;
  start.set(0);
  // form1: parts "::" parts
  Set ends = parts(colon(colon(parts(start))));
  // form2: (hex{1,4} ":"){0,7} hex{1,4}
  Set pre = start, cur = start;
  for (int i = 0; i < 7; i++) {
    cur = colon(hex1to4(cur));
    pre |= cur;
  }
  ends |= hex1to4(pre);
  ends.reset(0);
  size_t best = 0;
  for (size_t p = 1; p <= lim; p++) {
    if (!ends[p]) continue;
    size_t len = p;
    // ip6_cidr (\/[0-1]*[0-9]*[0-9]+) is "/ then digits" as well.
    if (p < s.size() && s[p] == '/') {
      size_t n = digits(s, p + 1);
      if (n) len += 1 + n;
    }
    if (len > best) best = len;
  }
  return best;
}

Token ConfigLexer::next() {
  for (;;) {
    Token t;
    std::string_view s = s_.substr(pos_);
    if (s.empty()) {
      t.tok = Tok::kEof;
      t.line = line_;
      return t;
    }
    // Candidate rules in upstream's order; the first longest wins.
    Kw kw = Kw::kNone;
    size_t len = match_keyword(s, &kw);
    Tok tok = Tok::kKeyword;
    bool deprecated = false;
    auto consider = [&](size_t n, Tok which, bool dep = false) {
      if (n > len) {
        len = n;
        tok = which;
        deprecated = dep;
      }
    };
    consider(match_true(s), Tok::kOn);
    consider(match_false(s), Tok::kOff);
    consider(digits(s, 0), Tok::kNumber);
    consider(match_signed(s), Tok::kSigned);
    consider(match_ip4(s), Tok::kIp);
    consider(lex_match_ip6(s), Tok::kIp);
    consider(match_path(s), Tok::kPathVal);
    consider(match_classes(s, {"A|a", "L|l", "A|a", "R|r", "M|m"}), Tok::kAlarm);
    consider(match_classes(s, {"P|p", "E|e", "R|r", "S|s", "I|i", "S|s", "T|t", "E|e",
                               "N|n", "T|T"}),
             Tok::kAlarm, true);
    consider(match_classes(s, {"F|f", "T|t", "F|f", "W|w"}), Tok::kFtfw);
    consider(match_classes(s, {"N|n", "A|a", "C|c", "K|k"}), Tok::kFtfw, true);
    consider(match_classes(s, {"N|n", "O|o", "T|t", "R|r", "A|a", "C|c", "K|k"}),
             Tok::kNotrack);
    consider(match_string(s), Tok::kString);
    if (len == 0) {
      char c = s[0];
      if (c == '#') {  // comment to end of line; the newline stays
        size_t e = s.find('\n');
        pos_ += e == std::string_view::npos ? s.size() : e;
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\r') {
        pos_++;
        continue;
      }
      if (c == '\n') {
        pos_++;
        line_++;
        continue;
      }
      len = 1;
      tok = Tok::kChar;
    }
    t.tok = tok;
    t.kw = tok == Tok::kKeyword ? kw : Kw::kNone;
    t.text = s.substr(0, len);
    t.deprecated_mode = deprecated;
    pos_ += len;
    t.line = line_;  // no token but a newline contains '\n'
    return t;
  }
}

}  // namespace ctd
