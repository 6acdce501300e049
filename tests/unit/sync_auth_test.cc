// Authenticated sync: HMAC-SHA256 against RFC 4231 (both backends), the
// key file, the trailer, the replay window and session table, and the
// layer itself (seal, then verify and strip, every drop reason).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "conntrackd/daemon.h"
#include "conntrackd/sync/auth_keys.h"
#include "conntrackd/sync/sync_auth.h"
#include "crypto/hmac.h"
#include "crypto/sha256.h"
#include "sync/auth_wire.h"
#include "sync/replay_window.h"

using ctsync::ReplayVerdict;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes unhex(const std::string& h) {
  Bytes b;
  for (size_t i = 0; i + 1 < h.size(); i += 2) b.push_back(static_cast<uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return b;
}
Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

struct Rfc4231 {
  Bytes key, data;
  const char* mac;
  size_t len;  // case 5 is truncated to 128 bits
};

std::vector<Rfc4231> rfc4231() {
  return {
      {Bytes(20, 0x0b), text("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", 32},
      {text("Jefe"), text("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 32},
      {Bytes(20, 0xaa), Bytes(50, 0xdd), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe", 32},
      {unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), Bytes(50, 0xcd),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b", 32},
      {Bytes(20, 0x0c), text("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b", 16},
      {Bytes(131, 0xaa), text("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", 32},
      {Bytes(131, 0xaa),
       text("This is a test using a larger than block-size key and a larger than block-size data. The key "
            "needs to be hashed before being used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2", 32},
  };
}

void check_vectors(crypto::HmacBackend backend) {
  for (const Rfc4231& v : rfc4231()) {
    crypto::HmacSha256 h;
    ASSERT_EQ(h.set_key(v.key, backend), 0);
    uint8_t out[32];
    ASSERT_EQ(h.mac(v.data, out, v.len), 0);
    EXPECT_EQ(Bytes(out, out + v.len), unhex(v.mac)) << v.mac;
    // the same context again: the op socket / key state is reused
    ASSERT_EQ(h.mac(v.data, out, v.len), 0);
    EXPECT_EQ(Bytes(out, out + v.len), unhex(v.mac));
  }
}

TEST(AuthHmac, Rfc4231Builtin) {
  const bool had = crypto::sha256_accelerated();
  crypto::sha256_set_accelerated(false);  // the portable compression function
  check_vectors(crypto::HmacBackend::kSoft);
  crypto::sha256_set_accelerated(had);
}

TEST(AuthHmac, Rfc4231BuiltinShaNi) {
  const bool had = crypto::sha256_accelerated();
  if (!crypto::sha256_set_accelerated(true)) GTEST_SKIP() << "no SHA extensions on this CPU";
  check_vectors(crypto::HmacBackend::kSoft);
  crypto::sha256_set_accelerated(had);
}

TEST(AuthHmac, Rfc4231Kernel) {
  crypto::HmacSha256 probe;
  const uint8_t k[16] = {};
  if (probe.set_key(k, crypto::HmacBackend::kKernel) < 0)
    GTEST_SKIP() << "no AF_ALG hash interface in this kernel (CONFIG_CRYPTO_USER_API_HASH)";
  check_vectors(crypto::HmacBackend::kKernel);
}

TEST(AuthHmac, Sha256Split) {
  // FIPS 180-4's two-block example, fed in odd pieces, with and without
  // the SHA extensions.
  const std::string m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  const bool had = crypto::sha256_accelerated();
  for (size_t k = 0; k < 2 * (m.size() / 7 + 1); k++) {
    crypto::sha256_set_accelerated(k % 2);
    const size_t cut = 7 * (k / 2);
    crypto::Sha256 s;
    s.update({reinterpret_cast<const uint8_t*>(m.data()), cut});
    s.update({reinterpret_cast<const uint8_t*>(m.data()) + cut, m.size() - cut});
    uint8_t out[32];
    s.final(out);
    EXPECT_EQ(Bytes(out, out + 32), unhex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
  }
  crypto::sha256_set_accelerated(had);
  // a million 'a's: many whole blocks per update
  crypto::Sha256 s;
  const Bytes a(1000, 'a');
  for (int i = 0; i < 1000; i++) s.update(a);
  uint8_t out[32];
  s.final(out);
  EXPECT_EQ(Bytes(out, out + 32), unhex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}

TEST(AuthHmac, PairEqualsTwoSingles) {
  // Every padding case (tails of 0 to 63 bytes, one or two final blocks),
  // unequal lengths (one lane goes on alone), with and without the SHA
  // extensions.
  Bytes key = unhex("000102030405060708090a0b0c0d0e0f");
  Bytes data(3000);
  for (size_t i = 0; i < data.size(); i++) data[i] = static_cast<uint8_t>(i * 7 + 3);
  const bool had = crypto::sha256_accelerated();
  unsigned checked = 0;
  for (int accel = 0; accel < 2; accel++) {
    if (crypto::sha256_set_accelerated(accel) != (accel == 1)) continue;
    crypto::HmacSha256 h;
    ASSERT_EQ(h.set_key(key, crypto::HmacBackend::kSoft), 0);
    const size_t lens[] = {0, 1, 55, 56, 63, 64, 119, 120, 128, 1391, 1432, 1456, 2999};
    for (size_t la : lens)
      for (size_t lb : lens) {
        const std::span<const uint8_t> da{data.data(), la}, db{data.data() + 1, lb};
        uint8_t pa[32], pb[32], sa[32], sb[32];
        ASSERT_EQ(h.mac_pair(da, pa, db, pb, 32), 0);
        ASSERT_EQ(h.mac(da, sa, 32), 0);
        ASSERT_EQ(h.mac(db, sb, 32), 0);
        EXPECT_EQ(Bytes(pa, pa + 32), Bytes(sa, sa + 32)) << la << " " << lb << " accel " << accel;
        EXPECT_EQ(Bytes(pb, pb + 32), Bytes(sb, sb + 32)) << la << " " << lb << " accel " << accel;
        checked++;
      }
  }
  crypto::sha256_set_accelerated(had);
  EXPECT_GE(checked, 169u);
  // and the pair against a published value: RFC 4231 case 2 in both lanes
  crypto::HmacSha256 jefe;
  ASSERT_EQ(jefe.set_key(text("Jefe")), 0);
  const Bytes m = text("what do ya want for nothing?");
  uint8_t a[32], b[32];
  ASSERT_EQ(jefe.mac_pair(m, a, m, b, 32), 0);
  EXPECT_EQ(Bytes(a, a + 32), unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
  EXPECT_EQ(Bytes(b, b + 32), Bytes(a, a + 32));
}

TEST(AuthHmac, ConstantTimeEqual) {
  const uint8_t a[4] = {1, 2, 3, 4}, b[4] = {1, 2, 3, 5};
  EXPECT_TRUE(crypto::equal_const_time(a, a, 4));
  EXPECT_FALSE(crypto::equal_const_time(a, b, 4));
  EXPECT_TRUE(crypto::equal_const_time(a, b, 3));
}

// ---- key file ----

const char* kKeyA = "000102030405060708090a0b0c0d0e0f";
const char* kKeyB = "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f";

TEST(AuthKeys, Parse) {
  ctd::AuthKeySet s;
  char err[200];
  ASSERT_TRUE(ctd::auth_keys_parse(std::string("# rotation\n\n7 ") + kKeyA + "\n  9\t" + kKeyB + "\n", &s, err,
                                   sizeof err))
      << err;
  ASSERT_EQ(s.n, 2u);
  EXPECT_EQ(s.keys[0].id, 7);
  EXPECT_EQ(s.keys[0].len, 16);
  EXPECT_EQ(s.keys[0].bytes[15], 0x0f);
  EXPECT_EQ(s.keys[1].id, 9);
  EXPECT_EQ(s.keys[1].len, 32);
  struct Bad {
    std::string text, why;
  };
  for (const Bad& b : std::vector<Bad>{
           {"", "no key"},
           {"# only a comment\n", "no key"},
           {"0 " + std::string(kKeyA), "1 to 255"},
           {"256 " + std::string(kKeyA), "1 to 255"},
           {"x1 " + std::string(kKeyA), "1 to 255"},
           {"1 0011", "32 to 128"},
           {"1 " + std::string(kKeyA) + "0", "32 to 128"},
           {"1 " + std::string(31, 'a') + "g", "hexadecimal"},
           {"1 " + std::string(kKeyA) + " extra", "KEYID HEXKEY"},
           {"1", "KEYID HEXKEY"},
           {"1 " + std::string(kKeyA) + "\n1 " + kKeyB, "twice"},
           {"1 " + std::string(kKeyA) + "\n2 " + kKeyB + "\n3 " + kKeyA, "more than 2"},
       }) {
    EXPECT_FALSE(ctd::auth_keys_parse(b.text, &s, err, sizeof err)) << b.text;
    EXPECT_NE(std::string(err).find(b.why), std::string::npos) << b.text << " -> " << err;
  }
}

TEST(AuthKeys, FileModes) {
  char path[] = "/tmp/authkeyXXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string body = std::string("3 ") + kKeyA + "\n";
  ASSERT_EQ(write(fd, body.data(), body.size()), static_cast<ssize_t>(body.size()));
  close(fd);
  ctd::AuthKeySet s;
  char err[300];
  ASSERT_EQ(chmod(path, 0600), 0);
  EXPECT_TRUE(ctd::auth_keys_load(path, &s, err, sizeof err)) << err;
  EXPECT_EQ(s.keys[0].id, 3);
  ASSERT_EQ(chmod(path, 0640), 0);
  EXPECT_TRUE(ctd::auth_keys_load(path, &s, err, sizeof err)) << err;
  for (mode_t m : {0644, 0604, 0620, 0602}) {
    ASSERT_EQ(chmod(path, m), 0);
    EXPECT_FALSE(ctd::auth_keys_load(path, &s, err, sizeof err)) << m;
    EXPECT_NE(std::string(err).find("accessible by others"), std::string::npos) << err;
  }
  unlink(path);
  EXPECT_FALSE(ctd::auth_keys_load(path, &s, err, sizeof err));
  EXPECT_NE(std::string(err).find("can't open AuthKeyFile"), std::string::npos) << err;
  EXPECT_FALSE(ctd::auth_keys_load("/tmp", &s, err, sizeof err));
  EXPECT_NE(std::string(err).find("not a regular file"), std::string::npos) << err;
}

// ---- trailer ----

TEST(AuthWire, TrailerRoundTrip) {
  uint8_t pkt[8 + ctsync::kAuthTrailerLen] = {0x10, 0, 0, 8, 0, 0, 0, 1};
  ctsync::auth_trailer_put(pkt + 8, 42, 0x0102030405060708ull, 0x1122334455667788ull);
  std::memset(pkt + 8 + ctsync::kAuthCoveredTail, 0xee, ctsync::kAuthTagLen);
  EXPECT_EQ(pkt[8], 0x1f);
  EXPECT_EQ(pkt[11], 40);
  EXPECT_EQ(pkt[16], 0x01);  // session, big-endian
  EXPECT_EQ(pkt[31], 0x88);  // counter's last byte
  std::span<const uint8_t> body;
  ctsync::AuthFields f;
  ASSERT_EQ(ctsync::auth_trailer_get(pkt, &body, &f), ctsync::AuthParse::kOk);
  EXPECT_EQ(body.size(), 8u);
  EXPECT_EQ(f.key_id, 42);
  EXPECT_EQ(f.session, 0x0102030405060708ull);
  EXPECT_EQ(f.counter, 0x1122334455667788ull);
  EXPECT_EQ(f.tag, pkt + 8 + 24);
  // Shorter than a trailer; a trailer with a wrong length or algorithm;
  // no trailer at all.
  EXPECT_EQ(ctsync::auth_trailer_get({pkt, 39}, &body, &f), ctsync::AuthParse::kTruncated);
  pkt[11] = 39;
  EXPECT_EQ(ctsync::auth_trailer_get(pkt, &body, &f), ctsync::AuthParse::kTruncated);
  pkt[11] = 40;
  pkt[9] = 2;
  EXPECT_EQ(ctsync::auth_trailer_get(pkt, &body, &f), ctsync::AuthParse::kTruncated);
  EXPECT_EQ(ctsync::auth_trailer_get({pkt, 41}, &body, &f), ctsync::AuthParse::kMissing);
}

TEST(AuthWire, StreamFraming) {
  Bytes s = {0x10, 0, 0, 8, 0, 0, 0, 1};
  uint8_t t[ctsync::kAuthTrailerLen] = {};
  ctsync::auth_trailer_put(t, 1, 2, 3);
  s.insert(s.end(), t, t + sizeof t);
  const size_t one = s.size();
  s.insert(s.end(), s.begin(), s.end());  // two packets
  EXPECT_EQ(ctsync::auth_stream_packet(s, 9000), static_cast<long>(one));
  for (size_t cut = 0; cut < one; cut++) EXPECT_EQ(ctsync::auth_stream_packet({s.data(), cut}, 9000), 0) << cut;
  Bytes bad = {0x10, 0, 0, 2, 0, 0, 0, 0};
  EXPECT_EQ(ctsync::auth_stream_packet(bad, 9000), -1);
  Bytes long_run;
  for (int i = 0; i < 20; i++) long_run.insert(long_run.end(), {0x10, 0, 0, 8, 0, 0, 0, 1});
  EXPECT_EQ(ctsync::auth_stream_packet(long_run, 64), -1);
}

// ---- replay window ----

TEST(AuthReplay, WindowEdges) {
  ctsync::ReplayWindow w;
  const uint64_t W = ctsync::ReplayWindow::kWindow;
  EXPECT_EQ(w.check(0), ReplayVerdict::kTooOld);
  EXPECT_EQ(w.check(1), ReplayVerdict::kOk);
  w.accept(1);
  EXPECT_EQ(w.check(1), ReplayVerdict::kReplayed);
  // out of order inside the window
  w.accept(10);
  for (uint64_t c = 2; c < 10; c++) EXPECT_EQ(w.check(c), ReplayVerdict::kOk) << c;
  w.accept(5);
  EXPECT_EQ(w.check(5), ReplayVerdict::kReplayed);
  EXPECT_EQ(w.check(6), ReplayVerdict::kOk);
  // the window's lower edge: top - (W - 1) still inside, top - W too old
  w.accept(10 + W);
  EXPECT_EQ(w.check(10), ReplayVerdict::kTooOld);
  EXPECT_EQ(w.check(11), ReplayVerdict::kOk);
  EXPECT_EQ(w.check(10 + W), ReplayVerdict::kReplayed);
  // a slot reused by the ring (counter 10 + W sits where 10 did) does
  // not leak the old bit: 10 + W - 64*k are not marked seen
  EXPECT_EQ(w.check(10 + W - 64), ReplayVerdict::kOk);
  // a jump of more than the window forgets everything below
  w.accept(100 * W);
  EXPECT_EQ(w.check(100 * W - 1), ReplayVerdict::kOk);
  EXPECT_EQ(w.check(100 * W - W), ReplayVerdict::kTooOld);
  // near the top of the 64-bit space
  ctsync::ReplayWindow h;
  const uint64_t top = ~uint64_t{0};
  h.accept(top - 1);
  EXPECT_EQ(h.check(top), ReplayVerdict::kOk);
  h.accept(top);
  EXPECT_EQ(h.check(top), ReplayVerdict::kReplayed);
  EXPECT_EQ(h.check(top - 1), ReplayVerdict::kReplayed);
  EXPECT_EQ(h.check(top - 2), ReplayVerdict::kOk);
  // reset_to: everything up to top counts as seen
  ctsync::ReplayWindow r;
  r.reset_to(50);
  EXPECT_EQ(r.check(50), ReplayVerdict::kReplayed);
  EXPECT_EQ(r.check(49), ReplayVerdict::kReplayed);
  EXPECT_EQ(r.check(51), ReplayVerdict::kOk);
}

TEST(AuthReplay, EveryCounterOnceUnderReorder) {
  ctsync::ReplayWindow w;
  unsigned accepted = 0;
  // each counter twice, in a shuffled but window-bounded order
  for (uint64_t base = 1; base < 5000; base += 100)
    for (int rep = 0; rep < 2; rep++)
      for (uint64_t k = 0; k < 100; k++) {
        const uint64_t c = base + (k * 37) % 100;
        if (w.check(c) == ReplayVerdict::kOk) {
          w.accept(c);
          accepted++;
        }
      }
  EXPECT_EQ(accepted, 5000u);
}

TEST(AuthReplay, Sessions) {
  ctsync::AuthSessions s;
  EXPECT_EQ(s.accept(1, 1), ReplayVerdict::kNewSession);
  EXPECT_EQ(s.accept(1, 2), ReplayVerdict::kOk);
  EXPECT_EQ(s.accept(1, 2), ReplayVerdict::kReplayed);
  // a restarted peer: new session, counters from 1 again; the old one's
  // packets stay refused
  EXPECT_EQ(s.accept(2, 1), ReplayVerdict::kNewSession);
  EXPECT_EQ(s.accept(1, 1), ReplayVerdict::kReplayed);
  EXPECT_EQ(s.accept(0x77, 0), ReplayVerdict::kTooOld);
  // more sessions than slots: the least recently used one (session 1)
  // retires with its highest counter
  for (uint64_t id = 10; id < 10 + ctsync::AuthSessions::kActive - 1; id++)
    EXPECT_EQ(s.accept(id, 5), ReplayVerdict::kNewSession);
  EXPECT_EQ(s.active(), ctsync::AuthSessions::kActive);
  EXPECT_EQ(s.accept(1, 2), ReplayVerdict::kTooOld);  // retired: at or below its top
  EXPECT_EQ(s.accept(1, 1), ReplayVerdict::kTooOld);
  EXPECT_EQ(s.accept(1, 3), ReplayVerdict::kOk);      // alive again, above its top
  EXPECT_EQ(s.accept(1, 3), ReplayVerdict::kReplayed);
  EXPECT_EQ(s.accept(1, 2), ReplayVerdict::kReplayed);
  EXPECT_EQ(s.active(), ctsync::AuthSessions::kActive);
}

// Found by the sync_auth fuzz target: nine sessions taking turns in eight
// slots retire one at every turn; the retired list was a ring, so after
// 32 such retirements a quiet tenth session was overwritten and its old
// packets were taken again as a new session.  Only more than
// kActive + kRetired sessions may make a receiver forget one.
TEST(AuthReplay, SessionsTakingTurnsForgetNoOne) {
  ctsync::AuthSessions s;
  for (uint64_t c = 1; c <= 5; c++) EXPECT_NE(s.accept(100, c), ReplayVerdict::kReplayed);
  uint64_t ctr[9] = {};
  for (int round = 0; round < 20; round++)
    for (uint64_t k = 0; k < 9; k++) EXPECT_NE(s.accept(k + 1, ++ctr[k]), ReplayVerdict::kReplayed);
  EXPECT_EQ(s.accept(100, 3), ReplayVerdict::kTooOld);
  EXPECT_EQ(s.accept(100, 5), ReplayVerdict::kTooOld);
  EXPECT_EQ(s.accept(100, 6), ReplayVerdict::kOk);  // its next packet is fine
  // 40 sessions are remembered, the 41st pushes the oldest out.
  ctsync::AuthSessions t;
  for (uint64_t id = 1; id <= 41; id++) EXPECT_EQ(t.accept(id, 1), ReplayVerdict::kNewSession);
  EXPECT_EQ(t.accept(2, 1), ReplayVerdict::kTooOld);      // still known (retired)
  EXPECT_EQ(t.accept(1, 1), ReplayVerdict::kNewSession);  // the one forgotten: the stated limit
}

// ---- the layer ----

struct Sink : ctd::ChannelReceiver {
  std::vector<Bytes> got;
  size_t on_channel_data(unsigned, std::span<const uint8_t> d) override {
    got.emplace_back(d.begin(), d.end());
    return d.size();
  }
};

ctd::AuthKeySet keys(std::initializer_list<std::pair<uint8_t, const char*>> list) {
  ctd::AuthKeySet s;
  for (auto& [id, hex] : list) {
    ctd::AuthKey& k = s.keys[s.n++];
    k.id = id;
    Bytes b = unhex(hex);
    k.len = static_cast<uint8_t>(b.size());
    std::memcpy(k.bytes, b.data(), b.size());
  }
  return s;
}

struct Pair {
  ctd::Daemon d;
  Sink sink;
  ctd::SyncAuth tx{d, sink, false}, rx{d, sink, false};
  Pair() {
    EXPECT_EQ(tx.set_keys(keys({{1, kKeyA}})), 0);
    EXPECT_EQ(rx.set_keys(keys({{1, kKeyA}})), 0);
    tx.set_session(0xabc);
  }
  Bytes seal(const Bytes& body) {
    Bytes b = body;
    b.resize(body.size() + 64);
    const size_t n = tx.seal(b.data(), body.size(), b.size());
    EXPECT_EQ(n, body.size() + ctsync::kAuthTrailerLen);
    b.resize(n);
    return b;
  }
  void feed(const Bytes& b) { rx.on_channel_data(0, b); }
};

const Bytes kBody = {0x10, 0x10, 0, 8, 0, 0, 0, 7, 0x1a, 0x10, 0, 8, 0, 0, 0, 8};

TEST(SyncAuthLayer, SealVerifyStrip) {
  Pair p;
  const Bytes a = p.seal(kBody), b = p.seal(kBody);
  EXPECT_NE(a, b);  // counters differ, so do tags
  p.feed(b);
  p.feed(a);  // reordered: still new
  ASSERT_EQ(p.sink.got.size(), 2u);
  EXPECT_EQ(p.sink.got[0], kBody);
  EXPECT_EQ(p.sink.got[1], kBody);
  EXPECT_EQ(p.rx.counters().accepted, 2u);
  EXPECT_EQ(p.rx.counters().new_sessions, 1u);
  EXPECT_EQ(p.tx.counters().sent, 2u);
  // The tag is what HMAC-SHA256(key, packet up to the tag) says.
  crypto::HmacSha256 h;
  Bytes key = unhex(kKeyA);
  ASSERT_EQ(h.set_key(key, crypto::HmacBackend::kSoft), 0);
  uint8_t tag[16];
  ASSERT_EQ(h.mac({a.data(), a.size() - 16}, tag, 16), 0);
  EXPECT_EQ(Bytes(tag, tag + 16), Bytes(a.end() - 16, a.end()));
}

TEST(SyncAuthLayer, EveryDropReason) {
  Pair p;
  const Bytes good = p.seal(kBody);
  p.feed(good);
  ASSERT_EQ(p.sink.got.size(), 1u);
  p.feed(good);  // replay
  EXPECT_EQ(p.rx.counters().replayed, 1u);
  Bytes forged = p.seal(kBody);
  forged[9] ^= 1;  // one bit of the payload
  p.feed(forged);
  EXPECT_EQ(p.rx.counters().bad_tag, 1u);
  Bytes badtag = p.seal(kBody);
  badtag.back() ^= 0x80;
  p.feed(badtag);
  EXPECT_EQ(p.rx.counters().bad_tag, 2u);
  Bytes badkey = p.seal(kBody);
  badkey[kBody.size() + 4] = 99;
  p.feed(badkey);
  EXPECT_EQ(p.rx.counters().unknown_key, 1u);
  Bytes plain;  // unauthenticated (upstream's packet)
  for (int i = 0; i < 3; i++) plain.insert(plain.end(), kBody.begin(), kBody.end());
  p.feed(plain);
  EXPECT_EQ(p.rx.counters().missing, 1u);
  p.feed(Bytes(good.begin(), good.begin() + 30));
  EXPECT_EQ(p.rx.counters().truncated, 1u);
  Bytes cut(good.begin(), good.end() - 1);  // a byte lost at the end
  p.feed(cut);
  EXPECT_EQ(p.rx.counters().missing + p.rx.counters().truncated + p.rx.counters().bad_tag, 5u);
  // Too old: a window's worth of newer packets later.
  Bytes old = p.seal(kBody);
  Bytes last;
  for (unsigned i = 0; i < ctsync::ReplayWindow::kWindow + 1; i++) last = p.seal(kBody);
  p.feed(last);
  p.feed(old);
  EXPECT_EQ(p.rx.counters().too_old, 1u);
  // Nothing bad reached the parser.
  EXPECT_EQ(p.sink.got.size(), 2u);
  EXPECT_EQ(p.rx.counters().accepted, 2u);
}

TEST(SyncAuthLayer, RotationAndWrongKey) {
  Pair p;
  ASSERT_EQ(p.rx.set_keys(keys({{2, kKeyB}})), 0);  // receiver knows only key 2
  p.feed(p.seal(kBody));
  EXPECT_EQ(p.rx.counters().unknown_key, 1u);
  ASSERT_EQ(p.rx.set_keys(keys({{2, kKeyB}, {1, kKeyA}})), 0);  // both
  p.feed(p.seal(kBody));
  EXPECT_EQ(p.rx.counters().accepted, 1u);
  ASSERT_EQ(p.tx.set_keys(keys({{2, kKeyB}, {1, kKeyA}})), 0);  // sender switches
  p.feed(p.seal(kBody));
  EXPECT_EQ(p.rx.counters().accepted, 2u);
  EXPECT_EQ(p.tx.counters().send_key_id, 2);
  // same id, different bytes: the tag fails
  ASSERT_EQ(p.rx.set_keys(keys({{2, kKeyA}})), 0);
  p.feed(p.seal(kBody));
  EXPECT_EQ(p.rx.counters().bad_tag, 1u);
}

TEST(SyncAuthLayer, PairsSealedAndVerifiedTogether) {
  Pair p;
  // Two packets of different sizes sealed together: the same bytes as
  // sealing them one by one would give (counters 1 and 2).
  Bytes big;
  for (int i = 0; i < 80; i++) big.insert(big.end(), kBody.begin(), kBody.end());
  Bytes a = kBody, b = big;
  a.resize(kBody.size() + 40);
  b.resize(big.size() + 40);
  size_t na = kBody.size(), nb = big.size();
  p.tx.seal_pair(a.data(), &na, a.size(), b.data(), &nb, b.size());
  ASSERT_EQ(na, a.size());
  ASSERT_EQ(nb, b.size());
  EXPECT_EQ(p.tx.counters().sent, 2u);
  Pair q;  // same key and session, sealing one at a time
  EXPECT_EQ(q.seal(kBody), a);
  EXPECT_EQ(q.seal(big), b);
  // Received as a pair: both verified, delivered in order.
  p.rx.on_datagram_pair(0, a, b);
  ASSERT_EQ(p.sink.got.size(), 2u);
  EXPECT_EQ(p.sink.got[0], kBody);
  EXPECT_EQ(p.sink.got[1], big);
  EXPECT_EQ(p.rx.counters().accepted, 2u);
  // A pair with one forgery, one replay, one unknown key: only the good
  // ones pass, each drop counted.
  Bytes c = p.seal(kBody), forged = p.seal(kBody);
  forged[3] ^= 1;
  p.rx.on_datagram_pair(0, forged, c);
  EXPECT_EQ(p.rx.counters().bad_tag, 1u);
  p.rx.on_datagram_pair(0, c, a);
  EXPECT_EQ(p.rx.counters().replayed, 2u);
  Bytes d = p.seal(kBody), badkey = p.seal(kBody);
  badkey[kBody.size() + 4] = 9;
  p.rx.on_datagram_pair(0, badkey, d);
  EXPECT_EQ(p.rx.counters().unknown_key, 1u);
  EXPECT_EQ(p.rx.counters().accepted, 4u);
  ASSERT_EQ(p.sink.got.size(), 4u);
  // Both keys of a rotation in one pair: each checked with its own.
  ASSERT_EQ(p.rx.set_keys(keys({{1, kKeyA}, {2, kKeyB}})), 0);
  Pair r;
  ASSERT_EQ(r.tx.set_keys(keys({{2, kKeyB}})), 0);
  r.tx.set_session(0xdef);
  p.rx.on_datagram_pair(0, p.seal(kBody), r.seal(kBody));
  EXPECT_EQ(p.rx.counters().accepted, 6u);
  EXPECT_EQ(p.rx.counters().bad_tag, 1u);
}

TEST(SyncAuthLayer, StreamPackets) {
  ctd::Daemon d;
  Sink sink;
  ctd::SyncAuth tx(d, sink, true), rx(d, sink, true);
  ASSERT_EQ(tx.set_keys(keys({{1, kKeyA}})), 0);
  ASSERT_EQ(rx.set_keys(keys({{1, kKeyA}})), 0);
  Bytes stream;
  for (int i = 0; i < 3; i++) {
    Bytes b = kBody;
    b.resize(kBody.size() + 40);
    ASSERT_EQ(tx.seal(b.data(), kBody.size(), b.size()), b.size());
    stream.insert(stream.end(), b.begin(), b.end());
  }
  // a read that ends inside the second packet consumes the first only
  const size_t one = kBody.size() + 40;
  EXPECT_EQ(rx.on_channel_data(0, {stream.data(), one + 20}), one);
  EXPECT_EQ(rx.on_channel_data(0, {stream.data() + one, stream.size() - one}), stream.size() - one);
  EXPECT_EQ(sink.got.size(), 3u);
  EXPECT_EQ(rx.counters().accepted, 3u);
  // an unauthenticated stream cannot be framed into packets: dropped
  Bytes plain;
  for (int i = 0; i < 600; i++) plain.insert(plain.end(), kBody.begin(), kBody.end());
  EXPECT_EQ(rx.on_channel_data(0, plain), plain.size());
  EXPECT_EQ(rx.counters().missing, 1u);
  EXPECT_EQ(sink.got.size(), 3u);
}

}  // namespace
