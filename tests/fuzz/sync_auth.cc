// Authenticated sync on the receiving side: the trailer parser, the TCP
// stream framing, and SyncAuth (the daemon's own layer: key lookup, tag
// check, replay window and session table) on datagrams and streams.
//
// Byte 0 bit 1 clear: the rest is raw network input (bit 0: a stream, fed
// in pieces whose sizes the input gives; else one datagram).  A forger
// cannot make a tag verify, so bit 1 set makes the input a script that
// the target signs with the key: each step is an op byte (session 0-15,
// counter: next / an earlier one / absolute / a jump; a corrupt tag; a
// key id the receiver lacks), its operands and a body.  Checked: nothing
// with a bad tag, an unknown key or counter 0 gets through; no (session,
// counter) is accepted twice; with one session, every verdict is the one
// a model of the window gives.
#include <cstring>
#include <span>

#include "conntrackd/daemon.h"
#include "conntrackd/sync/auth_keys.h"
#include "conntrackd/sync/sync_auth.h"
#include "crypto/hmac.h"
#include "sync/auth_wire.h"
#include "sync/replay_window.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

constexpr uint8_t kKey[32] = {0x5a, 0x11, 0x7e, 0x03, 0x99, 0x42, 0xc0, 0xde, 0x10, 0x20, 0x30,
                              0x40, 0x50, 0x60, 0x70, 0x80, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
                              0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
constexpr uint8_t kKeyId = 1;

struct Sink : ctd::ChannelReceiver {
  size_t got = 0;
  size_t on_channel_data(unsigned, std::span<const uint8_t> d) override {
    got++;
    return d.size();
  }
};

struct Harness {
  ctd::Daemon d;
  Sink sink;
  crypto::HmacSha256 mac;
  Harness() { mac.set_key({kKey, sizeof kKey}, crypto::HmacBackend::kSoft); }
};

Harness& harness() {
  static Harness* h = new Harness;  // kept between inputs; holds no replay state
  return *h;
}

ctd::SyncAuth* fresh_layer(Harness& h, bool stream) {
  ctd::AuthKeySet keys;
  keys.n = 1;
  keys.keys[0].id = kKeyId;
  keys.keys[0].len = sizeof kKey;
  std::memcpy(keys.keys[0].bytes, kKey, sizeof kKey);
  ctd::SyncAuth* a = new ctd::SyncAuth(h.d, h.sink, stream);
  if (a->set_keys(keys, crypto::HmacBackend::kSoft) != 0) __builtin_trap();
  return a;
}

void check_parsers(std::span<const uint8_t> in) {
  std::span<const uint8_t> body;
  ctsync::AuthFields f;
  if (ctsync::auth_trailer_get(in, &body, &f) == ctsync::AuthParse::kOk &&
      (body.size() + ctsync::kAuthTrailerLen != in.size() || f.tag != in.data() + in.size() - ctsync::kAuthTagLen))
    __builtin_trap();
  const long n = ctsync::auth_stream_packet(in, 2048);
  if (n > 0) {
    if (static_cast<size_t>(n) > in.size() || n < static_cast<long>(ctsync::kAuthTrailerLen)) __builtin_trap();
    if (in[static_cast<size_t>(n) - ctsync::kAuthTrailerLen] != ctsync::kAuthVerType) __builtin_trap();
  }
}

// Network bytes as they come: one datagram, or a stream in pieces kept
// as a TCP channel keeps them (the unconsumed tail waits for more).
void run_raw(Harness& h, bool stream, std::span<const uint8_t> in) {
  check_parsers(in);
  ctd::SyncAuth* a = fresh_layer(h, stream);
  if (!stream) {
    a->on_channel_data(0, in);
  } else {
    static uint8_t buf[8192];
    size_t have = 0, off = 0;
    for (unsigned k = 0; k < 1024 && off < in.size(); k++) {
      size_t piece = 1 + in[off++] % 128;
      if (piece > in.size() - off) piece = in.size() - off;
      if (piece > sizeof buf - have) break;
      std::memcpy(buf + have, in.data() + off, piece);
      have += piece;
      off += piece;
      const size_t used = a->on_channel_data(0, {buf, have});
      if (used > have) __builtin_trap();
      std::memmove(buf, buf + used, have - used);
      have -= used;
    }
  }
  if (a->counters().accepted != 0) __builtin_trap();  // nobody signed these
  delete a;
}

struct Taken {
  uint8_t session;
  uint64_t counter;
};

// A model of one session's window: taken once, never 0, never a full
// window or more below the highest taken.
struct Model {
  uint64_t top = 0;
  bool accepts(const Taken* t, unsigned n, uint64_t c) const {
    if (c == 0 || (c <= top && top - c >= ctsync::ReplayWindow::kWindow)) return false;
    for (unsigned i = 0; i < n; i++)
      if (t[i].counter == c) return false;
    return true;
  }
};

uint64_t get_be(const uint8_t* p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++) v = v << 8 | p[i];
  return v;
}

void run_script(Harness& h, bool stream, std::span<const uint8_t> in) {
  ctd::SyncAuth* a = fresh_layer(h, stream);
  static Taken taken[4096];
  static uint64_t next[16];
  unsigned ntaken = 0;
  std::memset(next, 0, sizeof next);
  uint16_t sessions_used = 0;
  Model model;
  static uint8_t pkt[64 + ctsync::kAuthTrailerLen];
  size_t off = 0;
  for (unsigned step = 0; step < 4096 && off < in.size(); step++) {
    const uint8_t op = in[off++];
    const uint8_t sess = op & 15;
    uint64_t c = 0;
    const unsigned mode = (op >> 4) & 3;
    if ((mode == 1 && (off >= in.size() || ntaken == 0)) || (mode >= 2 && in.size() - off < 2)) break;
    if (mode == 0) {
      c = ++next[sess];
    } else if (mode == 1) {  // an earlier accepted counter (of any session)
      c = taken[in[off++] % ntaken].counter;
    } else {
      const uint64_t v = get_be(&in[off], 2);
      off += 2;
      c = mode == 2 ? v : next[sess] + (v << 6);  // absolute, or a jump ahead
    }
    if (c > next[sess]) next[sess] = c;
    const bool corrupt = op & 0x40, wrong_key = op & 0x80;
    if (off >= in.size()) break;
    size_t blen = in[off++] % 65;
    if (blen > in.size() - off) blen = in.size() - off;
    std::memcpy(pkt, in.data() + off, blen);
    off += blen;
    const uint64_t session = 0x5e55000000000000ull | sess;
    ctsync::auth_trailer_put(pkt + blen, wrong_key ? kKeyId + 1 : kKeyId, session, c);
    if (h.mac.mac({pkt, blen + ctsync::kAuthCoveredTail}, pkt + blen + ctsync::kAuthCoveredTail,
                  ctsync::kAuthTagLen) != 0)
      __builtin_trap();
    if (corrupt) pkt[blen + ctsync::kAuthTrailerLen - 1 - (c % ctsync::kAuthTagLen)] ^= 0x20;
    const size_t n = blen + ctsync::kAuthTrailerLen;
    sessions_used |= static_cast<uint16_t>(1u << sess);
    const bool single = sessions_used == 1;
    const bool model_ok = single && model.accepts(taken, ntaken, c);

    const uint64_t before = a->counters().accepted;
    a->on_channel_data(0, {pkt, n});
    const bool accepted = a->counters().accepted != before;
    // A stream packet whose body does not frame is dropped whole, so the
    // model speaks only of datagrams.
    if (accepted && (corrupt || wrong_key || c == 0)) __builtin_trap();
    if (!corrupt && !wrong_key && !stream && single && accepted != model_ok) __builtin_trap();
    if (!accepted) continue;
    for (unsigned i = 0; i < ntaken; i++)
      if (taken[i].session == sess && taken[i].counter == c) __builtin_trap();  // a replay got through
    if (ntaken < 4096) taken[ntaken++] = {sess, c};
    if (single && c > model.top) model.top = c;
  }
  delete a;
}

}  // namespace

FUZZ_TARGET(sync_auth) {
  if (size < 1) return 0;
  Harness& h = harness();
  const bool stream = data[0] & 1;
  std::span<const uint8_t> in(data + 1, size - 1);
  if (data[0] & 2) run_script(h, stream, in);
  else run_raw(h, stream, in);
  return 0;
}
