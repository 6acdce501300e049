// Sync { }: timers, Mode blocks, channel blocks and Options.
#include <net/if.h>
#include <cstring>
#include <strings.h>
#include <sys/socket.h>

#include "conntrackd/config/config_parser.h"

namespace ctd {
namespace {

const char* proto_name(ChannelProto p) {
  switch (p) {
    case ChannelProto::kMulticast: return "Multicast";
    case ChannelProto::kUdp: return "UDP";
    default: return "TCP";
  }
}

}  // namespace

bool ConfigParser::parse_sync() {
  advance();
  if (!expect_char('{')) return false;
  Config& c = *cfg_;
  while (!is_char('}')) {
    if (cur_.tok != Tok::kKeyword) return syntax_error();
    bool ok;
    switch (cur_.kw) {
      // Accepted directly in Sync by every mode; upstream documents some
      // of them for one mode only but stores them all the same.
      case Kw::kRefreshTime: advance(); ok = take_number(INT32_MAX, &c.refresh); break;
      case Kw::kCacheTimeout: advance(); ok = take_number(INT32_MAX, &c.cache_timeout); break;
      case Kw::kCommitTimeout: advance(); ok = take_number(INT32_MAX, &c.commit_timeout); break;
      case Kw::kPurgeTimeout: advance(); ok = take_number(INT32_MAX, &c.purge_timeout); break;
      case Kw::kMulticast: ok = parse_channel(ChannelProto::kMulticast); break;
      case Kw::kUdp: ok = parse_channel(ChannelProto::kUdp); break;
      case Kw::kTcp: ok = parse_channel(ChannelProto::kTcp); break;
      case Kw::kMode: ok = parse_mode(); break;
      case Kw::kOptions: ok = parse_options(); break;
      case Kw::kAuthKeyFile:  // ours: sync/auth_wire.h
        advance();
        if (cur_.tok != Tok::kPathVal) return syntax_error();
        if (cur_.text.size() > kFilenameMax)
          return fatal("AuthKeyFile path is longer than %u characters", kFilenameMax);
        std::memcpy(c.auth_key_file, cur_.text.data(), cur_.text.size());
        c.auth_key_file[cur_.text.size()] = '\0';
        advance();
        ok = true;
        break;
      default: return syntax_error();
    }
    if (!ok) return false;
  }
  if (c.stats) return fatal("cannot use both `Stats' and `Sync' clauses in conntrackd.conf");
  c.sync = true;
  advance();
  return true;
}

// Mode FTFW|ALARM|NOTRACK { ... }: each mode has its own short list.
bool ConfigParser::parse_mode() {
  advance();
  const Tok mode = cur_.tok;
  if (mode != Tok::kFtfw && mode != Tok::kAlarm && mode != Tok::kNotrack) return syntax_error();
  advance();
  if (!expect_char('{')) return false;
  Config& c = *cfg_;
  while (!is_char('}')) {
    if (cur_.tok != Tok::kKeyword) return syntax_error();
    const Kw kw = cur_.kw;
    bool allowed;
    switch (kw) {
      case Kw::kCommitTimeout:
      case Kw::kPurgeTimeout: allowed = true; break;
      case Kw::kRefreshTime:
      case Kw::kCacheTimeout: allowed = mode == Tok::kAlarm; break;
      case Kw::kResendQueueSize:
      case Kw::kAckWindowSize: allowed = mode == Tok::kFtfw; break;
      case Kw::kDisableExternalCache:
      case Kw::kStartupResync: allowed = mode != Tok::kAlarm; break;
      case Kw::kDisableInternalCache: allowed = mode == Tok::kNotrack; break;
      default: allowed = false; break;
    }
    if (!allowed) return syntax_error();
    advance();
    bool ok;
    switch (kw) {
      case Kw::kCommitTimeout: ok = take_number(INT32_MAX, &c.commit_timeout); break;
      case Kw::kPurgeTimeout: ok = take_number(INT32_MAX, &c.purge_timeout); break;
      case Kw::kRefreshTime: ok = take_number(INT32_MAX, &c.refresh); break;
      case Kw::kCacheTimeout: ok = take_number(INT32_MAX, &c.cache_timeout); break;
      case Kw::kResendQueueSize: ok = take_number(INT32_MAX, &c.resend_queue_size); break;
      case Kw::kAckWindowSize: ok = take_number(INT32_MAX, &c.window_size); break;
      case Kw::kDisableExternalCache: ok = take_on_off(&c.external_cache_disable); break;
      case Kw::kStartupResync: ok = take_on_off(&c.startup_resync); break;
      default: ok = take_on_off(&c.internal_cache_disable); break;
    }
    if (!ok) return false;
  }
  c.sync_mode_bits |= mode == Tok::kFtfw ? kModeFtfw : mode == Tok::kAlarm ? kModeAlarm : kModeNotrack;
  advance();
  return true;
}

// Upstream's conf_get_channel(): every channel option, and the block's
// end, refuse a fifth channel.
bool ConfigParser::channel_slot(ChannelConfig** out) {
  if (cfg_->channel_num >= kMaxChannels)
    return fatal("too many dedicated links in the configuration file (Maximum: %u)", kMaxChannels);
  *out = &cfg_->channels[cfg_->channel_num];
  return true;
}

bool ConfigParser::parse_channel(ChannelProto proto) {
  advance();
  bool is_default = false;
  if (is_kw(Kw::kDefault)) {
    is_default = true;
    advance();
  }
  if (!expect_char('{')) return false;
  while (!is_char('}'))
    if (!parse_channel_option(proto)) return false;
  ChannelConfig* ch = nullptr;
  if (!channel_slot(&ch)) return false;
  Config& c = *cfg_;
  if (c.channel_proto != ChannelProto::kNone && c.channel_proto != proto)
    return fatal("cannot use `%s' with other dedicated link protocols!", proto_name(proto));
  c.channel_proto = proto;
  ch->proto = proto;
  ch->is_default = is_default;
  if (is_default) c.channel_default = c.channel_num;
  c.channel_num++;
  advance();
  return true;
}

bool ConfigParser::parse_channel_option(ChannelProto proto) {
  if (cur_.tok != Tok::kKeyword) return syntax_error();
  const Kw kw = cur_.kw;
  const bool mcast = proto == ChannelProto::kMulticast;
  bool allowed;
  switch (kw) {
    case Kw::kIpv4Addr: case Kw::kIpv6Addr: case Kw::kIface:
    case Kw::kSndSocketBuffer: case Kw::kRcvSocketBuffer: case Kw::kChecksum:
      allowed = true; break;
    case Kw::kIpv4Iface: case Kw::kIpv6Iface: case Kw::kGroup: allowed = mcast; break;
    case Kw::kIpv4DestAddr: case Kw::kIpv6DestAddr: case Kw::kPort: allowed = !mcast; break;
    case Kw::kErrorQueueLength: allowed = proto == ChannelProto::kTcp; break;
    default: allowed = false; break;
  }
  if (!allowed) return syntax_error();
  advance();

  // Value token first (a wrong one is a syntax error before any action).
  const bool wants_ip = kw == Kw::kIpv4Addr || kw == Kw::kIpv6Addr || kw == Kw::kIpv4Iface ||
                        kw == Kw::kIpv6Iface || kw == Kw::kIpv4DestAddr || kw == Kw::kIpv6DestAddr;
  if (wants_ip && cur_.tok != Tok::kIp) return syntax_error();
  if (kw == Kw::kIface && cur_.tok != Tok::kString) return syntax_error();
  if (kw == Kw::kChecksum && cur_.tok != Tok::kOn && cur_.tok != Tok::kOff) return syntax_error();

  if (kw == Kw::kErrorQueueLength)  // global, and no channel slot check upstream
    return take_number(INT32_MAX, &cfg_->error_queue_length);
  if (kw == Kw::kIpv6Iface) {
    warn("`IPv6_interface' not required, ignoring");
    advance();
    return true;
  }
  uint32_t num = 0;
  if (kw == Kw::kGroup || kw == Kw::kPort) {
    // Upstream stores an int and later truncates it to 16 bits.
    if (!take_number(65535, &num)) return false;
  } else if (kw == Kw::kSndSocketBuffer || kw == Kw::kRcvSocketBuffer) {
    if (!take_number(INT32_MAX, &num)) return false;
  }
  ChannelConfig* ch = nullptr;
  if (!channel_slot(&ch)) return false;
  const std::string_view v = cur_.text;
  const int vlen = static_cast<int>(v.size());

  switch (kw) {
    case Kw::kIpv4Addr:
    case Kw::kIpv4DestAddr:
    case Kw::kIpv4Iface: {
      uint8_t* dst = kw == Kw::kIpv4Addr ? ch->local : kw == Kw::kIpv4DestAddr ? ch->dest : ch->mcast_iface;
      if (!parse_inet4(v, dst)) {
        warn("%.*s is not a valid IPv4 address", vlen, v.data());
        break;
      }
      if (mcast && ch->family == AF_INET6) {
        warn(kw == Kw::kIpv4Addr
                 ? "your multicast address is IPv4 but is binded to an IPv6 interface? Surely, this is not what you want"
                 : "your multicast interface is IPv4 but is binded to an IPv6 interface? Surely, this is not what you want");
        break;
      }
      ch->family = AF_INET;
      break;
    }
    case Kw::kIpv6Addr:
    case Kw::kIpv6DestAddr: {
      uint8_t* dst = kw == Kw::kIpv6Addr ? ch->local : ch->dest;
      if (!parse_inet6(v, dst)) {
        warn("%.*s is not a valid IPv6 address", vlen, v.data());
        break;
      }
      if (mcast && ch->family == AF_INET) {
        warn("your multicast address is IPv6 but is binded to an IPv4 interface? Surely this is not what you want");
        break;
      }
      ch->family = AF_INET6;
      break;
    }
    case Kw::kIface:
      // Upstream strncpy()s IFNAMSIZ bytes (no NUL for a long name) and
      // if_nametoindex() then fails: the channel can never open.
      if (v.size() >= kIfNameSize) {
        ch->ifname_too_long = true;
        warn("%.*s is an invalid interface", vlen, v.data());
      }
      {
        size_t n = v.size() < kIfNameSize - 1 ? v.size() : kIfNameSize - 1;
        std::memcpy(ch->ifname, v.data(), n);
        ch->ifname[n] = '\0';
      }
      // Upstream looks the name up while parsing (so client commands
      // warn too); the channel then fails to open with ENODEV.
      if (!ch->ifname_too_long && if_nametoindex(ch->ifname) == 0)
        warn("%.*s is an invalid interface", vlen, v.data());
      break;
    case Kw::kChecksum: ch->checksum = cur_.tok == Tok::kOn; break;
    case Kw::kGroup:
    case Kw::kPort: ch->port = static_cast<int32_t>(num); return true;  // already advanced
    case Kw::kSndSocketBuffer: ch->sndbuf = static_cast<int32_t>(num); return true;
    case Kw::kRcvSocketBuffer: ch->rcvbuf = static_cast<int32_t>(num); return true;
    default: break;
  }
  advance();
  return true;
}

// Options { TCPWindowTracking on|off ; ExpectationSync on|off|{ names } ;
//           CompactEncoding on|off (ours: sync/compact_wire.h) }
bool ConfigParser::parse_options() {
  advance();
  if (!expect_char('{')) return false;
  Config& c = *cfg_;
  while (!is_char('}')) {
    if (is_kw(Kw::kTcpWindowTracking)) {
      advance();
      if (!take_on_off(&c.tcp_window_tracking)) return false;
    } else if (is_kw(Kw::kCompactEncoding)) {
      advance();
      if (!take_on_off(&c.compact_encoding)) return false;
    } else if (is_kw(Kw::kExpectationSync)) {
      advance();
      if (cur_.tok == Tok::kOn) {
        c.expect_sync = c.expect_events = true;
      } else if (cur_.tok == Tok::kOff) {
        c.expect_events = false;  // upstream leaves CTD_EXPECT set
      } else if (is_char('{')) {
        advance();
        while (!is_char('}')) {
          if (cur_.tok != Tok::kString) return syntax_error();
          // Names compare case-insensitively on NFCT_HELPER_NAME_MAX bytes;
          // duplicates are dropped silently.
          std::string_view n = cur_.text.substr(0, kHelperNameMax);
          bool dup = false;
          for (unsigned i = 0; i < c.nexpect_helpers && !dup; i++)
            dup = strlen(c.expect_helpers[i]) == n.size() &&
                  strncasecmp(c.expect_helpers[i], n.data(), n.size()) == 0;
          if (!dup) {
            if (c.nexpect_helpers >= kMaxExpectHelpers)
              return fatal("too many helpers in ExpectationSync (maximum %u)", kMaxExpectHelpers);
            std::memcpy(c.expect_helpers[c.nexpect_helpers], n.data(), n.size());
            c.expect_helpers[c.nexpect_helpers][n.size()] = '\0';
            c.nexpect_helpers++;
          }
          advance();
        }
        c.expect_sync = c.expect_events = true;
      } else {
        return syntax_error();
      }
      advance();
    } else {
      return syntax_error();
    }
  }
  advance();
  return true;
}

}  // namespace ctd
