// FlowCache: conversions, key semantics, churn of 100k+ flows against a
// reference map, and memory accounting against the documented sizes.
#include <gtest/gtest.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <map>
#include <random>
#include <tuple>
#include <vector>

#include "conntrackd/cache/flow_cache.h"
#include "ct_uapi.h"

namespace {

using ct::F;

ct::Flow make_flow(uint8_t family, uint32_t n, uint8_t l4 = uapi::kIpprotoTcp, uint16_t zone = 0) {
  ct::Flow f;
  f.family = family;
  for (ct::Dir d : {ct::kDirOrig, ct::kDirRepl}) {
    ct::Tuple& t = f.tuple[d];
    t.l3 = family;
    t.l4 = l4;
    uint8_t* a = d == ct::kDirOrig ? t.src.b : t.dst.b;
    uint8_t* b = d == ct::kDirOrig ? t.dst.b : t.src.b;
    if (family == uapi::kAfInet) {
      a[0] = 10; a[1] = static_cast<uint8_t>(n >> 16); a[2] = static_cast<uint8_t>(n >> 8); a[3] = static_cast<uint8_t>(n);
      b[0] = 192; b[1] = 168; b[2] = 0; b[3] = 1;
    } else {
      a[0] = 0x20; a[1] = 0x01; a[13] = static_cast<uint8_t>(n >> 16); a[14] = static_cast<uint8_t>(n >> 8); a[15] = static_cast<uint8_t>(n);
      b[0] = 0xfe; b[15] = 1;
    }
    for (F base : {F::kOrigL3, F::kOrigSrc, F::kOrigDst, F::kOrigL4}) f.set.set(ct::tuple_field(d, base));
    if (l4 == uapi::kIpprotoIcmp) {
      t.icmp_type = d == ct::kDirOrig ? 8 : 0;
      t.icmp_id = static_cast<uint16_t>(n);
      for (F base : {F::kOrigIcmpType, F::kOrigIcmpCode, F::kOrigIcmpId}) f.set.set(ct::tuple_field(d, base));
    } else {
      t.sport = d == ct::kDirOrig ? static_cast<uint16_t>(1024 + n % 60000) : 80;
      t.dport = d == ct::kDirOrig ? 80 : static_cast<uint16_t>(1024 + n % 60000);
      f.set.set(ct::tuple_field(d, F::kOrigPortSrc));
      f.set.set(ct::tuple_field(d, F::kOrigPortDst));
    }
  }
  f.status = 0xe; f.set.set(F::kStatus);
  f.timeout = 300; f.set.set(F::kTimeout);
  f.mark = n; f.set.set(F::kMark);
  if (l4 == uapi::kIpprotoTcp) { f.tcp_state = 3; f.set.set(F::kTcpState); }
  if (zone) { f.zone = zone; f.set.set(F::kZone); }
  return f;
}

TEST(FlowCache, DocumentedSizes) {
  EXPECT_EQ(ctd::FlowCache::bytes_per_flow(AF_INET), 96u);
  EXPECT_EQ(ctd::FlowCache::bytes_per_flow(AF_INET6), 144u);
  EXPECT_EQ(ctd::FlowCache::bytes_per_ext(), 128u);
}

// The kernel's id is kept: upstream's `-i -x` prints it as <id>.
TEST(FlowCache, KeepsKernelId) {
  ctd::FlowCache c;
  ASSERT_TRUE(c.init(64, 10));
  ct::Flow f = make_flow(uapi::kAfInet6, 3);
  f.id = 3405691582u; f.set.set(F::kId);
  uint32_t ref;
  ASSERT_EQ(c.insert(f, 1, &ref), ctd::CacheErr::kOk);
  ct::Flow g;
  c.to_flow(ref, &g);
  EXPECT_TRUE(g.has(F::kId));
  EXPECT_EQ(g.id, 3405691582u);
  ct::Flow h = make_flow(uapi::kAfInet, 4);  // no id: none shown
  ASSERT_EQ(c.insert(h, 1, &ref), ctd::CacheErr::kOk);
  c.to_flow(ref, &g);
  EXPECT_FALSE(g.has(F::kId));
}

TEST(FlowCache, RoundTripAndKey) {
  ctd::FlowCache c;
  ASSERT_TRUE(c.init(1024, 1000));
  ct::Flow f = make_flow(uapi::kAfInet, 7);
  f.helper = "ftp"; f.set.set(F::kHelper);
  uint8_t labels[4] = {0x01, 0, 0, 0x80};
  f.labels = labels; f.labels_len = 4; f.set.set(F::kLabels);
  uint32_t ref;
  ASSERT_EQ(c.insert(f, 100, &ref), ctd::CacheErr::kOk);
  EXPECT_EQ(c.insert(f, 100, &ref), ctd::CacheErr::kExists);
  EXPECT_EQ(c.lookup(f), ref);
  EXPECT_EQ(c.header(ref).obj, ctd::ObjState::kNew);
  ct::Flow g;
  c.to_flow(ref, &g);
  EXPECT_EQ(g.orig().src, f.orig().src);
  EXPECT_EQ(g.repl().dst, f.repl().dst);
  EXPECT_EQ(g.orig().sport, f.orig().sport);
  EXPECT_EQ(g.repl().sport, 80);
  EXPECT_EQ(g.mark, 7u);
  EXPECT_EQ(g.tcp_state, 3);
  EXPECT_TRUE(g.has(F::kTcpState));
  EXPECT_EQ(g.helper, "ftp");
  EXPECT_TRUE(g.label_bit(0) && g.label_bit(31) && !g.label_bit(1));
  EXPECT_EQ(c.mem().exts, 1u);

  // Zone is part of the key; reply-side and other attributes are not.
  ct::Flow z = make_flow(uapi::kAfInet, 7, uapi::kIpprotoTcp, 5);
  EXPECT_EQ(c.lookup(z), ctd::kNilRef);
  ASSERT_EQ(c.insert(z, 100, &ref), ctd::CacheErr::kOk);
  ct::Flow other = make_flow(uapi::kAfInet, 7);
  other.mark = 99;
  other.tuple[ct::kDirRepl].src.b[0] = 1;
  EXPECT_NE(c.lookup(other), ctd::kNilRef);

  // Update keeps absent fields, overwrites present ones.
  uint32_t r = c.lookup(other);
  ct::Flow upd;
  upd.mark = 42; upd.set.set(F::kMark);
  ASSERT_EQ(c.update(r, upd, 200), ctd::CacheErr::kOk);
  c.to_flow(r, &g);
  EXPECT_EQ(g.mark, 42u);
  EXPECT_EQ(g.timeout, 300u);
  EXPECT_EQ(c.header(r).obj, ctd::ObjState::kAlive);
  EXPECT_EQ(c.header(r).lastupdate, 200u);
  EXPECT_EQ(c.header(r).created, 100u);

  // ICMP: type/code/id are the "ports".
  ct::Flow i = make_flow(uapi::kAfInet6, 9, uapi::kIpprotoIcmp);
  ASSERT_EQ(c.insert(i, 1, &ref), ctd::CacheErr::kOk);
  c.to_flow(ref, &g);
  EXPECT_EQ(g.orig().icmp_type, 8);
  EXPECT_EQ(g.orig().icmp_id, 9);
  EXPECT_EQ(g.repl().icmp_type, 0);
  EXPECT_TRUE(g.has(F::kOrigIcmpId));

  // Invalid input is refused, not cached.
  ct::Flow bad;
  EXPECT_EQ(c.insert(bad, 1, &ref), ctd::CacheErr::kInvalid);
  uint8_t big[20] = {};
  f.labels = big; f.labels_len = 20;
  EXPECT_EQ(c.insert(make_flow(uapi::kAfInet, 1) , 1, &ref), ctd::CacheErr::kOk);
  ct::Flow lab = make_flow(uapi::kAfInet, 2);
  lab.labels = big; lab.labels_len = 20; lab.set.set(F::kLabels);
  EXPECT_EQ(c.insert(lab, 1, &ref), ctd::CacheErr::kInvalid);
}

// Found by the sync_compact fuzz target: decoders reuse one Flow and
// clear it by its bits only.  An ICMP flow without an id (a peer's, or a
// record with ports in place of ICMP fields) was keyed with the previous
// flow's stale ICMP id; to_flow's copy then had none and the flow could
// not be found again, so a compact DEL by id left it in the cache.  A
// portless protocol had the same with stale ports.
TEST(FlowCache, ValuesWithoutTheirBitsAreNoPartOfTheKey) {
  ctd::FlowCache c;
  ASSERT_TRUE(c.init(64, 16));
  for (uint8_t l4 : {uint8_t{uapi::kIpprotoIcmp}, uint8_t{47}}) {
    SCOPED_TRACE(int{l4});
    ct::Flow f = make_flow(AF_INET, 7, l4);
    for (F base : {F::kOrigIcmpType, F::kOrigIcmpCode, F::kOrigIcmpId, F::kOrigPortSrc, F::kOrigPortDst})
      f.set.clear(base);
    f.tuple[ct::kDirOrig].icmp_id = 4321;  // stale, from "the previous message"
    f.tuple[ct::kDirOrig].icmp_type = 8;
    f.tuple[ct::kDirOrig].sport = 999;
    uint32_t ref = ctd::kNilRef;
    ASSERT_EQ(c.add(f, 1, &ref), ctd::CacheErr::kOk);
    ct::Flow back;
    c.to_flow(ref, &back);
    EXPECT_EQ(c.lookup(back), ref);
    f.tuple[ct::kDirOrig].icmp_id = 1;  // other stale values: the same flow
    f.tuple[ct::kDirOrig].sport = 2;
    EXPECT_EQ(c.lookup(f), ref);
    c.remove(c.lookup(back));
    EXPECT_EQ(c.size(), 0u);
  }
  // Part of the ICMP fields, or of the ports, or the other protocol's:
  // what to_flow gives back is found under the same key.
  struct Case {
    uint8_t l4;
    std::initializer_list<F> keep;
  };
  for (const Case& k : {Case{uapi::kIpprotoIcmp, {F::kOrigIcmpCode, F::kOrigIcmpId}},
                        Case{uapi::kIpprotoIcmp, {F::kOrigIcmpId}},
                        Case{uapi::kIpprotoTcp, {F::kOrigPortDst}},
                        Case{uapi::kIpprotoTcp, {F::kOrigPortSrc, F::kOrigPortDst, F::kOrigIcmpType}}}) {
    SCOPED_TRACE(int{k.l4});
    ct::Flow f = make_flow(AF_INET, 9, k.l4);
    for (F base : {F::kOrigIcmpType, F::kOrigIcmpCode, F::kOrigIcmpId, F::kOrigPortSrc, F::kOrigPortDst})
      f.set.clear(base);
    f.tuple[ct::kDirOrig].icmp_type = 3;
    f.tuple[ct::kDirOrig].icmp_id = 77;
    for (F base : k.keep) f.set.set(base);
    uint32_t ref = ctd::kNilRef;
    ASSERT_EQ(c.add(f, 1, &ref), ctd::CacheErr::kOk);
    ct::Flow back;
    c.to_flow(ref, &back);
    EXPECT_EQ(c.lookup(back), ref);
    c.remove(ref);
  }
}

TEST(FlowCache, LimitIsEnforced) {
  ctd::FlowCache c;
  ASSERT_TRUE(c.init(16, 10));
  uint32_t ref;
  for (uint32_t n = 0; n < 10; n++) ASSERT_EQ(c.insert(make_flow(uapi::kAfInet, n), 0, &ref), ctd::CacheErr::kOk);
  EXPECT_EQ(c.insert(make_flow(uapi::kAfInet, 10), 0, &ref), ctd::CacheErr::kNoSpace);
  c.erase(c.lookup(make_flow(uapi::kAfInet, 3)));
  EXPECT_EQ(c.insert(make_flow(uapi::kAfInet, 10), 0, &ref), ctd::CacheErr::kOk);
}

TEST(FlowCache, ChurnAgainstReference) {
  constexpr uint32_t kLimit = 150000, kKeys = 200000, kOps = 600000;
  ctd::FlowCache c;
  ASSERT_TRUE(c.init(65536, kLimit));
  std::map<std::pair<uint8_t, uint32_t>, uint32_t> ref_marks;  // (family, n) -> mark
  std::mt19937 rng(12345);
  for (uint32_t op = 0; op < kOps; op++) {
    const uint8_t fam = (rng() & 3) == 0 ? uapi::kAfInet6 : uapi::kAfInet;
    const uint32_t n = rng() % kKeys;
    ct::Flow f = make_flow(fam, n);
    auto key = std::make_pair(fam, n);
    auto it = ref_marks.find(key);
    const uint32_t r = c.lookup(f);
    ASSERT_EQ(r != ctd::kNilRef, it != ref_marks.end()) << op;
    switch (rng() % 3) {
      case 0: {
        uint32_t nr;
        ctd::CacheErr e = c.insert(f, op, &nr);
        if (it != ref_marks.end()) ASSERT_EQ(e, ctd::CacheErr::kExists);
        else if (ref_marks.size() >= kLimit) ASSERT_EQ(e, ctd::CacheErr::kNoSpace);
        else { ASSERT_EQ(e, ctd::CacheErr::kOk); ref_marks[key] = n; }
        break;
      }
      case 1:
        if (r != ctd::kNilRef) {
          ct::Flow u;
          u.mark = op; u.set.set(F::kMark);
          ASSERT_EQ(c.update(r, u, op), ctd::CacheErr::kOk);
          it->second = op;
        }
        break;
      default:
        if (r != ctd::kNilRef) { c.erase(r); ref_marks.erase(it); }
        break;
    }
  }
  ASSERT_EQ(c.size(), ref_marks.size());
  // Iterate: every entry visited once, with the right mark.
  size_t seen = 0, v4 = 0;
  c.for_each([&](uint32_t r) {
    ct::Flow g;
    c.to_flow(r, &g);
    uint32_t n = g.family == uapi::kAfInet ? (uint32_t{g.orig().src.b[1]} << 16 | g.orig().src.b[2] << 8 | g.orig().src.b[3])
                                           : (uint32_t{g.orig().src.b[13]} << 16 | g.orig().src.b[14] << 8 | g.orig().src.b[15]);
    auto it = ref_marks.find({g.family, n});
    ASSERT_NE(it, ref_marks.end());
    EXPECT_EQ(g.mark, it->second);
    seen++;
    v4 += g.family == uapi::kAfInet;
  });
  EXPECT_EQ(seen, ref_marks.size());
  // The walk in memory order visits the same flows, each once, after
  // the churn has freed and reused records all over the slabs.
  std::vector<uint32_t> by_hash, by_address;
  c.for_each([&](uint32_t r) { by_hash.push_back(r); });
  c.for_each_stored([&](uint32_t r) { by_address.push_back(r); });
  ASSERT_EQ(by_address.size(), by_hash.size());
  std::sort(by_hash.begin(), by_hash.end());
  EXPECT_TRUE(std::is_sorted(by_address.begin(), by_address.end()));  // v4 refs, then v6 (top bit)
  EXPECT_EQ(by_address, by_hash);

  // Memory: used is exact; reserved adds at most one partly used slab per
  // class beyond the peak, plus the bucket array and slab tables.
  ctd::CacheMem m = c.mem();
  EXPECT_EQ(m.flows_v4, v4);
  EXPECT_EQ(m.flows_v4 + m.flows_v6, seen);
  EXPECT_EQ(m.used, v4 * 96 + (seen - v4) * 144);
  const size_t tables = 3 * ((kLimit + ctd::kSlabRecords - 1) / ctd::kSlabRecords) * sizeof(void*);
  const size_t peak_bound = size_t{kLimit} * 128 + 2 * ctd::kSlabRecords * 128;
  EXPECT_LE(m.reserved, peak_bound + 65536 * 4 + tables);

  // Erase everything while iterating; the slabs stay for reuse.
  c.clear();
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.mem().used, 0u);
  size_t left = 0;
  c.for_each_stored([&](uint32_t) { left++; });
  EXPECT_EQ(left, 0u);
}

// The commit orders masters first by has_master(), read from the record.
TEST(FlowCache, HasMasterWithoutConversion) {
  ctd::FlowCache c;
  ASSERT_TRUE(c.init(64, 16));
  uint32_t plain, related, ext_only;
  ASSERT_EQ(c.insert(make_flow(uapi::kAfInet, 1), 0, &plain), ctd::CacheErr::kOk);
  ct::Flow r = make_flow(uapi::kAfInet6, 2);
  ct::Tuple& m = r.tuple[ct::kDirMaster];
  m.l3 = uapi::kAfInet6;
  m.l4 = uapi::kIpprotoTcp;
  m.src.b[15] = 7;
  m.dst.b[15] = 8;
  m.sport = 1111;
  m.dport = 21;
  for (F fl : {F::kMasterL3, F::kMasterSrc, F::kMasterDst, F::kMasterL4, F::kMasterPortSrc, F::kMasterPortDst})
    r.set.set(fl);
  ASSERT_EQ(c.insert(r, 0, &related), ctd::CacheErr::kOk);
  ct::Flow h = make_flow(uapi::kAfInet, 3);  // an extension, but no master
  h.helper = "ftp";
  h.set.set(F::kHelper);
  ASSERT_EQ(c.insert(h, 0, &ext_only), ctd::CacheErr::kOk);
  EXPECT_FALSE(c.has_master(plain));
  EXPECT_TRUE(c.has_master(related));
  EXPECT_FALSE(c.has_master(ext_only));
  ct::Flow g;
  c.to_flow(related, &g);
  EXPECT_TRUE(g.has(F::kMasterL3));
}

// The kernel reports an all-zero synproxy triple for every entry created
// through ctnetlink: kept as a presence bit, not as an extension record.
TEST(FlowCache, ZeroSynproxyNeedsNoExtension) {
  ctd::FlowCache c;
  ASSERT_TRUE(c.init(1024, 1000));
  auto set_synproxy = [](ct::Flow& f, uint32_t isn, uint32_t its, uint32_t tsoff) {
    f.synproxy_isn = isn; f.synproxy_its = its; f.synproxy_tsoff = tsoff;
    for (F fl : {F::kSynproxyIsn, F::kSynproxyIts, F::kSynproxyTsoff}) f.set.set(fl);
  };
  ct::Flow f = make_flow(uapi::kAfInet, 3);
  set_synproxy(f, 0, 0, 0);
  uint32_t ref;
  ASSERT_EQ(c.insert(f, 1, &ref), ctd::CacheErr::kOk);
  EXPECT_EQ(c.mem().exts, 0u);
  ct::Flow g;
  c.to_flow(ref, &g);
  EXPECT_TRUE(g.has(F::kSynproxyIsn) && g.has(F::kSynproxyIts) && g.has(F::kSynproxyTsoff));
  EXPECT_EQ(g.synproxy_isn | g.synproxy_its | g.synproxy_tsoff, 0u);

  // Non-zero values need the extension; zero again releases it.
  ct::Flow upd;
  set_synproxy(upd, 1, 2, 3);
  ASSERT_EQ(c.update(ref, upd, 2), ctd::CacheErr::kOk);
  EXPECT_EQ(c.mem().exts, 1u);
  c.to_flow(ref, &g);
  EXPECT_EQ(g.synproxy_isn, 1u);
  EXPECT_EQ(g.synproxy_its, 2u);
  EXPECT_EQ(g.synproxy_tsoff, 3u);
  set_synproxy(upd, 0, 0, 0);
  ASSERT_EQ(c.update(ref, upd, 3), ctd::CacheErr::kOk);
  EXPECT_EQ(c.mem().exts, 0u);
  c.to_flow(ref, &g);
  EXPECT_TRUE(g.has(F::kSynproxyIsn));
  EXPECT_EQ(g.synproxy_isn | g.synproxy_its | g.synproxy_tsoff, 0u);

  // Zero synproxy next to another extension attribute keeps that one.
  ct::Flow h = make_flow(uapi::kAfInet6, 4);
  h.helper = "ftp"; h.set.set(F::kHelper);
  set_synproxy(h, 5, 6, 7);
  ASSERT_EQ(c.insert(h, 1, &ref), ctd::CacheErr::kOk);
  set_synproxy(upd, 0, 0, 0);
  ASSERT_EQ(c.update(ref, upd, 2), ctd::CacheErr::kOk);
  EXPECT_EQ(c.mem().exts, 1u);
  c.to_flow(ref, &g);
  EXPECT_EQ(g.helper, "ftp");
  EXPECT_TRUE(g.has(F::kSynproxyTsoff));
  EXPECT_EQ(g.synproxy_isn | g.synproxy_its | g.synproxy_tsoff, 0u);
  c.erase(ref);
  EXPECT_EQ(c.mem().exts, 0u);
}

TEST(FlowCache, FillAccountingIsBytesPerFlowTimesN) {
  constexpr uint32_t kN = 100000;
  ctd::FlowCache c;
  ASSERT_TRUE(c.init(131072, kN));
  uint32_t ref;
  for (uint32_t n = 0; n < kN; n++) ASSERT_EQ(c.insert(make_flow(uapi::kAfInet, n), 0, &ref), ctd::CacheErr::kOk);
  ctd::CacheMem m = c.mem();
  EXPECT_EQ(m.used, size_t{kN} * ctd::FlowCache::bytes_per_flow(AF_INET));
  const size_t slabs = (kN + ctd::kSlabRecords - 1) / ctd::kSlabRecords;
  const size_t tables = 3 * slabs * sizeof(void*);
  EXPECT_EQ(m.reserved, slabs * ctd::kSlabRecords * 96 + 131072 * 4 + tables);
  // Overhead beyond the flows themselves: under one slab plus 4 bytes per bucket.
  EXPECT_LT(m.reserved - m.used, ctd::kSlabRecords * 80 + 131072 * 4 + tables);
  for (uint32_t n = 0; n < kN; n++) ASSERT_NE(c.lookup(make_flow(uapi::kAfInet, n)), ctd::kNilRef);
}

}  // namespace
