#include "conntrackd/sync/sync_auth.h"

#include <cerrno>
#include <cstring>
#include <sys/random.h>

#include "conntrackd/daemon.h"
#include "sync/auth_wire.h"

namespace ctd {

using namespace ctsync;

namespace {

// A TCP packet is one channel buffer (at most the MTU) or one message
// sent alone (at most kMaxMessage), plus the trailer.
constexpr size_t kMaxStreamPacket = 2 * kMaxMessage + kAuthTrailerLen;

}  // namespace

int SyncAuth::set_keys(const AuthKeySet& keys, crypto::HmacBackend backend) {
  const unsigned next = cur_ ^ 1;
  Bank& b = banks_[next];
  b.n = 0;
  for (unsigned i = 0; i < keys.n; i++) {
    const int r = b.mac[i].set_key({keys.keys[i].bytes, keys.keys[i].len}, backend);
    if (r < 0) return r;
    b.ids[i] = keys.keys[i].id;
  }
  b.n = keys.n;
  cur_ = next;
  cnt_.enabled = true;
  cnt_.kernel = b.mac[0].kernel();
  cnt_.send_key_id = b.ids[0];
  cnt_.nkeys = static_cast<uint8_t>(b.n);
  return 0;
}

int SyncAuth::open() {
  // A fresh random session each start: a restarted sender is a new
  // session to its peers, so its counters may start again at 1.
  if (getrandom(&session_, sizeof session_, 0) != static_cast<ssize_t>(sizeof session_)) {
    d_.log(kLogErr, "can't get a random sync session id: %s", strerror(errno));
    return -1;
  }
  counter_ = 0;
  AuthKeySet keys;
  char err[512];
  if (!auth_keys_load(d_.config().auth_key_file, &keys, err, sizeof err)) {
    d_.log(kLogErr, "%s", err);
    return -1;
  }
  const int r = set_keys(keys);
  explicit_bzero(&keys, sizeof keys);
  if (r < 0) {
    d_.log(kLogErr, "can't set up HMAC-SHA256: %s", strerror(-r));
    return -1;
  }
  d_.log(kLogNotice, "sync authentication on: signing with key id %u, %u key(s) accepted, HMAC-SHA256 %s",
         cnt_.send_key_id, cnt_.nkeys, cnt_.kernel ? "by the kernel (AF_ALG)"
         : crypto::sha256_accelerated() ? "built in, SHA extensions"
                                        : "built in (no AF_ALG hash in this kernel)");
  return 0;
}

int SyncAuth::reload() {
  AuthKeySet keys;
  char err[512];
  if (!auth_keys_load(d_.config().auth_key_file, &keys, err, sizeof err)) {
    d_.log(kLogErr, "%s; keeping the keys in use", err);
    cnt_.reload_failed++;
    return -1;
  }
  const int r = set_keys(keys);
  explicit_bzero(&keys, sizeof keys);
  if (r < 0) {
    d_.log(kLogErr, "can't set up HMAC-SHA256: %s; keeping the keys in use", strerror(-r));
    cnt_.reload_failed++;
    return -1;
  }
  cnt_.reloads++;
  d_.log(kLogNotice, "AuthKeyFile reread: signing with key id %u, %u key(s) accepted", cnt_.send_key_id,
         cnt_.nkeys);
  return 0;
}

size_t SyncAuth::overhead() const { return kAuthTrailerLen; }

namespace {

bool has_room(size_t len, size_t cap) { return cap >= len && cap - len >= kAuthTrailerLen; }

}  // namespace

size_t SyncAuth::seal(uint8_t* buf, size_t len, size_t cap) {
  Bank& b = banks_[cur_];
  if (b.n == 0 || !has_room(len, cap)) {
    cnt_.seal_failed++;
    return 0;
  }
  uint8_t* t = buf + len;
  auth_trailer_put(t, b.ids[0], session_, ++counter_);
  if (b.mac[0].mac({buf, len + kAuthCoveredTail}, t + kAuthCoveredTail, kAuthTagLen) < 0) {
    cnt_.seal_failed++;
    return 0;
  }
  cnt_.sent++;
  return len + kAuthTrailerLen;
}

void SyncAuth::seal_pair(uint8_t* a, size_t* len_a, size_t cap_a, uint8_t* b, size_t* len_b, size_t cap_b) {
  Bank& k = banks_[cur_];
  if (k.n == 0 || !has_room(*len_a, cap_a) || !has_room(*len_b, cap_b)) {
    PacketSealer::seal_pair(a, len_a, cap_a, b, len_b, cap_b);  // counts the failure
    return;
  }
  uint8_t* ta = a + *len_a;
  uint8_t* tb = b + *len_b;
  auth_trailer_put(ta, k.ids[0], session_, ++counter_);
  auth_trailer_put(tb, k.ids[0], session_, ++counter_);
  if (k.mac[0].mac_pair({a, *len_a + kAuthCoveredTail}, ta + kAuthCoveredTail, {b, *len_b + kAuthCoveredTail},
                        tb + kAuthCoveredTail, kAuthTagLen) < 0) {
    cnt_.seal_failed += 2;
    *len_a = *len_b = 0;
    return;
  }
  cnt_.sent += 2;
  *len_a += kAuthTrailerLen;
  *len_b += kAuthTrailerLen;
}

bool SyncAuth::check_trailer(std::span<const uint8_t> pkt, Check* c) {
  switch (auth_trailer_get(pkt, &c->body, &c->f)) {
    case AuthParse::kOk: break;
    case AuthParse::kMissing: cnt_.missing++; return false;
    case AuthParse::kTruncated: cnt_.truncated++; return false;
  }
  Bank& b = banks_[cur_];
  unsigned k = 0;
  while (k < b.n && b.ids[k] != c->f.key_id) k++;
  if (k == b.n) {
    cnt_.unknown_key++;
    return false;
  }
  c->mac = &b.mac[k];
  c->covered = pkt.first(pkt.size() - kAuthTagLen);
  return true;
}

bool SyncAuth::compute_tag(Check* c) { return c->mac->mac(c->covered, c->tag, sizeof c->tag) == 0; }

bool SyncAuth::check_tag_and_counter(const Check& c, bool computed) {
  if (!computed || !crypto::equal_const_time(c.tag, c.f.tag, sizeof c.tag)) {
    cnt_.bad_tag++;
    return false;
  }
  // Only now, with the tag verified, may the packet touch replay state.
  switch (sessions_.accept(c.f.session, c.f.counter)) {
    case ReplayVerdict::kNewSession: cnt_.new_sessions++; break;
    case ReplayVerdict::kOk: break;
    case ReplayVerdict::kReplayed: cnt_.replayed++; return false;
    case ReplayVerdict::kTooOld: cnt_.too_old++; return false;
  }
  cnt_.accepted++;
  return true;
}

bool SyncAuth::verify(std::span<const uint8_t> pkt, std::span<const uint8_t>* body) {
  Check c;
  if (!check_trailer(pkt, &c) || !check_tag_and_counter(c, compute_tag(&c))) return false;
  *body = c.body;
  return true;
}

void SyncAuth::on_datagram_pair(unsigned channel, std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (stream_) {  // a stream comes in reads, not datagrams
    ChannelReceiver::on_datagram_pair(channel, a, b);
    return;
  }
  Check ca, cb;
  const bool framed_a = check_trailer(a, &ca), framed_b = check_trailer(b, &cb);
  bool tag_a = false, tag_b = false;
  if (framed_a && framed_b && ca.mac == cb.mac) {
    tag_a = tag_b = ca.mac->mac_pair(ca.covered, ca.tag, cb.covered, cb.tag, kAuthTagLen) == 0;
  } else {
    tag_a = framed_a && compute_tag(&ca);
    tag_b = framed_b && compute_tag(&cb);
  }
  // In order: a's counter goes through the replay window before b's.
  if (framed_a && check_tag_and_counter(ca, tag_a)) inner_.on_channel_data(channel, ca.body);
  if (framed_b && check_tag_and_counter(cb, tag_b)) inner_.on_channel_data(channel, cb.body);
}

size_t SyncAuth::on_channel_data(unsigned channel, std::span<const uint8_t> data) {
  if (stream_) return on_stream(channel, data);
  std::span<const uint8_t> body;
  if (verify(data, &body)) inner_.on_channel_data(channel, body);
  return data.size();
}

// The stream is cut into packets at their trailers; a verified packet
// goes to the engine whole (it holds whole messages only), a bad one is
// skipped.  A stream that cannot be framed is dropped up to its end, as
// upstream drops a TCP read it cannot parse.
size_t SyncAuth::on_stream(unsigned channel, std::span<const uint8_t> data) {
  size_t off = 0;
  while (off < data.size()) {
    const long n = auth_stream_packet(data.subspan(off), kMaxStreamPacket);
    if (n == 0) break;  // the rest comes with the next read
    if (n < 0) {
      cnt_.missing++;
      return data.size();
    }
    std::span<const uint8_t> body;
    if (verify(data.subspan(off, static_cast<size_t>(n)), &body) && !body.empty())
      inner_.on_channel_data(channel, body);
    off += static_cast<size_t>(n);
  }
  return off;
}

}  // namespace ctd
