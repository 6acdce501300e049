// A keyed hash computed by the kernel through AF_ALG (the crypto user API):
// socket(AF_ALG, SOCK_SEQPACKET), bind {"hash", name}, ALG_SET_KEY, accept.
// The accepted operation socket is kept and reused: each digest() is one
// send() of the data and one read() of the result, nothing allocated.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace crypto {

class AfAlgHash {
 public:
  AfAlgHash() = default;
  ~AfAlgHash() { close(); }
  AfAlgHash(const AfAlgHash&) = delete;
  AfAlgHash& operator=(const AfAlgHash&) = delete;

  // 0, or -errno (-EAFNOSUPPORT: a kernel without
  // CONFIG_CRYPTO_USER_API_HASH; -ENOENT: no such algorithm).
  int open(const char* alg_name, std::span<const uint8_t> key);
  void close();
  bool is_open() const { return op_fd_ >= 0; }
  // Writes `out_len` bytes of the digest of `data`.  0 or -errno.
  int digest(std::span<const uint8_t> data, uint8_t* out, size_t out_len);

 private:
  int tfm_fd_ = -1, op_fd_ = -1;
};

}  // namespace crypto
