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

 private:
  void blocks(const uint8_t* p, size_t n);
  void block(const uint8_t* p);  // the portable one
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

 private:
  Sha256 inner_, outer_;
};

}  // namespace crypto
