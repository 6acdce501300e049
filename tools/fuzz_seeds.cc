// fuzz_seeds: writes the binary seed corpora of the fuzz targets with our
// own encoders (tests/fuzz/corpus/*/seed-*): ctnetlink conntrack and
// expectation messages as the kernel sends them, sync v1 datagrams and
// streams, control requests.  The text corpora (config, arguments, -R
// files) are written by hand.  Run from the top directory:
//   make tools && ./fuzz_seeds tests/fuzz/corpus
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "ct/expect.h"
#include "ct/expect_build.h"
#include "ct/flow.h"
#include "ct/flow_build.h"
#include "ct_uapi.h"
#include "netlink/msg_builder.h"
#include "nl_uapi.h"
#include "crypto/hmac.h"
#include "sync/auth_wire.h"
#include "sync/codec.h"
#include "sync/compact_codec.h"

namespace {

using ct::F;
std::string g_top;

void write_seed(const char* target, const char* name, const uint8_t* p, size_t n) {
  std::string dir = g_top + "/" + target;
  mkdir(dir.c_str(), 0755);
  std::string path = dir + "/seed-" + name;
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, p, n) != static_cast<ssize_t>(n)) {
    std::perror(path.c_str());
    _exit(1);
  }
  close(fd);
}

void set_tuple(ct::Flow& f, ct::Dir d, int af, const char* src, const char* dst, uint8_t l4,
               uint16_t sp, uint16_t dp) {
  ct::Tuple& t = f.tuple[d];
  t.l3 = static_cast<uint8_t>(af);
  t.l4 = l4;
  inet_pton(af, src, t.src.b);
  inet_pton(af, dst, t.dst.b);
  const unsigned base = d == ct::kDirOrig ? 0 : d == ct::kDirRepl ? 10 : 20;
  auto bit = [&](F x) { f.set.set(static_cast<F>(static_cast<unsigned>(x) + base)); };
  bit(F::kOrigL3);
  bit(F::kOrigL4);
  bit(F::kOrigSrc);
  bit(F::kOrigDst);
  if (l4 == 1 || l4 == 58) {
    t.icmp_type = static_cast<uint8_t>(sp);
    t.icmp_id = dp;
    bit(F::kOrigIcmpType);
    bit(F::kOrigIcmpCode);
    bit(F::kOrigIcmpId);
  } else {
    t.sport = sp;
    t.dport = dp;
    bit(F::kOrigPortSrc);
    bit(F::kOrigPortDst);
  }
}

ct::Flow tcp4() {
  ct::Flow f;
  f.family = AF_INET;
  set_tuple(f, ct::kDirOrig, AF_INET, "192.168.1.10", "192.168.1.20", 6, 40000, 80);
  set_tuple(f, ct::kDirRepl, AF_INET, "192.168.1.20", "198.51.100.1", 6, 80, 40000);
  f.status = 0x19e;  // seen reply, assured, confirmed, SNAT done
  f.timeout = 300;
  f.mark = 7;
  f.tcp_state = 3;
  for (F x : {F::kStatus, F::kTimeout, F::kMark, F::kTcpState}) f.set.set(x);
  return f;
}

ct::Flow udp6() {
  ct::Flow f;
  f.family = AF_INET6;
  set_tuple(f, ct::kDirOrig, AF_INET6, "2001:db8::1", "2001:db8::2", 17, 5353, 53);
  set_tuple(f, ct::kDirRepl, AF_INET6, "2001:db8::2", "2001:db8::1", 17, 53, 5353);
  f.status = 0x8;
  f.timeout = 30;
  f.zone = 3;
  for (F x : {F::kStatus, F::kTimeout, F::kZone}) f.set.set(x);
  return f;
}

ct::Flow icmp4() {
  ct::Flow f;
  f.family = AF_INET;
  set_tuple(f, ct::kDirOrig, AF_INET, "10.0.0.1", "10.0.0.2", 1, 8, 1234);
  set_tuple(f, ct::kDirRepl, AF_INET, "10.0.0.2", "10.0.0.1", 1, 0, 1234);
  static const uint8_t labels[16] = {0x21};
  f.labels = labels;
  f.labels_len = sizeof labels;
  f.helper = "ftp";
  f.timeout = 29;
  for (F x : {F::kTimeout, F::kLabels, F::kHelper}) f.set.set(x);
  return f;
}

// A CT_NEW event: the request's attributes plus what only the kernel
// sends (counters, use, id, timestamps).
void ct_event(const char* name, const ct::Flow& f, uint8_t* buf, size_t cap, bool whole) {
  nl::MsgBuilder b(buf, cap);
  b.begin_nfmsg(uapi::kNfnlSubsysCtnetlink, uapi::kCtMsgNew, 0x600, 0, f.family);
  ct::put_tuple(b, f, ct::kDirOrig);
  ct::put_tuple(b, f, ct::kDirRepl);
  ct::put_flow_meta(b, f);
  for (uint16_t dir : {uapi::CTA_COUNTERS_ORIG, uapi::CTA_COUNTERS_REPLY}) {
    size_t n = b.nest_start(dir);
    b.put_u64_be(uapi::CTA_COUNTERS_PACKETS, 12);
    b.put_u64_be(uapi::CTA_COUNTERS_BYTES, 3456);
    b.nest_end(n);
  }
  b.put_u32_be(uapi::CTA_USE, 1);
  b.put_u32_be(uapi::CTA_ID, 0xabcdef01);
  size_t ts = b.nest_start(uapi::CTA_TIMESTAMP);
  b.put_u64_be(uapi::CTA_TIMESTAMP_START, 1700000000000000000ull);
  b.nest_end(ts);
  if (!b.end_msg()) _exit(2);
  if (whole) write_seed("netlink_attr", name, buf, b.size());
  else write_seed("ct_flow", name, buf + 16, b.size() - 16);  // nfgenmsg + attributes
}

ct::Expect ftp_expect() {
  ct::Expect e;
  ct::Flow master = tcp4();
  ct::Flow exp;
  set_tuple(exp, ct::kDirOrig, AF_INET, "192.168.1.10", "192.168.1.20", 6, 0, 51210);
  set_tuple(exp, ct::kDirRepl, AF_INET, "255.255.255.255", "255.255.255.255", 6, 0, 65535);
  e.family = AF_INET;
  ct::copy_tuple(master, ct::kDirOrig, e.tuples, ct::kExpMaster);
  ct::copy_tuple(exp, ct::kDirOrig, e.tuples, ct::kExpExpected);
  ct::copy_tuple(exp, ct::kDirRepl, e.tuples, ct::kExpMask);
  for (ct::XA x : {ct::XA::kMaster, ct::XA::kExpected, ct::XA::kMask}) e.set(x);
  e.timeout = 299;
  e.set(ct::XA::kTimeout);
  e.helper = "ftp";
  e.set(ct::XA::kHelper);
  e.flags = 1;
  e.set(ct::XA::kFlags);
  e.zone = 7;
  e.set(ct::XA::kZone);
  return e;
}

void exp_seed(const char* name, const ct::Expect& e, uint8_t* buf, size_t cap) {
  nl::MsgBuilder b(buf, cap);
  if (!ct::build_exp_request(b, uapi::kExpMsgNew, 0x600, 0, e)) _exit(3);
  write_seed("ct_expect", name, buf + 16, b.size() - 16);
}

// Compact DATA records made from our own v1 encoding of each flow.
struct Rec {
  uint8_t kind;
  uint32_t ref, serial;
  ct::Flow f;
  uint8_t upd_fields;
};

size_t compact_data(uint8_t* out, size_t cap, uint32_t node, uint32_t seq, std::initializer_list<Rec> recs) {
  static uint8_t v1[4096];
  ctsync::CompactPacket p;
  p.open({out, cap}, node, seq);
  for (const Rec& r : recs) {
    const size_t n = ctsync::record_has_body(r.kind)
                         ? ctsync::encode_ct({v1, sizeof v1}, ctsync::kMsgCtUpd, r.f, ctsync::EncodeOpts{})
                         : 0;
    if (!p.add(r.kind, r.ref, r.serial, {v1, n}, r.upd_fields)) _exit(4);
  }
  return p.close().size();
}

void compact_seeds(uint8_t* buf, size_t cap) {
  using namespace ctsync;
  ct::Flow later = tcp4();
  later.timeout = 120;
  later.tcp_state = 4;
  size_t n = encode_offer({buf, cap}, 0x1234, kCapReceive, kOfferAsk);
  n += compact_data(buf + n, cap - n, 0x1234, 1,
                    {{kRecNew, 5, 1, tcp4(), 0}, {kRecUpd, 5, 1, later, kUpdFields}, {kRecDel, 5, 1, {}, 0}});
  write_seed("sync_compact", "offer-new-upd-del", buf, n);
  n = compact_data(buf, cap, 0x1234, 2,
                   {{kRecNew, 6, 2, udp6(), 0}, {kRecUpdFull, 7, 3, icmp4(), 0}, {kRecDelFull, 8, 4, tcp4(), 0},
                    {kRecUpd, 9, 9, later, kFieldTimeout}});
  NeedPacket need;
  need.open({buf + n, cap - n}, 0x1234);
  need.add(6, 2);
  need.add(77, 1);
  n += need.close().size();
  write_seed("sync_compact", "full-kinds-unknown-need", buf, n);
  // v1 and v2 in one datagram; then the peer restarts (a new node id) and
  // an UPD names an id it gave before.
  n = encode_ct({buf, cap}, kMsgCtNew, udp6(), EncodeOpts{});
  n += compact_data(buf + n, cap - n, 0x1234, 3, {{kRecNew, 5, 1, tcp4(), 0}});
  n += compact_data(buf + n, cap - n, 0x9999, 4, {{kRecUpd, 5, 1, later, kFieldStatus | kFieldMark}});
  write_seed("sync_compact", "v1-mix-node-change", buf, n);
}

// Authenticated packets.  The target signs its scripts itself; raw seeds
// are signed with another key (the tag fails) or carry no trailer.
size_t auth_packet(uint8_t* out, const uint8_t* body, size_t blen, uint64_t session, uint64_t counter) {
  static const uint8_t kOtherKey[32] = {1, 2, 3};
  crypto::HmacSha256 h;
  if (h.set_key({kOtherKey, sizeof kOtherKey}, crypto::HmacBackend::kSoft) != 0) _exit(5);
  std::memcpy(out, body, blen);
  ctsync::auth_trailer_put(out + blen, 1, session, counter);
  if (h.mac({out, blen + ctsync::kAuthCoveredTail}, out + blen + ctsync::kAuthCoveredTail, ctsync::kAuthTagLen) != 0)
    _exit(5);
  return blen + ctsync::kAuthTrailerLen;
}

void auth_seeds(uint8_t* buf, size_t cap) {
  uint8_t body[256];
  const size_t blen = ctsync::encode_ct({body, sizeof body}, ctsync::kMsgCtNew, tcp4(), ctsync::EncodeOpts{});
  size_t n = 1;
  buf[0] = 0;  // raw datagram
  n += auth_packet(buf + n, body, blen, 0xabc, 1);
  write_seed("sync_auth", "raw-datagram-bad-tag", buf, n);
  // raw stream: piece sizes interleaved with the bytes (the target's format)
  static uint8_t stream[1024];
  size_t sn = auth_packet(stream, body, blen, 0xabc, 2);
  sn += auth_packet(stream + sn, body, 0, 0xabc, 3);
  std::memcpy(stream + sn, body, blen);  // no trailer
  sn += blen;
  n = 1;
  buf[0] = 1;
  for (size_t o = 0; o < sn && n + 65 < cap;) {
    const size_t piece = 1 + (o * 7 % 60);
    const size_t take = piece < sn - o ? piece : sn - o;
    buf[n++] = static_cast<uint8_t>(piece - 1);
    std::memcpy(buf + n, stream + o, take);
    n += take;
    o += take;
  }
  write_seed("sync_auth", "raw-stream-pieces", buf, n);
  // Scripts: op (session | counter mode << 4 | corrupt 0x40 | wrong key
  // 0x80), operands, body length, body.
  auto script = [&](const char* name, uint8_t first, std::initializer_list<std::initializer_list<uint8_t>> steps) {
    size_t k = 0;
    buf[k++] = first;
    for (auto st : steps)
      for (uint8_t b : st) buf[k++] = b;
    write_seed("sync_auth", name, buf, k);
  };
  const uint8_t b16 = 16;  // a 16-byte body of the bytes that follow
  script("script-in-order-replay-old", 2,
         {{0x00, 4, 0x10, 0x10, 0, 8}, {0x00, 0}, {0x00, 0}, {0x10, 0, 0},  // replay of the first
          {0x30, 0x01, 0x00, 0}, {0x20, 0x00, 0x02, 0},                       // a jump, then far below
          {0x40, 0}, {0x80, 0}, {0x20, 0x00, 0x00, 0}});                      // bad tag, bad key, counter 0
  script("script-stream", 3,
         {{0x00, b16, 0x10, 0x10, 0, 8, 0, 0, 0, 7, 0x1a, 0x10, 0, 8, 0, 0, 0, 8}, {0x00, 0}, {0x10, 0, 0}});
  script("script-sessions-churn", 2,
         {{0x00, 0}, {0x01, 0}, {0x02, 0}, {0x03, 0}, {0x04, 0}, {0x05, 0}, {0x06, 0}, {0x07, 0}, {0x08, 0},
          {0x09, 0}, {0x01, 0}, {0x02, 0}, {0x10, 0, 0}, {0x08, 0}});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  g_top = argv[1];
  static uint8_t buf[65536];

  // ctnetlink conntrack payloads, and whole datagrams for netlink_attr.
  ct_event("tcp4-snat", tcp4(), buf, sizeof buf, false);
  ct_event("udp6-zone", udp6(), buf, sizeof buf, false);
  ct_event("icmp4-labels-helper", icmp4(), buf, sizeof buf, false);
  ct_event("tcp4-datagram", tcp4(), buf, sizeof buf, true);
  ct_event("udp6-datagram", udp6(), buf, sizeof buf, true);
  {
    // NLMSG_ERROR (capped, with TLVs): error, the echoed request header,
    // then an extended-ack message text attribute.
    static const char kText[] = "invalid argument";
    const uint32_t attr_len = 4 + sizeof kText, total = 16 + 4 + 16 + ((attr_len + 3) & ~3u);
    std::memset(buf, 0, total);
    uapi::NlMsgHdr h{total, uapi::kNlmsgError, 0x300, 1, 0};
    std::memcpy(buf, &h, sizeof h);
    const int32_t err = -22;
    std::memcpy(buf + 16, &err, 4);
    uapi::NlMsgHdr echoed{16, 0x100, 5, 1, 0};
    std::memcpy(buf + 20, &echoed, sizeof echoed);
    uapi::NlAttr a{static_cast<uint16_t>(attr_len), 1};  // NLMSGERR_ATTR_MSG
    std::memcpy(buf + 36, &a, sizeof a);
    std::memcpy(buf + 40, kText, sizeof kText);
    write_seed("netlink_attr", "error-extack", buf, total);
  }

  // Expectations.
  exp_seed("ftp4", ftp_expect(), buf, sizeof buf);
  ct::Expect e = ftp_expect();
  e.fn = "nat-follow-master";
  e.set(ct::XA::kFn);
  exp_seed("ftp4-fn", e, buf, sizeof buf);
  e = ftp_expect();
  e.attrs = 0;
  e.set(ct::XA::kMaster);
  e.set(ct::XA::kExpected);
  e.set(ct::XA::kMask);
  exp_seed("tuples-only", e, buf, sizeof buf);

  // Sync v1: the first byte is the target's datagram (0) / stream (1) switch.
  {
    ctsync::EncodeOpts o;
    size_t n = 1;
    buf[0] = 0;
    n += ctsync::encode_ct({buf + n, sizeof buf - n}, ctsync::kMsgCtNew, tcp4(), o);
    write_seed("sync_v1", "ct-new-tcp4", buf, n);
    n += ctsync::encode_ct({buf + n, sizeof buf - n}, ctsync::kMsgCtUpd, udp6(), o);
    n += ctsync::encode_ct({buf + n, sizeof buf - n}, ctsync::kMsgCtDel, icmp4(), o);
    write_seed("sync_v1", "ct-three", buf, n);
    n = 1;
    buf[0] = 1;
    n += ctsync::encode_exp({buf + n, sizeof buf - n}, ctsync::kMsgExpNew, ftp_expect(), o);
    n += ctsync::encode_ctl({buf + n, sizeof buf - n}, ctsync::kFlagAck, 10, 20);
    n += ctsync::encode_ctl({buf + n, sizeof buf - n}, ctsync::kFlagAlive, 0, 0);
    write_seed("sync_v1", "stream-exp-ack-alive", buf, n);
    n = 1;
    buf[0] = 0;
    n += ctsync::encode_ctl({buf + n, sizeof buf - n}, ctsync::kFlagNack, 5, 9);
    n += ctsync::encode_ctl({buf + n, sizeof buf - n}, ctsync::kFlagResync, 0, 0);
    write_seed("sync_v1", "nack-resync", buf, n);
  }

  // Control requests: a config byte (1 Sync, 2 Stats, 4 ExpectationSync,
  // 8.. mode) and a native int code.
  {
    struct Req {
      uint8_t conf;
      int code;
    };
    auto put = [&](const char* name, std::initializer_list<Req> reqs) {
      size_t n = 0;
      for (const Req& r : reqs) {
        buf[n++] = r.conf;
        std::memcpy(buf + n, &r.code, sizeof r.code);
        n += sizeof r.code;
      }
      write_seed("control_request", name, buf, n);
    };
    put("stats", {{1 | 8, 21}, {1 | 8, 28}, {1 | 8, 29}, {1 | 8, 30}, {1 | 8, 32}});
    put("stats-json", {{1 | 8, 21 | 0x100}, {2, 35 | 0x100}, {1 | 4 | 8, 37 | 0x100}});
    put("dumps", {{1 | 8, 16}, {1 | 8, 17}, {1 | 16, 24}, {1 | 16, 25}, {1 | 4 | 8, 40},
                  {1 | 4 | 8, 48}});
    put("actions", {{1 | 8, 0}, {1 | 8, 1}, {1 | 8, 18}, {1 | 8, 22}, {1 | 8, 23}, {1 | 8, 43},
                    {1 | 8, 45}, {1 | 4 | 8, 46}, {1, 20}});
    put("unknown", {{0, 99}, {2, 21}, {0, 30}, {1, 0x200}});
  }
  compact_seeds(buf, sizeof buf);
  auth_seeds(buf, sizeof buf);
  std::printf("seeds written under %s\n", argv[1]);
  return 0;
}
