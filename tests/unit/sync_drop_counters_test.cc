// Every receive-side drop reason, end to end inside the daemon: a crafted
// datagram goes through SyncEngine::on_channel_data (header walk, the
// mode's recv, the payload decode, count_drop) and the counters are read
// back through the `-s network` text renderer and the JSON renderer
// (recv_drops_by_reason).  The engine runs over a Daemon given a test
// configuration (Daemon::set_config_for_test) with one UDP channel on
// 127.0.0.1; nothing is ever sent to it: data is handed to the engine.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "base/out_buf.h"
#include "conntrackd/config/config.h"
#include "conntrackd/control/control_proto.h"
#include "conntrackd/control/stats_format.h"
#include "conntrackd/daemon.h"
#include "conntrackd/event_loop.h"
#include "conntrackd/sync/sync_engine.h"
#include "sync/wire.h"

using ctsync::DropReason;

namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}

// A message header; len 0xffff means "fill in the real length".
Bytes hdr(uint8_t ver, uint8_t type, uint8_t flags, uint32_t seq, uint16_t len = 0xffff) {
  Bytes b;
  b.push_back(static_cast<uint8_t>(ver << 4 | type));
  b.push_back(flags);
  put16(b, len);
  put32(b, seq);
  return b;
}
void attr(Bytes& b, uint16_t id, const Bytes& payload, int nta_len = -1) {
  put16(b, static_cast<uint16_t>(nta_len < 0 ? 4 + payload.size() : nta_len));
  put16(b, id);
  b.insert(b.end(), payload.begin(), payload.end());
  while (b.size() % 4) b.push_back(0);
}
void fix_len(Bytes& b) {
  b[2] = static_cast<uint8_t>(b.size() >> 8);
  b[3] = static_cast<uint8_t>(b.size());
}

// The attributes of a plain UDP flow 10.0.0.1:1000 -> 10.0.0.2:53.
void udp_flow_attrs(Bytes& b, uint8_t last_octet = 1) {
  attr(b, ctsync::kNtaIpv4, {10, 0, 0, last_octet, 10, 0, 0, 2});
  attr(b, ctsync::kNtaStatus, {0, 0, 0, 8});
  attr(b, ctsync::kNtaL4Proto, {17});
  attr(b, ctsync::kNtaPort, {0x03, 0xe8, 0x00, 0x35});
  attr(b, ctsync::kNtaTimeout, {0, 0, 0, 30});
}

Bytes ct_msg(uint8_t type, uint32_t seq, void (*body)(Bytes&)) {
  Bytes b = hdr(1, type, 0, seq);
  body(b);
  fix_len(b);
  return b;
}

struct FakeExt : ctd::ExternalHandler {
  int news = 0, upds = 0, dels = 0;
  void ct_new(const ct::Flow&) override { news++; }
  void ct_upd(const ct::Flow&) override { upds++; }
  void ct_del(const ct::Flow&) override { dels++; }
};

void ignore_signal(void*, uint32_t) {}

// One daemon + engine in a mode; Config and Daemon are large: heap.
struct Rig {
  ctd::Config* cfg = new ctd::Config;
  ctd::Daemon* d = new ctd::Daemon;
  ctd::EventLoop* loop = new ctd::EventLoop;
  ctd::SyncEngine* e = nullptr;
  FakeExt ext;
  sigset_t saved;
  bool ok = false;

  explicit Rig(const char* mode) {
    sigprocmask(SIG_SETMASK, nullptr, &saved);  // EventLoop::open blocks signals
    static int serial = 0;
    const int port = 20000 + (getpid() * 7 + serial++ * 131) % 40000;
    std::string text = std::string("Sync {\n Mode ") + mode + " { }\n UDP { Interface lo IPv4_address 127.0.0.1 "
                       "IPv4_Destination_Address 127.0.0.1 Port " + std::to_string(port) + " }\n}\n"
                       "General { HashSize 1024 HashLimit 4096 Systemd off }\n";
    ctd::ConfigDiag diag;
    if (!ctd::config_parse(text, "test.conf", cfg, &diag)) {
      ADD_FAILURE() << diag.error.message;
      return;
    }
    ctd::config_evaluate(cfg, &diag);
    d->set_config_for_test(*cfg);
    if (!d->internal().init(1024, 4096) || !d->external().init(1024, 4096)) {
      ADD_FAILURE() << "cache init";
      return;
    }
    if (loop->open(&ignore_signal, nullptr) < 0) {
      ADD_FAILURE() << "event loop";
      return;
    }
    e = new ctd::SyncEngine(*d);
    ok = e->open(*loop, &ext) == 0;
    if (!ok) ADD_FAILURE() << "SyncEngine::open (port " << port << ")";
  }
  ~Rig() {
    delete e;
    delete loop;
    delete d;
    delete cfg;
    sigprocmask(SIG_SETMASK, &saved, nullptr);
  }

  void feed(const Bytes& b) { e->on_channel_data(0, std::span<const uint8_t>(b.data(), b.size())); }

  ctd::StatsView view() const {
    ctd::StatsView v;
    e->fill_stats(&v.sync);
    return v;
  }
  std::string text() const {
    static char storage[65536];
    base::OutBuf out(-1, storage, sizeof storage);
    ctd::StatsView v = view();
    ctd::stats_render(out, ctd::kReqStatsNetwork, v);
    return std::string(out.view());
  }
  std::string json() const {
    static char storage[65536];
    base::OutBuf out(-1, storage, sizeof storage);
    ctd::StatsView v = view();
    ctd::stats_render(out, ctd::kReqStatsNetwork | ctd::kReqJsonBit, v);
    return std::string(out.view());
  }
};

// "\t\tMalformed payload:\t      N" -> N (-1 if the line is missing).
long text_counter(const std::string& s, const std::string& label) {
  const std::string key = "\t\t" + label + ":\t";
  size_t at = s.find(key);
  if (at == std::string::npos) return -1;
  return std::stol(s.substr(at + key.size()));
}
// "\"name\":N" inside recv_drops_by_reason (or anywhere for network keys).
long json_counter(const std::string& s, const std::string& obj, const std::string& key) {
  size_t at = s.find("\"" + obj + "\"");
  if (at == std::string::npos) return -1;
  at = s.find("\"" + key + "\"", at);
  if (at == std::string::npos) return -1;
  at = s.find(':', at);
  return std::stol(s.substr(at + 1));
}

const char* const kUpstreamLabels[] = {
    "Malformed messages", "Wrong protocol version", "Malformed header", "Malformed payload",
    "Bad message type",   "Truncated message",      "Bad message size",
};

const char* label_of(DropReason r) {
  switch (ctsync::upstream_counter(r)) {
    case ctsync::UpstreamCounter::kTruncated: return "Truncated message";
    case ctsync::UpstreamCounter::kBadSize: return "Bad message size";
    case ctsync::UpstreamCounter::kBadVersion: return "Wrong protocol version";
    case ctsync::UpstreamCounter::kBadType: return "Bad message type";
    case ctsync::UpstreamCounter::kBadHeader: return "Malformed header";
    case ctsync::UpstreamCounter::kBadPayload: return "Malformed payload";
    default: return "";
  }
}

struct Case {
  const char* what;
  const char* mode;
  DropReason reason;
  Bytes (*make)(uint32_t seq);
};

const Case kCases[] = {
    {"5 bytes", "FTFW", DropReason::kTruncated, [](uint32_t) { return Bytes{0x10, 0, 0, 8, 0}; }},
    // len 8 fits the 8 bytes there, but an ACK needs 16 of them
    {"ACK datagram of 8 bytes", "FTFW", DropReason::kTruncated,
     [](uint32_t s) { return hdr(1, ctsync::kMsgCtl, ctsync::kFlagAck, s, 8); }},
    {"len 0", "FTFW", DropReason::kBadSize, [](uint32_t s) { return hdr(1, 0, 0, s, 0); }},
    {"len beyond the datagram", "NOTRACK", DropReason::kBadSize,
     [](uint32_t s) { Bytes b = hdr(1, 0, 0, s, 64); udp_flow_attrs(b); return b; }},
    {"len below the header", "FTFW", DropReason::kBadSize, [](uint32_t s) { return hdr(1, 0, 0, s, 4); }},
    {"ACK of 8 bytes", "FTFW", DropReason::kBadSize, [](uint32_t s) {
       Bytes b = hdr(1, ctsync::kMsgCtl, ctsync::kFlagAck, s, 8);
       put32(b, 0); put32(b, 0);
       return b;
     }},
    {"version 2", "FTFW", DropReason::kBadVersion, [](uint32_t s) { Bytes b = hdr(2, 0, 0, s); udp_flow_attrs(b); fix_len(b); return b; }},
    {"version 0", "NOTRACK", DropReason::kBadVersion, [](uint32_t s) { Bytes b = hdr(0, 10, ctsync::kFlagAlive, s); fix_len(b); return b; }},
    // Types 6-9, 11-15 reach the type check only in ALARM: FT-FW and
    // NOTRACK call them bad headers first (not data, not control).
    {"type 7 (ALARM)", "ALARM", DropReason::kBadType, [](uint32_t s) { Bytes b = hdr(1, 7, 0, s); fix_len(b); return b; }},
    {"type 12 (ALARM)", "ALARM", DropReason::kBadType, [](uint32_t s) { Bytes b = hdr(1, 12, 0, s); fix_len(b); return b; }},
    {"type 7 (FTFW)", "FTFW", DropReason::kBadHeader, [](uint32_t s) { Bytes b = hdr(1, 7, 0, s); fix_len(b); return b; }},
    {"type 12 (NOTRACK)", "NOTRACK", DropReason::kBadHeader, [](uint32_t s) { Bytes b = hdr(1, 12, 0, s); fix_len(b); return b; }},
    {"CT_NEW with the UNUSED flag", "FTFW", DropReason::kBadHeader,
     [](uint32_t s) { Bytes b = hdr(1, 0, ctsync::kFlagUnused, s); udp_flow_attrs(b); fix_len(b); return b; }},
    {"CTL without a flag", "NOTRACK", DropReason::kBadHeader, [](uint32_t s) { Bytes b = hdr(1, 10, 0, s); fix_len(b); return b; }},
    {"ACK with to before from", "FTFW", DropReason::kBadHeader, [](uint32_t s) {
       Bytes b = hdr(1, ctsync::kMsgCtl, ctsync::kFlagAck, s, 16);
       put32(b, 100); put32(b, 50);
       return b;
     }},
    {"attribute id 40", "FTFW", DropReason::kUnknownAttr, [](uint32_t s) {
       return ct_msg(0, s, [](Bytes& b) { udp_flow_attrs(b); attr(b, 40, {0, 0, 0, 0}); });
     }},
    {"attribute id 33", "NOTRACK", DropReason::kUnknownAttr, [](uint32_t s) {
       return ct_msg(1, s, [](Bytes& b) { attr(b, ctsync::kNtaMax, {1}); udp_flow_attrs(b); });
     }},
    {"NTA_IPV4 of 7 bytes", "FTFW", DropReason::kAttrSize, [](uint32_t s) {
       return ct_msg(0, s, [](Bytes& b) { attr(b, ctsync::kNtaIpv4, {10, 0, 0, 1, 10, 0, 0}); udp_flow_attrs(b); });
     }},
    {"NTA_PORT of 2 bytes", "NOTRACK", DropReason::kAttrSize, [](uint32_t s) {
       return ct_msg(0, s, [](Bytes& b) { udp_flow_attrs(b); attr(b, ctsync::kNtaPort, {0, 1}); });
     }},
    {"nta_len beyond the message", "FTFW", DropReason::kAttrOverrun, [](uint32_t s) {
       return ct_msg(0, s, [](Bytes& b) { udp_flow_attrs(b); attr(b, ctsync::kNtaMark, {0, 0, 0, 0}, 64); });
     }},
    {"nta_len 2", "NOTRACK", DropReason::kAttrOverrun, [](uint32_t s) {
       return ct_msg(0, s, [](Bytes& b) { udp_flow_attrs(b); attr(b, ctsync::kNtaMark, {0, 0, 0, 0}, 2); });
     }},
    {"no address", "FTFW", DropReason::kMissingAttr, [](uint32_t s) {
       return ct_msg(0, s, [](Bytes& b) { attr(b, ctsync::kNtaL4Proto, {17}); attr(b, ctsync::kNtaPort, {0, 1, 0, 2}); });
     }},
    {"no protocol", "NOTRACK", DropReason::kMissingAttr, [](uint32_t s) {
       return ct_msg(0, s, [](Bytes& b) { attr(b, ctsync::kNtaIpv4, {10, 0, 0, 1, 10, 0, 0, 2}); });
     }},
};

TEST(SyncDropCounters, EveryReasonCountsOnceInTextAndJson) {
  size_t ran = 0;
  for (const char* mode : {"FTFW", "NOTRACK", "ALARM"}) {
    Rig rig(mode);
    ASSERT_TRUE(rig.ok) << mode;
    uint32_t seq = 1000;
    // A valid message first: FT-FW's sequence tracking starts here.
    rig.feed(ct_msg(0, seq++, [](Bytes& b) { udp_flow_attrs(b, 9); }));
    EXPECT_EQ(rig.ext.news, 1) << mode;
    for (const Case& c : kCases) {
      if (std::strcmp(c.mode, mode) != 0) continue;
      SCOPED_TRACE(std::string(mode) + ": " + c.what);
      ran++;
      const std::string t0 = rig.text(), j0 = rig.json();
      const int applied0 = rig.ext.news + rig.ext.upds + rig.ext.dels;
      rig.feed(c.make(seq++));
      const std::string t1 = rig.text(), j1 = rig.json();
      const char* label = label_of(c.reason);
      for (const char* l : kUpstreamLabels) {
        long want = 0;
        if (std::strcmp(l, label) == 0 || std::strcmp(l, "Malformed messages") == 0) want = 1;
        EXPECT_EQ(text_counter(t1, l) - text_counter(t0, l), want) << l << "\n" << t1;
      }
      for (unsigned i = 1; i < static_cast<unsigned>(DropReason::kCount); i++) {
        const char* key = ctsync::drop_reason_name(static_cast<DropReason>(i));
        const long want = static_cast<DropReason>(i) == c.reason ? 1 : 0;
        EXPECT_EQ(json_counter(j1, "recv_drops_by_reason", key) - json_counter(j0, "recv_drops_by_reason", key),
                  want) << key << "\n" << j1;
      }
      EXPECT_EQ(json_counter(j1, "network", "recv_malformed") - json_counter(j0, "network", "recv_malformed"), 1);
      EXPECT_EQ(rig.ext.news + rig.ext.upds + rig.ext.dels, applied0) << "a dropped message was applied";
    }
    // The catch-all bad_payload is a category, never a reason of its own.
    EXPECT_EQ(json_counter(rig.json(), "recv_drops_by_reason", "bad_payload"), 0);
  }
  EXPECT_EQ(ran, sizeof kCases / sizeof kCases[0]);
}

// Every case of the table is exercised (one per DropReason but the
// bad_payload category).
TEST(SyncDropCounters, TableCoversEveryReason) {
  for (unsigned i = 1; i < static_cast<unsigned>(DropReason::kCount); i++) {
    const DropReason r = static_cast<DropReason>(i);
    if (r == DropReason::kBadPayload) continue;
    bool found = false;
    for (const Case& c : kCases) found |= c.reason == r;
    EXPECT_TRUE(found) << ctsync::drop_reason_name(r);
  }
}

// A datagram of several messages: what follows a bad-version message is
// still read, what follows a bad size is not (the rest is dropped).
TEST(SyncDropCounters, SkipVersusStop) {
  Rig rig("NOTRACK");
  ASSERT_TRUE(rig.ok);
  Bytes bad = hdr(2, 0, 0, 1);
  udp_flow_attrs(bad);
  fix_len(bad);
  Bytes good = ct_msg(0, 2, [](Bytes& b) { udp_flow_attrs(b, 3); });
  Bytes d = bad;
  d.insert(d.end(), good.begin(), good.end());
  rig.feed(d);
  EXPECT_EQ(rig.ext.news, 1);
  Bytes zero = hdr(1, 0, 0, 3, 0);
  d = zero;
  d.insert(d.end(), good.begin(), good.end());
  rig.feed(d);
  EXPECT_EQ(rig.ext.news, 1);
  const std::string t = rig.text();
  EXPECT_EQ(text_counter(t, "Malformed messages"), 2);
  EXPECT_EQ(text_counter(t, "Wrong protocol version"), 1);
  EXPECT_EQ(text_counter(t, "Bad message size"), 1);
}

}  // namespace
