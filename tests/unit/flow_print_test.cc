// Flow printer back ends against lines taken from upstream conntrack 1.4.7
// (Debian) on real kernel entries; see each test for the command.
#include <gtest/gtest.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <unistd.h>

#include "base/out_buf.h"
#include "ct/flow.h"
#include "ct/flow_print.h"
#include "ct/labelmap.h"
#include "ct_uapi.h"

namespace {

using ct::Dir;
using ct::F;
using ct::Flow;
using ct::MsgKind;
using ct::OutFormat;
using ct::PrintOpts;

constexpr uint64_t kSec = 1000000000ull;
// Wed Nov 25 13:27:01 2026 UTC
constexpr uint64_t kStart = 1795613221691494355ull;

ct::Addr addr(const char* text) {
  ct::Addr a{};
  if (inet_pton(AF_INET, text, a.b) != 1) inet_pton(AF_INET6, text, a.b);
  return a;
}

void set_tuple(Flow& f, Dir d, uint8_t family, const char* src, const char* dst, uint8_t proto) {
  ct::Tuple& t = f.tuple[d];
  t.l3 = family;
  t.src = addr(src);
  t.dst = addr(dst);
  t.l4 = proto;
  f.set.set(ct::tuple_field(d, F::kOrigL3));
  f.set.set(ct::tuple_field(d, F::kOrigSrc));
  f.set.set(ct::tuple_field(d, F::kOrigDst));
  f.set.set(ct::tuple_field(d, F::kOrigL4));
}

void set_ports(Flow& f, Dir d, uint16_t sport, uint16_t dport) {
  f.tuple[d].sport = sport;
  f.tuple[d].dport = dport;
  f.set.set(ct::tuple_field(d, F::kOrigPortSrc));
  f.set.set(ct::tuple_field(d, F::kOrigPortDst));
}

void set_icmp(Flow& f, Dir d, uint8_t type, uint8_t code, uint16_t id) {
  f.tuple[d].icmp_type = type;
  f.tuple[d].icmp_code = code;
  f.tuple[d].icmp_id = id;
  f.set.set(ct::tuple_field(d, F::kOrigIcmpType));
  f.set.set(ct::tuple_field(d, F::kOrigIcmpCode));
  f.set.set(ct::tuple_field(d, F::kOrigIcmpId));
}

void set_counters(Flow& f, uint64_t op, uint64_t ob, uint64_t rp, uint64_t rb) {
  f.packets[0] = op; f.bytes[0] = ob; f.packets[1] = rp; f.bytes[1] = rb;
  f.set.set(F::kOrigPackets); f.set.set(F::kOrigBytes);
  f.set.set(F::kReplPackets); f.set.set(F::kReplBytes);
}

void set_u32(Flow& f, F field, uint32_t& slot, uint32_t v) { slot = v; f.set.set(field); }

// What the kernel sends for a list entry: both tuples, status, timeout,
// mark, use, id, counters and a start timestamp.
Flow base_flow(uint8_t family, const char* s, const char* d, uint8_t proto,
               uint32_t status, uint32_t timeout) {
  Flow f;
  f.family = family;
  set_tuple(f, ct::kDirOrig, family, s, d, proto);
  set_tuple(f, ct::kDirRepl, family, d, s, proto);
  set_u32(f, F::kStatus, f.status, status);
  set_u32(f, F::kTimeout, f.timeout, timeout);
  set_u32(f, F::kMark, f.mark, 0);
  set_u32(f, F::kUse, f.use, 1);
  set_u32(f, F::kId, f.id, 3959301017u);
  set_counters(f, 0, 0, 0, 0);
  f.ts_start = kStart;
  f.set.set(F::kTsStart);
  return f;
}

constexpr uint32_t kConfirmed = uapi::kIpsConfirmed;
constexpr uint32_t kReplied = uapi::kIpsConfirmed | uapi::kIpsSeenReply;

Flow tcp_assured() {  // conntrack -I -p tcp ... -u ASSURED,SEEN_REPLY -m 42
  Flow f = base_flow(AF_INET, "1.1.1.1", "2.2.2.2", 6, kReplied | uapi::kIpsAssured, 94);
  set_ports(f, ct::kDirOrig, 10, 20);
  set_ports(f, ct::kDirRepl, 20, 10);
  f.tcp_state = uapi::kTcpEstablished;
  f.set.set(F::kTcpState);
  f.mark = 42;
  f.id = 1578819462;
  return f;
}

class FlowPrint : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setenv("TZ", "UTC", 1);
    tzset();
  }
  std::string print(const Flow& f, const PrintOpts& o, MsgKind kind = MsgKind::kList,
                    uint64_t now = kStart + 6 * kSec) {
    line_.clear();
    last_ = ct::flow_print(line_, f, o, kind, now);
    return std::string(line_.view());
  }
  std::string text(const Flow& f, MsgKind kind = MsgKind::kList) { return print(f, PrintOpts{}, kind); }
  static PrintOpts fmt(OutFormat format) {
    PrintOpts o;
    o.format = format;
    return o;
  }

  base::LineBuf<8192> line_;
  ct::PrintResult last_ = ct::PrintResult::kOk;
};

// ---- default text ---------------------------------------------------------

TEST_F(FlowPrint, TextTcpAssured) {
  EXPECT_EQ(text(tcp_assured()),
            "tcp      6 94 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 packets=0 bytes=0 "
            "src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 packets=0 bytes=0 [ASSURED] mark=42 "
            "delta-time=6 use=1");
}

TEST_F(FlowPrint, TextUdpUnrepliedWithZone) {
  Flow f = base_flow(AF_INET, "1.1.1.1", "2.2.2.2", 17, kConfirmed, 24);
  set_ports(f, ct::kDirOrig, 53, 5353);
  set_ports(f, ct::kDirRepl, 5353, 53);
  f.zone = 7;
  f.set.set(F::kZone);
  EXPECT_EQ(text(f),
            "udp      17 24 src=1.1.1.1 dst=2.2.2.2 sport=53 dport=5353 packets=0 bytes=0 [UNREPLIED] "
            "src=2.2.2.2 dst=1.1.1.1 sport=5353 dport=53 packets=0 bytes=0 mark=0 zone=7 "
            "delta-time=6 use=1");
}

TEST_F(FlowPrint, TextTupleZones) {
  Flow f = base_flow(AF_INET, "1.2.3.4", "5.6.7.8", 6, kConfirmed, 44);
  set_ports(f, ct::kDirOrig, 1, 2);
  set_ports(f, ct::kDirRepl, 2, 1);
  f.tcp_state = uapi::kTcpEstablished;
  f.set.set(F::kTcpState);
  f.tuple[ct::kDirOrig].zone = 3;
  f.set.set(F::kOrigZone);
  EXPECT_EQ(text(f),
            "tcp      6 44 ESTABLISHED src=1.2.3.4 dst=5.6.7.8 sport=1 dport=2 zone-orig=3 packets=0 "
            "bytes=0 [UNREPLIED] src=5.6.7.8 dst=1.2.3.4 sport=2 dport=1 packets=0 bytes=0 mark=0 "
            "delta-time=6 use=1");
  f.set.clear(F::kOrigZone);
  f.tuple[ct::kDirRepl].zone = 1;
  f.set.set(F::kReplZone);
  EXPECT_NE(text(f).find(" sport=2 dport=1 zone-reply=1 packets=0"), std::string::npos);
}

TEST_F(FlowPrint, TextGreUnknownAndGenericDccp) {
  Flow gre = base_flow(AF_INET, "5.5.5.5", "6.6.6.6", 47, kConfirmed, 54);
  set_ports(gre, ct::kDirOrig, 0x10, 0x20);
  set_ports(gre, ct::kDirRepl, 0x20, 0x10);
  EXPECT_EQ(text(gre),
            "gre      47 54 src=5.5.5.5 dst=6.6.6.6 srckey=0x10 dstkey=0x20 packets=0 bytes=0 "
            "[UNREPLIED] src=6.6.6.6 dst=5.5.5.5 srckey=0x20 dstkey=0x10 packets=0 bytes=0 mark=0 "
            "delta-time=6 use=1");
  Flow igmp = base_flow(AF_INET, "0.0.0.0", "224.0.0.22", 2, kConfirmed, 4);
  EXPECT_EQ(text(igmp),
            "unknown  2 4 src=0.0.0.0 dst=224.0.0.22 packets=0 bytes=0 [UNREPLIED] src=224.0.0.22 "
            "dst=0.0.0.0 packets=0 bytes=0 mark=0 delta-time=6 use=1");
  // A kernel without DCCP conntrack stores it as generic: no ports sent.
  Flow dccp = base_flow(AF_INET, "1.1.1.1", "2.2.2.2", 33, kConfirmed, 44);
  EXPECT_EQ(text(dccp),
            "dccp     33 44 src=1.1.1.1 dst=2.2.2.2 sport=0 dport=0 packets=0 bytes=0 [UNREPLIED] "
            "src=2.2.2.2 dst=1.1.1.1 sport=0 dport=0 packets=0 bytes=0 mark=0 delta-time=6 use=1");
}

TEST_F(FlowPrint, TextDnatListen) {  // --state LISTEN --dst-nat 3.3.3.3:80
  Flow f = base_flow(AF_INET, "9.9.9.9", "2.2.2.2", 6, kConfirmed, 44);
  f.tuple[ct::kDirRepl].src = addr("3.3.3.3");
  f.tuple[ct::kDirRepl].dst = addr("9.9.9.9");
  set_ports(f, ct::kDirOrig, 11, 21);
  set_ports(f, ct::kDirRepl, 80, 11);
  f.tcp_state = 9;
  f.set.set(F::kTcpState);
  EXPECT_EQ(text(f),
            "tcp      6 44 SYN_SENT2 src=9.9.9.9 dst=2.2.2.2 sport=11 dport=21 packets=0 bytes=0 "
            "[UNREPLIED] src=3.3.3.3 dst=9.9.9.9 sport=80 dport=11 packets=0 bytes=0 mark=0 "
            "delta-time=6 use=1");
}

TEST_F(FlowPrint, TextExtendedIcmpv6) {
  Flow f = base_flow(AF_INET6, "::1", "::1", 58, kReplied, 23);
  set_icmp(f, ct::kDirOrig, 128, 0, 8905);
  set_icmp(f, ct::kDirRepl, 129, 0, 8905);
  set_counters(f, 1, 104, 1, 104);
  f.ts_start = kStart - 1 * kSec;
  PrintOpts o;
  o.extended = true;
  EXPECT_EQ(print(f, o),
            "ipv6     10 icmpv6   58 23 src=::1 dst=::1 type=128 code=0 id=8905 packets=1 bytes=104 "
            "src=::1 dst=::1 type=129 code=0 id=8905 packets=1 bytes=104 mark=0 delta-time=7 use=1");
}

TEST_F(FlowPrint, TextIpv6Forms) {
  Flow f = base_flow(AF_INET6, "::ffff:1.2.3.4", "::", 6, kConfirmed, 107);
  set_ports(f, ct::kDirOrig, 1000, 80);
  set_ports(f, ct::kDirRepl, 80, 1000);
  f.tcp_state = uapi::kTcpClose;
  f.set.set(F::kTcpState);
  EXPECT_EQ(text(f),
            "tcp      6 107 CLOSE src=::ffff:1.2.3.4 dst=:: sport=1000 dport=80 packets=0 bytes=0 "
            "[UNREPLIED] src=:: dst=::ffff:1.2.3.4 sport=80 dport=1000 packets=0 bytes=0 mark=0 "
            "delta-time=6 use=1");
}

// conntrack -L -o extended,id,ktimestamp (TZ=UTC)
TEST_F(FlowPrint, TextExtendedIdKtimestamp) {
  Flow f = tcp_assured();
  f.timeout = 88;
  f.ts_start = kStart;
  PrintOpts o;
  o.extended = o.show_id = o.ktimestamp = true;
  EXPECT_EQ(print(f, o, MsgKind::kList, kStart + 11 * kSec),
            "ipv4     2 tcp      6 88 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 sport=10 dport=20 packets=0 "
            "bytes=0 src=2.2.2.2 dst=1.1.1.1 sport=20 dport=10 packets=0 bytes=0 [ASSURED] mark=42 "
            "delta-time=11 [start=Wed Nov 25 13:27:01 2026] use=1 id=1578819462");
}

TEST_F(FlowPrint, TextCtimePadsDayWithSpace) {
  Flow f = tcp_assured();
  f.ts_start = 1793885221ull * kSec;  // Thu Nov  5 13:27:01 2026 UTC
  PrintOpts o;
  o.ktimestamp = true;
  EXPECT_NE(print(f, o).find("[start=Thu Nov  5 13:27:01 2026] "), std::string::npos);
}

TEST_F(FlowPrint, TextEventTags) {
  // -E: NEW and UPDATE carry no counters, use or timestamps.
  Flow f;
  f.family = AF_INET;
  set_tuple(f, ct::kDirOrig, AF_INET, "20.0.0.1", "20.0.0.2", 17);
  set_tuple(f, ct::kDirRepl, AF_INET, "20.0.0.2", "20.0.0.1", 17);
  set_ports(f, ct::kDirOrig, 100, 200);
  set_ports(f, ct::kDirRepl, 200, 100);
  set_u32(f, F::kStatus, f.status, kConfirmed);
  set_u32(f, F::kTimeout, f.timeout, 50);
  set_u32(f, F::kMark, f.mark, 5);
  EXPECT_EQ(text(f, MsgKind::kNew),
            "    [NEW] udp      17 50 src=20.0.0.1 dst=20.0.0.2 sport=100 dport=200 [UNREPLIED] "
            "src=20.0.0.2 dst=20.0.0.1 sport=200 dport=100 mark=5");
  EXPECT_EQ(text(f, MsgKind::kUpdate).substr(0, 14), " [UPDATE] udp ");
  // DESTROY carries counters and both timestamps; -o ktimestamp.
  set_counters(f, 0, 0, 0, 0);
  f.mark = 7;
  f.timeout = 49;
  f.ts_start = kStart;
  f.ts_stop = kStart + 200000000;
  f.set.set(F::kTsStart);
  f.set.set(F::kTsStop);
  PrintOpts o;
  o.ktimestamp = true;
  EXPECT_EQ(print(f, o, MsgKind::kDestroy),
            "[DESTROY] udp      17 49 src=20.0.0.1 dst=20.0.0.2 sport=100 dport=200 packets=0 bytes=0 "
            "[UNREPLIED] src=20.0.0.2 dst=20.0.0.1 sport=200 dport=100 packets=0 bytes=0 mark=7 "
            "delta-time=0 [start=Wed Nov 25 13:27:01 2026] [stop=Wed Nov 25 13:27:01 2026]");
}

TEST_F(FlowPrint, TextStatusFlagPriority) {
  Flow f = tcp_assured();
  f.status |= uapi::kIpsOffload;
  EXPECT_NE(text(f).find(" [OFFLOAD] mark=42"), std::string::npos);
  f.status |= uapi::kIpsHwOffload;
  EXPECT_NE(text(f).find(" [HW_OFFLOAD] mark=42"), std::string::npos);
  f.set.clear(F::kStatus);  // no status: neither flag nor [UNREPLIED]
  EXPECT_EQ(text(f).find('['), std::string::npos);
}

TEST_F(FlowPrint, TextScalarOrder) {
  Flow f = tcp_assured();
  set_u32(f, F::kSecmark, f.secmark, 5);
  f.secctx = "system_u:object_r:x";
  f.set.set(F::kSecctx);
  f.zone = 3;
  f.set.set(F::kZone);
  f.helper = "ftp";
  f.set.set(F::kHelper);
  EXPECT_NE(text(f).find("[ASSURED] mark=42 secmark=5 secctx=system_u:object_r:x zone=3 "
                         "delta-time=6 helper=ftp use=1"),
            std::string::npos);
}

TEST_F(FlowPrint, TextStatesOutOfRangePrintNone) {
  Flow f = tcp_assured();
  f.tcp_state = 10;
  EXPECT_NE(text(f).find("tcp      6 94 NONE src="), std::string::npos);
  Flow s = base_flow(AF_INET, "1.1.1.4", "2.2.2.2", 132, kConfirmed, 3429);
  set_ports(s, ct::kDirOrig, 5, 6);
  set_ports(s, ct::kDirRepl, 6, 5);
  s.sctp_state = 7;
  s.set.set(F::kSctpState);
  EXPECT_NE(text(s).find("sctp     132 3429 SHUTDOWN_ACK_SENT src="), std::string::npos);
  s.sctp_state = 9;
  EXPECT_NE(text(s).find(" HEARTBEAT_ACKED src="), std::string::npos);
  s.sctp_state = 10;
  EXPECT_NE(text(s).find(" NONE src="), std::string::npos);
}

TEST_F(FlowPrint, TextDeltaTimeTruncatesEachSide) {
  Flow f = tcp_assured();
  f.ts_start = 1 * kSec + 900000000;
  f.ts_stop = 3 * kSec + 100000000;
  f.set.set(F::kTsStop);
  EXPECT_NE(text(f).find(" delta-time=2 "), std::string::npos);
  // Timestamps from the future (clock steps) wrap as upstream's %llu does.
  f.set.clear(F::kTsStop);
  f.ts_start = kStart + 10 * kSec;
  EXPECT_NE(text(f).find(" delta-time=18446744073709551612 "), std::string::npos);
}

// ---- labels ---------------------------------------------------------------

class FlowPrintLabels : public FlowPrint {
 protected:
  void SetUp() override {
    char path[] = "/tmp/flow_print_test_XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    const char conf[] = "0 eth0-in\n1 eth0-out\n2 ppp-in\n3 ppp-out\n127 last\n";
    ASSERT_EQ(write(fd, conf, sizeof conf - 1), static_cast<ssize_t>(sizeof conf - 1));
    close(fd);
    ASSERT_TRUE(map_.load(path));
    unlink(path);
  }
  Flow with_labels(std::initializer_list<unsigned> bits) {
    Flow f = base_flow(AF_INET, "11.0.0.1", "11.0.0.2", 6, kConfirmed, 99);
    set_ports(f, ct::kDirOrig, 1, 2);
    set_ports(f, ct::kDirRepl, 2, 1);
    f.tcp_state = uapi::kTcpEstablished;
    f.set.set(F::kTcpState);
    std::fill(std::begin(bits_), std::end(bits_), 0);
    for (unsigned b : bits) bits_[b / 8] |= static_cast<uint8_t>(1u << (b % 8));
    f.labels = bits_;
    f.labels_len = sizeof bits_;
    f.set.set(F::kLabels);
    return f;
  }
  ct::LabelMap map_;
  uint8_t bits_[16] = {};
};

TEST_F(FlowPrintLabels, TextNames) {
  PrintOpts o;
  o.labels = &map_;
  Flow f = with_labels({0, 2});
  f.ts_start = kStart + 6 * kSec;
  EXPECT_EQ(print(f, o),
            "tcp      6 99 ESTABLISHED src=11.0.0.1 dst=11.0.0.2 sport=1 dport=2 packets=0 bytes=0 "
            "[UNREPLIED] src=11.0.0.2 dst=11.0.0.1 sport=2 dport=1 packets=0 bytes=0 mark=0 "
            "delta-time=0 use=1 labels=eth0-in,ppp-in");
  // Without the map loaded there is no labels field at all.
  EXPECT_EQ(text(f).find("labels"), std::string::npos);
}

TEST_F(FlowPrintLabels, TextOnlyUnnamedBitsPrintsBareWord) {
  PrintOpts o;
  o.labels = &map_;
  std::string s = print(with_labels({4, 6, 100}), o);
  EXPECT_EQ(s.substr(s.size() - 13), " use=1 labels");
  s = print(with_labels({127}), o);
  EXPECT_EQ(s.substr(s.size() - 11), "labels=last");
}

TEST_F(FlowPrintLabels, Xml) {
  PrintOpts o = fmt(OutFormat::kXml);
  o.labels = &map_;
  std::string s = print(with_labels({0, 2}), o);
  EXPECT_NE(s.find("<mark>0</mark><labels><label>eth0-in</label><label>ppp-in</label></labels>"
                   "<use>1</use><id>3959301017</id><unreplied/><deltatime>6</deltatime></meta></flow>"),
            std::string::npos);
  s = print(with_labels({5}), o);
  EXPECT_NE(s.find("<mark>0</mark><labels></labels><use>1</use>"), std::string::npos);
}

TEST_F(FlowPrintLabels, Json) {
  PrintOpts o = fmt(OutFormat::kJson);
  o.labels = &map_;
  std::string s = print(with_labels({0, 5, 127}), o);
  EXPECT_NE(s.find(",\"label_bits\":[0,5,127],\"labels\":[\"eth0-in\",\"last\"],"), std::string::npos);
}

// ---- XML ------------------------------------------------------------------

TEST_F(FlowPrint, XmlTcp) {  // spec §3.2 example
  Flow f = tcp_assured();
  f.timeout = 88;
  EXPECT_EQ(print(f, fmt(OutFormat::kXml), MsgKind::kList, kStart + 11 * kSec),
            "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.1</src>"
            "<dst>2.2.2.2</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>10</sport>"
            "<dport>20</dport></layer4><counters><packets>0</packets><bytes>0</bytes></counters></meta>"
            "<meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src>"
            "<dst>1.1.1.1</dst></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><sport>20</sport>"
            "<dport>10</dport></layer4><counters><packets>0</packets><bytes>0</bytes></counters></meta>"
            "<meta direction=\"independent\"><state>ESTABLISHED</state><timeout>88</timeout>"
            "<mark>42</mark><use>1</use><id>1578819462</id><assured/><deltatime>11</deltatime></meta>"
            "</flow>");
}

TEST_F(FlowPrint, XmlSctpStateUsesTcpNames) {
  Flow f = base_flow(AF_INET, "1.1.1.4", "2.2.2.2", 132, kConfirmed, 3429);
  set_ports(f, ct::kDirOrig, 5, 6);
  set_ports(f, ct::kDirRepl, 6, 5);
  f.sctp_state = 7;  // SHUTDOWN_ACK_SENT
  f.set.set(F::kSctpState);
  PrintOpts o = fmt(OutFormat::kXml);
  o.ktimestamp = true;
  EXPECT_EQ(print(f, o, MsgKind::kList, kStart + 70 * kSec),
            "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.4</src>"
            "<dst>2.2.2.2</dst></layer3><layer4 protonum=\"132\" protoname=\"sctp\"><sport>5</sport>"
            "<dport>6</dport></layer4><counters><packets>0</packets><bytes>0</bytes></counters></meta>"
            "<meta direction=\"reply\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>2.2.2.2</src>"
            "<dst>1.1.1.4</dst></layer3><layer4 protonum=\"132\" protoname=\"sctp\"><sport>6</sport>"
            "<dport>5</dport></layer4><counters><packets>0</packets><bytes>0</bytes></counters></meta>"
            "<meta direction=\"independent\"><state>TIME_WAIT</state><timeout>3429</timeout>"
            "<mark>0</mark><use>1</use><id>3959301017</id><unreplied/><timestamp>"
            "<start>1795613221691494355</start></timestamp><deltatime>70</deltatime></meta></flow>");
}

TEST_F(FlowPrint, XmlIcmpAndUnknownHaveEmptyLayer4) {
  Flow f = base_flow(AF_INET6, "2001:db8::1", "2001:db8::2", 4, kConfirmed, 3599);
  std::string s = print(f, fmt(OutFormat::kXml));
  EXPECT_NE(s.find("<layer3 protonum=\"10\" protoname=\"ipv6\"><src>2001:db8::1</src><dst>2001:db8::2</dst>"
                   "</layer3><layer4 protonum=\"4\" protoname=\"unknown\"></layer4><counters>"),
            std::string::npos);
  Flow i = base_flow(AF_INET, "1.1.1.1", "2.2.2.2", 1, kConfirmed, 29);
  set_icmp(i, ct::kDirOrig, 8, 0, 77);
  EXPECT_NE(print(i, fmt(OutFormat::kXml)).find("<layer4 protonum=\"1\" protoname=\"icmp\"></layer4>"),
            std::string::npos);
}

TEST_F(FlowPrint, XmlGreZoneAndReplyCountersGatedOnOriginal) {
  Flow f = base_flow(AF_INET, "5.5.5.5", "6.6.6.6", 47, kConfirmed, 54);
  set_ports(f, ct::kDirOrig, 0x10, 0xffff);
  f.tuple[ct::kDirRepl].zone = 1;
  f.set.set(F::kReplZone);
  f.set.clear(F::kReplPackets);
  f.set.clear(F::kReplBytes);
  std::string s = print(f, fmt(OutFormat::kXml));
  EXPECT_NE(s.find("<srckey>0x10</srckey><dstkey>0xffff</dstkey></layer4><counters>"), std::string::npos);
  // The reply tuple has no ports present: keys print as 0, then its zone,
  // then counters (gated on the original ones; absent values read as 0).
  EXPECT_NE(s.find("<srckey>0x0</srckey><dstkey>0x0</dstkey></layer4><zone>1</zone><counters>"
                   "<packets>0</packets><bytes>0</bytes></counters></meta><meta direction=\"independent\">"),
            std::string::npos);
}

TEST_F(FlowPrint, XmlEventWithTimestampsAndWhen) {
  Flow f = tcp_assured();
  f.ts_stop = kStart + 1900000000;
  f.set.set(F::kTsStop);
  f.ts_start = kStart - 200000000;  // text would say 2, XML truncates the difference: 2.1 -> 2
  f.helper = "ftp";
  f.set.set(F::kHelper);
  PrintOpts o = fmt(OutFormat::kXml);
  o.ktimestamp = o.timestamp = true;
  std::string s = print(f, o, MsgKind::kDestroy, kStart + 5 * kSec);
  EXPECT_EQ(s.substr(0, 23), "<flow type=\"destroy\"><m");
  EXPECT_NE(s.find("<assured/><timestamp><start>1795613221491494355</start><stop>1795613223591494355</stop>"
                   "</timestamp><deltatime>2</deltatime></meta><when><hour>13</hour><min>27</min>"
                   "<sec>06</sec><wday>4</wday><day>25</day><month>11</month><year>2026</year></when>"
                   "<helper>ftp</helper></flow>"),
            std::string::npos);
  // -L never prints <when>.
  EXPECT_EQ(print(f, o, MsgKind::kList).find("<when>"), std::string::npos);
  EXPECT_EQ(print(f, o, MsgKind::kNew).substr(0, 17), "<flow type=\"new\">");
  EXPECT_EQ(print(f, o, MsgKind::kUpdate).substr(0, 20), "<flow type=\"update\">");
}

TEST_F(FlowPrint, XmlDeltaDiffersFromText) {
  Flow f = tcp_assured();
  f.ts_start = 1 * kSec + 900000000;
  f.ts_stop = 3 * kSec + 100000000;
  f.set.set(F::kTsStop);
  EXPECT_NE(print(f, fmt(OutFormat::kXml)).find("<deltatime>1</deltatime>"), std::string::npos);
}

TEST_F(FlowPrint, XmlSecctxOutsideIndependentBlock) {
  Flow f;
  f.family = AF_INET;
  set_tuple(f, ct::kDirOrig, AF_INET, "1.1.1.1", "2.2.2.2", 17);
  f.secctx = "ctx";
  f.set.set(F::kSecctx);
  EXPECT_EQ(print(f, fmt(OutFormat::kXml)),
            "<flow><meta direction=\"original\"><layer3 protonum=\"2\" protoname=\"ipv4\"><src>1.1.1.1</src>"
            "<dst>2.2.2.2</dst></layer3><layer4 protonum=\"17\" protoname=\"udp\"><sport>0</sport>"
            "<dport>0</dport></layer4></meta><meta direction=\"reply\"><layer3 protonum=\"0\" "
            "protoname=\"unknown\"><src></src><dst></dst></layer3><layer4 protonum=\"0\" "
            "protoname=\"unknown\"></layer4></meta><secctx>ctx</secctx></flow>");
}

TEST_F(FlowPrint, XmlHeaderFooter) {
  EXPECT_EQ(ct::kXmlHeader, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<conntrack>\n");
  EXPECT_EQ(ct::kXmlFooter, "</conntrack>\n");
}

// ---- save -----------------------------------------------------------------

Flow nat_tcp(const char* os, const char* od, const char* rs, const char* rd, uint32_t status) {
  Flow f = base_flow(AF_INET, os, od, 6, status, 3499);
  f.tuple[ct::kDirRepl].src = addr(rs);
  f.tuple[ct::kDirRepl].dst = addr(rd);
  f.tcp_state = uapi::kTcpTimeWait;
  f.set.set(F::kTcpState);
  set_ports(f, ct::kDirOrig, 11, 21);
  set_ports(f, ct::kDirRepl, 21, 11);
  return f;
}

TEST_F(FlowPrint, SaveTcp) {
  Flow f = tcp_assured();
  f.timeout = 88;
  EXPECT_EQ(print(f, fmt(OutFormat::kSave)),
            "-A -t 88 -u SEEN_REPLY,ASSURED -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p tcp "
            "--sport 10 --dport 20 --reply-port-src 20 --reply-port-dst 10 --state ESTABLISHED");
  EXPECT_EQ(last_, ct::PrintResult::kOk);
}

TEST_F(FlowPrint, SaveNat) {
  constexpr uint32_t kBoth = kConfirmed | uapi::kIpsSrcNat | uapi::kIpsDstNat |
                             uapi::kIpsSrcNatDone | uapi::kIpsDstNatDone;
  // --src-nat 4.4.4.4 --dst-nat 5.5.5.5
  EXPECT_EQ(print(nat_tcp("9.9.9.7", "2.2.2.2", "5.5.5.5", "4.4.4.4", kBoth), fmt(OutFormat::kSave)),
            "-A -t 3499 -u UNSET -s 9.9.9.7 -d 2.2.2.2 -g 5.5.5.5 -n 4.4.4.4 -p tcp --sport 11 "
            "--dport 21 --reply-port-src 21 --reply-port-dst 11 --state TIME_WAIT");
  // The NAT-done bit decides before the addresses do.
  std::string s = print(nat_tcp("9.9.9.7", "2.2.2.2", "5.5.5.5", "4.4.4.4", kConfirmed), fmt(OutFormat::kSave));
  EXPECT_NE(s.find(" -r 5.5.5.5 -q 4.4.4.4 "), std::string::npos);
  // Without a status only the addresses count.
  Flow f = nat_tcp("9.9.9.7", "2.2.2.2", "2.2.2.2", "4.4.4.4", 0);
  f.set.clear(F::kStatus);
  s = print(f, fmt(OutFormat::kSave));
  EXPECT_EQ(s.substr(0, 60), "-A -t 3499 -s 9.9.9.7 -d 2.2.2.2 -r 2.2.2.2 -n 4.4.4.4 -p tc");
}

TEST_F(FlowPrint, SaveIpv6Dnat) {  // --dst-nat [::1]:5
  Flow f = base_flow(AF_INET6, "fe80::1:0:0:1", "1:2:3:4:5:6:7:8", 6,
                     kConfirmed | uapi::kIpsDstNat | uapi::kIpsSrcNatDone | uapi::kIpsDstNatDone, 3499);
  f.tuple[ct::kDirRepl].src = addr("::1");
  f.tuple[ct::kDirRepl].dst = addr("fe80::1:0:0:1");
  set_ports(f, ct::kDirOrig, 1, 2);
  set_ports(f, ct::kDirRepl, 5, 1);
  f.tcp_state = uapi::kTcpEstablished;
  f.set.set(F::kTcpState);
  EXPECT_EQ(print(f, fmt(OutFormat::kSave)),
            "-A -t 3499 -u UNSET -s fe80::1:0:0:1 -d 1:2:3:4:5:6:7:8 -g ::1 -q fe80::1:0:0:1 -p tcp "
            "--sport 1 --dport 2 --reply-port-src 5 --reply-port-dst 1 --state ESTABLISHED");
}

TEST_F(FlowPrint, SaveGenericFields) {
  Flow f = base_flow(AF_INET, "20.0.0.9", "20.0.0.2", 17,
                     kConfirmed | uapi::kIpsExpected | uapi::kIpsFixedTimeout, 3499);
  set_ports(f, ct::kDirOrig, 100, 200);
  set_ports(f, ct::kDirRepl, 200, 100);
  set_u32(f, F::kSecmark, f.secmark, 9);
  f.zone = 65535;
  f.set.set(F::kZone);
  f.tuple[ct::kDirOrig].zone = 1;
  f.set.set(F::kOrigZone);
  f.tuple[ct::kDirRepl].zone = 2;
  f.set.set(F::kReplZone);
  EXPECT_EQ(print(f, fmt(OutFormat::kSave)),
            "-A -t 3499 -u EXPECTED,FIXED_TIMEOUT -c 9 -w 65535 --orig-zone 1 --reply-zone 2 "
            "-s 20.0.0.9 -d 20.0.0.2 -r 20.0.0.2 -q 20.0.0.9 -p udp --sport 100 --dport 200 "
            "--reply-port-src 200 --reply-port-dst 100");
}

TEST_F(FlowPrint, SaveProtocols) {
  PrintOpts o = fmt(OutFormat::kSave);
  Flow gre = base_flow(AF_INET, "5.5.5.5", "6.6.6.6", 47, kConfirmed, 3599);
  set_ports(gre, ct::kDirOrig, 0x10, 0x20);
  set_ports(gre, ct::kDirRepl, 0x20, 0x10);
  EXPECT_EQ(print(gre, o),
            "-A -t 3599 -u UNSET -s 5.5.5.5 -d 6.6.6.6 -r 6.6.6.6 -q 5.5.5.5 -p gre --srckey 16 "
            "--dstkey 32 --reply-key-src 32 --reply-key-dst 16");
  Flow icmp = base_flow(AF_INET, "1.1.1.5", "2.2.2.2", 1, kConfirmed, 2999);
  set_icmp(icmp, ct::kDirOrig, 13, 3, 65535);
  set_icmp(icmp, ct::kDirRepl, 14, 3, 65535);
  EXPECT_EQ(print(icmp, o),
            "-A -t 2999 -u UNSET -s 1.1.1.5 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.5 -p icmp --icmp-type 13 "
            "--icmp-code 3 --icmp-id 65535");
  Flow icmp6 = base_flow(AF_INET6, "2001:db8::1", "2001:db8::2", 58, kConfirmed, 2999);
  set_icmp(icmp6, ct::kDirOrig, 128, 0, 5);
  EXPECT_EQ(print(icmp6, o),
            "-A -t 2999 -u UNSET -s 2001:db8::1 -d 2001:db8::2 -r 2001:db8::2 -q 2001:db8::1 -p icmpv6 "
            "--icmpv6-type 128 --icmpv6-code 0 --icmpv6-id 5");
  Flow unknown = base_flow(AF_INET, "10.0.0.1", "10.0.0.2", 99, kConfirmed, 3599);
  EXPECT_EQ(print(unknown, o), "-A -t 3599 -u UNSET -s 10.0.0.1 -d 10.0.0.2 -r 10.0.0.2 -q 10.0.0.1 -p 99");
  Flow dccp = base_flow(AF_INET, "1.1.1.1", "2.2.2.2", 33, kConfirmed, 3499);
  EXPECT_EQ(print(dccp, o), "-A -t 3499 -u UNSET -s 1.1.1.1 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.1 -p dccp");
  set_ports(dccp, ct::kDirOrig, 5, 6);
  dccp.dccp_state = 4;
  dccp.dccp_role = 1;
  dccp.set.set(F::kDccpState);
  dccp.set.set(F::kDccpRole);
  EXPECT_NE(print(dccp, o).find(" -q 1.1.1.1 -p dccp --sport 5 --dport 6 --state OPEN --role server"),
            std::string::npos);
}

TEST_F(FlowPrint, SaveSctpVtagsAndStates) {
  Flow f = base_flow(AF_INET, "1.1.1.4", "2.2.2.2", 132, kConfirmed, 3429);
  set_ports(f, ct::kDirOrig, 5, 6);
  set_ports(f, ct::kDirRepl, 6, 5);
  f.sctp_state = 7;
  f.set.set(F::kSctpState);
  // --orig-vtag 16909060 --reply-vtag 4294967295 comes back from the kernel
  // byte-swapped; upstream swaps it again when printing.
  f.sctp_vtag[0] = 0x04030201;
  f.sctp_vtag[1] = 0xffffffff;
  f.set.set(F::kSctpVtagOrig);
  f.set.set(F::kSctpVtagRepl);
  EXPECT_EQ(print(f, fmt(OutFormat::kSave)),
            "-A -t 3429 -u UNSET -s 1.1.1.4 -d 2.2.2.2 -r 2.2.2.2 -q 1.1.1.4 -p sctp --sport 5 --dport 6 "
            "--reply-port-src 6 --reply-port-dst 5 --state SHUTDOWN_ACK_SENT --orig-vtag 16909060 "
            "--reply-vtag 4294967295");
  f.sctp_state = 8;  // HEARTBEAT_SENT has no name in conntrack's save table
  EXPECT_NE(print(f, fmt(OutFormat::kSave)).find("--state (null) --orig-vtag"), std::string::npos);
}

TEST_F(FlowPrint, SavePrefixes) {
  Flow f = tcp_assured();
  PrintOpts o = fmt(OutFormat::kSave);
  EXPECT_EQ(print(f, o).substr(0, 3), "-A ");
  o.save_prefix = 'D';
  EXPECT_EQ(print(f, o).substr(0, 3), "-D ");
  EXPECT_EQ(print(f, o, MsgKind::kNew).substr(0, 3), "-A ");
  EXPECT_EQ(print(f, o, MsgKind::kUpdate).substr(0, 3), "-U ");
  EXPECT_EQ(print(f, o, MsgKind::kDestroy).substr(0, 3), "-D ");
}

TEST_F(FlowPrint, SaveUnsupportedL3) {
  Flow f = base_flow(7, "1.1.1.1", "2.2.2.2", 17, kConfirmed, 9);
  EXPECT_EQ(print(f, fmt(OutFormat::kSave)), "-A -t 9 -u UNSET ");
  EXPECT_EQ(last_, ct::PrintResult::kUnsupportedL3);
  EXPECT_EQ(ct::flow_save_l3(f), 7);
  base::LineBuf<128> err;
  ct::flow_print_l3_warning(err, ct::flow_save_l3(f));
  EXPECT_EQ(err.view(), "WARNING: unsupported l3proto 7, skipping.\n");
}

// ---- JSON -----------------------------------------------------------------

TEST_F(FlowPrint, JsonTcp) {
  Flow f = tcp_assured();
  f.helper = "ftp\"x";
  f.set.set(F::kHelper);
  EXPECT_EQ(print(f, fmt(OutFormat::kJson), MsgKind::kNew),
            "{\"type\":\"new\",\"family\":\"ipv4\",\"l3num\":2,\"proto\":\"tcp\",\"protonum\":6,"
            "\"timeout\":94,\"state\":\"ESTABLISHED\",\"orig\":{\"src\":\"1.1.1.1\",\"dst\":\"2.2.2.2\","
            "\"sport\":10,\"dport\":20,\"packets\":0,\"bytes\":0},\"reply\":{\"src\":\"2.2.2.2\","
            "\"dst\":\"1.1.1.1\",\"sport\":20,\"dport\":10,\"packets\":0,\"bytes\":0},"
            "\"status\":[\"SEEN_REPLY\",\"ASSURED\",\"CONFIRMED\"],\"mark\":42,\"use\":1,"
            "\"id\":1578819462,\"helper\":\"ftp\\\"x\",\"timestamp\":{\"start\":1795613221691494355},"
            "\"delta_time\":6}");
}

TEST_F(FlowPrint, JsonIcmpGreZone) {
  Flow f = base_flow(AF_INET6, "::1", "::1", 58, kConfirmed, 23);
  set_icmp(f, ct::kDirOrig, 128, 0, 8905);
  f.tuple[ct::kDirOrig].zone = 4;
  f.set.set(F::kOrigZone);
  std::string s = print(f, fmt(OutFormat::kJson));
  EXPECT_NE(s.find("\"orig\":{\"src\":\"::1\",\"dst\":\"::1\",\"type\":128,\"code\":0,\"id\":8905,"
                   "\"zone\":4,\"packets\":0,\"bytes\":0}"),
            std::string::npos);
  Flow g = base_flow(AF_INET, "5.5.5.5", "6.6.6.6", 47, kConfirmed, 54);
  set_ports(g, ct::kDirOrig, 16, 32);
  EXPECT_NE(print(g, fmt(OutFormat::kJson)).find("\"srckey\":16,\"dstkey\":32,"), std::string::npos);
}

// ---- event prefix ---------------------------------------------------------

TEST_F(FlowPrint, EventPrefix) {
  Flow f;
  base::LineBuf<64> b;
  ct::flow_print_event_prefix(b, f, 1795544901ull * kSec + 743713999);
  EXPECT_EQ(b.view(), "[1795544901.743713]\t");
  b.clear();
  ct::flow_print_event_prefix(b, f, 12 * kSec + 5000);
  EXPECT_EQ(b.view(), "[00000012.000005]\t");
  b.clear();
  f.ts_event = 1795613273254997123ull;
  f.set.set(F::kTsEvent);
  ct::flow_print_event_prefix(b, f, 0);
  EXPECT_EQ(b.view(), "[1795613273.254997]\t");
}

}  // namespace
