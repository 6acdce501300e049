// The authentication trailer (ours; `Sync { AuthKeyFile }`): appended to
// every packet a sender writes, after the messages built exactly as
// without it.  A packet is one datagram (UDP, multicast) or one buffer
// written to the TCP stream.  The trailer is shaped as a sync message
// header (type 15, which no upstream message uses; len at bytes 2-3), so
// the TCP stream can be cut into packets with the framing it already has.
//
//    0       1       2       3       4       5       6       7
//   +-------+-------+-------+-------+-------+-------+-------+-------+
//   | 0x1f  |  alg  |  len = 40     | keyid |   reserved (0)        |
//   +-------+-------+-------+-------+-------+-------+-------+-------+
//   |                  sender session id (random)                   |
//   +-------+-------+-------+-------+-------+-------+-------+-------+
//   |                  counter (per session, from 1)                |
//   +-------+-------+-------+-------+-------+-------+-------+-------+
//   |           tag: HMAC-SHA256 truncated to 16 bytes              |
//   |                                                               |
//   +-------+-------+-------+-------+-------+-------+-------+-------+
//   0x1f: version 1, type 15.  alg 1 = HMAC-SHA256-128.  All fields are
//   big-endian.  The tag covers every byte of the packet before the
//   trailer and the trailer's first 24 bytes (header, session, counter).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace ctsync {

inline constexpr uint8_t kAuthVerType = 0x1f;
inline constexpr uint8_t kAuthAlgHmacSha256_128 = 1;
inline constexpr size_t kAuthTagLen = 16;
inline constexpr size_t kAuthTrailerLen = 40;
inline constexpr size_t kAuthCoveredTail = kAuthTrailerLen - kAuthTagLen;  // header..counter

struct __attribute__((packed)) AuthTrailer {
  uint8_t ver_type;  // kAuthVerType
  uint8_t alg;       // kAuthAlgHmacSha256_128
  uint16_t len;      // BE, kAuthTrailerLen
  uint8_t key_id;
  uint8_t reserved[3];
  uint64_t session;  // BE
  uint64_t counter;  // BE
  uint8_t tag[kAuthTagLen];
};
static_assert(sizeof(AuthTrailer) == kAuthTrailerLen);

struct AuthFields {
  uint8_t key_id = 0;
  uint64_t session = 0, counter = 0;
  const uint8_t* tag = nullptr;  // into the packet
};

// Writes the trailer's first kAuthCoveredTail bytes at `out` (the tag is
// the caller's, once computed over them).
void auth_trailer_put(uint8_t* out, uint8_t key_id, uint64_t session, uint64_t counter);

enum class AuthParse : uint8_t {
  kOk,
  kMissing,    // the packet's last bytes are not a trailer
  kTruncated,  // too short to hold one, or a trailer header with a wrong length/algorithm
};

// The trailer at the end of a datagram.  On kOk, `body` is the packet
// without it (what the sync parser gets) and *f its fields.
AuthParse auth_trailer_get(std::span<const uint8_t> pkt, std::span<const uint8_t>* body, AuthFields* f);

// TCP: the length of the first whole packet (messages, then a trailer) at
// the start of `stream`; 0 while it is incomplete.  -1 when the stream
// cannot be framed (a message length below 4) or no trailer came within
// `max_packet` bytes.
long auth_stream_packet(std::span<const uint8_t> stream, size_t max_packet);

}  // namespace ctsync
