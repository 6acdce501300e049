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
         : crypto::sha256_accelerated() ? "built in, SHA extensions (no AF_ALG hash in this kernel)"
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

size_t SyncAuth::seal(uint8_t* buf, size_t len, size_t cap) {
  Bank& b = banks_[cur_];
  if (b.n == 0 || cap < len || cap - len < kAuthTrailerLen) {
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

bool SyncAuth::verify(std::span<const uint8_t> pkt, std::span<const uint8_t>* body) {
  AuthFields f;
  switch (auth_trailer_get(pkt, body, &f)) {
    case AuthParse::kOk: break;
    case AuthParse::kMissing: cnt_.missing++; return false;
    case AuthParse::kTruncated: cnt_.truncated++; return false;
  }
  Bank& b = banks_[cur_];
  unsigned k = 0;
  while (k < b.n && b.ids[k] != f.key_id) k++;
  if (k == b.n) {
    cnt_.unknown_key++;
    return false;
  }
  uint8_t tag[kAuthTagLen];
  if (b.mac[k].mac(pkt.first(pkt.size() - kAuthTagLen), tag, sizeof tag) < 0 ||
      !crypto::equal_const_time(tag, f.tag, sizeof tag)) {
    cnt_.bad_tag++;
    return false;
  }
  // Only now, with the tag verified, may the packet touch replay state.
  switch (sessions_.accept(f.session, f.counter)) {
    case ReplayVerdict::kNewSession: cnt_.new_sessions++; break;
    case ReplayVerdict::kOk: break;
    case ReplayVerdict::kReplayed: cnt_.replayed++; return false;
    case ReplayVerdict::kTooOld: cnt_.too_old++; return false;
  }
  cnt_.accepted++;
  return true;
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
