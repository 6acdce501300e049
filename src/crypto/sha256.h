// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) in process: the fallback
// when the kernel offers no AF_ALG hash interface
// (CONFIG_CRYPTO_USER_API_HASH unset), and a second opinion in the unit
// tests.  Fixed-size state, no allocation.  On x86-64 CPUs with the SHA
// extensions the compression function uses them (chosen once at start).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace crypto {

inline constexpr size_t kSha256Len = 32;
inline constexpr size_t kSha256Block = 64;

// Whether the CPU's SHA instructions (x86-64 SHA-NI) are used; the
// setter (tests, and the portable path's check) can only turn them on
// where the CPU has them.  Returns the new state.
bool sha256_accelerated();
bool sha256_set_accelerated(bool on);

class Sha256 {
 public:
  Sha256() { reset(); }
  void reset();
  void update(std::span<const uint8_t> data);
  void final(uint8_t out[kSha256Len]);
  // Two independent hashes fed at once (two packets): with the SHA
  // extensions their rounds interleave, so the pair costs little more than
  // one.  Same results as update() / final() on each.
  static void update_pair(Sha256& a, std::span<const uint8_t> da, Sha256& b, std::span<const uint8_t> db);
  static void final_pair(Sha256& a, uint8_t out_a[kSha256Len], Sha256& b, uint8_t out_b[kSha256Len]);

 private:
  void blocks(const uint8_t* p, size_t n);
  void block(const uint8_t* p);  // the portable one
  // a's na blocks and b's nb blocks, the common part together.
  static void blocks_pair(Sha256& a, const uint8_t* pa, size_t na, Sha256& b, const uint8_t* pb, size_t nb);
  // The padded last block(s) of the message into out: how many (1 or 2).
  size_t pad(uint8_t out[2 * kSha256Block]) const;
  void put_digest(uint8_t out[kSha256Len]) const;
  uint32_t h_[8];
  uint8_t buf_[kSha256Block];
  size_t used_ = 0;
  uint64_t total_ = 0;
};

// The key's inner and outer pads are hashed once at set_key; each mac()
// copies those two states instead of rehashing the key.
class SoftHmacSha256 {
 public:
  void set_key(std::span<const uint8_t> key);
  void mac(std::span<const uint8_t> data, uint8_t out[kSha256Len]) const;
  // Two messages' MACs at once (Sha256::update_pair).
  void mac_pair(std::span<const uint8_t> da, uint8_t out_a[kSha256Len], std::span<const uint8_t> db,
                uint8_t out_b[kSha256Len]) const;

 private:
  Sha256 inner_, outer_;
};

}  // namespace crypto
