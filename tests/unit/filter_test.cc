// filter_match / flow_cmp against the semantics of spec §4 and
// libnetfilter_conntrack's compare.c.  Filters are built by cli_parse, as
// the commands build them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conntrack/cli.h"
#include "ct/filter.h"
#include "ct_uapi.h"

namespace {

using conntrack::Cli;
using ct::F;
using ct::Flow;

ct::Filter make_filter(std::vector<std::string> args, bool prepare = true) {
  static std::vector<std::string> store;
  static std::vector<char*> ptrs;
  store = std::move(args);
  store.insert(store.begin(), "conntrack");
  ptrs.clear();
  for (auto& s : store) ptrs.push_back(s.data());
  ptrs.push_back(nullptr);
  static Cli cli;
  conntrack::cli_parse(static_cast<int>(store.size()), ptrs.data(), cli);
  if (prepare) conntrack::cli_prepare_filter(cli);
  return cli.filter;
}

void set_v4(Flow& f, ct::Dir d, uint8_t s3, uint8_t d3) {
  ct::Tuple& t = f.tuple[d];
  t.l3 = uapi::kAfInet;
  t.src = ct::Addr{{10, 0, 0, s3}};
  t.dst = ct::Addr{{10, 0, 0, d3}};
  f.set.set(ct::tuple_field(d, F::kOrigL3));
  f.set.set(ct::tuple_field(d, F::kOrigSrc));
  f.set.set(ct::tuple_field(d, F::kOrigDst));
}

// A TCP entry as the kernel sends it: 10.0.0.1:1000 -> 10.0.0.2:80.
Flow tcp_entry() {
  Flow f;
  f.family = uapi::kAfInet;
  set_v4(f, ct::kDirOrig, 1, 2);
  set_v4(f, ct::kDirRepl, 2, 1);
  for (ct::Dir d : {ct::kDirOrig, ct::kDirRepl}) {
    f.tuple[d].l4 = uapi::kIpprotoTcp;
    f.set.set(ct::tuple_field(d, F::kOrigL4));
    f.set.set(ct::tuple_field(d, F::kOrigPortSrc));
    f.set.set(ct::tuple_field(d, F::kOrigPortDst));
  }
  f.tuple[0].sport = 1000;
  f.tuple[0].dport = 80;
  f.tuple[1].sport = 80;
  f.tuple[1].dport = 1000;
  f.status = uapi::kIpsSeenReply | uapi::kIpsAssured | uapi::kIpsConfirmed |
             uapi::kIpsSrcNatDone | uapi::kIpsDstNatDone;
  f.set.set(F::kStatus);
  f.mark = 0x42;
  f.set.set(F::kMark);
  f.tcp_state = 3;
  f.set.set(F::kTcpState);
  f.timeout = 100;
  f.set.set(F::kTimeout);
  f.id = 7;
  f.set.set(F::kId);
  return f;
}

TEST(Filter, EmptyMatchesAll) { EXPECT_TRUE(ct::filter_match(make_filter({"-L"}), tcp_entry())); }

TEST(Filter, ProtoPortsState) {
  Flow e = tcp_entry();
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-p", "tcp", "--dport", "80"}), e));
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-p", "tcp", "--dport", "81"}), e));
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-p", "udp"}), e));
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-p", "tcp", "--state", "ESTABLISHED"}), e));
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-p", "tcp", "--state", "SYN_SENT"}), e));
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-p", "tcp", "--reply-port-src", "80"}), e));
}

TEST(Filter, Addresses) {
  Flow e = tcp_entry();
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-s", "10.0.0.1"}), e));
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-s", "10.0.0.2"}), e));
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-r", "10.0.0.2", "-q", "10.0.0.1"}), e));
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-s", "::1"}), e));  // v6 template
}

TEST(Filter, Networks) {
  Flow e = tcp_entry();
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-s", "10.9.9.9/8"}), e));
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-s", "11.0.0.0/8"}), e));
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-d", "10.0.0.0", "--mask-dst", "255.255.255.0"}), e));
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-s", "::/0"}), e));  // family differs
  // Not prepared (-L dying): a network rule matches nothing.
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-s", "10.0.0.0/8"}, false), e));
}

TEST(Filter, StatusAllTemplateBits) {
  Flow e = tcp_entry();
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-u", "ASSURED,SEEN_REPLY"}), e));
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-u", "FIXED_TIMEOUT"}), e));
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-u", "UNSET"}), e));
  // "!" goes to the kernel mask only; userspace checks the value bits.
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-u", "!ASSURED"}), e));
}

TEST(Filter, MarkMaskAndMissingMark) {
  Flow e = tcp_entry();
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-m", "0x42"}), e));
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-m", "2/0xf"}), e));
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-m", "0x43"}), e));
  e.set.clear(F::kMark);
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-m", "0/0"}), e));
}

TEST(Filter, ZonesMissingIsZero) {
  Flow e = tcp_entry();
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-w", "0"}), e));
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-w", "1"}), e));
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "--orig-zone", "0"}), e));
  e.tuple[ct::kDirOrig].zone = 3;
  e.set.set(F::kOrigZone);
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "--orig-zone", "3"}), e));
  EXPECT_TRUE(ct::filter_match(make_filter({"-L"}), e));
}

TEST(Filter, TimeoutAndIdExact) {
  Flow e = tcp_entry();
  EXPECT_TRUE(ct::filter_match(make_filter({"-D", "-p", "tcp", "-t", "100"}), e));
  EXPECT_FALSE(ct::filter_match(make_filter({"-D", "-p", "tcp", "-t", "99"}), e));
  // -t alone does not switch the comparison on (not in CT_COMPARISON).
  EXPECT_TRUE(ct::filter_match(make_filter({"-D", "-t", "99"}), e));
  EXPECT_TRUE(ct::filter_match(make_filter({"-D", "-i", "7"}), e));
  EXPECT_FALSE(ct::filter_match(make_filter({"-D", "-i", "8"}), e));
}

Flow snat_entry() {
  // 10.0.0.1:1000 -> 10.0.0.2:80 leaves as 10.0.0.9:2000.
  Flow e = tcp_entry();
  e.tuple[ct::kDirRepl].dst = ct::Addr{{10, 0, 0, 9}};
  e.tuple[ct::kDirRepl].dport = 2000;
  return e;
}

TEST(Filter, Nat) {
  Flow plain = tcp_entry();
  Flow sn = snat_entry();
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-n"}), plain));
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-n"}), sn));
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-n", "10.0.0.9"}), sn));
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-n", "10.0.0.8"}), sn));
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-n", "10.0.0.9:2000"}), sn));
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-n", "10.0.0.9:2001"}), sn));
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-g"}), sn));
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-j"}), sn));
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-n", "-g"}), sn));
  // Without SRC_NAT_DONE the entry is not SNATed, whatever the tuples say.
  sn.status &= ~uapi::kIpsSrcNatDone;
  EXPECT_FALSE(ct::filter_match(make_filter({"-L", "-n"}), sn));
}

TEST(Filter, IcmpSpatComparesUnionImages) {
  // libnetfilter_conntrack compares reply type/code with the orig id.
  Flow e;
  set_v4(e, ct::kDirOrig, 1, 2);
  set_v4(e, ct::kDirRepl, 2, 1);
  for (ct::Dir d : {ct::kDirOrig, ct::kDirRepl}) {
    e.tuple[d].l4 = uapi::kIpprotoIcmp;
    e.set.set(ct::tuple_field(d, F::kOrigL4));
    e.set.set(ct::tuple_field(d, F::kOrigIcmpType));
    e.set.set(ct::tuple_field(d, F::kOrigIcmpCode));
    e.set.set(ct::tuple_field(d, F::kOrigIcmpId));
    e.tuple[d].icmp_id = 0x1234;
  }
  e.tuple[0].icmp_type = 8;
  EXPECT_TRUE(ct::is_spat(e));
  EXPECT_TRUE(ct::filter_match(make_filter({"-L", "-n"}), e));
}

TEST(Filter, Labels) {
  uint8_t bits[16] = {};
  bits[0] = 0x08;  // bit 3
  Flow e = tcp_entry();
  ct::Filter f = make_filter({"-L"});
  f.labels = true;
  f.label_bits.set(3);
  EXPECT_FALSE(ct::filter_match(f, e));  // no labels at all
  e.labels = bits;
  e.labels_len = sizeof bits;
  e.set.set(F::kLabels);
  EXPECT_TRUE(ct::filter_match(f, e));
  f.label_bits.set(100);
  EXPECT_FALSE(ct::filter_match(f, e));
}

TEST(Filter, UpdateSelectionIgnoresMarkAndStatus) {
  Flow e = tcp_entry();
  EXPECT_TRUE(ct::filter_match_update(make_filter({"-U", "-m", "1", "-u", "FIXED_TIMEOUT"}), e));
  EXPECT_TRUE(ct::filter_match_update(make_filter({"-U", "-p", "tcp", "--dport", "80"}), e));
  EXPECT_FALSE(ct::filter_match_update(make_filter({"-U", "-p", "tcp", "--dport", "81"}), e));
  EXPECT_FALSE(ct::filter_match_update(make_filter({"-U", "-i", "8"}), e));
}

TEST(FlowCmp, MaskVersusPlain) {
  Flow t;
  t.tuple[0].zone = 5;
  t.set.set(F::kOrigZone);
  Flow e = tcp_entry();
  EXPECT_FALSE(ct::flow_cmp(t, e, ct::kCmpAll | ct::kCmpMask));  // missing zone = 0
  EXPECT_TRUE(ct::flow_cmp(t, e, ct::kCmpOrig));  // set on one side only: ignored
  EXPECT_TRUE(ct::flow_cmp(e, e, ct::kCmpAll | ct::kCmpMask));
}

}  // namespace
