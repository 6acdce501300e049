// HMAC-SHA256 for the sync authentication: our own (sha256.h) where the
// CPU has the SHA extensions, since AF_ALG costs two syscalls per packet
// on top of the same instructions and cannot do two packets at once
// (mac_pair); else the kernel's, through AF_ALG, when the kernel has the
// hash user API (its generic code may use AVX2); else our portable one,
// so a kernel built without CONFIG_CRYPTO_USER_API_HASH still
// authenticates.  All give the same bytes (tests/unit/sync_auth_test.cc:
// RFC 4231).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/af_alg.h"
#include "crypto/sha256.h"

namespace crypto {

enum class HmacBackend : uint8_t { kAuto, kKernel, kSoft };

class HmacSha256 {
 public:
  static constexpr size_t kMaxKey = 64;
  // kAuto: ours with the SHA extensions, else the kernel if it answers,
  // else ours.  kKernel fails where the kernel cannot.  0 or -errno.
  int set_key(std::span<const uint8_t> key, HmacBackend want = HmacBackend::kAuto);
  bool kernel() const { return kernel_.is_open(); }
  // The first `out_len` (<= 32) bytes of HMAC-SHA256(key, data).  0 or -errno.
  int mac(std::span<const uint8_t> data, uint8_t* out, size_t out_len);
  // Two messages' MACs: the built-in computes them together, which with
  // the SHA extensions costs little more than one (sha256.h).  0 or -errno.
  int mac_pair(std::span<const uint8_t> da, uint8_t* out_a, std::span<const uint8_t> db, uint8_t* out_b,
               size_t out_len);

 private:
  AfAlgHash kernel_;
  SoftHmacSha256 soft_;
  bool keyed_ = false;
};

// Compares without an early exit, so the time taken says nothing about
// where a forged tag first differs.
bool equal_const_time(const uint8_t* a, const uint8_t* b, size_t n);

}  // namespace crypto
