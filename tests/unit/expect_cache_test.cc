// ExpectCache (conntrackd ExpectationSync): documented sizes, insert /
// lookup / update / erase / iterate, upstream's nfexp_cmp key semantics,
// round trips through the printer, churn against a reference set, limits
// and memory accounting; the -i/-e expect dump lines (captured from Debian's
// conntrackd 1.4.7 on kernel 6.18, FTP helper on loopback); the
// ExpectationSync helper list; and the control server's expect requests.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/out_buf.h"
#include "conntrackd/control/control_proto.h"
#include "conntrackd/control/control_server.h"
#include "conntrackd/control/exp_dump_format.h"
#include "conntrackd/cache/expect_cache.h"
#include "conntrackd/kernel/kernel_expect.h"
#include "conntrackd/sync/sync_queue.h"
#include "ct/expect.h"
#include "ct/expect_parse.h"
#include "ct/expect_print.h"
#include "ct_uapi.h"
#include "netlink/msg_builder.h"

namespace {

using namespace uapi;
using ct::XA;

struct TupleSpec {
  const char* src;
  const char* dst;
  uint8_t l4;
  uint16_t sport, dport;
};

void put_tuple(nl::MsgBuilder& b, uint16_t type, int family, const TupleSpec& t) {
  size_t n = b.nest_start(type);
  size_t ip = b.nest_start(CTA_TUPLE_IP);
  uint8_t a[16];
  size_t alen = family == AF_INET ? 4 : 16;
  inet_pton(family, t.src, a);
  b.put(family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, a, alen);
  inet_pton(family, t.dst, a);
  b.put(family == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST, a, alen);
  b.nest_end(ip);
  size_t p = b.nest_start(CTA_TUPLE_PROTO);
  b.put_u8(CTA_PROTO_NUM, t.l4);
  b.put_u16_be(CTA_PROTO_SRC_PORT, t.sport);
  b.put_u16_be(CTA_PROTO_DST_PORT, t.dport);
  b.nest_end(p);
  b.nest_end(n);
}

struct Spec {
  int family = AF_INET;
  TupleSpec master{"127.0.0.1", "127.0.0.1", 6, 48008, 2121};
  TupleSpec expected{"127.0.0.1", "127.0.0.1", 6, 0, 3335};
  TupleSpec mask{"255.255.255.255", "255.255.255.255", 6, 0, 65535};
  uint32_t timeout = 299;
  uint32_t flags = 0;
  bool has_flags = false;
  uint16_t zone = 0;
  bool has_zone = false;
  uint32_t cls = 0;
  const char* helper = "ftp";
  const char* fn = nullptr;
};

// A message laid out as the kernel's ctnetlink_exp_fill_info() sends it,
// parsed by the codec the daemon uses.  The storage is per call site
// (static buffers would alias the views of two Expects).
struct Msg {
  uint8_t buf[1024];
  ct::Expect e;
};

void make(Msg& m, const Spec& s) {
  nl::MsgBuilder b(m.buf, sizeof m.buf);
  b.begin_nfmsg(kNfnlSubsysCtnetlinkExp, kExpMsgNew, 0, 1, static_cast<uint8_t>(s.family));
  put_tuple(b, CTA_EXPECT_TUPLE, s.family, s.expected);
  put_tuple(b, CTA_EXPECT_MASK, s.family, s.mask);
  put_tuple(b, CTA_EXPECT_MASTER, s.family, s.master);
  b.put_u32_be(CTA_EXPECT_TIMEOUT, s.timeout);
  b.put_u32_be(CTA_EXPECT_ID, 0x12345678);
  if (s.has_flags) b.put_u32_be(CTA_EXPECT_FLAGS, s.flags);
  b.put_u32_be(CTA_EXPECT_CLASS, s.cls);
  if (s.has_zone) b.put_u16_be(CTA_EXPECT_ZONE, s.zone);
  if (s.helper) b.put_str(CTA_EXPECT_HELP_NAME, s.helper);
  if (s.fn) b.put_str(CTA_EXPECT_FN, s.fn);
  ASSERT_TRUE(b.end_msg());
  ASSERT_TRUE(ct::expect_parse({m.buf + 16, b.size() - 16}, m.e));
}

std::string text_of(const ct::Expect& e, ct::OutFormat f = ct::OutFormat::kText) {
  base::LineBuf<2048> line;
  ct::PrintOpts o;
  o.format = f;
  ct::expect_print(line, e, o, ct::MsgKind::kList, 0);
  return std::string(line.view());
}

std::string entry_line(const ctd::ExpectCache& c, uint32_t ref, bool xml, uint32_t now) {
  base::LineBuf<4096> line;
  ctd::DumpOpts o;
  o.xml = xml;
  o.now = now;
  ctd::dump_put_exp_entry(line, c, ref, o);
  return std::string(line.view());
}

TEST(ExpectCache, DocumentedSizes) {
  EXPECT_EQ(ctd::ExpectCache::bytes_per_expect(AF_INET), 168u);
  EXPECT_EQ(ctd::ExpectCache::bytes_per_expect(AF_INET6), 264u);
  EXPECT_EQ(sizeof(ctd::ExpectHeader), 136u);
}

// ExpectationSync: expectations wait on the same sync queues as flows,
// under refs of their own; an erase unlinks them (the hook), a DEAD one
// is counted destroyed once and no longer active.
namespace {
ctd::SyncQueue* g_q = nullptr;
void unlink_on_erase(void*, uint32_t ref) { g_q->remove(ctd::exp_qref(ref)); }
}  // namespace

TEST(ExpectCache, SyncQueueRefsAndDeadEntries) {
  ctd::FlowCache flows;
  ASSERT_TRUE(flows.init(64, 10));
  ctd::ExpectCache c;
  ASSERT_TRUE(c.init(64, 100));
  static Msg a, b;
  make(a, Spec{});
  Spec sb;
  sb.family = AF_INET6;
  sb.master = {"::1", "::1", 6, 40000, 2121};
  sb.expected = {"::1", "::1", 6, 0, 51300};
  sb.mask = {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 6, 0, 65535};
  make(b, sb);
  uint32_t ra, rb;
  ASSERT_EQ(c.add(a.e, 1, &ra), ctd::CacheErr::kOk);
  ASSERT_EQ(c.add(b.e, 1, &rb), ctd::CacheErr::kOk);
  const uint32_t qa = ctd::exp_qref(ra), qb = ctd::exp_qref(rb);
  EXPECT_NE(qa, qb);
  EXPECT_TRUE(ctd::is_exp_ref(qa) && ctd::is_exp_ref(qb));
  EXPECT_FALSE(ctd::is_ctl_ref(qa) || ctd::is_ctl_ref(qb));
  EXPECT_EQ(ctd::exp_cache_ref(qa), ra);
  EXPECT_EQ(ctd::exp_cache_ref(qb), rb);
  EXPECT_FALSE(ctd::is_exp_ref(ctd::kNilRef));

  ctd::SyncNodes nodes(flows, &c);
  ctd::SyncQueue q(nodes, ctd::SyncQ::kTx, 100);
  g_q = &q;
  c.set_erase_hook(&unlink_on_erase, nullptr);
  ASSERT_TRUE(q.push_back(qa));
  ASSERT_TRUE(q.push_back(qb));
  EXPECT_EQ(nodes.where(qa), ctd::SyncQ::kTx);
  EXPECT_EQ(q.front(), qa);
  EXPECT_EQ(q.next(qa), qb);

  c.mark_dead(ra);
  c.mark_dead(ra);  // once only
  EXPECT_EQ(nodes.obj_state(qa), ctd::ObjState::kDead);
  EXPECT_EQ(c.stats().destroyed, 1u);
  EXPECT_EQ(c.stats().active, 1u);
  c.erase(ra);  // its DEL went out: the hook takes it off the queue
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.front(), qb);
  c.flush();  // the live one counts destroyed, and leaves the queue too
  EXPECT_EQ(c.stats().destroyed, 2u);
  EXPECT_EQ(q.size(), 0u);
  c.set_erase_hook(nullptr, nullptr);
  g_q = nullptr;
}

TEST(ExpectCache, InsertLookupUpdateErase) {
  ctd::ExpectCache c;
  ASSERT_TRUE(c.init(64, 100));
  static Msg a, b;
  make(a, Spec{});
  Spec sb;
  sb.expected.dport = 3336;
  sb.master.sport = 50062;
  make(b, sb);
  uint32_t ra, rb;
  ASSERT_EQ(c.insert(a.e, 100, &ra), ctd::CacheErr::kOk);
  ASSERT_EQ(c.insert(b.e, 101, &rb), ctd::CacheErr::kOk);
  EXPECT_EQ(c.insert(a.e, 102, &ra), ctd::CacheErr::kExists);
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.lookup(a.e), ra);
  EXPECT_EQ(c.lookup(b.e), rb);
  EXPECT_EQ(c.header(ra).created, 100u);
  EXPECT_EQ(c.header(ra).obj, ctd::ObjState::kNew);

  // The timeout is not part of the key; an update replaces the attributes.
  static Msg a2;
  Spec s2;
  s2.timeout = 12;
  make(a2, s2);
  ASSERT_EQ(c.lookup(a2.e), ra);
  c.update(ra, a2.e, 130);
  EXPECT_EQ(c.header(ra).created, 100u);
  EXPECT_EQ(c.header(ra).lastupdate, 130u);
  EXPECT_EQ(c.header(ra).timeout, 12u);
  EXPECT_EQ(c.header(ra).obj, ctd::ObjState::kAlive);
  EXPECT_EQ(c.lookup(a.e), ra);

  unsigned seen = 0;
  c.for_each([&](uint32_t) { seen++; });
  EXPECT_EQ(seen, 2u);
  c.erase(ra);
  EXPECT_EQ(c.lookup(a.e), ctd::kNilRef);
  EXPECT_EQ(c.lookup(b.e), rb);
  EXPECT_EQ(c.size(), 1u);
  c.clear();
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.lookup(b.e), ctd::kNilRef);
}

// nfexp_cmp(a, b, 0): every attribute but the timeout and id counts; one
// present on one side only does not.
TEST(ExpectCache, KeyIsUpstreamsNfexpCmp) {
  ctd::ExpectCache c;
  ASSERT_TRUE(c.init(8, 100));
  static Msg base;
  make(base, Spec{});
  uint32_t r;
  ASSERT_EQ(c.insert(base.e, 1, &r), ctd::CacheErr::kOk);
  auto differs = [&](const Spec& s) {
    static Msg m;
    make(m, s);
    return c.lookup(m.e) == ctd::kNilRef;
  };
  Spec s;
  s.timeout = 5;
  EXPECT_FALSE(differs(s));
  s = Spec{};
  s.expected.dport = 1;
  EXPECT_TRUE(differs(s));
  s = Spec{};
  s.mask.dport = 0xff00;
  EXPECT_TRUE(differs(s));
  s = Spec{};
  s.master.sport = 1;
  EXPECT_TRUE(differs(s));
  s = Spec{};
  s.expected.src = "127.0.0.2";
  EXPECT_TRUE(differs(s));
  s = Spec{};
  s.cls = 1;
  EXPECT_TRUE(differs(s));
  s = Spec{};
  s.helper = "sip";
  EXPECT_TRUE(differs(s));
  // Present on one side only: equal (no NFCT_CMP_STRICT).
  s = Spec{};
  s.helper = nullptr;
  EXPECT_FALSE(differs(s));
  s = Spec{};
  s.has_flags = true;
  s.flags = kExpFPermanent;
  EXPECT_FALSE(differs(s));
  s.has_zone = true;
  s.zone = 3;
  EXPECT_FALSE(differs(s));
  s.fn = "nat-follow-master";
  EXPECT_FALSE(differs(s));
  // Present on both sides and different: not equal.
  static Msg z;
  Spec sz;
  sz.has_zone = true;
  sz.zone = 3;
  sz.has_flags = true;
  sz.flags = kExpFInactive;
  make(z, sz);
  uint32_t rz;
  ASSERT_EQ(c.insert(z.e, 1, &rz), ctd::CacheErr::kExists);  // equal to base
  c.clear();
  ASSERT_EQ(c.insert(z.e, 1, &rz), ctd::CacheErr::kOk);
  Spec sz2 = sz;
  sz2.zone = 4;
  EXPECT_TRUE(differs(sz2));
  sz2 = sz;
  sz2.flags = kExpFPermanent;
  EXPECT_TRUE(differs(sz2));
  EXPECT_FALSE(differs(sz));
}

TEST(ExpectCache, RoundTripPrintsTheSame) {
  ctd::ExpectCache c;
  ASSERT_TRUE(c.init(64, 100));
  Spec v6;
  v6.family = AF_INET6;
  v6.master = {"::1", "::1", 6, 59658, 2121};
  v6.expected = {"::1", "::1", 6, 0, 51300};
  v6.mask = {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 6,
             0, 65535};
  Spec flagged;
  flagged.has_flags = true;
  flagged.flags = kExpFPermanent | kExpFInactive | kExpFUserspace;
  flagged.has_zone = true;
  flagged.zone = 9;
  flagged.cls = 2;
  flagged.fn = "nat-follow-master";
  Spec udp;
  udp.master = {"10.0.0.1", "10.0.0.2", 17, 5060, 5060};
  udp.expected = {"10.0.0.2", "10.0.0.1", 17, 0, 40000};
  udp.mask = {"255.255.255.255", "255.255.255.255", 17, 0, 65535};
  udp.helper = "sip-5060";
  for (const Spec& s : {Spec{}, v6, flagged, udp}) {
    static Msg m;
    make(m, s);
    uint32_t r;
    ASSERT_EQ(c.insert(m.e, 7, &r), ctd::CacheErr::kOk);
    static ct::Expect back;
    c.to_expect(r, &back);
    EXPECT_EQ(text_of(back), text_of(m.e));
    EXPECT_EQ(text_of(back, ct::OutFormat::kXml), text_of(m.e, ct::OutFormat::kXml));
    // JSON shows the kernel's id, which the cache does not keep.
    std::string json = text_of(m.e, ct::OutFormat::kJson);
    const std::string id = ",\"id\":305419896";
    ASSERT_NE(json.find(id), std::string::npos);
    json.erase(json.find(id), id.size());
    EXPECT_EQ(text_of(back, ct::OutFormat::kJson), json);
    EXPECT_EQ(c.lookup(back), r);  // the stored key finds itself
  }
  EXPECT_EQ(c.size(), 4u);
  ctd::CacheMem mem = c.mem();
  EXPECT_EQ(mem.flows_v4, 3u);
  EXPECT_EQ(mem.flows_v6, 1u);
  EXPECT_EQ(mem.used, 3 * 168u + 264u);
}

// The dump lines, byte for byte as Debian's conntrackd 1.4.7 wrote them.
TEST(ExpectCache, DumpLinesMatchUpstream) {
  ctd::ExpectCache c;
  ASSERT_TRUE(c.init(64, 100));
  static Msg m4, m6;
  make(m4, Spec{});
  Spec v6;
  v6.family = AF_INET6;
  v6.master = {"::1", "::1", 6, 59658, 2121};
  v6.expected = {"::1", "::1", 6, 0, 51300};
  v6.mask = {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 6,
             0, 65535};
  make(m6, v6);
  uint32_t r4, r6;
  ASSERT_EQ(c.insert(m4.e, 100, &r4), ctd::CacheErr::kOk);
  ASSERT_EQ(c.insert(m6.e, 100, &r6), ctd::CacheErr::kOk);
  EXPECT_EQ(entry_line(c, r4, false, 106),
            "proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=3335 mask-src=255.255.255.255 "
            "mask-dst=255.255.255.255 sport=0 dport=65535 master-src=127.0.0.1 "
            "master-dst=127.0.0.1 sport=48008 dport=2121 class=0 helper=ftp [active since 6s]\n");
  EXPECT_EQ(entry_line(c, r6, false, 101),
            "proto=6 src=::1 dst=::1 sport=0 dport=51300 "
            "mask-src=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
            "mask-dst=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff sport=0 dport=65535 master-src=::1 "
            "master-dst=::1 sport=59658 dport=2121 class=0 helper=ftp [active since 1s]\n");
  EXPECT_EQ(entry_line(c, r4, true, 106),
            "<flow><layer3 protonum=\"2\" protoname=\"ipv4\"><expected><src>127.0.0.1</src>"
            "<dst>127.0.0.1</dst></expected><mask><src>255.255.255.255</src>"
            "<dst>255.255.255.255</dst></mask><master><src>127.0.0.1</src><dst>127.0.0.1</dst>"
            "</master></layer3><layer4 protonum=\"6\" protoname=\"tcp\"><expected><sport>0</sport>"
            "<dport>3335</dport></expected><mask><sport>0</sport><dport>65535</dport></mask>"
            "<master><sport>48008</sport><dport>2121</dport></master></layer4><meta>"
            "<helper-name>ftp</helper-name><class>0</class></meta></flow>\n");
}

TEST(ExpectCache, ManyPerMasterAndChurn) {
  ctd::ExpectCache c;
  ASSERT_TRUE(c.init(16, 5000));
  std::mt19937 rng(7);
  std::set<std::pair<int, int>> ref;  // (master sport, expected dport)
  static Msg m;
  for (int i = 0; i < 20000; i++) {
    Spec s;
    int ms = 1000 + static_cast<int>(rng() % 8);  // few masters: long chains
    int ed = static_cast<int>(rng() % 1000);
    s.master.sport = static_cast<uint16_t>(ms);
    s.expected.dport = static_cast<uint16_t>(ed);
    make(m, s);
    uint32_t r = c.lookup(m.e);
    ASSERT_EQ(r != ctd::kNilRef, ref.count({ms, ed}) == 1);
    if (r != ctd::kNilRef && rng() % 2) {
      c.erase(r);
      ref.erase({ms, ed});
    } else if (r == ctd::kNilRef) {
      ctd::CacheErr e = c.insert(m.e, 1, &r);
      if (ref.size() >= 5000) {
        ASSERT_EQ(e, ctd::CacheErr::kNoSpace);
      } else {
        ASSERT_EQ(e, ctd::CacheErr::kOk);
        ref.insert({ms, ed});
      }
    }
    ASSERT_EQ(c.size(), ref.size());
  }
  size_t n = 0;
  c.for_each([&](uint32_t r) {
    static ct::Expect e;
    c.to_expect(r, &e);
    EXPECT_EQ(ref.count({e.tuple(ct::kExpMaster).sport, e.tuple(ct::kExpExpected).dport}), 1u);
    n++;
  });
  EXPECT_EQ(n, ref.size());
  EXPECT_EQ(c.mem().used, ref.size() * 168u);
  // Erasing while iterating is allowed.
  c.for_each([&](uint32_t r) { c.erase(r); });
  EXPECT_EQ(c.size(), 0u);
}

TEST(ExpectCache, LimitsAndInvalid) {
  ctd::ExpectCache c;
  uint32_t r;
  static Msg m;
  make(m, Spec{});
  EXPECT_EQ(c.insert(m.e, 1, &r), ctd::CacheErr::kInvalid);  // not initialised
  ASSERT_TRUE(c.init(4, 1));
  ASSERT_EQ(c.insert(m.e, 1, &r), ctd::CacheErr::kOk);
  static Msg m2;
  Spec s;
  s.expected.dport = 9;
  make(m2, s);
  EXPECT_EQ(c.insert(m2.e, 1, &r), ctd::CacheErr::kNoSpace);
  m2.e.family = 7;
  EXPECT_EQ(c.insert(m2.e, 1, &r), ctd::CacheErr::kInvalid);
  EXPECT_EQ(c.lookup(m2.e), ctd::kNilRef);
}

// upstream exp_filter_find().
TEST(ExpectCache, HelperList) {
  static ctd::Config cfg;
  static Msg ftp, sip, none;
  make(ftp, Spec{});
  Spec s;
  s.helper = "sip-5060";
  make(sip, s);
  s.helper = nullptr;
  make(none, s);
  EXPECT_TRUE(ctd::exp_helper_accepted(cfg, ftp.e));   // no list
  EXPECT_TRUE(ctd::exp_helper_accepted(cfg, none.e));
  std::strcpy(cfg.expect_helpers[0], "SIP");
  cfg.nexpect_helpers = 1;
  EXPECT_FALSE(ctd::exp_helper_accepted(cfg, ftp.e));
  EXPECT_TRUE(ctd::exp_helper_accepted(cfg, sip.e));  // prefix, any case
  EXPECT_FALSE(ctd::exp_helper_accepted(cfg, none.e));
  std::strcpy(cfg.expect_helpers[1], "ftpx");
  cfg.nexpect_helpers = 2;
  EXPECT_FALSE(ctd::exp_helper_accepted(cfg, ftp.e));  // longer than "ftp"
  std::strcpy(cfg.expect_helpers[1], "f");
  EXPECT_TRUE(ctd::exp_helper_accepted(cfg, ftp.e));
}

// ---- the control server's expectation requests ------------------------------

struct ExpFake : ctd::ControlHandler {
  ctd::Config cfg;
  ctd::FlowCache in, ex;
  ctd::ExpectCache ein, eex;
  int exp_flushes = 0, cache_flushes = 0;
  ExpFake() {
    cfg.sync = true;
    cfg.sync_mode_bits = ctd::kModeFtfw;
    cfg.expect_sync = true;
    in.init(8, 10);
    ex.init(8, 10);
    ein.init(8, 10);
    eex.init(8, 10);
  }
  const ctd::Config& config() override { return cfg; }
  ctd::FlowCache& internal() override { return in; }
  ctd::FlowCache& external() override { return ex; }
  ctd::ExpectCache* exp_internal() override { return cfg.expect_sync ? &ein : nullptr; }
  ctd::ExpectCache* exp_external() override { return cfg.expect_sync ? &eex : nullptr; }
  uint32_t now() override { return 110; }
  void fill_stats(ctd::StatsView*) override {}
  void put_rsqueue_nodes(base::OutBuf&) override {}
  int flush_kernel(bool, bool) override { return 0; }
  int resync_from_kernel(bool, bool) override { return 0; }
  int flush_caches(bool, bool) override { return ++cache_flushes, 0; }
  int flush_exp_caches() override { return ++exp_flushes, 0; }
  int commit_external(bool, bool) override { return 0; }
  int send_bulk() override { return 0; }
  int request_resync() override { return 0; }
  int arm_purge_timer() override { return 0; }
  void request_shutdown() override {}
  void log(int, const char*) override {}
  void count_read_failed() override {}
  void count_unknown_request() override {}
  void child_exited(int, int) override {}
};

std::string ask(ctd::ControlServer& srv, ExpFake& d, int code) {
  int sv[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  srv.serve(d, sv[0], code);
  std::string s;
  char b[4096];
  for (int i = 0; i < 1000; i++) {
    pollfd p{sv[1], POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) break;
    ssize_t n = read(sv[1], b, sizeof b);
    if (n <= 0) break;
    s.append(b, static_cast<size_t>(n));
  }
  close(sv[1]);
  return s;
}

TEST(ExpectCache, ControlRequests) {
  static ExpFake d;
  ctd::ControlServer srv;
  static Msg m;
  make(m, Spec{});
  uint32_t r;
  ASSERT_EQ(d.ein.insert(m.e, 100, &r), ctd::CacheErr::kOk);
  const std::string line =
      "proto=6 src=127.0.0.1 dst=127.0.0.1 sport=0 dport=3335 mask-src=255.255.255.255 "
      "mask-dst=255.255.255.255 sport=0 dport=65535 master-src=127.0.0.1 master-dst=127.0.0.1 "
      "sport=48008 dport=2121 class=0 helper=ftp [active since 10s]\n";
  EXPECT_EQ(ask(srv, d, ctd::kReqExpDumpInternal), line);
  EXPECT_EQ(ask(srv, d, ctd::kReqExpDumpIntXml).substr(0, 6), "<flow>");
  EXPECT_EQ(ask(srv, d, ctd::kReqExpDumpExternal), "");
  EXPECT_EQ(ask(srv, d, ctd::kReqExpDumpExtXml), "");
  EXPECT_EQ(ask(srv, d, ctd::kReqDumpInternal), "");  // the conntrack cache
  d.ein.set_state(r, ctd::ObjState::kDead);             // FT-FW hides it
  EXPECT_EQ(ask(srv, d, ctd::kReqExpDumpInternal), "");
  d.ein.set_state(r, ctd::ObjState::kAlive);
  EXPECT_EQ(ask(srv, d, ctd::kReqAllFlushCache), "");
  EXPECT_EQ(d.cache_flushes, 1);
  EXPECT_EQ(d.exp_flushes, 1);
  EXPECT_EQ(ask(srv, d, ctd::kReqFlushCache), "");     // 19: conntrack only
  EXPECT_EQ(ask(srv, d, ctd::kReqFlushIntCache), "");  // 33
  EXPECT_EQ(d.exp_flushes, 1);
  // Without ExpectationSync nothing answers and nothing is flushed.
  d.cfg.expect_sync = false;
  EXPECT_EQ(ask(srv, d, ctd::kReqExpDumpInternal), "");
  EXPECT_EQ(ask(srv, d, ctd::kReqExpDumpIntXml), "");
  EXPECT_EQ(ask(srv, d, ctd::kReqAllFlushCache), "");
  EXPECT_EQ(d.exp_flushes, 1);
  d.cfg.expect_sync = true;
}

}  // namespace
