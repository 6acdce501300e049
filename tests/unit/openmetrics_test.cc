// base::MetricsWriter (the OpenMetrics rules it enforces) and
// conntrackd's -s metrics renderer over a StatsView.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "base/openmetrics.h"
#include "conntrack/stats_table.h"
#include "conntrackd/control/stats_format.h"

namespace {

using base::MetricLabel;
using base::MetricsWriter;
using base::MetricType;

struct Buf {
  char storage[1 << 16];
  base::OutBuf out{-1, storage, sizeof(storage)};
  std::string str() const { return std::string(out.view()); }
};

TEST(OpenMetricsWriter, CounterGaugeInfoAndEof) {
  Buf b;
  MetricsWriter w(b.out);
  ASSERT_TRUE(w.family("x_sent_bytes", MetricType::kCounter, "Bytes sent", "bytes"));
  MetricLabel l[] = {{"link", "0"}, {"iface", "eth0"}};
  w.sample(l, 42);
  ASSERT_TRUE(w.family("x_up", MetricType::kGauge, ""));
  w.sample_signed({}, -3);
  ASSERT_TRUE(w.family("x_build", MetricType::kInfo, "Build"));
  MetricLabel v[] = {{"version", "1"}};
  w.info(v);
  ASSERT_TRUE(w.family("x_last_duration_seconds", MetricType::kGauge, "d", "seconds"));
  w.sample_fixed({}, 1234567, 6);
  w.finish();
  w.finish();  // once only
  EXPECT_EQ(b.str(),
            "# TYPE x_sent_bytes counter\n"
            "# UNIT x_sent_bytes bytes\n"
            "# HELP x_sent_bytes Bytes sent\n"
            "x_sent_bytes_total{link=\"0\",iface=\"eth0\"} 42\n"
            "# TYPE x_up gauge\n"
            "x_up -3\n"
            "# TYPE x_build info\n"
            "# HELP x_build Build\n"
            "x_build_info{version=\"1\"} 1\n"
            "# TYPE x_last_duration_seconds gauge\n"
            "# UNIT x_last_duration_seconds seconds\n"
            "# HELP x_last_duration_seconds d\n"
            "x_last_duration_seconds 1.234567\n"
            "# EOF\n");
}

TEST(OpenMetricsWriter, EscapesLabelValuesAndHelp) {
  Buf b;
  MetricsWriter w(b.out);
  ASSERT_TRUE(w.family("x_info_like", MetricType::kGauge, "a \\ b \"c\"\nd"));
  MetricLabel l[] = {{"iface", "a\\b\"c\nd"}};
  w.sample(l, 1);
  w.finish();
  EXPECT_EQ(b.str(),
            "# TYPE x_info_like gauge\n"
            "# HELP x_info_like a \\\\ b \\\"c\\\"\\nd\n"
            "x_info_like{iface=\"a\\\\b\\\"c\\nd\"} 1\n"
            "# EOF\n");
}

TEST(OpenMetricsWriter, RefusesWhatTheFormatForbids) {
  Buf b;
  MetricsWriter w(b.out);
  EXPECT_FALSE(w.family("", MetricType::kGauge, ""));
  EXPECT_FALSE(w.family("9lives", MetricType::kGauge, ""));
  EXPECT_FALSE(w.family("a-b", MetricType::kGauge, ""));
  EXPECT_FALSE(w.family("x_total", MetricType::kCounter, ""));     // reserved suffix
  EXPECT_FALSE(w.family("x_created", MetricType::kCounter, ""));
  EXPECT_FALSE(w.family("x_info", MetricType::kInfo, ""));
  EXPECT_FALSE(w.family("x_bytes", MetricType::kGauge, "", "seconds"));  // unit not suffix
  EXPECT_FALSE(w.family("xbytes", MetricType::kGauge, "", "bytes"));     // no "_" before it
  w.sample(1);  // no family: dropped
  EXPECT_TRUE(w.family("ns:x_y", MetricType::kGauge, ""));
  MetricLabel bad[] = {{"9", "v"}};
  w.sample(bad, 1);  // invalid label name: dropped
  MetricLabel colon[] = {{"a:b", "v"}};
  w.sample(colon, 1);  // label names take no colon
  w.sample(2);
  EXPECT_FALSE(w.family("ns:x_y", MetricType::kGauge, ""));  // repeated: refused
  w.sample(3);                                              // and its samples dropped
  w.family("c", MetricType::kCounter, "");
  w.sample_fixed({}, 5, 1);  // counters take integers only
  w.sample_signed({}, -1);
  w.finish();
  w.family("late", MetricType::kGauge, "");  // after # EOF: nothing
  w.sample(4);
  EXPECT_EQ(b.str(), "# TYPE ns:x_y gauge\nns:x_y 2\n# TYPE c counter\n# EOF\n");
}

TEST(OpenMetricsWriter, FixedPoint) {
  Buf b;
  MetricsWriter w(b.out);
  w.family("g", MetricType::kGauge, "");
  w.sample_fixed({}, 5, 6);
  MetricLabel l[] = {{"k", "v"}};
  w.sample_fixed(l, 3000000, 6);
  w.finish();
  EXPECT_EQ(b.str(), "# TYPE g gauge\ng 0.000005\ng{k=\"v\"} 3.000000\n# EOF\n");
}

// ---- conntrack -S -o openmetrics -----------------------------------------------

TEST(ConntrackStatTable, FamilyByFamilyAcrossCpus) {
  static conntrack::StatTable t;  // large: as the program's, static
  t.reset();
  t.begin_cpu(0);
  t.put("found", 0, 1);
  t.put("entries", 0, 7);
  t.begin_cpu(3);
  t.put("found", 0, 2);
  t.put("unknown", 2, 9);  // a newer kernel's counter
  Buf b;
  t.write(b.out);
  EXPECT_EQ(b.str(),
            "# TYPE conntrack_stats_found counter\n"
            "# HELP conntrack_stats_found conntrack -S counter found\n"
            "conntrack_stats_found_total{cpu=\"0\"} 1\n"
            "conntrack_stats_found_total{cpu=\"3\"} 2\n"
            "# TYPE conntrack_stats_entries gauge\n"
            "# HELP conntrack_stats_entries Entries in the table (conntrack -S, /proc)\n"
            "conntrack_stats_entries{cpu=\"0\"} 7\n"
            "# TYPE conntrack_stats_unknown2 counter\n"
            "# HELP conntrack_stats_unknown2 conntrack -S counter unknown2\n"
            "conntrack_stats_unknown2_total{cpu=\"3\"} 9\n"
            "# EOF\n");
  t.reset();
  Buf e;
  t.write(e.out);
  EXPECT_EQ(e.str(), "# EOF\n");
}

// ---- conntrackd -s metrics ---------------------------------------------------

ctd::StatsView sync_view() {
  ctd::StatsView v;
  v.sync_mode = true;
  v.expect_sync = true;
  v.ftfw = true;
  v.mode_name = "ftfw";
  v.internal.active = 3;
  v.internal.created = 3;
  v.internal_entries = 3;
  v.external.created = 7;
  v.external.no_space = 2;
  v.external_entries = 5;
  v.exp_internal_entries = 1;
  v.runtime.started = 1000;
  v.runtime.nl_overrun = 4;
  v.now = 1059;
  v.sync.nchannels = 2;
  v.sync.current = 1;
  v.sync.channels[0].proto = ctd::ChannelProto::kUdp;
  std::strcpy(v.sync.channels[0].ifname, "eth0");
  v.sync.channels[0].status = "DOWN";
  v.sync.channels[1].proto = ctd::ChannelProto::kTcp;
  std::strcpy(v.sync.channels[1].ifname, "eth1");
  v.sync.channels[1].bytes_sent = 276;
  v.sync.channels[1].msgs_recv = 9;
  v.sync.channels[1].tcp_client_connected = true;
  v.sync.net.malformed = 2;
  v.sync.net.truncated = 1;
  v.sync.net.bad_payload = 1;
  v.sync.net.by_reason[1] = 1;  // truncated
  v.sync.net.by_reason[7] = 1;  // unknown_attribute
  v.sync.nqueues = 1;
  v.sync.queues[0] = {"rsqueue", 3, 131072, 1};
  v.sync.rsqueue_len = 3;
  v.commit.runs = 2;
  v.commit.ct_ok = 10;
  v.commit.exp_failed = 1;
  v.commit.last_duration_us = 1500;
  v.nprocs = 1;
  v.procs[0] = {42, "commit"};
  return v;
}

std::string metrics(const ctd::StatsView& v) {
  Buf b;
  ctd::stats_render_metrics(b.out, v);
  return b.str();
}

std::vector<std::string> families(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = text.find("# TYPE ", at)) != std::string::npos) {
    at += 7;
    out.push_back(text.substr(at, text.find(' ', at) - at));
  }
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST(ConntrackdMetrics, SyncModeEveryFamilyOnceAndTheCountersInPlace) {
  const std::string m = metrics(sync_view());
  ASSERT_GE(m.size(), 6u);
  EXPECT_EQ(m.substr(m.size() - 6), "# EOF\n");
  const std::vector<std::string> f = families(m);
  EXPECT_EQ(std::set<std::string>(f.begin(), f.end()).size(), f.size());
  // Every family the renderer knows: a refused one (bad name, reserved
  // suffix, wrong unit) would be missing here.
  const char* want[] = {
      "conntrackd_daemon", "conntrackd_cache_entries", "conntrackd_cache_active",
      "conntrackd_cache_inserts", "conntrackd_cache_insert_failures",
      "conntrackd_cache_insert_no_memory", "conntrackd_cache_insert_no_space",
      "conntrackd_cache_updates", "conntrackd_cache_update_failures",
      "conntrackd_cache_update_not_found", "conntrackd_cache_deletes",
      "conntrackd_cache_delete_failures", "conntrackd_cache_delete_not_found",
      "conntrackd_traffic_bytes", "conntrackd_traffic_packets", "conntrackd_link",
      "conntrackd_link_active", "conntrackd_link_sent_bytes", "conntrackd_link_received_bytes",
      "conntrackd_link_sent_packets", "conntrackd_link_received_packets",
      "conntrackd_link_sent_messages", "conntrackd_link_received_messages",
      "conntrackd_link_send_errors", "conntrackd_link_receive_errors",
      "conntrackd_link_tcp_connected", "conntrackd_sync_receive_malformed",
      "conntrackd_sync_receive_errors", "conntrackd_sync_receive_drops",
      "conntrackd_sync_send_malformed", "conntrackd_sync_sequence_lost",
      "conntrackd_sync_sequence_before", "conntrackd_queue_allocated_nodes",
      "conntrackd_queue_elements", "conntrackd_queue_max_elements", "conntrackd_queue_no_space",
      "conntrackd_resend_queue_length", "conntrackd_resend_queue_stale_resent",
      "conntrackd_commit_runs", "conntrackd_commit_committed", "conntrackd_commit_failed",
      "conntrackd_commit_last_duration_seconds", "conntrackd_commit_in_progress",
      "conntrackd_uptime_seconds", "conntrackd_start_time_seconds",
      "conntrackd_netlink_events_received", "conntrackd_netlink_events_filtered",
      "conntrackd_netlink_events_unknown_type", "conntrackd_netlink_catch_event_failed",
      "conntrackd_netlink_dump_unknown_type", "conntrackd_netlink_overruns",
      "conntrackd_kernel_flushes", "conntrackd_kernel_resyncs", "conntrackd_child_failed",
      "conntrackd_child_segfault", "conntrackd_child_termsig", "conntrackd_select_failed",
      "conntrackd_wait_failed", "conntrackd_control_read_failed",
      "conntrackd_control_unknown_requests", "conntrackd_netlink_buffer_bytes",
      "conntrackd_child_processes"};
  EXPECT_EQ(f, std::vector<std::string>(std::begin(want), std::end(want)));
  for (const char* line : {
           "conntrackd_daemon_info{mode=\"ftfw\",expectation_sync=\"1\"} 1",
           "conntrackd_cache_entries{cache=\"external\",table=\"conntrack\"} 5",
           "conntrackd_cache_entries{cache=\"internal\",table=\"expect\"} 1",
           "conntrackd_cache_inserts_total{cache=\"external\",table=\"conntrack\"} 7",
           "conntrackd_cache_insert_no_space_total{cache=\"external\",table=\"conntrack\"} 2",
           "conntrackd_link_info{link=\"0\",iface=\"eth0\",proto=\"udp\",status=\"DOWN\","
           "role=\"BACKUP\"} 1",
           "conntrackd_link_info{link=\"1\",iface=\"eth1\",proto=\"tcp\",status=\"RUNNING\","
           "role=\"ACTIVE\"} 1",
           "conntrackd_link_active{link=\"1\",iface=\"eth1\"} 1",
           "conntrackd_link_sent_bytes_total{link=\"1\",iface=\"eth1\"} 276",
           "conntrackd_link_received_messages_total{link=\"1\",iface=\"eth1\"} 9",
           "conntrackd_link_tcp_connected{link=\"1\",iface=\"eth1\",side=\"client\"} 1",
           "conntrackd_link_tcp_connected{link=\"1\",iface=\"eth1\",side=\"server\"} 0",
           "conntrackd_sync_receive_malformed_total 2",
           "conntrackd_sync_receive_errors_total{kind=\"truncated\"} 1",
           "conntrackd_sync_receive_errors_total{kind=\"bad_payload\"} 1",
           "conntrackd_sync_receive_drops_total{reason=\"truncated\"} 1",
           "conntrackd_sync_receive_drops_total{reason=\"unknown_attribute\"} 1",
           "conntrackd_sync_receive_drops_total{reason=\"missing_attribute\"} 0",
           "conntrackd_queue_no_space_total{queue=\"rsqueue\"} 1",
           "conntrackd_resend_queue_length 3",
           "conntrackd_commit_runs_total 2",
           "conntrackd_commit_committed_total{table=\"conntrack\"} 10",
           "conntrackd_commit_failed_total{table=\"expect\"} 1",
           "conntrackd_commit_last_duration_seconds 0.001500",
           "conntrackd_uptime_seconds 59",
           "conntrackd_start_time_seconds 1000",
           "conntrackd_netlink_overruns_total 4",
           "conntrackd_child_processes{type=\"commit\"} 1",
           "conntrackd_child_processes{type=\"flush\"} 0",
       })
    EXPECT_TRUE(has_line(m, line)) << line;
  EXPECT_EQ(m.find("reason=\"none\""), std::string::npos);
}

TEST(ConntrackdMetrics, BypassAndInjectReplaceTheirCaches) {
  ctd::StatsView v = sync_view();
  v.internal_bypass = true;
  v.external_inject = true;
  v.bypass.created = 6;
  v.exp_inject.add_fail = 2;
  const std::string m = metrics(v);
  EXPECT_EQ(m.find("conntrackd_cache_"), std::string::npos);
  EXPECT_TRUE(has_line(m, "conntrackd_internal_bypass_new_total{table=\"conntrack\"} 6"));
  EXPECT_TRUE(
      has_line(m, "conntrackd_external_inject_insert_failures_total{table=\"expect\"} 2"));
}

TEST(ConntrackdMetrics, StatsModeAndNoMode) {
  ctd::StatsView v;
  v.sync_mode = false;
  v.stats_mode = true;
  v.mode_name = "stats";
  v.internal_entries = 2;
  std::string m = metrics(v);
  EXPECT_TRUE(has_line(m, "conntrackd_cache_entries{cache=\"stats\",table=\"conntrack\"} 2"));
  EXPECT_EQ(m.find("conntrackd_link"), std::string::npos);
  EXPECT_EQ(m.find("conntrackd_commit"), std::string::npos);
  EXPECT_NE(m.find("# TYPE conntrackd_traffic_bytes counter"), std::string::npos);
  v.stats_mode = false;
  v.mode_name = "none";
  m = metrics(v);
  EXPECT_EQ(m.find("conntrackd_cache"), std::string::npos);
  EXPECT_EQ(m.find("conntrackd_traffic"), std::string::npos);
  EXPECT_NE(m.find("conntrackd_uptime_seconds"), std::string::npos);
  EXPECT_EQ(m.substr(m.size() - 6), "# EOF\n");
}

}  // namespace
