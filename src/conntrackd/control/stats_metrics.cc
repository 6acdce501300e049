// `conntrackd -s metrics`: the StatsView that every -s section is drawn
// from, as OpenMetrics families (base/openmetrics.h keeps the format's
// rules).  Each family is written whole before the next one, so a family
// with several label sets (caches, links, queues) loops over them inside.
#include <span>
#include <string_view>

#include "base/openmetrics.h"
#include "conntrackd/control/stats_format.h"
#include "sync/wire.h"

namespace ctd {
namespace {

using base::MetricLabel;
using base::MetricsWriter;
using base::MetricType;

// One cache (or what replaces it) and the labels that name it.
struct CacheRow {
  const char* cache;  // "internal", "external", "stats"
  const char* table;  // "conntrack", "expect"
  const CacheCounters* c;
  uint32_t entries;
};

struct CacheRows {
  CacheRow rows[4];
  unsigned n = 0;
  void add(const char* cache, const char* table, const CacheCounters& c, uint32_t entries) {
    if (n < 4) rows[n++] = CacheRow{cache, table, &c, entries};
  }
};

struct CacheField {
  const char* name;
  const char* help;
  uint32_t CacheCounters::*field;
};

constexpr CacheField kCacheCounters[] = {
    {"conntrackd_cache_inserts", "Objects added to the cache", &CacheCounters::created},
    {"conntrackd_cache_insert_failures", "Objects the cache could not add",
     &CacheCounters::create_failed},
    {"conntrackd_cache_insert_no_memory", "Adds that failed for lack of memory",
     &CacheCounters::no_memory},
    {"conntrackd_cache_insert_no_space", "Adds that failed because the cache was full",
     &CacheCounters::no_space},
    {"conntrackd_cache_updates", "Objects updated in the cache", &CacheCounters::updated},
    {"conntrackd_cache_update_failures", "Updates that failed", &CacheCounters::update_failed},
    {"conntrackd_cache_update_not_found", "Updates of objects the cache did not hold",
     &CacheCounters::upd_not_found},
    {"conntrackd_cache_deletes", "Objects removed from the cache", &CacheCounters::destroyed},
    {"conntrackd_cache_delete_failures", "Removals that failed", &CacheCounters::destroy_failed},
    {"conntrackd_cache_delete_not_found", "Removals of objects the cache did not hold",
     &CacheCounters::del_not_found},
};

void put_caches(MetricsWriter& w, const CacheRows& r) {
  if (r.n == 0) return;
  auto labels = [&](const CacheRow& row, MetricLabel (&l)[2]) {
    l[0] = {"cache", row.cache};
    l[1] = {"table", row.table};
  };
  MetricLabel l[2];
  w.family("conntrackd_cache_entries", MetricType::kGauge, "Objects the cache holds");
  for (unsigned i = 0; i < r.n; i++) {
    labels(r.rows[i], l);
    w.sample(l, r.rows[i].entries);
  }
  w.family("conntrackd_cache_active", MetricType::kGauge, "Active objects of the cache");
  for (unsigned i = 0; i < r.n; i++) {
    labels(r.rows[i], l);
    w.sample(l, r.rows[i].c->active);
  }
  for (const CacheField& f : kCacheCounters) {
    w.family(f.name, MetricType::kCounter, f.help);
    for (unsigned i = 0; i < r.n; i++) {
      labels(r.rows[i], l);
      w.sample(l, r.rows[i].c->*f.field);
    }
  }
}

// DisableInternalCache / DisableExternalCache: the counters that replace
// the cache's, for conntrack and (with ExpectationSync) expect.
void put_bypass(MetricsWriter& w, const StatsView& v) {
  if (!v.internal_bypass) return;
  struct F { const char* name; const char* help; uint32_t BypassCounters::*f; };
  constexpr F fs[] = {
      {"conntrackd_internal_bypass_new", "New objects seen with the internal cache disabled",
       &BypassCounters::created},
      {"conntrackd_internal_bypass_updates", "Updates seen with the internal cache disabled",
       &BypassCounters::updated},
      {"conntrackd_internal_bypass_deletes", "Removals seen with the internal cache disabled",
       &BypassCounters::destroyed}};
  for (const F& f : fs) {
    w.family(f.name, MetricType::kCounter, f.help);
    MetricLabel ct[] = {{"table", "conntrack"}};
    w.sample(ct, v.bypass.*f.f);
    if (v.expect_sync) {
      MetricLabel ex[] = {{"table", "expect"}};
      w.sample(ex, v.exp_bypass.*f.f);
    }
  }
}

void put_inject(MetricsWriter& w, const StatsView& v) {
  if (!v.external_inject) return;
  struct F { const char* name; const char* help; uint32_t InjectCounters::*f; };
  constexpr F fs[] = {
      {"conntrackd_external_inject_inserts", "Peers' objects created in the kernel",
       &InjectCounters::add_ok},
      {"conntrackd_external_inject_insert_failures", "Peers' objects the kernel refused",
       &InjectCounters::add_fail},
      {"conntrackd_external_inject_updates", "Peers' updates applied to the kernel",
       &InjectCounters::upd_ok},
      {"conntrackd_external_inject_update_failures", "Peers' updates the kernel refused",
       &InjectCounters::upd_fail},
      {"conntrackd_external_inject_deletes", "Peers' removals applied to the kernel",
       &InjectCounters::del_ok},
      {"conntrackd_external_inject_delete_failures", "Peers' removals the kernel refused",
       &InjectCounters::del_fail}};
  for (const F& f : fs) {
    w.family(f.name, MetricType::kCounter, f.help);
    MetricLabel ct[] = {{"table", "conntrack"}};
    w.sample(ct, v.inject.*f.f);
    if (v.expect_sync) {
      MetricLabel ex[] = {{"table", "expect"}};
      w.sample(ex, v.exp_inject.*f.f);
    }
  }
}

// A family with one unlabelled sample, read from the view by `get`: most
// families are such, and a table of them is smaller than a call for each.
struct Scalar {
  const char* name;
  const char* help;
  MetricType type;
  const char* unit;
  uint64_t (*get)(const StatsView&);
};

void put_scalars(MetricsWriter& w, const StatsView& v, std::span<const Scalar> table) {
  for (const Scalar& s : table) {
    w.family(s.name, s.type, s.help, s.unit);
    w.sample(s.get(v));
  }
}

constexpr MetricType kC = MetricType::kCounter;
constexpr MetricType kG = MetricType::kGauge;

constexpr Scalar kTraffic[] = {
    {"conntrackd_traffic_bytes", "Bytes of the flows that ended (kernel accounting)", kC, "bytes",
     [](const StatsView& v) -> uint64_t { return v.traffic.bytes; }},
    {"conntrackd_traffic_packets", "Packets of the flows that ended (kernel accounting)", kC, "",
     [](const StatsView& v) -> uint64_t { return v.traffic.packets; }},
};

const char* proto_name(ChannelProto p) {
  switch (p) {
    case ChannelProto::kMulticast: return "multicast";
    case ChannelProto::kTcp: return "tcp";
    default: return "udp";
  }
}

void put_links(MetricsWriter& w, const SyncStats& s) {
  const unsigned n = s.nchannels < kMaxChannels ? s.nchannels : kMaxChannels;
  if (n == 0) return;
  char idx[kMaxChannels][4];
  for (unsigned i = 0; i < n; i++) {
    base::LineBuf<4> b;
    b.put_u64(i);
    b.view().copy(idx[i], 3);
    idx[i][b.size() < 3 ? b.size() : 3] = '\0';
  }
  auto link = [&](unsigned i, MetricLabel (&l)[2]) {
    l[0] = {"link", idx[i]};
    l[1] = {"iface", s.channels[i].ifname};
  };
  w.family("conntrackd_link", MetricType::kInfo, "A sync channel (link) and its state");
  for (unsigned i = 0; i < n; i++) {
    const ChannelStats& c = s.channels[i];
    MetricLabel l[] = {{"link", idx[i]},
                       {"iface", c.ifname},
                       {"proto", proto_name(c.proto)},
                       {"status", c.status},
                       {"role", i == s.current ? "ACTIVE" : "BACKUP"}};
    w.info(l);
  }
  w.family("conntrackd_link_active", MetricType::kGauge,
           "1 for the channel the daemon sends on, else 0");
  for (unsigned i = 0; i < n; i++) {
    MetricLabel l[2];
    link(i, l);
    w.sample(l, i == s.current ? 1 : 0);
  }
  struct F { const char* name; const char* help; const char* unit; uint64_t ChannelStats::*f; };
  constexpr F fs[] = {
      {"conntrackd_link_sent_bytes", "Bytes sent on the channel", "bytes", &ChannelStats::bytes_sent},
      {"conntrackd_link_received_bytes", "Bytes received on the channel", "bytes",
       &ChannelStats::bytes_recv},
      {"conntrackd_link_sent_packets", "Packets sent on the channel", "", &ChannelStats::pkts_sent},
      {"conntrackd_link_received_packets", "Packets received on the channel", "",
       &ChannelStats::pkts_recv},
      {"conntrackd_link_sent_messages", "Sync messages sent on the channel", "",
       &ChannelStats::msgs_sent},
      {"conntrackd_link_received_messages", "Valid sync messages received on the channel", "",
       &ChannelStats::msgs_recv},
      {"conntrackd_link_send_errors", "Failed sends on the channel", "", &ChannelStats::err_sent},
      {"conntrackd_link_receive_errors", "Failed receives on the channel", "",
       &ChannelStats::err_recv},
  };
  for (const F& f : fs) {
    w.family(f.name, MetricType::kCounter, f.help, f.unit);
    for (unsigned i = 0; i < n; i++) {
      MetricLabel l[2];
      link(i, l);
      w.sample(l, s.channels[i].*f.f);
    }
  }
  bool tcp = false;
  for (unsigned i = 0; i < n; i++) tcp |= s.channels[i].proto == ChannelProto::kTcp;
  if (!tcp) return;
  w.family("conntrackd_link_tcp_connected", MetricType::kGauge,
           "1 while the TCP channel's server or client side is connected");
  for (unsigned i = 0; i < n; i++) {
    const ChannelStats& c = s.channels[i];
    if (c.proto != ChannelProto::kTcp) continue;
    MetricLabel srv[] = {{"link", idx[i]}, {"iface", c.ifname}, {"side", "server"}};
    w.sample(srv, c.tcp_server_connected ? 1 : 0);
    MetricLabel cli[] = {{"link", idx[i]}, {"iface", c.ifname}, {"side", "client"}};
    w.sample(cli, c.tcp_client_connected ? 1 : 0);
  }
}

// -s network: upstream's counters, then ours by precise reason.
constexpr Scalar kNetworkTotal[] = {
    {"conntrackd_sync_receive_malformed", "Received sync messages dropped as malformed (all reasons)",
     kC, "", [](const StatsView& v) -> uint64_t { return v.sync.net.malformed; }},
};
constexpr Scalar kNetworkRest[] = {
    {"conntrackd_sync_send_malformed", "Sync messages that could not be encoded", kC, "",
     [](const StatsView& v) -> uint64_t { return v.sync.net.send_malformed; }},
    {"conntrackd_sync_sequence_lost", "Sync messages lost, from gaps in the peer's sequence numbers",
     kC, "", [](const StatsView& v) -> uint64_t { return v.sync.net.lost; }},
    {"conntrackd_sync_sequence_before", "Sync messages that arrived with an old sequence number",
     kC, "", [](const StatsView& v) -> uint64_t { return v.sync.net.before; }},
};

void put_network(MetricsWriter& w, const StatsView& v) {
  const NetworkCounters& n = v.sync.net;
  put_scalars(w, v, kNetworkTotal);
  w.family("conntrackd_sync_receive_errors", MetricType::kCounter,
           "Received sync messages dropped, by upstream's -s network category");
  const struct { const char* kind; uint32_t v; } kinds[] = {
      {"bad_version", n.bad_version}, {"bad_header", n.bad_header},
      {"bad_payload", n.bad_payload}, {"bad_type", n.bad_type},
      {"truncated", n.truncated},     {"bad_size", n.bad_size}};
  for (const auto& k : kinds) {
    MetricLabel l[] = {{"kind", k.kind}};
    w.sample(l, k.v);
  }
  w.family("conntrackd_sync_receive_drops", MetricType::kCounter,
           "Received sync messages dropped, by precise reason");
  for (unsigned i = 1;
       i < static_cast<unsigned>(ctsync::DropReason::kCount) && i < NetworkCounters::kReasons; i++) {
    MetricLabel l[] = {{"reason", ctsync::drop_reason_name(static_cast<ctsync::DropReason>(i))}};
    w.sample(l, n.by_reason[i]);
  }
  put_scalars(w, v, kNetworkRest);
}

constexpr Scalar kQueueNodes[] = {
    {"conntrackd_queue_allocated_nodes", "Control messages allocated for the sync queues", kG, "",
     [](const StatsView& v) -> uint64_t { return v.sync.queue_nodes; }},
};
constexpr Scalar kResendQueue[] = {
    {"conntrackd_resend_queue_length", "FT-FW: messages kept until the peer acknowledges them", kG,
     "", [](const StatsView& v) -> uint64_t { return v.sync.rsqueue_len; }},
    {"conntrackd_resend_queue_stale_resent", "FT-FW: objects sent again after a lost ACK or NACK",
     kC, "", [](const StatsView& v) -> uint64_t { return v.sync.rsqueue_stale_resent; }},
};

void put_queues(MetricsWriter& w, const StatsView& v) {
  const SyncStats& s = v.sync;
  const unsigned n = s.nqueues < kMaxStatsQueues ? s.nqueues : kMaxStatsQueues;
  put_scalars(w, v, kQueueNodes);
  w.family("conntrackd_queue_elements", MetricType::kGauge, "Objects on the queue");
  for (unsigned i = 0; i < n; i++) {
    MetricLabel l[] = {{"queue", s.queues[i].name}};
    w.sample(l, s.queues[i].current);
  }
  w.family("conntrackd_queue_max_elements", MetricType::kGauge, "The queue's limit");
  for (unsigned i = 0; i < n; i++) {
    MetricLabel l[] = {{"queue", s.queues[i].name}};
    w.sample(l, s.queues[i].max);
  }
  w.family("conntrackd_queue_no_space", MetricType::kCounter,
           "Objects the queue had no room for");
  for (unsigned i = 0; i < n; i++) {
    MetricLabel l[] = {{"queue", s.queues[i].name}};
    w.sample(l, s.queues[i].no_space);
  }
  if (v.ftfw) put_scalars(w, v, kResendQueue);
}

constexpr Scalar kCommitRuns[] = {
    {"conntrackd_commit_runs", "Finished commits of the external cache (-c)", kC, "",
     [](const StatsView& v) -> uint64_t { return v.commit.runs; }},
};
constexpr Scalar kCommitRunning[] = {
    {"conntrackd_commit_in_progress", "1 while a commit runs", kG, "",
     [](const StatsView& v) -> uint64_t { return v.commit.running ? 1 : 0; }},
};

void put_commit(MetricsWriter& w, const StatsView& v) {
  const CommitStats& c = v.commit;
  put_scalars(w, v, kCommitRuns);
  MetricLabel ct[] = {{"table", "conntrack"}};
  MetricLabel ex[] = {{"table", "expect"}};
  w.family("conntrackd_commit_committed", MetricType::kCounter, "Objects committed to the kernel");
  w.sample(ct, c.ct_ok);
  if (v.expect_sync) w.sample(ex, c.exp_ok);
  w.family("conntrackd_commit_failed", MetricType::kCounter,
           "Objects the kernel refused during a commit");
  w.sample(ct, c.ct_failed);
  if (v.expect_sync) w.sample(ex, c.exp_failed);
  w.family("conntrackd_commit_last_duration_seconds", MetricType::kGauge,
           "How long the last finished commit took", "seconds");
  w.sample_fixed({}, c.last_duration_us, 6);
  put_scalars(w, v, kCommitRunning);
}

#define CTD_RT(field) [](const StatsView& v) -> uint64_t { return v.runtime.field; }
constexpr Scalar kRuntime[] = {
    {"conntrackd_uptime_seconds", "Seconds since the daemon started", kG, "seconds",
     [](const StatsView& v) -> uint64_t {
       const int64_t up = v.now - static_cast<int64_t>(v.runtime.started);
       return up > 0 ? static_cast<uint64_t>(up) : 0;
     }},
    {"conntrackd_start_time_seconds", "When the daemon started, in seconds since the Unix epoch",
     kG, "seconds",
     [](const StatsView& v) -> uint64_t {
       return v.runtime.started > 0 ? static_cast<uint64_t>(v.runtime.started) : 0;
     }},
    {"conntrackd_netlink_events_received", "Kernel events read", kC, "", CTD_RT(events_received)},
    {"conntrackd_netlink_events_filtered", "Kernel events the filters dropped", kC, "",
     CTD_RT(events_filtered)},
    {"conntrackd_netlink_events_unknown_type", "Kernel events of an unknown type", kC, "",
     CTD_RT(events_unknown)},
    {"conntrackd_netlink_catch_event_failed", "Kernel events that could not be handled", kC, "",
     CTD_RT(catch_failed)},
    {"conntrackd_netlink_dump_unknown_type", "Dumped objects of an unknown type", kC, "",
     CTD_RT(dump_unknown)},
    {"conntrackd_netlink_overruns", "Event socket overruns (ENOBUFS: events were lost)", kC, "",
     CTD_RT(nl_overrun)},
    {"conntrackd_kernel_flushes", "Kernel table flushes", kC, "", CTD_RT(flush_kernel)},
    {"conntrackd_kernel_resyncs", "Resyncs with the kernel table", kC, "", CTD_RT(resync_kernel)},
    {"conntrackd_child_failed", "Child processes that died of a signal", kC, "",
     CTD_RT(child_failed)},
    {"conntrackd_child_segfault", "Child processes that crashed (SIGSEGV)", kC, "",
     CTD_RT(child_segv)},
    {"conntrackd_child_termsig", "Child processes ended by a termination signal", kC, "",
     CTD_RT(child_termsig)},
    {"conntrackd_select_failed", "Failed waits of the main loop", kC, "", CTD_RT(select_failed)},
    {"conntrackd_wait_failed", "Failed waits for child processes", kC, "", CTD_RT(wait_failed)},
    {"conntrackd_control_read_failed", "Control requests that could not be read", kC, "",
     CTD_RT(local_read_failed)},
    {"conntrackd_control_unknown_requests", "Control requests of an unknown code", kC, "",
     CTD_RT(local_unknown_req)},
    {"conntrackd_netlink_buffer_bytes", "Receive buffer size of the event socket", kG, "bytes",
     CTD_RT(buffer_size)},
};
#undef CTD_RT

void put_processes(MetricsWriter& w, const StatsView& v) {
  w.family("conntrackd_child_processes", MetricType::kGauge, "Child processes running, by type");
  for (const char* type : {"any", "flush", "commit"}) {
    uint64_t count = 0;
    for (unsigned i = 0; i < v.nprocs && i < kMaxStatsProcesses; i++)
      count += std::string_view(v.procs[i].type) == type;
    MetricLabel l[] = {{"type", type}};
    w.sample(l, count);
  }
}

}  // namespace

void stats_render_metrics(base::OutBuf& out, const StatsView& v) {
  MetricsWriter w(out);
  w.family("conntrackd_daemon", MetricType::kInfo, "The daemon's mode");
  MetricLabel mode[] = {{"mode", v.mode_name},
                        {"expectation_sync", v.sync_mode && v.expect_sync ? "1" : "0"}};
  w.info(mode);
  CacheRows rows;
  if (v.sync_mode) {
    if (!v.internal_bypass) rows.add("internal", "conntrack", v.internal, v.internal_entries);
    if (!v.external_inject) rows.add("external", "conntrack", v.external, v.external_entries);
    if (v.expect_sync) {
      if (!v.internal_bypass)
        rows.add("internal", "expect", v.exp_internal, v.exp_internal_entries);
      if (!v.external_inject)
        rows.add("external", "expect", v.exp_external, v.exp_external_entries);
    }
  } else if (v.stats_mode) {
    rows.add("stats", "conntrack", v.internal, v.internal_entries);
  }
  put_caches(w, rows);
  if (v.sync_mode) {
    put_bypass(w, v);
    put_inject(w, v);
  }
  if (v.sync_mode || v.stats_mode) put_scalars(w, v, kTraffic);
  if (v.sync_mode) {
    put_links(w, v.sync);
    put_network(w, v);
    put_queues(w, v);
    put_commit(w, v);
  }
  put_scalars(w, v, kRuntime);
  put_processes(w, v);
  w.finish();
}

}  // namespace ctd
