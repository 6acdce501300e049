// conntrackd.conf parser: every keyword, every error, and the scanner
// quirks, with expectations taken from Debian's conntrackd 1.4.7 run on the
// same text (see the report of the config work for the list of checks).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <string>

#include "conntrackd/config/config.h"
#include "conntrackd/config/config_lexer.h"

namespace {

struct Parsed {
  bool ok;
  ctd::Config* cfg;
  ctd::ConfigDiag* diag;
};

// Config is large (filter pool): keep it off the stack.
Parsed parse(const std::string& text) {
  static ctd::Config cfg;
  static ctd::ConfigDiag diag;
  cfg = ctd::Config{};
  diag = ctd::ConfigDiag{};
  bool ok = ctd::config_parse(text, "test.conf", &cfg, &diag);
  return {ok, &cfg, &diag};
}

std::string err(const std::string& text) {
  Parsed p = parse(text);
  EXPECT_FALSE(p.ok) << text;
  return p.diag->error.message;
}

std::string warnings(const Parsed& p) {
  std::string s;
  for (int i = 0; i < p.diag->nwarnings; i++) s += std::string(p.diag->warnings[i]) + "|";
  return s;
}

const char* kUdp = "UDP { Interface lo IPv4_address 127.0.0.1 IPv4_Destination_Address 127.0.0.2 Port 3780 }";

TEST(ConntrackdConfig, EmptyFileGetsDefaults) {
  Parsed p = parse("# nothing\n");
  ASSERT_TRUE(p.ok);
  const ctd::Config& c = *p.cfg;
  EXPECT_FALSE(c.sync);
  EXPECT_FALSE(c.stats);
  EXPECT_EQ(c.hashsize, 65536u);
  EXPECT_EQ(c.hashlimit, 262144u);
  EXPECT_STREQ(c.lockfile, "/var/lock/conntrackd.lock");
  EXPECT_EQ(c.refresh, 60u);
  EXPECT_EQ(c.cache_timeout, 180u);
  EXPECT_EQ(c.commit_timeout, 0u);
  EXPECT_EQ(c.purge_timeout, 60u);
  EXPECT_EQ(c.resend_queue_size, 131072u);
  EXPECT_EQ(c.window_size, 300u);
  EXPECT_EQ(c.event_iterations_limit, 100u);
  EXPECT_EQ(c.netlink_overrun_resync, 30);
  EXPECT_EQ(c.error_queue_length, 128u);
  EXPECT_EQ(c.commit_steps, 8192u);
  EXPECT_EQ(c.syslog_facility, ctd::kSyslogOff);
  EXPECT_TRUE(c.systemd);
  EXPECT_EQ(c.sync_mode(), ctd::SyncMode::kFtfw);
}

TEST(ConntrackdConfig, GeneralEveryKeyword) {
  Parsed p = parse(
      "General {\n HashSize 1024 HashLimit 4096 LogFile /tmp/x.log Syslog local3\n"
      " LockFile /tmp/l.lock UNIX { Path /tmp/s.ctl Backlog 20 }\n"
      " NetlinkBufferSize 2000000 NetlinkBufferSizeMaxGrowth 8000000\n"
      " NetlinkOverrunResync off NetlinkEventsReliable on EventIterationLimit 50\n"
      " PollSecs 5 Nice -1 Scheduler { Type rr Priority 9 } Systemd off\n}\n");
  ASSERT_TRUE(p.ok) << p.diag->error.message;
  const ctd::Config& c = *p.cfg;
  EXPECT_EQ(c.hashsize, 1024u);
  EXPECT_EQ(c.hashlimit, 4096u);
  EXPECT_STREQ(c.logfile, "/tmp/x.log");
  EXPECT_EQ(c.syslog_facility, 19 << 3);
  EXPECT_STREQ(c.lockfile, "/tmp/l.lock");
  EXPECT_STREQ(c.unix_path, "/tmp/s.ctl");
  EXPECT_EQ(c.netlink_buffer_size, 2000000u);
  EXPECT_EQ(c.netlink_buffer_size_max_grown, 8000000u);
  EXPECT_EQ(c.netlink_overrun_resync, -1);
  EXPECT_TRUE(c.netlink_events_reliable);
  EXPECT_EQ(c.event_iterations_limit, 50u);
  EXPECT_EQ(c.poll_secs, 5u);
  EXPECT_EQ(c.sched_type, ctd::SchedType::kRr);
  EXPECT_EQ(c.sched_prio, 9);
  EXPECT_FALSE(c.systemd);
  EXPECT_EQ(warnings(p),
            "deprecated unix backlog configuration, ignoring.|deprecated nice configuration, "
            "ignoring. The nice value can be set externally with nice(1) and renice(1).|");
}

// UNIX { Group gid } is ours (control_socket.h); without it no group.
TEST(ConntrackdConfig, UnixGroup) {
  Parsed p = parse("General { UNIX { Path /tmp/s.ctl Group 4242 } }\n");
  ASSERT_TRUE(p.ok) << p.diag->error.message;
  EXPECT_EQ(p.cfg->unix_group, 4242u);
  Parsed q = parse("General { UNIX { Path /tmp/s.ctl } }\n");
  ASSERT_TRUE(q.ok);
  EXPECT_EQ(q.cfg->unix_group, static_cast<gid_t>(-1));
  EXPECT_FALSE(parse("General { UNIX { Path /tmp/s.ctl Group x } }\n").ok);
}

TEST(ConntrackdConfig, AliasesAndBooleans) {
  Parsed p = parse(
      "General { SocketBufferSize 1 SocketBufferSizeMaxGrown 2 SocketBufferSizeMaxGrowth 3 "
      "LogFile on Syslog on NetlinkOverrunResync on NetlinkEventsReliable YeS Systemd || }");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.cfg->netlink_buffer_size, 1u);
  EXPECT_EQ(p.cfg->netlink_buffer_size_max_grown, 3u);
  EXPECT_STREQ(p.cfg->logfile, "/var/log/conntrackd.log");
  EXPECT_EQ(p.cfg->syslog_facility, ctd::kLogDaemon);
  EXPECT_EQ(p.cfg->netlink_overrun_resync, 30);
  EXPECT_TRUE(p.cfg->netlink_events_reliable);
  EXPECT_TRUE(p.cfg->systemd);  // "||" is [o|O][n|N]: upstream's classes contain '|'
  // "|||" fits both [y|Y][e|E][s|S] and [o|O][f|F][f|F]: the earlier rule (true) wins.
  p = parse("General { Systemd ||| NetlinkEventsReliable nO }");
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(p.cfg->systemd);
  EXPECT_FALSE(p.cfg->netlink_events_reliable);
}

TEST(ConntrackdConfig, SyncFtfwEverything) {
  Parsed p = parse(
      "Sync {\n Mode FTFW { ResendQueueSize 10 ACKWindowSize 20 CommitTimeout 3 PurgeTimeout 4 "
      "DisableExternalCache Off StartupResync yes }\n"
      " UDP Default { Interface lo IPv4_address 127.0.0.1 IPv4_Destination_Address 127.0.0.2 "
      "Port 3780 SndSocketBuffer 100000 RcvSocketBuffer 200000 Checksum off }\n"
      " Options { TCPWindowTracking on ExpectationSync { ftp sip ras h323 q.931 FTP } }\n"
      " RefreshTime 7 CacheTimeout 8\n}\n");
  ASSERT_TRUE(p.ok) << p.diag->error.message;
  const ctd::Config& c = *p.cfg;
  EXPECT_TRUE(c.sync);
  EXPECT_EQ(c.sync_mode(), ctd::SyncMode::kFtfw);
  EXPECT_EQ(c.resend_queue_size, 10u);
  EXPECT_EQ(c.window_size, 20u);
  EXPECT_EQ(c.commit_timeout, 3u);
  EXPECT_EQ(c.purge_timeout, 4u);
  EXPECT_TRUE(c.startup_resync);
  EXPECT_EQ(c.refresh, 7u);
  EXPECT_EQ(c.cache_timeout, 8u);
  EXPECT_TRUE(c.tcp_window_tracking);
  EXPECT_TRUE(c.expect_sync);
  ASSERT_EQ(c.nexpect_helpers, 5);  // FTP duplicates ftp (case-insensitive)
  EXPECT_STREQ(c.expect_helpers[4], "q.931");
  ASSERT_EQ(c.channel_num, 1);
  const ctd::ChannelConfig& ch = c.channels[0];
  EXPECT_EQ(ch.proto, ctd::ChannelProto::kUdp);
  EXPECT_TRUE(ch.is_default);
  EXPECT_STREQ(ch.ifname, "lo");
  EXPECT_EQ(ch.family, AF_INET);
  EXPECT_EQ(ch.port, 3780);
  EXPECT_EQ(ch.sndbuf, 100000);
  EXPECT_EQ(ch.rcvbuf, 200000);
  EXPECT_FALSE(ch.checksum);
  uint8_t lo[4] = {127, 0, 0, 1}, peer[4] = {127, 0, 0, 2};
  EXPECT_EQ(memcmp(ch.local, lo, 4), 0);
  EXPECT_EQ(memcmp(ch.dest, peer, 4), 0);
}

TEST(ConntrackdConfig, ModesAndDeprecatedNames) {
  Parsed p = parse(std::string("Sync { Mode NOTRACK { DisableInternalCache on DisableExternalCache on "
                               "StartupResync off CommitTimeout 2 PurgeTimeout 3 } ") + kUdp + " }");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.cfg->sync_mode(), ctd::SyncMode::kNotrack);
  EXPECT_TRUE(p.cfg->internal_cache_disable);
  EXPECT_TRUE(p.cfg->external_cache_disable);
  ctd::config_evaluate(p.cfg, p.diag);  // upstream evaluate(): CommitTimeout dropped
  EXPECT_EQ(p.cfg->commit_timeout, 0u);
  EXPECT_EQ(warnings(p),
            "`CommitTimeout' can't be combined with `DisableExternalCache', ignoring this option. "
            "Fix your configuration file.|");

  p = parse("Sync { Mode aLaRm { RefreshTime 5 CacheTimeout 20 CommitTimeout 3 PurgeTimeout 4 } }");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.cfg->sync_mode(), ctd::SyncMode::kAlarm);
  EXPECT_EQ(p.cfg->cache_timeout, 20u);

  p = parse("Sync { Mode PERSISTENT { } }");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.cfg->sync_mode(), ctd::SyncMode::kAlarm);
  EXPECT_EQ(warnings(p), "Now `persistent' mode is called `alarm'. Please, update your conntrackd.conf file.|");
  // [T|T]: upstream's last class has no lowercase t.
  EXPECT_EQ(err("Sync { Mode persistent { } }"),
            "parsing config file in line (1), symbol 'persistent': syntax error");
  p = parse("Sync { Mode nack { } }");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(warnings(p), "Now `nack' mode is called `ftfw'. Please, update your conntrackd.conf file.\n|");

  // Several Mode blocks: all bits kept, FTFW > ALARM > NOTRACK.
  p = parse("Sync { Mode NOTRACK { } Mode ALARM { } }");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.cfg->sync_mode(), ctd::SyncMode::kAlarm);
}

TEST(ConntrackdConfig, ModeSpecificKeywords) {
  EXPECT_EQ(err("Sync { Mode ALARM { ResendQueueSize 5 } }"),
            "parsing config file in line (1), symbol 'ResendQueueSize': syntax error");
  EXPECT_EQ(err("Sync { Mode FTFW { RefreshTime 5 } }"),
            "parsing config file in line (1), symbol 'RefreshTime': syntax error");
  EXPECT_EQ(err("Sync { Mode NOTRACK { ACKWindowSize 3 } }"),
            "parsing config file in line (1), symbol 'ACKWindowSize': syntax error");
  EXPECT_EQ(err("Sync { Mode FTFW { DisableInternalCache on } }"),
            "parsing config file in line (1), symbol 'DisableInternalCache': syntax error");
  EXPECT_EQ(err("Sync { Mode FOO { } }"), "parsing config file in line (1), symbol 'FOO': syntax error");
}

TEST(ConntrackdConfig, Channels) {
  Parsed p = parse(
      "Sync { Multicast { IPv4_address 225.0.0.50 IPv4_interface 127.0.0.1 Interface lo Group 3780 "
      "SndSocketBuffer 1249280 RcvSocketBuffer 1249280 Checksum off IPv6_interface ::1 } }");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.cfg->channels[0].proto, ctd::ChannelProto::kMulticast);
  EXPECT_EQ(p.cfg->channels[0].port, 3780);
  EXPECT_EQ(warnings(p), "`IPv6_interface' not required, ignoring|");

  p = parse("Sync { TCP { Interface lo IPv6_address ::1 IPv6_Destination_Address ::2 Port 3781 "
            "ErrorQueueLength 10 Checksum on } }");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.cfg->channels[0].family, AF_INET6);
  EXPECT_EQ(p.cfg->channels[0].dest[15], 2);
  EXPECT_EQ(p.cfg->error_queue_length, 10u);

  EXPECT_EQ(err("Sync { Multicast { Port 3780 } }"), "parsing config file in line (1), symbol 'Port': syntax error");
  EXPECT_EQ(err("Sync { UDP { Group 3780 } }"), "parsing config file in line (1), symbol 'Group': syntax error");
  EXPECT_EQ(err("Sync { UDP { ErrorQueueLength 1 } }"),
            "parsing config file in line (1), symbol 'ErrorQueueLength': syntax error");
  EXPECT_EQ(err("Sync { UDP { Checksum 1 } }"), "parsing config file in line (1), symbol '1': syntax error");
  EXPECT_EQ(err("Sync { UDP Default Default { } }"), "parsing config file in line (1), symbol 'Default': syntax error");
  EXPECT_EQ(err("Sync { UDP { Interface lo } TCP { Interface lo } }"),
            "cannot use `TCP' with other dedicated link protocols!");
  EXPECT_EQ(err("Sync { TCP { } Multicast { } }"), "cannot use `Multicast' with other dedicated link protocols!");
  EXPECT_EQ(err("Sync { UDP { } UDP { } UDP { } UDP { } UDP { Interface lo } }"),
            "too many dedicated links in the configuration file (Maximum: 4)");
  // 1.4.8 checks the block end too (1.4.7 overflowed its array here).
  EXPECT_EQ(err("Sync { UDP { } UDP { } UDP { } UDP { } UDP { } }"),
            "too many dedicated links in the configuration file (Maximum: 4)");
  p = parse("Sync { Multicast { } Multicast Default { } }");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.cfg->channel_num, 2);
  EXPECT_EQ(p.cfg->channel_default, 1);
}

TEST(ConntrackdConfig, ChannelValueWarnings) {
  Parsed p = parse("Sync { UDP { IPv4_address 999.1.1.1 IPv4_Destination_Address 127.0.0.1/8 "
                   "IPv6_address 1::: Interface abcdefghijklmnopqrstuv } }");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(warnings(p),
            "999.1.1.1 is not a valid IPv4 address|127.0.0.1/8 is not a valid IPv4 address|"
            "1::: is not a valid IPv6 address|abcdefghijklmnopqrstuv is an invalid interface|");
  EXPECT_TRUE(p.cfg->channels[0].ifname_too_long);
  p = parse("Sync { Multicast { IPv6_address ff02::1 IPv4_address 225.0.0.50 } }");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(warnings(p),
            "your multicast address is IPv4 but is binded to an IPv6 interface? Surely, this is not what you want|");
}

TEST(ConntrackdConfig, StatsAndSyslog) {
  Parsed p = parse("General { Syslog local3 }\nStats { Syslog local4 LogFile on }");
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(p.cfg->stats);
  EXPECT_STREQ(p.cfg->stats_logfile, "/var/log/conntrackd-stats.log");
  EXPECT_EQ(p.cfg->stats_syslog_facility, 20 << 3);
  EXPECT_EQ(warnings(p), "conflicting Syslog facility values, defaulting to General|");
  p = parse("General { Syslog kern }\nStats { Syslog kern }");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(warnings(p), "'kern' is not a known syslog facility, ignoring|"
                         "'kern' is not a known syslog facility, ignoring.|");
  EXPECT_EQ(err("Stats { HashSize 5 }"), "parsing config file in line (1), symbol 'HashSize': syntax error");
  EXPECT_EQ(err("Sync { }\nStats { }"), "cannot use both `Stats' and `Sync' clauses in conntrackd.conf");
  EXPECT_EQ(err("Stats { }\nSync { }"), "cannot use both `Stats' and `Sync' clauses in conntrackd.conf");
  // Repeated blocks are fine; later values win.
  p = parse("General { HashSize 10 } General { HashSize 20 } Sync { } Sync { }");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.cfg->hashsize, 20u);
}

TEST(ConntrackdConfig, Filter) {
  Parsed p = parse(
      "General { Filter From Kernelspace {\n"
      " Protocol Accept { TCP UDP ICMP sctp nosuchproto }\n"
      " Address Ignore { IPv4_address 127.0.0.1 IPv4_address 10.0.0.0/8 IPv6_address ::1 "
      "IPv6_address fe80::/10 IPv4_address 1.2.3.4/40 IPv4_address 08.1.1.1 IPv4_address 010.1.1.1 "
      "IPv4_address 127.0.0.1 IPv6_address 1.2.3.4 }\n"
      " State Accept { ESTABLISHED CLOSED for TCP SYN_SENT for TCP for TCP }\n} }");
  ASSERT_TRUE(p.ok) << p.diag->error.message;
  const ctd::FilterConfig& f = p.cfg->filter;
  EXPECT_TRUE(f.from_kernelspace);
  EXPECT_TRUE(f.used);
  EXPECT_EQ(f.proto_logic, ctd::FilterLogic::kAccept);
  EXPECT_TRUE(f.has_proto(6) && f.has_proto(17) && f.has_proto(1) && f.has_proto(132));
  EXPECT_FALSE(f.has_proto(58));
  EXPECT_EQ(f.addr_logic, ctd::FilterLogic::kIgnore);
  ASSERT_EQ(f.naddrs, 5);
  EXPECT_EQ(f.addrs[1].prefix, 8);
  EXPECT_EQ(f.addrs[3].prefix, 10);
  EXPECT_EQ(f.addrs[4].addr[0], 8);  // 010 is octal
  EXPECT_EQ(f.state_logic, ctd::FilterLogic::kAccept);
  EXPECT_EQ(f.tcp_states, (1 << 3) | (1 << 8) | (1 << 1));
  EXPECT_EQ(warnings(p),
            "getprotobyname() cannot find protocol `nosuchproto' in /etc/protocols|"
            "1.2.3.4/40 is not a valid network, ignoring|08.1.1.1 is not a valid IPv4, ignoring|"
            "IP 127.0.0.1 is repeated in the ignore pool|1.2.3.4 is not a valid IPv6, ignoring|");

  EXPECT_EQ(err("General { Filter { State Accept { ESTABLISHED } } }"),
            "parsing config file in line (1), symbol '}': syntax error");
  EXPECT_EQ(err("General { Filter { State Accept { ESTABLISHED for UDP } } }"),
            "parsing config file in line (1), symbol 'UDP': syntax error");
  EXPECT_EQ(err("General { Filter { Protocol Accept { ab } } }"),
            "parsing config file in line (1), symbol 'ab': syntax error");
  EXPECT_EQ(err("General { Filter From Foo { } }"), "parsing config file in line (1), symbol 'Foo': syntax error");
  EXPECT_EQ(err("General { Filter { Address Accept { IPv6_address 1::2::3 } } }"),
            "parsing config file in line (1), symbol ':': syntax error");
}

TEST(ConntrackdConfig, Helper) {
  Parsed p = parse("Helper { Setup on Type ftp inet tcp { QueueNum 5 QueueLen 10 QueueNum 6 "
                   "Policy ftp { ExpectMax 1 ExpectTimeout 300 } } Type rpc inet6 udp { } }");
  ASSERT_TRUE(p.ok) << p.diag->error.message;
  ASSERT_EQ(p.cfg->nhelpers, 2);
  const ctd::HelperTypeConfig& h = p.cfg->helpers[0];
  EXPECT_STREQ(h.name, "ftp");
  EXPECT_EQ(h.l3, AF_INET);
  EXPECT_EQ(h.l4, 6);
  EXPECT_EQ(h.queue_num, 5u);  // upstream's LIFO stack: the first one wins
  EXPECT_EQ(h.queue_len, 10u);
  ASSERT_EQ(h.npolicies, 1);
  EXPECT_EQ(h.policies[0].expect_max, 1u);
  EXPECT_EQ(h.policies[0].expect_timeout, 300u);
  EXPECT_TRUE(p.cfg->helper_setup);
  // Items directly in Helper { } and nested Type blocks are grammatical.
  EXPECT_TRUE(parse("Helper { QueueNum 7 Setup off }").ok);
  EXPECT_TRUE(parse("Helper { Type ftp inet tcp { Type tftp inet udp { QueueNum 3 } QueueNum 4 } }").ok);

  EXPECT_EQ(err("Helper { Type nosuch inet tcp { QueueNum 5 } }"), "Unknown `nosuch' helper");
  EXPECT_EQ(err("Helper { Type ftp inet udp { } }"), "Unknown `ftp' helper");
  EXPECT_EQ(err("Helper { Type ftp inet7 tcp { } }"), "unknown layer 3 protocol");
  EXPECT_EQ(err("Helper { Type ftp inet sctp { } }"), "unknown layer 4 protocol");
  EXPECT_EQ(err("Helper { Type ftp inet tcp { Policy nosuch { ExpectMax 1 } } }"),
            "Unknown policy `nosuch' in helper configuration");
  EXPECT_EQ(err("Helper { Type ftp inet tcp { Policy ftp { } } }"),
            "Helper policy configuration empty, fix your configuration file, please");
  EXPECT_EQ(err("Helper { Type ftp inet tcp { Policy abcdefghijklmnopq { ExpectMax 1 } } }"),
            "Helper Policy is longer than 16 characters");
  EXPECT_EQ(err("Helper { Type ftp inet tcp QueueNum 1 }"),
            "parsing config file in line (1), symbol 'QueueNum': syntax error");
}

TEST(ConntrackdConfig, FatalValueChecks) {
  std::string a255(255, 'a'), a256(256, 'a'), a106(106, 'a'), a107(107, 'a');
  EXPECT_TRUE(parse("General { LogFile /" + a255 + " }").ok);
  EXPECT_EQ(err("General { LogFile /" + a256 + " }"), "LogFile path is longer than 256 characters");
  EXPECT_EQ(err("Stats { LogFile /" + a256 + " }"), "stats LogFile path is longer than 256 characters");
  EXPECT_EQ(err("General { LockFile /" + a256 + " }"), "LockFile path is longer than 256 characters");
  EXPECT_TRUE(parse("General { UNIX { Path /" + a106 + " } }").ok);
  EXPECT_EQ(err("General { UNIX { Path /" + a107 + " } }"), "Path is longer than 107 characters");
  EXPECT_EQ(err("General { PollSecs 0 }"), "`PollSecs' clause must be > 0");
  EXPECT_EQ(err("General { Scheduler { Type BATCH } }"), "unknown scheduler `BATCH'");
  EXPECT_EQ(err("General { Scheduler { Priority 100 } }"), "`Priority' must be [0, 99]\n");
  Parsed p = parse("General { Scheduler { Priority 99 Type Fifo } NetlinkOverrunResync 0 }");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.cfg->sched_type, ctd::SchedType::kFifo);
  EXPECT_EQ(p.cfg->netlink_overrun_resync, 30);  // 0 means unset
  // Our deliberate refusals where upstream wraps the value silently.
  EXPECT_EQ(err("Sync { Mode FTFW { ACKWindowSize 4294967296 } }"),
            "parsing config file `test.conf' in line (1), symbol '4294967296': value out of range "
            "(maximum 2147483647): upstream wraps it silently, this version refuses it");
  EXPECT_EQ(err("Sync { UDP { Port 70000 } }"),
            "parsing config file `test.conf' in line (1), symbol '70000': value out of range "
            "(maximum 65535): upstream wraps it silently, this version refuses it");
  EXPECT_TRUE(parse("General { HashSize 2147483647 }").ok);
}

TEST(ConntrackdConfig, SyntaxErrorsNameLineAndSymbol) {
  EXPECT_EQ(err("Stats { Foo 1 }"), "parsing config file in line (1), symbol 'Foo': syntax error");
  EXPECT_EQ(err("General {\n hashsize 10 }"), "parsing config file in line (2), symbol 'hashsize': syntax error");
  EXPECT_EQ(err("sync { }"), "parsing config file in line (1), symbol 'sync': syntax error");
  // End of input: empty symbol, line = 1 + newlines.
  EXPECT_EQ(err("Stats { LogFile off\n\n"), "parsing config file in line (3), symbol '': syntax error");
  EXPECT_EQ(err("Stats { }\n}"), "parsing config file in line (2), symbol '}': syntax error");
  EXPECT_EQ(err("General { HashSize -5 }"), "parsing config file in line (1), symbol '-5': syntax error");
  EXPECT_EQ(err("General { Nice 5 }"), "parsing config file in line (1), symbol '5': syntax error");
  EXPECT_EQ(err("Sync { RefreshTime +5 }"), "parsing config file in line (1), symbol '+5': syntax error");
  EXPECT_EQ(err("General { HashSize 1.2.3.4 }"), "parsing config file in line (1), symbol '1.2.3.4': syntax error");
  EXPECT_EQ(err("General { HashSize 10; }"), "parsing config file in line (1), symbol ';': syntax error");
  EXPECT_EQ(err("General { LogFile \"/tmp/x\" }"), "parsing config file in line (1), symbol '\"': syntax error");
  EXPECT_EQ(err("General { LockFile on }"), "parsing config file in line (1), symbol 'on': syntax error");
  EXPECT_EQ(err("General { Systemd onn }"), "parsing config file in line (1), symbol 'onn': syntax error");
  EXPECT_EQ(err("General { PollSecs off }"), "parsing config file in line (1), symbol 'off': syntax error");
  EXPECT_EQ(err("Sync { Options { ExpectationSync 5 } }"), "parsing config file in line (1), symbol '5': syntax error");
  const ctd::ConfigDiag* d = parse("\n\nStats { Bad }").diag;
  EXPECT_STREQ(d->error.file, "test.conf");
  EXPECT_EQ(d->error.line, 3u);
  EXPECT_STREQ(d->error.symbol, "Bad");
}

TEST(ConntrackdConfig, ScannerQuirks) {
  // Hex-only words are IP addresses, so they are not interface names.
  EXPECT_EQ(err("Sync { UDP { Interface dead } }"), "parsing config file in line (1), symbol 'dead': syntax error");
  EXPECT_EQ(err("General { HashSize 1a }"), "parsing config file in line (1), symbol '1a': syntax error");
  EXPECT_EQ(err("Sync { Options { ExpectationSync { ftp add } } }"),
            "parsing config file in line (1), symbol 'add': syntax error");
  // A path runs to the next space/newline/quote: tabs, '#' and '}' belong to it.
  EXPECT_EQ(err("General { LogFile /tmp/x\t# tab comment\n}"),
            "parsing config file in line (1), symbol 'tab': syntax error");
  EXPECT_EQ(err("General { LogFile /tmp/x}\nStats { }"), "parsing config file in line (2), symbol 'Stats': syntax error");
  // CR is blank, comments end at the newline.
  EXPECT_TRUE(parse("Stats {\r\n LogFile off # } here\r\n}\r\n").ok);
  EXPECT_EQ(ctd::lex_match_ip6("1:::"), 4u);
  EXPECT_EQ(ctd::lex_match_ip6("1::2::3"), 5u);
  EXPECT_EQ(ctd::lex_match_ip6("fe80::1/64 x"), 10u);
  EXPECT_EQ(ctd::lex_match_ip6("abcdabcd::1"), 11u);
  EXPECT_EQ(ctd::lex_match_ip6("ghi"), 0u);
}

TEST(ConntrackdConfig, LoadFile) {
  ctd::Config* cfg = new ctd::Config;
  ctd::ConfigDiag* diag = new ctd::ConfigDiag;
  EXPECT_FALSE(ctd::config_load("/nonexistent/conntrackd.conf", cfg, diag));
  EXPECT_STREQ(diag->error.message, "can't open config file `/nonexistent/conntrackd.conf'");
  delete cfg;
  delete diag;
}

}  // namespace
