// Every `conntrackd -s [...]` output, byte for byte as upstream 1.4.7
// writes it (spec/conntrackd.md §2.5, §2.6; checked against the Debian
// binary), plus our machine-readable JSON form of the same numbers.
//
// The counters come in as plain structs: the cache/traffic/runtime ones are
// the daemon's (daemon.h); the sync-side ones (network errors, channels,
// queues) are defined here and filled by whoever owns them (see
// Daemon::fill_sync_stats).  Nothing here reads a clock or a
// socket: `now` is passed in, so tests compare against captured strings.
//
// JSON (our own; `conntrackd -s [section] --json`, request code | 0x100):
// one object per request, then "\n".  Keys, by section:
//   -s / -s ct / -s expect:  "internal", "external" (stats mode: "stats")
//                            cache objects, "traffic", "channel",
//                            "message_tracking"
//   -s network:              "network", "channel" (+ "authentication"
//                            with an AuthKeyFile)
//   -s cache:                "internal", "external" (stats mode: "stats")
//   -s runtime:              "runtime"
//   -s link:                 "channels": [channel, ...]
//   -s rsqueue:              "rsqueue": {"length": N}
//   -s queue:                "queues": {"allocated_nodes": N, "list": [...]}
//   -s process:              "processes": [{"pid": N, "type": "any"}, ...]
// A cache object: {"active","entries","created","create_failed",
// "no_memory","no_space","updated","update_failed","update_not_found",
// "destroyed","destroy_failed","destroy_not_found"}; a channel:
// {"proto","device","status","role","bytes_sent","bytes_recv",
// "packets_sent","packets_recv","errors_sent","errors_recv","messages_sent",
// "messages_recv"} (+ "server",
// "client": "connected"|"disconnected" for TCP).  Every number is an
// unsigned integer; a section the daemon does not serve (e.g. -s network
// in stats mode) gives "{}".
#pragma once
#include <cstdint>

#include "base/out_buf.h"
#include "conntrackd/config/config.h"
#include "conntrackd/daemon.h"
#include "conntrackd/sync/auth_counters.h"

namespace ctd {

// One sync channel (UDP/TCP/multicast), upstream's channel stats.
struct ChannelStats {
  ChannelProto proto = ChannelProto::kUdp;
  char ifname[kIfNameSize] = {};
  const char* status = "RUNNING";  // "RUNNING", "NO-CARRIER" or "DOWN"
  bool tcp_server_connected = false, tcp_client_connected = false;
  uint64_t bytes_sent = 0, bytes_recv = 0;
  uint64_t pkts_sent = 0, pkts_recv = 0;
  uint64_t err_sent = 0, err_recv = 0;
  uint64_t msgs_sent = 0, msgs_recv = 0;  // sync messages (ours; many per packet)
};

// Upstream STATE_SYNC(error): receive errors by reason, sequence tracking.
// The compact encoding (ours; shown only when CompactEncoding is on).
struct CompactCounters {
  bool enabled = false;   // CompactEncoding on
  bool in_use = false;    // flows go to the peer in v2 now
  bool peer_offered = false;
  uint32_t node = 0, peer_node = 0;
  uint64_t packets_sent = 0, records_sent = 0, packets_recv = 0, records_recv = 0;
  uint64_t offers_sent = 0, offers_recv = 0;
  uint64_t need_sent = 0, need_recv = 0;  // ids asked for / asked of us
  uint64_t unknown_ids = 0;               // UPD/DEL records naming no known flow
};

struct NetworkCounters {
  uint64_t malformed = 0;
  uint32_t bad_version = 0, bad_header = 0, bad_payload = 0, bad_type = 0;
  uint32_t truncated = 0, bad_size = 0;
  uint32_t send_malformed = 0;
  uint64_t lost = 0, before = 0;
  // Ours: every drop by its precise reason (ctsync::DropReason order),
  // shown in -s network --json.
  static constexpr unsigned kReasons = 16;
  uint32_t by_reason[kReasons] = {};
  CompactCounters compact;
};

struct QueueInfo {
  const char* name = "";  // "txqueue", "errorq", "rsqueue"
  uint32_t current = 0, max = 0, no_space = 0;
};

struct ProcessInfo {
  int pid = 0;
  const char* type = "any";  // upstream: "any", "flush", "commit"
};

inline constexpr unsigned kMaxStatsQueues = 4;
inline constexpr unsigned kMaxStatsProcesses = 32;

// What the sync side reports (zeros until it exists).
struct SyncStats {
  NetworkCounters net;
  ChannelStats channels[kMaxChannels];
  unsigned nchannels = 0;
  unsigned current = 0;           // index of the active channel
  uint32_t queue_nodes = 0;       // "allocated queue nodes"
  QueueInfo queues[kMaxStatsQueues];
  unsigned nqueues = 0;           // in upstream's display order
  uint32_t rsqueue_len = 0;
  uint64_t rsqueue_stale_resent = 0;  // FT-FW: resent after a lost ACK/NACK
  AuthCounters auth;              // AuthKeyFile only (ours)
};

// What -c achieved so far (kernel/commit_totals.h), ours.
struct CommitStats {
  uint64_t runs = 0;
  uint64_t ct_ok = 0, ct_failed = 0, exp_ok = 0, exp_failed = 0;
  uint64_t last_duration_us = 0;
  bool running = false;
};

// Everything one statistics request may show.
struct StatsView {
  bool sync_mode = true;          // false: stats mode (one cache, "stats")
  bool expect_sync = false;       // ExpectationSync: -s expect answers
  bool ftfw = true;               // FT-FW: -s rsqueue answers
  CacheCounters internal{}, external{};
  uint32_t internal_entries = 0, external_entries = 0;  // hash entries
  CacheCounters exp_internal{}, exp_external{};
  bool internal_bypass = false;   // DisableInternalCache: "internal bypass:"
  bool external_inject = false;   // DisableExternalCache: "external inject:"
  BypassCounters bypass{}, exp_bypass{};
  InjectCounters inject{}, exp_inject{};
  uint32_t exp_internal_entries = 0, exp_external_entries = 0;
  TrafficCounters traffic{};
  RuntimeCounters runtime{};
  int64_t now = 0;                // wall clock, seconds (uptime)
  SyncStats sync;
  ProcessInfo procs[kMaxStatsProcesses];
  unsigned nprocs = 0;
  CommitStats commit;             // -s metrics only
  bool stats_mode = false;        // Stats { }: the one cache is "stats"
  const char* mode_name = "none"; // "ftfw", "notrack", "alarm", "stats" or "none"
};

// Writes the reply to statistics request `code` (control_proto.h; the JSON
// bit selects JSON).  Returns false if the daemon serves nothing for it
// (text: nothing written).  -s rsqueue writes only its header line; the
// caller appends the nodes (stats_put_rsqueue_node).
bool stats_render(base::OutBuf& out, int code, const StatsView& v);

// -s metrics (kReqStatsMetrics): every counter above in the OpenMetrics
// text format (stats_metrics.cc; the families are listed in conntrackd.8).
void stats_render_metrics(base::OutBuf& out, const StatsView& v);

// The pieces, for callers and tests.
void stats_put_cache(base::OutBuf& out, const char* name, const CacheCounters& c);
void stats_put_cache_ext(base::OutBuf& out, const char* name, const CacheCounters& c,
                         uint32_t entries);
void stats_put_traffic(base::OutBuf& out, const TrafficCounters& t);
void stats_put_bypass(base::OutBuf& out, const BypassCounters& b);
void stats_put_inject(base::OutBuf& out, const InjectCounters& i);
void stats_put_channel(base::OutBuf& out, const ChannelStats& c);             // -s
void stats_put_channel_ext(base::OutBuf& out, const ChannelStats& c, bool active);  // -s link
void stats_put_tracking(base::OutBuf& out, const NetworkCounters& n);
void stats_put_network(base::OutBuf& out, const NetworkCounters& n);
// Ours, after -s network's upstream part when AuthKeyFile is set.
void stats_put_auth(base::OutBuf& out, const AuthCounters& a);
void stats_put_uptime(base::OutBuf& out, int64_t seconds);
void stats_put_runtime(base::OutBuf& out, const RuntimeCounters& r, int64_t now);
void stats_put_queues(base::OutBuf& out, const SyncStats& s);
void stats_put_rsqueue_header(base::OutBuf& out, uint32_t len);
// "control -> seq:%u flags:%u" or "object -> seq:%u".
void stats_put_rsqueue_node(base::OutBuf& out, bool control, uint32_t seq, uint32_t flags);
void stats_put_process(base::OutBuf& out, const ProcessInfo& p);

}  // namespace ctd
