// conntrackd.conf, parsed into one plain struct.
//
// The parser (config_parser.cc and friends) reproduces upstream 1.4.8's
// grammar (src/read_config_yy.y) and its accept/reject decisions: the same
// tokens, the same blocks, the same fatal checks in the same order, the
// same warnings, then the same defaults (init_config()).  Where upstream
// silently wraps a number (atoi() into an int), we refuse instead; see
// ConfigError and the notes at config_parse().
//
// What the parser does NOT check, because upstream checks it only when the
// daemon starts (and the client mode, `conntrackd -k`, parses the same file
// without starting anything): that a channel exists and has an Interface,
// that interfaces exist, that addresses are usable, that a Helper can be
// registered with the kernel.  Those belong to the daemon's init.
#pragma once
#include <sys/types.h>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ctd {

inline constexpr unsigned kMaxChannels = 4;        // upstream MULTICHANNEL_MAX
inline constexpr unsigned kFilenameMax = 256;      // upstream FILENAME_MAXLEN
inline constexpr unsigned kUnixPathMax = 108;      // sizeof(sockaddr_un::sun_path)
inline constexpr unsigned kIfNameSize = 16;        // IFNAMSIZ, NUL included
inline constexpr unsigned kHelperNameMax = 16;     // NFCT_HELPER_NAME_MAX
// Our own bounds (upstream keeps unbounded lists); exceeding one is fatal.
inline constexpr unsigned kMaxExpectHelpers = 32;
inline constexpr unsigned kMaxFilterAddrs = 1024;
inline constexpr unsigned kMaxHelperTypes = 16;
inline constexpr unsigned kMaxHelperPolicies = 4;  // upstream CTD_HELPER_POLICY_MAX
inline constexpr unsigned kMaxWarnings = 32;
inline constexpr size_t kMaxConfigFileBytes = 1u << 20;

// Syslog facilities as <syslog.h> numbers them (LOG_DAEMON = 3 << 3, ...).
inline constexpr int kSyslogOff = -1;
inline constexpr int kLogDaemon = 3 << 3;

enum class ChannelProto : uint8_t { kNone, kMulticast, kUdp, kTcp };

// Upstream keeps the sync mode as flag bits and several Mode blocks may set
// several bits; the daemon then picks FTFW, else ALARM, else NOTRACK.
enum SyncModeBit : uint8_t { kModeFtfw = 1, kModeAlarm = 2, kModeNotrack = 4 };
enum class SyncMode : uint8_t { kFtfw, kAlarm, kNotrack };

enum class FilterLogic : uint8_t { kUnset, kAccept, kIgnore };
enum class SchedType : uint8_t { kDefault, kRr, kFifo };

struct ChannelConfig {
  ChannelProto proto = ChannelProto::kNone;
  bool is_default = false;
  bool ifname_too_long = false;  // >= IFNAMSIZ: can never be opened
  char ifname[kIfNameSize] = {};
  // AF_INET or AF_INET6 as the last address keyword decided (upstream's
  // `ipproto`); 0 if no address was given.
  uint8_t family = 0;
  // Multicast: the group.  UDP/TCP: the local (bind/listen) address.
  // IPv4 uses the first 4 bytes.  Network byte order.
  uint8_t local[16] = {};
  uint8_t dest[16] = {};         // UDP/TCP peer
  uint8_t mcast_iface[4] = {};   // Multicast IPv4_interface
  int32_t port = 0;              // Multicast Group, UDP/TCP Port
  int32_t sndbuf = 0, rcvbuf = 0;  // 0: system default
  bool checksum = true;          // false: SO_NO_CHECK
};

struct FilterAddr {
  uint8_t family;   // AF_INET / AF_INET6
  uint8_t prefix;   // 32/128 for a host
  uint8_t addr[16];
};

// What upstream's parser also hands to libnetfilter_conntrack's nfct_filter,
// the kernel (BSF) event filter built for `From Kernelspace`
// (filter_bpf.h).  nfct_filter keeps its own copy of the sets with its own
// rules: every valid address is added in order, repeats included, but only
// the first 127 IPv4 and 20 IPv6 ones (later ones are dropped without a
// word: __FILTER_ADDR_MAX / __FILTER_IPV6_MAX); protocols are added until
// 255 additions (__FILTER_L4PROTO_MAX); and a set's logic becomes NEGATIVE
// for good when an Ignore block of its kind is parsed (conntrackd never
// sets POSITIVE, the default, and nfct_filter_set_logic refuses a second
// change).  TCP states need no copy: FilterConfig::tcp_states is the same.
struct KernelFilterSets {
  static constexpr unsigned kMaxV4 = 127, kMaxV6 = 20, kMaxProtoAdds = 255;
  static constexpr unsigned kIpprotoMax = 263;  // glibc's IPPROTO_MAX (mptcp is 262)
  bool proto_negative = false;
  bool addr_negative = false;
  bool state_negative = false;
  uint16_t proto_adds = 0;
  uint32_t protos[(kIpprotoMax + 31) / 32] = {};  // bitmap of protocol numbers
  uint8_t nv4 = 0, nv6 = 0;
  FilterAddr v4[kMaxV4];
  FilterAddr v6[kMaxV6];

  bool has_proto(unsigned p) const { return p < kIpprotoMax && ((protos[p >> 5] >> (p & 31)) & 1); }
};

struct FilterConfig {
  bool from_kernelspace = false;
  bool used = false;  // any item parsed: upstream then builds a kernel filter
  FilterLogic proto_logic = FilterLogic::kUnset;
  FilterLogic addr_logic = FilterLogic::kUnset;
  FilterLogic state_logic = FilterLogic::kUnset;
  uint32_t protos[8] = {};   // bitmap of IP protocol numbers below 256
  uint16_t tcp_states = 0;   // bitmap of TCP_CONNTRACK_* values
  uint16_t naddrs = 0;
  FilterAddr addrs[kMaxFilterAddrs];
  KernelFilterSets kernel;

  bool has_proto(uint8_t p) const { return (protos[p >> 5] >> (p & 31)) & 1; }
};

struct HelperPolicyConfig {
  char name[kHelperNameMax + 1] = {};
  uint32_t expect_max = 0;
  uint32_t expect_timeout = 0;
};

struct HelperTypeConfig {
  char name[kHelperNameMax + 1] = {};
  uint8_t l3 = 0;  // AF_INET / AF_INET6
  uint8_t l4 = 0;  // IPPROTO_TCP / IPPROTO_UDP
  uint32_t queue_num = 0, queue_len = 0;
  uint8_t npolicies = 0;
  HelperPolicyConfig policies[kMaxHelperPolicies];
};

struct Config {
  // Which top-level blocks were present.
  bool sync = false, stats = false, helper = false;

  // General { }
  uint32_t hashsize = 0;          // default 65536
  uint32_t hashlimit = 0;         // default 262144
  char logfile[kFilenameMax + 1] = {};   // "" = off
  int syslog_facility = kSyslogOff;
  char lockfile[kFilenameMax + 1] = {};  // default /var/lock/conntrackd.lock
  char unix_path[kUnixPathMax] = {};
  // UNIX { Group gid } (ours): that group may use the socket too (0660).
  gid_t unix_group = static_cast<gid_t>(-1);
  uint32_t netlink_buffer_size = 0;
  uint32_t netlink_buffer_size_max_grown = 0;
  int32_t netlink_overrun_resync = 0;    // default 30; -1 = off
  bool netlink_events_reliable = false;
  uint32_t event_iterations_limit = 0;   // default 100
  uint32_t poll_secs = 0;                // 0: event mode
  SchedType sched_type = SchedType::kDefault;
  uint8_t sched_prio = 0;
  bool systemd = true;  // upstream's default when built with systemd (Debian)
  uint32_t commit_steps = 0;             // default 8192, not configurable
  FilterConfig filter;

  // Sync { }
  uint8_t sync_mode_bits = 0;            // SyncModeBit; none = FTFW + warning
  uint32_t refresh = 0;                  // default 60
  uint32_t cache_timeout = 0;            // default 180
  uint32_t commit_timeout = 0;           // 0: derive from the entry
  uint32_t purge_timeout = 0;            // default 60
  uint32_t resend_queue_size = 0;        // default 131072
  uint32_t window_size = 0;              // default 300
  bool startup_resync = false;
  bool internal_cache_disable = false;
  bool external_cache_disable = false;
  bool tcp_window_tracking = false;
  bool compact_encoding = false;         // ours: Options { CompactEncoding on }
  bool expect_sync = false;              // upstream CTD_EXPECT (never cleared)
  bool expect_events = false;            // subscribe to expectation events
  uint8_t nexpect_helpers = 0;           // ExpectationSync { ... } list
  char expect_helpers[kMaxExpectHelpers][kHelperNameMax + 1] = {};
  ChannelProto channel_proto = ChannelProto::kNone;
  uint8_t channel_num = 0;
  uint8_t channel_default = 0;
  ChannelConfig channels[kMaxChannels];
  uint32_t error_queue_length = 0;       // default 128 (TCP)
  char auth_key_file[kFilenameMax + 1] = {};  // ours: AuthKeyFile, "" = off

  // Stats { }
  char stats_logfile[kFilenameMax + 1] = {};
  int stats_syslog_facility = kSyslogOff;

  // Helper { }
  bool helper_setup = false;
  uint8_t nhelpers = 0;
  HelperTypeConfig helpers[kMaxHelperTypes];

  SyncMode sync_mode() const {
    if (sync_mode_bits & kModeFtfw) return SyncMode::kFtfw;
    if (sync_mode_bits & kModeAlarm) return SyncMode::kAlarm;
    if (sync_mode_bits & kModeNotrack) return SyncMode::kNotrack;
    return SyncMode::kFtfw;
  }
};

// A fatal error.  `message` is upstream's log text where upstream has one
// (byte for byte, including upstream's stray trailing "\n" in two places);
// the location fields are always filled so callers can say more.
struct ConfigError {
  char message[512] = {};
  char file[kFilenameMax + 1] = {};
  uint32_t line = 0;          // 0 if not tied to a line (e.g. missing file)
  char symbol[64] = {};       // the token at fault, truncated
};

struct ConfigDiag {
  ConfigError error;
  // Non-fatal messages in upstream's wording ("[warning]" lines), in order.
  uint8_t nwarnings = 0;
  bool warnings_truncated = false;
  char warnings[kMaxWarnings][256] = {};
};

// Parses `text` into *cfg (which must be default-constructed) and applies
// the defaults.  Returns false on a fatal error (upstream exits 1), with
// diag->error filled.  `filename` is only used for messages.
bool config_parse(std::string_view text, const char* filename, Config* cfg, ConfigDiag* diag);

// Reads and parses a file.  A missing/unreadable file gives upstream's
// "can't open config file `%s'".
bool config_load(const char* path, Config* cfg, ConfigDiag* diag);

// Applied by config_parse(); exposed for tests.  0 means "unset" for every
// knob, as upstream's init_config() decides.
void config_apply_defaults(Config* cfg);

// upstream's evaluate(): CommitTimeout is dropped (with a warning) when
// DisableExternalCache is on.  Run by the daemon, not the client.
void config_evaluate(Config* cfg, ConfigDiag* diag);

}  // namespace ctd
