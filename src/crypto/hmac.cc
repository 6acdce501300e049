#include "crypto/hmac.h"

#include <cerrno>
#include <cstring>

namespace crypto {

int HmacSha256::set_key(std::span<const uint8_t> key, HmacBackend want) {
  keyed_ = false;
  kernel_.close();
  if (want == HmacBackend::kKernel || (want == HmacBackend::kAuto && !sha256_accelerated())) {
    const int r = kernel_.open("hmac(sha256)", key);
    if (r < 0 && want == HmacBackend::kKernel) return r;
  }
  soft_.set_key(key);
  keyed_ = true;
  return 0;
}

int HmacSha256::mac(std::span<const uint8_t> data, uint8_t* out, size_t out_len) {
  if (!keyed_) return -EBADF;
  if (out_len > kSha256Len) return -EINVAL;
  uint8_t full[kSha256Len];
  if (kernel_.is_open()) {
    const int r = kernel_.digest(data, full, sizeof full);
    if (r < 0) return r;
  } else {
    soft_.mac(data, full);
  }
  std::memcpy(out, full, out_len);
  return 0;
}

int HmacSha256::mac_pair(std::span<const uint8_t> da, uint8_t* out_a, std::span<const uint8_t> db, uint8_t* out_b,
                         size_t out_len) {
  if (!keyed_) return -EBADF;
  if (out_len > kSha256Len) return -EINVAL;
  if (kernel_.is_open()) {
    const int r = mac(da, out_a, out_len);
    return r < 0 ? r : mac(db, out_b, out_len);
  }
  uint8_t full_a[kSha256Len], full_b[kSha256Len];
  soft_.mac_pair(da, full_a, db, full_b);
  std::memcpy(out_a, full_a, out_len);
  std::memcpy(out_b, full_b, out_len);
  return 0;
}

bool equal_const_time(const uint8_t* a, const uint8_t* b, size_t n) {
  uint8_t diff = 0;
  for (size_t i = 0; i < n; i++) diff |= static_cast<uint8_t>(a[i] ^ b[i]);
  // volatile: the compiler may not turn the loop back into memcmp.
  volatile uint8_t d = diff;
  return d == 0;
}

}  // namespace crypto
