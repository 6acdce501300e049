#include "crypto/af_alg.h"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

#include "alg_uapi.h"

namespace crypto {

int AfAlgHash::open(const char* alg_name, std::span<const uint8_t> key) {
  close();
  uapi::SockaddrAlg sa{};
  sa.family = uapi::kAfAlg;
  std::memcpy(sa.type, "hash", 5);
  const size_t n = strlen(alg_name);
  if (n >= sizeof sa.name) return -ENAMETOOLONG;
  std::memcpy(sa.name, alg_name, n);
  tfm_fd_ = socket(uapi::kAfAlg, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (tfm_fd_ < 0) return -errno;
  int err = 0;
  if (bind(tfm_fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) < 0 ||
      setsockopt(tfm_fd_, uapi::kSolAlg, uapi::kAlgSetKey, key.data(), static_cast<socklen_t>(key.size())) < 0) {
    err = -errno;
  } else {
    op_fd_ = accept4(tfm_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (op_fd_ < 0) err = -errno;
  }
  if (err) close();
  return err;
}

void AfAlgHash::close() {
  if (op_fd_ >= 0) ::close(op_fd_);
  if (tfm_fd_ >= 0) ::close(tfm_fd_);
  op_fd_ = tfm_fd_ = -1;
}

int AfAlgHash::digest(std::span<const uint8_t> data, uint8_t* out, size_t out_len) {
  if (op_fd_ < 0) return -EBADF;
  // Without MSG_MORE the send completes the hash; the read returns it and
  // the next send starts a new one on the same socket.
  const ssize_t s = send(op_fd_, data.data(), data.size(), MSG_NOSIGNAL);
  if (s < 0) return -errno;
  if (static_cast<size_t>(s) != data.size()) return -EIO;
  const ssize_t r = read(op_fd_, out, out_len);
  if (r < 0) return -errno;
  return static_cast<size_t>(r) == out_len ? 0 : -EIO;
}

}  // namespace crypto
