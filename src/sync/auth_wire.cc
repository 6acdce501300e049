#include "sync/auth_wire.h"

#include <cstring>

namespace ctsync {

namespace {

void put_be64(uint8_t* p, uint64_t v) {
  for (unsigned i = 0; i < 8; i++) p[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
}

uint64_t get_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (unsigned i = 0; i < 8; i++) v = v << 8 | p[i];
  return v;
}

}  // namespace

void auth_trailer_put(uint8_t* out, uint8_t key_id, uint64_t session, uint64_t counter) {
  out[0] = kAuthVerType;
  out[1] = kAuthAlgHmacSha256_128;
  out[2] = 0;
  out[3] = static_cast<uint8_t>(kAuthTrailerLen);
  out[4] = key_id;
  out[5] = out[6] = out[7] = 0;
  put_be64(out + 8, session);
  put_be64(out + 16, counter);
}

AuthParse auth_trailer_get(std::span<const uint8_t> pkt, std::span<const uint8_t>* body, AuthFields* f) {
  if (pkt.size() < kAuthTrailerLen) return AuthParse::kTruncated;
  const uint8_t* t = pkt.data() + pkt.size() - kAuthTrailerLen;
  if (t[0] != kAuthVerType) return AuthParse::kMissing;
  const unsigned len = unsigned{t[2]} << 8 | t[3];
  if (len != kAuthTrailerLen || t[1] != kAuthAlgHmacSha256_128) return AuthParse::kTruncated;
  f->key_id = t[4];
  f->session = get_be64(t + 8);
  f->counter = get_be64(t + 16);
  f->tag = t + kAuthCoveredTail;
  *body = pkt.first(pkt.size() - kAuthTrailerLen);
  return AuthParse::kOk;
}

long auth_stream_packet(std::span<const uint8_t> stream, size_t max_packet) {
  size_t off = 0;
  while (off + 4 <= stream.size()) {
    const uint8_t* h = stream.data() + off;
    const size_t len = size_t{h[2]} << 8 | h[3];
    if (len < 4) return -1;
    if (h[0] == kAuthVerType) {
      if (len != kAuthTrailerLen) return -1;
      return off + len <= stream.size() ? static_cast<long>(off + len) : 0;
    }
    off += len;
    if (off > max_packet) return -1;
  }
  return stream.size() > max_packet ? -1 : 0;
}

}  // namespace ctsync
